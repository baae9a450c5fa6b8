// Service worker (copied to the site root by `m3search index --inject`,
// registered by m3search.js with its settings in the query string):
//   index=URL   the index folder; its bundle and worker are cached at install
//   pages[=P…]  opt-in: also keep page loads (all in scope, or only those under the
//               space-separated paths P, relative to this file's folder)
//   max=N       most responses kept (default 200), the oldest stored dropped first
// Without `pages` the page registers it with the index folder as its scope, so
// it never takes over the site's pages or a service worker the site has.
// Network first: a response is kept only when it is a plain 200 the server
// lets shared caches store (not no-store/private, no Vary: *, no query
// string); range requests and everything else pass through untouched, and a
// cache that fails never turns a good network response into an error.
// Index shards, the manifest and model weights are not kept here: the search
// worker holds the index in IndexedDB and the model in the Cache API.
// The project's lib set mixes DOM and WebWorker, so the global is typed by hand.
const sw = self as unknown as ServiceWorkerGlobalScope;

const CACHE = 'm3search-v2';
const params = new URL(sw.location.href).searchParams;
const INDEX = params.has('index') ? new URL(params.get('index')!, sw.location.href).href : undefined;
const PAGES = params.has('pages') ? prefixes(params.get('pages')!) : undefined;
const MAX = Math.max(2, Number.parseInt(params.get('max') ?? '', 10) || 200);
/** The bundle and the search worker: what a page needs to search from the offline copy. */
const PRECACHE = INDEX ? [`${INDEX}m3search.js`, `${INDEX}m3search-worker.js`] : [];
/** The script bundle's files (the worker's lazy chunks, ONNX Runtime's glue and wasm); not the service worker itself. */
const OWN_FILE = /\/(?!m3search-sw\.js$)(m3search(-[\w.-]+)?\.js|ort-wasm[\w.-]*\.(mjs|wasm))$/;

sw.addEventListener('install', (e: ExtendableEvent) => {
  // Best effort: a file that cannot be fetched now is kept when a page loads it.
  e.waitUntil(Promise.allSettled(PRECACHE.map((u) => fetch(u, { cache: 'no-cache' }).then((res) => keep(new Request(u), res)))).then(() => sw.skipWaiting()));
});

sw.addEventListener('activate', (e: ExtendableEvent) => {
  e.waitUntil(
    (async () => {
      // Caches of earlier versions (v1 kept every same-origin GET).
      for (const name of await caches.keys()) if (name.startsWith('m3search-') && name !== CACHE) await caches.delete(name);
      await sw.clients.claim();
      // The page that registered this worker loaded before it was in control: keep it too.
      if (PAGES) {
        for (const c of await sw.clients.matchAll({ type: 'window', includeUncontrolled: true })) {
          if (isPage(new URL(c.url))) await fetch(c.url, { cache: 'no-cache' }).then((res) => keep(new Request(c.url), res)).catch(() => undefined);
        }
      }
    })(),
  );
});

sw.addEventListener('fetch', (e: FetchEvent) => {
  const req = e.request;
  if (req.method !== 'GET' || req.headers.has('range')) return;
  const url = new URL(req.url);
  if (url.origin !== sw.location.origin) return;
  if (!(isOwn(url) || (req.mode === 'navigate' && isPage(url)))) return;
  e.respondWith(networkFirst(e, req));
});

function isOwn(url: URL): boolean {
  return OWN_FILE.test(url.pathname) && (!INDEX || url.href.startsWith(INDEX));
}

function isPage(url: URL): boolean {
  if (!PAGES || !url.href.startsWith(sw.registration.scope)) return false;
  return PAGES.length === 0 || PAGES.some((p) => url.href.startsWith(p));
}

async function networkFirst(e: FetchEvent, req: Request): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(req);
  } catch (err) {
    const hit = await caches
      .open(CACHE)
      .then((c) => c.match(req, { ignoreSearch: true, ignoreVary: true }))
      .catch(() => undefined);
    if (hit) return hit;
    throw err;
  }
  // Stored after answering, and never awaited by the answer: a full disk or a refused put only loses the copy.
  if (storable(req, res)) e.waitUntil(keep(req, res.clone()).catch(() => undefined));
  return res;
}

/** A plain, complete, shareable answer to a URL without a query string. */
function storable(req: Request, res: Response): boolean {
  if (res.status !== 200 || res.type !== 'basic' || new URL(req.url).search) return false;
  if (res.headers.get('vary')?.split(',').some((v) => v.trim() === '*')) return false;
  const cc = (res.headers.get('cache-control') ?? '').toLowerCase();
  return !/(^|[\s,])(no-store|private)([\s,=]|$)/.test(cc);
}

let queue: Promise<unknown> = Promise.resolve();

/** Stores `res` (when storable) and evicts the oldest entries past MAX; one at a time, so counts stay true. */
function keep(req: Request, res: Response): Promise<void> {
  const next = queue.then(async () => {
    if (!storable(req, res)) return;
    const cache = await caches.open(CACHE);
    await cache.put(req, res);
    // keys() lists entries in the order they were stored (a put moves its URL to the end).
    const keys = await cache.keys();
    let excess = keys.length - MAX;
    for (const k of keys) {
      if (excess <= 0) break;
      if (PRECACHE.includes(k.url)) continue; // what offline search needs stays
      await cache.delete(k);
      excess--;
    }
  });
  queue = next.catch(() => undefined);
  return next;
}

function prefixes(list: string): string[] {
  const base = new URL('./', sw.location.href);
  return list
    .split(/\s+/)
    .filter(Boolean)
    .map((p) => new URL(p, base).href);
}
