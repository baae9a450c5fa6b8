// The page side of an index built in the page: spawns the search worker and
// returns a typed handle over a WorkerConnection (comlink, cancel by call id,
// typed errors, crash watch). Progress crosses as comlink-proxied callbacks.
import { proxy, type Remote } from 'comlink';
import type { AddOptions } from '../engine/engine.js';
import { M3SearchError } from '../core/errors.js';
import { getPreset, type PresetOption } from '../model/presets.js';
import type { Doc, Encoded, Hit, IndexOptions } from '../core/types.js';
import type { ModelInfo } from '../model/encoder.js';
import type {
  AddReport,
  Backend,
  BackendPreference,
  CrashKind,
  IndexProgress,
  LoadProgress,
  OpenOptions,
  OpenReport,
  RemoteSearchOptions,
  RemoveReport,
  SearchStats,
  SearchWarning,
  WorkerApi,
} from './protocol.js';
import { spawnSearchWorker } from './spawn-worker.js';
import { WorkerConnection } from './worker-connection.js';

/**
 * Where a real user's browser gets BGE-M3 when no model is given: the
 * transformers.js ONNX export (encoder with `last_hidden_state`, int8 at
 * onnx/model_quantized.onnx). It ships no sparse/ColBERT head files, so the
 * loader falls back to dense-only unless a folder with the heads (or a
 * heads-in-graph export) is passed as `model`.
 */
export const DEFAULT_MODEL_URL = 'https://huggingface.co/Xenova/bge-m3/resolve/main/';

/** What `createSearch` takes: the worker's open options (relative URLs allowed) plus page-side callbacks. */
export interface CreateSearchOptions extends Omit<OpenOptions, 'model' | 'preset'>, PresetOption {
  /**
   * Model folder URL (absolute, or relative to the page), e.g. '/models/bge-m3/'.
   * With `preset`, it overrides the preset's hub folder (a self-hosted copy).
   * Default: the preset's hub folder, else BGE-M3 (int8) from the Hugging Face
   * hub, DEFAULT_MODEL_URL.
   */
  model?: string;
  /** Model download (bytes) and restore (documents) progress. */
  onProgress?: (p: LoadProgress) => void;
  /** Non-fatal problems: corrupt stored records, ignored options. */
  onWarning?: (w: SearchWarning) => void;
  /** Cancels opening (the model download). */
  signal?: AbortSignal;
  /** Supplies the worker (custom bundling); default: the package's own worker. */
  createWorker?: () => Worker;
}

/** The engine's write options: `batchSize`, long-document windows, `signal`, `onProgress`. */
export type { AddOptions } from '../engine/engine.js';

export type BrowserSearchOptions = RemoteSearchOptions & { signal?: AbortSignal };

export type SearchState = 'loading' | 'ready' | 'failed' | 'closed';

export interface SearchInfo {
  name: string;
  state: SearchState;
  backend?: Backend;
  model?: ModelInfo;
  storage?: Required<IndexOptions>;
  docCount: number;
}

export interface BrowserSearch {
  /** Resolves when the model is loaded and the stored index restored. */
  readonly ready: Promise<OpenReport>;
  /** The last known backend, model and document count (updated after every call). */
  readonly info: SearchInfo;
  /** Adds documents; unchanged ones (same id and content) are skipped, changed ones replaced. */
  add(docs: readonly Doc[], opts?: AddOptions): Promise<AddReport>;
  /** Replaces documents by id (adds absent ones). */
  update(docs: readonly Doc[], opts?: AddOptions): Promise<AddReport>;
  remove(ids: string | readonly string[]): Promise<RemoveReport>;
  search(query: string, opts?: BrowserSearchOptions): Promise<Hit[]>;
  clear(): Promise<void>;
  /** Deletes the stored index and ends the worker. */
  delete(): Promise<void>;
  stats(): Promise<SearchStats>;
  /** Debug: raw encoder output for texts. */
  encode(texts: readonly string[], kind?: 'query' | 'passage'): Promise<Encoded[]>;
  /**
   * Debug: makes the worker fail abruptly — close itself ('exit', default), throw an uncaught
   * error ('throw') or run out of memory ('oom') — now, or inside its next write transaction.
   */
  crashForTesting(how?: CrashKind, when?: 'now' | 'next-write'): void;
  /** Lets the worker release the model and database, then ends it. */
  close(): Promise<void>;
  /** Ends the worker now; pending calls reject with ABORTED. Committed batches stay stored. */
  terminate(): void;
}

/** Spawns the worker and resolves once the index is ready to search. */
export async function createSearch(options: CreateSearchOptions): Promise<BrowserSearch> {
  const search = openSearch(options);
  try {
    await search.ready;
  } catch (e) {
    search.terminate();
    throw e;
  }
  return search;
}

/**
 * Spawns the worker and returns at once; calls made before `ready` settles
 * reject with NOT_READY. Useful for a UI that renders while the model loads.
 */
export function openSearch(options: CreateSearchOptions): BrowserSearch {
  return new WorkerSearch(options.createWorker?.() ?? spawnSearchWorker(), options);
}

class WorkerSearch implements BrowserSearch {
  readonly ready: Promise<OpenReport>;
  private readonly conn: WorkerConnection;
  private current: SearchInfo;

  constructor(worker: Worker, options: CreateSearchOptions) {
    this.current = { name: options.name, state: 'loading', docCount: 0 };
    this.conn = new WorkerConnection(worker, () => (this.current.state = 'failed'), 'Create the search again: the stored index is intact.');
    this.ready = this.open(options);
    this.ready.catch(() => undefined); // surfaced to whoever awaits `ready`; never unhandled
  }

  get info(): SearchInfo {
    return { ...this.current };
  }

  add(docs: readonly Doc[], opts: AddOptions = {}): Promise<AddReport> {
    return this.write('add', docs, opts);
  }

  update(docs: readonly Doc[], opts: AddOptions = {}): Promise<AddReport> {
    return this.write('update', docs, opts);
  }

  remove(ids: string | readonly string[]): Promise<RemoveReport> {
    const list = typeof ids === 'string' ? [ids] : [...ids];
    return this.call((r, id) => r.remove(id, list)).then((rep) => this.counted(rep));
  }

  search(query: string, opts: BrowserSearchOptions = {}): Promise<Hit[]> {
    const { signal, ...rest } = opts;
    // Read-only: a cancelled query rejects at once; the worker drops it at its next check.
    return this.call((r, id) => r.search(id, query, rest), signal, true);
  }

  clear(): Promise<void> {
    return this.call((r) => r.clear()).then(() => {
      this.current.docCount = 0;
    });
  }

  async delete(): Promise<void> {
    await this.call((r) => r.destroy(), undefined, false, true);
    this.end('closed', new M3SearchError('NOT_READY', 'The search was deleted.'));
  }

  stats(): Promise<SearchStats> {
    return this.call((r) => r.stats()).then((s) => {
      this.current.docCount = s.docCount;
      return s;
    });
  }

  encode(texts: readonly string[], kind: 'query' | 'passage' = 'passage'): Promise<Encoded[]> {
    return this.call((r, id) => r.encode(id, [...texts], kind));
  }

  crashForTesting(how: CrashKind = 'exit', when: 'now' | 'next-write' = 'now'): void {
    void this.conn.remote.crash(how, when).catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.conn.error) return;
    await this.call((r) => r.close(), undefined, false, true).catch(() => undefined);
    this.end('closed', new M3SearchError('NOT_READY', 'The search was closed.'));
  }

  terminate(): void {
    this.end(this.current.state === 'failed' ? 'failed' : 'closed', new M3SearchError('ABORTED', 'The search worker was terminated.'));
  }

  // ------------------------------------------------------------ internals

  private async open(o: CreateSearchOptions): Promise<OpenReport> {
    const base = globalThis.location?.href;
    const abs = (u: string) => (base ? new URL(u, base).href : u);
    // An unknown preset rejects `ready` here, listing the known names, before the worker loads anything.
    const preset = o.preset === undefined ? undefined : getPreset(o.preset);
    const options: OpenOptions = {
      model: abs(o.model ?? preset?.url ?? DEFAULT_MODEL_URL),
      preset: preset?.name,
      name: o.name,
      backend: o.backend,
      dtype: o.dtype,
      storage: o.storage,
      onMismatch: o.onMismatch,
      modelCacheName: o.modelCacheName,
      numThreads: o.numThreads,
      maxLength: o.maxLength,
    };
    if (o.wasmPaths !== undefined) {
      options.wasmPaths =
        typeof o.wasmPaths === 'string'
          ? abs(o.wasmPaths)
          : { ...(o.wasmPaths.wasm ? { wasm: abs(o.wasmPaths.wasm) } : {}), ...(o.wasmPaths.mjs ? { mjs: abs(o.wasmPaths.mjs) } : {}) };
    }
    // Drop undefined keys: they clone fine but clutter the worker's view.
    for (const k of Object.keys(options) as (keyof OpenOptions)[]) if (options[k] === undefined) delete options[k];
    const onProgress = o.onProgress && proxy(o.onProgress);
    const onWarning = o.onWarning && proxy(o.onWarning);
    try {
      const report = await this.call((r, id) => r.open(id, options, onProgress, onWarning), o.signal, false, true);
      this.current = { name: o.name, state: 'ready', backend: report.backend, model: report.model, storage: report.storage, docCount: report.docCount };
      return report;
    } catch (e) {
      if (this.current.state === 'loading') this.current.state = 'failed';
      throw e;
    }
  }

  private write(kind: 'add' | 'update', docs: readonly Doc[], opts: AddOptions): Promise<AddReport> {
    const { signal: _signal, onProgress: progress, ...options } = opts;
    const onProgress = progress && proxy(progress);
    // Settles only when the worker has stopped: after a rejection nothing more of this call is written.
    return this.call((r, id) => r[kind](id, [...docs], options, onProgress), opts.signal).then((rep) => this.counted(rep));
  }

  private counted<T extends { docCount: number }>(rep: T): T {
    this.current.docCount = rep.docCount;
    return rep;
  }

  /**
   * Runs one remote call (see WorkerConnection.call); only `beforeReady` calls
   * may run while the index is loading, the others reject with NOT_READY.
   */
  private call<T>(
    run: (remote: Remote<WorkerApi>, callId: number) => Promise<T>,
    signal?: AbortSignal,
    rejectOnAbort = false,
    beforeReady = false,
  ): Promise<T> {
    if (!this.conn.error && !beforeReady && this.current.state !== 'ready') {
      return Promise.reject(new M3SearchError('NOT_READY', 'The search is not ready: the model and the stored index are still loading (await search.ready).', { state: this.current.state }));
    }
    return this.conn.call(run, signal, rejectOnAbort);
  }

  /** Ends the worker and rejects everything pending with `error`. */
  private end(state: SearchState, error: M3SearchError): void {
    if (this.conn.end(error)) this.current.state = state;
  }
}
