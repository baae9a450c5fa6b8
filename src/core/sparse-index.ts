// Inverted index over sparse (lexical) vectors: token id → postings of
// (slot, weight). Scoring is term-at-a-time into a reusable accumulator.
//
// Removal is lazy: a removed slot's generation is bumped, which turns its old
// postings stale (they are skipped while scoring), and all lists are compacted
// once stale postings pass a fraction of the total. The generation check also
// keeps a reused slot from inheriting its previous owner's postings.
//
// Each document's own sparse vector is kept too, so scoring one known document
// (a fusion candidate) is a cheap merge of two sorted id lists.

import type { SparseVector } from './types.js';
import { resized, type SlotHit, type SlotSearchOptions } from './slots.js';
import { TopK } from './topk.js';

class PostingList {
  slots: Int32Array;
  gens: Uint32Array;
  weights: Float32Array;
  length = 0; // postings written, stale ones included
  live = 0; // postings of live documents

  constructor(capacity = 4) {
    this.slots = new Int32Array(capacity);
    this.gens = new Uint32Array(capacity);
    this.weights = new Float32Array(capacity);
  }

  /** Room for `n` postings in all. */
  reserve(n: number): void {
    if (this.slots.length >= n) return;
    this.slots = resized(this.slots, n);
    this.gens = resized(this.gens, n);
    this.weights = resized(this.weights, n);
  }

  push(slot: number, gen: number, weight: number): void {
    const need = this.length + 1;
    // One monomorphic length check on the hot path instead of three generic ensureCapacity calls.
    if (need > this.slots.length) this.reserve(Math.max(need, this.slots.length * 2, 16));
    this.slots[this.length] = slot;
    this.gens[this.length] = gen;
    this.weights[this.length] = weight;
    this.length = need;
  }
}

export interface SparseIndexOptions {
  /** Compact when stale postings exceed this fraction of all postings (default 0.25). */
  compactRatio?: number;
  /** …and there are at least this many stale postings (default 1024). */
  compactMin?: number;
}

export interface SparseIndexStats {
  /** Distinct token ids that occur in at least one live document. */
  terms: number;
  /** Postings of live documents. */
  postings: number;
  /** Postings of removed documents not yet compacted away. */
  stalePostings: number;
  /** Compactions run so far. */
  compactions: number;
  bytes: number;
}

export class SparseIndex {
  private readonly lists = new Map<number, PostingList>();
  private gens = new Uint32Array(0);
  private live = new Uint8Array(0);
  private docIds: (Uint32Array | undefined)[] = [];
  private docWeights: (Float32Array | undefined)[] = [];
  private docPostings: number[] = []; // postings each live slot contributed
  private totalPostings = 0; // including stale ones
  private liveTerms = 0; // lists with at least one live posting
  private stale = 0;
  private compactions = 0;
  private liveCount = 0;
  private acc = new Float64Array(0);
  private touchedMark = new Uint8Array(0);
  private readonly compactRatio: number;
  private readonly compactMin: number;
  /**
   * False while documents were adopted (`adopt`) and the posting lists not
   * built yet: they are built in one pass, each list allocated once at its
   * final length, by the first call that needs them (a search, stats, compact).
   */
  private indexed = true;

  constructor(opts: SparseIndexOptions = {}) {
    this.compactRatio = opts.compactRatio ?? 0.25;
    this.compactMin = opts.compactMin ?? 1024;
  }

  get size(): number {
    return this.liveCount;
  }

  has(slot: number): boolean {
    return this.live[slot] === 1;
  }

  /**
   * Stores the vector of `slot` (which must be free). Ids must be sorted and
   * unique; the arrays are copied. Zero weights are kept in the document's own
   * vector but get no posting, since they can never contribute to a score.
   */
  set(slot: number, v: SparseVector): void {
    this.keep(slot, { ids: v.ids.slice(), weights: v.weights.slice() });
  }

  /**
   * `set` without the copy: the index keeps `v`'s arrays (views into a
   * stored block, at a reopen), which the caller must not change. Postings
   * of an index still being filled this way are built later, all at once.
   */
  adopt(slot: number, v: SparseVector): void {
    // Into an empty index: its lists are built once, when first needed.
    if (this.liveCount === 0 && this.totalPostings === 0) this.indexed = false;
    this.keep(slot, v);
  }

  private keep(slot: number, v: SparseVector): void {
    if (this.has(slot)) throw new RangeError(`sparse slot ${slot} is occupied`);
    this.reserve(slot + 1);
    this.docIds[slot] = v.ids;
    this.docWeights[slot] = v.weights;
    this.live[slot] = 1;
    this.liveCount++;
    if (this.indexed) this.post(slot);
  }

  /** Appends the postings of a live slot's vector. */
  private post(slot: number): void {
    const ids = this.docIds[slot]!;
    const weights = this.docWeights[slot]!;
    const gen = this.gens[slot]!;
    let n = 0;
    for (let i = 0; i < ids.length; i++) {
      const w = weights[i]!;
      if (w === 0) continue;
      const id = ids[i]!;
      let list = this.lists.get(id);
      if (list === undefined) this.lists.set(id, (list = new PostingList()));
      list.push(slot, gen, w);
      if (list.live++ === 0) this.liveTerms++;
      n++;
    }
    this.docPostings[slot] = n;
    this.totalPostings += n;
  }

  /** Builds every posting list from the documents' vectors: one count pass, one allocation per list, one fill pass. */
  private ensurePostings(): void {
    if (this.indexed) return;
    this.indexed = true;
    const counts = new Map<number, number>();
    for (let slot = 0; slot < this.live.length; slot++) {
      if (this.live[slot] !== 1) continue;
      const ids = this.docIds[slot]!;
      const weights = this.docWeights[slot]!;
      for (let i = 0; i < ids.length; i++) if (weights[i] !== 0) counts.set(ids[i]!, (counts.get(ids[i]!) ?? 0) + 1);
    }
    for (const [id, n] of counts) this.lists.set(id, new PostingList(n));
    for (let slot = 0; slot < this.live.length; slot++) if (this.live[slot] === 1) this.post(slot);
  }

  remove(slot: number): boolean {
    if (!this.has(slot)) return false;
    this.live[slot] = 0;
    this.gens[slot] = (this.gens[slot]! + 1) >>> 0; // stales every posting written for the old owner
    if (this.indexed) {
      this.stale += this.docPostings[slot]!;
      const ids = this.docIds[slot]!;
      const ws = this.docWeights[slot]!;
      for (let i = 0; i < ids.length; i++) {
        if (ws[i] === 0) continue;
        const list = this.lists.get(ids[i]!)!;
        if (--list.live === 0) this.liveTerms--;
      }
    }
    this.docPostings[slot] = 0;
    this.docIds[slot] = undefined;
    this.docWeights[slot] = undefined;
    this.liveCount--;
    if (this.stale >= this.compactMin && this.stale > this.compactRatio * this.totalPostings) this.compact();
    return true;
  }

  /** The document's own vector (views into the index's copy; do not mutate). */
  get(slot: number): SparseVector | undefined {
    const ids = this.docIds[slot];
    const weights = this.docWeights[slot];
    return this.has(slot) && ids !== undefined && weights !== undefined ? { ids, weights } : undefined;
  }

  /** Σ over shared ids of wq·wd, by merging the two sorted id lists. */
  score(slot: number, q: SparseVector): number {
    const ids = this.docIds[slot];
    const ws = this.docWeights[slot];
    if (!this.has(slot) || ids === undefined || ws === undefined) return NaN;
    let s = 0;
    let i = 0;
    let j = 0;
    const qi = q.ids;
    const qw = q.weights;
    while (i < qi.length && j < ids.length) {
      const a = qi[i]!;
      const b = ids[j]!;
      if (a === b) {
        s += qw[i]! * ws[j]!;
        i++;
        j++;
      } else if (a < b) i++;
      else j++;
    }
    return s;
  }

  /**
   * Top-k documents sharing at least one (nonzero-weight) token with the query.
   * Documents with no overlap are not returned. Query ids are visited in order,
   * so each score is summed in the same order as `score()` and matches it exactly.
   */
  search(q: SparseVector, k: number, opts: SlotSearchOptions = {}): SlotHit[] {
    this.ensurePostings();
    const { accept, order } = opts;
    const acc = this.acc;
    const mark = this.touchedMark;
    const touched: number[] = [];
    for (let t = 0; t < q.ids.length; t++) {
      const wq = q.weights[t]!;
      if (wq === 0) continue;
      const list = this.lists.get(q.ids[t]!);
      if (list === undefined) continue;
      const { slots, gens, weights, length } = list;
      for (let p = 0; p < length; p++) {
        const slot = slots[p]!;
        if (gens[p] !== this.gens[slot]) continue; // stale: the slot was removed since
        if (mark[slot] === 0) {
          mark[slot] = 1;
          touched.push(slot);
        }
        acc[slot] = acc[slot]! + wq * weights[p]!;
      }
    }
    const top = new TopK(k);
    for (const slot of touched) {
      if (accept === undefined || accept(slot)) top.push(slot, acc[slot]!, order === undefined ? slot : order(slot));
      acc[slot] = 0;
      mark[slot] = 0;
    }
    return top.results().map((r) => ({ slot: r.id, score: r.score }));
  }

  /** Drops every stale posting and empty list. */
  compact(): void {
    this.ensurePostings();
    for (const [id, list] of this.lists) {
      let w = 0;
      for (let p = 0; p < list.length; p++) {
        const slot = list.slots[p]!;
        if (list.gens[p] !== this.gens[slot]) continue;
        list.slots[w] = slot;
        list.gens[w] = list.gens[p]!;
        list.weights[w] = list.weights[p]!;
        w++;
      }
      list.length = w;
      if (w === 0) this.lists.delete(id);
    }
    this.totalPostings -= this.stale;
    this.stale = 0;
    this.compactions++;
  }

  stats(): SparseIndexStats {
    this.ensurePostings();
    let vecBytes = 0;
    for (const ids of this.docIds) if (ids !== undefined) vecBytes += ids.length * 8;
    const postings = this.totalPostings - this.stale;
    return {
      terms: this.liveTerms,
      postings,
      stalePostings: this.stale,
      compactions: this.compactions,
      // A posting is slot (4) + generation (4) + weight (4); plus each document's own ids and weights.
      bytes: this.totalPostings * 12 + vecBytes,
    };
  }

  private reserve(slots: number): void {
    if (this.live.length >= slots) return;
    // All slot-indexed arrays share one capacity.
    const cap = Math.max(slots, this.live.length * 2, 16);
    this.gens = resized(this.gens, cap);
    this.live = resized(this.live, cap);
    this.acc = resized(this.acc, cap);
    this.touchedMark = resized(this.touchedMark, cap);
  }
}
