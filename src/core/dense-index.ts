// All dense vectors in one contiguous row-major matrix (float32, or int8 with
// one float32 scale per row). One allocation instead of one per document keeps
// the scan cache-friendly and the memory overhead near zero; the scan itself
// runs in a WebAssembly SIMD kernel where available (./dense-matrix.ts). Rows
// are slots; a removed slot goes on a free list and is reused by the next add.

import type { DenseStorage } from './types.js';
import { DenseMatrix, SCAN_ROWS } from './dense-matrix.js';
import { quantizeInt8Into } from './quantize.js';
import { ensureCapacity, type SlotHit, type SlotSearchOptions } from './slots.js';
import type { DenseData } from './stored.js';
import { TopK } from './topk.js';

export class DenseIndex {
  readonly kind: DenseStorage;
  private dimension: number;
  private matrix: DenseMatrix | undefined; // created once the dimension is known
  private scales = new Float32Array(0);
  private live = new Uint8Array(0);
  private readonly free: number[] = [];
  private slotCount = 0; // high-water mark: slots [0, slotCount) have been used
  private liveCount = 0;

  /** `dim` 0 means "fixed by the first add". */
  constructor(kind: DenseStorage = 'float32', dim = 0) {
    this.kind = kind;
    this.dimension = dim;
  }

  get dim(): number {
    return this.dimension;
  }

  /** Live rows. */
  get size(): number {
    return this.liveCount;
  }

  /** One past the highest slot ever used (slot-indexed side arrays need this length). */
  get slotLimit(): number {
    return this.slotCount;
  }

  isLive(slot: number): boolean {
    return slot >= 0 && slot < this.slotCount && this.live[slot] === 1;
  }

  /** Stores a float32 vector (quantized if the index is int8) and returns its slot. */
  add(vec: Float32Array): number {
    return this.addData({ kind: 'float32', data: vec });
  }

  /** Stores a vector given in either stored kind; same-kind data is copied bit for bit. */
  addData(d: DenseData): number {
    const dim = d.data.length;
    if (this.dimension === 0) this.dimension = dim;
    if (dim !== this.dimension || dim === 0) {
      throw new RangeError(`dense vector has ${dim} dims, index has ${this.dimension}`);
    }
    const slot = this.free.length > 0 ? this.free.pop()! : this.slotCount++;
    this.reserve(slot + 1);
    const off = slot * dim;
    const rows = this.matrix!.rows;
    if (rows instanceof Float32Array) {
      if (d.kind === 'float32') rows.set(d.data, off);
      else for (let i = 0; i < dim; i++) rows[off + i] = d.data[i]! * d.scale;
    } else if (d.kind === 'int8') {
      rows.set(d.data, off);
      this.scales[slot] = d.scale;
    } else {
      this.scales[slot] = quantizeInt8Into(d.data, 0, dim, rows, off);
    }
    this.live[slot] = 1;
    this.liveCount++;
    return slot;
  }

  /**
   * Appends rows `rows` (indexes into a block of `dim`-wide vectors) and
   * returns their slots in order. Rows of the index's kind are copied into
   * the matrix one run of consecutive rows at a time (a whole block in one
   * copy when every row is taken); other kinds, or free slots to reuse, go
   * row by row through `addData`.
   */
  addBlock(block: { kind: 'float32'; data: Float32Array } | { kind: 'int8'; data: Int8Array; scales: Float32Array }, dim: number, rows: readonly number[]): number[] {
    if (this.dimension === 0) this.dimension = dim;
    if (dim !== this.dimension || dim === 0) throw new RangeError(`dense vector has ${dim} dims, index has ${this.dimension}`);
    const row = (i: number): DenseData =>
      block.kind === 'int8' ? { kind: 'int8', data: block.data.subarray(i * dim, (i + 1) * dim), scale: block.scales[i]! } : { kind: 'float32', data: block.data.subarray(i * dim, (i + 1) * dim) };
    if (block.kind !== this.kind || this.free.length > 0) return rows.map((i) => this.addData(row(i)));
    const first = this.slotCount;
    this.reserve(first + rows.length);
    const matrix = this.matrix!.rows;
    for (let j = 0; j < rows.length; ) {
      // One copy per run of consecutive rows.
      let k = j + 1;
      while (k < rows.length && rows[k] === rows[k - 1]! + 1) k++;
      const from = rows[j]!;
      const count = k - j;
      matrix.set(block.data.subarray(from * dim, (from + count) * dim), (first + j) * dim);
      if (block.kind === 'int8') this.scales.set(block.scales.subarray(from, from + count), first + j);
      j = k;
    }
    this.live.fill(1, first, first + rows.length);
    this.slotCount += rows.length;
    this.liveCount += rows.length;
    return rows.map((_, j) => first + j);
  }

  remove(slot: number): boolean {
    if (!this.isLive(slot)) return false;
    this.live[slot] = 0;
    this.liveCount--;
    this.free.push(slot);
    return true;
  }

  /** The row as stored (a copy). */
  getData(slot: number): DenseData | undefined {
    if (!this.isLive(slot)) return undefined;
    const off = slot * this.dimension;
    const rows = this.matrix!.rows;
    if (rows instanceof Float32Array) return { kind: 'float32', data: rows.slice(off, off + this.dimension) };
    return { kind: 'int8', data: rows.slice(off, off + this.dimension), scale: this.scales[slot]! };
  }

  /** The row as float32 (dequantized for int8). */
  get(slot: number): Float32Array | undefined {
    const d = this.getData(slot);
    if (d === undefined) return undefined;
    if (d.kind === 'float32') return d.data;
    const out = new Float32Array(d.data.length);
    for (let i = 0; i < out.length; i++) out[i] = d.data[i]! * d.scale;
    return out;
  }

  /** Dot product of the query with one stored row (the same arithmetic as `search`). */
  score(slot: number, q: Float32Array): number {
    if (!this.isLive(slot)) return NaN;
    this.checkQuery(q);
    const dot = this.matrix!.scan(q, slot, 1)[0]!;
    return this.kind === 'int8' ? dot * this.scales[slot]! : dot;
  }

  /** Exact top-k by dot product: a brute-force scan of every live row, a chunk of rows per kernel call. */
  search(q: Float32Array, k: number, opts: SlotSearchOptions = {}): SlotHit[] {
    this.checkQuery(q);
    const { accept, order } = opts;
    const top = new TopK(k);
    const matrix = this.matrix;
    const int8 = this.kind === 'int8';
    for (let from = 0; matrix !== undefined && from < this.slotCount; from += SCAN_ROWS) {
      const n = Math.min(SCAN_ROWS, this.slotCount - from);
      const dots = matrix.scan(q, from, n);
      for (let r = 0; r < n; r++) {
        const slot = from + r;
        if (this.live[slot] !== 1 || (accept !== undefined && !accept(slot))) continue;
        top.push(slot, int8 ? dots[r]! * this.scales[slot]! : dots[r]!, order === undefined ? slot : order(slot));
      }
    }
    return top.results().map((r) => ({ slot: r.id, score: r.score }));
  }

  /** 'wasm-simd' when the scan runs in the WebAssembly kernel, else 'js'. */
  get scanEngine(): 'wasm-simd' | 'js' | undefined {
    return this.matrix?.engine;
  }

  /** Bytes of vector data held for live rows. */
  bytes(): number {
    return this.kind === 'float32' ? this.liveCount * this.dimension * 4 : this.liveCount * (this.dimension + 4);
  }

  /** Live slots in ascending slot order. */
  *slots(): IterableIterator<number> {
    for (let s = 0; s < this.slotCount; s++) if (this.live[s] === 1) yield s;
  }

  private checkQuery(q: Float32Array): void {
    if (q.length !== this.dimension) {
      throw new RangeError(`query has ${q.length} dims, index has ${this.dimension}`);
    }
  }

  private reserve(slots: number): void {
    this.matrix ??= new DenseMatrix(this.kind, this.dimension);
    this.matrix.reserve(slots);
    if (this.kind === 'int8') this.scales = ensureCapacity(this.scales, slots);
    this.live = ensureCapacity(this.live, slots);
  }
}
