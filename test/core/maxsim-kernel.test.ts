// The WebAssembly SIMD MaxSim kernel against the plain TypeScript loop.
import { describe, expect, it } from 'vitest';
import { createJsKernel, createWasmKernel, maxSimKernel } from '../../src/core/maxsim-kernel.js';
import { MultiIndex } from '../../src/core/multi-index.js';
import { float16ToFloat32Into } from '../../src/core/quantize.js';
import { randomMulti, rng } from './helpers.js';

/** Late interaction spelled out, in float64: the reference for both kernels. */
function reference(q: Float32Array, qRows: number, p: Float32Array, pRows: number, dim: number): number {
  let sum = 0;
  for (let i = 0; i < qRows; i++) {
    let best = -Infinity;
    for (let j = 0; j < pRows; j++) {
      let d = 0;
      for (let t = 0; t < dim; t++) d += q[i * dim + t]! * p[j * dim + t]!;
      best = Math.max(best, d);
    }
    sum += best;
  }
  return sum / qRows;
}

describe('MaxSim kernel', () => {
  it('loads as WebAssembly SIMD in Node and is the shared kernel', () => {
    const wasm = createWasmKernel();
    expect(wasm?.kind).toBe('wasm-simd');
    expect(maxSimKernel().kind).toBe('wasm-simd');
  });

  it('matches the reference for every shape: dims with and without a 16-float tail, one row, many rows', () => {
    const wasm = createWasmKernel()!;
    const js = createJsKernel();
    const r = rng(11);
    const shapes: [number, number, number][] = [
      [16, 1, 1],
      [32, 5, 7],
      [36, 3, 4], // 4-float tail after the 16-float loop
      [4, 2, 9],
      [1024, 32, 150], // BGE-M3 shape
      [6, 3, 3], // not a multiple of 4: the TypeScript loop answers
      [128, 40, 1],
    ];
    for (const [dim, qRows, pRows] of shapes) {
      const q = randomMulti(r, qRows, dim).data;
      const p = randomMulti(r, pRows, dim).data;
      const want = reference(q, qRows, p, pRows, dim);
      const fill = (dst: Float32Array) => dst.set(p);
      expect(wasm.score(q, qRows, pRows, dim, fill)).toBeCloseTo(want, 5);
      expect(js.score(q, qRows, pRows, dim, fill)).toBeCloseTo(want, 5);
    }
  });

  it('uses only the first qRows query rows, and grows its memory for a large passage then still scores small ones', () => {
    const wasm = createWasmKernel()!;
    const r = rng(12);
    const dim = 64;
    const q = randomMulti(r, 8, dim).data;
    const big = randomMulti(r, 5000, dim).data; // 1.28 MB: past the first 64 KiB page
    const small = randomMulti(r, 3, dim).data;
    expect(wasm.score(q, 8, 5000, dim, (d) => d.set(big))).toBeCloseTo(reference(q, 8, big, 5000, dim), 5);
    expect(wasm.score(q, 2, 3, dim, (d) => d.set(small))).toBeCloseTo(reference(q, 2, small, 3, dim), 5);
  });

  it('decodes every finite float16 value exactly inside the kernel (normals, subnormals, signed zeros)', () => {
    const wasm = createWasmKernel()!;
    const dim = 64;
    const halves = new Uint16Array(65536);
    for (let h = 0; h < 65536; h++) halves[h] = h;
    const want = float16ToFloat32Into(halves, 0, 65536, new Float32Array(65536), 0);
    const oneHot = Array.from({ length: dim }, (_, j) => Float32Array.from({ length: dim }, (_, i) => (i === j ? 1 : 0)));
    let checked = 0;
    for (let at = 0; at < 65536; at += dim) {
      // One-hot queries read single lanes back; a row holding Inf/NaN would turn 0 · x into NaN, so those rows are checked apart.
      const finiteRow = want.subarray(at, at + dim).every(Number.isFinite);
      if (!finiteRow) continue;
      for (let j = 0; j < dim; j++) {
        expect(wasm.scoreHalf(oneHot[j]!, 1, 1, dim, halves, at)).toBe(want[at + j]! + 0); // + 0: −0 and 0 compare equal
        checked++;
      }
    }
    expect(checked).toBe(63_488); // 65,536 halves minus the 2,048 Inf/NaN patterns
    // Inf and NaN keep their class: a row of ones with one Inf lane scores Inf.
    const inf = Uint16Array.from({ length: 4 }, (_, i) => (i === 2 ? 0x7c00 : 0x3c00));
    expect(wasm.scoreHalf(new Float32Array([0, 0, 1, 0]), 1, 1, 4, inf, 0)).toBe(Infinity);
  });

  it('dequantizes int8 rows inside the kernel exactly like the TypeScript path (from any first row)', () => {
    const wasm = createWasmKernel()!;
    const js = createJsKernel();
    const r = rng(14);
    for (const dim of [8, 24, 1024, 12]) {
      const total = 30;
      const rows = Int8Array.from({ length: total * dim }, () => Math.round(r() * 254) - 127);
      const scales = Float32Array.from({ length: total }, () => r() / 127);
      const q = randomMulti(r, 5, dim).data;
      for (const [first, n] of [[0, 30], [7, 11], [29, 1]] as const) {
        const a = wasm.scoreInt8(q, 5, n, dim, rows, scales, first);
        const b = js.scoreInt8(q, 5, n, dim, rows, scales, first);
        expect(Math.abs(a - b)).toBeLessThan(1e-5);
      }
    }
  });

  it('scores every storage kind of MultiIndex like the decoded rows (float32 exact to 1e-6, float16 / int8 close)', () => {
    const r = rng(13);
    const dim = 48;
    const passage = randomMulti(r, 20, dim);
    const query = randomMulti(r, 6, dim);
    const want = reference(query.data, 6, passage.data, 20, dim);
    const tolerance = { float32: 1e-6, float16: 2e-3, int8: 2e-2 } as const;
    for (const kind of ['float32', 'float16', 'int8'] as const) {
      const index = new MultiIndex(kind, dim);
      index.set(0, passage);
      expect(Math.abs(index.maxSim(0, query) - want)).toBeLessThan(tolerance[kind]);
      // A budget reads only the first rows.
      expect(index.maxSim(0, query, { budget: 4, queryBudget: 2 })).toBeCloseTo(reference(query.data, 2, passage.data, 4, dim), kind === 'float32' ? 5 : 1);
    }
  });
});
