// The tokenizer-only lexical mode: documents and queries are bags of the
// model tokenizer's ids, scored with BM25. It needs no encoder, so it serves as
// the sparse signal from the first page load, before any model has arrived.
// Pure (no DOM or Node API) so it runs in the page, a Web Worker and Node.
//
// Only raw counts are stored (per-document term bags and postings); N, df and
// the average length are read live at query time, so add/remove keep every
// score exact with no re-indexing.
import { bm25Params, bm25QueryWeight, bm25TermWeight, termBag, type Bm25Params, type TermBag } from './bm25.js';
import { M3SearchError } from './errors.js';
import type { SparseVector } from './types.js';
import { ByteReader, ByteWriter } from './bytes.js';

export interface LexicalHit {
  id: string;
  score: number;
}

export type LexicalFilter = (id: string) => boolean;

/** A query term for `searchWeighted`: a term id and its (real-valued) query-side count. */
export interface WeightedTerm {
  id: number;
  boost: number;
}
export type LexicalIndexOptions = Partial<Bm25Params>;

/** The part of `M3Tokenizer` the lexical mode needs. */
export interface LexicalTokenizer {
  ids(text: string, opts?: { special?: boolean }): number[];
  readonly specialIds: ReadonlySet<number>;
}

/**
 * Token ids of `text` for the lexical mode: no [CLS]/[SEP], and no [UNK]
 * either, since unknown pieces of unrelated words would all "match" each other.
 */
export function lexicalTokenIds(tokenizer: LexicalTokenizer, text: string): number[] {
  return tokenizer.ids(text, { special: false }).filter((id) => !tokenizer.specialIds.has(id));
}

const MAGIC = 0x584c334d; // "M3LX" read as a little-endian u32
const VERSION = 1;

export class LexicalIndex {
  readonly params: Readonly<Bm25Params>;
  private readonly slotOf = new Map<string, number>();
  /** Per slot: the doc id and its term bag; undefined for a free slot. */
  private readonly ids: (string | undefined)[] = [];
  private readonly bags: (TermBag | undefined)[] = [];
  private readonly free: number[] = [];
  private readonly postings = new Map<number, Posting>();
  private totalLength = 0;
  /** Score accumulator reused across searches (kept all-zero between calls). */
  private acc = new Float64Array(0);

  constructor(opts: LexicalIndexOptions = {}) {
    this.params = Object.freeze(bm25Params(opts));
  }

  get size(): number {
    return this.slotOf.size;
  }

  has(id: string): boolean {
    return this.slotOf.has(id);
  }

  /** Adds a document as its token ids (any order, repeats counted). */
  add(id: string, tokenIds: ArrayLike<number>): void {
    if (typeof id !== 'string' || id.length === 0) {
      throw new M3SearchError('INVALID_DOCUMENT', 'A document id must be a non-empty string.');
    }
    if (this.slotOf.has(id)) throw new M3SearchError('DUPLICATE_ID', `Document "${id}" is already indexed.`, { id });
    this.insert(id, termBag(tokenIds, 'INVALID_DOCUMENT'));
  }

  /** Removes a document; false when it was not there. */
  remove(id: string): boolean {
    const slot = this.slotOf.get(id);
    if (slot === undefined) return false;
    const bag = this.bags[slot]!;
    for (let i = 0; i < bag.ids.length; i++) {
      const term = bag.ids[i]!;
      const posting = this.postings.get(term)!;
      posting.delete(slot);
      if (posting.length === 0) this.postings.delete(term);
    }
    this.totalLength -= bag.length;
    this.ids[slot] = undefined;
    this.bags[slot] = undefined;
    this.free.push(slot);
    this.slotOf.delete(id);
    return true;
  }

  /**
   * Top `k` documents by BM25, best first; ties go to the smaller id so
   * results do not depend on insertion history. A query term repeated n times
   * counts n times. An empty or all-unknown query returns no hits.
   */
  search(queryTokenIds: ArrayLike<number>, k: number, filter?: LexicalFilter): LexicalHit[] {
    if (!(Math.floor(k) > 0) || this.size === 0) return [];
    const query = termBag(queryTokenIds);
    const terms: WeightedTerm[] = [];
    for (let i = 0; i < query.ids.length; i++) terms.push({ id: query.ids[i]!, boost: query.tfs[i]! });
    return this.searchWeighted(terms, k, filter);
  }

  /**
   * Top `k` documents by BM25 for query terms with real-valued boosts (the
   * one scoring path: `search` is this with boost = the term's count in the
   * query). A term's contribution is bm25QueryWeight(boost, N, df) times the
   * document side; boosts ≤ 0 and unknown ids contribute nothing. Terms
   * listed twice add up.
   */
  searchWeighted(terms: readonly WeightedTerm[], k: number, filter?: LexicalFilter): LexicalHit[] {
    const limit = Math.floor(k);
    if (!(limit > 0) || this.size === 0) return [];
    const avgLength = this.totalLength / this.size;
    if (this.acc.length < this.ids.length) this.acc = new Float64Array(Math.max(this.ids.length, 2 * this.acc.length));
    const acc = this.acc;
    const touched: number[] = [];
    for (const term of terms) {
      if (!(term.boost > 0)) continue;
      const posting = this.postings.get(term.id);
      if (!posting) continue;
      const w = bm25QueryWeight(term.boost, this.size, posting.length);
      for (let j = 0; j < posting.length; j++) {
        const slot = posting.slots[j]!;
        // Every contribution is > 0 (idf > 0, tf ≥ 1, boost > 0), so 0 means "not seen yet".
        if (acc[slot] === 0) touched.push(slot);
        acc[slot] += w * bm25TermWeight(posting.tfs[j]!, this.bags[slot]!.length, avgLength, this.params);
      }
    }
    // Read and reset the accumulator before calling user code (the filter may throw).
    const scores = new Float64Array(touched.length);
    for (let i = 0; i < touched.length; i++) {
      scores[i] = acc[touched[i]!]!;
      acc[touched[i]!] = 0;
    }
    const top = new TopK(limit);
    for (let i = 0; i < touched.length; i++) {
      const id = this.ids[touched[i]!]!;
      if (filter && !filter(id)) continue;
      top.offer(id, scores[i]!);
    }
    return top.sorted();
  }

  /** How many documents hold term `id` (0 when none). */
  docFreq(id: number): number {
    return this.postings.get(id)?.length ?? 0;
  }

  /** The documents holding term `id`. */
  *docsWith(id: number): Iterable<string> {
    const posting = this.postings.get(id);
    if (!posting) return;
    for (let j = 0; j < posting.length; j++) yield this.ids[posting.slots[j]!]!;
  }

  /**
   * The query as a sparse vector of BM25 query-side weights (query tf × IDF,
   * from the live statistics), ids ascending. Terms absent from the index are
   * left out: they cannot match anything. `search` scores are exactly the dot
   * product of these weights with each document's saturated, length-normalized tf.
   */
  weights(queryTokenIds: ArrayLike<number>): SparseVector {
    const query = termBag(queryTokenIds);
    const ids: number[] = [];
    const weights: number[] = [];
    for (let i = 0; i < query.ids.length; i++) {
      const posting = this.postings.get(query.ids[i]!);
      if (!posting) continue;
      ids.push(query.ids[i]!);
      weights.push(bm25QueryWeight(query.tfs[i]!, this.size, posting.length));
    }
    return { ids: Uint32Array.from(ids), weights: Float32Array.from(weights) };
  }

  /**
   * Binary snapshot (little-endian): "M3LX", version, k1, b, doc count, then per
   * document its UTF-8 id and term bag. Postings are rebuilt on load: they are
   * derivable, and leaving them out halves the size.
   */
  serialize(): Uint8Array {
    const encoder = new TextEncoder();
    const w = new ByteWriter().u32(MAGIC).u32(VERSION).f64(this.params.k1).f64(this.params.b).u32(this.slotOf.size);
    for (let slot = 0; slot < this.ids.length; slot++) {
      const bag = this.bags[slot];
      if (!bag) continue;
      const id = encoder.encode(this.ids[slot]!);
      w.u32(id.length).bytes(id).u32(bag.ids.length);
      for (let i = 0; i < bag.ids.length; i++) w.u32(bag.ids[i]!);
      for (let i = 0; i < bag.tfs.length; i++) w.u32(bag.tfs[i]!);
    }
    return w.finish();
  }

  /** Loads a `serialize()` snapshot; anything malformed throws `INVALID_INDEX`. */
  static deserialize(bytes: Uint8Array): LexicalIndex {
    if (!(bytes instanceof Uint8Array)) throw invalid('expected a Uint8Array');
    const r = new ByteReader(bytes, () => invalid('truncated snapshot'));
    if (r.u32() !== MAGIC) throw invalid('not a lexical index snapshot');
    const version = r.u32();
    if (version !== VERSION) throw invalid(`unsupported version ${version}`);
    const k1 = r.f64();
    const b = r.f64();
    let index: LexicalIndex;
    try {
      index = new LexicalIndex({ k1, b });
    } catch {
      throw invalid(`bad BM25 parameters k1=${k1}, b=${b}`);
    }
    const count = r.u32();
    const decoder = new TextDecoder('utf-8', { fatal: true });
    for (let d = 0; d < count; d++) {
      let id: string;
      try {
        id = decoder.decode(r.take(r.u32()));
      } catch (e) {
        throw e instanceof M3SearchError ? e : invalid('a document id is not valid UTF-8');
      }
      if (id.length === 0 || index.slotOf.has(id)) throw invalid(`empty or repeated document id "${id}"`);
      const terms = r.u32();
      r.need(8 * terms);
      const ids = new Uint32Array(terms);
      const tfs = new Uint32Array(terms);
      let length = 0;
      for (let i = 0; i < terms; i++) {
        ids[i] = r.u32();
        if (i > 0 && ids[i]! <= ids[i - 1]!) throw invalid(`term ids of "${id}" are not strictly ascending`);
      }
      for (let i = 0; i < terms; i++) {
        tfs[i] = r.u32();
        if (tfs[i] === 0) throw invalid(`zero term frequency in "${id}"`);
        length += tfs[i]!;
      }
      index.insert(id, { ids, tfs, length });
    }
    if (!r.done) throw invalid('trailing bytes after the last document');
    return index;
  }

  private insert(id: string, bag: TermBag): void {
    const slot = this.free.pop() ?? this.ids.length;
    this.ids[slot] = id;
    this.bags[slot] = bag;
    this.slotOf.set(id, slot);
    for (let i = 0; i < bag.ids.length; i++) {
      const term = bag.ids[i]!;
      let posting = this.postings.get(term);
      if (!posting) this.postings.set(term, (posting = new Posting()));
      posting.push(slot, bag.tfs[i]!);
    }
    this.totalLength += bag.length;
  }
}

/** The documents holding one term, as parallel growable arrays (slot, tf). */
class Posting {
  slots = new Uint32Array(2);
  tfs = new Uint32Array(2);
  length = 0;

  push(slot: number, tf: number): void {
    if (this.length === this.slots.length) {
      const slots = new Uint32Array(this.length * 2);
      const tfs = new Uint32Array(this.length * 2);
      slots.set(this.slots);
      tfs.set(this.tfs);
      this.slots = slots;
      this.tfs = tfs;
    }
    this.slots[this.length] = slot;
    this.tfs[this.length++] = tf;
  }

  /** Swap-with-last removal: order inside a posting carries no meaning. */
  delete(slot: number): void {
    const i = this.slots.subarray(0, this.length).indexOf(slot);
    if (i < 0) return;
    const last = --this.length;
    this.slots[i] = this.slots[last]!;
    this.tfs[i] = this.tfs[last]!;
  }
}

/** Keeps the best k (score desc, then id asc) in a binary heap whose root is the worst kept. */
class TopK {
  private readonly heap: LexicalHit[] = [];
  constructor(private readonly k: number) {}

  offer(id: string, score: number): void {
    const h = this.heap;
    if (h.length < this.k) {
      h.push({ id, score });
      this.up(h.length - 1);
    } else if (worse(h[0]!, { id, score })) {
      h[0] = { id, score };
      this.down(0);
    }
  }

  sorted(): LexicalHit[] {
    return this.heap.slice().sort((a, b) => (worse(a, b) ? 1 : worse(b, a) ? -1 : 0));
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!worse(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && worse(h[l]!, h[m]!)) m = l;
      if (r < h.length && worse(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

function worse(a: LexicalHit, b: LexicalHit): boolean {
  return a.score < b.score || (a.score === b.score && a.id > b.id);
}


function invalid(why: string): M3SearchError {
  return new M3SearchError('INVALID_INDEX', `Lexical index snapshot is invalid: ${why}.`);
}
