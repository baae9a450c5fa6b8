// Shape checks for vectors entering the index (from the encoder, a record or a
// snapshot). Each returns a human-readable problem, or undefined when fine, so
// the caller picks the error code (INVALID_DOCUMENT, CORRUPT_RECORD, …).

import type { Encoded, MultiVector, SparseVector } from './types.js';
import type { DenseData, MultiData } from './stored.js';
import { allFinite } from './vector-math.js';

export function denseProblem(v: unknown): string | undefined {
  if (!isTyped(v, 'Float32Array')) return 'dense must be a Float32Array';
  if (v.length === 0) return 'dense vector is empty';
  if (!allFinite(v)) return 'dense vector holds NaN or Infinity';
  return undefined;
}

export function sparseProblem(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null) return 'sparse must be { ids, weights }';
  const { ids, weights } = v as Partial<SparseVector>;
  if (!isTyped(ids, 'Uint32Array') || !isTyped(weights, 'Float32Array')) {
    return 'sparse.ids must be a Uint32Array and sparse.weights a Float32Array';
  }
  if (ids.length !== weights.length) return `sparse has ${ids.length} ids but ${weights.length} weights`;
  for (let i = 1; i < ids.length; i++) {
    if (ids[i]! <= ids[i - 1]!) return 'sparse ids must be sorted ascending and unique';
  }
  if (!allFinite(weights)) return 'sparse weights hold NaN or Infinity';
  return undefined;
}

export function multiProblem(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null) return 'multi must be { data, count, dim }';
  const { data, count, dim } = v as Partial<MultiVector>;
  if (!isTyped(data, 'Float32Array')) return 'multi.data must be a Float32Array';
  return multiShapeProblem(data.length, count, dim) ?? (allFinite(data) ? undefined : 'multi-vectors hold NaN or Infinity');
}

function multiShapeProblem(len: number, count: unknown, dim: unknown): string | undefined {
  if (!isCount(count) || !isCount(dim)) return 'multi.count and multi.dim must be non-negative integers';
  if (count > 0 && dim === 0) return 'multi.dim must be positive when there are rows';
  if (len !== count * dim) return `multi.data has ${len} values, expected count × dim = ${count * dim}`;
  return undefined;
}

export function encodedProblem(enc: unknown): string | undefined {
  if (typeof enc !== 'object' || enc === null) return 'the encoding must be an object';
  const e = enc as Partial<Encoded>;
  return denseProblem(e.dense) ?? sparseProblem(e.sparse) ?? multiProblem(e.multi);
}

export function denseDataProblem(d: DenseData): string | undefined {
  if (d.data.length === 0) return 'dense vector is empty';
  if (d.kind === 'int8') return Number.isFinite(d.scale) && d.scale >= 0 ? undefined : 'dense scale is invalid';
  return allFinite(d.data) ? undefined : 'dense vector holds NaN or Infinity';
}

export function multiDataProblem(m: MultiData): string | undefined {
  const shape = multiShapeProblem(m.data.length, m.count, m.dim);
  if (shape !== undefined) return shape;
  switch (m.kind) {
    case 'float32':
      return allFinite(m.data) ? undefined : 'multi-vectors hold NaN or Infinity';
    case 'float16':
      for (let i = 0; i < m.data.length; i++) {
        if ((m.data[i]! & 0x7c00) === 0x7c00) return 'multi-vectors hold NaN or Infinity';
      }
      return undefined;
    case 'int8':
      if (m.scales.length !== m.count) return `multi has ${m.count} rows but ${m.scales.length} scales`;
      for (let i = 0; i < m.scales.length; i++) {
        if (!(Number.isFinite(m.scales[i]) && m.scales[i]! >= 0)) return 'multi row scale is invalid';
      }
      return undefined;
  }
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

interface TypedArrays {
  Float32Array: Float32Array;
  Uint32Array: Uint32Array;
}

/** Tag check instead of instanceof, so arrays from another realm (worker, vm, test env) pass too. */
export function isTyped<K extends keyof TypedArrays>(v: unknown, tag: K): v is TypedArrays[K] {
  return ArrayBuffer.isView(v) && Object.prototype.toString.call(v) === `[object ${tag}]`;
}
