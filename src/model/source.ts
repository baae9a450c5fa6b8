// Where model files come from. The encoder only asks a `ModelSource` for bytes
// by relative name; the browser fetches (with progress and the Cache API), Node
// reads a folder (src/node/fs-source.ts). Environment-free: fetch and caches are
// looked up on globalThis and only used when present.
import { M3SearchError, throwIfAborted } from '../core/errors.js';

export interface FileProgress {
  file: string;
  loaded: number;
  /** Total bytes when the server says (Content-Length); otherwise undefined. */
  total?: number;
}

export interface ReadOptions {
  signal?: AbortSignal;
  onProgress?: (p: FileProgress) => void;
}

export interface ModelSource {
  /** Human-readable location (path or URL), stored in error messages. */
  readonly location: string;
  /** Bytes of `name`, or undefined when the file does not exist. */
  read(name: string, opts?: ReadOptions): Promise<Uint8Array | undefined>;
}

export interface UrlSourceOptions {
  /** Cache API bucket name; `false` disables caching (default 'm3search-models'). */
  cacheName?: string | false;
  fetch?: typeof fetch;
}

/** A model folder served over HTTP(S), e.g. a hub `resolve/main/` URL or `/models/bge-m3/`. */
export function urlSource(baseUrl: string, options: UrlSourceOptions = {}): ModelSource {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const cacheName = options.cacheName ?? 'm3search-models';
  const caches = (globalThis as { caches?: CacheStorage }).caches;

  return {
    location: base,
    async read(name, opts = {}) {
      throwIfAborted(opts.signal);
      const url = new URL(name, resolveBase(base)).toString();
      const cache = cacheName && caches ? await caches.open(cacheName).catch(() => undefined) : undefined;
      const cached = await cache?.match(url);
      const response = cached ?? (await fetchOrThrow(doFetch, url, opts.signal));
      if (response.status === 404) return undefined;
      if (!response.ok) {
        throw new M3SearchError('MODEL_FILES', `Could not fetch ${url}: HTTP ${response.status}.`, { url });
      }
      const bytes = await readWithProgress(response, name, opts);
      // Cache only complete downloads so a cancelled fetch never poisons later visits.
      if (cache && !cached) await cache.put(url, new Response(bytes.slice())).catch(() => undefined);
      return bytes;
    },
  };
}

function resolveBase(base: string): string {
  if (/^[a-z]+:\/\//i.test(base)) return base;
  const loc = (globalThis as { location?: { href: string } }).location;
  return new URL(base, loc?.href ?? 'http://localhost/').toString();
}

async function fetchOrThrow(doFetch: typeof fetch, url: string, signal?: AbortSignal): Promise<Response> {
  try {
    return await doFetch(url, { signal });
  } catch (e) {
    if (signal?.aborted) throw new M3SearchError('ABORTED', 'The model download was cancelled.');
    throw new M3SearchError('MODEL_FILES', `Could not fetch ${url}: ${(e as Error).message}.`, { url });
  }
}

async function readWithProgress(response: Response, file: string, opts: ReadOptions): Promise<Uint8Array> {
  const header = response.headers.get('content-length');
  const total = header ? Number(header) : undefined;
  if (!response.body) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    opts.onProgress?.({ file, loaded: bytes.byteLength, total: bytes.byteLength });
    return bytes;
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  for (;;) {
    if (opts.signal?.aborted) {
      await reader.cancel().catch(() => undefined);
      throw new M3SearchError('ABORTED', 'The model download was cancelled.');
    }
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    opts.onProgress?.({ file, loaded, total });
  }
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** Reads a JSON file from a source; undefined when absent, typed error when malformed. */
export async function readJson<T>(source: ModelSource, name: string, opts?: ReadOptions): Promise<T | undefined> {
  const bytes = await source.read(name, opts);
  return bytes && parseJson<T>(bytes, source, name);
}

/** Parses a model file's bytes as JSON; garbage is MODEL_FILES naming the file. */
export function parseJson<T>(bytes: Uint8Array, source: ModelSource, name: string): T {
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  } catch {
    throw new M3SearchError('MODEL_FILES', `${name} in ${source.location} is not valid JSON.`);
  }
}
