// The BGE-M3 head formulas (and sparse pruning) on hand-written numbers (expectations worked out on
// paper, not with the functions under test).
import { describe, expect, it } from 'vitest';
import { pruneSparse } from '../../src/model/sparse-pruning.js';
import { SCAN_ROWS } from '../../src/core/dense-matrix.js';
import { applyLinear, colbertVectors, lexicalWeights, normalized, normalizeRows, poolSparse, spladeFromPooled, spladeMax, toSparse } from '../../src/model/heads.js';

const pairs = (v: { ids: Uint32Array; weights: Float32Array }): [number, number][] => [...v.ids].map((id, i) => [id, v.weights[i]!]);
const f32 = (x: number): number => Math.fround(x);

describe('poolSparse', () => {
  it.each([
    ['first', [7, 7, 7], [0.9, 0.2, 0.5]],
    ['middle', [7, 7, 7], [0.2, 0.9, 0.5]],
    ['last', [7, 7, 7], [0.2, 0.5, 0.9]],
  ] as const)('keeps the largest weight of a repeated id when it comes %s', (_, ids, weights) => {
    expect(pairs(poolSparse(ids, weights, new Set()))).toEqual([[7, f32(0.9)]]);
  });

  it('interleaves repeats, drops special ids and zero or negative weights, and sorts ids numerically', () => {
    const ids = [0, 300, 25, 300, 4, 25, 2, 9, 300];
    const weights = [5, 0.1, 0.8, 0.7, 0, 0.3, 4, -1, 0.4];
    // 300: max(0.1, 0.7, 0.4); 25: max(0.8, 0.3); 4: only 0 → dropped; 9: negative → dropped; 0, 2: special.
    expect(pairs(poolSparse(ids, weights, new Set([0, 2])))).toEqual([[25, f32(0.8)], [300, f32(0.7)]]);
    // NaN is not a weight.
    expect(pairs(poolSparse([5, 6], [Number.NaN, 1], new Set()))).toEqual([[6, 1]]);
    expect(pairs(poolSparse([], [], new Set()))).toEqual([]);
  });

  it('toSparse sorts ids as numbers (100 after 20), keeping each weight with its id', () => {
    const m = new Map([[100, 1], [20, 2], [3, 3]]);
    expect(pairs(toSparse(m))).toEqual([[3, 3], [20, 2], [100, 1]]);
  });
});

describe('linear heads', () => {
  it('normalized: unit length, direction kept, zero stays zero, input untouched', () => {
    const v = Float32Array.from([3, 4]);
    expect([...normalized(v)]).toEqual([f32(0.6), f32(0.8)]);
    expect([...v]).toEqual([3, 4]);
    expect([...normalized(new Float32Array(3))]).toEqual([0, 0, 0]);
  });

  it('applyLinear: W·x + b for the row at an offset (W row-major [out, in])', () => {
    const head = { weight: Float32Array.from([1, 2, 3, 4, 5, 6]), bias: Float32Array.from([0.5, -1]), outDim: 2, inDim: 3 };
    const rows = Float32Array.from([9, 9, 1, 0, -1]);
    const out = new Float32Array(2);
    applyLinear(head, rows, 2, out);
    // [1·1 + 2·0 + 3·(-1) + 0.5, 4·1 + 5·0 + 6·(-1) - 1]
    expect([...out]).toEqual([-1.5, -3]);
    applyLinear({ ...head, bias: new Float32Array(0) }, rows, 2, out);
    expect([...out]).toEqual([-2, -2]);
  });

  // Widths that are a multiple of 4 run on the dense index's SIMD kernel; the rest on the scalar loop above.
  it.each([
    ['a ColBERT-like square head', 64, 64],
    ['a head wider than one kernel call (SCAN_ROWS + 3 outputs)', SCAN_ROWS + 3, 8],
    ['a one-output (lexical) head', 1, 16],
  ])('applyLinear on %s: W·x + b against a scalar reference, at any offset', (_, outDim, inDim) => {
    let seed = 7;
    const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
    const head = { weight: Float32Array.from({ length: outDim * inDim }, rand), bias: Float32Array.from({ length: outDim }, rand), outDim, inDim };
    const rows = Float32Array.from({ length: 3 * inDim }, rand);
    for (const offset of [0, inDim, 2 * inDim]) {
      const out = new Float32Array(outDim).fill(99);
      applyLinear(head, rows, offset, out);
      for (let o = 0; o < outDim; o++) {
        let want = head.bias[o]!;
        for (let i = 0; i < inDim; i++) want += head.weight[o * inDim + i]! * rows[offset + i]!;
        expect(Math.abs(out[o]! - want)).toBeLessThan(1e-5 * (1 + Math.abs(want)));
      }
    }
  });

  it('applyLinear reads a head\'s weights once, on first use (the kernel keeps its own copy); simd: false reads them live', () => {
    const head = { weight: Float32Array.from({ length: 8 }, () => 1), bias: new Float32Array(2), outDim: 2, inDim: 4 };
    const x = Float32Array.from([1, 2, 3, 4]);
    const out = new Float32Array(2);
    applyLinear(head, x, 0, out);
    expect([...out]).toEqual([10, 10]);
    head.weight.fill(2); // heads never change after loading; this shows which loop answered
    applyLinear(head, x, 0, out);
    expect([...out]).toEqual([10, 10]);
    applyLinear(head, x, 0, out, { simd: false });
    expect([...out]).toEqual([20, 20]);
    // A width the kernel cannot take (not a multiple of 4) is always the live scalar loop.
    const odd = { weight: Float32Array.from({ length: 3 }, () => 1), bias: new Float32Array(1), outDim: 1, inDim: 3 };
    const one = new Float32Array(1);
    applyLinear(odd, x, 0, one);
    odd.weight.fill(3);
    applyLinear(odd, x, 0, one);
    expect(one[0]).toBe(18);
  });

  it('applyLinear with an empty bias adds nothing (kernel path)', () => {
    const head = { weight: Float32Array.from({ length: 8 }, (_, i) => i + 1), bias: new Float32Array(0), outDim: 2, inDim: 4 };
    const out = new Float32Array(2);
    applyLinear(head, Float32Array.from([1, 0, -1, 2]), 0, out);
    // [1 - 3 + 2·4, 5 - 7 + 2·8]
    expect([...out]).toEqual([6, 14]);
  });

  it('lexicalWeights: relu(H_t·w + b) per position', () => {
    const head = { weight: Float32Array.from([1, -1]), bias: Float32Array.from([0.25]), outDim: 1, inDim: 2 };
    const hidden = Float32Array.from([2, 1, 0, 3, 1, 1, 7, 7]);
    // 2-1+.25 = 1.25; 0-3+.25 < 0 → 0; 1-1+.25 = .25; the 4th row is past `length`.
    expect([...lexicalWeights(head, hidden, 3, 2)]).toEqual([1.25, 0, 0.25]);
  });

  it('colbertVectors: normalized projections of positions 1..length-1 ([CLS] and padding left out)', () => {
    const head = { weight: Float32Array.from([1, 0, 0, 2]), bias: Float32Array.from([0, 0]), outDim: 2, inDim: 2 };
    const hidden = Float32Array.from([5, 5, 3, 2, 0, -1, 8, 8]);
    // row 1: [3, 4] → [.6, .8]; row 2: [0, -2] → [0, -1]; row 3 is padding.
    const m = colbertVectors(head, hidden, 3, 2);
    expect(m.count).toBe(2);
    expect(m.dim).toBe(2);
    expect([...m.data]).toEqual([f32(0.6), f32(0.8), 0, -1]);
    expect(colbertVectors(head, hidden, 0, 2).count).toBe(0);
    expect(colbertVectors(head, hidden, 1, 2).count).toBe(0);
  });

  it('normalizeRows: each row on its own', () => {
    const m = normalizeRows(Float32Array.from([0, 2, 3, 4, 9]), 2, 2);
    expect(m).toMatchObject({ count: 2, dim: 2 });
    expect([...m.data]).toEqual([0, 1, f32(0.6), f32(0.8)]);
  });
});

describe('SPLADE-max', () => {
  it('max over kept positions of log(1 + relu(logit)), excluded ids left out', () => {
    // 3 positions × 4 ids; position 1 is skipped (special).
    const logits = Float32Array.from([
      1, -2, 0.5, 3,
      9, 9, 9, 9,
      2, -1, 0.25, 1,
    ]);
    const v = spladeMax(logits, 3, 4, (t) => t === 1, new Set([3]));
    // id 0: max(1, 2) = 2; id 1: never > 0 → absent; id 2: max(.5, .25); id 3 excluded.
    expect(pairs(v)).toEqual([[0, f32(Math.log(3))], [2, f32(Math.log(1.5))]]);
  });

  it('spladeFromPooled keeps positive, non-excluded entries only', () => {
    const v = spladeFromPooled(Float32Array.from([0, 1, -1, Math.E - 1]), new Set([1]));
    expect(pairs(v)).toEqual([[3, 1]]);
  });
});

describe('pruneSparse', () => {
  const v = { ids: Uint32Array.from([3, 8, 20, 41, 77]), weights: Float32Array.from([0.5, 0.1, 0.9, 0.5, 0.3]) };

  it('keeps the top k by weight (ties: the earlier id), ids stay ascending', () => {
    // By weight: 20 (.9), 3 (.5), 41 (.5), 77 (.3), 8 (.1).
    expect(pairs(pruneSparse(v, { topK: 2 }))).toEqual([[3, 0.5], [20, f32(0.9)]]);
    expect(pairs(pruneSparse(v, { topK: 3 }))).toEqual([[3, 0.5], [20, f32(0.9)], [41, 0.5]]);
    expect(pairs(pruneSparse(v, { topK: 0 }))).toEqual([]);
    expect(pairs(pruneSparse(v, { topK: -1 }))).toEqual([]);
  });

  it('drops weights below the threshold (a weight equal to it stays)', () => {
    expect(pairs(pruneSparse(v, { threshold: 0.5 }))).toEqual([[3, 0.5], [20, f32(0.9)], [41, 0.5]]);
    expect(pairs(pruneSparse(v, { threshold: 0.5, topK: 1 }))).toEqual([[20, f32(0.9)]]);
  });

  it('returns the same vector when nothing is dropped', () => {
    expect(pruneSparse(v, {})).toBe(v);
    expect(pruneSparse(v, { topK: 5, threshold: 0.1 })).toBe(v);
    expect(pruneSparse(v, { topK: 4 })).not.toBe(v);
  });
});
