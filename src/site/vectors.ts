// Encoder output → the stored (quantized) form kept in shards: int8 dense,
// float16 sparse weights, float16 or int8 multi-vectors.
import { float32ToFloat16, quantizeInt8, quantizeRowsInt8 } from '../core/quantize.js';
import type { Encoded } from '../core/types.js';
import type { MultiStorageKind, StoredVectors } from './types.js';

export function storeVectors(enc: Encoded, multi: MultiStorageKind | 'none'): StoredVectors {
  const dense = quantizeInt8(enc.dense);
  // Zero weights can never score; leave them out of the postings.
  const keep: number[] = [];
  for (let i = 0; i < enc.sparse.ids.length; i++) if (enc.sparse.weights[i]! > 0) keep.push(i);
  const ids = Uint32Array.from(keep, (i) => enc.sparse.ids[i]!);
  const w16 = float32ToFloat16(Float32Array.from(keep, (i) => enc.sparse.weights[i]!));
  let m: StoredVectors['multi'] = null;
  if (multi !== 'none' && enc.multi.count > 0) {
    if (multi === 'float16') m = { kind: 'float16', count: enc.multi.count, data: float32ToFloat16(enc.multi.data) };
    else {
      const { q, scales } = quantizeRowsInt8(enc.multi.data, enc.multi.dim);
      m = { kind: 'int8', count: enc.multi.count, data: q, scales };
    }
  }
  return { dense: { q: dense.q, scale: dense.scale }, sparse: { ids, w16 }, multi: m };
}
