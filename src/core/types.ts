// Shared shapes of the pure core. Nothing here touches a browser or Node API,
// so the worker, Node tools and tests all speak the same types.

/** JSON-safe user metadata carried with a document and returned with hits. */
export type Metadata = Record<string, unknown>;

/** A document as a user hands it to the index. */
export interface Doc {
  id: string;
  text: string;
  title?: string;
  url?: string;
  meta?: Metadata;
}

/**
 * A sparse vector: token ids sorted ascending and unique, with their weights.
 * Both BGE-M3 lexical weights and SPLADE vectors use this shape.
 */
export interface SparseVector {
  ids: Uint32Array;
  weights: Float32Array;
}

/** Token vectors of one passage, row-major `count × dim`, each row L2-normalized. */
export interface MultiVector {
  data: Float32Array;
  count: number;
  dim: number;
}

/** The three representations of one text, produced by one encoder pass. */
export interface Encoded {
  dense: Float32Array;
  sparse: SparseVector;
  multi: MultiVector;
  /** Tokens the encoder saw, special tokens included. */
  tokens: number;
  /** True when the text was longer than the model's max length and was cut. */
  truncated: boolean;
}

/**
 * How to rank: by one signal of the model, `hybrid` (their fusion), or
 * `keyword` (the model-free analyzer's BM25: src/core/keyword-index.ts; no
 * encoder call, answered by M3Search and static sites).
 */
export type Mode = 'dense' | 'sparse' | 'multi' | 'hybrid' | 'keyword';
export type Signal = 'dense' | 'sparse' | 'multi';
export type Fusion = 'weighted' | 'rrf';

export interface Weights {
  dense: number;
  sparse: number;
  multi: number;
}

/** BGE-M3's recommended mix. */
export const DEFAULT_WEIGHTS: Readonly<Weights> = Object.freeze({ dense: 0.4, sparse: 0.2, multi: 0.4 });

/** How vectors are held in memory and on disk. */
export type DenseStorage = 'float32' | 'int8';
export type MultiStorage = 'float32' | 'float16' | 'int8';
/** Sparse weights as given, or rounded to float16 (what static-site shards store). */
export type SparseStorage = 'float32' | 'float16';

/**
 * Which token vectors a passage keeps: `all` of them, or a `nested` ordered
 * set of at most `maxMultiVectors` centroids whose every prefix (first 1, 2,
 * 4, …) is a usable summary, so `multiVectorBudget` can trade quality for
 * speed at query time on one stored index.
 */
export type MultiVectorLayout = 'all' | 'nested';

export interface IndexOptions {
  /** Dense vector precision (default 'float32'). */
  dense?: DenseStorage;
  /** Sparse weight precision (default 'float32'; 'float16' matches a static-site index bit for bit). */
  sparse?: SparseStorage;
  /** Token-vector precision (default 'float16'). */
  multi?: MultiStorage;
  /** Token-vector layout per passage (default 'all'). Persisted with the index. */
  multiVectors?: MultiVectorLayout;
  /** Rows kept per passage under `multiVectors: 'nested'` (default 32). */
  maxMultiVectors?: number;
}

export interface SearchOptions {
  /** Hits to return (default 10). */
  k?: number;
  mode?: Mode;
  weights?: Partial<Weights>;
  fusion?: Fusion;
  /** Depth of each first-stage list (dense top-N ∪ sparse top-N) before fusion (default max(100, 10·k)). */
  candidates?: number;
  /** RRF constant (default 60). */
  rrfK?: number;
  /** Score each candidate with only its first n stored multi-vectors (flexible late interaction). */
  multiVectorBudget?: number;
  /**
   * Score with only the query's first n multi-vectors (on a `nested` index the
   * query is reduced the same way first, so its first n rows summarize it).
   */
  queryVectorBudget?: number;
  /**
   * Coarse-to-fine: score the first-stage candidates with only this many
   * stored vectors each, keep the best `coarseDepth`, and re-rank those with
   * `multiVectorBudget` (or all vectors). `0` ranks the coarse pass by dense
   * and sparse alone, so token vectors are read only for the `coarseDepth`
   * survivors (what a static site does: its multi-vector shards are fetched
   * per query). Hybrid and multi modes only; default: no coarse pass.
   */
  coarseBudget?: number;
  /** Candidates kept for the fine pass (default max(30, 3·k)). */
  coarseDepth?: number;
  /** Keep only documents for which this returns true. */
  filter?: (doc: Readonly<Doc>) => boolean;
}

/** One signal's own opinion about a hit. */
export interface SignalScore {
  score: number;
  /** 1-based rank of this document among the candidates by this signal alone. */
  rank: number;
}

/** Where in a long document the best-matching window lies (documents indexed as windows). */
export interface HitWindow {
  /** 0-based window number. */
  index: number;
  /** Windows the document was split into. */
  count: number;
  /** UTF-16 offsets of the window in the original text. */
  start: number;
  end: number;
  /** The window's text: use it as the snippet. */
  text: string;
}

export interface Hit {
  id: string;
  /** Final fused score (or the single signal's score in a single-signal mode). */
  score: number;
  doc: Doc;
  /** Each signal's own score and rank (`keyword` in keyword mode). */
  signals: Partial<Record<Signal | 'keyword', SignalScore>>;
  /** Set when the document was indexed as windows: the best window. */
  window?: HitWindow;
}

/** Bytes held by each representation (vector data of live documents). */
export interface IndexBytes {
  dense: number;
  /** Postings (including not-yet-compacted stale ones) plus each document's own sparse vector. */
  sparse: number;
  multi: number;
  /** Estimate: UTF-8 JSON size of the stored documents. */
  docs: number;
  total: number;
}

/** What an index holds, for diagnostics and memory budgeting. */
export interface IndexStats {
  docs: number;
  /** Dense dimension (0 until the first document). */
  denseDim: number;
  /** Multi-vector dimension (0 until the first document with token vectors). */
  multiDim: number;
  /** Token vectors held across all documents. */
  multiRows: number;
  /** Live postings in the sparse inverted index. */
  postings: number;
  /** Distinct token ids occurring in at least one live document. */
  terms: number;
  bytes: IndexBytes;
  options: Required<IndexOptions>;
  /** Which implementation runs each inner loop: WebAssembly SIMD, or TypeScript where SIMD is unavailable ('none' before the first vector). */
  kernels: { denseScan: 'wasm-simd' | 'js' | 'none'; maxSim: 'wasm-simd' | 'js' };
}
