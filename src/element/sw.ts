// Service worker (copied to the site root by `m3search index --inject`):
// network first for pages and the search bundle, falling back to the copy
// kept from the last successful load, so pages reload and search offline.
// Index shards, the manifest and model weights are not kept here: the search
// worker holds the index in IndexedDB and the model in the Cache API.
// The project's lib set mixes DOM and WebWorker, so the global is typed by hand.
const sw = self as unknown as ServiceWorkerGlobalScope;

const CACHE = 'm3search-pages-v1';
const SKIP = /\/shards\/|\/manifest\.json$|\.onnx(_data)?$|\.safetensors$/;

sw.addEventListener('install', () => void sw.skipWaiting());
sw.addEventListener('activate', (e: ExtendableEvent) => e.waitUntil(sw.clients.claim()));

sw.addEventListener('fetch', (e: FetchEvent) => {
  const req = e.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== sw.location.origin || SKIP.test(url.pathname)) return;
  e.respondWith(networkFirst(req));
});

async function networkFirst(req: Request): Promise<Response> {
  const cache = await caches.open(CACHE);
  try {
    const res = await fetch(req);
    if (res.ok && res.type === 'basic') await cache.put(req, res.clone());
    return res;
  } catch (err) {
    const hit = await cache.match(req, { ignoreSearch: req.mode === 'navigate' });
    if (hit) return hit;
    throw err;
  }
}
