// The late-interaction inner loop (MaxSim) as a tiny WebAssembly SIMD module,
// with a plain TypeScript loop as the fallback. At BGE-M3 shapes (1024-d,
// ~150 rows per passage, ~30 query rows) reranking a few hundred candidates is
// billions of multiply-adds, and this loop is where hybrid search spends its
// time; f32x4 lanes do it several times faster than scalar JS.
//
// The module's bytes are assembled from named opcodes (./wasm-asm.ts: no
// binary file, no build step). It runs wherever WebAssembly SIMD does: Node ≥
// 16.4, every current browser, workers included. Elsewhere (or under a CSP
// without 'wasm-unsafe-eval') the TypeScript loop answers.
//
// float32 rows are written straight into the kernel's memory (`fill`);
// float16 and int8 rows are copied in as stored and decoded by the kernel
// itself, once per call, before the MaxSim loop.

import { dequantizeRowsInt8Into, float16ToFloat32Into } from './quantize.js';
import { addTo, align16, assemble, ensureMemory, F32, I32, instantiate, lanesSum, op, V128, whileBelow, zeroV128 } from './wasm-asm.js';

/** Scores one passage: the caller fills `pRows × dim` float32 values into the given view. */
export type FillRows = (dst: Float32Array) => void;

export interface MaxSimKernel {
  /** 'wasm-simd' or 'js'. */
  readonly kind: 'wasm-simd' | 'js';
  /**
   * Mean over the first `qRows` query rows of the best dot product over the
   * `pRows` passage rows written by `fill`.
   */
  score(q: Float32Array, qRows: number, pRows: number, dim: number, fill: FillRows): number;
  /** The same for float16 rows (`pRows × dim` halves from `half[at]`), decoded inside the kernel. */
  scoreHalf(q: Float32Array, qRows: number, pRows: number, dim: number, half: Uint16Array, at: number): number;
  /** The same for int8 rows `first … first+pRows` with one scale per row, dequantized inside the kernel. */
  scoreInt8(q: Float32Array, qRows: number, pRows: number, dim: number, rows: Int8Array, scales: Float32Array, first: number): number;
}

/** The shared kernel: WebAssembly SIMD when available, else TypeScript. */
export function maxSimKernel(): MaxSimKernel {
  shared ??= createWasmKernel() ?? createJsKernel();
  return shared;
}
let shared: MaxSimKernel | undefined;

/** The TypeScript loop (also the reference the SIMD kernel is tested against). */
export function createJsKernel(): MaxSimKernel {
  let rows = new Float32Array(0);
  const kernel: MaxSimKernel = {
    kind: 'js',
    scoreHalf(q, qRows, pRows, dim, half, at) {
      return kernel.score(q, qRows, pRows, dim, (dst) => float16ToFloat32Into(half, at, pRows * dim, dst, 0));
    },
    scoreInt8(q, qRows, pRows, dim, rows, scales, first) {
      return kernel.score(q, qRows, pRows, dim, (dst) => dequantizeRowsInt8Into(rows, scales, first, pRows, dim, dst));
    },
    score(q, qRows, pRows, dim, fill) {
      if (rows.length < pRows * dim) rows = new Float32Array(pRows * dim);
      const p = rows.subarray(0, pRows * dim);
      fill(p);
      let sum = 0;
      for (let i = 0; i < qRows; i++) {
        const qo = i * dim;
        let best = -Infinity;
        for (let j = 0; j < pRows; j++) {
          const po = j * dim;
          let d = 0;
          for (let t = 0; t < dim; t++) d += q[qo + t]! * p[po + t]!;
          if (d > best) best = d;
        }
        sum += best;
      }
      return sum / qRows;
    },
  };
  return kernel;
}

/** The SIMD kernel, or undefined where WebAssembly SIMD is missing. Dimensions not divisible by 4 use the TypeScript loop. */
export function createWasmKernel(): MaxSimKernel | undefined {
  const instance = instantiate(maxSimModule());
  if (!instance) return undefined;
  const memory = instance.exports.memory as WebAssembly.Memory;
  const run = instance.exports.maxsim as (q: number, qRows: number, p: number, pRows: number, dim: number, best: number) => number;
  const decodeHalves = instance.exports.f16_to_f32 as (src: number, dst: number, n: number) => void;
  const dequantize = instance.exports.i8_to_f32 as (src: number, scales: number, dst: number, rows: number, dim: number) => void;
  const fallback = createJsKernel();
  // Layout: query rows | best-so-far per query row | passage rows (float32) | stored rows (float16 or int8 + scales), each 16-byte aligned.
  const layout = (qRows: number, pRows: number, dim: number) => {
    const bestAt = align16(qRows * dim * 4);
    const pAt = bestAt + align16(qRows * 4);
    const storedAt = pAt + align16(pRows * dim * 4);
    return { bestAt, pAt, storedAt };
  };
  const withQuery = (q: Float32Array, qRows: number, dim: number, end: number) => {
    ensureMemory(memory, end);
    new Float32Array(memory.buffer, 0, qRows * dim).set(q.subarray(0, qRows * dim));
    return memory.buffer;
  };
  return {
    kind: 'wasm-simd',
    score(q, qRows, pRows, dim, fill) {
      if (dim % 4 !== 0) return fallback.score(q, qRows, pRows, dim, fill);
      const { bestAt, pAt } = layout(qRows, pRows, dim);
      const heap = withQuery(q, qRows, dim, pAt + pRows * dim * 4);
      fill(new Float32Array(heap, pAt, pRows * dim));
      return run(0, qRows, pAt, pRows, dim, bestAt);
    },
    scoreHalf(q, qRows, pRows, dim, half, at) {
      if (dim % 4 !== 0) return fallback.scoreHalf(q, qRows, pRows, dim, half, at);
      const { bestAt, pAt, storedAt } = layout(qRows, pRows, dim);
      const n = pRows * dim;
      const heap = withQuery(q, qRows, dim, storedAt + n * 2);
      new Uint16Array(heap, storedAt, n).set(half.subarray(at, at + n));
      decodeHalves(storedAt, pAt, n);
      return run(0, qRows, pAt, pRows, dim, bestAt);
    },
    scoreInt8(q, qRows, pRows, dim, rows, scales, first) {
      if (dim % 8 !== 0) return fallback.scoreInt8(q, qRows, pRows, dim, rows, scales, first);
      const { bestAt, pAt, storedAt } = layout(qRows, pRows, dim);
      const scalesAt = storedAt + align16(pRows * dim);
      const heap = withQuery(q, qRows, dim, scalesAt + pRows * 4);
      new Int8Array(heap, storedAt, pRows * dim).set(rows.subarray(first * dim, (first + pRows) * dim));
      new Float32Array(heap, scalesAt, pRows).set(scales.subarray(first, first + pRows));
      dequantize(storedAt, scalesAt, pAt, pRows, dim);
      return run(0, qRows, pAt, pRows, dim, bestAt);
    },
  };
}

/*
 * (func (export "maxsim") (param $q $qRows $p $pRows $dim $best i32) (result f32)
 *   best[i] = -inf for every query row
 *   for each passage row j (prow = p + j·dim·4):
 *     for each query row i (qrow = q + i·dim·4):
 *       four f32x4 accumulators over 16 floats per step, then 4 at a time
 *       best[i] = max(best[i], horizontal sum)
 *   return Σ best[i] / qRows)
 * Passage rows in the outer loop: each is read from memory once per call,
 * while the (smaller) query block stays in cache.
 */
// Locals: the six parameters, then the ones declared in `maxSimModule`.
const [Q, QROWS, P, PROWS, DIM, BEST] = [0, 1, 2, 3, 4, 5];
const [J, I, PROW, QROW, T, ROWBYTES, END16] = [6, 7, 8, 9, 10, 11, 12];
const [A0, A1, A2, A3] = [13, 14, 15, 16];
const [D, SUM] = [17, 18];

/** Address of best[i]. */
const bestSlot = [...op.get(BEST), ...op.get(I), ...op.i32(2), ...op.i32Shl, ...op.i32Add];
/** acc += load(qrow + t + offset) · load(prow + t + offset) */
const fma = (acc: number, offset: number) => [
  ...op.get(acc),
  ...op.get(QROW), ...op.get(T), ...op.i32Add, ...op.v128Load(offset),
  ...op.get(PROW), ...op.get(T), ...op.i32Add, ...op.v128Load(offset),
  ...op.f32x4Mul, ...op.f32x4Add, ...op.set(acc),
];

function body(): number[] {
  const dot = [
    ...zeroV128(A0), ...zeroV128(A1), ...zeroV128(A2), ...zeroV128(A3),
    ...op.i32(0), ...op.set(T),
    ...whileBelow(T, END16, [...fma(A0, 0), ...fma(A1, 16), ...fma(A2, 32), ...fma(A3, 48), ...addTo(T, op.i32(64))]),
    ...whileBelow(T, ROWBYTES, [...fma(A0, 0), ...addTo(T, op.i32(16))]),
    ...op.get(A0), ...op.get(A1), ...op.f32x4Add, ...op.get(A2), ...op.f32x4Add, ...op.get(A3), ...op.f32x4Add, ...op.set(A0),
    ...lanesSum(A0), ...op.set(D),
  ];
  const perQueryRow = [
    ...dot,
    ...bestSlot, ...bestSlot, ...op.f32Load, ...op.get(D), ...op.f32Max, ...op.f32Store,
    ...addTo(I, op.i32(1)), ...addTo(QROW, op.get(ROWBYTES)),
  ];
  const perPassageRow = [
    ...op.i32(0), ...op.set(I), ...op.get(Q), ...op.set(QROW),
    ...whileBelow(I, QROWS, perQueryRow),
    ...addTo(J, op.i32(1)), ...addTo(PROW, op.get(ROWBYTES)),
  ];
  return [
    ...op.get(DIM), ...op.i32(2), ...op.i32Shl, ...op.set(ROWBYTES),
    ...op.get(ROWBYTES), ...op.i32(-64), ...op.i32And, ...op.set(END16),
    // best[i] = -inf (locals start at 0)
    ...whileBelow(I, QROWS, [...bestSlot, ...op.f32(-Infinity), ...op.f32Store, ...addTo(I, op.i32(1))]),
    ...op.get(P), ...op.set(PROW),
    ...whileBelow(J, PROWS, perPassageRow),
    // Σ best / qRows
    ...op.i32(0), ...op.set(I),
    ...whileBelow(I, QROWS, [...op.get(SUM), ...bestSlot, ...op.f32Load, ...op.f32Add, ...op.set(SUM), ...addTo(I, op.i32(1))]),
    ...op.get(SUM), ...op.get(QROWS), ...op.f32FromU32, ...op.f32Div,
  ];
}

/*
 * (func (export "f16_to_f32") (param $src $dst $n i32))  — n a multiple of 4
 *   per 4 halves h (zero-extended to i32 lanes):
 *     f = bits((h & 0x7fff) << 13) · 2^112      exact for normals and subnormals
 *     | (h & 0x8000) << 16                       sign
 *     | 0x7f800000 where (h & 0x7c00) == 0x7c00  Inf / NaN keep their class
 */
function halvesBody(): number[] {
  const [SRC, DST, COUNT, K, H] = [0, 1, 2, 3, 4];
  const splatI = (v: number) => [...op.i32(v), ...op.i32x4Splat];
  return [
    ...op.get(COUNT), ...op.i32(1), ...op.i32Shl, ...op.set(COUNT), // bytes of halves to read
    ...whileBelow(K, COUNT, [
      ...op.get(SRC), ...op.get(K), ...op.i32Add, ...op.v128Load16x4U(0), ...op.set(H),
      ...op.get(DST), ...op.get(K), ...op.i32(1), ...op.i32Shl, ...op.i32Add, // dst + 2k (4 bytes per float, 2 per half)
      ...op.get(H), ...splatI(0x7fff), ...op.v128And, ...op.i32(13), ...op.i32x4Shl,
      ...op.f32(2 ** 112), ...op.f32x4Splat, ...op.f32x4Mul,
      ...op.get(H), ...splatI(0x8000), ...op.v128And, ...op.i32(16), ...op.i32x4Shl, ...op.v128Or,
      ...op.get(H), ...splatI(0x7c00), ...op.v128And, ...splatI(0x7c00), ...op.i32x4Eq, ...splatI(0x7f800000), ...op.v128And, ...op.v128Or,
      ...op.v128Store(0),
      ...addTo(K, op.i32(8)),
    ]),
  ];
}

/*
 * (func (export "i8_to_f32") (param $src $scales $dst $rows $dim i32))  — dim a multiple of 8
 *   per row r: s = scales[r]; per 8 bytes: widen i8 → i16 → i32 → f32 (low, high half), · s, store
 */
function int8Body(): number[] {
  const [SRC, SCALES, DST, ROWS, DIM, R, T, S, X] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const half = (widen: number[], offset: number) => [
    ...op.get(DST), ...op.get(T), ...op.i32(2), ...op.i32Shl, ...op.i32Add,
    ...op.get(X), ...widen, ...op.f32x4ConvertI32x4S, ...op.get(S), ...op.f32x4Mul,
    ...op.v128Store(offset),
  ];
  return whileBelow(R, ROWS, [
    ...op.get(SCALES), ...op.get(R), ...op.i32(2), ...op.i32Shl, ...op.i32Add, ...op.f32Load, ...op.f32x4Splat, ...op.set(S),
    ...op.i32(0), ...op.set(T),
    ...whileBelow(T, DIM, [
      ...op.get(SRC), ...op.get(T), ...op.i32Add, ...op.v128Load8x8S(0), ...op.set(X),
      ...half(op.i32x4ExtendLowI16x8S, 0), ...half(op.i32x4ExtendHighI16x8S, 16),
      ...addTo(T, op.i32(8)),
    ]),
    ...addTo(SRC, op.get(DIM)), ...addTo(DST, [...op.get(DIM), ...op.i32(2), ...op.i32Shl]), ...addTo(R, op.i32(1)),
  ]);
}

function maxSimModule(): Uint8Array<ArrayBuffer> {
  return assemble([
    { name: 'i8_to_f32', params: [I32, I32, I32, I32, I32], result: undefined, locals: [[2, I32], [2, V128]], body: int8Body() },
    { name: 'maxsim', params: [I32, I32, I32, I32, I32, I32], result: F32, locals: [[7, I32], [4, V128], [2, F32]], body: body() },
    { name: 'f16_to_f32', params: [I32, I32, I32], result: undefined, locals: [[1, I32], [1, V128]], body: halvesBody() },
  ]);
}
