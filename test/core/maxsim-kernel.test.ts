// The WebAssembly SIMD MaxSim kernel against the plain TypeScript loop.
import { describe, expect, it } from 'vitest';
import { createJsKernel, createWasmKernel, maxSimKernel } from '../../src/core/maxsim-kernel.js';
import { MultiIndex } from '../../src/core/multi-index.js';
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
