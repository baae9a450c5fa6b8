// The BGE-M3 formulas (as in FlagEmbedding) applied to one passage's rows of
// encoder output. Pure math on typed arrays: the encoder calls it for every
// layout, and the tests compare it with their own reference computation.
import { DenseMatrix, SCAN_ROWS } from '../core/dense-matrix.js';
import type { MultiVector, SparseVector } from '../core/types.js';

/** A torch-style Linear layer: `out = W·x + b`, W row-major `[outDim, inDim]`. */
export interface LinearHead {
  weight: Float32Array;
  bias: Float32Array;
  outDim: number;
  inDim: number;
}

/** L2-normalized copy of `v` (a zero vector stays zero). */
export function normalized(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  const out = new Float32Array(v);
  if (s > 0) {
    const inv = 1 / Math.sqrt(s);
    for (let i = 0; i < out.length; i++) out[i]! *= inv;
  }
  return out;
}

/** `W·x + b` for one row `x` starting at `offset` in `rows`; `simd: false` forces the scalar loop (the bench's baseline). */
export function applyLinear(head: LinearHead, rows: Float32Array, offset: number, out: Float32Array, opts: { simd?: boolean } = {}): void {
  const { weight, bias, outDim, inDim } = head;
  const kernel = opts.simd === false ? undefined : kernelOf(head);
  if (kernel !== undefined) {
    // W's rows scanned by the dense index's SIMD kernel: out[o] = W_o · x, SCAN_ROWS outputs per call.
    const x = rows.subarray(offset, offset + inDim);
    for (let from = 0; from < outDim; from += SCAN_ROWS) {
      const n = Math.min(SCAN_ROWS, outDim - from);
      out.set(kernel.scan(x, from, n), from);
    }
    for (let o = 0; o < outDim; o++) out[o]! += bias[o] ?? 0;
    return;
  }
  for (let o = 0; o < outDim; o++) {
    let s = bias[o] ?? 0;
    const w = o * inDim;
    for (let i = 0; i < inDim; i++) s += weight[w + i]! * rows[offset + i]!;
    out[o] = s;
  }
}

/**
 * A head's weight rows in WebAssembly memory, built on first use: at BGE-M3's
 * size the ColBERT head is a 1024 × 1024 product per token, seconds per long
 * passage in a scalar loop. Undefined where the SIMD kernel cannot run (no
 * WebAssembly SIMD, a CSP without 'wasm-unsafe-eval', an input width not a
 * multiple of 4): the scalar loop answers there.
 */
const kernels = new WeakMap<LinearHead, DenseMatrix | null>();
function kernelOf(head: LinearHead): DenseMatrix | undefined {
  let k = kernels.get(head);
  if (k === undefined) {
    const m = new DenseMatrix('float32', head.inDim);
    k = m.engine === 'wasm-simd' ? m : null;
    k?.reserve(head.outDim);
    k?.rows.set(head.weight.subarray(0, head.outDim * head.inDim));
    kernels.set(head, k);
  }
  return k ?? undefined;
}

/**
 * Lexical weights: per token `weight_i` (already relu'd), special tokens dropped,
 * max over repeats of one id, zero weights dropped. Ids come back sorted.
 */
export function poolSparse(ids: ArrayLike<number>, weights: ArrayLike<number>, special: ReadonlySet<number>): SparseVector {
  const best = new Map<number, number>();
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    const w = weights[i]!;
    if (special.has(id) || !(w > 0)) continue;
    const prev = best.get(id);
    if (prev === undefined || w > prev) best.set(id, w);
  }
  return toSparse(best);
}

export function toSparse(map: Map<number, number>): SparseVector {
  const ids = Uint32Array.from(map.keys()).sort();
  const weights = new Float32Array(ids.length);
  for (let i = 0; i < ids.length; i++) weights[i] = map.get(ids[i]!)!;
  return { ids, weights };
}

/** relu(H_i·w + b) for every position of one passage (`hidden` rows `[T,H]`). */
export function lexicalWeights(head: LinearHead, hidden: Float32Array, length: number, dim: number): Float32Array {
  const out = new Float32Array(length);
  const one = new Float32Array(1);
  for (let t = 0; t < length; t++) {
    applyLinear(head, hidden, t * dim, one);
    out[t] = Math.max(0, one[0]!);
  }
  return out;
}

/** normalize(H_i·W + b) for positions 1..length-1 (after [CLS], padding excluded). */
export function colbertVectors(head: LinearHead, hidden: Float32Array, length: number, dim: number): MultiVector {
  const count = Math.max(0, length - 1);
  const data = new Float32Array(count * head.outDim);
  const row = new Float32Array(head.outDim);
  for (let t = 1; t < length; t++) {
    applyLinear(head, hidden, t * dim, row);
    data.set(normalized(row), (t - 1) * head.outDim);
  }
  return { data, count, dim: head.outDim };
}

/** Normalizes each row of an already-projected `[count, dim]` block. */
export function normalizeRows(rows: Float32Array, count: number, dim: number): MultiVector {
  const data = new Float32Array(count * dim);
  for (let r = 0; r < count; r++) data.set(normalized(rows.subarray(r * dim, (r + 1) * dim)), r * dim);
  return { data, count, dim };
}

/**
 * SPLADE-max: for every vocabulary entry, max over positions of log(1 + relu(logit)).
 * `logits` rows `[length, vocab]`; positions whose token is special are skipped,
 * and ids in `exclude` (special and noise tokens) never enter the vector.
 */
export function spladeMax(
  logits: Float32Array,
  length: number,
  vocab: number,
  skipPosition: (t: number) => boolean,
  exclude: ReadonlySet<number>,
): SparseVector {
  const best = new Float32Array(vocab);
  for (let t = 0; t < length; t++) {
    if (skipPosition(t)) continue;
    const base = t * vocab;
    for (let v = 0; v < vocab; v++) {
      const x = logits[base + v]!;
      if (x > best[v]!) best[v] = x; // log1p∘relu is monotone: pool first, transform once
    }
  }
  return spladeFromPooled(best, exclude);
}

/** log(1+relu(x)) of an already max-pooled `[vocab]` row, excluded ids dropped. */
export function spladeFromPooled(pooled: Float32Array, exclude: ReadonlySet<number>): SparseVector {
  const map = new Map<number, number>();
  for (let v = 0; v < pooled.length; v++) {
    const x = pooled[v]!;
    if (x > 0 && !exclude.has(v)) map.set(v, Math.log1p(x));
  }
  return toSparse(map);
}
