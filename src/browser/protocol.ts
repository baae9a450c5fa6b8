// The contract between the page and the search worker, for both an index
// built in the page (open/add/search) and a static-site index (openSite/
// searchSite). Everything here is plain structured-cloneable data (or a
// comlink-proxied callback), so it crosses postMessage unchanged; the same
// types describe the public API.
import type { SiteMode } from '../site/query.js';
import type { ErrorCode } from '../core/errors.js';
import type { Doc, Encoded, Hit, IndexOptions, IndexStats, SearchOptions } from '../core/types.js';
import type { AddOptions, AddProgress as IndexProgress, AddReport, RemoveReport } from '../engine/engine.js';
import type { ModelInfo } from '../model/encoder.js';
import type { PresetOption } from '../model/presets.js';
import type { SiteResults } from '../site/search.js';
import type { StoreCounts } from './store.js';

export type { SiteHit, SiteResults } from '../site/search.js';

/** Where the encoder runs. */
export type Backend = 'webgpu' | 'wasm';
/** 'auto' tries WebGPU first and falls back to WASM; 'wasm' never touches the GPU. */
export type BackendPreference = 'auto' | 'wasm';

/** Options the worker needs to open an index (URLs already absolute). */
export interface OpenOptions extends PresetOption {
  /** Model folder URL (absolute). */
  model: string;
  /** Index name: one IndexedDB database per name. */
  name: string;
  backend?: BackendPreference;
  /** 'q8' (default) prefers onnx/model_quantized.onnx, 'fp32' onnx/model.onnx. */
  dtype?: 'q8' | 'fp32';
  /** Quantization of a new index (an existing one keeps its own). */
  storage?: IndexOptions;
  /** A stored index built by another model or schema: throw (default) or discard and start empty. */
  onMismatch?: 'error' | 'rebuild';
  /** Cache API bucket for model files; false disables caching (default 'm3search-models'). */
  modelCacheName?: string | false;
  /** Where ONNX Runtime's .wasm (and optionally .mjs) files are served (absolute URLs or prefix). */
  wasmPaths?: string | { wasm?: string; mjs?: string };
  /** WASM threads (default: 1 unless the page is cross-origin isolated). */
  numThreads?: number;
  /** Overrides the model's max tokens per text. */
  maxLength?: number;
}

export type LoadProgress =
  /** Model bytes fetched so far across files (`total` sums the sizes known so far). */
  | { phase: 'model'; file: string; loaded: number; total?: number }
  /** Stored documents read back from IndexedDB. */
  | { phase: 'restore'; loaded: number; total: number };

export interface SkippedRecord {
  id: string;
  reason: string;
}

export interface OpenReport {
  name: string;
  backend: Backend;
  /** Why WebGPU was not used, when it was not. */
  backendNote?: string;
  /** ONNX Runtime's WASM threads: more than 1 only on a cross-origin-isolated page (COOP + COEP headers). */
  wasmThreads: number;
  model: ModelInfo;
  storage: Required<IndexOptions>;
  docCount: number;
  /** Documents restored from IndexedDB without encoding. */
  restored: number;
  /** Stored records that failed to decode; they are left out of the index (re-add them to repair). */
  skipped: SkippedRecord[];
  /** Set when `onMismatch: 'rebuild'` discarded a stored index. */
  rebuilt?: 'MODEL_MISMATCH' | 'SCHEMA_MISMATCH';
  /** True when the database did not exist before. */
  created: boolean;
  /**
   * modelMs: download + session + probe; restoreMs: reading IndexedDB and rebuilding the
   * in-memory index (buildMs of it: the index build); openMs: both, which overlap (the index
   * is read while the model loads).
   */
  timings: { modelMs: number; restoreMs: number; buildMs: number; openMs: number };
}

/** Something the user should know that did not stop the operation. */
export interface SearchWarning {
  code: ErrorCode | 'INCONSISTENT_STORE' | 'STORAGE_OPTIONS_IGNORED';
  message: string;
  details?: Record<string, unknown>;
}

// Writes are the engine's: one progress, options and report vocabulary everywhere.
export type { AddProgress as IndexProgress, AddReport, RemoveReport } from '../engine/engine.js';

/** Write options that can cross to the worker (`signal` and `onProgress` cross separately). */
export type WriteOptions = Omit<AddOptions, 'signal' | 'onProgress'>;

/** Search options that can cross to the worker (a `filter` function cannot). */
export type RemoteSearchOptions = Omit<SearchOptions, 'filter'>;

export interface SearchStats {
  name: string;
  backend: Backend;
  model: ModelInfo;
  docCount: number;
  /** Encoder forward passes since the worker started (0 after a pure reopen). */
  encoderPasses: number;
  index: IndexStats;
  /** Rows in each object store and the count in meta; equal when the store is consistent. */
  stored: StoreCounts;
  consistent: boolean;
}

export type ProgressCallback<P> = (p: P) => void;

/** Options the worker needs to open a static-site index (URLs already absolute). */
export interface SiteOpenOptions extends PresetOption {
  /** Absolute URL of the index folder (ends with '/'), where manifest.json is. */
  index: string;
  /**
   * Absolute model folder URL; undefined: the model copied next to the index,
   * else the preset's hub folder (`preset`), if any; 'none': keyword search only.
   * The index's recorded conventions (manifest `model.conventions`) win over the
   * preset's, so queries are encoded as the passages were.
   */
  model?: string;
  /**
   * When the model downloads: 'auto' (default) right after the first keyword
   * answer; 'on-request' only once the page calls `loadModel()` (a status
   * `model-available` says which model and, for a copied one, how many bytes).
   */
  modelLoad?: 'auto' | 'on-request';
  /** Nested indexes: multi-vector rows scored per passage (default: every stored row). */
  multiVectorBudget?: number;
  backend?: BackendPreference;
  /** 'q8' (default) prefers onnx/model_quantized.onnx, 'fp32' onnx/model.onnx: the one the index was built with. */
  dtype?: 'q8' | 'fp32';
  /** Where ONNX Runtime's .wasm (and .mjs) files are served; default: the worker's own copies. */
  wasmPaths?: string | { wasm?: string; mjs?: string };
  numThreads?: number;
}

/** What a static-site search reports while it opens, loads the model and saves its offline copy. */
export type SiteStatus =
  | { kind: 'index'; source: 'network' | 'offline-copy'; build: string; passages: number }
  | { kind: 'keyword-ready' }
  | { kind: 'model-available'; url: string; bytes?: number }
  | { kind: 'model-loading'; url: string; bytes?: number }
  | { kind: 'model-progress'; loaded: number; total?: number }
  /** `wasmThreads`: ONNX Runtime's WASM threads, more than 1 only on a cross-origin-isolated page (COOP + COEP). */
  | { kind: 'hybrid-ready'; backend: Backend; backendNote?: string; wasmThreads: number }
  | { kind: 'offline-saving'; done: number; total: number }
  | { kind: 'offline-saved'; build: string; files: number }
  /** `where`: 'open' (no index to search), 'model' (keyword search goes on), 'offline' (no offline copy), 'worker' (crashed). */
  | { kind: 'error'; where: 'open' | 'model' | 'offline' | 'worker'; code: ErrorCode; message: string };

export interface SiteOpenReport {
  build: string;
  /** Absolute URL of the site root (hit URLs are relative to it). */
  siteRoot: string;
  source: 'network' | 'offline-copy';
  passages: number;
  /** Whether a model is being loaded for the hybrid mode. */
  hasModel: boolean;
  /** The id of the model the index was built with (its manifest's `model.id`); null for a keyword-only index. */
  modelId: string | null;
}

/**
 * A static-site query: the engine's search options (one vocabulary on every
 * surface; `filter` cannot cross to the worker), plus the mode: default
 * 'hybrid' once the model has loaded, 'keyword' (no model) before; 'sparse'
 * from the first query on an index built with a doc-only model (no model to load).
 * A mode that needs the model before it has loaded fails with NOT_READY.
 */
export type SiteQueryOptions = Omit<RemoteSearchOptions, 'mode'> & { mode?: SiteMode };

/** How the debug `crash` call makes the worker fail. */
export type CrashKind = 'exit' | 'throw' | 'oom';

/** What the worker exposes through comlink. Long calls take a `callId` that `cancel` aborts. */
export interface WorkerApi {
  /** Holds a Web Lock named `name` until the worker dies, so the page can notice a crash. */
  holdLifeLock(name: string): Promise<boolean>;
  open(callId: number, options: OpenOptions, onProgress?: ProgressCallback<LoadProgress>, onWarning?: ProgressCallback<SearchWarning>): Promise<OpenReport>;
  /** Opens a static-site index instead (one per worker); keyword search works as soon as it resolves. */
  openSite(callId: number, options: SiteOpenOptions, onStatus?: ProgressCallback<SiteStatus>): Promise<SiteOpenReport>;
  /** Searches the static-site index: keyword mode until the model has loaded, hybrid after. */
  searchSite(callId: number, query: string, options: SiteQueryOptions): Promise<SiteResults>;
  /** Starts the model download of a site opened with `modelLoad: 'on-request'` (no-op if it has started or there is none). */
  loadSiteModel(): Promise<void>;
  add(callId: number, docs: Doc[], options: WriteOptions, onProgress?: ProgressCallback<IndexProgress>): Promise<AddReport>;
  update(callId: number, docs: Doc[], options: WriteOptions, onProgress?: ProgressCallback<IndexProgress>): Promise<AddReport>;
  remove(callId: number, ids: string[]): Promise<RemoveReport>;
  search(callId: number, query: string, options: RemoteSearchOptions): Promise<Hit[]>;
  /** Debug: the raw encoder output for texts (compare backends). */
  encode(callId: number, texts: string[], kind: 'query' | 'passage'): Promise<Encoded[]>;
  clear(): Promise<void>;
  /** Closes and deletes the index's database. */
  destroy(): Promise<void>;
  stats(): Promise<SearchStats>;
  cancel(callId: number): void;
  /** Releases the model and the database; the worker can then be terminated. */
  close(): Promise<void>;
  /**
   * Debug: the worker fails as `how` says — 'exit' closes itself, 'throw' raises an uncaught
   * error, 'oom' allocates until the JavaScript heap is exhausted — at once, or (`'next-write'`)
   * inside the next IndexedDB write transaction, before it commits.
   */
  crash(how?: CrashKind, when?: 'now' | 'next-write'): void;
}
