// Scores a fixed set of candidates with every available signal and ranks the
// candidates by each signal on its own, so a hit can report what each signal
// thought of it and RRF has ranks to fuse.

import { rankOf, SIGNALS } from './fusion.js';
import type { Signal, SignalScore } from './types.js';

export type Scorers = Partial<Record<Signal, (slot: number) => number>>;

export interface SignalTable {
  slots: readonly number[];
  /** Tie-break key per candidate (insertion order). */
  orders: Float64Array;
  scores: Partial<Record<Signal, Float64Array>>;
  ranks: Partial<Record<Signal, Int32Array>>;
}

export function buildSignalTable(slots: readonly number[], order: (slot: number) => number, scorers: Scorers): SignalTable {
  const orders = Float64Array.from(slots, order);
  const table: SignalTable = { slots, orders, scores: {}, ranks: {} };
  for (const sig of SIGNALS) {
    const f = scorers[sig];
    if (f === undefined) continue;
    const s = Float64Array.from(slots, f);
    table.scores[sig] = s;
    table.ranks[sig] = rankOf(s, orders);
  }
  return table;
}

/** Candidate `i`'s raw score per signal. */
export function scoresAt(t: SignalTable, i: number): Partial<Record<Signal, number>> {
  const out: Partial<Record<Signal, number>> = {};
  for (const sig of SIGNALS) {
    const s = t.scores[sig];
    if (s !== undefined) out[sig] = s[i]!;
  }
  return out;
}

/** Candidate `i`'s 1-based rank per signal. */
export function ranksAt(t: SignalTable, i: number): Partial<Record<Signal, number>> {
  const out: Partial<Record<Signal, number>> = {};
  for (const sig of SIGNALS) {
    const r = t.ranks[sig];
    if (r !== undefined) out[sig] = r[i]!;
  }
  return out;
}

/** Candidate `i`'s score and rank per signal, as carried on a hit. */
export function signalsAt(t: SignalTable, i: number): Partial<Record<Signal, SignalScore>> {
  const out: Partial<Record<Signal, SignalScore>> = {};
  for (const sig of SIGNALS) {
    const s = t.scores[sig];
    const r = t.ranks[sig];
    if (s !== undefined && r !== undefined) out[sig] = { score: s[i]!, rank: r[i]! };
  }
  return out;
}
