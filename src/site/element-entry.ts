// The types of `m3search/element`. That entry is dist/m3search-script/m3search.js,
// a classic script (`<script src defer>`) that defines <m3-search> as a side
// effect and exports nothing at run time; only the element's type is exported,
// for `document.querySelector('m3-search') as M3SearchElement`.
export type { M3SearchElement } from '../element/element.js';
export type { M3SearchStrings } from '../element/strings.js';
