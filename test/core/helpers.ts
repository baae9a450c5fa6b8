// Seeded random encodings for core tests: deterministic, small, and shaped
// like real encoder output (unit dense vector, sorted unique sparse ids with
// positive weights, unit-norm token rows).

import type { Doc, Encoded, MultiVector, SparseVector } from '../../src/core/types.js';

/** The generator's seeded PRNG (mulberry32): one implementation for model weights and test data. */
import { mulberry32 } from '../../scripts/test-model/graph.js';
import { M3SearchError } from '../../src/core/errors.js';

export const rng = mulberry32;

/** Standard normal via Box–Muller. */
export function gauss(r: () => number): number {
  const u = Math.max(r(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

export function unit(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.sqrt(s);
  for (let i = 0; i < v.length; i++) v[i] = v[i]! / n;
  return v;
}

export function randomDense(r: () => number, dim: number): Float32Array {
  return unit(Float32Array.from({ length: dim }, () => gauss(r)));
}

/** `nnz` distinct ids below `vocab`, sorted, with weights in (0, 1]. */
export function randomSparse(r: () => number, vocab: number, nnz: number): SparseVector {
  const set = new Set<number>();
  while (set.size < Math.min(nnz, vocab)) set.add(Math.floor(r() * vocab));
  const ids = Uint32Array.from([...set].sort((a, b) => a - b));
  const weights = Float32Array.from(ids, () => 0.05 + 0.95 * r());
  return { ids, weights };
}

export function randomMulti(r: () => number, count: number, dim: number): MultiVector {
  const data = new Float32Array(count * dim);
  for (let i = 0; i < count; i++) data.set(randomDense(r, dim), i * dim);
  return { data, count, dim };
}

export interface Dims {
  dense: number;
  multi: number;
  vocab: number;
}

export const SMALL: Dims = { dense: 32, multi: 16, vocab: 300 };

export function randomEncoded(r: () => number, dims: Dims = SMALL, rows = 3 + Math.floor(r() * 6), nnz = 4 + Math.floor(r() * 10)): Encoded {
  return {
    dense: randomDense(r, dims.dense),
    sparse: randomSparse(r, dims.vocab, nnz),
    multi: randomMulti(r, rows, dims.multi),
    tokens: rows + 2,
    truncated: false,
  };
}

/** A query near `enc`: its vectors plus noise, and a subset of its sparse terms plus random ones. */
export function nearQuery(r: () => number, enc: Encoded, dims: Dims = SMALL, noise = 0.5): Encoded {
  const dense = unit(Float32Array.from(enc.dense, (x) => x + noise * gauss(r) / Math.sqrt(dims.dense)));
  const ids = new Map<number, number>();
  enc.sparse.ids.forEach((id, i) => {
    if (r() < 0.5) ids.set(id, enc.sparse.weights[i]!);
  });
  for (let i = 0; i < 3; i++) ids.set(Math.floor(r() * dims.vocab), 0.1 + r() * 0.5);
  const sorted = [...ids.keys()].sort((a, b) => a - b);
  const sparse = { ids: Uint32Array.from(sorted), weights: Float32Array.from(sorted, (id) => ids.get(id)!) };
  const qRows = 2 + Math.floor(r() * 3);
  const multi = new Float32Array(qRows * dims.multi);
  for (let i = 0; i < qRows; i++) {
    const src = Math.floor(r() * enc.multi.count) * dims.multi;
    const row = Float32Array.from({ length: dims.multi }, (_, t) => enc.multi.data[src + t]! + noise * gauss(r) / Math.sqrt(dims.multi));
    multi.set(unit(row), i * dims.multi);
  }
  return { dense, sparse, multi: { data: multi, count: qRows, dim: dims.multi }, tokens: qRows + 2, truncated: false };
}

export function makeDoc(i: number): Doc {
  return { id: `doc-${i}`, text: `document number ${i}`, meta: { n: i, tags: ['t', i % 3] } };
}

/** A corpus of `n` random documents with encodings. */
export function corpus(seed: number, n: number, dims: Dims = SMALL): { docs: Doc[]; encs: Encoded[] } {
  const r = rng(seed);
  const docs: Doc[] = [];
  const encs: Encoded[] = [];
  for (let i = 0; i < n; i++) {
    docs.push(makeDoc(i));
    encs.push(randomEncoded(r, dims));
  }
  return { docs, encs };
}

// ---------------------------------------------------------------- brute-force references

export function naiveDot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export function naiveSparse(q: SparseVector, d: SparseVector): number {
  const m = new Map<number, number>();
  d.ids.forEach((id, i) => m.set(id, d.weights[i]!));
  let s = 0;
  q.ids.forEach((id, i) => {
    const w = m.get(id);
    if (w !== undefined) s += q.weights[i]! * w;
  });
  return s;
}

export function naiveMaxSim(q: MultiVector, p: MultiVector, budget = Infinity, queryBudget = Infinity): number {
  const qn = Math.min(q.count, queryBudget);
  const pn = Math.min(p.count, budget);
  if (qn === 0 || pn === 0) return 0;
  let total = 0;
  for (let i = 0; i < qn; i++) {
    let best = -Infinity;
    for (let j = 0; j < pn; j++) {
      let d = 0;
      for (let t = 0; t < q.dim; t++) d += q.data[i * q.dim + t]! * p.data[j * p.dim + t]!;
      best = Math.max(best, d);
    }
    total += best;
  }
  return total / qn;
}

/** Catches and returns the thrown value (for asserting error codes). */
export function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

/** The M3SearchError `fn` throws (anything else is rethrown; no throw fails the test). */
export function caught(fn: () => unknown): M3SearchError {
  try {
    fn();
  } catch (e) {
    if (e instanceof M3SearchError) return e;
    throw e;
  }
  throw new Error('expected an M3SearchError');
}
