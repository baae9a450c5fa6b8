// Lays passages, vectors and BM25 postings out as shard files (FORMAT.md).
// File names carry a hash of their bytes, so an unchanged shard keeps its name
// across builds (HTTP caches and the page's IndexedDB copy reuse it).
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bm25TermWeight, termBag, type Bm25Params } from '../core/bm25.js';
import { toHalf } from '../core/quantize.js';
import { encodeDenseShard, encodeMetaShard, encodeMultiShard, encodePostingsShard, packHashes, type TermPostings } from './shards.js';
import type { MultiLayout, MultiStorageKind, PassageMeta, RangeFile, SiteManifest, StoredVectors } from './types.js';

export interface ShardInput {
  meta: PassageMeta[];
  /** Content hash of each passage (reuse table for the next build). */
  hashes: string[];
  vectors: StoredVectors[];
  /** Lexical token ids of each passage's encodeText (no special tokens). */
  lexTokens: number[][];
  denseDim: number;
  multiDim: number;
  multi: MultiStorageKind | 'none';
  /** Recorded in the manifest (absent with `multi: 'none'`). */
  multiLayout?: { layout: MultiLayout; maxRows: number | null };
  bm25: Bm25Params;
}

export interface ShardTargets {
  /** Approximate bytes per file of each kind. */
  denseBytes: number;
  postingsPerShard: number;
  multiBytes: number;
  metaBytes: number;
}

export const DEFAULT_TARGETS: ShardTargets = { denseBytes: 512 << 10, postingsPerShard: 6000, multiBytes: 64 << 10, metaBytes: 32 << 10 };

export interface WrittenShards {
  shards: SiteManifest['shards'];
  bytes: { dense: number; lexical: number; sparse: number; multi: number; meta: number };
  avgLength: number;
  files: string[];
}

export async function writeShards(outDir: string, input: ShardInput, targets: ShardTargets = DEFAULT_TARGETS): Promise<WrittenShards> {
  const dir = path.join(outDir, 'shards');
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  const put = async (stem: string, ext: string, bytes: Uint8Array): Promise<string> => {
    const name = `shards/${stem}.${createHash('sha256').update(bytes).digest('hex').slice(0, 10)}.${ext}`;
    await writeFile(path.join(outDir, name), bytes);
    files.push(name);
    return name;
  };
  const n = input.meta.length;
  const bytes = { dense: 0, lexical: 0, sparse: 0, multi: 0, meta: 0 };

  // Dense: contiguous passage ranges.
  const denseFiles: RangeFile[] = [];
  const perDense = Math.max(1, Math.floor(targets.denseBytes / (input.denseDim + 4)));
  for (let first = 0; first < n; first += perDense) {
    const count = Math.min(perDense, n - first);
    const q = new Int8Array(count * input.denseDim);
    const scales = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      const v = input.vectors[first + i]!.dense;
      q.set(v.q, i * input.denseDim);
      scales[i] = v.scale;
    }
    const b = encodeDenseShard({ first, count, dim: input.denseDim, q, scales });
    denseFiles.push({ file: await put(`dense-${denseFiles.length}`, 'bin', b), first, count, bytes: b.length });
    bytes.dense += b.length;
  }

  // Postings: lexical BM25 (weights precomputed, so no document lengths ship) and learned sparse.
  const bags = input.lexTokens.map((t) => termBag(t));
  const avgLength = n ? bags.reduce((s, b) => s + b.length, 0) / n : 0;
  const lex = new Map<number, { p: number[]; w: number[] }>();
  const sparse = new Map<number, { p: number[]; w: number[] }>();
  const push = (m: Map<number, { p: number[]; w: number[] }>, token: number, p: number, w: number): void => {
    let e = m.get(token);
    if (!e) m.set(token, (e = { p: [], w: [] }));
    e.p.push(p);
    e.w.push(w);
  };
  let total = 0;
  bags.forEach((bag, p) => {
    for (let i = 0; i < bag.ids.length; i++) push(lex, bag.ids[i]!, p, toHalf(bm25TermWeight(bag.tfs[i]!, bag.length, avgLength, input.bm25)));
    total += bag.ids.length;
  });
  input.vectors.forEach((v, p) => {
    for (let i = 0; i < v.sparse.ids.length; i++) push(sparse, v.sparse.ids[i]!, p, v.sparse.w16[i]!);
    total += v.sparse.ids.length;
  });
  let shardCount = 1;
  while (shardCount < 4096 && total / shardCount > targets.postingsPerShard) shardCount *= 2;
  const byShard: TermPostings[][] = Array.from({ length: shardCount }, () => []);
  for (const token of new Set([...lex.keys(), ...sparse.keys()])) {
    const l = lex.get(token);
    const s = sparse.get(token);
    byShard[token % shardCount]!.push({
      token,
      lexPassages: Uint32Array.from(l?.p ?? []),
      lexWeights: Uint16Array.from(l?.w ?? []),
      sparsePassages: Uint32Array.from(s?.p ?? []),
      sparseWeights: Uint16Array.from(s?.w ?? []),
    });
  }
  const postingFiles: string[] = [];
  const postingBytes: number[] = [];
  for (let i = 0; i < shardCount; i++) {
    const { bytes: b, lexBytes, sparseBytes } = encodePostingsShard(i, byShard[i]!);
    postingFiles.push(await put(`post-${i}`, 'bin', b));
    postingBytes.push(b.length);
    // The shared header/table is split between the two by their share of the payload.
    const extra = b.length - lexBytes - sparseBytes;
    const lexShare = lexBytes + sparseBytes > 0 ? lexBytes / (lexBytes + sparseBytes) : 1;
    bytes.lexical += lexBytes + extra * lexShare;
    bytes.sparse += sparseBytes + extra * (1 - lexShare);
  }
  bytes.lexical = Math.round(bytes.lexical);
  bytes.sparse = Math.round(bytes.sparse);

  // Multi-vectors: passage ranges cut at a byte target, fetched only for re-ranked candidates.
  const multiFiles: RangeFile[] = [];
  if (input.multi !== 'none') {
    const rowBytes = input.multiDim * (input.multi === 'float16' ? 2 : 1) + (input.multi === 'int8' ? 4 : 0);
    let first = 0;
    while (first < n) {
      let size = 0;
      let end = first;
      while (end < n && (end === first || size + (input.vectors[end]!.multi?.count ?? 0) * rowBytes <= targets.multiBytes)) {
        size += (input.vectors[end]!.multi?.count ?? 0) * rowBytes;
        end++;
      }
      const rows = input.vectors.slice(first, end).map((v) => v.multi);
      const b = encodeMultiShard({ first, dim: input.multiDim, rows }, input.multi);
      multiFiles.push({ file: await put(`multi-${multiFiles.length}`, 'bin', b), first, count: end - first, bytes: b.length });
      bytes.multi += b.length;
      first = end;
    }
  }

  let multiTable: SiteManifest['shards']['multi']['table'] = null;
  if (input.multi !== 'none') {
    const b = new TextEncoder().encode(JSON.stringify(multiFiles));
    multiTable = { file: await put('multi-table', 'json', b), bytes: b.length };
    bytes.multi += b.length;
  }

  // Metadata: small JSON shards, fetched only for the passages shown.
  const metaFiles: RangeFile[] = [];
  let first = 0;
  while (first < n) {
    let size = 0;
    let end = first;
    while (end < n && (end === first || size + input.meta[end]!.text.length + 64 <= targets.metaBytes)) {
      size += input.meta[end]!.text.length + 64;
      end++;
    }
    const b = encodeMetaShard(first, input.meta.slice(first, end));
    metaFiles.push({ file: await put(`meta-${metaFiles.length}`, 'json', b), first, count: end - first, bytes: b.length });
    bytes.meta += b.length;
    first = end;
  }

  const hashBytes = packHashes(input.hashes);
  const hashes = { file: await put('hashes', 'bin', hashBytes), bytes: hashBytes.length };
  bytes.meta += hashBytes.length; // builder-only, but part of what is published

  return {
    shards: {
      hashes,
      dense: { storage: 'int8', files: denseFiles },
      postings: { count: shardCount, files: postingFiles, bytes: postingBytes },
      multi: { storage: input.multi, layout: input.multiLayout?.layout, maxRows: input.multiLayout?.maxRows ?? null, count: multiFiles.length, table: multiTable },
      meta: { files: metaFiles },
    },
    bytes,
    avgLength,
    files,
  };
}
