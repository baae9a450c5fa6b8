// SparseIndex edges the ranking tests do not reach: when stale postings are
// compacted (the defaults included), zero weights, the stats it reports, and
// that it keeps its own copy of what it was given.
import { describe, expect, it } from 'vitest';
import { SparseIndex } from '../../src/core/sparse-index.js';
import type { SparseVector } from '../../src/core/types.js';

const sv = (ids: number[], weights: number[]): SparseVector => ({ ids: Uint32Array.from(ids), weights: Float32Array.from(weights) });

/** `n` documents with `per` postings each, on ids 0…per-1. */
function filled(n: number, per: number, opts?: ConstructorParameters<typeof SparseIndex>[0]): SparseIndex {
  const idx = new SparseIndex(opts);
  const ids = Array.from({ length: per }, (_, i) => i);
  for (let s = 0; s < n; s++) idx.set(s, sv(ids, ids.map(() => 1 + s)));
  return idx;
}

describe('SparseIndex compaction', () => {
  it('runs once stale postings reach compactMin AND exceed compactRatio of all postings', () => {
    // 4 docs × 2 postings = 8. compactMin 4, ratio 0.5: needs ≥ 4 stale and > 4.
    const idx = filled(4, 2, { compactMin: 4, compactRatio: 0.5 });
    idx.remove(0);
    idx.remove(1); // 4 stale, not > 4
    expect(idx.stats().compactions).toBe(0);
    expect(idx.stats().stalePostings).toBe(4);
    idx.remove(2); // 6 stale
    expect(idx.stats()).toMatchObject({ compactions: 1, stalePostings: 0, postings: 2 });
    expect(idx.search(sv([0], [1]), 10)).toEqual([{ slot: 3, score: 4 }]);
  });

  it('stale postings equal to compactMin are enough when the ratio holds', () => {
    const idx = filled(2, 3, { compactMin: 3, compactRatio: 0.1 });
    idx.remove(0);
    expect(idx.stats().compactions).toBe(1);
  });

  it('defaults: ratio 0.25 once 1024 stale postings are reached', () => {
    const below = filled(8, 127, { compactMin: 1 }); // ratio default
    below.remove(0);
    below.remove(1); // 254 stale = 0.25 × 1016: not more
    expect(below.stats().compactions).toBe(0);
    below.remove(2);
    expect(below.stats().compactions).toBe(1);
    const min = filled(3, 1023, { compactRatio: 0 }); // compactMin default
    min.remove(0); // 1023 stale < 1024
    expect(min.stats().compactions).toBe(0);
    min.remove(1);
    expect(min.stats().compactions).toBe(1);
  });

  it('a compacted index answers exactly as before and reuses slots', () => {
    const idx = filled(6, 5, { compactMin: 1, compactRatio: 0 });
    const q = sv([1, 3], [0.5, 2]);
    const before = idx.search(q, 10).filter((h) => h.slot % 2 === 1);
    for (const s of [0, 2, 4]) idx.remove(s);
    expect(idx.stats().compactions).toBe(3);
    expect(idx.search(q, 10)).toEqual(before);
    idx.set(2, sv([3], [10]));
    expect(idx.search(q, 1)).toEqual([{ slot: 2, score: 20 }]);
  });
});

describe('SparseIndex bookkeeping', () => {
  it('zero weights stay in the document vector but give no posting', () => {
    const idx = new SparseIndex();
    idx.set(0, sv([1, 2, 3], [0.5, 0, 1]));
    idx.set(1, sv([2], [0]));
    expect(Array.from(idx.get(0)!.weights)).toEqual([0.5, 0, 1]);
    expect(idx.search(sv([2], [1]), 10)).toEqual([]);
    expect(idx.stats()).toMatchObject({ terms: 2, postings: 2 });
    // Removing documents whose only token has weight 0 does not touch any list.
    expect(idx.remove(1)).toBe(true);
    expect(idx.remove(0)).toBe(true);
    expect(idx.stats()).toMatchObject({ terms: 0, postings: 0, stalePostings: 2 });
  });

  it('stats: live terms and postings, stale ones, and bytes (12 per posting written + 8 per stored id)', () => {
    const idx = new SparseIndex();
    idx.set(0, sv([1, 2], [1, 1]));
    idx.set(1, sv([2, 5, 9], [1, 1, 1]));
    expect(idx.stats()).toEqual({ terms: 4, postings: 5, stalePostings: 0, compactions: 0, bytes: 5 * 12 + 5 * 8 });
    idx.remove(0);
    // id 1 has no live posting now; its stale posting is still held.
    expect(idx.stats()).toEqual({ terms: 3, postings: 3, stalePostings: 2, compactions: 0, bytes: 5 * 12 + 3 * 8 });
    idx.compact();
    expect(idx.stats()).toEqual({ terms: 3, postings: 3, stalePostings: 0, compactions: 1, bytes: 3 * 12 + 3 * 8 });
  });

  it('keeps its own copy of the vector it is given', () => {
    const idx = new SparseIndex();
    const v = sv([1, 4], [0.5, 2]);
    idx.set(0, v);
    v.ids[1] = 7;
    v.weights[1] = 100;
    expect(idx.get(0)).toEqual(sv([1, 4], [0.5, 2]));
    expect(idx.score(0, sv([4], [1]))).toBe(2);
  });

  it('absent and removed slots: no vector, NaN score, remove is false, occupied slots refused', () => {
    const idx = new SparseIndex();
    idx.set(3, sv([1], [1]));
    expect(() => idx.set(3, sv([2], [1]))).toThrow('sparse slot 3 is occupied');
    expect(idx.get(0)).toBeUndefined();
    expect(idx.get(99)).toBeUndefined();
    expect(Number.isNaN(idx.score(0, sv([1], [1])))).toBe(true);
    expect(idx.remove(0)).toBe(false);
    expect(idx.remove(3)).toBe(true);
    expect(idx.get(3)).toBeUndefined();
    expect(Number.isNaN(idx.score(3, sv([1], [1])))).toBe(true);
    expect(idx.remove(3)).toBe(false);
    expect(idx.size).toBe(0);
  });
});

describe('SparseIndex.adopt (a reopen: postings built on first use)', () => {
  const docs = [sv([1, 2, 5], [1, 0, 2]), sv([2, 5], [3, 1]), sv([7], [0]), sv([1, 7, 9], [0.5, 4, 1])];
  const q = sv([1, 2, 5, 7], [1, 1, 1, 1]);

  function both(): [SparseIndex, SparseIndex] {
    const copied = new SparseIndex();
    const adopted = new SparseIndex();
    docs.forEach((v, s) => {
      copied.set(s, v);
      adopted.adopt(s, v);
    });
    return [copied, adopted];
  }

  it('answers, scores and counts exactly like set(), zero weights included', () => {
    const [copied, adopted] = both();
    expect(adopted.search(q, 10)).toEqual(copied.search(q, 10));
    expect(adopted.search(q, 10).map((h) => h.slot)).toEqual([3, 1, 0]);
    expect(adopted.stats()).toEqual(copied.stats());
    for (let s = 0; s < docs.length; s++) expect(adopted.score(s, q)).toBe(copied.score(s, q));
  });

  it('keeps the given arrays (no copy) and refuses an occupied slot', () => {
    const [, adopted] = both();
    expect(adopted.get(1)!.ids).toBe(docs[1]!.ids);
    expect(() => adopt1(adopted)).toThrow('sparse slot 1 is occupied');
    function adopt1(i: SparseIndex): void {
      i.adopt(1, sv([3], [1]));
    }
  });

  it('removals and additions before the first query are reflected once postings are built', () => {
    const [copied, adopted] = both();
    for (const i of [copied, adopted]) {
      i.remove(3);
      i.set(5, sv([5, 7], [2, 2]));
    }
    expect(adopted.search(q, 10)).toEqual(copied.search(q, 10));
    expect(adopted.search(q, 10).map((h) => h.slot)).toEqual([1, 5, 0]); // 5 and 1 tie at 4: the lower slot first
    expect(adopted.stats().postings).toBe(copied.stats().postings);
    expect(adopted.stats().terms).toBe(copied.stats().terms);
  });

  it('adopting into an index that already answers posts at once', () => {
    const idx = new SparseIndex();
    idx.set(0, sv([1], [1]));
    expect(idx.search(sv([1], [1]), 5)).toEqual([{ slot: 0, score: 1 }]);
    idx.adopt(1, sv([1, 4], [2, 1]));
    expect(idx.search(sv([1, 4], [1, 1]), 5)).toEqual([{ slot: 1, score: 3 }, { slot: 0, score: 1 }]);
    expect(idx.stats().postings).toBe(3);
  });
});

describe('SparseIndex.score and get, worked by hand', () => {
  it('merges interleaved id lists from either side: Σ over shared ids of wq·wd', () => {
    const idx = new SparseIndex();
    idx.set(0, sv([1, 4, 6, 9], [1, 2, 3, 4]));
    // Shared ids 4 and 9: 0.5·2 + 2·4; query ids 2, 5 and 10 fall between and after the document's.
    expect(idx.score(0, sv([2, 4, 5, 9, 10], [7, 0.5, 7, 2, 7]))).toBe(9);
    // The query starts after the document's first ids, and ends before its last.
    expect(idx.score(0, sv([6], [2]))).toBe(6);
    expect(idx.score(0, sv([0, 3, 7], [1, 1, 1]))).toBe(0);
  });

  it('a removed or never-set slot scores NaN and reads as undefined', () => {
    const idx = new SparseIndex();
    idx.set(0, sv([1], [1]));
    idx.set(1, sv([1], [2]));
    idx.remove(1);
    for (const slot of [1, 2, 50]) {
      expect(idx.score(slot, sv([1], [1]))).toBeNaN();
      expect(idx.get(slot)).toBeUndefined();
    }
    expect(idx.get(0)).toEqual(sv([1], [1]));
  });
});

describe('SparseIndex: adopting, zero query weights, an empty index', () => {
  it('adopting into an index whose postings are built posts the new vector once (the others are not posted again)', () => {
    const idx = new SparseIndex();
    idx.set(0, sv([1, 2], [1, 2]));
    expect(idx.search(sv([1], [1]), 5)).toEqual([{ slot: 0, score: 1 }]); // postings built
    idx.adopt(1, sv([2, 3], [4, 0.5]));
    expect(idx.stats()).toMatchObject({ terms: 3, postings: 4, stalePostings: 0 });
    expect(idx.search(sv([2], [1]), 5)).toEqual([{ slot: 1, score: 4 }, { slot: 0, score: 2 }]);
  });

  it('adopting into an empty index builds the postings on first use, each vector once', () => {
    const idx = new SparseIndex();
    idx.adopt(0, sv([1, 2], [1, 2]));
    idx.adopt(1, sv([2], [3]));
    expect(idx.stats()).toMatchObject({ terms: 2, postings: 3 });
    expect(idx.search(sv([2], [1]), 5)).toEqual([{ slot: 1, score: 3 }, { slot: 0, score: 2 }]);
  });

  it('a query id of weight 0 matches nothing: a document sharing only that id is not a hit', () => {
    const idx = new SparseIndex();
    idx.set(0, sv([1], [5]));
    idx.set(1, sv([2], [1]));
    expect(idx.search(sv([1, 2], [0, 1]), 5)).toEqual([{ slot: 1, score: 1 }]);
  });

  it('an empty index has no terms, postings or bytes', () => {
    expect(new SparseIndex().stats()).toEqual({ terms: 0, postings: 0, stalePostings: 0, compactions: 0, bytes: 0 });
  });
});
