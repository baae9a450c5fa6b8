// A StoredRecord split across the four IndexedDB object stores, and joined
// back. Vectors stay ArrayBuffers (structured clone, never JSON), so a reopen
// reads bytes, not numbers in text.
import { foldBytes, foldValues } from '../core/checksum.js';
import type { StoredRecord } from '../core/record.js';
import type { DenseStorage, Doc, MultiStorage } from '../core/types.js';

export interface DocRow {
  doc: Doc;
  /** Content hash of the text the vectors were computed from. */
  hash: string;
  /**
   * Checksum of the three vector rows (`vectorSum`): bytes that changed in
   * storage make the record skipped and reported, not a different ranking.
   * Absent in records written before it existed (those are read unchecked).
   */
  sum?: number;
}

export interface DenseRow {
  kind: DenseStorage;
  data: ArrayBuffer;
  scale?: number;
}

export interface SparseRow {
  ids: ArrayBuffer;
  weights: ArrayBuffer;
}

export interface MultiRow {
  kind: MultiStorage;
  data: ArrayBuffer;
  scales?: ArrayBuffer;
  count: number;
  dim: number;
}

export interface RecordRows {
  doc: DocRow;
  dense: DenseRow;
  sparse: SparseRow;
  multi: MultiRow;
}

export function splitRecord(rec: StoredRecord, hash: string): RecordRows {
  const dense: DenseRow = { kind: rec.denseKind, data: rec.dense };
  if (rec.denseScale !== undefined) dense.scale = rec.denseScale;
  const multi: MultiRow = { kind: rec.multiKind, data: rec.multi, count: rec.multiCount, dim: rec.multiDim };
  if (rec.multiScales !== undefined) multi.scales = rec.multiScales;
  const sparse: SparseRow = { ids: rec.sparseIds, weights: rec.sparseWeights };
  return { doc: { doc: rec.doc, hash, sum: vectorSum(dense, sparse, multi) }, dense, sparse, multi };
}

const isBinary = (v: unknown): v is ArrayBuffer | ArrayBufferView => ArrayBuffer.isView(v) || Object.prototype.toString.call(v) === '[object ArrayBuffer]';

/** The checksum of a record's vector rows: every byte and every field the index reads. undefined when a row is not binary (decodeRecord says why). */
export function vectorSum(dense: Partial<DenseRow>, sparse: Partial<SparseRow>, multi: Partial<MultiRow>): number | undefined {
  const buffers = [dense.data, sparse.ids, sparse.weights, multi.data, ...(multi.scales === undefined ? [] : [multi.scales])];
  if (!buffers.every(isBinary)) return undefined;
  let h = foldValues(0x811c9dc5, [dense.kind, dense.scale, multi.kind, multi.count, multi.dim, multi.scales === undefined ? 0 : 1]);
  for (const b of buffers) h = foldBytes(h, b as ArrayBuffer);
  return h;
}

/**
 * Rebuilds the record from rows read back from storage. Shapes are only
 * checked loosely here (a row missing or not an object); `decodeRecord` /
 * `SearchIndex.addRecord` validate the bytes.
 */
export function joinRows(id: string, rows: Partial<Record<keyof RecordRows, unknown>>): { record: StoredRecord; hash: string } | { problem: string } {
  const missing = (['doc', 'dense', 'sparse', 'multi'] as const).filter((k) => !isObject(rows[k]));
  if (missing.length > 0) return { problem: `no ${missing.join(', ')} row` };
  const docRow = rows.doc as Partial<DocRow>;
  const dense = rows.dense as Partial<DenseRow>;
  const sparse = rows.sparse as Partial<SparseRow>;
  const multi = rows.multi as Partial<MultiRow>;
  if (!isObject(docRow.doc) || (docRow.doc as { id?: unknown }).id !== id) return { problem: 'document row does not match its key' };
  if (typeof docRow.hash !== 'string') return { problem: 'document row has no content hash' };
  if (docRow.sum !== undefined && vectorSum(dense, sparse, multi) !== docRow.sum) return { problem: 'its vectors do not match the checksum written with them (changed in storage)' };
  const record = {
    doc: docRow.doc,
    denseKind: dense.kind,
    dense: dense.data,
    sparseIds: sparse.ids,
    sparseWeights: sparse.weights,
    multiKind: multi.kind,
    multi: multi.data,
    multiCount: multi.count,
    multiDim: multi.dim,
  } as StoredRecord;
  if (dense.scale !== undefined) record.denseScale = dense.scale;
  if (multi.scales !== undefined) record.multiScales = multi.scales;
  return { record, hash: docRow.hash };
}

function isObject(v: unknown): v is object {
  return typeof v === 'object' && v !== null;
}

/** The small fields of one record's vector rows (its bytes live in the pack's `data`). */
export interface PackedHead {
  denseKind: DenseStorage;
  denseScale?: number;
  multiKind: MultiStorage;
  multiCount: number;
  multiDim: number;
}

/**
 * One committed write group stored as ONE IndexedDB value (schema 2): the
 * documents, and every vector byte of the group in one ArrayBuffer. Reading
 * a value costs far more than reading its bytes, so a reopen reads a few
 * hundred of these instead of four values per passage.
 */
export interface PackRow {
  /** Document ids, in the order of every array below. */
  ids: string[];
  docs: DocRow[];
  heads: PackedHead[];
  /** Uint32 (start, length) pairs into `data`, SEGMENTS per record; a length of NONE marks no multi scales. */
  spans: ArrayBuffer;
  data: ArrayBuffer;
}

/** dense, sparse ids, sparse weights, multi, multi scales. */
const SEGMENTS = 5;
const NONE = 0xffffffff;

/** Packs records' rows (as split by `splitRecord`, or read from a schema-1 store) into one value. */
export function packRows(ids: readonly string[], rows: readonly RecordRows[]): PackRow {
  const segs = (r: RecordRows) => [r.dense.data, r.sparse.ids, r.sparse.weights, r.multi.data, r.multi.scales];
  let total = 0;
  for (const r of rows) for (const b of segs(r)) total += b?.byteLength ?? 0;
  const data = new Uint8Array(total);
  const spans = new Uint32Array(rows.length * SEGMENTS * 2);
  let at = 0;
  rows.forEach((r, i) => {
    segs(r).forEach((b, k) => {
      const s = (i * SEGMENTS + k) * 2;
      spans[s] = at;
      if (b === undefined) return void (spans[s + 1] = NONE);
      data.set(new Uint8Array(b), at);
      spans[s + 1] = b.byteLength;
      at += b.byteLength;
    });
  });
  const heads = rows.map(({ dense, multi }) => {
    const h: PackedHead = { denseKind: dense.kind, multiKind: multi.kind, multiCount: multi.count, multiDim: multi.dim };
    if (dense.scale !== undefined) h.denseScale = dense.scale;
    return h;
  });
  return { ids: [...ids], docs: rows.map((r) => r.doc), heads, spans: spans.buffer, data: data.buffer };
}

/**
 * The rows of every record in a pack (copies of its bytes, so a record never
 * pins the whole pack), or why the pack itself cannot be read.
 */
export function unpackRows(pack: unknown): { id: string; rows: Partial<Record<keyof RecordRows, unknown>> }[] | { problem: string } {
  if (!isObject(pack)) return { problem: 'the stored group is not an object' };
  const p = pack as Partial<PackRow>;
  if (!Array.isArray(p.ids) || !Array.isArray(p.docs) || !Array.isArray(p.heads) || !isBinary(p.spans) || !isBinary(p.data)) return { problem: 'the stored group is missing a part' };
  const n = p.ids.length;
  const spans = new Uint32Array(p.spans as ArrayBuffer);
  const data = p.data as ArrayBuffer;
  if (p.docs.length !== n || p.heads.length !== n || spans.length !== n * SEGMENTS * 2) return { problem: 'the stored group\'s parts disagree in length' };
  return p.ids.map((id, i) => {
    const seg = (k: number): ArrayBuffer | undefined | null => {
      const start = spans[(i * SEGMENTS + k) * 2]!;
      const len = spans[(i * SEGMENTS + k) * 2 + 1]!;
      if (len === NONE) return undefined;
      return start + len <= data.byteLength ? data.slice(start, start + len) : null; // null: out of range
    };
    const h = p.heads![i] as Partial<PackedHead> | undefined;
    const [dense, ids, weights, multi, scales] = [0, 1, 2, 3, 4].map(seg);
    if (!isObject(h) || dense === null || ids === null || weights === null || multi === null || scales === null) return { id: String(id), rows: { doc: p.docs![i] } };
    const denseRow: Partial<DenseRow> = { kind: h.denseKind, data: dense };
    if (h.denseScale !== undefined) denseRow.scale = h.denseScale;
    const multiRow: Partial<MultiRow> = { kind: h.multiKind, data: multi, count: h.multiCount, dim: h.multiDim };
    if (scales !== undefined) multiRow.scales = scales;
    return { id: String(id), rows: { doc: p.docs![i], dense: denseRow, sparse: { ids, weights }, multi: multiRow } };
  });
}

/** The pack without the records whose ids are in `drop` (their bytes copied out, the rest untouched). */
export function dropFromPack(pack: PackRow, drop: ReadonlySet<string>): PackRow {
  const keep = pack.ids.flatMap((id, i) => (drop.has(id) ? [] : [i]));
  const spans = new Uint32Array(pack.spans);
  const src = new Uint8Array(pack.data);
  let total = 0;
  for (const i of keep) for (let k = 0; k < SEGMENTS; k++) total += spanLength(spans, i, k);
  const data = new Uint8Array(total);
  const out = new Uint32Array(keep.length * SEGMENTS * 2);
  let at = 0;
  keep.forEach((i, j) => {
    for (let k = 0; k < SEGMENTS; k++) {
      const s = (i * SEGMENTS + k) * 2;
      const t = (j * SEGMENTS + k) * 2;
      out[t] = at;
      out[t + 1] = spans[s + 1]!;
      const len = spanLength(spans, i, k);
      data.set(src.subarray(spans[s]!, spans[s]! + len), at);
      at += len;
    }
  });
  return { ids: keep.map((i) => pack.ids[i]!), docs: keep.map((i) => pack.docs[i]!), heads: keep.map((i) => pack.heads[i]!), spans: out.buffer, data: data.buffer };
}

function spanLength(spans: Uint32Array, i: number, k: number): number {
  const len = spans[(i * SEGMENTS + k) * 2 + 1]!;
  return len === NONE ? 0 : len;
}
