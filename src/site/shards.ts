// Encoding and decoding of the index's shard files (layout in FORMAT.md).
// Environment-free: the Node builder writes them, the page's worker reads them.
import { ByteReader, ByteWriter } from '../core/bytes.js';
import { M3SearchError } from '../core/errors.js';
import type { PassageMeta, StoredMulti } from './types.js';

const MAGIC = 0x5353334d; // "M3SS" read as a little-endian u32
/** 2: keyword shards (kind 4) and sparse-only postings; 1 had tokenizer-id BM25 in the postings. */
const VERSION = 2;
export const ShardKind = { Dense: 1, Postings: 2, Multi: 3, Keyword: 4, Vocab: 5, Bits: 6 } as const;
export type ShardKind = (typeof ShardKind)[keyof typeof ShardKind];

export function header(w: ByteWriter, kind: ShardKind): void {
  w.u32(MAGIC).u16(VERSION).u16(kind);
}

export function checkHeader(r: ByteReader, kind: ShardKind): void {
  if (r.u32() !== MAGIC) throw new M3SearchError('INVALID_INDEX', 'not an m3search shard (bad magic)');
  const version = r.u16();
  if (version !== VERSION) throw new M3SearchError('INVALID_INDEX', `unsupported shard version ${version}`);
  const k = r.u16();
  if (k !== kind) throw new M3SearchError('INVALID_INDEX', `expected shard kind ${kind}, got ${k}`);
}

/** The whole file was read (up to the final 4-byte padding): trailing bytes mean the counts are wrong. */
export function end(r: ByteReader): void {
  r.align();
  if (!r.done) throw new RangeError(`${r.bytes.length - r.pos} unexpected bytes after the data`);
}

/** No float16 Inf/NaN (exponent bits all set): such a value would rank first or poison every sum. */
function finiteHalves(h: Uint16Array): boolean {
  for (let i = 0; i < h.length; i++) if ((h[i]! & 0x7c00) === 0x7c00) return false;
  return true;
}

// ---------------------------------------------------------------- dense

export interface DenseShard {
  first: number;
  count: number;
  dim: number;
  /** count × dim int8, row-major. */
  q: Int8Array;
  scales: Float32Array;
}

export function encodeDenseShard(s: DenseShard): Uint8Array {
  const w = new ByteWriter();
  header(w, ShardKind.Dense);
  w.u32(s.first).u32(s.count).u32(s.dim);
  w.bytes(s.scales).bytes(s.q).align();
  return w.finish();
}

export function decodeDenseShard(bytes: Uint8Array): DenseShard {
  const r = new ByteReader(bytes);
  checkHeader(r, ShardKind.Dense);
  const first = r.u32();
  const count = r.u32();
  const dim = r.u32();
  const scales = r.float32(count);
  const q = r.int8(count * dim);
  end(r);
  for (let i = 0; i < count; i++) if (!(Number.isFinite(scales[i]) && scales[i]! >= 0)) throw new RangeError(`row ${i} has an invalid scale ${scales[i]}`);
  return { first, count, dim, q, scales };
}

// ---------------------------------------------------------------- dense sign bits

/** Bytes of a row-block name's hash (10 hex digits, as every shard name carries). */
export const ROW_HASH_BYTES = 5;

/**
 * One passage range's 1-bit sign codes (src/core/sign-bits.ts) and the names
 * of the int8 row blocks that cover it: block `b` holds passages
 * [b·blockRows, (b+1)·blockRows) and is `shards/rows-<b>.<hash>.bin`.
 */
export interface BitsShard {
  first: number;
  count: number;
  dim: number;
  blockRows: number;
  /** count × ceil(dim/8) bytes. */
  codes: Uint8Array;
  /** The hash of each block from first/blockRows on, ROW_HASH_BYTES each. */
  hashes: Uint8Array;
}

/** Row blocks a bits shard of passages [first, first+count) names (it starts on a block boundary). */
export function blocksOf(first: number, count: number, blockRows: number): number {
  return Math.ceil((first + count) / blockRows) - Math.floor(first / blockRows);
}

export function encodeBitsShard(s: BitsShard): Uint8Array {
  const w = new ByteWriter();
  header(w, ShardKind.Bits);
  w.u32(s.first).u32(s.count).u32(s.dim).u32(s.blockRows);
  w.bytes(s.codes).align();
  w.bytes(s.hashes).align();
  return w.finish();
}

export function decodeBitsShard(bytes: Uint8Array): BitsShard {
  const r = new ByteReader(bytes);
  checkHeader(r, ShardKind.Bits);
  const first = r.u32();
  const count = r.u32();
  const dim = r.u32();
  const blockRows = r.u32();
  if (blockRows === 0 || first % blockRows !== 0) throw new RangeError(`passage ${first} does not start a block of ${blockRows}`);
  const codes = r.take(count * ((dim + 7) >> 3));
  r.align();
  const hashes = r.take(blocksOf(first, count, blockRows) * ROW_HASH_BYTES);
  end(r);
  return { first, count, dim, blockRows, codes, hashes };
}

/** The file name of row block `block`, whose hash sits at `hashes[i·ROW_HASH_BYTES…]`. */
export function rowBlockName(block: number, hashes: Uint8Array, i: number): string {
  let hex = '';
  for (let j = 0; j < ROW_HASH_BYTES; j++) hex += hashes[i * ROW_HASH_BYTES + j]!.toString(16).padStart(2, '0');
  return `shards/rows-${block}.${hex}.bin`;
}

/** Byte size of a dense shard (a row block too) of `count` rows: header, first/count/dim, scales, rows, padding. */
export function denseShardBytes(count: number, dim: number): number {
  return 20 + count * (4 + dim) + ((4 - ((count * dim) % 4)) % 4);
}

// ---------------------------------------------------------------- postings

/** One token's learned-sparse postings (the model's token weight, float16 bits); passages ascending. */
export interface TermPostings {
  token: number;
  passages: Uint32Array;
  weights: Uint16Array;
}

export interface PostingsShard {
  shard: number;
  terms: Map<number, TermPostings>;
}

/**
 * Layout: term table (token, count, byte offset of its passage gaps) · all
 * float16 weights · passage numbers as LEB128 gaps. Gaps keep the passage
 * lists to ~1–2 bytes a posting.
 */
export function encodePostingsShard(shard: number, terms: readonly TermPostings[]): Uint8Array {
  const sorted = [...terms].sort((a, b) => a.token - b.token);
  const gaps = new ByteWriter();
  const offsets: number[] = [];
  for (const t of sorted) {
    offsets.push(gaps.length);
    writeGaps(gaps, t.passages);
  }
  const w = new ByteWriter();
  header(w, ShardKind.Postings);
  w.u32(shard).u32(sorted.length);
  for (let i = 0; i < sorted.length; i++) w.u32(sorted[i]!.token).u32(sorted[i]!.passages.length).u32(offsets[i]!);
  for (const t of sorted) w.bytes(t.weights);
  w.align();
  w.bytes(gaps.finish()).align();
  return w.finish();
}

function writeGaps(w: ByteWriter, passages: Uint32Array): void {
  let prev = 0;
  for (let i = 0; i < passages.length; i++) {
    const p = passages[i]!;
    if (i > 0 && p <= prev) throw new RangeError('posting passages must ascend');
    w.varint(i === 0 ? p : p - prev);
    prev = p;
  }
}

export function decodePostingsShard(bytes: Uint8Array): PostingsShard {
  const r = new ByteReader(bytes);
  checkHeader(r, ShardKind.Postings);
  const shard = r.u32();
  const n = r.u32();
  const table = r.uint32(3 * n);
  let totalWeights = 0;
  for (let i = 0; i < n; i++) totalWeights += table[3 * i + 1]!;
  const weights = r.uint16(totalWeights);
  if (!finiteHalves(weights)) throw new RangeError('a posting weight is NaN or Infinity');
  r.align();
  const gapStart = r.pos;
  const terms = new Map<number, TermPostings>();
  let wAt = 0;
  for (let i = 0; i < n; i++) {
    const token = table[3 * i]!;
    const count = table[3 * i + 1]!;
    if (i > 0 && token <= table[3 * (i - 1)]!) throw new RangeError('terms are not in ascending token order');
    // The writer lays the gap lists end to end: any other offset is damage.
    if (table[3 * i + 2]! !== r.pos - gapStart) throw new RangeError(`term ${token}: passage list at ${table[3 * i + 2]}, expected ${r.pos - gapStart}`);
    const passages = readGaps(r, count);
    terms.set(token, { token, passages, weights: weights.subarray(wAt, wAt + count) });
    wAt += count;
  }
  end(r);
  return { shard, terms };
}

function readGaps(r: ByteReader, n: number): Uint32Array {
  const out = new Uint32Array(n);
  let prev = 0;
  for (let i = 0; i < n; i++) {
    const gap = r.varint();
    if (i > 0 && gap === 0) throw new RangeError('posting passages do not ascend');
    prev = i === 0 ? gap : prev + gap;
    if (prev > 0xffffffff) throw new RangeError('posting passage out of range');
    out[i] = prev;
  }
  return out;
}

/** Which postings shard holds a token. */
export function postingsShardOf(token: number, shardCount: number): number {
  return token % shardCount;
}

// ---------------------------------------------------------------- multi-vectors

export interface MultiShard {
  first: number;
  dim: number;
  /** Per passage in [first, first + rows.length). */
  rows: (StoredMulti | null)[];
}

export function encodeMultiShard(s: MultiShard, kind: 'float16' | 'int8'): Uint8Array {
  const w = new ByteWriter();
  header(w, ShardKind.Multi);
  w.u32(s.first).u32(s.rows.length).u32(s.dim).u32(kind === 'float16' ? 1 : 2);
  for (const m of s.rows) w.u32(m?.count ?? 0);
  for (const m of s.rows) {
    if (!m) continue;
    if (m.kind !== kind) throw new M3SearchError('INVALID_OPTION', `multi rows must all be ${kind}`);
    if (m.kind === 'int8') w.bytes(m.scales);
  }
  for (const m of s.rows) if (m) w.bytes(m.data);
  w.align();
  return w.finish();
}

export function decodeMultiShard(bytes: Uint8Array): MultiShard {
  const r = new ByteReader(bytes);
  checkHeader(r, ShardKind.Multi);
  const first = r.u32();
  const n = r.u32();
  const dim = r.u32();
  const code = r.u32();
  if (code !== 1 && code !== 2) throw new RangeError(`unknown multi-vector kind ${code}`);
  const kind = code === 1 ? 'float16' : 'int8';
  const counts = Array.from(r.uint32(n));
  const rows: (StoredMulti | null)[] = [];
  if (kind === 'int8') {
    const scales = counts.map((c) => r.float32(c));
    for (const sc of scales) for (let i = 0; i < sc.length; i++) if (!(Number.isFinite(sc[i]) && sc[i]! >= 0)) throw new RangeError(`invalid row scale ${sc[i]}`);
    counts.forEach((c, i) => rows.push(c ? { kind, count: c, scales: scales[i]!, data: r.int8(c * dim) } : null));
  } else {
    counts.forEach((c) => rows.push(c ? { kind, count: c, data: r.uint16(c * dim) } : null));
    for (const row of rows) if (row && !finiteHalves(row.data as Uint16Array)) throw new RangeError('a multi-vector holds NaN or Infinity');
  }
  end(r);
  return { first, dim, rows };
}

// ---------------------------------------------------------------- metadata

/** JSON: a shard-local page table, then one [page, anchor, heading, text] per passage. */
export interface MetaShardJson {
  first: number;
  pages: [url: string, title: string][];
  items: [page: number, anchor: string, heading: string, text: string][];
}

export function encodeMetaShard(first: number, items: readonly PassageMeta[]): Uint8Array {
  const pages: [string, string][] = [];
  const pageIdx = new Map<string, number>();
  const rows: MetaShardJson['items'] = items.map((m) => {
    let p = pageIdx.get(m.url);
    if (p === undefined) {
      p = pages.length;
      pageIdx.set(m.url, p);
      pages.push([m.url, m.title]);
    }
    return [p, m.anchor, m.heading, m.text];
  });
  const json: MetaShardJson = { first, pages, items: rows };
  return new TextEncoder().encode(JSON.stringify(json));
}

export function decodeMetaShard(bytes: Uint8Array): { first: number; items: PassageMeta[] } {
  const json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown;
  const bad = (why: string): never => {
    throw new RangeError(`metadata ${why}`);
  };
  if (typeof json !== 'object' || json === null) return bad('is not an object');
  const { first, pages, items } = json as Partial<MetaShardJson>;
  if (!Number.isSafeInteger(first) || first! < 0 || !Array.isArray(pages) || !Array.isArray(items)) return bad('lacks first, pages or items');
  const str = (v: unknown): v is string => typeof v === 'string';
  for (const pg of pages) if (!Array.isArray(pg) || pg.length !== 2 || !str(pg[0]) || !str(pg[1])) bad('has a malformed page');
  return {
    first: first!,
    items: items.map((item) => {
      if (!Array.isArray(item) || item.length !== 4) return bad('has a malformed item');
      const [p, anchor, heading, text] = item as unknown[];
      if (!Number.isInteger(p) || !str(anchor) || !str(heading) || !str(text)) return bad('has a malformed item');
      const page = pages[p as number];
      if (page === undefined) return bad(`names page ${String(p)} of ${pages.length}`);
      return { url: page[0], title: page[1], anchor, heading, text };
    }),
  };
}

// ---------------------------------------------------------------- passage hashes

/** 6 bytes per passage hash (12 hex chars), in passage order: the builder's reuse table. */
export function packHashes(hashes: readonly string[]): Uint8Array {
  const bytes = new Uint8Array(hashes.length * 6);
  hashes.forEach((h, i) => {
    for (let j = 0; j < 6; j++) bytes[i * 6 + j] = parseInt(h.slice(2 * j, 2 * j + 2), 16);
  });
  return bytes;
}

export function unpackHashes(bytes: Uint8Array): string[] {
  const out: string[] = [];
  for (let i = 0; i + 6 <= bytes.length; i += 6) {
    let h = '';
    for (let j = 0; j < 6; j++) h += bytes[i + j]!.toString(16).padStart(2, '0');
    out.push(h);
  }
  return out;
}

/** Index of the range file holding `passage` (files sorted by `first`), or -1. */
export function rangeFileOf(files: readonly { first: number; count: number }[], passage: number): number {
  let lo = 0;
  let hi = files.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const f = files[mid]!;
    if (passage < f.first) hi = mid - 1;
    else if (passage >= f.first + f.count) lo = mid + 1;
    else return mid;
  }
  return -1;
}
