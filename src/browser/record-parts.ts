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
