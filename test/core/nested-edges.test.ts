// nestMultiVectors on inputs small enough to work out by hand (the worked
// results are in the comments), plus the fallbacks: a zero mean, identical
// rows, medoids, empty input and max < 1.
import { describe, expect, it } from 'vitest';
import { nestMultiVectors } from '../../src/core/nested.js';
import type { MultiVector } from '../../src/core/types.js';

const mv = (rows: number[][]): MultiVector => ({ data: Float32Array.from(rows.flat()), count: rows.length, dim: rows[0]!.length });
const rowsOf = (m: MultiVector): number[][] => Array.from({ length: m.count }, (_, i) => Array.from(m.data.subarray(i * m.dim, (i + 1) * m.dim)));

function expectRows(got: MultiVector, want: number[][]): void {
  expect(got.count).toBe(want.length);
  expect(got.data.length).toBe(want.length * got.dim);
  rowsOf(got).forEach((r, i) => r.forEach((x, t) => expect(x, `row ${i}[${t}]`).toBeCloseTo(want[i]![t]!, 6)));
}

const S5 = 1 / Math.sqrt(5);

describe('nestMultiVectors, worked by hand', () => {
  it('two rows: the normalized mean, then the child farther from it', () => {
    // mean ∝ (1, 2); (1,0) is farther from it (cos 1/√5) than (0,2) (2/√5).
    expectRows(nestMultiVectors(mv([[1, 0], [0, 2]]), 2), [[S5, 2 * S5], [1, 0]]);
    expectRows(nestMultiVectors(mv([[0, 2], [1, 0]]), 2), [[S5, 2 * S5], [1, 0]]);
    // One row asked: only the mean.
    expectRows(nestMultiVectors(mv([[1, 0], [0, 2]]), 1), [[S5, 2 * S5]]);
  });

  it('three rows, two of them equal: the odd one out is split off first, then the equal pair is split anyway', () => {
    // mean ∝ (2, 1); (0,1) is farthest and becomes its own cluster → row 1.
    // The pair {(1,0),(1,0)} is the only cluster left with two members; 2-means
    // cannot separate equal rows, so its seeds are kept apart → row 2 is (1,0).
    const out = nestMultiVectors(mv([[1, 0], [1, 0], [0, 1]]), 8);
    expectRows(out, [[2 * S5, S5], [0, 1], [1, 0]]);
  });

  it('a zero mean falls back to the first row; the opposite row comes next', () => {
    expectRows(nestMultiVectors(mv([[3, 4], [-3, -4]]), 2), [[0.6, 0.8], [-0.6, -0.8]]);
  });

  it('rows that are all zero stay zero (no NaN)', () => {
    const out = nestMultiVectors(mv([[0, 0], [0, 0]]), 1);
    expect(Array.from(out.data)).toEqual([0, 0]);
  });

  it('medoid: every row is an input row, the root being the one closest to the mean', () => {
    const rows = [[1, 0], [0.8, 0.6], [0, 1]];
    // mean ∝ (1.8, 1.6): (0.8, 0.6) is the closest row to it.
    const out = nestMultiVectors(mv(rows), 3, 'medoid');
    expect(rowsOf(out)[0]!.map((x) => Number(x.toFixed(6)))).toEqual([0.8, 0.6]);
    for (const r of rowsOf(out)) expect(rows.some((x) => x.every((v, t) => Math.abs(v - r[t]!) < 1e-6))).toBe(true);
    expect(out.count).toBe(3);
  });
});

describe('nestMultiVectors limits', () => {
  it('at most min(max, count) rows, unit length, and the input untouched', () => {
    const m = mv([[1, 2, 0], [0, 1, 1], [2, 0, 1], [1, 1, 1], [0, 0, 3]]);
    const before = Float32Array.from(m.data);
    for (const max of [1, 2, 3, 5, 9]) {
      const out = nestMultiVectors(m, max);
      expect(out.count).toBe(Math.min(max, 5));
      expect(out.data.length).toBe(out.count * 3);
      for (const r of rowsOf(out)) expect(Math.hypot(...r)).toBeCloseTo(1, 6);
      // Deterministic, and each prefix is the shorter call's result.
      expect(Array.from(nestMultiVectors(m, max).data)).toEqual(Array.from(out.data));
      if (max > 1) expect(Array.from(out.data.subarray(0, 3))).toEqual(Array.from(nestMultiVectors(m, 1).data));
    }
    expect(m.data).toEqual(before);
  });

  it('no rows, or max below 1, gives no rows of the same dim', () => {
    expect(nestMultiVectors({ data: new Float32Array(0), count: 0, dim: 4 }, 8)).toEqual({ data: new Float32Array(0), count: 0, dim: 4 });
    expect(nestMultiVectors(mv([[1, 0]]), 0)).toEqual({ data: new Float32Array(0), count: 0, dim: 2 });
  });
});

// Two pairs in orthogonal planes, mirror images of each other, so every tie is
// exact: which pair goes first, and which pair is split next, is decided only by
// the tie-break rules (earliest wins) and by the spread.
describe('nestMultiVectors tie-breaks and spread', () => {
  const n = (v: number[]): number[] => {
    const s = Math.hypot(...v);
    return v.map((x) => x / s);
  };
  const dotE = (row: number[], axis: number): number => row[axis]!;

  it('equal clusters: the first-seeded pair comes first, and on equal spread the earlier cluster is split', () => {
    const a1 = n([1, 0.1, 0, 0]);
    const a2 = n([1, -0.1, 0, 0]);
    const b1 = n([0, 0, 1, 0.1]);
    const b2 = n([0, 0, 1, -0.1]);
    const rows = rowsOf(nestMultiVectors(mv([a1, a2, b1, b2]), 3));
    // Root: the mean of all four, (1, 0, 1, 0)/√2.
    expect(rows[0]![0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(rows[0]![2]).toBeCloseTo(Math.SQRT1_2, 6);
    // Every row is equally far from the root: the seed is the first (a1), so the a-pair is cluster A,
    // and the children tie on distance to the parent, so A is the row emitted.
    expect(dotE(rows[1]!, 0)).toBeCloseTo(1, 6);
    // A and B spread equally: the earlier (A) is split next; its far child is a1 or a2, not a b.
    expect(dotE(rows[2]!, 0)).toBeGreaterThan(0.99);
  });

  it('the looser cluster is split before the tighter one', () => {
    const rows = rowsOf(nestMultiVectors(mv([n([1, 0.1, 0, 0]), n([1, -0.1, 0, 0]), n([0, 0, 1, 0.5]), n([0, 0, 1, -0.5])]), 3));
    expect(Math.abs(rows[2]![3]!)).toBeCloseTo(0.5 / Math.hypot(1, 0.5), 6);
  });

  it('medoid ties go to the earliest member', () => {
    const a1 = n([1, 0.1]);
    const a2 = n([1, -0.1]);
    expect(rowsOf(nestMultiVectors(mv([a1, a2]), 1, 'medoid'))[0]).toEqual(Array.from(Float32Array.from(a1)));
  });

  it('a zero mean over more than two rows falls back to exactly the first row', () => {
    const r = [0.6, 0.8, 0];
    const m = r.map((x) => -x);
    expectRows(nestMultiVectors(mv([r, m, r, m]), 1), [r]);
  });
});
