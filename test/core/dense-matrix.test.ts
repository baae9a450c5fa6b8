// The dense scan: WebAssembly SIMD rows against a float64 reference, growth,
// the TypeScript path for dimensions the vector lanes don't divide, and the
// DenseIndex on top of it.
import { describe, expect, it } from 'vitest';
import { DenseIndex } from '../../src/core/dense-index.js';
import { DenseMatrix, SCAN_ROWS } from '../../src/core/dense-matrix.js';
import { randomDense, rng } from './helpers.js';

function fill(m: DenseMatrix, n: number, r: () => number): void {
  const rows = m.rows;
  for (let i = 0; i < n * m.dim; i++) rows[i] = m.kind === 'float32' ? r() - 0.5 : Math.round(r() * 254) - 127;
}

function reference(m: DenseMatrix, q: Float32Array, row: number): number {
  let s = 0;
  for (let i = 0; i < m.dim; i++) s += q[i]! * m.rows[row * m.dim + i]!;
  return s;
}

describe('DenseMatrix', () => {
  it('scans float32 and int8 rows in WebAssembly SIMD, matching a float64 reference', () => {
    const r = rng(21);
    for (const kind of ['float32', 'int8'] as const) {
      for (const dim of [8, 16, 24, 40, 1024]) {
        const m = new DenseMatrix(kind, dim);
        expect(m.engine).toBe('wasm-simd');
        m.reserve(60);
        fill(m, 60, r);
        const q = Float32Array.from({ length: dim }, () => r() - 0.5);
        const dots = m.scan(q, 5, 50);
        expect(dots.length).toBe(50);
        for (let i = 0; i < 50; i++) {
          const want = reference(m, q, 5 + i);
          expect(Math.abs(dots[i]! - want)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want)));
        }
      }
    }
  });

  it('keeps stored rows when it grows (the WebAssembly memory is re-viewed, not lost)', () => {
    const r = rng(22);
    const m = new DenseMatrix('float32', 64);
    m.reserve(10);
    fill(m, 10, r);
    const before = Array.from(m.rows.subarray(0, 640));
    m.reserve(20_000); // 5 MB: several memory pages added
    expect(Array.from(m.rows.subarray(0, 640))).toEqual(before);
    const q = Float32Array.from({ length: 64 }, () => r() - 0.5);
    expect(m.scan(q, 9, 1)[0]).toBeCloseTo(reference(m, q, 9), 5);
  });

  it('uses the TypeScript loop for dimensions the lanes do not divide, with the same answers', () => {
    const r = rng(23);
    for (const [kind, dim] of [['float32', 6], ['int8', 12]] as const) {
      const m = new DenseMatrix(kind, dim);
      expect(m.engine).toBe('js');
      m.reserve(8);
      fill(m, 8, r);
      const q = Float32Array.from({ length: dim }, () => r() - 0.5);
      const dots = m.scan(q, 0, 8);
      for (let i = 0; i < 8; i++) expect(dots[i]).toBeCloseTo(reference(m, q, i), 5);
    }
  });

  it('refuses a scan longer than its output buffer', () => {
    const m = new DenseMatrix('float32', 8);
    m.reserve(SCAN_ROWS + 1);
    expect(() => m.scan(new Float32Array(8), 0, SCAN_ROWS + 1)).toThrow(RangeError);
  });
});

describe('DenseIndex on the SIMD scan', () => {
  it('finds the exact top-k across several scan chunks, skipping removed rows; score() agrees with search()', () => {
    const r = rng(24);
    for (const kind of ['float32', 'int8'] as const) {
      const index = new DenseIndex(kind);
      const vectors = Array.from({ length: SCAN_ROWS + 500 }, () => randomDense(r, 32));
      vectors.forEach((v) => index.add(v));
      expect(index.scanEngine).toBe('wasm-simd');
      const q = randomDense(r, 32);
      const removed = index.search(q, 1)[0]!.slot;
      index.remove(removed);
      const exact = vectors
        .map((_, slot) => ({ slot, score: index.score(slot, q) }))
        .filter((h) => h.slot !== removed)
        .sort((a, b) => b.score - a.score || a.slot - b.slot)
        .slice(0, 10);
      const hits = index.search(q, 10);
      expect(hits.map((h) => h.slot)).toEqual(exact.map((h) => h.slot));
      hits.forEach((h, i) => expect(h.score).toBe(exact[i]!.score)); // search() and score() agree bit for bit
      // Against the original vectors, by a float64 dot: exact for float32 rows; for int8 rows within
      // the rounding bound Σ|q_i| · (max|v| / 127) / 2 (each element is off by at most half a step).
      const trueDot = (v: Float32Array): number => {
        let d = 0;
        for (let i = 0; i < 32; i++) d += q[i]! * v[i]!;
        return d;
      };
      const qAbs = q.reduce((a, x) => a + Math.abs(x), 0);
      const bound = (v: Float32Array): number => (kind === 'float32' ? 1e-5 : (qAbs * Math.max(...v.map(Math.abs))) / 127 / 2 + 1e-6);
      for (const h of hits) expect(Math.abs(h.score - trueDot(vectors[h.slot]!))).toBeLessThanOrEqual(bound(vectors[h.slot]!));
      // …and the top 10 are the true top 10 up to that error.
      const truth = vectors.map((v, slot) => ({ slot, d: trueDot(v) })).filter((h) => h.slot !== removed).sort((a, b) => b.d - a.d);
      const worstBound = Math.max(...vectors.map(bound));
      for (const h of hits) expect(trueDot(vectors[h.slot]!)).toBeGreaterThanOrEqual(truth[9]!.d - 2 * worstBound);
    }
  });

  it('int8 rows: a vector on the quantization grid scores exactly (hand-worked scale 0.01)', () => {
    // max |v| = 1.27 → scale 1.27 / 127 = 0.01, stored as [127, -64, 32, 5, 0, 0, 0, 0].
    const v = Float32Array.from([1.27, -0.64, 0.32, 0.05, 0, 0, 0, 0]);
    for (const dim of [8, 6]) {
      const index = new DenseIndex('int8');
      const slot = index.add(v.subarray(0, dim));
      index.add(Float32Array.from({ length: dim }, (_, i) => (i === 1 ? 2 : 0)));
      const ones = new Float32Array(dim).fill(1);
      // (127 - 64 + 32 + 5) · 0.01 = 1.00; the second row is [0, 2, 0…]: 127 · (2 / 127) = 2.
      expect(index.score(slot, ones)).toBeCloseTo(1, 5);
      expect(index.score(slot, Float32Array.from({ length: dim }, (_, i) => (i === 0 ? 1 : 0)))).toBeCloseTo(1.27, 5);
      expect(index.search(ones, 2).map((h) => [h.slot, +h.score.toFixed(5)])).toEqual([[1, 2], [slot, 1]]);
      expect(index.search(Float32Array.from({ length: dim }, (_, i) => (i === 1 ? -1 : 0)), 2).map((h) => +h.score.toFixed(5))).toEqual([0.64, -2]);
    }
  });
});
