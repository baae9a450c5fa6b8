// Entry of the page script (m3search.js, a classic script so a plain
// `<script src defer>` works). Reads its own tag's data-* attributes:
//   data-index  index folder (default: the script's folder)
//   data-model  model folder, e.g. a self-hosted copy (default: the index's copied model, else data-preset's hub folder; "none": keyword only)
//   data-preset a named model (src/model/presets.ts, e.g. "multilingual-e5-small"): where the model comes from when the
//               index has no copy and data-model is absent (its hub folder), and its conventions where the index
//               recorded none; an unknown name is an INVALID_OPTION model error (keyword search goes on)
//   data-model-load  "on-request": offer the model with its size; download it only when the visitor asks
//   data-multi-budget  nested indexes: score only each passage's first N multi-vector rows (less work per query)
//   data-sw     service worker to register (written by `m3search index --inject`); it keeps m3search's
//               own files, scoped to the index folder so it never takes over the site's pages
//   data-sw-pages  opt-in: the worker's scope becomes its own folder and it also keeps the pages
//               visited (all of them, or only those under the space-separated paths given, relative
//               to the worker's folder), so they reload offline (`--sw-pages`)
//   data-sw-max    most responses the worker keeps (default 200; the oldest go first)
// The search itself is the browser runtime's SiteSearch, in the worker
// m3search-worker.js beside this script (one worker per page, started on the
// first focus or keystroke, so a page that never searches downloads nothing).
import { connectSiteSearch } from '../browser/site-client.js';
import { M3SearchElement, useSiteSearch } from './element.js';

const script = document.currentScript as HTMLScriptElement | null;
const scriptUrl = script?.src || new URL('m3search.js', document.baseURI).href;
const index = new URL(script?.dataset.index ?? './', script?.dataset.index ? document.baseURI : scriptUrl).href;
const model = script?.dataset.model;
const preset = script?.dataset.preset;
const workerUrl = new URL('m3search-worker.js', scriptUrl).href;

const budget = Number(script?.dataset.multiBudget);
const multiVectorBudget = Number.isInteger(budget) && budget >= 1 ? budget : undefined;

useSiteSearch(() =>
  connectSiteSearch(new Worker(workerUrl, { type: 'module', name: 'm3search' }), {
    index,
    ...(model === undefined ? {} : { model: model === 'none' ? model : new URL(model, document.baseURI).href }),
    ...(preset === undefined ? {} : { preset }),
    ...(multiVectorBudget === undefined ? {} : { multiVectorBudget }),
    ...(script?.dataset.modelLoad === 'on-request' ? { modelLoad: 'on-request' as const } : {}),
  }),
);
if (!customElements.get('m3-search')) customElements.define('m3-search', M3SearchElement);

const sw = script?.dataset.sw;
if (sw && 'serviceWorker' in navigator && isSecureContext) {
  // The worker learns the index folder and the page opt-in from its URL (a changed value updates it).
  const swUrl = new URL(sw, document.baseURI);
  swUrl.searchParams.set('index', index);
  const pages = script?.dataset.swPages;
  if (pages !== undefined) swUrl.searchParams.set('pages', pages);
  const max = Number(script?.dataset.swMax);
  if (Number.isInteger(max) && max >= 1) swUrl.searchParams.set('max', String(max));
  navigator.serviceWorker.register(swUrl, pages === undefined ? { scope: index } : {}).catch(() => {
    // Without it, search still works offline on an already-open page; only page reloads need it.
  });
}
