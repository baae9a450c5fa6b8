// The package's own search worker (one entry for createSearch and
// openSiteSearch). Bundlers see `new Worker(new URL(…, import.meta.url))` and
// emit the worker; the <m3-search> script passes its own worker URL instead
// and never imports this module.
export function spawnSearchWorker(): Worker {
  return new Worker(new URL('../../workers/search.worker.ts', import.meta.url), { type: 'module', name: 'm3search' });
}
