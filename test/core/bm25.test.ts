// BM25 building blocks, against the formulas written out by hand.
import { describe, expect, it } from 'vitest';
import { bm25Idf, bm25Params, bm25QueryWeight, bm25TermWeight, DEFAULT_BM25, termBag } from '../../src/core/bm25.js';
import { M3SearchError } from '../../src/core/errors.js';

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return e instanceof M3SearchError ? e.code : 'other';
  }
  return 'none';
}

describe('bm25Params', () => {
  it('fills defaults and accepts the closed ranges k1 ≥ 0, 0 ≤ b ≤ 1', () => {
    expect(DEFAULT_BM25).toEqual({ k1: 1.2, b: 0.75 });
    expect(bm25Params()).toEqual({ k1: 1.2, b: 0.75 });
    expect(bm25Params({ k1: 2 })).toEqual({ k1: 2, b: 0.75 });
    expect(bm25Params({ b: 0 })).toEqual({ k1: 1.2, b: 0 });
    expect(bm25Params({ k1: 0, b: 1 })).toEqual({ k1: 0, b: 1 });
  });

  it('rejects anything else with INVALID_OPTION', () => {
    for (const p of [{ k1: -0.01 }, { k1: Infinity }, { k1: Number.NaN }, { b: -0.01 }, { b: 1.01 }, { b: Number.NaN }]) {
      expect(code(() => bm25Params(p))).toBe('INVALID_OPTION');
    }
    expect(() => bm25Params({ k1: -1 })).toThrow('BM25 k1 must be a finite number ≥ 0, got -1.');
    expect(() => bm25Params({ b: 2 })).toThrow('BM25 b must be in [0, 1], got 2.');
  });
});

describe('BM25 weights', () => {
  it('idf and query weight', () => {
    expect(bm25Idf(10, 3)).toBeCloseTo(Math.log(1 + 7.5 / 3.5), 14);
    // A term in every document still has a positive idf.
    expect(bm25Idf(4, 4)).toBeCloseTo(Math.log(1 + 0.5 / 4.5), 14);
    expect(bm25QueryWeight(2.5, 10, 3)).toBeCloseTo(2.5 * Math.log(1 + 7.5 / 3.5), 14);
  });

  it('document side: saturation and length normalization', () => {
    const p = { k1: 1.2, b: 0.75 };
    // tf=3, dl=8, avgdl=4: 3·2.2 / (3 + 1.2·(0.25 + 0.75·2)) = 6.6 / 5.1.
    expect(bm25TermWeight(3, 8, 4, p)).toBeCloseTo(6.6 / 5.1, 14);
    // b = 0 ignores length; k1 = 0 is presence only.
    expect(bm25TermWeight(3, 8, 4, { k1: 1.2, b: 0 })).toBeCloseTo(6.6 / 4.2, 14);
    expect(bm25TermWeight(5, 8, 4, { k1: 0, b: 0.75 })).toBe(1);
    // avgdl 0 (every document empty) counts as norm 1, not 0/0.
    expect(bm25TermWeight(1, 0, 0, p)).toBeCloseTo(2.2 / 2.2, 14);
  });
});

describe('termBag', () => {
  it('sorts numerically, counts repeats, keeps the length', () => {
    const bag = termBag([100, 9, 10, 9, 0xffffffff, 9]);
    expect([...bag.ids]).toEqual([9, 10, 100, 0xffffffff]);
    expect([...bag.tfs]).toEqual([3, 1, 1, 1]);
    expect(bag.length).toBe(6);
    expect(termBag([])).toEqual({ ids: new Uint32Array(0), tfs: new Uint32Array(0), length: 0 });
  });

  it('rejects ids outside [0, 2³²) with the caller’s code', () => {
    for (const bad of [-1, 2 ** 32, 1.5, Number.NaN]) {
      expect(code(() => termBag([1, bad]))).toBe('INVALID_OPTION');
      expect(code(() => termBag([bad], 'INVALID_DOCUMENT'))).toBe('INVALID_DOCUMENT');
    }
    expect(() => termBag([3, -2])).toThrow('Token ids must be integers in [0, 2^32), got -2 at position 1.');
  });
});
