// The in-memory hybrid index: documents plus their dense, sparse and
// multi-vector representations, kept in lockstep by slot. The dense index owns
// slot allocation; the sparse and multi indexes store under the same slot.
//
// Search is two-stage for the expensive signal: dense top-N ∪ sparse top-N
// pick candidates, then every candidate is scored by all three signals and
// the candidates are ranked (MaxSim, weighted sum or RRF).

import { encodedProblem } from './check-vectors.js';
import { DenseIndex } from './dense-index.js';
import { allFinite } from './vector-math.js';
import { checkDoc, cloneDoc, docBytes, docProblem } from './doc.js';
import { M3SearchError, type ErrorCode } from './errors.js';
import { MultiIndex, type MaxSimOptions } from './multi-index.js';
import { nestMultiVectors } from './nested.js';
import { resolveIndexOptions, resolveSearchOptions } from './options.js';
import type { PreparedQuery } from './query.js';
import { decodeRecord, emptyMulti, recordFromData, type BlockProblem, type DecodedRecord, type DeferredMulti, type StoredBlock, type StoredRecord } from './record.js';
import { prepareRankQuery, rankLoading, rankSteps, type RankContext, type RankSource, type Ranking } from './rank.js';
import type { ResolvedSearch } from './options.js';
import type { MultiData } from './stored.js';
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

/**
 * Brings the token vectors of these entries (left in the store, see
 * `StoredRecord.multiDeferred`) into the index: `provideMulti` for each, or
 * the entry removed (unreadable, or no longer stored).
 */
export type MultiLoader = (ids: readonly string[]) => Promise<void>;

/** Rankings redone because the index changed while token vectors were loading, before ranking without the missing ones. */
const LOADING_TRIES = 4;

export class SearchIndex implements RankSource {
  readonly options: Required<IndexOptions>;
  private dense!: DenseIndex;
  private sparse!: SparseIndex;
  private multi!: MultiIndex;
  private docs: (Doc | undefined)[] = [];
  private seqs: number[] = []; // insertion sequence per slot: the deterministic tie-breaker
  private readonly slotById = new Map<string, number>();
  private nextSeq = 0;
  /** Slots whose token vectors are still in the store. */
  private readonly deferred = new Map<number, DeferredMulti>();
  private deferredRows = 0;
  /** Multi dimension announced by deferred records before any rows are in memory. */
  private deferredDim = 0;
  /** Bumped by every insert and remove: a ranking that awaited a load checks no slot changed owner meanwhile. */
  private changes = 0;
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
    return { dense: this.dense.dim, multi: this.multiDim };
  }

  has(id: string): boolean {
    return this.slotById.has(id);
  }

  /** A copy of the stored document. */
  getDoc(id: string): Doc | undefined {
    const slot = this.slotById.get(id);
    return slot === undefined ? undefined : cloneDoc(this.docs[slot]!);
  }

  /** The stored document itself, not a copy: for callers inside the package that only read it. */
  peekDoc(id: string): Readonly<Doc> | undefined {
    const slot = this.slotById.get(id);
    return slot === undefined ? undefined : this.docs[slot];
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
    this.dropDeferred(slot);
    this.changes++;
    this.docs[slot] = undefined;
    this.slotById.delete(id);
    return true;
  }

  /** Removes everything, including the fixed dimensions. */
  clear(): void {
    this.reset();
  }

  /**
   * The document's persisted form (vectors exactly as stored), or undefined.
   * Its token vectors must be in memory (`deferredMulti` says when they are not).
   */
  toRecord(id: string): StoredRecord | undefined {
    const slot = this.slotById.get(id);
    if (slot === undefined) return undefined;
    this.requireLoaded(slot);
    return recordFromData(this.dataAt(slot));
  }

  /** What an entry's token vectors must be while they are still in the store; undefined once loaded (or never deferred). */
  deferredMulti(id: string): Readonly<DeferredMulti> | undefined {
    const slot = this.slotById.get(id);
    return slot === undefined ? undefined : this.deferred.get(slot);
  }

  /** Entries whose token vectors are still in the store. */
  get deferredCount(): number {
    return this.deferred.size;
  }

  /**
   * Hands in the token vectors of an entry that deferred them. They must be
   * the rows announced (kind, count, dim); else CORRUPT_RECORD and nothing changes.
   */
  provideMulti(id: string, m: MultiData): void {
    const slot = this.slotById.get(id);
    const want = slot === undefined ? undefined : this.deferred.get(slot);
    if (want === undefined) return;
    if (m.kind !== want.kind || m.count !== want.count || m.dim !== want.dim || (this.multi.dim !== 0 && m.dim !== this.multi.dim)) {
      throw new M3SearchError('CORRUPT_RECORD', `stored token vectors of "${id}" are not the ${want.count} × ${want.dim} ${want.kind} rows its record announced`, { id });
    }
    this.multi.setData(slot!, m);
    this.dropDeferred(slot!);
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

  /**
   * Re-adds many stored documents at once (a reopen): the block's dense rows
   * go into the matrix one run at a time, its sparse vectors stay views into
   * its arrays (adopted, not copied), its documents are kept as given
   * (checked, not cloned) and its token vectors are left in the store, as
   * with `multiDeferred`. Each row is checked as `addRecord` checks a
   * record; a row that fails is left out and returned with the reason, and
   * the others are added. `only`: the rows to add (default all), ascending.
   */
  addBlock(b: StoredBlock, only?: readonly number[]): BlockProblem[] {
    const n = b.docs.length;
    const take = only ?? Array.from({ length: n }, (_, i) => i);
    const shape = blockShapeProblem(b);
    if (shape !== undefined) return take.map((row) => ({ row, reason: shape }));
    const problems: BlockProblem[] = [];
    const rows: number[] = [];
    const seen = new Set<string>();
    const dd = this.dense.dim;
    for (const i of take) {
      if (!Number.isInteger(i) || i < 0 || i >= n) continue;
      const reason = this.blockRowProblem(b, i, dd, seen);
      if (reason === undefined) {
        rows.push(i);
        seen.add((b.docs[i] as Doc).id);
      } else problems.push({ row: i, reason });
    }
    if (rows.length === 0) return problems;
    const slots = this.dense.addBlock(b.dense, b.dim, rows);
    const { sparseEnds: ends, sparseIds: ids, sparseWeights: weights, multiCounts: counts, multiSums: sums, multiKind: kind, multiDim } = b;
    rows.forEach((i, j) => {
      const slot = slots[j]!;
      const from = i === 0 ? 0 : ends[i - 1]!;
      this.sparse.adopt(slot, { ids: ids.subarray(from, ends[i]!), weights: weights.subarray(from, ends[i]!) });
      const count = counts[i]!;
      if (count === 0) this.multi.setData(slot, emptyMulti(kind, multiDim));
      else {
        this.deferred.set(slot, { kind, count, dim: multiDim, sum: sums[i]! });
        this.deferredRows += count;
        this.deferredDim ||= multiDim;
      }
      const doc = b.docs[i] as Doc;
      this.docs[slot] = doc;
      this.seqs[slot] = this.nextSeq++;
      this.slotById.set(doc.id, slot);
    });
    this.changes++;
    return problems;
  }

  /** Why row `i` of a block cannot be added (what decodeRecord and checkDims refuse for a record), or undefined. */
  private blockRowProblem(b: StoredBlock, i: number, dd: number, seen: ReadonlySet<string>): string | undefined {
    const doc = b.docs[i];
    const bad = docProblem(doc);
    if (bad !== undefined) return `stored record is corrupt: ${bad}`;
    const id = (doc as Doc).id;
    if (this.slotById.has(id) || seen.has(id)) return `Id "${id}" is already indexed.`;
    if (dd !== 0 && b.dim !== dd) return `document "${id}": dense vector has ${b.dim} dims but this index holds ${dd}-dim vectors (all documents must come from the same model).`;
    const { dense, dim } = b;
    if (dense.kind === 'int8') {
      const s = dense.scales[i]!;
      if (!(Number.isFinite(s) && s >= 0)) return `stored record "${id}" is corrupt: dense scale is invalid`;
    } else if (!allFinite(dense.data.subarray(i * dim, (i + 1) * dim))) return `stored record "${id}" is corrupt: dense vector holds NaN or Infinity`;
    const from = i === 0 ? 0 : b.sparseEnds[i - 1]!;
    const to = b.sparseEnds[i]!;
    if (to < from || to > b.sparseIds.length) return `stored record "${id}" is corrupt: sparse vector out of range`;
    for (let j = from + 1; j < to; j++) if (b.sparseIds[j]! <= b.sparseIds[j - 1]!) return `stored record "${id}" is corrupt: sparse ids must be sorted ascending and unique`;
    if (!allFinite(b.sparseWeights.subarray(from, to))) return `stored record "${id}" is corrupt: sparse weights hold NaN or Infinity`;
    const count = b.multiCounts[i]!;
    if (count > 0 && b.multiDim === 0) return `stored record "${id}" is corrupt: token vectors without a dimension`;
    const md = this.multiDim;
    if (count > 0 && md !== 0 && b.multiDim !== md) return `document "${id}": multi-vectors have ${b.multiDim} dims but this index holds ${md}-dim vectors (all documents must come from the same model).`;
    return undefined;
  }

  /** A snapshot of the whole index (documents in insertion order). Every token vector must be in memory. */
  serialize(): Uint8Array {
    for (const slot of this.deferred.keys()) this.requireLoaded(slot);
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
      docs: 0,
      total: 0,
    };
    // Measured here, not kept per insert: a reopen adds thousands of documents and stats are rare.
    for (const slot of this.slotById.values()) bytes.docs += docBytes(this.docs[slot]!);
    bytes.total = bytes.dense + bytes.sparse + bytes.multi + bytes.docs;
    return {
      docs: this.size,
      denseDim: this.dense.dim,
      multiDim: this.multiDim,
      multiRows: this.multi.rows + this.deferredRows,
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

  /**
   * Ranks synchronously. With token vectors still in the store (records added
   * with `multiDeferred`) a ranking that needs them leaves the multi signal
   * out; `searchLoading` loads them instead.
   */
  search(query: Encoded, opts: SearchOptions = {}): Hit[] {
    const o = resolveSearchOptions(opts);
    if (this.size === 0) {
      throw new M3SearchError('INDEX_EMPTY', 'Nothing is indexed yet; add documents before searching.');
    }
    const [q, ctx] = this.prepare(query, o);
    const steps = rankSteps(this, q, o, ctx);
    for (let r = steps.next(); ; r = steps.next(r.value.multi.every((s) => !this.deferred.has(s)))) if (r.done) return this.hits(r.value);
  }

  /**
   * `search`, loading through `load` the token vectors that ranking needs and
   * the store still holds (only the candidates'; each entry once). When the
   * index changed while they loaded (an entry `load` dropped, another tab's
   * write), the ranking is redone.
   */
  async searchLoading(query: Encoded, opts: SearchOptions, load: MultiLoader): Promise<Hit[]> {
    const o = resolveSearchOptions(opts);
    if (this.size === 0) {
      throw new M3SearchError('INDEX_EMPTY', 'Nothing is indexed yet; add documents before searching.');
    }
    const [q, ctx] = this.prepare(query, o);
    for (let attempt = 1; ; attempt++) {
      const before = this.changes;
      let waited = false;
      const ranking = await rankLoading(this, q, o, ctx, async (need) => {
        const ids = need.multi.filter((s) => this.deferred.has(s)).map((s) => this.docs[s]!.id);
        if (ids.length > 0 && attempt < LOADING_TRIES) {
          waited = true;
          await load(ids);
        }
        return need.multi.every((s) => !this.deferred.has(s));
      });
      if (!waited || this.changes === before) return this.hits(ranking);
    }
  }

  // ------------------------------------------------------------ RankSource (see ./rank.ts)

  get multiDim(): number {
    return this.multi.dim || this.deferredDim;
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

  private prepare(query: Encoded, o: ResolvedSearch): [ReturnType<typeof prepareRankQuery>, RankContext] {
    const q = prepareRankQuery(query, this.dims, this.options.multiVectors === 'nested', o);
    this.queryL0.record(q.sparse?.ids.length ?? 0);
    const filter = o.filter;
    const accept = filter === undefined ? undefined : (slot: number): boolean => filter(this.docs[slot]!);
    return [q, { accept, order: (slot) => this.seqs[slot]! }];
  }

  private hits({ table, hits }: Ranking): Hit[] {
    return hits.map((h) => this.hit(table, h.row, h.score));
  }

  private requireLoaded(slot: number): void {
    if (!this.deferred.has(slot)) return;
    throw new M3SearchError('STORAGE', `The token vectors of "${this.docs[slot]!.id}" are still in the store; load them first (provideMulti).`, { id: this.docs[slot]!.id });
  }

  private dropDeferred(slot: number): void {
    const d = this.deferred.get(slot);
    if (d === undefined) return;
    this.deferred.delete(slot);
    this.deferredRows -= d.count;
  }

  private reset(): void {
    this.deferred.clear();
    this.deferredRows = 0;
    this.deferredDim = 0;
    this.changes++;
    this.dense = new DenseIndex(this.options.dense);
    this.sparse = new SparseIndex();
    this.multi = new MultiIndex(this.options.multi);
    this.docs = [];
    this.seqs = [];
    this.slotById.clear();
    this.queryL0.clear();
    this.nextSeq = 0;
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
    const md = this.multiDim;
    const rows = data.deferred?.count ?? data.multi.count;
    if (rows > 0 && md !== 0 && data.multi.dim !== md) {
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
    if (data.deferred === undefined) this.multi.setData(slot, data.multi);
    else {
      this.deferred.set(slot, data.deferred);
      this.deferredRows += data.deferred.count;
      this.deferredDim ||= data.deferred.dim;
    }
    this.changes++;
    this.docs[slot] = data.doc;
    this.seqs[slot] = this.nextSeq++;
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

/** Why a block's arrays do not fit together (every row then fails), or undefined. */
function blockShapeProblem(b: StoredBlock): string | undefined {
  const n = b.docs.length;
  const { dim, dense } = b;
  if (!Number.isInteger(dim) || dim < 1) return 'stored group is corrupt: no dense dimension';
  if (dense.data.length !== n * dim) return 'stored group is corrupt: its dense rows do not match its documents';
  if (dense.kind === 'int8' && dense.scales.length !== n) return 'stored group is corrupt: its dense scales do not match its documents';
  if (b.sparseEnds.length !== n || b.sparseIds.length !== b.sparseWeights.length || (n > 0 && b.sparseEnds[n - 1] !== b.sparseIds.length)) return 'stored group is corrupt: its sparse vectors do not match its documents';
  if (b.multiCounts.length !== n || b.multiSums.length !== n) return 'stored group is corrupt: its token-vector counts do not match its documents';
  const k = b.multiKind;
  if (k !== 'float32' && k !== 'float16' && k !== 'int8') return `stored group is corrupt: unknown multiKind ${String(k)}`;
  if (!Number.isInteger(b.multiDim) || b.multiDim < 0) return 'stored group is corrupt: no multi dimension';
  return undefined;
}
