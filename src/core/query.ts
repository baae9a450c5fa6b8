// Turns an encoded query into the parts a search can use. A part that is
// missing or all zero is "absent" (its signal is skipped); a malformed part is
// an error; a part whose dimension differs from the index means the query came
// from another model.

import { isTyped } from './check-vectors.js';
import { M3SearchError } from './errors.js';
import type { Encoded, MultiVector, SparseVector } from './types.js';
import { allFinite, isZero } from './vector-math.js';

export interface PreparedQuery {
  dense?: Float32Array;
  sparse?: SparseVector;
  multi?: MultiVector;
}

export interface IndexDims {
  /** Dense dimension of the index. */
  dense: number;
  /** Multi-vector dimension of the index (0 when no document has token vectors). */
  multi: number;
}

function invalid(message: string): never {
  throw new M3SearchError('INVALID_OPTION', `query: ${message}`);
}

function mismatch(what: string, got: number, want: number): never {
  throw new M3SearchError(
    'MODEL_MISMATCH',
    `query ${what} has ${got} dims but the index holds ${want}; was it encoded by a different model?`,
    { what, got, want },
  );
}

export function prepareQuery(q: Encoded, dims: IndexDims): PreparedQuery {
  if (typeof q !== 'object' || q === null) invalid('expected an encoded query object');
  const out: PreparedQuery = {};

  const dense: unknown = q.dense;
  if (dense !== undefined) {
    if (!isTyped(dense, 'Float32Array')) invalid('dense must be a Float32Array');
    if (!allFinite(dense)) invalid('dense holds NaN or Infinity');
    if (dense.length > 0 && !isZero(dense)) {
      if (dense.length !== dims.dense) mismatch('dense vector', dense.length, dims.dense);
      out.dense = dense;
    }
  }

  const sparse: unknown = q.sparse;
  if (sparse !== undefined) {
    const s = canonicalSparse(sparse);
    if (s.ids.length > 0) out.sparse = s;
  }

  const multi: unknown = q.multi;
  if (multi !== undefined) {
    if (typeof multi !== 'object' || multi === null) invalid('multi must be { data, count, dim }');
    const { data, count, dim } = multi as Partial<MultiVector>;
    if (!isTyped(data, 'Float32Array')) invalid('multi.data must be a Float32Array');
    if (!Number.isInteger(count) || !Number.isInteger(dim) || count! < 0 || dim! < 0) invalid('multi.count/dim must be non-negative integers');
    if (data.length !== count! * dim!) invalid(`multi.data has ${data.length} values, expected ${count! * dim!}`);
    if (!allFinite(data)) invalid('multi holds NaN or Infinity');
    if (count! > 0 && dims.multi > 0 && !isZero(data)) {
      if (dim !== dims.multi) mismatch('multi-vectors', dim!, dims.multi);
      out.multi = { data, count: count!, dim: dim! };
    }
  }
  return out;
}

/**
 * Sorted, unique ids with nonzero weights (duplicates summed). Encoders
 * already emit this; the copy is made only when the input is not canonical.
 */
function canonicalSparse(v: unknown): SparseVector {
  if (typeof v !== 'object' || v === null) invalid('sparse must be { ids, weights }');
  const { ids, weights } = v as Partial<SparseVector>;
  if (!isTyped(ids, 'Uint32Array') || !isTyped(weights, 'Float32Array')) {
    invalid('sparse.ids must be a Uint32Array and sparse.weights a Float32Array');
  }
  if (ids.length !== weights.length) invalid(`sparse has ${ids.length} ids but ${weights.length} weights`);
  if (!allFinite(weights)) invalid('sparse weights hold NaN or Infinity');
  let canonical = true;
  for (let i = 0; i < ids.length && canonical; i++) {
    if (weights[i] === 0 || (i > 0 && ids[i]! <= ids[i - 1]!)) canonical = false;
  }
  if (canonical) return { ids, weights };
  const merged = new Map<number, number>();
  for (let i = 0; i < ids.length; i++) merged.set(ids[i]!, (merged.get(ids[i]!) ?? 0) + weights[i]!);
  const keys = [...merged.keys()].filter((id) => Math.fround(merged.get(id)!) !== 0).sort((a, b) => a - b);
  return { ids: Uint32Array.from(keys), weights: Float32Array.from(keys, (id) => merged.get(id)!) };
}
