// Public surface of the pure core (no DOM, no Node APIs): safe to import from
// a Web Worker, Node tools and tests alike.

export * from './types.js';
export { M3SearchError, isM3SearchError, throwIfAborted, type ErrorCode } from './errors.js';

export { SearchIndex, type IndexDimensions } from './search-index.js';
export { encodeRecord, decodeRecord, recordFromData, type StoredRecord, type DecodedRecord } from './record.js';
export { encodeSnapshot, decodeSnapshot, SNAPSHOT_MAGIC, SNAPSHOT_VERSION, type Snapshot, type SnapshotDims } from './snapshot.js';

export { DenseIndex } from './dense-index.js';
export { SparseIndex, type SparseIndexOptions, type SparseIndexStats } from './sparse-index.js';
export { MultiIndex, type MaxSimOptions, type MultiIndexOptions } from './multi-index.js';
export type { SlotHit, SlotSearchOptions } from './slots.js';
export { denseAs, denseToFloat32, multiAs, multiToFloat32, type DenseData, type MultiData } from './stored.js';

export { weightedScore, rrfScore, rankOf, SIGNALS, DEFAULT_RRF_K } from './fusion.js';
export { TopK, topKOf, compareRanked, type Ranked } from './topk.js';
export {
  quantizeInt8,
  quantizeInt8Into,
  dequantizeInt8,
  quantizeRowsInt8,
  dequantizeRowsInt8,
  toHalf,
  fromHalf,
  float32ToFloat16,
  float16ToFloat32,
  float16ToFloat32Into,
  type Int8Vector,
} from './quantize.js';
export { dot, dotAt, norm, l2normalize, l2normalized, l2normalizeRows, isZero, allFinite, maxAbs } from './vector-math.js';
export { resolveIndexOptions, resolveSearchOptions, type ResolvedSearch } from './options.js';
export { checkDoc, cloneDoc, docProblem } from './doc.js';
export { crc32 } from './checksum.js';
export { nestMultiVectors, DEFAULT_MAX_MULTI_VECTORS } from './nested.js';
export { summarizeL0, L0Window, QUERY_L0_WINDOW, type L0Summary, type SparsityReport } from './sparsity.js';
