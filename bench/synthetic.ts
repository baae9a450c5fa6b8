// A synthetic corpus with realistic shapes, for sizes no real collection here
// reaches (100k passages). Passages are Zipf-distributed pseudo-words, so the
// text engines (MiniSearch, Orama, our lexical mode) index the SAME texts the
// vector modes index; the vectors are random but shaped like BGE-M3's (dense
// 1024-d unit vectors, one sparse weight per distinct word ≈ 60 per passage,
// ~150 unit token vectors of dim 1024). Latency depends on shapes, not on
// what the numbers mean, so random values time the same code paths.
import type { Doc, Encoded } from '../src/core/types.js';
import { mulberry32 } from '../scripts/test-model/graph.js';

export interface Shapes {
  denseDim: number;
  multiDim: number;
  /** Token vectors per passage (a passage of ~150 tokens). */
  multiCount: number;
  /** Token vectors per query. */
  queryMultiCount: number;
  /** Words per passage, uniform in [min, max]. */
  words: readonly [number, number];
  /** Words per query, uniform in [min, max]. */
  queryWords: readonly [number, number];
  vocab: number;
}

/** BGE-M3 shapes: 1024-d dense, 150 × 1024 token vectors, ~80-word passages (≈ 60 distinct terms). */
export const FULL_SHAPES: Readonly<Shapes> = Object.freeze({
  denseDim: 1024,
  multiDim: 1024,
  multiCount: 150,
  queryMultiCount: 16,
  words: [50, 110] as const,
  queryWords: [4, 8] as const,
  vocab: 30_000,
});

/** Same code paths at toy sizes (CI smoke run). */
export const QUICK_SHAPES: Readonly<Shapes> = Object.freeze({
  denseDim: 64,
  multiDim: 32,
  multiCount: 12,
  queryMultiCount: 4,
  words: [20, 40] as const,
  queryWords: [3, 5] as const,
  vocab: 2_000,
});

/** Seeded random numbers (the test-model generator's mulberry32) with a few shape helpers. */
export class Rng {
  private readonly gen: () => number;
  constructor(seed: number) {
    this.gen = mulberry32(seed);
  }
  next(): number {
    return this.gen();
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  /** Fills `out[off, off+len)` with a random unit vector. */
  unit(out: Float32Array, off = 0, len = out.length): Float32Array {
    let norm = 0;
    for (let i = 0; i < len; i++) {
      const v = this.next() * 2 - 1;
      out[off + i] = v;
      norm += v * v;
    }
    const inv = 1 / Math.sqrt(norm || 1);
    for (let i = 0; i < len; i++) out[off + i]! *= inv;
    return out;
  }
}

const SYLLABLES = 'ka ri to mu ne sa lo vi de pa ru mi so te na ko ba li fe gu zo ha ye wi'.split(' ');

/** Distinct pseudo-words ("karito", "mune", …), rank 0 the most frequent. */
export function vocabulary(n: number): string[] {
  const out: string[] = [];
  const base = SYLLABLES.length;
  for (let i = 0; out.length < n; i++) {
    // 2+ syllables, so no word is a substring-prefix trap of length 1.
    let x = i + base;
    let w = '';
    while (x > 0) {
      w += SYLLABLES[x % base]!;
      x = Math.floor(x / base);
    }
    out.push(w);
  }
  return out;
}

/** Word ranks drawn with P(r) ∝ 1/(r+1)^s (natural-language-like frequencies). */
export class Zipf {
  private readonly cdf: Float64Array;
  constructor(n: number, s = 1.0) {
    this.cdf = new Float64Array(n);
    let sum = 0;
    for (let r = 0; r < n; r++) this.cdf[r] = sum += 1 / Math.pow(r + 1, s);
    for (let r = 0; r < n; r++) this.cdf[r]! /= sum;
  }
  sample(rng: Rng): number {
    const u = rng.next();
    let lo = 0;
    let hi = this.cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

export interface SyntheticCorpus {
  shapes: Shapes;
  docs: Doc[];
  /** Word ranks per passage (the text is these words joined). */
  words: Uint32Array[];
  /** One encoding per passage; `multi` empty unless requested. */
  encoded: Encoded[];
  queries: SyntheticQuery[];
}

export interface SyntheticQuery {
  text: string;
  encoded: Encoded;
}

export interface CorpusOptions {
  size: number;
  queries: number;
  shapes: Shapes;
  seed: number;
  /** Give every passage `shapes.multiCount` token vectors (costly: 150 × 1024 floats each). */
  withMulti: boolean;
}

/** Builds passages, their encodings and queries drawn from random passages (words + a noisy dense copy). */
export function syntheticCorpus(o: CorpusOptions): SyntheticCorpus {
  const { shapes } = o;
  const rng = new Rng(o.seed);
  const vocab = vocabulary(shapes.vocab);
  const zipf = new Zipf(shapes.vocab);
  const docs: Doc[] = [];
  const words: Uint32Array[] = [];
  const encoded: Encoded[] = [];
  for (let i = 0; i < o.size; i++) {
    const w = Uint32Array.from({ length: rng.int(shapes.words[0], shapes.words[1]) }, () => zipf.sample(rng));
    words.push(w);
    docs.push({ id: `p${i}`, text: sentence(w, vocab) });
    encoded.push(encodePassage(w, shapes, rng, o.withMulti));
  }
  const queries: SyntheticQuery[] = [];
  for (let q = 0; q < o.queries; q++) {
    const target = rng.int(0, o.size - 1);
    const tw = words[target]!;
    const qw = Uint32Array.from({ length: rng.int(shapes.queryWords[0], shapes.queryWords[1]) }, () => tw[rng.int(0, tw.length - 1)]!);
    const dense = new Float32Array(shapes.denseDim);
    rng.unit(dense);
    const src = encoded[target]!.dense;
    let norm = 0;
    for (let i = 0; i < dense.length; i++) norm += (dense[i] = src[i]! + 0.5 * dense[i]!) ** 2;
    for (let i = 0; i < dense.length; i++) dense[i]! /= Math.sqrt(norm);
    const multi = new Float32Array(shapes.queryMultiCount * shapes.multiDim);
    for (let r = 0; r < shapes.queryMultiCount; r++) rng.unit(multi, r * shapes.multiDim, shapes.multiDim);
    queries.push({
      text: sentence(qw, vocab),
      encoded: {
        dense,
        sparse: sparseOf(qw, rng),
        multi: { data: multi, count: shapes.queryMultiCount, dim: shapes.multiDim },
        tokens: qw.length + 2,
        truncated: false,
      },
    });
  }
  return { shapes, docs, words, encoded, queries };
}

function sentence(words: Uint32Array, vocab: readonly string[]): string {
  return Array.from(words, (w) => vocab[w]!).join(' ') + '.';
}

/** One weight per distinct word, in BGE-M3's typical 0.05–0.35 range. */
function sparseOf(words: Uint32Array, rng: Rng): Encoded['sparse'] {
  const ids = Uint32Array.from(new Set(words)).sort();
  const weights = Float32Array.from(ids, () => 0.05 + 0.3 * rng.next());
  return { ids, weights };
}

function encodePassage(words: Uint32Array, shapes: Shapes, rng: Rng, withMulti: boolean): Encoded {
  const dense = rng.unit(new Float32Array(shapes.denseDim));
  const count = withMulti ? shapes.multiCount : 0;
  const data = new Float32Array(count * shapes.multiDim);
  for (let r = 0; r < count; r++) rng.unit(data, r * shapes.multiDim, shapes.multiDim);
  return {
    dense,
    sparse: sparseOf(words, rng),
    multi: { data, count, dim: shapes.multiDim },
    tokens: words.length + 2,
    truncated: false,
  };
}

/** A fresh set of passage-shaped token vectors (for the rerank pool). */
export function multiVectors(shapes: Shapes, rng: Rng): Encoded['multi'] {
  const data = new Float32Array(shapes.multiCount * shapes.multiDim);
  for (let r = 0; r < shapes.multiCount; r++) rng.unit(data, r * shapes.multiDim, shapes.multiDim);
  return { data, count: shapes.multiCount, dim: shapes.multiDim };
}
