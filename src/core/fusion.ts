// Combining per-signal opinions into one score, and ranking by one signal.

import type { Signal, Weights } from './types.js';

export const SIGNALS: readonly Signal[] = Object.freeze(['dense', 'sparse', 'multi'] as const);

/** Default reciprocal-rank-fusion constant (Cormack et al. 2009). */
export const DEFAULT_RRF_K = 60;

/**
 * BGE-M3 style weighted sum of raw scores. Weights are used exactly as given
 * (not normalized); a missing signal or a 0 weight contributes nothing.
 */
export function weightedScore(scores: Partial<Record<Signal, number>>, w: Weights): number {
  let s = 0;
  for (const sig of SIGNALS) {
    const v = scores[sig];
    if (v !== undefined && w[sig] !== 0) s += w[sig] * v;
  }
  return s;
}

/** Reciprocal-rank fusion: Σ w_s / (rrfK + rank_s) over signals that ranked the item. */
export function rrfScore(ranks: Partial<Record<Signal, number>>, w: Weights, rrfK: number = DEFAULT_RRF_K): number {
  let s = 0;
  for (const sig of SIGNALS) {
    const r = ranks[sig];
    if (r !== undefined && w[sig] !== 0) s += w[sig] / (rrfK + r);
  }
  return s;
}

/**
 * 1-based ranks of `scores[i]`: higher score first, equal scores by smaller
 * `order[i]` (so ranks are distinct and deterministic). NaN ranks last.
 */
export function rankOf(scores: ArrayLike<number>, order: ArrayLike<number>): Int32Array {
  const n = scores.length;
  const idx = Array.from({ length: n }, (_, i) => i);
  const key = (i: number): number => {
    const s = scores[i]!;
    return Number.isNaN(s) ? -Infinity : s;
  };
  idx.sort((a, b) => {
    const sa = key(a);
    const sb = key(b);
    if (sa !== sb) return sa > sb ? -1 : 1;
    return order[a]! - order[b]!;
  });
  const ranks = new Int32Array(n);
  for (let r = 0; r < n; r++) ranks[idx[r]!] = r + 1;
  return ranks;
}
