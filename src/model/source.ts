// Where model files come from. The encoder only asks a `ModelSource` for bytes
// by relative name; the browser fetches (with progress and the Cache API), Node
// reads a folder (src/node/fs-source.ts). Environment-free: fetch and caches are
// looked up on globalThis and only used when present.
import { concatBytes } from '../core/bytes.js';
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
  /** Full URL or path of `name`, for error messages (default: `name` in `location`). */
  where?(name: string): string;
  /** Why the last `read(name)` found nothing (e.g. 'HTTP 404'), when the source knows. */
  whyMissing?(name: string): string | undefined;
  /**
   * A folder on disk: the file's path, and a pass over its bytes in steps
   * (progress and cancellation as `read`) that keeps none of them. The
   * loader then hands ONNX Runtime paths instead of bytes (which it would
   * copy) and fingerprints the weights while they stream past. Undefined
   * when the file does not exist.
   */
  local?(name: string): Promise<LocalFile | undefined>;
}

/** A file of a source on disk (`ModelSource.local`). */
export interface LocalFile {
  path: string;
  size: number;
  /** Reads the whole file once, in steps, handing each step's bytes (valid during the call only) and their offset to `visit`. */
  scan(visit: (bytes: Uint8Array, offset: number) => void, opts?: ReadOptions): Promise<void>;
}

/**
 * `details` of a MODEL_FILES error about one file: `reason` 'not-found' (absent,
 * HTTP 404/410, or the server's HTML fallback page instead of the file) or
 * 'malformed' (present but unreadable as that kind of file); `url` is the
 * file's URL or path, `location` the model folder's.
 */
export interface ModelFileErrorDetails {
  url: string;
  location: string;
  reason: 'not-found' | 'malformed';
}

/** Where a file of a source lives, for messages. */
export function whereOf(source: ModelSource, name: string): string {
  return source.where?.(name) ?? `${source.location.replace(/\/?$/, '/')}${name}`;
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

  const misses = new Map<string, string>();
  const urlOf = (name: string) => new URL(name, resolveBase(base)).toString();
  return {
    location: base,
    where: urlOf,
    whyMissing: (name) => misses.get(name),
    async read(name, opts = {}) {
      throwIfAborted(opts.signal);
      const url = urlOf(name);
      const cache = cacheName && caches ? await caches.open(cacheName).catch(() => undefined) : undefined;
      const cached = await cache?.match(url);
      const response = cached ?? (await fetchOrThrow(doFetch, url, opts.signal));
      if (response.status === 404 || response.status === 410) {
        misses.set(name, `HTTP ${response.status}`);
        return undefined;
      }
      if (!response.ok) {
        throw new M3SearchError('MODEL_FILES', `Could not fetch ${url}: HTTP ${response.status}.`, { url });
      }
      // Dev servers and SPA hosts answer a missing path with index.html (200):
      // no model file is HTML, so that page means "not there", not "malformed".
      if (/^text\/html\b/i.test(response.headers.get('content-type') ?? '')) {
        await response.body?.cancel().catch(() => undefined);
        misses.set(name, HTML_FALLBACK);
        return undefined;
      }
      const bytes = await readWithProgress(response, name, opts);
      if (looksLikeHtml(bytes)) {
        misses.set(name, HTML_FALLBACK);
        return undefined;
      }
      // Cache only complete downloads so a cancelled fetch never poisons later visits.
      // A Response copies the bytes it is made from (no copy of our own); its length lets a cached read fill one array too.
      if (cache && !cached) await cache.put(url, new Response(bytes, { headers: { 'content-length': String(bytes.byteLength) } })).catch(() => undefined);
      return bytes;
    },
  };
}

const HTML_FALLBACK = 'the server answered with an HTML page instead of the file';

/** An HTML document's start (also catches a fallback page without a content type, e.g. from the cache). */
function looksLikeHtml(bytes: Uint8Array): boolean {
  const head = new TextDecoder().decode(bytes.subarray(0, 64)).trimStart().toLowerCase();
  return head.startsWith('<!doctype html') || /^<html[\s>]/.test(head);
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

async function readWithProgress(response: Response, file: string, opts: ReadOptions): Promise<Uint8Array<ArrayBuffer>> {
  const header = response.headers.get('content-length');
  const total = header ? Number(header) : undefined;
  if (!response.body) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    opts.onProgress?.({ file, loaded: bytes.byteLength, total: bytes.byteLength });
    return bytes;
  }
  const reader = response.body.getReader();
  const sink = new ByteSink(total);
  for (;;) {
    if (opts.signal?.aborted) {
      await reader.cancel().catch(() => undefined);
      throw new M3SearchError('ABORTED', 'The model download was cancelled.');
    }
    const { done, value } = await reader.read();
    if (done) break;
    sink.push(value);
    opts.onProgress?.({ file, loaded: sink.loaded, total });
  }
  return sink.bytes();
}

/**
 * A download's bytes. With a Content-Length they go straight into one array of
 * that size, so a 600 MB weights file is held once while it arrives rather
 * than as chunks plus their concatenation; a length that turns out wrong (a
 * compressed transfer, a lying server) falls back to collecting chunks.
 */
export class ByteSink {
  private whole: Uint8Array<ArrayBuffer> | undefined;
  private chunks: Uint8Array<ArrayBuffer>[] = [];
  loaded = 0;

  constructor(expected?: number) {
    if (expected === undefined || !Number.isSafeInteger(expected) || expected <= 0) return;
    try {
      this.whole = new Uint8Array(expected);
    } catch {
      // A length no array can hold here (a lying header, or past this engine's limit): collect what really arrives.
    }
  }

  push(chunk: Uint8Array<ArrayBuffer>): void {
    if (this.whole !== undefined && this.loaded + chunk.byteLength > this.whole.byteLength) {
      this.chunks.push(this.whole.subarray(0, this.loaded));
      this.whole = undefined;
    }
    if (this.whole !== undefined) this.whole.set(chunk, this.loaded);
    else this.chunks.push(chunk);
    this.loaded += chunk.byteLength;
  }

  bytes(): Uint8Array<ArrayBuffer> {
    if (this.whole !== undefined) return this.loaded === this.whole.byteLength ? this.whole : this.whole.slice(0, this.loaded);
    return concatBytes(this.chunks, this.loaded);
  }
}

/** Reads a JSON file from a source; undefined when absent, typed error when malformed. */
export async function readJson<T>(source: ModelSource, name: string, opts?: ReadOptions): Promise<T | undefined> {
  const bytes = await source.read(name, opts);
  return bytes && parseJson<T>(bytes, source, name);
}

/** Parses a model file's bytes as JSON; garbage is MODEL_FILES naming the file (reason 'malformed'). */
export function parseJson<T>(bytes: Uint8Array, source: ModelSource, name: string): T {
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  } catch (e) {
    const url = whereOf(source, name);
    const details: ModelFileErrorDetails = { url, location: source.location, reason: 'malformed' };
    throw new M3SearchError('MODEL_FILES', `${url} is not valid JSON (${(e as Error).message}).`, { ...details });
  }
}

/** MODEL_FILES for files that are not there (reason 'not-found'); `names` are alternatives, first preferred. */
export function notFound(source: ModelSource, names: readonly string[], folderMissing = false): M3SearchError {
  const urls = names.map((n) => whereOf(source, n));
  const why = source.whyMissing?.(names[0]!);
  const because = why ? ` (${why})` : '';
  const message = folderMissing
    ? `The model folder ${source.location} was not found: ${urls[0]} is not there${because}. Check the model URL or path.`
    : `${urls.join(' or ')} was not found${because}; the model folder ${source.location} needs it.`;
  const details: ModelFileErrorDetails = { url: urls[0]!, location: source.location, reason: 'not-found' };
  return new M3SearchError('MODEL_FILES', message, { ...details });
}
