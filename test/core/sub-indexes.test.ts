import { describe, expect, it } from 'vitest';
import { DenseIndex } from '../../src/core/dense-index.js';
import { SparseIndex } from '../../src/core/sparse-index.js';
import { MultiIndex } from '../../src/core/multi-index.js';
import { float16ToFloat32, float32ToFloat16 } from '../../src/core/quantize.js';
import type { SparseVector } from '../../src/core/types.js';
import { naiveDot, naiveMaxSim, naiveSparse, randomDense, randomMulti, randomSparse, rng } from './helpers.js';

function sortTop(scores: Map<number, number>, k: number): number[] {
  return [...scores].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, k).map(([s]) => s);
}

describe('DenseIndex', () => {
  it('exact top-k equals brute force, with removals and slot reuse', () => {
    const r = rng(21);
    const idx = new DenseIndex('float32');
    const vecs = new Map<number, Float32Array>();
    for (let i = 0; i < 200; i++) {
      const v = randomDense(r, 24);
      vecs.set(idx.add(v), v);
    }
    for (const s of [3, 50, 199, 0]) {
      expect(idx.remove(s)).toBe(true);
      vecs.delete(s);
    }
    expect(idx.remove(3)).toBe(false);
    // Reuse the freed slots.
    for (let i = 0; i < 4; i++) {
      const v = randomDense(r, 24);
      const s = idx.add(v);
      expect([3, 50, 199, 0]).toContain(s);
      vecs.set(s, v);
    }
    expect(idx.size).toBe(200);
    const q = randomDense(r, 24);
    const want = new Map([...vecs].map(([s, v]) => [s, naiveDot(q, v)]));
    const got = idx.search(q, 15);
    expect(got.map((h) => h.slot)).toEqual(sortTop(want, 15));
    for (const h of got) {
      expect(h.score).toBeCloseTo(want.get(h.slot)!, 6);
      expect(idx.score(h.slot, q)).toBe(h.score);
    }
    // accept filters before top-k
    const even = idx.search(q, 5, { accept: (s) => s % 2 === 0 });
    expect(even.map((h) => h.slot)).toEqual(sortTop(new Map([...want].filter(([s]) => s % 2 === 0)), 5));
    expect(() => idx.add(new Float32Array(3))).toThrow(RangeError);
  });

  it('int8 rows dequantize within the per-row error bound', () => {
    const r = rng(22);
    const idx = new DenseIndex('int8');
    const v = randomDense(r, 64);
    const s = idx.add(v);
    const back = idx.get(s)!;
    const scale = Math.max(...Array.from(v, Math.abs)) / 127;
    for (let i = 0; i < 64; i++) expect(Math.abs(back[i]! - v[i]!)).toBeLessThanOrEqual(scale / 2 + 1e-7);
    expect(idx.score(s, v)).toBeCloseTo(1, 2);
    expect(idx.getData(s)!.kind).toBe('int8');
  });
});

describe('SparseIndex', () => {
  it('search and score equal a naive Map-based dot product on random data', () => {
    const r = rng(31);
    const idx = new SparseIndex();
    const docs = new Map<number, SparseVector>();
    for (let s = 0; s < 300; s++) {
      const v = randomSparse(r, 500, 1 + Math.floor(r() * 30));
      idx.set(s, v);
      docs.set(s, v);
    }
    for (let t = 0; t < 20; t++) {
      const q = randomSparse(r, 500, 1 + Math.floor(r() * 15));
      const want = new Map<number, number>();
      for (const [s, d] of docs) {
        const shared = d.ids.some((id) => q.ids.includes(id));
        if (shared) want.set(s, naiveSparse(q, d));
      }
      const got = idx.search(q, 25);
      expect(got.map((h) => h.slot)).toEqual(sortTop(want, 25));
      for (const h of got) {
        expect(h.score).toBeCloseTo(want.get(h.slot)!, 5);
        expect(idx.score(h.slot, q)).toBe(h.score); // same arithmetic, bit for bit
      }
      for (const [s, d] of docs) expect(idx.score(s, q)).toBeCloseTo(naiveSparse(q, d), 5);
    }
  });

  it('removed slots are never returned; reused slots do not inherit old postings; compaction keeps results exact', () => {
    const r = rng(32);
    const idx = new SparseIndex({ compactRatio: 0.2, compactMin: 10 });
    const docs = new Map<number, SparseVector>();
    for (let s = 0; s < 400; s++) {
      const v = randomSparse(r, 200, 10);
      idx.set(s, v);
      docs.set(s, v);
    }
    const check = (): void => {
      for (let t = 0; t < 5; t++) {
        const q = randomSparse(r, 200, 8);
        const want = new Map<number, number>();
        for (const [s, d] of docs) if (d.ids.some((id) => q.ids.includes(id))) want.set(s, naiveSparse(q, d));
        const got = idx.search(q, 400);
        expect(got.map((h) => h.slot).sort((a, b) => a - b)).toEqual([...want.keys()].sort((a, b) => a - b));
        for (const h of got) expect(h.score).toBeCloseTo(want.get(h.slot)!, 5);
      }
    };
    // Remove most documents; re-use a few of their slots with new vectors before any compaction.
    for (let s = 0; s < 40; s++) {
      idx.remove(s);
      docs.delete(s);
    }
    expect(idx.stats().compactions).toBe(0);
    expect(idx.stats().stalePostings).toBe(400);
    for (let s = 0; s < 5; s++) {
      const v = randomSparse(r, 200, 10);
      idx.set(s, v);
      docs.set(s, v);
    }
    check();
    for (let s = 40; s < 350; s++) {
      idx.remove(s);
      docs.delete(s);
    }
    const st = idx.stats();
    expect(st.compactions).toBeGreaterThan(0);
    expect(st.postings).toBe([...docs.values()].reduce((a, d) => a + d.ids.length, 0));
    expect(idx.size).toBe(docs.size);
    check();
    idx.compact();
    expect(idx.stats().stalePostings).toBe(0);
    check();
  });
});

describe('MultiIndex', () => {
  for (const kind of ['float32', 'float16', 'int8'] as const) {
    it(`${kind}: maxSim equals a naive triple loop over the stored rows, with budgets`, () => {
      const r = rng(41);
      const idx = new MultiIndex(kind);
      const dim = 12;
      const rows = new Map<number, ReturnType<typeof randomMulti>>();
      for (let s = 0; s < 30; s++) {
        const m = randomMulti(r, 1 + Math.floor(r() * 10), dim);
        idx.set(s, m);
        rows.set(s, m);
      }
      const q = randomMulti(r, 5, dim);
      for (const [s, m] of rows) {
        const stored = idx.get(s)!; // dequantized view of what is held
        expect(stored.count).toBe(m.count);
        expect(naiveMaxSim(q, stored)).toBeCloseTo(idx.maxSim(s, q), 6);
        expect(idx.maxSim(s, q, { budget: 2, queryBudget: 3 })).toBeCloseTo(naiveMaxSim(q, stored, 2, 3), 6);
        // The stored form stays close to the original vectors.
        const tol = kind === 'float32' ? 1e-6 : kind === 'float16' ? 2e-3 : 2e-2;
        expect(Math.abs(idx.maxSim(s, q) - naiveMaxSim(q, m))).toBeLessThan(tol);
        if (kind === 'float16') {
          expect(Array.from(stored.data)).toEqual(Array.from(float16ToFloat32(float32ToFloat16(m.data))));
        }
      }
      expect(idx.rows).toBe([...rows.values()].reduce((a, m) => a + m.count, 0));
    });
  }

  it('compaction after many removals keeps every remaining passage intact', () => {
    const r = rng(42);
    const idx = new MultiIndex('int8', 0, { compactRatio: 0.25, compactMin: 8 });
    const dim = 8;
    const held = new Map<number, Float32Array>();
    for (let s = 0; s < 100; s++) {
      idx.set(s, randomMulti(r, 1 + (s % 7), dim));
      held.set(s, idx.get(s)!.data);
    }
    for (let s = 0; s < 100; s += 3) {
      idx.remove(s);
      held.delete(s);
    }
    for (let s = 0; s < 100; s += 3) {
      idx.set(s, randomMulti(r, 4, dim));
      held.set(s, idx.get(s)!.data);
    }
    for (let s = 1; s < 100; s += 2) {
      idx.remove(s);
      held.delete(s);
    }
    expect(idx.compactions).toBeGreaterThan(0);
    for (const [s, data] of held) expect(Array.from(idx.get(s)!.data)).toEqual(Array.from(data));
    expect(idx.size).toBe(held.size);
    expect(idx.rows).toBe([...held.values()].reduce((a, d) => a + d.length / dim, 0));
    expect(idx.maxSim(1, randomMulti(r, 2, dim))).toBeNaN(); // removed
  });
});
