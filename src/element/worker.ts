// Entry of the search worker (built to m3search-worker.js): exposes the
// SiteEngine to the page through comlink.
import { expose } from 'comlink';
import { SiteEngine } from './engine.js';
import type { SiteWorkerApi } from './protocol.js';

const engine = new SiteEngine();
const api: SiteWorkerApi = {
  open: (opts, onStatus) => engine.open(opts, onStatus),
  search: (query, k) => engine.search(query, k),
};
expose(api);
