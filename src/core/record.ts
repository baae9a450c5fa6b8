// The per-document persisted form. Plain data only (strings, numbers and
// ArrayBuffers), so it structured-clones into IndexedDB and across postMessage
// without any class surviving the trip; vectors are kept exactly as the index
// stores them (quantized bytes), so reloading never re-encodes or re-quantizes.

import { encodedProblem, denseDataProblem, multiDataProblem, sparseProblem } from './check-vectors.js';
import { checkDoc, cloneDoc, docProblem } from './doc.js';
import { M3SearchError } from './errors.js';
import { nestMultiVectors } from './nested.js';
import { resolveIndexOptions } from './options.js';
import { denseAs, multiAs, sparseAs, type DenseData, type MultiData } from './stored.js';
import type { DenseStorage, Doc, Encoded, IndexOptions, MultiStorage, SparseVector } from './types.js';

export interface StoredRecord {
  doc: Doc;
  denseKind: DenseStorage;
  /** Float32 values, or Int8 values for `int8`. */
  dense: ArrayBuffer;
  /** Scale of the int8 dense vector (int8 only). */
  denseScale?: number;
  /** Uint32 token ids, sorted ascending and unique. */
  sparseIds: ArrayBuffer;
  /** Float32 weights, one per id. */
  sparseWeights: ArrayBuffer;
  multiKind: MultiStorage;
  /** `multiCount × multiDim` values: Float32, Uint16 half bits, or Int8. */
  multi: ArrayBuffer;
  /** Float32 scale per multi row (int8 only). */
  multiScales?: ArrayBuffer;
  multiCount: number;
  multiDim: number;
  /**
   * Set when the token-vector bytes were left in the store (the IndexedDB
   * store keeps them apart, so a reopen reads none): `multi` and
   * `multiScales` are empty, and the index loads the `multiCount` rows only
   * when ranking needs them (`SearchIndex.provideMulti`). `sum` is the
   * store's checksum of those bytes, handed back to the store's loader.
   */
  multiDeferred?: { sum: number };
}

/** Token vectors a record left in the store: what the rows loaded later must be. */
export interface DeferredMulti {
  kind: MultiStorage;
  count: number;
  dim: number;
  /** The store's checksum of the bytes (opaque to the index). */
  sum: number;
}

/** A record's contents as typed arrays (what the indexes consume). */
export interface DecodedRecord {
  doc: Doc;
  dense: DenseData;
  sparse: SparseVector;
  multi: MultiData;
  /** The token vectors are not here (`multi` holds no rows): they are in the store. */
  deferred?: DeferredMulti;
}

/** Builds the record a document would be stored as under `options` (validates like `add`). */
export function encodeRecord(doc: Doc, enc: Encoded, options: IndexOptions = {}): StoredRecord {
  const d = checkDoc(doc);
  const problem = encodedProblem(enc);
  if (problem !== undefined) throw new M3SearchError('INVALID_DOCUMENT', `document "${d.id}": ${problem}`, { id: d.id });
  const o = resolveIndexOptions(options);
  const m = o.multiVectors === 'nested' ? nestMultiVectors(enc.multi, o.maxMultiVectors) : enc.multi;
  return recordFromData({
    doc: d,
    dense: denseAs({ kind: 'float32', data: enc.dense }, o.dense),
    sparse: sparseAs(enc.sparse, o.sparse),
    multi: multiAs({ kind: 'float32', data: m.data, count: m.count, dim: m.dim }, o.multi),
  });
}

/** Packs typed arrays into a record, copying so the record shares no memory with the index. */
export function recordFromData(d: DecodedRecord): StoredRecord {
  const rec: StoredRecord = {
    doc: cloneDoc(d.doc),
    denseKind: d.dense.kind,
    dense: copyBuffer(d.dense.data),
    sparseIds: copyBuffer(d.sparse.ids),
    sparseWeights: copyBuffer(d.sparse.weights),
    multiKind: d.multi.kind,
    multi: copyBuffer(d.multi.data),
    multiCount: d.multi.count,
    multiDim: d.multi.dim,
  };
  if (d.dense.kind === 'int8') rec.denseScale = d.dense.scale;
  if (d.multi.kind === 'int8') rec.multiScales = copyBuffer(d.multi.scales);
  return rec;
}

/**
 * Validates a record read back from storage and views its buffers as typed
 * arrays (no copy when aligned). Anything malformed → CORRUPT_RECORD.
 */
export function decodeRecord(rec: unknown): DecodedRecord {
  const fail = (why: string): never => {
    const id = typeof rec === 'object' && rec !== null ? (rec as { doc?: { id?: unknown } }).doc?.id : undefined;
    throw new M3SearchError('CORRUPT_RECORD', `stored record${typeof id === 'string' ? ` "${id}"` : ''} is corrupt: ${why}`, {
      ...(typeof id === 'string' ? { id } : {}),
    });
  };
  if (typeof rec !== 'object' || rec === null) return fail('not an object');
  const r = rec as Record<string, unknown>;
  const docBad = docProblem(r.doc);
  if (docBad !== undefined) return fail(docBad);

  let dense: DenseData;
  if (r.denseKind === 'float32') dense = { kind: 'float32', data: view(r.dense, Float32Array) ?? fail('dense bytes') };
  else if (r.denseKind === 'int8') {
    const data = view(r.dense, Int8Array) ?? fail('dense bytes');
    if (typeof r.denseScale !== 'number') return fail('missing denseScale');
    dense = { kind: 'int8', data, scale: r.denseScale };
  } else return fail(`unknown denseKind ${String(r.denseKind)}`);

  const sparse: SparseVector = {
    ids: view(r.sparseIds, Uint32Array) ?? fail('sparse id bytes'),
    weights: view(r.sparseWeights, Float32Array) ?? fail('sparse weight bytes'),
  };

  const count = r.multiCount;
  const dim = r.multiDim;
  if (typeof count !== 'number' || typeof dim !== 'number') return fail('missing multiCount/multiDim');
  if (r.multiDeferred !== undefined) {
    const sum = (r.multiDeferred as { sum?: unknown } | null)?.sum;
    if (typeof sum !== 'number') return fail('deferred token vectors without a checksum');
    if (!Number.isInteger(count) || count < 1 || !Number.isInteger(dim) || dim < 1) return fail('deferred token vectors without rows');
    const kind = r.multiKind;
    if (kind !== 'float32' && kind !== 'float16' && kind !== 'int8') return fail(`unknown multiKind ${String(kind)}`);
    const bad = denseDataProblem(dense) ?? sparseProblem(sparse);
    if (bad !== undefined) return fail(bad);
    return { doc: cloneDoc(r.doc as Doc), dense, sparse, multi: emptyMulti(kind, dim), deferred: { kind, count, dim, sum } };
  }
  let multi: MultiData;
  switch (r.multiKind) {
    case 'float32':
      multi = { kind: 'float32', data: view(r.multi, Float32Array) ?? fail('multi bytes'), count, dim };
      break;
    case 'float16':
      multi = { kind: 'float16', data: view(r.multi, Uint16Array) ?? fail('multi bytes'), count, dim };
      break;
    case 'int8':
      multi = {
        kind: 'int8',
        data: view(r.multi, Int8Array) ?? fail('multi bytes'),
        scales: view(r.multiScales, Float32Array) ?? fail('multi scale bytes'),
        count,
        dim,
      };
      break;
    default:
      return fail(`unknown multiKind ${String(r.multiKind)}`);
  }

  const bad = denseDataProblem(dense) ?? sparseProblem(sparse) ?? multiDataProblem(multi);
  if (bad !== undefined) return fail(bad);
  return { doc: cloneDoc(r.doc as Doc), dense, sparse, multi };
}

/** No rows, in the given kind. */
export function emptyMulti(kind: MultiStorage, dim: number): MultiData {
  if (kind === 'int8') return { kind, data: new Int8Array(0), scales: new Float32Array(0), count: 0, dim };
  return kind === 'float16' ? { kind, data: new Uint16Array(0), count: 0, dim } : { kind, data: new Float32Array(0), count: 0, dim };
}

/** Token-vector bytes as the index consumes them; undefined when they do not make `count × dim` rows of `kind` (scales after the rows for int8). */
export function multiFromBytes(kind: MultiStorage, count: number, dim: number, bytes: ArrayBuffer | ArrayBufferView): MultiData | undefined {
  const n = count * dim;
  const per = kind === 'float32' ? 4 : kind === 'float16' ? 2 : 1;
  const want = n * per + (kind === 'int8' ? count * 4 : 0);
  const u8 = ArrayBuffer.isView(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : new Uint8Array(bytes);
  if (u8.byteLength !== want) return undefined;
  let m: MultiData;
  if (kind === 'int8') {
    m = { kind, data: new Int8Array(u8.buffer, u8.byteOffset, n), scales: view(u8.subarray(n), Float32Array)!, count, dim };
  } else if (kind === 'float16') m = { kind, data: view(u8, Uint16Array)!, count, dim };
  else m = { kind, data: view(u8, Float32Array)!, count, dim };
  return multiDataProblem(m) === undefined ? m : undefined;
}

type TypedCtor<T> = {
  new (buffer: ArrayBuffer, byteOffset: number, length: number): T;
  new (length: number): T;
  readonly BYTES_PER_ELEMENT: number;
};

/**
 * Views an ArrayBuffer (or any ArrayBufferView's bytes) as `ctor`; undefined
 * when it is not binary data or its length is not a whole number of elements.
 * Uses a tag check so buffers from another realm (IndexedDB shims) pass.
 */
function view<T>(v: unknown, ctor: TypedCtor<T>): T | undefined {
  let buf: ArrayBuffer;
  let off = 0;
  let len: number;
  if (Object.prototype.toString.call(v) === '[object ArrayBuffer]') {
    buf = v as ArrayBuffer;
    len = buf.byteLength;
  } else if (ArrayBuffer.isView(v)) {
    buf = v.buffer as ArrayBuffer;
    off = v.byteOffset;
    len = v.byteLength;
  } else return undefined;
  const bpe = ctor.BYTES_PER_ELEMENT;
  if (len % bpe !== 0) return undefined;
  if (off % bpe === 0) return new ctor(buf, off, len / bpe);
  const copy = new ArrayBuffer(len);
  new Uint8Array(copy).set(new Uint8Array(buf, off, len));
  return new ctor(copy, 0, len / bpe);
}

function copyBuffer(a: ArrayBufferView): ArrayBuffer {
  const out = new ArrayBuffer(a.byteLength);
  new Uint8Array(out).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return out;
}

/**
 * Many stored records at once, column by column (how the IndexedDB store
 * keeps a pack), for `SearchIndex.addBlock`: row `i`'s dense vector is
 * `dense[i·dim … (i+1)·dim)`, its sparse vector the ids and weights in
 * `[sparseEnds[i−1] (0 for the first), sparseEnds[i])`, and its token vectors
 * are left in the store (`multiCounts[i]` rows, `multiSums[i]` the store's
 * checksum; a count of 0: none). The arrays are adopted, not copied: the
 * caller hands them over.
 */
export interface StoredBlock {
  docs: readonly unknown[];
  dim: number;
  dense: { kind: 'float32'; data: Float32Array } | { kind: 'int8'; data: Int8Array; scales: Float32Array };
  sparseEnds: Uint32Array;
  sparseIds: Uint32Array;
  sparseWeights: Float32Array;
  multiKind: MultiStorage;
  multiDim: number;
  multiCounts: Uint32Array;
  multiSums: Uint32Array;
}

/** Why row `row` of a block was not added. */
export interface BlockProblem {
  row: number;
  reason: string;
}
