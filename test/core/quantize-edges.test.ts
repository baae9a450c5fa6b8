// Edges of the vector storage formats (src/core/quantize.ts), worked by hand:
// writes stay inside the range they were given (buffers here are larger and
// pre-filled, so one element too many shows), degenerate inputs (all zero,
// infinite, dimension 0) get scale 0 or no rows, and half precision at its
// exponent limits (issue #18: mutants that the round-trip tests left alive).
import { describe, expect, it } from 'vitest';
import { dequantizeInt8, float32ToFloat16, quantizeInt8Into, quantizeRowsInt8, toHalf } from '../../src/core/quantize.js';

const SENTINEL = 99;

describe('int8: writes stay in their range', () => {
  it('quantizeInt8Into writes exactly n values from dstOff, scale = maxabs/127', () => {
    const dst = new Int8Array(8).fill(SENTINEL);
    const scale = quantizeInt8Into([0, 127, -63.5, 12.7, 5], 1, 3, dst, 2);
    expect(scale).toBe(Math.fround(1));
    expect([...dst]).toEqual([SENTINEL, SENTINEL, 127, -64, 13, SENTINEL, SENTINEL, SENTINEL]);
  });

  it('an all-zero or non-finite run is zeros over exactly its range, with scale 0', () => {
    for (const src of [[1, 0, 0, 0, 1], [1, Infinity, 2, 3, 1], [1, NaN, NaN, NaN, 1]]) {
      const dst = new Int8Array(8).fill(SENTINEL);
      expect(quantizeInt8Into(src, 1, 3, dst, 3)).toBe(0);
      expect([...dst]).toEqual([SENTINEL, SENTINEL, SENTINEL, 0, 0, 0, SENTINEL, SENTINEL]);
    }
  });

  it('dequantizeInt8 fills only q.length values of a larger output', () => {
    const out = new Float32Array(4).fill(SENTINEL);
    dequantizeInt8(new Int8Array([2, -3]), 0.5, out);
    expect([...out]).toEqual([1, -1.5, SENTINEL, SENTINEL]);
  });

  it('quantizeRowsInt8 with dimension 0 has no rows; a trailing partial row is dropped', () => {
    expect(quantizeRowsInt8([1, 2, 3], 0)).toEqual({ q: new Int8Array(0), scales: new Float32Array(0) });
    const { q, scales } = quantizeRowsInt8([1, -2, 4, 0, 9], 2);
    expect([...scales]).toEqual([Math.fround(2 / 127), Math.fround(4 / 127)]);
    expect([...q]).toEqual([64, -127, 127, 0]);
  });
});

describe('half precision at its limits', () => {
  it('2^16 and above overflow to ±Infinity (rebiased exponent 31 is not a number)', () => {
    expect(toHalf(65536)).toBe(0x7c00);
    expect(toHalf(-65536)).toBe(0xfc00);
    expect(toHalf(2 ** 17)).toBe(0x7c00);
    // With a mantissa, exponent 31 would read as NaN.
    expect(toHalf(98304)).toBe(0x7c00);
    expect(toHalf(-98304)).toBe(0xfc00);
  });

  it('values far below the smallest subnormal are ±0, not the float32 mantissa', () => {
    for (const v of [2 ** -26, 1e-10, 1e-30, 2 ** -120]) {
      expect(toHalf(v)).toBe(0);
      expect(toHalf(-v)).toBe(0x8000);
    }
    expect(toHalf(2 ** -24)).toBe(1); // the smallest subnormal itself
  });

  it('float32ToFloat16 fills only src.length halves of a larger output', () => {
    const out = new Uint16Array(4).fill(SENTINEL);
    float32ToFloat16([1, -2], out);
    expect([...out]).toEqual([0x3c00, 0xc000, SENTINEL, SENTINEL]);
  });
});
