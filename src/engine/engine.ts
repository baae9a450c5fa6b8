// The engine: an encoder plus an in-memory SearchIndex. Text in, hits out.
// Environment-free — the worker, the Node CLI and the tests all use it.
//
// Long documents: with `longDocuments: 'windows'` a text longer than the
// model's window is split into overlapping windows (streamed, see
// ./windows.ts), each window is indexed as its own entry, and search folds
// window hits back into one hit per document (best window = snippet).
import type { Encoder } from '../core/encoder.js';
import { M3SearchError, throwIfAborted } from '../core/errors.js';
import { SearchIndex } from '../core/search-index.js';
import type { SparsityReport } from '../core/sparsity.js';
import type { Doc, Encoded, Hit, IndexOptions, SearchOptions } from '../core/types.js';
import { aggregateWindows, isWindowDoc, parentView, windowDoc, windowId, type Aggregation, type WindowMeta } from './long-docs.js';
import { validateDocs } from './validate.js';
import { windowBudget, windowText, type TextWindow } from './windows.js';

export interface AddProgress {
  /** Documents finished. */
  done: number;
  total: number;
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
  batchSize?: number;
}

export interface AddReport {
  added: number;
  /** Ids whose text was longer than the model's limit and was cut (never silent). */
  truncated: string[];
  /** Ids indexed as several windows, with their window counts. */
  windowed?: Record<string, number>;
}

export type EngineSearchOptions = SearchOptions & {
  signal?: AbortSignal;
  /** Window aggregation for this search (default: the engine's). */
  aggregate?: Aggregation;
};

/** Window fan-out: window hits fetched per requested document hit, so k distinct documents survive grouping. */
const WINDOW_FANOUT = 4;

export class M3Search {
  readonly index: SearchIndex;
  private readonly encoder: Encoder;
  private readonly defaults: LongDocumentOptions;
  /** Parent id → number of windows, for documents indexed as windows. */
  private readonly windowed = new Map<string, number>();

  constructor(encoder: Encoder, index: SearchIndex | IndexOptions = {}, defaults: LongDocumentOptions = {}) {
    this.encoder = encoder;
    this.index = index instanceof SearchIndex ? index : new SearchIndex(index);
    this.defaults = { ...defaults };
    if (index instanceof SearchIndex) this.scanWindows();
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

  /** Encodes and adds documents. The batch is all-or-nothing: a bad document (or a cancel) adds none of them. */
  async add(docs: readonly Doc[], opts: AddOptions = {}): Promise<AddReport> {
    validateDocs(docs, (id) => this.has(id));
    if (this.mode(opts) === 'windows') return this.addWindowed(docs, opts, false);
    const encoded = await this.encodePassages(docs, opts);
    docs.forEach((d, i) => this.index.add(d, encoded[i]!));
    return { added: docs.length, truncated: docs.filter((_, i) => encoded[i]!.truncated).map((d) => d.id) };
  }

  /** Replaces documents by id (adds them when absent). */
  async update(docs: readonly Doc[], opts: AddOptions = {}): Promise<AddReport> {
    validateDocs(docs, () => false);
    if (this.mode(opts) === 'windows' || docs.some((d) => this.windowed.has(d.id))) return this.addWindowed(docs, opts, true);
    const encoded = await this.encodePassages(docs, opts);
    docs.forEach((d, i) => this.index.upsert(d, encoded[i]!));
    return { added: docs.length, truncated: docs.filter((_, i) => encoded[i]!.truncated).map((d) => d.id) };
  }

  /** One encoder pass over whole documents; a cancel after it still applies nothing. */
  private async encodePassages(docs: readonly Doc[], opts: AddOptions): Promise<Encoded[]> {
    const encoded = await this.encoder.encode(docs.map((d) => d.text), {
      kind: 'passage',
      signal: opts.signal,
      batchSize: opts.batchSize,
      onProgress: opts.onProgress,
    });
    throwIfAborted(opts.signal);
    return encoded;
  }

  remove(id: string): boolean {
    const n = this.windowed.get(id);
    if (n === undefined) return this.isWindowEntry(id) ? false : this.index.remove(id);
    for (let i = 0; i < n; i++) this.index.remove(windowId(id, i));
    this.windowed.delete(id);
    return true;
  }

  /** L0 (non-zero count) distribution of indexed documents' and recent queries' sparse vectors. */
  sparsity(): SparsityReport {
    return this.index.sparsity();
  }

  async search(query: string, opts: EngineSearchOptions = {}): Promise<Hit[]> {
    if (typeof query !== 'string' || query.trim() === '') {
      throw new M3SearchError('EMPTY_QUERY', 'The query is empty; type at least one word.');
    }
    if (this.index.size === 0) {
      throw new M3SearchError('INDEX_EMPTY', 'Nothing is indexed yet; add documents before searching.');
    }
    const [q] = await this.encoder.encode([query], { kind: 'query', signal: opts.signal });
    throwIfAborted(opts.signal);
    if (this.windowed.size === 0) return this.index.search(q!, opts);
    // Window entries carry their parent's title/url/meta; a filter sees the parent document.
    const { aggregate = this.defaults.aggregate ?? 'max', filter, ...rest } = opts;
    const k = rest.k ?? 10;
    const wrapped = filter === undefined ? undefined : (d: Readonly<Doc>): boolean => filter(parentView(d).doc);
    // More window hits than documents asked for, but first-stage depth as for k documents
    // (the default would grow with the inflated k and re-rank every window).
    const candidates = rest.candidates ?? Math.max(100, 10 * k);
    const raw = this.index.search(q!, { ...rest, k: k * WINDOW_FANOUT + 10, candidates, filter: wrapped });
    return aggregateWindows(raw, k, aggregate, (id) => this.windowed.get(id) ?? 1);
  }

  // ------------------------------------------------------------ long documents

  private mode(opts: AddOptions): LongDocuments {
    const m = opts.longDocuments ?? this.defaults.longDocuments ?? 'truncate';
    if (m !== 'truncate' && m !== 'windows') throw new M3SearchError('INVALID_OPTION', "longDocuments must be 'truncate' or 'windows'.", { longDocuments: m });
    return m;
  }

  private windowSpec(opts: AddOptions): { size: number; overlap: number; count: (t: string) => number } {
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

  /**
   * Adds documents, splitting long ones into windows. Windows are produced,
   * encoded and indexed a batch at a time, so memory holds one batch of
   * vectors, not a whole document's. On any failure (or cancel) everything
   * this call added is removed again — and, for an update, nothing old is
   * removed until the new version is fully indexed.
   */
  private async addWindowed(docs: readonly Doc[], opts: AddOptions, replace: boolean): Promise<AddReport> {
    const spec = this.windowSpec(opts);
    const batchSize = opts.batchSize ?? 8;
    const charsTotal = docs.reduce((n, d) => n + d.text.length, 0);
    const added: string[] = [];
    const staged = new Map<string, number>(); // parent → windows, committed at the end
    const truncated: string[] = [];
    const windowedReport: Record<string, number> = {};
    let charsBefore = 0;
    let windows = 0;
    // Ids of this call's entries must not collide with what stays indexed.
    const stagingPrefix = replace ? `\u0000staging\u0000` : '';
    try {
      for (let di = 0; di < docs.length; di++) {
        const doc = docs[di]!;
        let pending: { doc: Doc; text: string }[] = [];
        let count = 0;
        let cut = false;
        const flush = async (): Promise<void> => {
          if (pending.length === 0) return;
          throwIfAborted(opts.signal);
          const enc = await this.encoder.encode(
            pending.map((p) => p.text),
            { kind: 'passage', signal: opts.signal, batchSize },
          );
          throwIfAborted(opts.signal);
          pending.forEach((p, i) => {
            if (enc[i]!.truncated) cut = true;
            this.index.add(p.doc, enc[i]!);
            added.push(p.doc.id);
          });
          windows += pending.length;
          const last = pending[pending.length - 1]!.doc;
          const end = isWindowDoc(last) ? (last.meta!.m3window as WindowMeta).end : doc.text.length;
          opts.onProgress?.({ done: di, total: docs.length, windows, chars: charsBefore + end, charsTotal });
          pending = [];
        };
        // A token spans at least one character, so this many characters always fit one window.
        const fits = doc.text.length <= windowBudget(spec.size);
        const iter: Iterable<TextWindow> = fits ? [{ index: 0, start: 0, end: doc.text.length, tokens: 0 }] : windowText(doc.text, spec.count, spec);
        let first: TextWindow | undefined;
        for (const w of iter) {
          if (w.index === 0) {
            first = w;
            continue; // held back: a single window is stored as a plain document
          }
          if (w.index === 1) pending.push(this.windowEntry(doc, first!, stagingPrefix));
          pending.push(this.windowEntry(doc, w, stagingPrefix));
          count = w.index + 1;
          if (pending.length >= batchSize) await flush();
        }
        if (count === 0) {
          // Short enough for one pass: index the document as is.
          pending.push({ doc: { ...doc, id: stagingPrefix + doc.id }, text: doc.text });
        } else {
          staged.set(doc.id, count);
          windowedReport[doc.id] = count;
        }
        await flush();
        if (cut) truncated.push(doc.id);
        charsBefore += doc.text.length;
        opts.onProgress?.({ done: di + 1, total: docs.length, windows, chars: charsBefore, charsTotal });
      }
    } catch (e) {
      for (const id of added) this.index.remove(id);
      throw e;
    }
    if (replace) this.commitReplacement(docs, added, stagingPrefix);
    for (const [id, n] of staged) this.windowed.set(id, n);
    const report: AddReport = { added: docs.length, truncated };
    if (staged.size > 0) report.windowed = windowedReport;
    return report;
  }

  /** An update's new entries were indexed under staging ids; swap them in for the old versions. */
  private commitReplacement(docs: readonly Doc[], added: readonly string[], prefix: string): void {
    for (const d of docs) this.remove(d.id);
    for (const staged of added) {
      const rec = this.index.toRecord(staged)!;
      this.index.remove(staged);
      const id = staged.slice(prefix.length);
      this.index.addRecord({ ...rec, doc: { ...rec.doc, id } });
    }
  }

  private windowEntry(doc: Doc, w: TextWindow, prefix: string): { doc: Doc; text: string } {
    const text = doc.text.slice(w.start, w.end);
    const entry = windowDoc(doc, { parent: doc.id, index: w.index, start: w.start, end: w.end }, text);
    return { doc: { ...entry, id: prefix + entry.id }, text };
  }

  private isWindowEntry(id: string): boolean {
    const d = this.index.getDoc(id);
    return d !== undefined && isWindowDoc(d);
  }

  /** Rebuilds the parent → window-count map from an index handed in already filled (e.g. reopened). */
  private scanWindows(): void {
    for (const id of this.index.ids()) {
      const d = this.index.getDoc(id)!;
      if (!isWindowDoc(d)) continue;
      const m = d.meta!.m3window as WindowMeta;
      this.windowed.set(m.parent, Math.max(this.windowed.get(m.parent) ?? 0, m.index + 1));
    }
  }
}
