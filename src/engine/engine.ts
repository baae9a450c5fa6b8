// The engine: an encoder, the in-memory SearchIndex and a Store. Text in,
// hits out. Environment-free — the browser worker (with the IndexedDB store),
// the Node CLI and the tests all use this one class.
//
// Writes: `add` validates the whole call first, skips documents stored with
// the same text, rewrites field-only changes without encoding, and encodes
// the rest a group at a time — `batchSize` documents, or every window of one
// long document. Each group is committed to the store in one transaction and
// only then applied in memory, so a cancel or crash keeps every finished
// group and never half a document.
//
// Long documents: with `longDocuments: 'windows'` a text longer than the
// model's window is split into overlapping windows (streamed, see
// ./windows.ts), each window is indexed as its own entry, and search folds
// window hits back into one hit per document (best window = snippet).
import { Analyzer, detectLanguage } from '../core/analyzer.js';
import type { Encoder } from '../core/encoder.js';
import { cloneDoc } from '../core/doc.js';
import { M3SearchError, throwIfAborted } from '../core/errors.js';
import { KeywordIndex } from '../core/keyword-index.js';
import { resolveSearchOptions } from '../core/options.js';
import { encodeRecord, type StoredRecord } from '../core/record.js';
import { SearchIndex, type MultiLoader } from '../core/search-index.js';
import type { SparsityReport } from '../core/sparsity.js';
import { loadStemmers } from '../core/stemmers.js';
import type { Doc, Encoded, Hit, IndexOptions, SearchOptions } from '../core/types.js';
import { textHash } from './content-hash.js';
import { aggregateWindows, isWindowDoc, parentView, windowDoc, windowId, type Aggregation, type WindowMeta } from './long-docs.js';
import { Serial } from './serial.js';
import { MEMORY_ONLY, type Store, type StoredPut } from './store.js';
import { validateDocs } from './validate.js';
import { windowBudget, windowText, type TextWindow } from './windows.js';

export interface AddProgress {
  /** Documents committed by this call. */
  done: number;
  /** Documents this call has to encode or rewrite. */
  total: number;
  /** Documents already stored with the same content (nothing to do). */
  unchanged: number;
  /** Windows encoded so far in this call (long documents only). */
  windows?: number;
  /** Characters of this call's texts processed so far, of `charsTotal`: smooth progress for one huge document. */
  chars?: number;
  charsTotal?: number;
}

/** How long documents are handled. */
export type LongDocuments = 'truncate' | 'windows';

export interface LongDocumentOptions {
  /** 'truncate' (default): the model sees the first maxLength tokens (reported in `truncated`). 'windows': every part is indexed. */
  longDocuments?: LongDocuments;
  /** Tokens per window, special tokens included (default: the model's max length). */
  windowSize?: number;
  /** Tokens shared by consecutive windows (default: an eighth of the window). */
  windowOverlap?: number;
  /** How window scores become a document score (default 'max'). */
  aggregate?: Aggregation;
}

export interface AddOptions extends Pick<LongDocumentOptions, 'longDocuments' | 'windowSize' | 'windowOverlap'> {
  signal?: AbortSignal;
  onProgress?: (p: AddProgress) => void;
  /** Documents (or windows) per encoder call and per committed group (default 32). */
  batchSize?: number;
}

export interface AddReport {
  /** New ids stored. */
  added: number;
  /** Existing ids whose text or fields changed and were rewritten. */
  updated: number;
  /** Existing ids with identical content: skipped without encoding. */
  unchanged: number;
  /** Ids whose text was longer than the model's limit and was cut (never silent). */
  truncated: string[];
  /** Ids indexed as several windows, with their window counts. */
  windowed?: Record<string, number>;
  /** Documents indexed after the call. */
  docCount: number;
  /**
   * Ids this call committed that another writer of the same store (another
   * tab) removed or cleared before the call ended: not stored now. Adding the
   * documents again restores them.
   */
  removedElsewhere?: string[];
}

export interface RemoveReport {
  removed: number;
  docCount: number;
}

export type EngineSearchOptions = SearchOptions & {
  signal?: AbortSignal;
  /** Window aggregation for this search (default: the engine's). */
  aggregate?: Aggregation;
};

/** What the engine refuses outright, before any tokenizing (typed errors naming the limit). */
export interface InputLimits {
  /** Longest document text in UTF-16 characters (default 67,108,864 = 64 Mi); longer ones are INVALID_DOCUMENT. */
  maxDocumentChars?: number;
  /** Longest query in UTF-16 characters (default 32,768); longer ones are QUERY_TOO_LONG. */
  maxQueryChars?: number;
}

export const DEFAULT_MAX_DOCUMENT_CHARS = 64 * 1024 * 1024;
export const DEFAULT_MAX_QUERY_CHARS = 32 * 1024;

export interface EngineOptions extends LongDocumentOptions, InputLimits {
  /** Where committed groups are written before memory changes (default: memory only). */
  store?: Store;
  /** Content hash of every entry already in `index`, as a store keeps them (entry id → hash), so re-adds skip unchanged documents. */
  hashes?: ReadonlyMap<string, string>;
  /**
   * Loads token vectors that `index` left in the store (records restored with
   * `multiDeferred`): called for the candidates a search scores by MaxSim, and
   * before a field-only rewrite copies a document's vectors. Absent: nothing is deferred.
   */
  loadMulti?: MultiLoader;
  /**
   * Language of the documents for the keyword mode's analyzer (its stemmer),
   * e.g. `en`, `de`; default detected from the documents on the first keyword query.
   */
  language?: string;
}

/** Window fan-out: window hits fetched per requested document hit, so k distinct documents survive grouping. */
const WINDOW_FANOUT = 4;
const DEFAULT_BATCH = 32;

export class M3Search {
  readonly index: SearchIndex;
  private readonly encoder: Encoder;
  private readonly store: Store;
  private readonly defaults: LongDocumentOptions;
  private readonly limits: Required<InputLimits>;
  /** Document id → content hash of its text (a windowed document counts once). */
  private readonly hashes: Map<string, string>;
  /** Document id → number of windows, for documents indexed as windows. */
  private readonly windowed = new Map<string, number>();
  /** ONNX sessions must not run concurrently: queries wait for the current batch. */
  private readonly encoding = new Serial();
  /** Whole add/remove/clear calls apply in call order. */
  private readonly calls = new Serial();
  /** The keyword index over the same entries: built on the first keyword query, then kept in step with every write. */
  private keyword: KeywordIndex | undefined;
  private keywordBuild: Promise<KeywordIndex> | undefined;
  private readonly language: string | undefined;
  private readonly loadMulti: MultiLoader;

  constructor(encoder: Encoder, index: SearchIndex | IndexOptions = {}, opts: EngineOptions = {}) {
    opts = optionsObject(opts, 'engine options');
    const { store, hashes, language, loadMulti, maxDocumentChars = DEFAULT_MAX_DOCUMENT_CHARS, maxQueryChars = DEFAULT_MAX_QUERY_CHARS, ...defaults } = opts;
    if (language !== undefined && (typeof language !== 'string' || !/^[a-z]{2,3}([-_][a-z0-9]+)*$/i.test(language))) {
      throw new M3SearchError('INVALID_OPTION', `language must be a language code such as "en" or "pt-BR", got ${JSON.stringify(language)}`, { language });
    }
    this.language = language;
    for (const [name, v] of Object.entries({ maxDocumentChars, maxQueryChars })) {
      if (!Number.isSafeInteger(v) || v < 1) throw new M3SearchError('INVALID_OPTION', `${name} must be a positive integer`, { [name]: v });
    }
    this.limits = { maxDocumentChars, maxQueryChars };
    this.encoder = encoder;
    this.index = index instanceof SearchIndex ? index : new SearchIndex(index);
    this.store = store ?? MEMORY_ONLY;
    this.loadMulti = loadMulti ?? (async () => undefined);
    this.hashes = new Map();
    this.defaults = defaults;
    this.scanWindows();
    // Stored hashes are per entry; a window carries its parent's.
    for (const [id, hash] of hashes ?? []) {
      const d = this.index.peekDoc(id);
      if (d !== undefined) this.hashes.set(this.ownerOf(id, d), hash);
    }
  }

  /** Documents (a windowed document counts once). */
  get size(): number {
    let windows = 0;
    for (const n of this.windowed.values()) windows += n;
    return this.index.size - windows + this.windowed.size;
  }

  /** Whether a document (windowed or not) is indexed under this id. */
  has(id: string): boolean {
    return this.windowed.has(id) || (this.index.has(id) && !this.isWindowEntry(id));
  }

  /**
   * Stores documents: new ids are added, ids stored with the same content are
   * skipped without encoding, changed ones are re-encoded and replaced. A bad
   * document refuses the whole call before anything is encoded; on cancel or
   * error the groups committed so far stay (the error's details say how many).
   */
  async add(docs: readonly Doc[], opts: AddOptions = {}): Promise<AddReport> {
    // Validated and copied before the first await, so a caller mutating its array mid-call changes nothing.
    validateDocs(docs, () => false, this.limits.maxDocumentChars);
    opts = optionsObject(opts, 'add options');
    const batch = docs.map(cloneDoc);
    const mode = this.mode(opts);
    const spec = mode === 'windows' ? this.windowSpec(opts) : undefined;
    const size = opts.batchSize ?? DEFAULT_BATCH;
    if (!Number.isInteger(size) || size < 1) throw new M3SearchError('INVALID_OPTION', 'batchSize must be a positive integer', { batchSize: size });
    // Whole write calls run in call order: an un-awaited add() followed by remove() or clear()
    // must not plan against a state the later call is about to change.
    return this.calls.run(() => this.addInOrder(batch, opts, spec, size));
  }

  /** Same as `add`: replaces documents by id and adds absent ones. */
  update(docs: readonly Doc[], opts: AddOptions = {}): Promise<AddReport> {
    return this.add(docs, opts);
  }

  /** Removes documents by id in one store transaction (ids not indexed are ignored). */
  async remove(ids: string | readonly string[]): Promise<RemoveReport> {
    const list = typeof ids === 'string' ? [ids] : ids;
    if (!Array.isArray(list) || list.some((id) => typeof id !== 'string')) {
      throw new M3SearchError('INVALID_DOCUMENT', 'remove() expects a document id or an array of ids (strings).');
    }
    return this.calls.run(() =>
      // Which ids are present is decided under the store's lock, against memory brought up to date.
      this.exclusive(async () => {
        const present = [...new Set(list)].filter((id) => this.has(id));
        await this.commitHeld([], present);
        return { removed: present.length, docCount: this.size };
      }),
    );
  }

  /** Removes every document. */
  clear(): Promise<void> {
    return this.calls.run(() =>
      this.exclusive(async () => {
        await this.store.clear();
        this.forgetAll();
      }),
    );
  }

  /**
   * Applies what another writer of the same store committed (a store's
   * catch-up, e.g. another browser tab's write): `cleared` drops everything
   * first, `removes` are entry ids no longer stored, `puts` the stored
   * records of entries written since. Memory only; records that fail to load
   * are left out, as at restore.
   */
  applyStored(change: { cleared: boolean; puts: readonly StoredPut[]; removes: readonly string[] }): void {
    if (change.cleared) this.forgetAll();
    for (const id of change.removes) this.dropEntry(id);
    for (const put of change.puts) {
      try {
        this.applyPut(put);
      } catch {
        this.dropEntry(put.record.doc.id);
      }
    }
  }

  /** L0 (non-zero count) distribution of indexed documents' and recent queries' sparse vectors. */
  sparsity(): SparsityReport {
    return this.index.sparsity();
  }

  /** Raw encoder output (debugging, backend comparisons). */
  encode(texts: readonly string[], kind: 'query' | 'passage', signal?: AbortSignal): Promise<Encoded[]> {
    return this.encoding.run(() => this.encoder.encode(texts, { kind, signal }));
  }

  async search(query: string, opts: EngineSearchOptions = {}): Promise<Hit[]> {
    if (typeof query !== 'string' || query.trim() === '') {
      throw new M3SearchError('EMPTY_QUERY', 'The query is empty; type at least one word.');
    }
    // A 1M-character query is refused, never tokenized.
    if (query.length > this.limits.maxQueryChars) {
      throw new M3SearchError('QUERY_TOO_LONG', `The query is ${query.length} characters; maxQueryChars is ${this.limits.maxQueryChars}.`, {
        length: query.length,
        limit: this.limits.maxQueryChars,
      });
    }
    opts = optionsObject(opts, 'search options');
    if (this.index.size === 0) {
      throw new M3SearchError('INDEX_EMPTY', 'Nothing is indexed yet; add documents before searching.');
    }
    const { signal, aggregate = this.defaults.aggregate ?? 'max', ...searchOpts } = opts;
    if (searchOpts.mode === 'keyword') return this.searchKeywords(query, searchOpts, aggregate, signal);
    // A dense-only model (E5, MiniLM, …) has no lexical or multi-vector part: say so rather than "the query is empty".
    const info = this.encoder.info;
    const lacks = searchOpts.mode === 'sparse' && info.sparseStyle === 'none' ? 'sparse' : searchOpts.mode === 'multi' && !info.hasMulti ? 'multi' : undefined;
    if (lacks) {
      throw new M3SearchError('INVALID_OPTION', `mode '${lacks}' needs ${lacks === 'sparse' ? 'sparse (lexical) weights' : 'multi-vectors'}, which ${info.modelId} does not produce; use 'dense' or 'hybrid'.`, {
        mode: lacks,
        modelId: info.modelId,
      });
    }
    const [q] = await this.encoding.run(() => {
      throwIfAborted(signal);
      return this.encoder.encode([query], { kind: 'query', signal });
    });
    throwIfAborted(signal);
    if (this.windowed.size === 0) return this.index.searchLoading(q!, searchOpts, this.loadMulti);
    // Window entries carry their parent's title/url/meta; a filter sees the parent document.
    const { filter, ...rest } = searchOpts;
    // Checked here because the wrapper below would turn a non-function into a function (a TypeError later).
    if (filter !== undefined && typeof filter !== 'function') throw new M3SearchError('INVALID_OPTION', 'filter must be a function');
    const k = rest.k ?? 10;
    const wrapped = filter === undefined ? undefined : (d: Readonly<Doc>): boolean => filter(parentView(d).doc);
    // More window hits than documents asked for, but first-stage depth as for k documents
    // (the default would grow with the inflated k and re-rank every window).
    const candidates = rest.candidates ?? Math.max(100, 10 * k);
    const raw = await this.index.searchLoading(q!, { ...rest, k: k * WINDOW_FANOUT + 10, candidates, filter: wrapped }, this.loadMulti);
    return aggregateWindows(raw, k, aggregate, (id) => this.windowed.get(id) ?? 1);
  }

  /**
   * Keyword mode: the model-free analyzer's BM25 over the same entries (no
   * encoder call), windows aggregated to documents as in the other modes.
   */
  private async searchKeywords(query: string, opts: Omit<EngineSearchOptions, 'signal' | 'aggregate'>, aggregate: Aggregation, signal: AbortSignal | undefined): Promise<Hit[]> {
    const o = resolveSearchOptions(opts);
    const index = await this.keywordIndex();
    throwIfAborted(signal);
    const windows = this.windowed.size > 0;
    const filter = o.filter;
    const accept = filter === undefined ? undefined : (id: string): boolean => {
      const d = this.index.getDoc(id);
      return d !== undefined && filter(windows ? parentView(d).doc : d);
    };
    const found = index.search(query, windows ? o.k * WINDOW_FANOUT + 10 : o.k, { filter: accept });
    const raw: Hit[] = found.map((h, i) => ({ id: h.id, score: h.score, doc: this.index.getDoc(h.id)!, signals: { keyword: { score: h.score, rank: i + 1 } } }));
    return windows ? aggregateWindows(raw, o.k, aggregate, (id) => this.windowed.get(id) ?? 1) : raw;
  }

  private keywordIndex(): Promise<KeywordIndex> {
    this.keywordBuild ??= (async () => {
      const sample: string[] = [];
      for (const id of this.index.ids()) {
        if (sample.length >= 200) break;
        sample.push(this.index.getDoc(id)!.text);
      }
      const language = this.language ?? detectLanguage(sample);
      const stemmers = await loadStemmers(language);
      // Synchronous from here: no write can land between the snapshot and `this.keyword` taking over.
      const index = new KeywordIndex(new Analyzer({ language, stemmers }));
      for (const id of this.index.ids()) keywordAdd(index, id, this.index.getDoc(id)!);
      this.keyword = index;
      return index;
    })();
    this.keywordBuild.catch(() => (this.keywordBuild = undefined));
    return this.keywordBuild;
  }

  // ------------------------------------------------------------ writing

  private async addInOrder(docs: readonly Doc[], opts: AddOptions, spec: WindowSpec | undefined, size: number): Promise<AddReport> {
    // "Unchanged" must mean stored: first take in what other writers (tabs) stored or removed.
    await this.store.refresh?.();
    const plan = await this.plan(docs);
    const report: AddReport = { added: 0, updated: 0, unchanged: plan.unchanged, truncated: [], docCount: this.size };
    const total = plan.rewrite.length + plan.encode.length;
    const charsTotal = plan.encode.reduce((n, p) => n + p.doc.text.length, 0);
    const progress = { done: 0, windows: 0, chars: 0 };
    const emit = (): void => opts.onProgress?.({ done: progress.done, total, unchanged: plan.unchanged, ...(spec ? { windows: progress.windows, chars: progress.chars, charsTotal } : {}) });
    const mine = new Set<string>();
    const committed = (docIds: readonly string[], wasNew: number): void => {
      for (const id of docIds) mine.add(id);
      progress.done += docIds.length;
      report.added += wasNew;
      report.updated += docIds.length - wasNew;
      report.docCount = this.size;
      emit();
    };
    emit();
    try {
      // Field-only changes (title, url, meta) reuse the stored vectors.
      if (plan.rewrite.length > 0) {
        throwIfAborted(opts.signal);
        const puts = plan.rewrite.map(({ doc, hash, vectors }) => ({ record: { ...vectors!, doc }, hash }));
        const ids = plan.rewrite.map((p) => p.doc.id);
        committed(ids, await this.commit(puts, []));
      }
      // Short documents go in groups of `size`; a long one (windows) is a group of its own.
      let group: Planned[] = [];
      const flush = async (): Promise<void> => {
        if (group.length === 0) return;
        const part = group;
        group = [];
        const encoded = await this.encodeTexts(part.map((p) => p.doc.text), opts, size);
        const puts = part.map(({ doc, hash }, j) => ({ record: encodeRecord(doc, encoded[j]!, this.index.options), hash }));
        part.forEach(({ doc }, j) => encoded[j]!.truncated && report.truncated.push(doc.id));
        const ids = part.map((p) => p.doc.id);
        const wasNew = await this.commit(puts, ids);
        progress.chars += part.reduce((n, p) => n + p.doc.text.length, 0);
        committed(ids, wasNew);
      };
      for (const p of plan.encode) {
        const windows = spec !== undefined && p.doc.text.length > windowBudget(spec.size) ? this.windowsOf(p.doc, spec) : undefined;
        const first = windows?.next();
        const second = windows?.next();
        if (windows === undefined || second === undefined || second.done) {
          // Fits one pass (or truncates): an ordinary document.
          group.push(p);
          if (group.length >= size) await flush();
          continue;
        }
        await flush();
        const { count, wasNew } = await this.addWindows(p, [first!.value as TextWindow, second.value], windows, opts, size, progress, emit, report);
        (report.windowed ??= {})[p.doc.id] = count;
        committed([p.doc.id], wasNew);
      }
      await flush();
    } catch (e) {
      throw withCommitted(e, progress.done, total);
    }
    const lost = [...mine].filter((id) => !this.has(id));
    if (lost.length > 0) report.removedElsewhere = lost;
    report.docCount = this.size;
    return report;
  }

  /**
   * Encodes every window of one document, a batch at a time (memory holds one
   * batch of vectors plus the document's quantized records), then commits them
   * with the removal of the document's old entries in one store transaction.
   */
  private async addWindows(
    p: Planned,
    head: TextWindow[],
    rest: Iterator<TextWindow>,
    opts: AddOptions,
    size: number,
    progress: { windows: number; chars: number },
    emit: () => void,
    report: AddReport,
  ): Promise<{ count: number; wasNew: number }> {
    const { doc, hash } = p;
    const puts: StoredPut[] = [];
    let pending: TextWindow[] = head;
    let cut = false;
    const charsBefore = progress.chars;
    const encodePending = async (): Promise<void> => {
      const texts = pending.map((w) => doc.text.slice(w.start, w.end));
      const encoded = await this.encodeTexts(texts, opts, size);
      pending.forEach((w, i) => {
        if (encoded[i]!.truncated) cut = true;
        const entry = windowDoc(doc, { parent: doc.id, index: w.index, start: w.start, end: w.end }, texts[i]!);
        puts.push({ record: encodeRecord(entry, encoded[i]!, this.index.options), hash });
      });
      progress.windows += pending.length;
      progress.chars = charsBefore + pending[pending.length - 1]!.end;
      pending = [];
      emit();
    };
    for (let r = rest.next(); !r.done; r = rest.next()) {
      pending.push(r.value);
      if (pending.length >= size) await encodePending();
    }
    if (pending.length > 0) await encodePending();
    throwIfAborted(opts.signal);
    // The new windows, and the removal of whatever the document was before, in one transaction.
    const wasNew = await this.commit(puts, [doc.id]);
    progress.chars = charsBefore + doc.text.length;
    if (cut) report.truncated.push(doc.id);
    return { count: puts.length, wasNew };
  }

  /** One encoder call (serialized with queries); a cancel after it applies nothing. */
  private async encodeTexts(texts: readonly string[], opts: AddOptions, batchSize: number): Promise<Encoded[]> {
    throwIfAborted(opts.signal);
    const encoded = await this.encoding.run(() => {
      throwIfAborted(opts.signal);
      return this.encoder.encode(texts, { kind: 'passage', signal: opts.signal, batchSize });
    });
    throwIfAborted(opts.signal);
    return encoded;
  }

  /**
   * The store first, then memory. Every index entry of the `removeDocs`
   * documents (a windowed document's windows, or its plain entry) that no put
   * replaces is deleted. Returns how many of the puts' documents were not
   * indexed before.
   */
  private commit(puts: readonly StoredPut[], removeDocs: readonly string[]): Promise<number> {
    return this.exclusive(() => this.commitHeld(puts, removeDocs));
  }

  /** `section` as the store's only writer, memory up to date first (see Store.exclusive). */
  private exclusive<T>(section: () => Promise<T>): Promise<T> {
    return this.store.exclusive ? this.store.exclusive(section) : section();
  }

  /** commit's body, run holding the store's lock. */
  private async commitHeld(puts: readonly StoredPut[], removeDocs: readonly string[]): Promise<number> {
    for (const { record } of puts) this.checkDims(record);
    const putIds = new Set(puts.map((p) => p.record.doc.id));
    const removeIds = this.entriesOf(removeDocs).filter((id) => !putIds.has(id));
    await this.store.write(puts, removeIds);
    const before = new Set<string>();
    for (const { record } of puts) before.add(this.ownerOf(record.doc.id, record.doc));
    const wasNew = [...before].filter((id) => !this.has(id)).length;
    for (const id of removeIds) this.dropEntry(id);
    for (const put of puts) this.applyPut(put);
    return wasNew;
  }

  /** One stored entry into memory, replacing whatever had its id. */
  private applyPut({ record, hash }: StoredPut): void {
    this.dropEntry(record.doc.id);
    this.index.addRecord(record);
    if (this.keyword) keywordAdd(this.keyword, record.doc.id, record.doc);
    const owner = this.ownerOf(record.doc.id, record.doc);
    this.hashes.set(owner, hash);
    if (owner !== record.doc.id) this.windowed.set(owner, (this.windowed.get(owner) ?? 0) + 1);
  }

  private forgetAll(): void {
    this.keyword = undefined;
    this.keywordBuild = undefined;
    this.index.clear();
    this.hashes.clear();
    this.windowed.clear();
  }

  /** Vectors must match the index's dimensions before anything is written (another model's encoder). */
  private checkDims(rec: StoredPut['record']): void {
    const { dense, multi } = this.index.dims;
    const denseLen = rec.dense.byteLength / (rec.denseKind === 'int8' ? 1 : 4);
    if ((dense !== 0 && denseLen !== dense) || (multi !== 0 && rec.multiCount > 0 && rec.multiDim !== multi)) {
      throw new M3SearchError('MODEL_MISMATCH', `The encoder produced ${denseLen}/${rec.multiDim}-dim vectors but the index holds ${dense}/${multi}.`, { id: rec.doc.id });
    }
  }

  /** Index entry ids of documents: their windows, or the plain entry. */
  private entriesOf(docIds: readonly string[]): string[] {
    const out: string[] = [];
    for (const id of docIds) {
      const n = this.windowed.get(id);
      if (n !== undefined) for (let i = 0; i < n; i++) out.push(windowId(id, i));
      else if (this.index.has(id) && !this.isWindowEntry(id)) out.push(id);
    }
    return out;
  }

  /** Removes one index entry, keeping the window and hash bookkeeping in step. */
  private dropEntry(id: string): void {
    const doc = this.index.getDoc(id);
    if (doc === undefined) return;
    this.index.remove(id);
    this.keyword?.remove(id);
    const owner = this.ownerOf(id, doc);
    if (owner === id) {
      this.hashes.delete(id);
      return;
    }
    const left = (this.windowed.get(owner) ?? 1) - 1;
    if (left > 0) this.windowed.set(owner, left);
    else {
      this.windowed.delete(owner);
      this.hashes.delete(owner);
    }
  }

  /** The document an entry belongs to: its parent for a window, else itself. */
  private ownerOf(id: string, doc: Readonly<Doc>): string {
    return isWindowDoc(doc) ? (doc.meta!.m3window as WindowMeta).parent : id;
  }

  /** Splits a call into: unchanged (skip), rewrite (fields only), encode (new or text changed). */
  private async plan(docs: readonly Doc[]): Promise<{ unchanged: number; rewrite: Planned[]; encode: Planned[] }> {
    const hashes = await Promise.all(docs.map((d) => textHash(d.text)));
    // A field-only change copies the stored vectors: bring in the token vectors still in the store first.
    const deferred = docs.filter((d, i) => this.hashes.get(d.id) === hashes[i] && !this.windowed.has(d.id) && this.index.deferredMulti(d.id) !== undefined);
    if (deferred.length > 0) await this.loadMulti(deferred.map((d) => d.id));
    const out = { unchanged: 0, rewrite: [] as Planned[], encode: [] as Planned[] };
    docs.forEach((doc, i) => {
      const hash = hashes[i]!;
      if (this.hashes.get(doc.id) !== hash) out.encode.push({ doc, hash });
      else if (this.windowed.has(doc.id)) {
        // Windows carry their parent's fields: a field change is re-encoded like a text change (rare).
        const first = this.index.getDoc(windowId(doc.id, 0));
        if (first !== undefined && sameFields(parentView(first).doc, doc)) out.unchanged++;
        else out.encode.push({ doc, hash });
      } else if (sameDoc(this.index.getDoc(doc.id), doc)) out.unchanged++;
      // The stored vectors are copied now: another tab may remove the document before the rewrite commits.
      else if (this.index.has(doc.id) && this.index.deferredMulti(doc.id) === undefined) out.rewrite.push({ doc, hash, vectors: this.index.toRecord(doc.id)! });
      else out.encode.push({ doc, hash }); // its stored vectors could not be read back: encode again
    });
    return out;
  }

  // ------------------------------------------------------------ long documents

  private mode(opts: AddOptions): LongDocuments {
    const m = opts.longDocuments ?? this.defaults.longDocuments ?? 'truncate';
    if (m !== 'truncate' && m !== 'windows') throw new M3SearchError('INVALID_OPTION', "longDocuments must be 'truncate' or 'windows'.", { longDocuments: m });
    return m;
  }

  private windowSpec(opts: AddOptions): WindowSpec {
    const { tokenizer, info } = this.encoder;
    const size = opts.windowSize ?? this.defaults.windowSize ?? info.maxLength;
    if (!Number.isInteger(size) || size < 16) throw new M3SearchError('INVALID_OPTION', 'windowSize must be an integer ≥ 16.', { windowSize: size });
    if (size > info.maxLength) {
      throw new M3SearchError('INVALID_OPTION', `windowSize ${size} exceeds the model's max length ${info.maxLength}.`, { windowSize: size });
    }
    const overlap = opts.windowOverlap ?? this.defaults.windowOverlap ?? Math.floor(size / 8);
    if (!Number.isInteger(overlap) || overlap < 0 || overlap >= size / 2) {
      throw new M3SearchError('INVALID_OPTION', 'windowOverlap must be an integer ≥ 0 and below half the window.', { windowOverlap: overlap });
    }
    return { size, overlap, count: (t) => tokenizer.ids(t, { special: false }).length };
  }

  private windowsOf(doc: Doc, spec: WindowSpec): Iterator<TextWindow> {
    return windowText(doc.text, spec.count, spec)[Symbol.iterator]();
  }

  private isWindowEntry(id: string): boolean {
    const d = this.index.getDoc(id);
    return d !== undefined && isWindowDoc(d);
  }

  /** Rebuilds the parent → window-count map from an index handed in already filled (e.g. reopened). */
  private scanWindows(): void {
    for (const id of this.index.ids()) {
      const d = this.index.peekDoc(id)!;
      if (!isWindowDoc(d)) continue;
      const m = d.meta!.m3window as WindowMeta;
      this.windowed.set(m.parent, (this.windowed.get(m.parent) ?? 0) + 1);
    }
  }
}

interface WindowSpec {
  size: number;
  overlap: number;
  count: (t: string) => number;
}

interface Planned {
  doc: Doc;
  hash: string;
  /** A field-only change: the stored vectors it keeps. */
  vectors?: StoredRecord;
}

/** Title, url and meta equal (the text is compared by hash). */
function sameFields(a: Doc, b: Doc): boolean {
  const fields = (d: Doc): string => JSON.stringify([d.title, d.url, d.meta ?? null]);
  return fields(a) === fields(b);
}

function sameDoc(a: Doc | undefined, b: Doc): boolean {
  return a !== undefined && JSON.stringify(cloneDoc(a)) === JSON.stringify(cloneDoc(b));
}

/** An entry into the keyword index: its text, and its title as the title field. */
function keywordAdd(index: KeywordIndex, id: string, doc: Readonly<Doc>): void {
  index.add({ id, text: doc.text, ...(doc.title ? { title: doc.title } : {}) });
}

/** `null` (a JSON caller's "no options") means the defaults; anything else that is not an object is INVALID_OPTION. */
function optionsObject<T extends object>(opts: T | null | undefined, what: string): T {
  if (opts === null || opts === undefined) return {} as T;
  if (typeof opts !== 'object' || Array.isArray(opts)) throw new M3SearchError('INVALID_OPTION', `${what} must be an object`, { options: String(opts) });
  return opts;
}

/** Adds how far a write got to its error, so callers know committed groups stayed. */
function withCommitted(e: unknown, done: number, total: number): unknown {
  if (!(e instanceof M3SearchError)) return e;
  return new M3SearchError(e.code, done > 0 ? `${e.message} (${done} of ${total} documents were committed before this and stay stored)` : e.message, {
    ...e.details,
    committed: done,
    total,
  });
}
