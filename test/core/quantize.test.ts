import { describe, expect, it } from 'vitest';
import {
  dequantizeInt8,
  dequantizeRowsInt8,
  float16ToFloat32,
  float32ToFloat16,
  fromHalf,
  quantizeInt8,
  quantizeRowsInt8,
  toHalf,
} from '../../src/core/quantize.js';
import { dot, l2normalize, l2normalized, norm, isZero, allFinite } from '../../src/core/vector-math.js';
import { gauss, randomDense, rng } from './helpers.js';

describe('vector-math', () => {
  it('dot, norm and normalization', () => {
    expect(dot([1, 2, 3], [4, 5, 6])).toBe(32);
    expect(() => dot([1], [1, 2])).toThrow(RangeError);
    const v = new Float32Array([3, 4]);
    const c = l2normalized(v);
    expect(Array.from(c)).toEqual([Math.fround(0.6), Math.fround(0.8)]);
    expect(Array.from(v)).toEqual([3, 4]); // copy leaves the input alone
    expect(l2normalize(v)).toBe(v);
    expect(norm(v)).toBeCloseTo(1, 6);
    const z = new Float32Array(3);
    expect(Array.from(l2normalize(z))).toEqual([0, 0, 0]);
    expect(isZero(z)).toBe(true);
    expect(allFinite(new Float32Array([1, NaN]))).toBe(false);
  });
});

describe('int8 quantization', () => {
  it('per-component error ≤ scale/2 and small relative error on random vectors', () => {
    const r = rng(1);
    for (let trial = 0; trial < 50; trial++) {
      const dim = 8 + Math.floor(r() * 200);
      const v = Float32Array.from({ length: dim }, () => gauss(r) * (trial + 1));
      const { q, scale } = quantizeInt8(v);
      const maxabs = Math.max(...Array.from(v, Math.abs));
      expect(scale).toBeCloseTo(maxabs / 127, 5);
      const back = dequantizeInt8(q, scale);
      let errSq = 0;
      for (let i = 0; i < dim; i++) {
        const e = Math.abs(back[i]! - v[i]!);
        expect(e).toBeLessThanOrEqual(scale / 2 + 1e-6 * maxabs);
        errSq += e * e;
      }
      // Gaussian vectors: relative L2 error is far below 2%.
      expect(Math.sqrt(errSq) / norm(v)).toBeLessThan(0.02);
      expect(Math.max(...Array.from(q, Math.abs))).toBe(127);
    }
  });

  it('is symmetric and handles zero vectors', () => {
    const { q, scale } = quantizeInt8(new Float32Array([-2, 2, 1, -1]));
    expect(Array.from(q)).toEqual([-127, 127, 64, -64]);
    expect(scale).toBeCloseTo(2 / 127, 7);
    const z = quantizeInt8(new Float32Array(4));
    expect(z.scale).toBe(0);
    expect(Array.from(dequantizeInt8(z.q, z.scale))).toEqual([0, 0, 0, 0]);
  });

  it('row-wise quantization keeps each row within its own scale', () => {
    const r = rng(2);
    const dim = 16;
    const data = new Float32Array(4 * dim);
    for (let i = 0; i < 4; i++) data.set(Float32Array.from(randomDense(r, dim), (x) => x * 10 ** i), i * dim);
    const { q, scales } = quantizeRowsInt8(data, dim);
    expect(scales.length).toBe(4);
    const back = dequantizeRowsInt8(q, scales, dim);
    for (let i = 0; i < data.length; i++) {
      expect(Math.abs(back[i]! - data[i]!)).toBeLessThanOrEqual(scales[Math.floor(i / dim)]! / 2 + 1e-9);
    }
  });
});

describe('float16', () => {
  it('encodes known values exactly', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [65504, 0x7bff], // largest finite half
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -24 * 1023, 0x03ff], // largest subnormal
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
      [1 / 3, 0x3555],
    ];
    for (const [v, h] of cases) {
      expect(toHalf(v)).toBe(h);
      if (v !== 1 / 3) expect(Object.is(fromHalf(h), v)).toBe(true);
    }
    expect(Number.isNaN(fromHalf(toHalf(NaN)))).toBe(true);
    expect(toHalf(NaN) & 0x7c00).toBe(0x7c00);
    expect(toHalf(NaN) & 0x3ff).not.toBe(0);
  });

  it('rounds to nearest even, overflows to infinity and underflows to zero', () => {
    expect(toHalf(65520)).toBe(0x7c00); // halfway past max rounds up to inf
    expect(toHalf(65519)).toBe(0x7bff);
    expect(toHalf(1e6)).toBe(0x7c00);
    expect(toHalf(-1e6)).toBe(0xfc00);
    // 1 + 2^-11 is exactly halfway between 1 and 1+2^-10: ties to even (1).
    expect(toHalf(1 + 2 ** -11)).toBe(0x3c00);
    // 1 + 3·2^-11 is halfway between 1+2^-10 (odd) and 1+2^-9 (even): rounds up.
    expect(toHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(toHalf(2 ** -25)).toBe(0); // halfway to the smallest subnormal: ties to even (0)
    expect(toHalf(2 ** -25 * 1.5)).toBe(0x0001);
    expect(toHalf(2 ** -26)).toBe(0);
    expect(toHalf(-(2 ** -30))).toBe(0x8000);
    expect(toHalf(2 ** -24 * 2.5)).toBe(0x0002); // subnormal tie → even
    expect(toHalf(2 ** -24 * 3.5)).toBe(0x0004);
    // A subnormal that rounds up into the smallest normal.
    expect(toHalf(2 ** -14 - 2 ** -26)).toBe(0x0400);
  });

  it('every finite half round-trips, and float32 → half → float32 error is ≤ half an ulp', () => {
    for (let h = 0; h < 0x10000; h++) {
      const v = fromHalf(h);
      if (Number.isNaN(v)) continue;
      expect(toHalf(v)).toBe(h);
    }
    const r = rng(3);
    const src = Float32Array.from({ length: 2000 }, () => gauss(r) * 100);
    const back = float16ToFloat32(float32ToFloat16(src));
    for (let i = 0; i < src.length; i++) {
      const a = Math.abs(src[i]!);
      const ulp = a >= 2 ** -14 ? 2 ** (Math.floor(Math.log2(a)) - 10) : 2 ** -24;
      expect(Math.abs(back[i]! - src[i]!)).toBeLessThanOrEqual(ulp / 2 + 1e-12);
    }
  });
});
