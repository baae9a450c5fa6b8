// `openSiteSearch`: a static-site index (built by `m3search index`) searched in
// the package's own worker. The <m3-search> element is a UI over the same
// handle (src/element/main.ts connects it to its own worker URL).
import { connectSiteSearch, type SiteSearch, type SiteSearchOptions } from './site-client.js';
import { spawnSearchWorker } from './spawn-worker.js';

export interface OpenSiteSearchOptions extends SiteSearchOptions {
  /** Supplies the worker (custom bundling, a self-hosted script); default: the package's own worker. */
  createWorker?: () => Worker;
}

/**
 * Opens a static-site index by URL and returns at once; `search` waits for the
 * index, answers by keywords first and hybrid once the model has loaded.
 *
 * @example
 * const site = openSiteSearch({ index: '/m3search/', onStatus: (s) => console.log(s.kind) });
 * const { hits, mode } = await site.search('read a file line by line', { k: 5 });
 */
export function openSiteSearch(options: OpenSiteSearchOptions): SiteSearch {
  const { createWorker, ...rest } = options;
  return connectSiteSearch(createWorker?.() ?? spawnSearchWorker(), rest);
}
