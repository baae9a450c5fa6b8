// Lays passages, vectors and BM25 postings out as shard files (FORMAT.md).
// File names carry a hash of their bytes, so an unchanged shard keeps its name
// across builds (HTTP caches and the page's IndexedDB copy reuse it).
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeKeywordShard, type KeywordBuild } from './keyword-shards.js';
import { encodeVocabShard, type QueryVocabBuild } from './query-vocab.js';
import { packSigns, signBytes } from '../core/sign-bits.js';
import { blocksOf, encodeBitsShard, encodeDenseShard, encodeMetaShard, ROW_HASH_BYTES, encodeMultiShard, encodePostingsShard, packHashes, postingsShardOf, type TermPostings } from './shards.js';
import type { DenseBits, MultiLayout, MultiStorageKind, PassageMeta, RangeFile, SiteManifest, StoredVectors } from './types.js';

export interface ShardInput {
  meta: PassageMeta[];
  /** Content hash of each passage (reuse table for the next build). */
  hashes: string[];
  /** Each passage's vectors; null for a keyword-only index (no model). */
  vectors: StoredVectors[] | null;
  /** The keyword index, analyzed and cut into shards (keyword-shards.ts). */
  keyword: KeywordBuild;
  denseDim: number;
  multiDim: number;
  multi: MultiStorageKind | 'none';
  /** Recorded in the manifest (absent with `multi: 'none'`). */
  multiLayout?: { layout: MultiLayout; maxRows: number | null };
  /** Doc-only models: the query-side vocabulary (query-vocab.ts) and the model's vocabulary size. */
  queryVocab?: QueryVocabBuild;
  /** Write the 1-bit first pass (sign codes + row blocks) beside the dense files. */
  denseBits?: boolean;
}

export interface ShardTargets {
  /** Approximate bytes per file of each kind. */
  denseBytes: number;
  postingsPerShard: number;
  /** Keyword shards, before compression. */
  keywordBytes: number;
  multiBytes: number;
  /** Metadata shards, before compression. */
  metaBytes: number;
  /** Query-side vocabulary shards of a doc-only index, before compression. */
  vocabBytes: number;
  /** Sign-code files of the 1-bit pass. */
  bitsBytes: number;
  /** Row blocks of the 1-bit pass (at least one row each): small, since a query fetches one per candidate. */
  rowBytes: number;
}

export const DEFAULT_TARGETS: ShardTargets = { denseBytes: 512 << 10, postingsPerShard: 6000, keywordBytes: 32 << 10, multiBytes: 64 << 10, metaBytes: 32 << 10, vocabBytes: 2 << 10, bitsBytes: 256 << 10, rowBytes: 2 << 10 };

export interface WrittenShards {
  shards: SiteManifest['shards'];
  bytes: { dense: number; keyword: number; sparse: number; multi: number; meta: number; vocab?: number; bits?: number };
  files: string[];
}

/**
 * Keyword and metadata shards are text-like and read on every first query:
 * they ship gzip-compressed (the page inflates them with DecompressionStream),
 * so their size does not depend on the server compressing responses.
 */
function compress(bytes: Uint8Array): Uint8Array {
  return gzipSync(bytes, { level: 9 });
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
  const bytes: WrittenShards['bytes'] = { dense: 0, keyword: 0, sparse: 0, multi: 0, meta: 0 };
  const vectors = input.vectors ?? [];

  // Keyword: the analyzer's vocabulary in key ranges (keyword-shards.ts).
  const keywordFiles: SiteManifest['shards']['keyword']['files'] = [];
  for (const { first, shard } of input.keyword.shards) {
    const b = compress(encodeKeywordShard(shard));
    keywordFiles.push({ file: await put(`kw-${shard.shard}`, 'bin', b), first, bytes: b.length });
    bytes.keyword += b.length;
  }

  // Dense: contiguous passage ranges.
  const denseFiles: RangeFile[] = [];
  const perDense = Math.max(1, Math.floor(targets.denseBytes / (input.denseDim + 4)));
  // A doc-only model has no dense query side: its index has no dense shards.
  for (let first = 0; input.vectors && input.denseDim > 0 && first < n; first += perDense) {
    const count = Math.min(perDense, n - first);
    const q = new Int8Array(count * input.denseDim);
    const scales = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      const v = vectors[first + i]!.dense;
      q.set(v.q, i * input.denseDim);
      scales[i] = v.scale;
    }
    const b = encodeDenseShard({ first, count, dim: input.denseDim, q, scales });
    denseFiles.push({ file: await put(`dense-${denseFiles.length}`, 'bin', b), first, count, bytes: b.length });
    bytes.dense += b.length;
  }

  // The 1-bit pass: int8 rows again in small blocks (a query fetches one per candidate), named in the sign-code files.
  let bits: DenseBits | undefined;
  if (input.denseBits && input.vectors && input.denseDim > 0) {
    const dim = input.denseDim;
    const blockRows = Math.max(1, Math.floor(targets.rowBytes / (dim + 4)));
    const blocks = Math.ceil(n / blockRows);
    const hashes = new Uint8Array(blocks * ROW_HASH_BYTES);
    bytes.bits = 0;
    for (let b = 0; b < blocks; b++) {
      const first = b * blockRows;
      const count = Math.min(blockRows, n - first);
      const q = new Int8Array(count * dim);
      const scales = new Float32Array(count);
      for (let i = 0; i < count; i++) {
        q.set(vectors[first + i]!.dense.q, i * dim);
        scales[i] = vectors[first + i]!.dense.scale;
      }
      const bb = encodeDenseShard({ first, count, dim, q, scales });
      const name = await put(`rows-${b}`, 'bin', bb);
      const hex = name.split('.').at(-2)!;
      for (let j = 0; j < ROW_HASH_BYTES; j++) hashes[b * ROW_HASH_BYTES + j] = parseInt(hex.slice(2 * j, 2 * j + 2), 16);
      bytes.bits += bb.length;
    }
    // Sign-code files start on block boundaries, so each names whole blocks.
    const perBits = Math.max(1, Math.floor(targets.bitsBytes / signBytes(dim) / blockRows)) * blockRows;
    const files: RangeFile[] = [];
    for (let first = 0; first < n; first += perBits) {
      const count = Math.min(perBits, n - first);
      const q = new Int8Array(count * dim);
      for (let i = 0; i < count; i++) q.set(vectors[first + i]!.dense.q, i * dim);
      const b0 = first / blockRows;
      const bb = encodeBitsShard({ first, count, dim, blockRows, codes: packSigns(q, dim, count), hashes: hashes.subarray(b0 * ROW_HASH_BYTES, (b0 + blocksOf(first, count, blockRows)) * ROW_HASH_BYTES) });
      files.push({ file: await put(`bits-${files.length}`, 'bin', bb), first, count, bytes: bb.length });
      bytes.bits += bb.length;
    }
    bits = { files, blockRows, blocks };
  }

  // Postings: the model's learned-sparse weights, by token id modulo the shard count.
  const sparse = new Map<number, { p: number[]; w: number[] }>();
  let total = 0;
  vectors.forEach((v, p) => {
    for (let i = 0; i < v.sparse.ids.length; i++) {
      const token = v.sparse.ids[i]!;
      let e = sparse.get(token);
      if (!e) sparse.set(token, (e = { p: [], w: [] }));
      e.p.push(p);
      e.w.push(v.sparse.w16[i]!);
    }
    total += v.sparse.ids.length;
  });
  let shardCount = input.vectors ? 1 : 0;
  while (shardCount < 4096 && total / shardCount > targets.postingsPerShard) shardCount *= 2;
  const byShard: TermPostings[][] = Array.from({ length: shardCount }, () => []);
  for (const [token, s] of sparse) byShard[postingsShardOf(token, shardCount)]!.push({ token, passages: Uint32Array.from(s.p), weights: Uint16Array.from(s.w) });
  const postingFiles: string[] = [];
  const postingBytes: number[] = [];
  for (let i = 0; i < shardCount; i++) {
    const b = encodePostingsShard(i, byShard[i]!);
    postingFiles.push(await put(`post-${i}`, 'bin', b));
    postingBytes.push(b.length);
    bytes.sparse += b.length;
  }

  // Multi-vectors: passage ranges cut at a byte target, fetched only for re-ranked candidates.
  const multiFiles: RangeFile[] = [];
  if (input.multi !== 'none') {
    const rowBytes = input.multiDim * (input.multi === 'float16' ? 2 : 1) + (input.multi === 'int8' ? 4 : 0);
    let first = 0;
    while (first < n) {
      let size = 0;
      let end = first;
      while (end < n && (end === first || size + (vectors[end]!.multi?.count ?? 0) * rowBytes <= targets.multiBytes)) {
        size += (vectors[end]!.multi?.count ?? 0) * rowBytes;
        end++;
      }
      const rows = vectors.slice(first, end).map((v) => v.multi);
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
    const b = compress(encodeMetaShard(first, input.meta.slice(first, end)));
    metaFiles.push({ file: await put(`meta-${metaFiles.length}`, 'bin', b), first, count: end - first, bytes: b.length });
    bytes.meta += b.length;
    first = end;
  }

  // Doc-only: the tokenizer without its vocabulary, and the vocabulary in key ranges (gzip, like keyword shards).
  let vocab: SiteManifest['shards']['vocab'];
  if (input.queryVocab) {
    const qv = input.queryVocab;
    bytes.vocab = 0;
    const tb = compress(new TextEncoder().encode(JSON.stringify(qv.tokenizer)));
    const tokenizer = { file: await put('qtok', 'bin', tb), bytes: tb.length };
    bytes.vocab += tb.length;
    const vocabFiles: NonNullable<SiteManifest['shards']['vocab']>['files'] = [];
    for (const { first, shard } of qv.shards) {
      const b = compress(encodeVocabShard(shard, qv.model));
      vocabFiles.push({ file: await put(`vocab-${shard.shard}`, 'bin', b), first, bytes: b.length });
      bytes.vocab += b.length;
    }
    vocab = {
      model: qv.model,
      tokenizer,
      files: vocabFiles,
      maxPiece: qv.maxPiece,
      ...(qv.minScore !== undefined ? { minScore: qv.minScore } : {}),
      ...(qv.continuingPrefix !== undefined ? { continuingPrefix: qv.continuingPrefix, maxWordChars: qv.maxWordChars } : {}),
      vocabSize: qv.vocabSize,
      entries: qv.entries,
      weighted: qv.weighted,
    };
  }

  const hashBytes = packHashes(input.hashes);
  const hashes = { file: await put('hashes', 'bin', hashBytes), bytes: hashBytes.length };
  bytes.meta += hashBytes.length; // builder-only, but part of what is published

  return {
    shards: {
      hashes,
      dense: { storage: 'int8', files: denseFiles, ...(bits ? { bits } : {}) },
      postings: { count: shardCount, files: postingFiles, bytes: postingBytes },
      keyword: { files: keywordFiles },
      multi: { storage: input.multi, layout: input.multiLayout?.layout, maxRows: input.multiLayout?.maxRows ?? null, count: multiFiles.length, table: multiTable },
      meta: { files: metaFiles },
      ...(vocab ? { vocab } : {}),
    },
    bytes,
    files,
  };
}
