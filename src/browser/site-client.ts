// The page side of a static-site index: one search worker, reached through a
// WorkerConnection (the same comlink wrapping, cancel-by-call-id, typed errors
// and crash watch as createSearch). Knows nothing of the default worker URL,
// so the <m3-search> script can pass its own without bundling another copy.
import { proxy } from 'comlink';
import { M3SearchError, isM3SearchError } from '../core/errors.js';
import type { SiteOpenOptions, SiteOpenReport, SiteQueryOptions, SiteResults, SiteStatus } from './protocol.js';
import { WorkerConnection } from './worker-connection.js';

/**
 * The worker's open options (`SiteOpenOptions`: index, model, preset, multiVectorBudget,
 * backend, dtype, wasmPaths, numThreads) with URLs that may be relative to the
 * page, plus a status listener.
 */
export interface SiteSearchOptions extends SiteOpenOptions {
  /** Every status from the start, as `onStatus()` would report it. */
  onStatus?: (s: SiteStatus) => void;
}

export type SiteSearchState = 'loading' | 'ready' | 'failed' | 'closed';

export type SiteSearchCallOptions = SiteQueryOptions & {
  /** Cancels the query: it rejects with ABORTED at once and the worker drops it. */
  signal?: AbortSignal;
};

/** A static-site index searched in a worker. Once `failed` or `closed` it stays so: open a new one to retry. */
export interface SiteSearch {
  /** Resolves when keyword search works (manifest and tokenizer loaded); the model follows in the background. */
  readonly ready: Promise<SiteOpenReport>;
  readonly state: SiteSearchState;
  /** Why the search failed (bad index, worker crashed), once it has. */
  readonly error: M3SearchError | undefined;
  /**
   * Subscribes to status events (index source, keyword-ready, model progress,
   * hybrid-ready, offline copy saving/saved, errors). Past events are replayed
   * first, so late subscribers see the same story. Returns the unsubscribe.
   */
  onStatus(listener: (s: SiteStatus) => void): () => void;
  /** Waits for `ready`, then searches: keyword mode until the model has loaded, hybrid after. */
  search(query: string, opts?: SiteSearchCallOptions): Promise<SiteResults>;
  /**
   * Starts the model download when the search was opened with `modelLoad:
   * 'on-request'` (after a `model-available` status); otherwise nothing.
   */
  loadModel(): Promise<void>;
  /** Lets the worker stop its downloads, then ends it. The offline copy stays. */
  close(): Promise<void>;
  /** Ends the worker now; pending calls reject with ABORTED. */
  terminate(): void;
}

/** Opens a static-site index in `worker` (a fresh worker running workers/search.worker.ts). */
export function connectSiteSearch(worker: Worker, options: SiteSearchOptions): SiteSearch {
  return new WorkerSiteSearch(worker, options);
}

class WorkerSiteSearch implements SiteSearch {
  readonly ready: Promise<SiteOpenReport>;
  private readonly conn: WorkerConnection;
  private readonly history: SiteStatus[] = [];
  private readonly listeners = new Set<(s: SiteStatus) => void>();
  private current: SiteSearchState = 'loading';
  private failure: M3SearchError | undefined;

  constructor(worker: Worker, options: SiteSearchOptions) {
    if (options.onStatus) this.listeners.add(options.onStatus);
    this.conn = new WorkerConnection(worker, (e) => this.fail(e, 'worker'));
    this.ready = this.open(options);
    this.ready.catch(() => undefined); // surfaced through `ready`, `search` and the status; never unhandled
  }

  get state(): SiteSearchState {
    return this.current;
  }

  get error(): M3SearchError | undefined {
    return this.failure;
  }

  onStatus(listener: (s: SiteStatus) => void): () => void {
    this.listeners.add(listener);
    for (const s of this.history) listener(s);
    return () => this.listeners.delete(listener);
  }

  async search(query: string, opts: SiteSearchCallOptions = {}): Promise<SiteResults> {
    await this.ready;
    const { signal, ...rest } = opts;
    return this.conn.call((r, id) => r.searchSite(id, query, rest), signal, true);
  }

  async loadModel(): Promise<void> {
    await this.ready;
    await this.conn.call((r) => r.loadSiteModel());
  }

  async close(): Promise<void> {
    if (this.conn.error) return;
    await this.conn.call((r) => r.close()).catch(() => undefined);
    this.end('closed', new M3SearchError('NOT_READY', 'The search was closed.'));
  }

  terminate(): void {
    this.end(this.current === 'failed' ? 'failed' : 'closed', new M3SearchError('ABORTED', 'The search worker was terminated.'));
  }

  private async open(o: SiteSearchOptions): Promise<SiteOpenReport> {
    const base = globalThis.location?.href;
    const abs = (u: string) => (base ? new URL(u, base).href : u);
    const options: SiteOpenOptions = { index: abs(o.index).replace(/\/?$/, '/') };
    if (o.model !== undefined) options.model = o.model === 'none' ? 'none' : abs(o.model);
    if (o.preset !== undefined) options.preset = o.preset;
    if (o.multiVectorBudget !== undefined) options.multiVectorBudget = o.multiVectorBudget;
    if (o.backend !== undefined) options.backend = o.backend;
    if (o.dtype !== undefined) options.dtype = o.dtype;
    if (o.numThreads !== undefined) options.numThreads = o.numThreads;
    if (o.modelLoad !== undefined) options.modelLoad = o.modelLoad;
    if (o.wasmPaths !== undefined) {
      options.wasmPaths =
        typeof o.wasmPaths === 'string'
          ? abs(o.wasmPaths)
          : { ...(o.wasmPaths.wasm ? { wasm: abs(o.wasmPaths.wasm) } : {}), ...(o.wasmPaths.mjs ? { mjs: abs(o.wasmPaths.mjs) } : {}) };
    }
    try {
      const report = await this.conn.call((r, id) => r.openSite(id, options, proxy((s: SiteStatus) => this.emit(s))));
      if (this.current === 'loading') this.current = 'ready';
      return report;
    } catch (e) {
      const error = isM3SearchError(e) ? e : new M3SearchError('INVALID_INDEX', `Opening ${options.index} failed: ${(e as Error)?.message ?? String(e)}`, { index: options.index });
      // A failed open is final for this handle: the worker goes, and whoever retries opens a fresh one.
      this.fail(error, 'open');
      throw error;
    }
  }

  private emit(s: SiteStatus): void {
    // The replay keeps the latest status of each kind (errors: of each place), in the order they
    // came: bounded however long the visit, and still the story a late subscriber needs.
    const key = statusKey(s);
    const i = this.history.findIndex((h) => statusKey(h) === key);
    if (i >= 0) this.history.splice(i, 1);
    this.history.push(s);
    for (const fn of [...this.listeners]) {
      try {
        fn(s);
      } catch {
        // One listener's bug must not silence the others.
      }
    }
  }

  private fail(error: M3SearchError, where: 'open' | 'worker'): void {
    if (this.current === 'failed' || this.current === 'closed') return;
    this.end('failed', error);
    this.emit({ kind: 'error', where, code: error.code, message: error.message });
  }

  private end(state: SiteSearchState, error: M3SearchError): void {
    this.conn.end(error);
    if (this.current === 'loading' || this.current === 'ready') {
      this.current = state;
      if (state === 'failed') this.failure = error;
    }
  }
}

function statusKey(s: SiteStatus): string {
  return s.kind === 'error' ? `error:${s.where}` : s.kind;
}
