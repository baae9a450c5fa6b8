// Query-time search over a static index, fetching only what a query needs:
// the postings shards its tokens hash to, the dense files (hybrid only), the
// multi-vector shards of the re-ranked candidates and the metadata shards of
// the hits. Environment-free: `load(file)` may fetch, read IndexedDB or disk.
import { bm25Idf, termBag } from '../core/bm25.js';
import { DenseMatrix, SCAN_ROWS } from '../core/dense-matrix.js';
import { maxSimKernel } from '../core/maxsim-kernel.js';
import { float16ToFloat32 } from '../core/quantize.js';
import { TopK } from '../core/topk.js';
import { DEFAULT_WEIGHTS, type Encoded, type Weights } from '../core/types.js';
import {
  decodeDenseShard,
  decodeMetaShard,
  decodeMultiShard,
  decodePostingsShard,
  rangeFileOf,
  type DenseShard,
  type MultiShard,
  type PostingsShard,
  type TermPostings,
} from './shards.js';
import type { PassageMeta, RangeFile, SiteManifest } from './types.js';

export type SiteMode = 'lexical' | 'hybrid';

export interface RankedPassage {
  passage: number;
  score: number;
  signals: Partial<Record<'lexical' | 'dense' | 'sparse' | 'multi', number>>;
}

export interface HybridOptions {
  k?: number;
  weights?: Partial<Weights>;
  /** First-stage depth of the dense and sparse lists (default max(100, 10·k)). */
  candidates?: number;
  /** Candidates re-ranked with multi-vectors (default max(30, 3·k)). */
  rerank?: number;
  /**
   * On a `nested` index, score only each passage's first n stored rows (any prefix is a
   * usable summary: fewer rows, less work). Ignored on an `all` index, whose rows are tokens.
   */
  multiBudget?: number;
}

export type LoadFile = (file: string) => Promise<Uint8Array>;

export class SiteIndexReader {
  readonly manifest: SiteManifest;
  private readonly load: LoadFile;
  private readonly decoded = new Map<string, Promise<unknown>>();

  constructor(manifest: SiteManifest, load: LoadFile) {
    this.manifest = manifest;
    this.load = load;
  }

  /** Each file is fetched and decoded once per reader. */
  private file<T>(name: string, decode: (b: Uint8Array) => T): Promise<T> {
    let p = this.decoded.get(name) as Promise<T> | undefined;
    if (!p) {
      p = this.load(name).then(decode);
      // A failed fetch must not stick: the next query tries again.
      p.catch(() => this.decoded.delete(name));
      this.decoded.set(name, p);
    }
    return p;
  }

  private postingsShard(i: number): Promise<PostingsShard> {
    return this.file(this.manifest.shards.postings.files[i]!, decodePostingsShard);
  }

  /** Postings of the given tokens (absent tokens are left out). */
  async postings(tokens: Iterable<number>): Promise<Map<number, TermPostings>> {
    const count = this.manifest.shards.postings.count;
    const want = [...new Set(tokens)];
    const shards = await Promise.all([...new Set(want.map((t) => t % count))].map((s) => this.postingsShard(s)));
    const bySlot = new Map(shards.map((s) => [s.shard, s]));
    const out = new Map<number, TermPostings>();
    for (const t of want) {
      const p = bySlot.get(t % count)?.terms.get(t);
      if (p) out.set(t, p);
    }
    return out;
  }

  /** Tokenizer-only BM25 (before the encoder has loaded). */
  async lexical(queryTokenIds: readonly number[], k = 10): Promise<RankedPassage[]> {
    const bag = termBag(queryTokenIds);
    const postings = await this.postings(bag.ids);
    const n = this.manifest.counts.passages;
    const acc = new Map<number, number>();
    for (let i = 0; i < bag.ids.length; i++) {
      const p = postings.get(bag.ids[i]!);
      if (!p || p.lexPassages.length === 0) continue;
      const wq = bag.tfs[i]! * bm25Idf(n, p.lexPassages.length);
      const wd = float16ToFloat32(p.lexWeights);
      for (let j = 0; j < p.lexPassages.length; j++) {
        const d = p.lexPassages[j]!;
        acc.set(d, (acc.get(d) ?? 0) + wq * wd[j]!);
      }
    }
    const top = new TopK(k);
    for (const [d, s] of acc) top.push(d, s, d);
    return top.results().map((r) => ({ passage: r.id, score: r.score, signals: { lexical: r.score } }));
  }

  /** Dense + learned sparse first stage, fused, then multi-vector re-ranking of the best candidates. */
  async hybrid(q: Encoded, opts: HybridOptions = {}): Promise<RankedPassage[]> {
    const k = opts.k ?? 10;
    const m = this.manifest;
    const hasMulti = m.shards.multi.storage !== 'none' && q.multi.count > 0;
    const w = { ...DEFAULT_WEIGHTS, ...opts.weights };
    if (!hasMulti) w.multi = 0;
    const depth = opts.candidates ?? Math.max(100, 10 * k);

    const [sparse, dense] = await Promise.all([this.sparseScores(q), this.denseScores(q.dense)]);
    const cand = new Set<number>();
    const topDense = new TopK(depth);
    dense.forEach((s, d) => topDense.push(d, s, d));
    for (const r of topDense.results()) cand.add(r.id);
    const topSparse = new TopK(depth);
    for (const [d, s] of sparse) topSparse.push(d, s, d);
    for (const r of topSparse.results()) cand.add(r.id);

    const first = [...cand].map((d) => ({ passage: d, dense: dense[d]!, sparse: sparse.get(d) ?? 0 }));
    const firstScore = (c: (typeof first)[number]): number => (w.dense * c.dense + w.sparse * c.sparse) / (w.dense + w.sparse || 1);
    first.sort((a, b) => firstScore(b) - firstScore(a) || a.passage - b.passage);
    const keep = first.slice(0, hasMulti ? Math.max(opts.rerank ?? 30, 3 * k) : k);
    // Multi-vector shards are the bulk of an index and are not kept in the offline copy: when they
    // cannot be fetched, the candidates keep their dense + sparse ranking.
    const multi = hasMulti ? await this.multiScores(q, keep.map((c) => c.passage), opts.multiBudget).catch(() => new Map<number, number>()) : new Map<number, number>();
    if (hasMulti && multi.size === 0) w.multi = 0;

    const ranked = keep.map((c): RankedPassage => {
      const ms = multi.get(c.passage);
      const score = (w.dense * c.dense + w.sparse * c.sparse + w.multi * (ms ?? 0)) / (w.dense + w.sparse + w.multi || 1);
      return { passage: c.passage, score, signals: { dense: c.dense, sparse: c.sparse, ...(ms !== undefined ? { multi: ms } : {}) } };
    });
    ranked.sort((a, b) => b.score - a.score || a.passage - b.passage);
    return ranked.slice(0, k);
  }

  private async sparseScores(q: Encoded): Promise<Map<number, number>> {
    const postings = await this.postings(q.sparse.ids);
    const acc = new Map<number, number>();
    for (let i = 0; i < q.sparse.ids.length; i++) {
      const p = postings.get(q.sparse.ids[i]!);
      const wq = q.sparse.weights[i]!;
      if (!p || wq === 0) continue;
      const wd = float16ToFloat32(p.sparseWeights);
      for (let j = 0; j < p.sparsePassages.length; j++) {
        const d = p.sparsePassages[j]!;
        acc.set(d, (acc.get(d) ?? 0) + wq * wd[j]!);
      }
    }
    return acc;
  }

  private async denseScores(qv: Float32Array): Promise<Float32Array> {
    const m = this.manifest;
    const out = new Float32Array(m.counts.passages);
    const shards = await Promise.all(m.shards.dense.files.map((f) => this.file<DenseShard>(f.file, decodeDenseShard)));
    for (const s of shards) {
      if (s.dim !== qv.length) throw new Error(`query has ${qv.length} dense dims, the index ${s.dim}: built with another model`);
      const matrix = scannable(s);
      for (let from = 0; from < s.count; from += SCAN_ROWS) {
        const n = Math.min(SCAN_ROWS, s.count - from);
        const dots = matrix.scan(qv, from, n);
        for (let i = 0; i < n; i++) out[s.first + from + i] = dots[i]! * s.scales[from + i]!;
      }
    }
    return out;
  }

  /** Rows per passage and cap, as the manifest records them (older builds: every token row). */
  get multiLayout(): { layout: 'all' | 'nested'; maxRows: number | null } {
    const s = this.manifest.shards.multi;
    return { layout: s.layout ?? 'all', maxRows: s.maxRows ?? null };
  }

  /**
   * MaxSim: mean over query vectors of the best dot with any stored passage row (token rows
   * under `all`, nested centroids under `nested`: the same formula either way).
   */
  private async multiScores(q: Encoded, passages: number[], budget?: number): Promise<Map<number, number>> {
    const nested = this.multiLayout.layout === 'nested';
    const files = await this.multiFiles();
    const need = [...new Set(passages.map((p) => rangeFileOf(files, p)).filter((i) => i >= 0))];
    const shards = new Map<number, MultiShard>();
    await Promise.all(need.map(async (i) => shards.set(i, await this.file(files[i]!.file, decodeMultiShard))));
    const out = new Map<number, number>();
    const { data: qd, count: qn, dim } = q.multi;
    for (const p of passages) {
      const s = shards.get(rangeFileOf(files, p));
      const row = s?.rows[p - s.first];
      if (!s || !row || s.dim !== dim) continue;
      const rows = nested && budget !== undefined && budget >= 1 ? Math.min(row.count, Math.floor(budget)) : row.count;
      if (qn === 0 || rows === 0) {
        out.set(p, 0);
        continue;
      }
      const kernel = maxSimKernel();
      const score =
        row.kind === 'float16'
          ? kernel.scoreHalf(qd, qn, rows, dim, row.data, 0)
          : kernel.scoreInt8(qd, qn, rows, dim, row.data, row.scales, 0);
      out.set(p, score);
    }
    return out;
  }

  /** Display data of passages, fetching only their metadata shards. */
  async meta(passages: readonly number[]): Promise<PassageMeta[]> {
    const files = this.manifest.shards.meta.files;
    return Promise.all(
      passages.map(async (p) => {
        const f = files[rangeFileOf(files, p)];
        if (!f) throw new Error(`passage ${p} is not in the index`);
        const shard = await this.file(f.file, decodeMetaShard);
        return shard.items[p - shard.first]!;
      }),
    );
  }

  /** The multi-vector shard list (its own file: see SiteManifest). */
  multiFiles(): Promise<RangeFile[]> {
    const table = this.manifest.shards.multi.table;
    return table ? this.file(table.file, (b) => JSON.parse(new TextDecoder().decode(b)) as RangeFile[]) : Promise.resolve([]);
  }

  /** Every file of the build. */
  async allFiles(): Promise<string[]> {
    const table = this.manifest.shards.multi.table;
    return [...this.offlineFiles(), ...(table ? [table.file] : []), ...(await this.multiFiles()).map((f) => f.file)];
  }

  /** What the offline copy holds: everything but the multi-vector shards (the bulk; re-ranking only). */
  offlineFiles(): string[] {
    const s = this.manifest.shards;
    return [...s.dense.files.map((f) => f.file), ...s.postings.files, ...s.meta.files.map((f) => f.file)];
  }
}

/** A dense shard's rows in a scan-ready matrix (SIMD where available), built on first use. */
const matrices = new WeakMap<DenseShard, DenseMatrix>();
function scannable(s: DenseShard): DenseMatrix {
  let m = matrices.get(s);
  if (m === undefined) {
    m = new DenseMatrix('int8', s.dim);
    m.reserve(s.count);
    m.rows.set(s.q.subarray(0, s.count * s.dim));
    matrices.set(s, m);
  }
  return m;
}
