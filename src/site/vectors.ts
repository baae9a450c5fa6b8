// Encoder output → the stored (quantized) form kept in shards: int8 dense,
// float16 sparse weights, float16 or int8 multi-vectors.
import { nestMultiVectors } from '../core/nested.js';
import { dequantizeRowsInt8, float16ToFloat32, float32ToFloat16, quantizeInt8, quantizeRowsInt8 } from '../core/quantize.js';
import type { Encoded, MultiVector } from '../core/types.js';
import type { MultiLayout, MultiStorageKind, StoredMulti, StoredVectors } from './types.js';

/** How multi-vectors are kept: storage precision, row layout and (nested) row cap. */
export interface MultiPlan {
  storage: MultiStorageKind | 'none';
  layout: MultiLayout;
  /** Row cap under `nested`. */
  maxRows: number;
}

export function storeVectors(enc: Encoded, plan: MultiPlan): StoredVectors {
  const dense = quantizeInt8(enc.dense);
  // Zero weights can never score; leave them out of the postings.
  const keep: number[] = [];
  for (let i = 0; i < enc.sparse.ids.length; i++) if (enc.sparse.weights[i]! > 0) keep.push(i);
  const ids = Uint32Array.from(keep, (i) => enc.sparse.ids[i]!);
  const w16 = float32ToFloat16(Float32Array.from(keep, (i) => enc.sparse.weights[i]!));
  let m: StoredVectors['multi'] = null;
  if (plan.storage !== 'none' && enc.multi.count > 0) {
    m = storeMulti(plan.layout === 'nested' ? nestMultiVectors(enc.multi, plan.maxRows) : enc.multi, plan.storage);
  }
  return { dense: { q: dense.q, scale: dense.scale }, sparse: { ids, w16 }, multi: m };
}

export function storeMulti(mv: MultiVector, kind: MultiStorageKind): StoredMulti {
  if (kind === 'float16') return { kind: 'float16', count: mv.count, data: float32ToFloat16(mv.data) };
  const { q, scales } = quantizeRowsInt8(mv.data, mv.dim);
  return { kind: 'int8', count: mv.count, data: q, scales };
}

export function loadMulti(m: StoredMulti, dim: number): MultiVector {
  const data = m.kind === 'float16' ? float16ToFloat32(m.data) : dequantizeRowsInt8(m.data, m.scales, dim);
  return { data, count: m.count, dim };
}

/** The layout a previous build's multi-vectors were stored in. */
export interface StoredLayout {
  layout: MultiLayout;
  /** Row cap of a nested build. */
  maxRows: number | null;
}

/**
 * A previous build's multi-vectors brought to the current plan without the
 * encoder, or `undefined` when only re-encoding can produce them:
 * all → nested re-reduces the stored token rows; nested → nested with a lower
 * cap keeps the prefix (every prefix of a nested list is the smaller list);
 * a higher cap is reusable only for passages that already kept every token
 * row; nested → all is lost information.
 */
export function adaptMulti(m: StoredMulti | null, from: StoredLayout, plan: MultiPlan, dim: number): StoredMulti | null | undefined {
  if (plan.storage === 'none' || m === null) return null;
  if (plan.layout === 'all') return from.layout === 'all' ? m : undefined;
  if (from.layout === 'all') return storeMulti(nestMultiVectors(loadMulti(m, dim), plan.maxRows), plan.storage);
  const prevCap = from.maxRows ?? Infinity;
  if (prevCap >= plan.maxRows) return prefixRows(m, plan.maxRows, dim);
  // Fewer rows than the old cap: the passage had that few tokens, so a higher cap keeps them all too.
  return m.count < prevCap ? m : undefined;
}

function prefixRows(m: StoredMulti, rows: number, dim: number): StoredMulti {
  if (m.count <= rows) return m;
  return m.kind === 'float16'
    ? { kind: 'float16', count: rows, data: m.data.slice(0, rows * dim) }
    : { kind: 'int8', count: rows, data: m.data.slice(0, rows * dim), scales: m.scales.slice(0, rows) };
}
