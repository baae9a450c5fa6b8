// The dense matrix's rows and the scan over them. Where WebAssembly SIMD runs,
// the rows live in a WebAssembly memory and a SIMD kernel computes a query's
// dot product with thousands of rows per call (no copy of the matrix per
// query); elsewhere they are a plain typed array scanned in TypeScript. The
// dense scan runs on every query of every mode but lexical, so its speed is
// the floor of search latency at large sizes.
import { resized } from './slots.js';
import type { DenseStorage } from './types.js';
import { addTo, align16, assemble, ensureMemory, F32, I32, instantiate, lanesSum, op, V128, whileBelow, zeroV128 } from './wasm-asm.js';

/** Rows scored per `scan` call at most: the size of the kernel's output buffer. */
export const SCAN_ROWS = 4096;

type Scan = (q: number, rows: number, n: number, dim: number, out: number) => void;

export class DenseMatrix {
  readonly kind: DenseStorage;
  readonly dim: number;
  /** 'wasm-simd' or 'js'. */
  readonly engine: 'wasm-simd' | 'js';
  private capacity = 0;
  private plain: Float32Array | Int8Array;
  private readonly wasm: { memory: WebAssembly.Memory; scan: Scan; matrixAt: number } | undefined;
  private cached: { buffer: ArrayBufferLike; rows: Float32Array | Int8Array; out: Float32Array; q: Float32Array } | undefined;
  private readonly jsOut = new Float32Array(SCAN_ROWS);

  /** `simd: false` forces the TypeScript scan (the bench's baseline). */
  constructor(kind: DenseStorage, dim: number, opts: { simd?: boolean } = {}) {
    this.kind = kind;
    this.dim = dim;
    this.plain = kind === 'float32' ? new Float32Array(0) : new Int8Array(0);
    // Vector lanes: float32 rows are read 4 floats at a time, int8 rows 8 bytes at a time.
    const fits = opts.simd !== false && dim > 0 && dim % (kind === 'float32' ? 4 : 8) === 0;
    const instance = fits ? instantiate(denseModule()) : undefined;
    if (instance) {
      const memory = instance.exports.memory as WebAssembly.Memory;
      const scan = instance.exports[kind === 'float32' ? 'dense_f32' : 'dense_i8'] as Scan;
      // Layout: query | output chunk | matrix (the only part that grows, at the end).
      this.wasm = { memory, scan, matrixAt: align16(dim * 4) + SCAN_ROWS * 4 };
      ensureMemory(memory, this.wasm.matrixAt);
    }
    this.engine = this.wasm ? 'wasm-simd' : 'js';
  }

  /** The rows, `capacity × dim` values; a view valid until the next `reserve`. */
  get rows(): Float32Array | Int8Array {
    return this.views()?.rows ?? this.plain;
  }

  /** Makes room for `n` rows (growing by doubling), keeping the stored ones. */
  reserve(n: number): void {
    if (n <= this.capacity) return;
    const cap = Math.max(n, this.capacity * 2, 16);
    if (this.wasm) {
      ensureMemory(this.wasm.memory, this.wasm.matrixAt + cap * this.dim * (this.kind === 'float32' ? 4 : 1));
    } else {
      this.plain = resized(this.plain, cap * this.dim);
    }
    this.capacity = cap;
    this.cached = undefined;
  }

  /**
   * Dot products of `q` with rows `from … from+n` (n ≤ 4096), int8 rows
   * unscaled. The returned view is overwritten by the next call.
   */
  scan(q: Float32Array, from: number, n: number): Float32Array {
    if (n > SCAN_ROWS) throw new RangeError(`scan at most ${SCAN_ROWS} rows per call`);
    const v = this.views();
    if (v && this.wasm) {
      v.q.set(q);
      const rowBytes = this.dim * (this.kind === 'float32' ? 4 : 1);
      this.wasm.scan(0, this.wasm.matrixAt + from * rowBytes, n, this.dim, align16(this.dim * 4));
      return v.out.subarray(0, n);
    }
    const m = this.plain;
    const dim = this.dim;
    for (let r = 0; r < n; r++) {
      const off = (from + r) * dim;
      let s = 0;
      for (let i = 0; i < dim; i++) s += q[i]! * m[off + i]!;
      this.jsOut[r] = s;
    }
    return this.jsOut.subarray(0, n);
  }

  /** Typed views over the WebAssembly memory, rebuilt after it grows (growing detaches the old buffer). */
  private views() {
    if (!this.wasm) return undefined;
    const buffer = this.wasm.memory.buffer;
    if (this.cached?.buffer !== buffer || this.cached.rows.length !== this.capacity * this.dim) {
      const { matrixAt } = this.wasm;
      const len = this.capacity * this.dim;
      this.cached = {
        buffer,
        rows: this.kind === 'float32' ? new Float32Array(buffer, matrixAt, len) : new Int8Array(buffer, matrixAt, len),
        out: new Float32Array(buffer, align16(this.dim * 4), SCAN_ROWS),
        q: new Float32Array(buffer, 0, this.dim),
      };
    }
    return this.cached;
  }
}

/*
 * Two exports over the same signature (q, rows, n, dim, out): out[r] = q · row r.
 * dense_f32: four f32x4 accumulators over 16 floats per step, then 4 at a time.
 * dense_i8: 16 bytes per step as two 8-byte loads, each widened i8 → i16 → i32
 *   → f32 (low and high halves) and multiplied with the matching query floats;
 *   then 8 bytes at a time. The caller applies the row scale.
 */
const [Q, ROWS, N, DIM, OUT] = [0, 1, 2, 3, 4];
const [R, ROW, T, QT, ROWBYTES, END16] = [5, 6, 7, 8, 9, 10];
const [A0, A1, A2, A3, X] = [11, 12, 13, 14, 15];
const LOCALS: [number, number][] = [[6, I32], [5, V128]];

/** acc += v · load(q + qOffsetLocal + offset), with v on the stack. */
const mulAddQ = (acc: number, qOffset: number, offset: number) => [
  ...op.get(Q), ...op.get(qOffset), ...op.i32Add, ...op.v128Load(offset), ...op.f32x4Mul, ...op.get(acc), ...op.f32x4Add, ...op.set(acc),
];
const rowAt = (offset: number, load: (o: number) => number[]) => [...op.get(ROW), ...op.get(T), ...op.i32Add, ...load(offset)];
const storeOut = [
  ...op.get(OUT), ...op.get(R), ...op.i32(2), ...op.i32Shl, ...op.i32Add,
  ...op.get(A0), ...op.get(A1), ...op.f32x4Add, ...op.get(A2), ...op.f32x4Add, ...op.get(A3), ...op.f32x4Add, ...op.set(A0),
  ...lanesSum(A0), ...op.f32Store,
];
const eachRow = (inner: number[]) => [
  ...op.get(ROWS), ...op.set(ROW),
  ...whileBelow(R, N, [
    ...zeroV128(A0), ...zeroV128(A1), ...zeroV128(A2), ...zeroV128(A3), ...op.i32(0), ...op.set(T),
    ...inner,
    ...storeOut,
    ...addTo(R, op.i32(1)), ...addTo(ROW, op.get(ROWBYTES)),
  ]),
];

function f32Body(): number[] {
  // For float32 rows, byte offsets into the row and into q coincide: QT = T.
  const step = (acc: number, offset: number) => [...rowAt(offset, op.v128Load), ...mulAddQ(acc, T, offset)];
  return [
    ...op.get(DIM), ...op.i32(2), ...op.i32Shl, ...op.set(ROWBYTES),
    ...op.get(ROWBYTES), ...op.i32(-64), ...op.i32And, ...op.set(END16),
    ...eachRow([
      ...whileBelow(T, END16, [...step(A0, 0), ...step(A1, 16), ...step(A2, 32), ...step(A3, 48), ...addTo(T, op.i32(64))]),
      ...whileBelow(T, ROWBYTES, [...step(A0, 0), ...addTo(T, op.i32(16))]),
    ]),
  ];
}

function i8Body(): number[] {
  const widen = (half: number[]) => [...op.get(X), ...half, ...op.f32x4ConvertI32x4S];
  // Eight row bytes at row offset `offset` against the 8 query floats at byte offset 4·offset.
  const eight = (lo: number, hi: number, offset: number) => [
    ...rowAt(offset, op.v128Load8x8S), ...op.set(X),
    ...widen(op.i32x4ExtendLowI16x8S), ...mulAddQ(lo, QT, offset * 4),
    ...widen(op.i32x4ExtendHighI16x8S), ...mulAddQ(hi, QT, offset * 4 + 16),
  ];
  const qt = [...op.get(T), ...op.i32(2), ...op.i32Shl, ...op.set(QT)];
  return [
    ...op.get(DIM), ...op.set(ROWBYTES),
    ...op.get(DIM), ...op.i32(-16), ...op.i32And, ...op.set(END16),
    ...eachRow([
      ...whileBelow(T, END16, [...qt, ...eight(A0, A1, 0), ...eight(A2, A3, 8), ...addTo(T, op.i32(16))]),
      ...whileBelow(T, ROWBYTES, [...qt, ...eight(A0, A1, 0), ...addTo(T, op.i32(8))]),
    ]),
  ];
}

let moduleBytes: Uint8Array<ArrayBuffer> | undefined;
function denseModule(): Uint8Array<ArrayBuffer> {
  const params = [I32, I32, I32, I32, I32];
  moduleBytes ??= assemble([
    { name: 'dense_f32', params, result: undefined, locals: LOCALS, body: f32Body() },
    { name: 'dense_i8', params, result: undefined, locals: LOCALS, body: i8Body() },
  ]);
  return moduleBytes;
}
