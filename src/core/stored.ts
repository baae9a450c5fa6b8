// Vectors in their stored (possibly quantized) form, and conversion between
// storage kinds. Records, snapshots and the indexes all speak these shapes, so
// re-opening an index copies quantized bytes instead of re-quantizing them.

import type { DenseStorage, MultiStorage, SparseStorage, SparseVector } from './types.js';
import {
  dequantizeInt8,
  dequantizeRowsInt8,
  float16ToFloat32,
  float32ToFloat16,
  quantizeInt8,
  quantizeRowsInt8,
} from './quantize.js';

export type DenseData =
  | { kind: 'float32'; data: Float32Array }
  | { kind: 'int8'; data: Int8Array; scale: number };

export type MultiData =
  | { kind: 'float32'; data: Float32Array; count: number; dim: number }
  | { kind: 'float16'; data: Uint16Array; count: number; dim: number }
  | { kind: 'int8'; data: Int8Array; scales: Float32Array; count: number; dim: number };

export function denseToFloat32(d: DenseData): Float32Array {
  return d.kind === 'float32' ? d.data : dequantizeInt8(d.data, d.scale);
}

/** Converts to `kind`; returns the input itself when it already is that kind. */
export function denseAs(d: DenseData, kind: DenseStorage): DenseData {
  if (d.kind === kind) return d;
  const f = denseToFloat32(d);
  if (kind === 'float32') return { kind, data: f };
  const { q, scale } = quantizeInt8(f);
  return { kind, data: q, scale };
}

export function multiToFloat32(m: MultiData): Float32Array {
  switch (m.kind) {
    case 'float32':
      return m.data;
    case 'float16':
      return float16ToFloat32(m.data);
    case 'int8':
      return dequantizeRowsInt8(m.data, m.scales, m.dim);
  }
}

/** Converts to `kind`; returns the input itself when it already is that kind. */
export function multiAs(m: MultiData, kind: MultiStorage): MultiData {
  if (m.kind === kind) return m;
  const f = multiToFloat32(m);
  const { count, dim } = m;
  switch (kind) {
    case 'float32':
      return { kind, data: f, count, dim };
    case 'float16':
      return { kind, data: float32ToFloat16(f), count, dim };
    case 'int8': {
      const { q, scales } = quantizeRowsInt8(f, dim);
      return { kind, data: q, scales, count, dim };
    }
  }
}

/** Sparse weights at the index's precision: float16 keeps what a static-site shard keeps (values stay float32 arrays). */
export function sparseAs(v: SparseVector, kind: SparseStorage): SparseVector {
  return kind === 'float32' ? v : { ids: v.ids, weights: float16ToFloat32(float32ToFloat16(v.weights)) };
}
