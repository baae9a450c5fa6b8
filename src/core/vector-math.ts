// Small numeric kernels shared by every index. Plain loops over typed arrays:
// they JIT well in every engine and allocate nothing.

/** Dot product of two equal-length vectors (accumulated in float64). */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (b.length !== n) throw new RangeError(`dot: length mismatch (${n} vs ${b.length})`);
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * Dot product of `n` values starting at `aOff` in `a` and `bOff` in `b`.
 * Used on rows of packed matrices so no subarray views are created per row.
 */
export function dotAt(a: ArrayLike<number>, aOff: number, b: ArrayLike<number>, bOff: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[aOff + i]! * b[bOff + i]!;
  return s;
}

/** Euclidean norm. */
export function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}

/** Scales `v` to unit length in place and returns it; a zero vector is left as is. */
export function l2normalize<T extends Float32Array | Float64Array>(v: T): T {
  const n = norm(v);
  if (n > 0 && Number.isFinite(n)) {
    const inv = 1 / n;
    for (let i = 0; i < v.length; i++) v[i] = v[i]! * inv;
  }
  return v;
}

/** A unit-length copy of `v` (a zero vector stays zero). */
export function l2normalized(v: ArrayLike<number>): Float32Array {
  return l2normalize(Float32Array.from(v));
}

/** Normalizes each `dim`-wide row of a packed row-major matrix in place. */
export function l2normalizeRows(data: Float32Array, dim: number): Float32Array {
  for (let off = 0; off + dim <= data.length; off += dim) l2normalize(data.subarray(off, off + dim));
  return data;
}

/** True when every value is exactly zero (or the vector is empty). */
export function isZero(v: ArrayLike<number>): boolean {
  for (let i = 0; i < v.length; i++) if (v[i] !== 0) return false;
  return true;
}

/** True when no value is NaN or ±Infinity. */
export function allFinite(v: ArrayLike<number>): boolean {
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) return false;
  return true;
}

/** Largest absolute value among `n` values starting at `off`. */
export function maxAbs(v: ArrayLike<number>, off = 0, n = v.length - off): number {
  let m = 0;
  for (let i = 0; i < n; i++) {
    const a = Math.abs(v[off + i]!);
    if (a > m) m = a;
  }
  return m;
}
