// Entry of the page script (m3search.js, a classic script so a plain
// `<script src defer>` works). Reads its own tag's data-* attributes:
//   data-index  index folder (default: the script's folder)
//   data-model  model folder, e.g. a self-hosted copy (default: the index's copied model, if any; "none": keyword only)
//   data-multi-budget  nested indexes: score only each passage's first N multi-vector rows (less work per query)
//   data-sw     service worker to register for offline page loads (written by `m3search index --inject`)
// The search itself is the browser runtime's SiteSearch, in the worker
// m3search-worker.js beside this script (one worker per page, started on the
// first focus or keystroke, so a page that never searches downloads nothing).
import { connectSiteSearch } from '../browser/site-client.js';
import { M3SearchElement, useSiteSearch } from './element.js';

const script = document.currentScript as HTMLScriptElement | null;
const scriptUrl = script?.src || new URL('m3search.js', document.baseURI).href;
const index = new URL(script?.dataset.index ?? './', script?.dataset.index ? document.baseURI : scriptUrl).href;
const model = script?.dataset.model;
const workerUrl = new URL('m3search-worker.js', scriptUrl).href;

const budget = Number(script?.dataset.multiBudget);
const multiVectorBudget = Number.isInteger(budget) && budget >= 1 ? budget : undefined;

useSiteSearch(() =>
  connectSiteSearch(new Worker(workerUrl, { type: 'module', name: 'm3search' }), {
    index,
    ...(model === undefined ? {} : { model: model === 'none' ? model : new URL(model, document.baseURI).href }),
    ...(multiVectorBudget === undefined ? {} : { multiVectorBudget }),
  }),
);
if (!customElements.get('m3-search')) customElements.define('m3-search', M3SearchElement);

const sw = script?.dataset.sw;
if (sw && 'serviceWorker' in navigator && isSecureContext) {
  navigator.serviceWorker.register(new URL(sw, document.baseURI)).catch(() => {
    // Without it, search still works offline on an already-open page; only page reloads need it.
  });
}
