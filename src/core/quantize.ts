// Compact storage formats for vectors: symmetric int8 with one float scale per
// vector (4× smaller than float32), and IEEE-754 half precision held in
// Uint16Array (2× smaller; no Float16Array is assumed to exist).

import { maxAbs } from './vector-math.js';

// ---------------------------------------------------------------- int8

/** Round half away from zero, so quantization is symmetric around 0. */
function roundSym(x: number): number {
  return x >= 0 ? Math.floor(x + 0.5) : -Math.floor(-x + 0.5);
}

/**
 * Quantizes `n` values of `src` (from `srcOff`) into `dst` (from `dstOff`) with
 * scale = maxabs/127, and returns that scale. An all-zero input gets scale 0.
 * Every value then satisfies |x − q·scale| ≤ scale/2.
 */
export function quantizeInt8Into(
  src: ArrayLike<number>,
  srcOff: number,
  n: number,
  dst: Int8Array,
  dstOff: number,
): number {
  const m = maxAbs(src, srcOff, n);
  if (!(m > 0) || !Number.isFinite(m)) {
    dst.fill(0, dstOff, dstOff + n);
    return 0;
  }
  const scale = m / 127;
  const inv = 127 / m;
  for (let i = 0; i < n; i++) {
    const q = roundSym(src[srcOff + i]! * inv);
    dst[dstOff + i] = q > 127 ? 127 : q < -127 ? -127 : q;
  }
  // Stored as float32 everywhere, so round the scale now: quantizing and later
  // reading the scale back from a Float32Array then agree exactly.
  return Math.fround(scale);
}

export interface Int8Vector {
  q: Int8Array;
  scale: number;
}

/** Per-vector symmetric int8 quantization. */
export function quantizeInt8(v: ArrayLike<number>): Int8Vector {
  const q = new Int8Array(v.length);
  const scale = quantizeInt8Into(v, 0, v.length, q, 0);
  return { q, scale };
}

/** Inverse of {@link quantizeInt8}: q·scale as float32. */
export function dequantizeInt8(q: Int8Array, scale: number, out = new Float32Array(q.length)): Float32Array {
  for (let i = 0; i < q.length; i++) out[i] = q[i]! * scale;
  return out;
}

/**
 * Row-wise int8 quantization of a packed `rows × dim` matrix: one scale per row.
 * Token vectors differ in magnitude, so a shared scale would waste precision.
 */
export function quantizeRowsInt8(data: ArrayLike<number>, dim: number): { q: Int8Array; scales: Float32Array } {
  const rows = dim > 0 ? Math.floor(data.length / dim) : 0;
  const q = new Int8Array(rows * dim);
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) scales[r] = quantizeInt8Into(data, r * dim, dim, q, r * dim);
  return { q, scales };
}

/** Inverse of {@link quantizeRowsInt8}. */
export function dequantizeRowsInt8(q: Int8Array, scales: Float32Array, dim: number): Float32Array {
  return dequantizeRowsInt8Into(q, scales, 0, scales.length, dim, new Float32Array(q.length));
}

/** Rows `first … first+rows` of a row-quantized int8 matrix, as float32 into `out` (from its start). */
export function dequantizeRowsInt8Into(q: Int8Array, scales: ArrayLike<number>, first: number, rows: number, dim: number, out: Float32Array): Float32Array {
  for (let r = 0; r < rows; r++) {
    const s = scales[first + r]!;
    const src = (first + r) * dim;
    const dst = r * dim;
    for (let i = 0; i < dim; i++) out[dst + i] = q[src + i]! * s;
  }
  return out;
}

// ---------------------------------------------------------------- float16

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/**
 * Converts a number to IEEE-754 binary16 bits, rounding to nearest-even (via
 * float32 first, as every float32→half conversion in hardware does). Overflow
 * gives ±Infinity, tiny values become subnormals or ±0, NaN stays a quiet NaN.
 */
export function toHalf(value: number): number {
  f32Scratch[0] = value;
  const x = u32Scratch[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;

  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0);

  const e = exp - 127 + 15; // rebias
  if (e >= 0x1f) return sign | 0x7c00;

  if (e <= 0) {
    // Subnormal half (or zero): value = m · 2^-24 with m < 1024.
    if (e < -10) return sign; // below half the smallest subnormal
    const full = mant | 0x800000; // restore the implicit leading 1
    const shift = 14 - e;
    let m = full >>> shift;
    const rem = full & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (m & 1) !== 0)) m++; // may carry into the smallest normal: still correct
    return sign | m;
  }

  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) !== 0)) h++; // a carry into the exponent is correct, up to Infinity
  return sign | h;
}

/** Converts binary16 bits to a number (exact). */
export function fromHalf(h: number): number {
  const sign = (h & 0x8000) !== 0 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant !== 0 ? NaN : sign * Infinity;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

let halfTable: Float32Array | undefined;

/** All 65536 half values decoded once (256 KiB), so bulk decoding is a table lookup. */
function table(): Float32Array {
  if (halfTable === undefined) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = fromHalf(h);
  }
  return halfTable;
}

/** float32 → half bits, element-wise. */
export function float32ToFloat16(src: ArrayLike<number>, out = new Uint16Array(src.length)): Uint16Array {
  for (let i = 0; i < src.length; i++) out[i] = toHalf(src[i]!);
  return out;
}

/** half bits → float32, element-wise. */
export function float16ToFloat32(src: Uint16Array, out = new Float32Array(src.length)): Float32Array {
  return float16ToFloat32Into(src, 0, src.length, out, 0);
}

/** Decodes `n` halves from `src[srcOff]` into `out[outOff]` (used to unpack one passage's rows). */
export function float16ToFloat32Into(
  src: Uint16Array,
  srcOff: number,
  n: number,
  out: Float32Array,
  outOff: number,
): Float32Array {
  const t = table();
  for (let i = 0; i < n; i++) out[outOff + i] = t[src[srcOff + i]!]!;
  return out;
}
