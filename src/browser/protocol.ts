// The contract between the page and the search worker. Everything here is
// plain structured-cloneable data (or a comlink-proxied callback), so it
// crosses postMessage unchanged; the same types describe the public API.
import type { ErrorCode } from '../core/errors.js';
import type { Doc, Encoded, Hit, IndexOptions, IndexStats, SearchOptions } from '../core/types.js';
import type { AddOptions, AddProgress as IndexProgress, AddReport, RemoveReport } from '../engine/engine.js';
import type { ModelInfo } from '../model/encoder.js';
import type { StoreCounts } from './store.js';

/** Where the encoder runs. */
export type Backend = 'webgpu' | 'wasm';
/** 'auto' tries WebGPU first and falls back to WASM; 'wasm' never touches the GPU. */
export type BackendPreference = 'auto' | 'wasm';

/** Options the worker needs to open an index (URLs already absolute). */
export interface OpenOptions {
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

/** What the worker exposes through comlink. Long calls take a `callId` that `cancel` aborts. */
export interface WorkerApi {
  /** Holds a Web Lock named `name` until the worker dies, so the page can notice a crash. */
  holdLifeLock(name: string): Promise<boolean>;
  open(callId: number, options: OpenOptions, onProgress?: ProgressCallback<LoadProgress>, onWarning?: ProgressCallback<SearchWarning>): Promise<OpenReport>;
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
  /** Debug: the worker closes itself at once, as if it had crashed. */
  crash(): void;
}
