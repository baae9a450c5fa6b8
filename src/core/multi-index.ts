// Every passage's token vectors packed into one pool of rows (float32,
// float16 bits, or int8 with one scale per row), addressed by slot → (first
// row, row count). Removing a passage leaves a hole; the pool is repacked once
// holes pass a fraction of all rows.
//
// Scoring is ColBERT-style late interaction (MaxSim): for each query row, the
// best dot product over the passage's rows, averaged over query rows.

import type { MultiStorage, MultiVector } from './types.js';
import { maxSimKernel, type MaxSimKernel } from './maxsim-kernel.js';
import { float16ToFloat32Into, quantizeInt8Into, toHalf } from './quantize.js';
import { ensureCapacity, resized } from './slots.js';
import type { MultiData } from './stored.js';

export interface MaxSimOptions {
  /** Use only the passage's first `budget` stored rows (rows are ordered coarse-to-fine). */
  budget?: number;
  /** Use only the query's first `queryBudget` rows. */
  queryBudget?: number;
}

export interface MultiIndexOptions {
  /** Repack when dead rows exceed this fraction of the pool (default 0.25). */
  compactRatio?: number;
  /** …and there are at least this many dead rows (default 4096). */
  compactMin?: number;
  /** The MaxSim inner loop (default: WebAssembly SIMD where available, else TypeScript). */
  kernel?: MaxSimKernel;
}

export class MultiIndex {
  readonly kind: MultiStorage;
  private dimension: number;
  private f32 = new Float32Array(0);
  private f16 = new Uint16Array(0);
  private i8 = new Int8Array(0);
  private rowScales = new Float32Array(0);
  private offsets = new Int32Array(0); // first row of each slot, −1 when empty
  private counts = new Int32Array(0);
  private usedRows = 0; // rows appended to the pool, holes included
  private deadRows = 0;
  private liveRows = 0;
  private liveCount = 0;
  private compactionCount = 0;
  private readonly kernel: MaxSimKernel;
  private readonly compactRatio: number;
  private readonly compactMin: number;

  /** `dim` 0 means "fixed by the first passage with rows". */
  constructor(kind: MultiStorage = 'float16', dim = 0, opts: MultiIndexOptions = {}) {
    this.kind = kind;
    this.dimension = dim;
    this.compactRatio = opts.compactRatio ?? 0.25;
    this.compactMin = opts.compactMin ?? 4096;
    this.kernel = opts.kernel ?? maxSimKernel();
  }

  get dim(): number {
    return this.dimension;
  }

  /** The MaxSim implementation in use. */
  get kernelKind(): 'wasm-simd' | 'js' {
    return this.kernel.kind;
  }

  get size(): number {
    return this.liveCount;
  }

  /** Rows held for live passages. */
  get rows(): number {
    return this.liveRows;
  }

  /** Repacks run so far. */
  get compactions(): number {
    return this.compactionCount;
  }

  has(slot: number): boolean {
    return slot >= 0 && slot < this.offsets.length && this.offsets[slot]! >= 0;
  }

  count(slot: number): number {
    return this.has(slot) ? this.counts[slot]! : 0;
  }

  /** Stores float32 token vectors (converted to the index's kind). */
  set(slot: number, m: MultiVector): void {
    this.setData(slot, { kind: 'float32', data: m.data, count: m.count, dim: m.dim });
  }

  /** Stores rows given in any stored kind; same-kind data is copied bit for bit. */
  setData(slot: number, m: MultiData): void {
    if (this.has(slot)) throw new RangeError(`multi slot ${slot} is occupied`);
    const { count } = m;
    if (count > 0) {
      if (this.dimension === 0) this.dimension = m.dim;
      if (m.dim !== this.dimension) throw new RangeError(`multi-vectors have ${m.dim} dims, index has ${this.dimension}`);
    }
    const dim = this.dimension;
    this.reserveSlots(slot + 1);
    const start = this.usedRows;
    this.reserveRows(start + count);
    const off = start * dim;
    const n = count * dim;
    switch (this.kind) {
      case 'float32':
        if (m.kind === 'float32') this.f32.set(m.data.subarray(0, n), off);
        else this.f32.set(decode(m), off);
        break;
      case 'float16':
        if (m.kind === 'float16') this.f16.set(m.data.subarray(0, n), off);
        else {
          const f = m.kind === 'float32' ? m.data : decode(m);
          for (let i = 0; i < n; i++) this.f16[off + i] = toHalf(f[i]!);
        }
        break;
      case 'int8':
        if (m.kind === 'int8') {
          this.i8.set(m.data.subarray(0, n), off);
          this.rowScales.set(m.scales.subarray(0, count), start);
        } else {
          const f = m.kind === 'float32' ? m.data : decode(m);
          for (let r = 0; r < count; r++) this.rowScales[start + r] = quantizeInt8Into(f, r * dim, dim, this.i8, off + r * dim);
        }
        break;
    }
    this.offsets[slot] = start;
    this.counts[slot] = count;
    this.usedRows += count;
    this.liveRows += count;
    this.liveCount++;
  }

  remove(slot: number): boolean {
    if (!this.has(slot)) return false;
    const c = this.counts[slot]!;
    this.offsets[slot] = -1;
    this.counts[slot] = 0;
    this.deadRows += c;
    this.liveRows -= c;
    this.liveCount--;
    if (this.deadRows >= this.compactMin && this.deadRows > this.compactRatio * this.usedRows) this.compact();
    return true;
  }

  /** The passage's rows as stored (a copy). */
  getData(slot: number): MultiData | undefined {
    if (!this.has(slot)) return undefined;
    const start = this.offsets[slot]!;
    const count = this.counts[slot]!;
    const dim = this.dimension;
    const a = start * dim;
    const b = a + count * dim;
    switch (this.kind) {
      case 'float32':
        return { kind: 'float32', data: this.f32.slice(a, b), count, dim };
      case 'float16':
        return { kind: 'float16', data: this.f16.slice(a, b), count, dim };
      case 'int8':
        return { kind: 'int8', data: this.i8.slice(a, b), scales: this.rowScales.slice(start, start + count), count, dim };
    }
  }

  /** The passage's rows as float32 (decoded/dequantized). */
  get(slot: number): MultiVector | undefined {
    const d = this.getData(slot);
    if (d === undefined) return undefined;
    return { data: d.kind === 'float32' ? d.data : decode(d), count: d.count, dim: d.dim };
  }

  /**
   * Late-interaction score: mean over (the first `queryBudget`) query rows of
   * the max dot product over (the first `budget`) passage rows. 0 when either
   * side has no rows.
   */
  maxSim(slot: number, q: MultiVector, opts: MaxSimOptions = {}): number {
    if (!this.has(slot)) return NaN;
    const dim = this.dimension;
    const pRows = Math.min(this.counts[slot]!, opts.budget ?? Infinity);
    const qRows = Math.min(q.count, opts.queryBudget ?? Infinity);
    if (pRows <= 0 || qRows <= 0) return 0;
    if (q.dim !== dim) throw new RangeError(`query multi-vectors have ${q.dim} dims, index has ${dim}`);
    const start = this.offsets[slot]!;
    // float16 and int8 rows are decoded inside the kernel; float32 rows are copied in.
    if (this.kind === 'float16') return this.kernel.scoreHalf(q.data, qRows, pRows, dim, this.f16, start * dim);
    if (this.kind === 'int8') return this.kernel.scoreInt8(q.data, qRows, pRows, dim, this.i8, this.rowScales, start);
    return this.kernel.score(q.data, qRows, pRows, dim, (dst) => dst.set(this.f32.subarray(start * dim, (start + pRows) * dim)));
  }

  /** Bytes of row data held for live passages. */
  bytes(): number {
    const per = this.kind === 'float32' ? 4 : this.kind === 'float16' ? 2 : 1;
    return this.liveRows * this.dimension * per + (this.kind === 'int8' ? this.liveRows * 4 : 0);
  }

  /** Repacks live rows to the front of the pool, in slot order. */
  compact(): void {
    const dim = this.dimension;
    let w = 0;
    // Slots in ascending order of their pool offset, so moving rows left never overwrites unread data.
    const slots: number[] = [];
    for (let s = 0; s < this.offsets.length; s++) if (this.offsets[s]! >= 0) slots.push(s);
    slots.sort((a, b) => this.offsets[a]! - this.offsets[b]!);
    for (const s of slots) {
      const from = this.offsets[s]!;
      const c = this.counts[s]!;
      if (from !== w) {
        switch (this.kind) {
          case 'float32':
            this.f32.copyWithin(w * dim, from * dim, (from + c) * dim);
            break;
          case 'float16':
            this.f16.copyWithin(w * dim, from * dim, (from + c) * dim);
            break;
          case 'int8':
            this.i8.copyWithin(w * dim, from * dim, (from + c) * dim);
            this.rowScales.copyWithin(w, from, from + c);
            break;
        }
        this.offsets[s] = w;
      }
      w += c;
    }
    this.usedRows = w;
    this.deadRows = 0;
    this.compactionCount++;
  }

  private reserveSlots(n: number): void {
    if (this.offsets.length >= n) return;
    const cap = Math.max(n, this.offsets.length * 2, 16);
    const old = this.offsets.length;
    this.offsets = resized(this.offsets, cap);
    this.offsets.fill(-1, old);
    this.counts = resized(this.counts, cap);
  }

  private reserveRows(rows: number): void {
    const dim = this.dimension;
    switch (this.kind) {
      case 'float32':
        this.f32 = ensureCapacity(this.f32, rows * dim);
        break;
      case 'float16':
        this.f16 = ensureCapacity(this.f16, rows * dim);
        break;
      case 'int8':
        this.i8 = ensureCapacity(this.i8, rows * dim);
        this.rowScales = ensureCapacity(this.rowScales, rows);
        break;
    }
  }
}

/** Stored rows → float32 (float16 via the lookup table, int8 via per-row scales). */
function decode(m: MultiData): Float32Array {
  const n = m.count * m.dim;
  const out = new Float32Array(n);
  switch (m.kind) {
    case 'float32':
      out.set(m.data.subarray(0, n));
      break;
    case 'float16':
      float16ToFloat32Into(m.data, 0, n, out, 0);
      break;
    case 'int8':
      for (let r = 0; r < m.count; r++) {
        const s = m.scales[r]!;
        for (let i = 0; i < m.dim; i++) out[r * m.dim + i] = m.data[r * m.dim + i]! * s;
      }
      break;
  }
  return out;
}
