// Whole-index snapshot: one byte array that reopens an index without
// re-encoding anything. Layout (little-endian):
//
//   0  magic "M3SI"          4 bytes
//   4  format version        u32
//   8  header JSON length    u32
//  12  CRC-32 of bytes 4…12 and 24…  u32   (garbled bytes are rejected, not loaded)
//  16  total length          f64   (truncation is detected before parsing)
//  24  header JSON (options, dims, docs, section table)
//      padding to 8, then binary sections, each 8-aligned, offsets relative
//      to the start of the binary area.
//
// Typed arrays are written in platform byte order, which is little-endian on
// every engine this runs on.

import { denseDataProblem, multiDataProblem, sparseProblem } from './check-vectors.js';
import { crc32 } from './checksum.js';
import { docProblem } from './doc.js';
import { M3SearchError } from './errors.js';
import { resolveIndexOptions } from './options.js';
import type { DecodedRecord } from './record.js';
import { denseAs, multiAs, type DenseData, type MultiData } from './stored.js';
import type { Doc, IndexOptions } from './types.js';

export const SNAPSHOT_MAGIC = 'M3SI';
export const SNAPSHOT_VERSION = 1;
const FIXED = 24;

export interface SnapshotDims {
  dense: number;
  multi: number;
}

export interface Snapshot {
  options: Required<IndexOptions>;
  dims: SnapshotDims;
  records: DecodedRecord[];
}

interface Header {
  options: Required<IndexOptions>;
  count: number;
  denseDim: number;
  multiDim: number;
  nnz: number;
  rows: number;
  docs: Doc[];
  sections: Record<string, [number, number]>;
}

const align8 = (n: number): number => (n + 7) & ~7;

function invalid(why: string): never {
  throw new M3SearchError('INVALID_INDEX', `not a valid m3search index snapshot: ${why}`);
}

/** Packs records (already in the index's storage kinds) into a snapshot. */
export function encodeSnapshot(options: Required<IndexOptions>, dims: SnapshotDims, records: readonly DecodedRecord[]): Uint8Array {
  const n = records.length;
  const dd = dims.dense;
  const md = dims.multi;
  let nnz = 0;
  let rows = 0;
  for (const r of records) {
    nnz += r.sparse.ids.length;
    rows += r.multi.count;
  }

  const denseF32 = new Float32Array(options.dense === 'float32' ? n * dd : 0);
  const denseI8 = new Int8Array(options.dense === 'int8' ? n * dd : 0);
  const denseScales = new Float32Array(options.dense === 'int8' ? n : 0);
  const nnzs = new Uint32Array(n);
  const ids = new Uint32Array(nnz);
  const weights = new Float32Array(nnz);
  const counts = new Uint32Array(n);
  const multiF32 = new Float32Array(options.multi === 'float32' ? rows * md : 0);
  const multiF16 = new Uint16Array(options.multi === 'float16' ? rows * md : 0);
  const multiI8 = new Int8Array(options.multi === 'int8' ? rows * md : 0);
  const multiScales = new Float32Array(options.multi === 'int8' ? rows : 0);

  let p = 0;
  let row = 0;
  records.forEach((r, i) => {
    const d: DenseData = denseAs(r.dense, options.dense);
    if (d.data.length !== dd) throw new RangeError(`record ${r.doc.id}: dense dims ${d.data.length} ≠ ${dd}`);
    if (d.kind === 'float32') denseF32.set(d.data, i * dd);
    else {
      denseI8.set(d.data, i * dd);
      denseScales[i] = d.scale;
    }
    nnzs[i] = r.sparse.ids.length;
    ids.set(r.sparse.ids, p);
    weights.set(r.sparse.weights, p);
    p += r.sparse.ids.length;
    const m: MultiData = multiAs(r.multi, options.multi);
    counts[i] = m.count;
    if (m.count > 0 && m.dim !== md) throw new RangeError(`record ${r.doc.id}: multi dims ${m.dim} ≠ ${md}`);
    if (m.kind === 'float32') multiF32.set(m.data, row * md);
    else if (m.kind === 'float16') multiF16.set(m.data, row * md);
    else {
      multiI8.set(m.data, row * md);
      multiScales.set(m.scales, row);
    }
    row += m.count;
  });

  const parts: [string, ArrayBufferView][] = [
    ['denseF32', denseF32],
    ['denseI8', denseI8],
    ['denseScales', denseScales],
    ['nnz', nnzs],
    ['ids', ids],
    ['weights', weights],
    ['counts', counts],
    ['multiF32', multiF32],
    ['multiF16', multiF16],
    ['multiI8', multiI8],
    ['multiScales', multiScales],
  ];
  const sections: Record<string, [number, number]> = {};
  let off = 0;
  for (const [name, a] of parts) {
    sections[name] = [off, a.byteLength];
    off = align8(off + a.byteLength);
  }
  const header: Header = {
    options,
    count: n,
    denseDim: dd,
    multiDim: md,
    nnz,
    rows,
    docs: records.map((r) => r.doc),
    sections,
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const binStart = align8(FIXED + json.length);
  const total = binStart + off;
  const out = new Uint8Array(total);
  out.set(json, FIXED);
  for (const [name, a] of parts) out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), binStart + sections[name]![0]);

  const dv = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = SNAPSHOT_MAGIC.charCodeAt(i);
  dv.setUint32(4, SNAPSHOT_VERSION, true);
  dv.setUint32(8, json.length, true);
  dv.setFloat64(16, total, true);
  dv.setUint32(12, checksum(out), true);
  return out;
}

/** Parses and verifies a snapshot. Any inconsistency → INVALID_INDEX. */
export function decodeSnapshot(input: Uint8Array | ArrayBuffer): Snapshot {
  const bytes = input instanceof Uint8Array ? input : isArrayBuffer(input) ? new Uint8Array(input) : invalid('expected a Uint8Array');
  if (bytes.length < FIXED) invalid(`only ${bytes.length} bytes (truncated)`);
  for (let i = 0; i < 4; i++) if (bytes[i] !== SNAPSHOT_MAGIC.charCodeAt(i)) invalid('bad magic bytes');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(4, true);
  if (version !== SNAPSHOT_VERSION) invalid(`unsupported format version ${version} (this build reads ${SNAPSHOT_VERSION})`);
  const jsonLen = dv.getUint32(8, true);
  const total = dv.getFloat64(16, true);
  if (total !== bytes.length) invalid(total > bytes.length ? `truncated (${bytes.length} of ${total} bytes)` : 'length mismatch');
  if (checksum(bytes) !== dv.getUint32(12, true)) invalid('checksum mismatch (garbled bytes)');
  if (FIXED + jsonLen > bytes.length) invalid('header length out of range');

  let h: Header;
  try {
    h = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(FIXED, FIXED + jsonLen))) as Header;
  } catch {
    return invalid('unreadable header');
  }
  if (typeof h !== 'object' || h === null) invalid('header is not an object');
  let options: Required<IndexOptions>;
  try {
    options = resolveIndexOptions(h.options);
  } catch {
    return invalid('bad storage options');
  }
  const { count: n, denseDim: dd, multiDim: md, nnz, rows } = h;
  for (const v of [n, dd, md, nnz, rows]) if (!Number.isInteger(v) || v < 0) invalid('bad counts');
  if (!Array.isArray(h.docs) || h.docs.length !== n) invalid('document list does not match the count');
  if (typeof h.sections !== 'object' || h.sections === null) invalid('missing section table');

  const binStart = align8(FIXED + jsonLen);
  checkSectionTable(h.sections, bytes.length - binStart);
  const section = <T>(name: string, ctor: { new (b: ArrayBuffer): T; BYTES_PER_ELEMENT: number }, elems: number): T => {
    const s = h.sections[name];
    if (!Array.isArray(s) || s.length !== 2) return invalid(`missing section ${name}`);
    const [off, len] = s;
    if (!Number.isInteger(off) || !Number.isInteger(len) || off < 0 || len !== elems * ctor.BYTES_PER_ELEMENT) {
      return invalid(`section ${name} has the wrong size`);
    }
    const start = binStart + off;
    if (start + len > bytes.length) return invalid(`section ${name} out of range`);
    // slice() copies into a fresh, aligned buffer the index can own.
    return new ctor(bytes.slice(start, start + len).buffer);
  };

  const f32Dense = options.dense === 'float32';
  const denseF32 = section('denseF32', Float32Array, f32Dense ? n * dd : 0);
  const denseI8 = section('denseI8', Int8Array, f32Dense ? 0 : n * dd);
  const denseScales = section('denseScales', Float32Array, f32Dense ? 0 : n);
  const nnzs = section('nnz', Uint32Array, n);
  const ids = section('ids', Uint32Array, nnz);
  const weights = section('weights', Float32Array, nnz);
  const counts = section('counts', Uint32Array, n);
  const mk = options.multi;
  const multiF32 = section('multiF32', Float32Array, mk === 'float32' ? rows * md : 0);
  const multiF16 = section('multiF16', Uint16Array, mk === 'float16' ? rows * md : 0);
  const multiI8 = section('multiI8', Int8Array, mk === 'int8' ? rows * md : 0);
  const multiScales = section('multiScales', Float32Array, mk === 'int8' ? rows : 0);

  const records: DecodedRecord[] = [];
  let p = 0;
  let row = 0;
  for (let i = 0; i < n; i++) {
    const doc = h.docs[i];
    const problem = docProblem(doc);
    if (problem !== undefined) invalid(`document #${i}: ${problem}`);
    const dense: DenseData = f32Dense
      ? { kind: 'float32', data: denseF32.subarray(i * dd, (i + 1) * dd) }
      : { kind: 'int8', data: denseI8.subarray(i * dd, (i + 1) * dd), scale: denseScales[i]! };
    const k = nnzs[i]!;
    const c = counts[i]!;
    if (p + k > nnz || row + c > rows) invalid('postings or rows overrun their sections');
    const sparse = { ids: ids.subarray(p, p + k), weights: weights.subarray(p, p + k) };
    const a = row * md;
    const b = (row + c) * md;
    const multi: MultiData =
      mk === 'float32'
        ? { kind: mk, data: multiF32.subarray(a, b), count: c, dim: md }
        : mk === 'float16'
          ? { kind: mk, data: multiF16.subarray(a, b), count: c, dim: md }
          : { kind: mk, data: multiI8.subarray(a, b), scales: multiScales.subarray(row, row + c), count: c, dim: md };
    // The same value checks a stored record gets (record.ts): a checksum only proves the bytes are the ones written.
    const bad = denseDataProblem(dense) ?? sparseProblem(sparse) ?? multiDataProblem(multi);
    if (bad !== undefined) invalid(`document "${(doc as Doc).id}": ${bad}`);
    records.push({ doc: doc as Doc, dense, sparse, multi });
    p += k;
    row += c;
  }
  if (p !== nnz || row !== rows) invalid('section sizes do not add up');
  return { options, dims: { dense: dd, multi: md }, records };
}

/** Sections are 8-aligned, inside the binary area and disjoint (overlapping ones would alias each other's bytes). */
function checkSectionTable(sections: Record<string, unknown>, binBytes: number): void {
  const spans: [string, number, number][] = [];
  for (const [name, s] of Object.entries(sections)) {
    if (!Array.isArray(s) || s.length !== 2) invalid(`section ${name} is malformed`);
    const [off, len] = s as unknown[];
    if (!Number.isSafeInteger(off) || !Number.isSafeInteger(len) || (off as number) < 0 || (len as number) < 0 || (off as number) % 8 !== 0) invalid(`section ${name} has a bad offset or length`);
    if ((off as number) + (len as number) > binBytes) invalid(`section ${name} out of range`);
    if ((len as number) > 0) spans.push([name, off as number, len as number]);
  }
  spans.sort((a, b) => a[1] - b[1]);
  for (let i = 1; i < spans.length; i++) {
    const [prev, at, len] = spans[i - 1]!;
    if (at + len > spans[i]![1]) invalid(`sections ${prev} and ${spans[i]![0]} overlap`);
  }
}

/** Covers version, header length and everything after the fixed header. */
function checksum(bytes: Uint8Array): number {
  return crc32(bytes.subarray(FIXED), crc32(bytes.subarray(4, 12)));
}

function isArrayBuffer(v: unknown): v is ArrayBuffer {
  return Object.prototype.toString.call(v) === '[object ArrayBuffer]';
}
