// Sparsity control for one side (queries or passages): keep the top-k terms
// and/or those above a threshold. Query sparsity drives search cost, passage
// sparsity drives index size, so each side has its own setting.
import type { SparseVector } from '../core/types.js';

export interface SparsePruning {
  /** Keep at most this many terms (highest weights). */
  topK?: number;
  /** Drop terms whose weight is below this. */
  threshold?: number;
}

export function pruneSparse(v: SparseVector, { topK, threshold }: SparsePruning): SparseVector {
  let keep = [...v.ids.keys()];
  if (threshold !== undefined) keep = keep.filter((i) => v.weights[i]! >= threshold);
  if (topK !== undefined && keep.length > topK) {
    keep.sort((a, b) => v.weights[b]! - v.weights[a]! || a - b);
    keep = keep.slice(0, Math.max(0, topK)).sort((a, b) => a - b);
  }
  if (keep.length === v.ids.length) return v;
  return {
    ids: Uint32Array.from(keep, (i) => v.ids[i]!),
    weights: Float32Array.from(keep, (i) => v.weights[i]!),
  };
}
