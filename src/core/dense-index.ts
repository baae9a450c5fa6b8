// All dense vectors in one contiguous row-major matrix (float32, or int8 with
// one float32 scale per row). One allocation instead of one per document keeps
// the scan cache-friendly and the memory overhead near zero. Rows are slots; a
// removed slot goes on a free list and is reused by the next add.

import type { DenseStorage } from './types.js';
import { quantizeInt8Into } from './quantize.js';
import { ensureCapacity, type SlotHit, type SlotSearchOptions } from './slots.js';
import type { DenseData } from './stored.js';
import { TopK } from './topk.js';

export class DenseIndex {
  readonly kind: DenseStorage;
  private dimension: number;
  private f32 = new Float32Array(0);
  private i8 = new Int8Array(0);
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
    if (this.kind === 'float32') {
      if (d.kind === 'float32') this.f32.set(d.data, off);
      else for (let i = 0; i < dim; i++) this.f32[off + i] = d.data[i]! * d.scale;
    } else if (d.kind === 'int8') {
      this.i8.set(d.data, off);
      this.scales[slot] = d.scale;
    } else {
      this.scales[slot] = quantizeInt8Into(d.data, 0, dim, this.i8, off);
    }
    this.live[slot] = 1;
    this.liveCount++;
    return slot;
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
    if (this.kind === 'float32') return { kind: 'float32', data: this.f32.slice(off, off + this.dimension) };
    return { kind: 'int8', data: this.i8.slice(off, off + this.dimension), scale: this.scales[slot]! };
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
    return this.rowDot(slot, q);
  }

  /** Exact top-k by dot product: a brute-force scan of every live row. */
  search(q: Float32Array, k: number, opts: SlotSearchOptions = {}): SlotHit[] {
    this.checkQuery(q);
    const { accept, order } = opts;
    const top = new TopK(k);
    for (let slot = 0; slot < this.slotCount; slot++) {
      if (this.live[slot] !== 1 || (accept !== undefined && !accept(slot))) continue;
      top.push(slot, this.rowDot(slot, q), order === undefined ? slot : order(slot));
    }
    return top.results().map((r) => ({ slot: r.id, score: r.score }));
  }

  /** Bytes of vector data held for live rows. */
  bytes(): number {
    return this.kind === 'float32' ? this.liveCount * this.dimension * 4 : this.liveCount * (this.dimension + 4);
  }

  /** Live slots in ascending slot order. */
  *slots(): IterableIterator<number> {
    for (let s = 0; s < this.slotCount; s++) if (this.live[s] === 1) yield s;
  }

  private rowDot(slot: number, q: Float32Array): number {
    const dim = this.dimension;
    const off = slot * dim;
    let s = 0;
    if (this.kind === 'float32') {
      const m = this.f32;
      for (let i = 0; i < dim; i++) s += q[i]! * m[off + i]!;
      return s;
    }
    // int8: accumulate q·row in integer steps, apply the row scale once.
    const m = this.i8;
    for (let i = 0; i < dim; i++) s += q[i]! * m[off + i]!;
    return s * this.scales[slot]!;
  }

  private checkQuery(q: Float32Array): void {
    if (q.length !== this.dimension) {
      throw new RangeError(`query has ${q.length} dims, index has ${this.dimension}`);
    }
  }

  private reserve(slots: number): void {
    const dim = this.dimension;
    if (this.kind === 'float32') this.f32 = ensureCapacity(this.f32, slots * dim);
    else {
      this.i8 = ensureCapacity(this.i8, slots * dim);
      this.scales = ensureCapacity(this.scales, slots);
    }
    this.live = ensureCapacity(this.live, slots);
  }
}
