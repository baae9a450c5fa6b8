// A StoredRecord as IndexedDB values, and back. Vectors stay ArrayBuffers
// (structured clone, never JSON), so a reopen reads bytes, not numbers in text.
//
// Schema 3 (current): each write group is one pack of documents, dense and
// sparse bytes (`packGroup`), and each document's token vectors are one value
// of their own (`TokenRow`), read only when ranking scores that document.
// Schemas 1 and 2 (`RecordRows`, `PackRow`): read once, by the migrations.
import { foldBytes, foldValues } from '../core/checksum.js';
import { multiFromBytes, type StoredRecord } from '../core/record.js';
import type { MultiData } from '../core/stored.js';
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

/** One committed write group as ONE IndexedDB value in schema 2: the documents, and every vector byte of the group (read only to migrate). */
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

// ------------------------------------------------------------ schema 3

/** The small fields of one record in a schema-3 pack (its dense and sparse bytes live in the pack's `data`; its token vectors in their own value). */
export interface PackedHeadV3 {
  denseKind: DenseStorage;
  denseScale?: number;
  multiKind: MultiStorage;
  multiCount: number;
  multiDim: number;
  /** Checksum of the document's token-vector value (`tokenSum`). */
  multiSum: number;
}

/**
 * One committed write group as ONE IndexedDB value (schema 3): the documents
 * and their dense and sparse bytes. Token vectors — most of the bytes at
 * real size — are not here: a reopen reads only what the first stage needs.
 */
export interface PackV3 {
  ids: string[];
  /** `sum` covers the record's dense and sparse bytes and its head (so the token vectors' checksum too). */
  docs: DocRow[];
  heads: PackedHeadV3[];
  /** Uint32 (start, length) pairs into `data`, SEGMENTS_V3 per record. */
  spans: ArrayBuffer;
  data: ArrayBuffer;
}

/** dense, sparse ids, sparse weights. */
const SEGMENTS_V3 = 3;

/** A document's token vectors as stored: the rows' bytes, then (int8) one float32 scale per row. */
export type TokenRow = ArrayBuffer;

/** The checksum of a token-vector value. */
export function tokenSum(bytes: ArrayBuffer | ArrayBufferView): number {
  return foldBytes(0x811c9dc5, bytes);
}

function headSum(dense: DenseRow | Partial<DenseRow>, ids: unknown, weights: unknown, h: Partial<PackedHeadV3>): number | undefined {
  if (!isBinary(dense.data) || !isBinary(ids) || !isBinary(weights)) return undefined;
  let x = foldValues(0x811c9dc5, [dense.kind, dense.scale, h.multiKind, h.multiCount, h.multiDim, h.multiSum]);
  for (const b of [dense.data, ids, weights]) x = foldBytes(x, b as ArrayBuffer);
  return x;
}

/** Records' rows packed into one schema-3 pack, and each one's token-vector value (by id). */
export function packGroup(ids: readonly string[], rows: readonly RecordRows[]): { pack: PackV3; tokens: TokenRow[] } {
  let total = 0;
  for (const r of rows) total += r.dense.data.byteLength + r.sparse.ids.byteLength + r.sparse.weights.byteLength;
  const data = new Uint8Array(total);
  const spans = new Uint32Array(rows.length * SEGMENTS_V3 * 2);
  let at = 0;
  const tokens: TokenRow[] = [];
  const heads: PackedHeadV3[] = [];
  const docs: DocRow[] = [];
  rows.forEach((r, i) => {
    [r.dense.data, r.sparse.ids, r.sparse.weights].forEach((b, k) => {
      spans[(i * SEGMENTS_V3 + k) * 2] = at;
      spans[(i * SEGMENTS_V3 + k) * 2 + 1] = b.byteLength;
      data.set(new Uint8Array(b), at);
      at += b.byteLength;
    });
    const m = r.multi;
    const t = new Uint8Array(m.data.byteLength + (m.scales?.byteLength ?? 0));
    t.set(new Uint8Array(m.data), 0);
    if (m.scales !== undefined) t.set(new Uint8Array(m.scales), m.data.byteLength);
    tokens.push(t.buffer);
    const h: PackedHeadV3 = { denseKind: r.dense.kind, multiKind: m.kind, multiCount: m.count, multiDim: m.dim, multiSum: tokenSum(t) };
    if (r.dense.scale !== undefined) h.denseScale = r.dense.scale;
    heads.push(h);
    docs.push({ doc: r.doc.doc, hash: r.doc.hash, sum: headSum(r.dense, r.sparse.ids, r.sparse.weights, h)! });
  });
  return { pack: { ids: [...ids], docs, heads, spans: spans.buffer, data: data.buffer }, tokens };
}

/** One record of a schema-3 pack, its token vectors deferred (or empty when it has none), or why it cannot be read. */
export type UnpackedV3 = { id: string; hash: string; record: StoredRecord } | { id: string; problem: string };

/**
 * The records of a schema-3 pack (vector bytes copied out, so no record pins
 * the pack), each checked against its checksum; or why the pack itself cannot be read.
 */
export function unpackGroup(pack: unknown): UnpackedV3[] | { problem: string } {
  if (!isObject(pack)) return { problem: 'the stored group is not an object' };
  const p = pack as Partial<PackV3>;
  if (!Array.isArray(p.ids) || !Array.isArray(p.docs) || !Array.isArray(p.heads) || !isBinary(p.spans) || !isBinary(p.data)) return { problem: 'the stored group is missing a part' };
  const n = p.ids.length;
  const spans = new Uint32Array(p.spans as ArrayBuffer);
  const data = p.data as ArrayBuffer;
  if (p.docs.length !== n || p.heads.length !== n || spans.length !== n * SEGMENTS_V3 * 2) return { problem: "the stored group's parts disagree in length" };
  return p.ids.map((rawId, i): UnpackedV3 => {
    const id = String(rawId);
    const seg = (k: number): ArrayBuffer | undefined => {
      const start = spans[(i * SEGMENTS_V3 + k) * 2]!;
      const len = spans[(i * SEGMENTS_V3 + k) * 2 + 1]!;
      return start + len <= data.byteLength ? data.slice(start, start + len) : undefined;
    };
    const docRow = p.docs![i] as Partial<DocRow> | undefined;
    const h = p.heads![i] as Partial<PackedHeadV3> | undefined;
    if (!isObject(docRow) || !isObject(docRow.doc) || (docRow.doc as { id?: unknown }).id !== id) return { id, problem: 'document row does not match its key' };
    if (typeof docRow.hash !== 'string') return { id, problem: 'document row has no content hash' };
    const [dense, ids, weights] = [0, 1, 2].map(seg);
    if (!isObject(h) || dense === undefined || ids === undefined || weights === undefined) return { id, problem: 'its vector bytes are missing or out of range' };
    const denseRow: Partial<DenseRow> = { kind: h.denseKind, data: dense, ...(h.denseScale !== undefined ? { scale: h.denseScale } : {}) };
    if (headSum(denseRow, ids, weights, h) !== docRow.sum) return { id, problem: 'its vectors do not match the checksum written with them (changed in storage)' };
    const record = {
      doc: docRow.doc,
      denseKind: h.denseKind,
      dense,
      sparseIds: ids,
      sparseWeights: weights,
      multiKind: h.multiKind,
      multi: new ArrayBuffer(0),
      multiCount: h.multiCount,
      multiDim: h.multiDim,
    } as StoredRecord;
    if (h.denseScale !== undefined) record.denseScale = h.denseScale;
    if (h.multiKind === 'int8') record.multiScales = new ArrayBuffer(0);
    // A record without token vectors has nothing to load later.
    if (h.multiCount !== 0) record.multiDeferred = { sum: h.multiSum as number };
    return { id, hash: docRow.hash, record };
  });
}

/** The schema-3 pack without the records whose ids are in `drop`. */
export function dropFromGroup(pack: PackV3, drop: ReadonlySet<string>): PackV3 {
  const keep = pack.ids.flatMap((id, i) => (drop.has(id) ? [] : [i]));
  const spans = new Uint32Array(pack.spans);
  const src = new Uint8Array(pack.data);
  let total = 0;
  for (const i of keep) for (let k = 0; k < SEGMENTS_V3; k++) total += spans[(i * SEGMENTS_V3 + k) * 2 + 1]!;
  const data = new Uint8Array(total);
  const out = new Uint32Array(keep.length * SEGMENTS_V3 * 2);
  let at = 0;
  keep.forEach((i, j) => {
    for (let k = 0; k < SEGMENTS_V3; k++) {
      const s = (i * SEGMENTS_V3 + k) * 2;
      const t = (j * SEGMENTS_V3 + k) * 2;
      const len = spans[s + 1]!;
      out[t] = at;
      out[t + 1] = len;
      data.set(src.subarray(spans[s]!, spans[s]! + len), at);
      at += len;
    }
  });
  return { ids: keep.map((i) => pack.ids[i]!), docs: keep.map((i) => pack.docs[i]!), heads: keep.map((i) => pack.heads[i]!), spans: out.buffer, data: data.buffer };
}

/** Two schema-3 packs as one (`a`'s records first). */
export function joinGroups(a: PackV3, b: PackV3): PackV3 {
  const data = new Uint8Array(a.data.byteLength + b.data.byteLength);
  data.set(new Uint8Array(a.data), 0);
  data.set(new Uint8Array(b.data), a.data.byteLength);
  const sa = new Uint32Array(a.spans);
  const sb = new Uint32Array(b.spans);
  const spans = new Uint32Array(sa.length + sb.length);
  spans.set(sa, 0);
  for (let j = 0; j < sb.length; j += 2) {
    spans[sa.length + j] = sb[j]! + a.data.byteLength;
    spans[sa.length + j + 1] = sb[j + 1]!;
  }
  return { ids: [...a.ids, ...b.ids], docs: [...a.docs, ...b.docs], heads: [...a.heads, ...b.heads], spans: spans.buffer, data: data.buffer };
}

/** A document's token vectors read back, checked against the checksum and shape its record carries; or why not. */
export function readTokens(value: unknown, want: { kind: MultiStorage; count: number; dim: number; sum: number }): MultiData | { problem: string } {
  if (value === undefined) return { problem: 'its token vectors are not stored' };
  if (!isBinary(value)) return { problem: 'its token vectors are not binary' };
  if (tokenSum(value) !== want.sum) return { problem: 'its token vectors do not match the checksum written with them (changed in storage)' };
  return multiFromBytes(want.kind, want.count, want.dim, value) ?? { problem: 'its token vectors do not have the announced shape' };
}
