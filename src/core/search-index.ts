// The in-memory hybrid index: documents plus their dense, sparse and
// multi-vector representations, kept in lockstep by slot. The dense index owns
// slot allocation; the sparse and multi indexes store under the same slot.
//
// Search is two-stage for the expensive signal: dense top-N ∪ sparse top-N
// pick candidates, then every candidate is scored by all three signals and
// the candidates are ranked (MaxSim, weighted sum or RRF).

import { encodedProblem } from './check-vectors.js';
import { DenseIndex } from './dense-index.js';
import { checkDoc, cloneDoc, docBytes } from './doc.js';
import { M3SearchError, type ErrorCode } from './errors.js';
import { MultiIndex, type MaxSimOptions } from './multi-index.js';
import { nestMultiVectors } from './nested.js';
import { resolveIndexOptions, resolveSearchOptions } from './options.js';
import type { PreparedQuery } from './query.js';
import { decodeRecord, recordFromData, type DecodedRecord, type StoredRecord } from './record.js';
import { prepareRankQuery, rankNow, type RankSource } from './rank.js';
import { signalsAt, type Scorers, type SignalTable } from './signal-table.js';
import { decodeSnapshot, encodeSnapshot } from './snapshot.js';
import type { SlotHit, SlotSearchOptions } from './slots.js';
import { SparseIndex } from './sparse-index.js';
import { sparseAs } from './stored.js';
import { L0Window, summarizeL0, type SparsityReport } from './sparsity.js';
import type { Doc, Encoded, Hit, IndexOptions, IndexStats, MultiVector, SearchOptions, SparseVector } from './types.js';

export interface IndexDimensions {
  /** Dense dimension (0 until the first document). */
  dense: number;
  /** Multi-vector dimension (0 until the first document with token vectors). */
  multi: number;
}

export class SearchIndex implements RankSource {
  readonly options: Required<IndexOptions>;
  private dense!: DenseIndex;
  private sparse!: SparseIndex;
  private multi!: MultiIndex;
  private docs: (Doc | undefined)[] = [];
  private seqs: number[] = []; // insertion sequence per slot: the deterministic tie-breaker
  private docSizes: number[] = [];
  private readonly slotById = new Map<string, number>();
  private nextSeq = 0;
  private docBytesTotal = 0;
  private readonly queryL0 = new L0Window();

  constructor(opts: IndexOptions = {}) {
    this.options = Object.freeze(resolveIndexOptions(opts));
    this.reset();
  }

  /** Live documents. */
  get size(): number {
    return this.slotById.size;
  }

  /** Vector dimensions fixed by the documents added so far (reset by `clear`). */
  get dims(): IndexDimensions {
    return { dense: this.dense.dim, multi: this.multi.dim };
  }

  has(id: string): boolean {
    return this.slotById.has(id);
  }

  /** A copy of the stored document. */
  getDoc(id: string): Doc | undefined {
    const slot = this.slotById.get(id);
    return slot === undefined ? undefined : cloneDoc(this.docs[slot]!);
  }

  /** Live ids in insertion order (an upserted document counts as newly inserted). */
  ids(): IterableIterator<string> {
    return this.slotById.keys();
  }

  /** Adds a document with its encoding. Throws DUPLICATE_ID or INVALID_DOCUMENT and changes nothing then. */
  add(doc: Doc, enc: Encoded): void {
    const d = checkDoc(doc);
    if (this.slotById.has(d.id)) {
      throw new M3SearchError('DUPLICATE_ID', `Id "${d.id}" is already indexed; use upsert() to replace it.`, { id: d.id });
    }
    const data = this.fromEncoded(d, enc);
    this.checkDims(data, 'INVALID_DOCUMENT');
    this.insert(data);
  }

  /** Adds or replaces a document. A failed upsert leaves the old version in place. */
  upsert(doc: Doc, enc: Encoded): void {
    const d = checkDoc(doc);
    const data = this.fromEncoded(d, enc);
    this.checkDims(data, 'INVALID_DOCUMENT');
    this.remove(d.id);
    this.insert(data);
  }

  remove(id: string): boolean {
    const slot = this.slotById.get(id);
    if (slot === undefined) return false;
    this.dense.remove(slot);
    this.sparse.remove(slot);
    this.multi.remove(slot);
    this.docs[slot] = undefined;
    this.docBytesTotal -= this.docSizes[slot]!;
    this.docSizes[slot] = 0;
    this.slotById.delete(id);
    return true;
  }

  /** Removes everything, including the fixed dimensions. */
  clear(): void {
    this.reset();
  }

  /** The document's persisted form (vectors exactly as stored), or undefined. */
  toRecord(id: string): StoredRecord | undefined {
    const slot = this.slotById.get(id);
    return slot === undefined ? undefined : recordFromData(this.dataAt(slot));
  }

  /**
   * Re-adds a stored document without re-encoding. Malformed → CORRUPT_RECORD;
   * present id → DUPLICATE_ID; dimensions differing from the index → INVALID_DOCUMENT.
   */
  addRecord(rec: StoredRecord): void {
    const data = decodeRecord(rec);
    if (this.slotById.has(data.doc.id)) {
      throw new M3SearchError('DUPLICATE_ID', `Id "${data.doc.id}" is already indexed.`, { id: data.doc.id });
    }
    this.checkDims(data, 'INVALID_DOCUMENT');
    this.insert(data);
  }

  /** A snapshot of the whole index (documents in insertion order). */
  serialize(): Uint8Array {
    const slots = [...this.slotById.values()].sort((a, b) => this.seqs[a]! - this.seqs[b]!);
    return encodeSnapshot(this.options, this.dims, slots.map((s) => this.dataAt(s)));
  }

  /** Reopens a snapshot. Bad magic/version, truncation or any inconsistency → INVALID_INDEX. */
  static deserialize(bytes: Uint8Array): SearchIndex {
    const snap = decodeSnapshot(bytes);
    const index = new SearchIndex(snap.options);
    try {
      for (const rec of snap.records) {
        const doc = checkDoc(rec.doc, 'INVALID_INDEX');
        if (index.slotById.has(doc.id)) throw new M3SearchError('INVALID_INDEX', `duplicate id "${doc.id}"`);
        index.checkDims({ ...rec, doc }, 'INVALID_INDEX');
        index.insert({ ...rec, doc });
      }
    } catch (e) {
      if (e instanceof M3SearchError && e.code === 'INVALID_INDEX') {
        throw new M3SearchError('INVALID_INDEX', `not a valid m3search index snapshot: ${e.message}`, e.details);
      }
      throw e;
    }
    return index;
  }

  stats(): IndexStats {
    const sp = this.sparse.stats();
    const bytes = {
      dense: this.dense.bytes(),
      sparse: sp.bytes,
      multi: this.multi.bytes(),
      docs: this.docBytesTotal,
      total: 0,
    };
    bytes.total = bytes.dense + bytes.sparse + bytes.multi + bytes.docs;
    return {
      docs: this.size,
      denseDim: this.dense.dim,
      multiDim: this.multi.dim,
      multiRows: this.multi.rows,
      postings: sp.postings,
      terms: sp.terms,
      bytes,
      options: { ...this.options },
      kernels: { denseScan: this.dense.scanEngine ?? 'none', maxSim: this.multi.kernelKind },
    };
  }

  /**
   * L0 (non-zero count) distribution of the live documents' sparse vectors and
   * of the recent queries' (after any pruning the encoder applied).
   */
  sparsity(): SparsityReport {
    const nnz: number[] = [];
    for (const slot of this.slotById.values()) nnz.push(this.sparse.get(slot)?.ids.length ?? 0);
    return { docs: summarizeL0(nnz), queries: summarizeL0(this.queryL0.values()) };
  }

  search(query: Encoded, opts: SearchOptions = {}): Hit[] {
    const o = resolveSearchOptions(opts);
    if (this.size === 0) {
      throw new M3SearchError('INDEX_EMPTY', 'Nothing is indexed yet; add documents before searching.');
    }
    const q = prepareRankQuery(query, this.dims, this.options.multiVectors === 'nested', o);
    this.queryL0.record(q.sparse?.ids.length ?? 0);
    const filter = o.filter;
    const accept = filter === undefined ? undefined : (slot: number): boolean => filter(this.docs[slot]!);
    const { table, hits } = rankNow(this, q, o, { accept, order: (slot) => this.seqs[slot]! });
    return hits.map((h) => this.hit(table, h.row, h.score));
  }

  // ------------------------------------------------------------ RankSource (see ./rank.ts)

  get multiDim(): number {
    return this.multi.dim;
  }

  denseTop(q: Float32Array, n: number, opts: SlotSearchOptions): SlotHit[] {
    return this.dense.search(q, n, opts);
  }

  sparseTop(q: SparseVector, n: number, opts: SlotSearchOptions): SlotHit[] {
    return this.sparse.search(q, n, opts);
  }

  allSlots(): Iterable<number> {
    return this.dense.slots();
  }

  /** One scorer per signal the query can feed. */
  scorers(q: PreparedQuery, ms: MaxSimOptions): Scorers {
    const s: Scorers = {};
    const { dense, sparse, multi } = q;
    if (dense !== undefined) s.dense = (slot) => this.dense.score(slot, dense);
    if (sparse !== undefined) s.sparse = (slot) => this.sparse.score(slot, sparse);
    if (multi !== undefined) s.multi = (slot) => this.multi.maxSim(slot, multi, ms);
    return s;
  }

  // ------------------------------------------------------------ internals

  private reset(): void {
    this.dense = new DenseIndex(this.options.dense);
    this.sparse = new SparseIndex();
    this.multi = new MultiIndex(this.options.multi);
    this.docs = [];
    this.seqs = [];
    this.docSizes = [];
    this.slotById.clear();
    this.queryL0.clear();
    this.nextSeq = 0;
    this.docBytesTotal = 0;
  }

  private fromEncoded(doc: Doc, enc: Encoded): DecodedRecord {
    const problem = encodedProblem(enc);
    if (problem !== undefined) throw new M3SearchError('INVALID_DOCUMENT', `document "${doc.id}": ${problem}`, { id: doc.id });
    const m: MultiVector = this.options.multiVectors === 'nested' ? nestMultiVectors(enc.multi, this.options.maxMultiVectors) : enc.multi;
    return {
      doc,
      dense: { kind: 'float32', data: enc.dense },
      sparse: sparseAs(enc.sparse, this.options.sparse),
      multi: { kind: 'float32', data: m.data, count: m.count, dim: m.dim },
    };
  }

  /** Every document must match the dimensions the first one fixed (same model). */
  private checkDims(data: DecodedRecord, code: ErrorCode): void {
    const id = data.doc.id;
    const dd = this.dense.dim;
    const got = data.dense.data.length;
    if (dd !== 0 && got !== dd) {
      throw new M3SearchError(
        code,
        `document "${id}": dense vector has ${got} dims but this index holds ${dd}-dim vectors (all documents must come from the same model).`,
        { id, got, want: dd },
      );
    }
    const md = this.multi.dim;
    if (data.multi.count > 0 && md !== 0 && data.multi.dim !== md) {
      throw new M3SearchError(
        code,
        `document "${id}": multi-vectors have ${data.multi.dim} dims but this index holds ${md}-dim vectors (all documents must come from the same model).`,
        { id, got: data.multi.dim, want: md },
      );
    }
  }

  /** Stores validated data under a new slot in every representation. */
  private insert(data: DecodedRecord): void {
    const slot = this.dense.addData(data.dense);
    this.sparse.set(slot, data.sparse);
    this.multi.setData(slot, data.multi);
    const size = docBytes(data.doc);
    this.docs[slot] = data.doc;
    this.seqs[slot] = this.nextSeq++;
    this.docSizes[slot] = size;
    this.docBytesTotal += size;
    this.slotById.set(data.doc.id, slot);
  }

  /** A slot's document and vectors as stored (copies). */
  private dataAt(slot: number): DecodedRecord {
    return {
      doc: this.docs[slot]!,
      dense: this.dense.getData(slot)!,
      sparse: this.sparse.get(slot)!,
      multi: this.multi.getData(slot)!,
    };
  }

  private hit(table: SignalTable, i: number, score: number): Hit {
    const slot = table.slots[i]!;
    const doc = this.docs[slot]!;
    return { id: doc.id, score, doc: cloneDoc(doc), signals: signalsAt(table, i) };
  }
}
