// A StoredRecord as IndexedDB values, and back. Vectors stay ArrayBuffers
// (structured clone, never JSON), so a reopen reads bytes, not numbers in text.
//
// Schema 4 (current): each pack holds up to PACK_MAX documents column by
// column (`PackV4`: one contiguous block of dense rows, the sparse vectors as
// one CSR triple, counts and checksums as typed arrays), so a reopen adopts a
// pack's arrays into the index (`SearchIndex.addBlock`) instead of building
// one object per document; each document's token vectors are one value of
// their own (`TokenRow`), read only when ranking scores that document.
// Schemas 1, 2 and 3 (`RecordRows`, `PackRow`, `PackV3`): read once, by the migrations.
import { foldBytes, foldNumber, foldValues, foldWords } from '../core/checksum.js';
import { M3SearchError } from '../core/errors.js';
import { multiFromBytes, type StoredBlock, type StoredRecord } from '../core/record.js';
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
export { SEGMENTS_V3 };

/** A document's token vectors as stored: the rows' bytes, then (int8) one float32 scale per row. */
export type TokenRow = ArrayBuffer;

/** The checksum of a token-vector value. */
export function tokenSum(bytes: ArrayBuffer | ArrayBufferView): number {
  return foldBytes(0x811c9dc5, bytes);
}

export function headSum(dense: DenseRow | Partial<DenseRow>, ids: unknown, weights: unknown, h: Partial<PackedHeadV3>): number | undefined {
  if (!isBinary(dense.data) || !isBinary(ids) || !isBinary(weights)) return undefined;
  let x = foldValues(0x811c9dc5, [dense.kind, dense.scale, h.multiKind, h.multiCount, h.multiDim, h.multiSum]);
  for (const b of [dense.data, ids, weights]) x = foldBytes(x, b as ArrayBuffer);
  return x;
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

/** A document's token vectors read back, checked against the checksum and shape its record carries; or why not. */
export function readTokens(value: unknown, want: { kind: MultiStorage; count: number; dim: number; sum: number }): MultiData | { problem: string } {
  if (value === undefined) return { problem: 'its token vectors are not stored' };
  if (!isBinary(value)) return { problem: 'its token vectors are not binary' };
  if (tokenSum(value) !== want.sum) return { problem: 'its token vectors do not match the checksum written with them (changed in storage)' };
  return multiFromBytes(want.kind, want.count, want.dim, value) ?? { problem: 'its token vectors do not have the announced shape' };
}

// ------------------------------------------------------------ schema 4

/**
 * Up to PACK_MAX documents as ONE IndexedDB value (schema 4), column by
 * column: a reopen reads few values and adopts their arrays. Token vectors
 * are not here (one `tokens` value per document).
 */
export interface PackV4 {
  /** Document ids, in the order of every column below. */
  ids: string[];
  docs: Doc[];
  /** Content hash of the text each document's vectors were computed from. */
  hashes: string[];
  /** Uint32 per document: checksum of its dense row and scale, sparse vector and token-vector count and checksum (`rowSum`). */
  sums: ArrayBuffer;
  denseKind: DenseStorage;
  dim: number;
  /** `ids.length × dim` values, row after row: Float32, or Int8 for `int8`. */
  dense: ArrayBuffer;
  /** Float32 scale per row (`int8` only). */
  denseScales?: ArrayBuffer;
  /** Uint32 per document: where its sparse vector ends in `sparseIds` / `sparseWeights` (CSR). */
  sparseEnds: ArrayBuffer;
  sparseIds: ArrayBuffer;
  sparseWeights: ArrayBuffer;
  multiKind: MultiStorage;
  multiDim: number;
  /** Uint32 per document: its token-vector rows (0: none). */
  multiCounts: ArrayBuffer;
  /** Uint32 per document: checksum of its token-vector value (`tokenSum`). */
  multiSums: ArrayBuffer;
}

/** One document's part of a pack: bytes as stored, and its checksum when it is carried over from a stored pack (never recomputed, so damage stays visible). */
export interface PackEntry {
  id: string;
  doc: Doc;
  hash: string;
  denseKind: DenseStorage;
  dense: Uint8Array;
  scale?: number;
  sparseIds: Uint8Array;
  sparseWeights: Uint8Array;
  multiKind: MultiStorage;
  multiCount: number;
  multiDim: number;
  multiSum: number;
  sum?: number;
}

const SEED = 0x811c9dc5;

/** What every row's checksum of a pack starts from: the pack's kinds and multi dimension. */
function packSeed(p: { denseKind: DenseStorage; multiKind: MultiStorage; multiDim: number }): number {
  return foldValues(SEED, [p.denseKind, p.multiKind, p.multiDim]);
}

/**
 * The checksum of one document's row of a pack: its dense scale, token-vector
 * count and checksum, then its dense, sparse id and weight bytes (each a
 * whole number of 4-byte words at a word-aligned offset of its column, or
 * folded byte by byte otherwise), from the pack's seed.
 */
function rowSum(seed: number, scale: number | undefined, count: number, msum: number, dense: Col, ids: Col, weights: Col): number {
  let h = scale === undefined ? Math.imul(seed ^ 0xffffffff, 0x01000193) >>> 0 : foldNumber(seed, scale);
  h = foldNumber(foldNumber(h, count), msum);
  return foldCol(foldCol(foldCol(h, dense), ids), weights);
}

/** A byte range of a column: its bytes, and a word view of the whole column when it has one. */
interface Col {
  bytes: Uint8Array;
  words: Uint32Array | undefined;
  from: number;
  to: number;
}

function foldCol(h: number, c: Col): number {
  if (c.words !== undefined && c.from % 4 === 0 && c.to % 4 === 0) return foldWords(h, c.words, c.from / 4, c.to / 4);
  return foldBytes(h, c.bytes.subarray(c.from, c.to));
}

function colOf(bytes: Uint8Array): (from: number, to: number) => Col {
  const words = bytes.byteOffset % 4 === 0 && bytes.byteLength % 4 === 0 ? new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4) : undefined;
  return (from, to) => ({ bytes, words, from, to });
}

const u8 = (b: ArrayBuffer | ArrayBufferView): Uint8Array => (ArrayBuffer.isView(b) ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : new Uint8Array(b));

/** A record's rows (from `splitRecord`) as a pack entry, with its token-vector value. */
export function packEntry(id: string, r: RecordRows): { entry: PackEntry; tokens: TokenRow } {
  const m = r.multi;
  const t = new Uint8Array(m.data.byteLength + (m.scales?.byteLength ?? 0));
  t.set(u8(m.data), 0);
  if (m.scales !== undefined) t.set(u8(m.scales), m.data.byteLength);
  const entry: PackEntry = {
    id,
    doc: r.doc.doc,
    hash: r.doc.hash,
    denseKind: r.dense.kind,
    dense: u8(r.dense.data),
    sparseIds: u8(r.sparse.ids),
    sparseWeights: u8(r.sparse.weights),
    multiKind: m.kind,
    multiCount: m.count,
    multiDim: m.dim,
    multiSum: tokenSum(t),
  };
  if (r.dense.scale !== undefined) entry.scale = r.dense.scale;
  return { entry, tokens: t.buffer };
}

/**
 * Entries as one schema-4 pack. They must share the dense kind and
 * dimension and the multi kind (one index's storage); the pack's multi
 * dimension is that of the entries with token vectors.
 */
export function packV4(entries: readonly PackEntry[]): PackV4 {
  const n = entries.length;
  const first = entries[0];
  if (first === undefined) throw new M3SearchError('STORAGE', 'An empty group of documents cannot be stored.');
  const denseKind = first.denseKind;
  const multiKind = first.multiKind;
  const dim = first.dense.byteLength / (denseKind === 'int8' ? 1 : 4);
  let multiDim = 0;
  let nnz = 0;
  for (const e of entries) {
    if (e.multiCount > 0) multiDim ||= e.multiDim;
    const edim = e.dense.byteLength / (e.denseKind === 'int8' ? 1 : 4);
    if (e.denseKind !== denseKind || e.multiKind !== multiKind || edim !== dim || (e.multiCount > 0 && e.multiDim !== multiDim)) {
      throw new M3SearchError('STORAGE', `The document "${e.id}" is stored in another shape than the rest of its group (${e.denseKind} ${edim}-d / ${e.multiKind} ${e.multiDim}-d, not ${denseKind} ${dim}-d / ${multiKind} ${multiDim}-d).`, { id: e.id });
    }
    nnz += e.sparseIds.byteLength / 4;
  }
  const dense = new Uint8Array(first.dense.byteLength * n);
  const scales = new Float32Array(n);
  const ends = new Uint32Array(n);
  const ids = new Uint8Array(nnz * 4);
  const weights = new Uint8Array(nnz * 4);
  const counts = new Uint32Array(n);
  const msums = new Uint32Array(n);
  const sums = new Uint32Array(n);
  let at = 0;
  entries.forEach((e, i) => {
    dense.set(e.dense, i * e.dense.byteLength);
    scales[i] = e.scale ?? 0;
    ids.set(e.sparseIds, at * 4);
    weights.set(e.sparseWeights.subarray(0, e.sparseIds.byteLength), at * 4);
    at += e.sparseIds.byteLength / 4;
    ends[i] = at;
    counts[i] = e.multiCount;
    msums[i] = e.multiSum;
  });
  const pack: PackV4 = {
    ids: entries.map((e) => e.id),
    docs: entries.map((e) => e.doc),
    hashes: entries.map((e) => e.hash),
    sums: sums.buffer,
    denseKind,
    dim,
    dense: dense.buffer,
    sparseEnds: ends.buffer,
    sparseIds: ids.buffer,
    sparseWeights: weights.buffer,
    multiKind,
    multiDim,
    multiCounts: counts.buffer,
    multiSums: msums.buffer,
  };
  if (denseKind === 'int8') pack.denseScales = scales.buffer;
  const seed = packSeed(pack);
  const denseCol = colOf(dense);
  const idCol = colOf(ids);
  const weightCol = colOf(weights);
  const row = first.dense.byteLength;
  entries.forEach((e, i) => {
    const from = (i === 0 ? 0 : ends[i - 1]!) * 4;
    const to = ends[i]! * 4;
    // The scale as stored (float32, as the index keeps it too), not as given.
    sums[i] = e.sum ?? rowSum(seed, e.scale === undefined ? undefined : scales[i], e.multiCount, e.multiSum, denseCol(i * row, (i + 1) * row), idCol(from, to), weightCol(from, to));
  });
  return pack;
}

/** A pack's columns as typed arrays, or why they do not fit together. */
interface PackColumns {
  n: number;
  pack: PackV4;
  block: StoredBlock;
  sums: Uint32Array;
}

function columns(value: unknown): PackColumns | { problem: string } {
  if (!isObject(value)) return { problem: 'the stored group is not an object' };
  const p = value as Partial<PackV4>;
  const binary = [p.sums, p.dense, p.sparseEnds, p.sparseIds, p.sparseWeights, p.multiCounts, p.multiSums];
  if (!Array.isArray(p.ids) || !Array.isArray(p.docs) || !Array.isArray(p.hashes) || !binary.every(isBinary) || (p.denseKind === 'int8' && !isBinary(p.denseScales))) {
    return { problem: 'the stored group is missing a part' };
  }
  const n = p.ids.length;
  const { dim, multiDim, denseKind } = p;
  const words = (b: unknown) => (b as ArrayBuffer).byteLength % 4 === 0;
  if (typeof dim !== 'number' || !Number.isInteger(dim) || dim < 1 || typeof multiDim !== 'number' || !Number.isInteger(multiDim) || multiDim < 0) return { problem: 'the stored group has no valid dimensions' };
  if (denseKind !== 'int8' && denseKind !== 'float32') return { problem: `the stored group has an unknown dense kind ${String(denseKind)}` };
  const per = denseKind === 'int8' ? 1 : 4;
  if (!binary.every(words) || (p.denseKind === 'int8' && !words(p.denseScales)) || (p.dense as ArrayBuffer).byteLength !== n * dim * per) return { problem: "the stored group's parts disagree in length" };
  const arr = <T>(ctor: new (b: ArrayBuffer) => T, b: unknown): T => new ctor(b as ArrayBuffer);
  const block: StoredBlock = {
    docs: p.docs,
    dim,
    dense: denseKind === 'int8' ? { kind: 'int8', data: arr(Int8Array, p.dense), scales: arr(Float32Array, p.denseScales) } : { kind: 'float32', data: arr(Float32Array, p.dense) },
    sparseEnds: arr(Uint32Array, p.sparseEnds),
    sparseIds: arr(Uint32Array, p.sparseIds),
    sparseWeights: arr(Float32Array, p.sparseWeights),
    multiKind: p.multiKind as MultiStorage,
    multiDim,
    multiCounts: arr(Uint32Array, p.multiCounts),
    multiSums: arr(Uint32Array, p.multiSums),
  };
  const sums = arr(Uint32Array, p.sums);
  const scales = block.dense.kind === 'int8' ? block.dense.scales.length : n;
  if (p.docs.length !== n || p.hashes.length !== n || sums.length !== n || scales !== n || block.sparseEnds.length !== n || block.multiCounts.length !== n || block.multiSums.length !== n || block.sparseIds.length !== block.sparseWeights.length) {
    return { problem: "the stored group's parts disagree in length" };
  }
  return { n, pack: p as PackV4, block, sums };
}

/** A schema-4 pack read back: its columns for `SearchIndex.addBlock`, the rows that passed their checks, and why the others did not. */
export interface ReadPack {
  block: StoredBlock;
  ids: string[];
  hashes: string[];
  /** Rows whose checksum, key and hash hold (still checked by the index as records are). */
  rows: number[];
  problems: { row: number; reason: string }[];
}

/**
 * Checks a stored schema-4 pack: each row's document against its id, its
 * content hash, and its bytes against its checksum — without copying a byte
 * or making an object per row. Or why the pack itself cannot be read.
 */
export function readPack(value: unknown): ReadPack | { problem: string } {
  const c = columns(value);
  if ('problem' in c) return c;
  const { n, pack, block, sums } = c;
  const rows: number[] = [];
  const problems: ReadPack['problems'] = [];
  const { dim, sparseEnds: ends } = block;
  const denseCol = colOf(u8(block.dense.data));
  const rowBytes = dim * (block.dense.kind === 'int8' ? 1 : 4);
  const idCol = colOf(u8(block.sparseIds));
  const weightCol = colOf(u8(block.sparseWeights));
  const scales = block.dense.kind === 'int8' ? block.dense.scales : undefined;
  const seed = packSeed(pack);
  for (let i = 0; i < n; i++) {
    const doc = pack.docs[i] as unknown;
    const id = String(pack.ids[i]);
    const from = i === 0 ? 0 : ends[i - 1]!;
    const to = ends[i]!;
    let reason: string | undefined;
    if (!isObject(doc) || (doc as { id?: unknown }).id !== id) reason = 'document row does not match its key';
    else if (typeof pack.hashes[i] !== 'string') reason = 'document row has no content hash';
    else if (to < from || to > block.sparseIds.length) reason = 'its vector bytes are missing or out of range';
    else {
      const sum = rowSum(seed, scales?.[i], block.multiCounts[i]!, block.multiSums[i]!, denseCol(i * rowBytes, (i + 1) * rowBytes), idCol(from * 4, to * 4), weightCol(from * 4, to * 4));
      if (sum !== sums[i]) reason = 'its vectors do not match the checksum written with them (changed in storage)';
    }
    if (reason === undefined) rows.push(i);
    else problems.push({ row: i, reason });
  }
  return { block, ids: pack.ids.map(String), hashes: pack.hashes, rows, problems };
}

/** The pack's entries (views into its columns, checksums carried over), all of them; undefined when the pack cannot be read. */
export function packEntries(value: unknown): PackEntry[] | undefined {
  const c = columns(value);
  if ('problem' in c) return undefined;
  const { n, pack, block, sums } = c;
  const rowBytes = block.dim * (block.dense.kind === 'int8' ? 1 : 4);
  const out: PackEntry[] = [];
  for (let i = 0; i < n; i++) {
    const from = i === 0 ? 0 : block.sparseEnds[i - 1]!;
    const to = Math.max(from, Math.min(block.sparseEnds[i]!, block.sparseIds.length));
    const e: PackEntry = {
      id: String(pack.ids[i]),
      doc: pack.docs[i]!,
      hash: pack.hashes[i]!,
      denseKind: pack.denseKind,
      dense: u8(block.dense.data).subarray(i * rowBytes, (i + 1) * rowBytes),
      sparseIds: u8(block.sparseIds).subarray(from * 4, to * 4),
      sparseWeights: u8(block.sparseWeights).subarray(from * 4, to * 4),
      multiKind: pack.multiKind,
      multiCount: block.multiCounts[i]!,
      multiDim: pack.multiDim,
      multiSum: block.multiSums[i]!,
      sum: sums[i]!,
    };
    if (block.dense.kind === 'int8') e.scale = block.dense.scales[i]!;
    out.push(e);
  }
  return out;
}

/** The records of a read pack that passed its checks, one StoredRecord each (bytes copied, token vectors deferred): for the few documents another tab changed. */
export function packRecords(r: ReadPack): { id: string; hash: string; record: StoredRecord }[] {
  const { block } = r;
  const { dim } = block;
  return r.rows.map((i) => {
    const from = i === 0 ? 0 : block.sparseEnds[i - 1]!;
    const to = block.sparseEnds[i]!;
    const count = block.multiCounts[i]!;
    const record = {
      doc: block.docs[i],
      denseKind: block.dense.kind,
      dense: block.dense.data.slice(i * dim, (i + 1) * dim).buffer,
      sparseIds: block.sparseIds.slice(from, to).buffer,
      sparseWeights: block.sparseWeights.slice(from, to).buffer,
      multiKind: block.multiKind,
      multi: new ArrayBuffer(0),
      multiCount: count,
      multiDim: block.multiDim,
    } as StoredRecord;
    if (block.dense.kind === 'int8') record.denseScale = block.dense.scales[i]!;
    if (block.multiKind === 'int8') record.multiScales = new ArrayBuffer(0);
    if (count !== 0) record.multiDeferred = { sum: block.multiSums[i]! };
    return { id: r.ids[i]!, hash: r.hashes[i]!, record };
  });
}
