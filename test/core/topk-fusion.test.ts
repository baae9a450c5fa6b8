import { describe, expect, it } from 'vitest';
import { TopK, topKOf } from '../../src/core/topk.js';
import { rankOf, rrfScore, weightedScore } from '../../src/core/fusion.js';
import { rng } from './helpers.js';

describe('TopK', () => {
  it('matches a full sort (score desc, then insertion order) on random data with many ties', () => {
    const r = rng(11);
    for (let trial = 0; trial < 200; trial++) {
      const n = Math.floor(r() * 300);
      const k = 1 + Math.floor(r() * 40);
      const scores = Array.from({ length: n }, () => Math.floor(r() * 20) / 4); // plenty of ties
      const h = new TopK(k);
      scores.forEach((s, i) => h.push(i, s));
      const want = scores
        .map((s, i) => ({ i, s }))
        .sort((a, b) => b.s - a.s || a.i - b.i)
        .slice(0, k)
        .map((x) => x.i);
      expect(h.results().map((x) => x.id)).toEqual(want);
      expect(topKOf(scores, k).map((x) => x.id)).toEqual(want);
    }
  });

  it('honours an explicit order key and ranks NaN last', () => {
    const h = new TopK(3);
    h.push(1, 5, 30);
    h.push(2, 5, 10);
    h.push(3, NaN, 0);
    h.push(4, 5, 20);
    expect(h.results().map((x) => x.id)).toEqual([2, 4, 1]);
    const z = new TopK(0);
    z.push(1, 1);
    expect(z.results()).toEqual([]);
  });
});

describe('fusion', () => {
  const w = { dense: 0.4, sparse: 0.2, multi: 0.4 };

  it('weighted sum uses weights as given; 0 weight or missing signal drops it', () => {
    expect(weightedScore({ dense: 0.5, sparse: 3, multi: 0.25 }, w)).toBeCloseTo(0.4 * 0.5 + 0.2 * 3 + 0.4 * 0.25, 12);
    expect(weightedScore({ dense: 1, sparse: NaN }, { dense: 2, sparse: 0, multi: 1 })).toBe(2);
    expect(weightedScore({}, w)).toBe(0);
  });

  it('RRF is Σ w/(k + rank) with missing ranks contributing 0', () => {
    expect(rrfScore({ dense: 1, sparse: 3, multi: 2 }, w, 60)).toBeCloseTo(0.4 / 61 + 0.2 / 63 + 0.4 / 62, 15);
    expect(rrfScore({ dense: 5 }, w)).toBeCloseTo(0.4 / 65, 15);
    expect(rrfScore({ dense: 1 }, w, 0)).toBeCloseTo(0.4, 15);
  });

  it('rankOf gives distinct 1-based ranks, ties by order', () => {
    expect(Array.from(rankOf([0.5, 0.9, 0.5, NaN, 1], [0, 1, 2, 3, 4]))).toEqual([3, 2, 4, 5, 1]);
    expect(Array.from(rankOf([0.5, 0.5], [9, 1]))).toEqual([2, 1]);
  });
});
