// Query-time search over a static index, fetching only what a query needs:
// the keyword shards its words fall in (keyword mode), the postings shards its
// sparse tokens hash to, the dense files (dense, hybrid), the
// multi-vector shards of the candidates whose token vectors get scored and the
// metadata shards of the hits. Ranking is the core's (src/core/rank.ts): this
// module only decides where bytes come from. Environment-free: `load(file)`
// may fetch, read IndexedDB or disk.
import { Analyzer } from '../core/analyzer.js';
import { bm25QueryWeight } from '../core/bm25.js';
import { DenseMatrix, SCAN_ROWS } from '../core/dense-matrix.js';
import { M3SearchError } from '../core/errors.js';
import { maxSimKernel } from '../core/maxsim-kernel.js';
import type { MaxSimOptions } from '../core/multi-index.js';
import { resolveSearchOptions } from '../core/options.js';
import { float16ToFloat32 } from '../core/quantize.js';
import { compare, holdsPhrase, planKeywordQuery, queryLookups, resolveKeywordPlan, type KeywordPlanOptions, type KeywordVocabulary, type SurfaceEntry } from '../core/keyword-plan.js';
import { loadStemmersOf, type Stemmer } from '../core/stemmers.js';
import { prepareRankQuery, rankLoading, type RankNeed, type RankSource } from '../core/rank.js';
import { signalsAt, type Scorers } from '../core/signal-table.js';
import type { SlotHit, SlotSearchOptions } from '../core/slots.js';
import { TopK } from '../core/topk.js';
import type { Encoded, Mode, SearchOptions, Signal, SignalScore, SparseVector } from '../core/types.js';
import { SignScorer } from '../core/sign-bits.js';
import {
  decodeBitsShard,
  decodeDenseShard,
  denseShardBytes,
  ROW_HASH_BYTES,
  rowBlockName,
  type BitsShard,
  decodeMetaShard,
  decodeMultiShard,
  decodePostingsShard,
  postingsShardOf,
  rangeFileOf,
  type DenseShard,
  type MultiShard,
  type PostingsShard,
  type TermPostings,
} from './shards.js';
import { checkManifest, checkMultiTable, invalidFile, isOfflineError, verifyFileHash } from './integrity.js';
import { ByteLru } from './byte-lru.js';
import { gunzip } from './gzip.js';
import { decodeKeywordShard, keywordShardOf, keywordWeight, type KeywordEntry, type KeywordShard } from './keyword-shards.js';
import type { PassageMeta, RangeFile, SiteManifest } from './types.js';
import { decodeVocabShard, QueryVocabulary, type QueryTokenizerFile, type TokenizerLike, type VocabShard } from './query-vocab.js';

/** The engine's modes: `keyword` needs no model and no tokenizer. */
export type SiteMode = Mode;

export interface RankedPassage {
  passage: number;
  score: number;
  /** Each signal's own score and rank among the candidates (as on an engine Hit). */
  signals: Partial<Record<Signal | 'keyword', SignalScore>>;
}

/** Keyword query rules (the core planner's, keyword-plan.ts): as-you-type, typos, phrases, minimum match. */
export type KeywordQueryOptions = Partial<KeywordPlanOptions>;

/** Completions of the word being typed come from at most this many keyword shards (a short prefix spans many). */
const PREFIX_SHARDS = 2;
/** Candidates whose text is checked for a quoted phrase, best first. */
const PHRASE_CHECKS = 200;

/**
 * Search options of a static index: the engine's vocabulary (`SearchOptions`),
 * without `filter` (documents are not loaded before ranking). Defaults are the
 * engine's, except `coarseBudget`, which is 0 here: token vectors are fetched
 * over the network, so only the `coarseDepth` best by dense + sparse get them.
 */
export type SiteSearchOptions = Omit<SearchOptions, 'filter'>;

export type LoadFile = (file: string) => Promise<Uint8Array>;

/**
 * Decoded files a reader keeps by default beyond the dense shards (counted by file size): a long
 * visit stays under it. The dense shards are added on top, since every hybrid query scans them all.
 */
export const DEFAULT_DECODED_BYTES = 16 << 20;

export interface SiteIndexReaderOptions {
  /** Budget of the decoded-file cache, in file bytes (least recently used files go first). */
  cacheBytes?: number;
  /**
   * Rank dense rows through the index's 1-bit first pass when it has one
   * (default true): sign codes of every passage, int8 rows of the best only.
   * False scans every int8 row, as on an index without the pass.
   */
  denseBits?: boolean;
}

/**
 * Passages whose int8 rows the 1-bit pass fetches and rescores: the best
 * `max(RESCORE_FACTOR × k, first-stage depth)` by sign code (the first-stage
 * depth is `candidates`, or `k` in dense mode), plus the sparse first stage's
 * candidates, whose dense score the fused ranking needs too.
 */
export const RESCORE_FACTOR = 4;

/** How many passages the 1-bit pass rescores for a query asking `k` hits with first-stage depth `depth`. */
export function rescoreDepth(k: number, depth: number): number {
  return Math.max(RESCORE_FACTOR * k, depth);
}

export class SiteIndexReader {
  readonly manifest: SiteManifest;
  private readonly load: LoadFile;
  /** Decoded files, bounded by bytes: the one copy of a shard the reader keeps. */
  private readonly decoded: ByteLru<unknown>;
  /** Loads in flight, so concurrent queries share one fetch. */
  private readonly pending = new Map<string, Promise<unknown>>();
  /** Byte length of each file as the manifest (or the multi-vector table, or a sign-code file) declares it. */
  private readonly sizes = new Map<string, number>();
  /** Whether dense scores come from the 1-bit pass (the index has one and the reader was not told otherwise). */
  private readonly useBits: boolean;
  /** Rows rescored by one query, in one matrix so the scan is the full scan's kernel (same arithmetic, same scores). */
  private rescoreRows?: DenseMatrix;

  /** Checks the manifest's shape (INVALID_INDEX naming manifest.json) before anything is sized from it. */
  constructor(manifest: SiteManifest, load: LoadFile, opts: SiteIndexReaderOptions = {}) {
    this.manifest = checkManifest(manifest, 'manifest.json');
    this.load = load;
    this.useBits = opts.denseBits !== false && this.manifest.shards.dense.bits !== undefined;
    this.decoded = new ByteLru(opts.cacheBytes ?? DEFAULT_DECODED_BYTES + (this.manifest.bytes?.dense ?? 0));
    const s = this.manifest.shards;
    for (const f of [...s.dense.files, ...s.meta.files, ...(s.dense.bits?.files ?? [])]) this.sizes.set(f.file, f.bytes);
    s.postings.files.forEach((f, i) => this.sizes.set(f, s.postings.bytes[i]!));
    for (const f of s.keyword.files) this.sizes.set(f.file, f.bytes);
    this.keywordFirsts = s.keyword.files.map((f) => f.first);
    if (s.multi.table) this.sizes.set(s.multi.table.file, s.multi.table.bytes);
    if (s.vocab) for (const f of [s.vocab.tokenizer, ...s.vocab.files]) this.sizes.set(f.file, f.bytes);
  }

  /** Whether queries are built from the shipped vocabulary (a doc-only model): no model to load. */
  get inferenceFree(): boolean {
    return this.manifest.model?.query === 'idf' && this.manifest.shards.vocab !== undefined;
  }

  private queryVocab?: Promise<QueryVocabulary>;

  /**
   * A doc-only index's query vector: the query's token ids with postings,
   * weighted by idf, exactly as the full tokenizer and idf table give them
   * (src/model/splade-query.ts), built from the tokenizer file and the vocabulary
   * shards the query's words need. A BERT WordPiece tokenizer runs without the
   * tokenizer library; any other imports it here, on first use.
   */
  async idfQuery(text: string): Promise<SparseVector> {
    const v = this.manifest.shards.vocab;
    if (!this.inferenceFree || !v) throw new M3SearchError('INVALID_OPTION', 'This index was not built with a doc-only model: its queries are encoded by the model.');
    this.queryVocab ??= (async () => {
      // A Unigram vocabulary always needs the tokenizer library: its import starts beside the tokenizer file's fetch.
      const library = v.model === 'WordPiece' ? undefined : import('@huggingface/tokenizers');
      void library?.catch(() => undefined); // awaited below; a failure there is the query's
      const file = await this.file(v.tokenizer.file, async (b) => parseQueryTokenizer(new TextDecoder('utf-8', { fatal: true }).decode(await gunzip(b))));
      // BERT WordPiece runs as the page's own small tokenizer (bert-wordpiece.ts): the library is never imported.
      const { Tokenizer } = QueryVocabulary.needsLibrary(v.model, file) ? await (library ?? import('@huggingface/tokenizers')) : { Tokenizer: undefined };
      const info = { ...v, firsts: v.files.map((f) => f.first) };
      const shard = (i: number): Promise<VocabShard> =>
        this.file(v.files[i]!.file, async (b) => {
          const s = decodeVocabShard(await gunzip(b), v.model, v.vocabSize);
          if (s.shard !== i) throw new RangeError(`holds vocabulary shard ${s.shard}, the manifest lists it as ${i}`);
          return s;
        });
      const create = Tokenizer && ((json: Record<string, unknown>, config: Record<string, unknown>) => new Tokenizer(json as never, config as never) as unknown as TokenizerLike & { model: unknown });
      return new QueryVocabulary(info, file, shard, create);
    })();
    // A failed first load must not stick: the next query tries again.
    const qv = await this.queryVocab.catch((e: unknown) => {
      this.queryVocab = undefined;
      throw e;
    });
    return qv.vector(text);
  }

  /** Bytes (file sizes) of the decoded files held now. */
  get cachedBytes(): number {
    return this.decoded.bytes;
  }

  /**
   * Each file is fetched and decoded once while it stays in the cache. Every failure is
   * INVALID_INDEX naming the file: unreadable, not the declared size, not the
   * SHA-256 its name carries, or not decodable. Only an unreachable network
   * (the loader's `reason: 'offline'`) is told apart.
   */
  private file<T>(name: string, decode: (b: Uint8Array) => T | Promise<T>): Promise<T> {
    const hit = this.decoded.get(name) as T | undefined;
    if (hit !== undefined) return Promise.resolve(hit);
    let p = this.pending.get(name) as Promise<T> | undefined;
    if (!p) {
      const loaded = this.load(name).catch((e: unknown) => {
        if (e instanceof M3SearchError) throw e;
        throw invalidFile(name, `Cannot read ${name}: ${(e as Error)?.message ?? String(e)}`, 'missing');
      });
      p = loaded.then(async (bytes) => {
        const want = this.sizes.get(name);
        if (want !== undefined && bytes.length !== want) throw invalidFile(name, `${name} is ${bytes.length} bytes, the index says ${want}.`, 'size');
        await verifyFileHash(name, bytes);
        try {
          const value = await decode(bytes);
          this.decoded.set(name, value, bytes.length);
          return value;
        } catch (e) {
          // A file that arrived but does not decode is a broken index, named as such (not a network failure).
          if (e instanceof M3SearchError && e.code === 'INVALID_INDEX' && e.details?.file === name) throw e;
          throw invalidFile(name, `${name} is not a valid m3search shard: ${(e as Error).message}`, 'decode');
        }
      });
      // Settled loads leave `pending` (a failed one must not stick: the next query tries again).
      p.then(
        () => this.pending.delete(name),
        () => this.pending.delete(name),
      );
      this.pending.set(name, p);
    }
    return p;
  }

  private postingsShard(i: number): Promise<PostingsShard> {
    const { count } = this.manifest.shards.postings;
    const n = this.manifest.counts.passages;
    return this.file(this.manifest.shards.postings.files[i]!, (b) => {
      const s = decodePostingsShard(b);
      if (s.shard !== i) throw new RangeError(`holds postings shard ${s.shard}, the manifest lists it as ${i}`);
      for (const t of s.terms.values()) {
        if (postingsShardOf(t.token, count) !== i) throw new RangeError(`token ${t.token} does not belong in shard ${i} of ${count}`);
        const last = t.passages[t.passages.length - 1] ?? -1;
        if (last >= n) throw new RangeError(`token ${t.token} names passage ${last} of ${n}`);
      }
      return s;
    });
  }

  /** Postings of the given tokens (absent tokens are left out). */
  async postings(tokens: Iterable<number>): Promise<Map<number, TermPostings>> {
    const count = this.manifest.shards.postings.count;
    const want = [...new Set(tokens)];
    const shards = await Promise.all([...new Set(want.map((t) => postingsShardOf(t, count)))].map((s) => this.postingsShard(s)));
    const bySlot = new Map(shards.map((s) => [s.shard, s]));
    const out = new Map<number, TermPostings>();
    for (const t of want) {
      const p = bySlot.get(postingsShardOf(t, count))?.terms.get(t);
      if (p) out.set(t, p);
    }
    return out;
  }

  private keywordShard(i: number): Promise<KeywordShard> {
    const n = this.manifest.counts.passages;
    return this.file(this.manifest.shards.keyword.files[i]!.file, async (b) => {
      const s = decodeKeywordShard(await gunzip(b), n);
      if (s.shard !== i) throw new RangeError(`holds keyword shard ${s.shard}, the manifest lists it as ${i}`);
      return s;
    });
  }

  /** Each keyword shard's first key, in order (what a key's shard is looked up in). */
  private readonly keywordFirsts: readonly string[];

  /** Stemmers loaded so far, and the analyzer built over them. */
  private readonly stemmers: Record<string, Stemmer> = {};
  private analyzerOver: { langs: string; analyzer: Analyzer } | undefined;

  /**
   * The analyzer the index was built with, holding the stemmers `text` needs:
   * each is a small module loaded the first time a query needs it (an English
   * site with a few Greek words loads the Greek stemmer only for a Greek query).
   */
  async analyzer(text = ''): Promise<Analyzer> {
    const a = this.manifest.keyword.analyzer;
    const build = (): Analyzer => new Analyzer({ language: a.language ?? undefined, stemmers: { ...this.stemmers }, wordGrams: a.wordGrams });
    // Which stemmers a text needs does not depend on those loaded: the current analyzer can tell.
    this.analyzerOver ??= { langs: '', analyzer: build() };
    const need = this.analyzerOver.analyzer.stemLanguagesOf(text).filter((l) => a.stemmers.includes(l) && !this.stemmers[l]);
    if (need.length > 0) Object.assign(this.stemmers, await loadStemmersOf(need));
    const langs = Object.keys(this.stemmers).sort().join(',');
    if (this.analyzerOver.langs !== langs) this.analyzerOver = { langs, analyzer: build() };
    return this.analyzerOver.analyzer;
  }

  /** Loads every stemmer the index was built with (the offline copy does, so keyword search needs no network later). */
  async loadAllStemmers(): Promise<void> {
    const missing = this.manifest.keyword.analyzer.stemmers.filter((l) => !this.stemmers[l]);
    if (missing.length > 0) Object.assign(this.stemmers, await loadStemmersOf(missing));
  }

  /**
   * Keyword search (no model, no tokenizer): the query analyzed as the
   * passages were, the keyword shards of its words (and of the completions of
   * the word being typed) fetched, the core's planner applied (prefix, typos
   * among the words those shards hold, phrases, minimum match) and BM25
   * summed over the postings. Empty when the query fails the minimum match.
   */
  async keyword(query: string, k = 10, opts: KeywordQueryOptions = {}): Promise<RankedPassage[]> {
    const o = resolveKeywordPlan(opts);
    const analyzer = await this.analyzer(query);
    const firsts = this.keywordFirsts;
    const { keys, prefixes } = queryLookups(analyzer, query, o.prefix);
    const want = new Set(keys.map((key) => keywordShardOf(firsts, key)));
    for (const p of prefixes) {
      const from = keywordShardOf(firsts, p);
      const to = Math.min(keywordShardOf(firsts, `${p}\uffff`), from + PREFIX_SHARDS - 1);
      for (let i = from; i <= to; i++) want.add(i);
    }
    const vocab = new ShardVocabulary(await Promise.all([...want].map((i) => this.keywordShard(i))));
    const plan = planKeywordQuery(analyzer, vocab, query, o);
    if (!plan) return [];
    // Completions and corrections name terms that may sit in shards not fetched yet.
    const more = [...new Set(plan.terms.map((t) => keywordShardOf(firsts, t.term)))].filter((i) => !want.has(i));
    vocab.add(await Promise.all(more.map((i) => this.keywordShard(i))));
    const n = this.manifest.counts.passages;
    const k1 = this.manifest.keyword.k1;
    const acc = new Map<number, number>();
    for (const { term, boost } of plan.terms) {
      const p = vocab.postings(term);
      if (!p) continue;
      const wq = bm25QueryWeight(boost, n, p.passages.length);
      for (let j = 0; j < p.passages.length; j++) acc.set(p.passages[j]!, (acc.get(p.passages[j]!) ?? 0) + wq * keywordWeight(p.weights[j]!, k1));
    }
    let ranked = [...acc].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    if (plan.phrases.length > 0) ranked = await this.withPhrases(analyzer, ranked.slice(0, PHRASE_CHECKS), plan.phrases, k);
    return ranked.slice(0, k).map(([passage, score], i) => ({ passage, score, signals: { keyword: { score, rank: i + 1 } } }));
  }

  /** The candidates (best first) whose title, heading or text hold every phrase, up to `k`. */
  private async withPhrases(analyzer: Analyzer, ranked: [number, number][], phrases: string[][], k: number): Promise<[number, number][]> {
    const out: [number, number][] = [];
    const metas = await this.meta(ranked.map(([p]) => p));
    ranked.forEach((r, i) => {
      if (out.length >= k) return;
      const m = metas[i]!;
      const fields = [m.title, m.heading, m.text].map((t) => analyzer.words(t).flatMap((w) => w.positional));
      if (phrases.every((ph) => fields.some((f) => holdsPhrase(f, ph)))) out.push(r);
    });
    return out;
  }

  /**
   * Ranks passages for an encoded query through the core's ranking path,
   * fetching the dense shards (when the query has a dense part), the postings
   * of its sparse ids, and the multi-vector shards of the candidates whose
   * token vectors are scored. Multi-vector shards are not kept in the offline
   * copy: when they cannot be fetched, the multi signal is left out.
   */
  async search(query: Encoded, opts: SiteSearchOptions = {}): Promise<RankedPassage[]> {
    if ((opts as SearchOptions).filter !== undefined) {
      throw new M3SearchError('INVALID_OPTION', 'filter is not available on a static site index: its documents are fetched only for the hits.');
    }
    const o = resolveSearchOptions({ coarseBudget: 0, ...opts });
    const m = this.manifest;
    if (!m.model) throw new M3SearchError('INVALID_OPTION', `This index is keyword-only (built without a model): the ${o.mode} mode needs vectors.`, { mode: o.mode });
    const dims = { dense: m.model.denseDim, multi: m.shards.multi.storage === 'none' ? 0 : m.model.multiDim };
    const q = prepareRankQuery(query, dims, this.multiLayout.layout === 'nested', o);
    const needDense = q.dense !== undefined && o.mode !== 'sparse';
    const sparseP = q.sparse ? this.sparseScores(q.sparse) : Promise.resolve(undefined);
    // Awaited below, after the dense scores: a failure is thrown there, not left unhandled meanwhile.
    sparseP.catch(() => undefined);
    let dense: DenseScores | undefined;
    if (needDense && this.useBits) {
      // The sparse first stage's candidates need exact dense scores too (the fused ranking reads them).
      const depth = o.mode === 'dense' ? o.k : o.candidates;
      const extra = o.mode === 'dense' ? Promise.resolve([]) : sparseP.then((sp) => (sp ? topOf(sp, o.candidates, undefined, (p) => p).map((h) => h.slot) : []));
      dense = await this.denseByBits(q.dense!, rescoreDepth(o.k, depth), extra).catch((e: unknown) => {
        // Offline: the row blocks are not in the offline copy, the full dense files are.
        if (isOfflineError(e)) return this.denseScores(q.dense!);
        throw e;
      });
    } else if (needDense) dense = await this.denseScores(q.dense!);
    const sparse = await sparseP;
    const source = new ShardSource(m.counts.passages, dims.multi, dense, sparse);
    const order = (p: number): number => p;
    const { table, hits } = await rankLoading(source, q, o, { order }, (need) => this.loadMulti(source, need));
    return hits.map((h) => ({ passage: table.slots[h.row]!, score: h.score, signals: signalsAt(table, h.row) }));
  }

  /** Fetches the multi-vector shards holding `need.multi`; false when they cannot be had. */
  private async loadMulti(source: ShardSource, need: RankNeed): Promise<boolean> {
    try {
      const files = await this.multiFiles();
      const wanted = [...new Set(need.multi.map((p) => rangeFileOf(files, p)).filter((i) => i >= 0))];
      const shards = await Promise.all(wanted.map((i) => this.file(files[i]!.file, (b) => this.checkMulti(decodeMultiShard(b), files[i]!))));
      for (const s of shards) source.addMulti(s);
      return true;
    } catch (e) {
      // Offline (the copy never holds multi-vectors): rank without them. A broken or missing shard is an error.
      if (isOfflineError(e)) return false;
      throw e;
    }
  }

  /** A multi-vector shard agrees with its table entry and the manifest. */
  private checkMulti(s: MultiShard, f: RangeFile): MultiShard {
    const m = this.manifest;
    const { maxRows, layout } = this.multiLayout;
    if (s.first !== f.first || s.rows.length !== f.count) throw new RangeError(`holds passages ${s.first}+${s.rows.length}, the table says ${f.first}+${f.count}`);
    if (s.dim !== m.model!.multiDim) throw new RangeError(`holds ${s.dim}-dim rows, the manifest says ${m.model!.multiDim}`);
    for (const row of s.rows) {
      if (row && row.kind !== m.shards.multi.storage) throw new RangeError(`holds ${row.kind} rows, the manifest says ${m.shards.multi.storage}`);
      if (row && layout === 'nested' && maxRows !== null && row.count > maxRows) throw new RangeError(`a passage has ${row.count} rows, the cap is ${maxRows}`);
    }
    return s;
  }

  /** Learned-sparse scores of every passage sharing an id with the query. */
  private async sparseScores(q: SparseVector): Promise<Map<number, number>> {
    const postings = await this.postings(q.ids);
    const acc = new Map<number, number>();
    for (let i = 0; i < q.ids.length; i++) {
      const p = postings.get(q.ids[i]!);
      if (p && q.weights[i] !== 0) accumulate(acc, p.passages, p.weights, q.weights[i]!);
    }
    return acc;
  }

  /** Dense dot products of every passage, scanned shard by shard with the core's kernel. */
  private async denseScores(qv: Float32Array): Promise<Float32Array> {
    const m = this.manifest;
    const shards = await Promise.all(
      m.shards.dense.files.map((f) =>
        this.file<DenseShard>(f.file, (b) => {
          const s = decodeDenseShard(b);
          if (s.first !== f.first || s.count !== f.count) throw new RangeError(`holds passages ${s.first}+${s.count}, the manifest says ${f.first}+${f.count}`);
          if (s.dim !== m.model!.denseDim) throw new RangeError(`holds ${s.dim}-dim vectors, the manifest says ${m.model!.denseDim}`);
          return s;
        }),
      ),
    );
    // Sized only once every shard has arrived at its declared size: a forged count cannot allocate more than the files hold.
    const out = new Float32Array(m.counts.passages);
    for (const [i, s] of shards.entries()) {
      if (s.dim !== qv.length) {
        throw new M3SearchError('INVALID_INDEX', `${m.shards.dense.files[i]!.file} holds ${s.dim}-dim vectors but the query has ${qv.length}: the index was built with another model.`, {
          file: m.shards.dense.files[i]!.file,
        });
      }
      const matrix = scannable(s);
      for (let from = 0; from < s.count; from += SCAN_ROWS) {
        const n = Math.min(SCAN_ROWS, s.count - from);
        const dots = matrix.scan(qv, from, n);
        for (let i = 0; i < n; i++) out[s.first + from + i] = dots[i]! * s.scales[from + i]!;
      }
    }
    return out;
  }

  /** The sign-code files of the 1-bit pass, each checked against the manifest. */
  private signCodes(): Promise<BitsShard[]> {
    const m = this.manifest;
    const bits = m.shards.dense.bits!;
    return Promise.all(
      bits.files.map((f) =>
        this.file<BitsShard>(f.file, (b) => {
          const s = decodeBitsShard(b);
          if (s.first !== f.first || s.count !== f.count) throw new RangeError(`holds passages ${s.first}+${s.count}, the manifest says ${f.first}+${f.count}`);
          if (s.dim !== m.model!.denseDim || s.blockRows !== bits.blockRows) throw new RangeError(`holds ${s.dim}-dim codes in blocks of ${s.blockRows}, the manifest says ${m.model!.denseDim} and ${bits.blockRows}`);
          return s;
        }),
      ),
    );
  }

  /**
   * Dense scores through the 1-bit pass: every passage scored from its sign
   * code, the int8 row blocks of the best `depth` and of `extra` fetched, and
   * those passages scored exactly as the full scan scores them. Only they
   * have a dense score.
   */
  private async denseByBits(qv: Float32Array, depth: number, extra: Promise<number[]>): Promise<Map<number, number>> {
    const m = this.manifest;
    const { blockRows, files } = m.shards.dense.bits!;
    const dim = m.model!.denseDim;
    const [codes, more] = await Promise.all([this.signCodes(), extra]);
    if (qv.length !== dim) {
      throw new M3SearchError('INVALID_INDEX', `${files[0]!.file} holds ${dim}-dim codes but the query has ${qv.length}: the index was built with another model.`, { file: files[0]!.file });
    }
    const approx = new Float32Array(m.counts.passages);
    const scorer = new SignScorer(qv);
    for (const s of codes) scorer.scoreInto(s.codes, s.count, approx, s.first);
    const pool = new Set(topOf(approx, depth, undefined, (p) => p).map((h) => h.slot));
    for (const p of more) pool.add(p);
    const passages = [...pool].sort((a, b) => a - b);
    const blocks = [...new Set(passages.map((p) => Math.floor(p / blockRows)))];
    const n = m.counts.passages;
    const rows = new Map(
      await Promise.all(
        blocks.map(async (block): Promise<[number, DenseShard]> => {
          const first = block * blockRows;
          const count = Math.min(blockRows, n - first);
          const s = codes[rangeFileOf(files, first)]!;
          const name = rowBlockName(block, s.hashes, block - s.first / blockRows);
          this.sizes.set(name, denseShardBytes(count, dim));
          const shard = await this.file<DenseShard>(name, (b) => {
            const d = decodeDenseShard(b);
            if (d.first !== first || d.count !== count || d.dim !== dim) throw new RangeError(`holds passages ${d.first}+${d.count} of ${d.dim} dims, expected ${first}+${count} of ${dim}`);
            return d;
          });
          return [block, shard];
        }),
      ),
    );
    // One matrix of the pool's rows, scanned by the kernel the full scan uses: the same scores, bit for bit.
    if (this.rescoreRows?.dim !== dim) this.rescoreRows = new DenseMatrix('int8', dim);
    const matrix = this.rescoreRows;
    matrix.reserve(passages.length);
    const target = matrix.rows as Int8Array;
    const scales = new Float32Array(passages.length);
    passages.forEach((p, i) => {
      const s = rows.get(Math.floor(p / blockRows))!;
      const at = p - s.first;
      target.set(s.q.subarray(at * dim, (at + 1) * dim), i * dim);
      scales[i] = s.scales[at]!;
    });
    const out = new Map<number, number>();
    for (let from = 0; from < passages.length; from += SCAN_ROWS) {
      const k = Math.min(SCAN_ROWS, passages.length - from);
      const dots = matrix.scan(qv, from, k);
      // float32, as the full scan's score array holds them.
      for (let i = 0; i < k; i++) out.set(passages[from + i]!, Math.fround(dots[i]! * scales[from + i]!));
    }
    return out;
  }

  /** Rows per passage and cap, as the manifest records them (older builds: every token row). */
  get multiLayout(): { layout: 'all' | 'nested'; maxRows: number | null } {
    const s = this.manifest.shards.multi;
    return { layout: s.layout ?? 'all', maxRows: s.maxRows ?? null };
  }

  /** Display data of passages, fetching only their metadata shards. */
  async meta(passages: readonly number[]): Promise<PassageMeta[]> {
    const files = this.manifest.shards.meta.files;
    return Promise.all(
      passages.map(async (p) => {
        const f = files[rangeFileOf(files, p)];
        if (!f) throw new M3SearchError('INVALID_INDEX', `passage ${p} is not in the index (${this.manifest.counts.passages} passages).`, { passage: p });
        const shard = await this.file(f.file, async (b) => {
          const s = decodeMetaShard(await gunzip(b));
          if (s.first !== f.first || s.items.length !== f.count) throw new RangeError(`holds passages ${s.first}+${s.items.length}, the manifest says ${f.first}+${f.count}`);
          return s;
        });
        return shard.items[p - shard.first]!;
      }),
    );
  }

  /** The multi-vector shard list (its own file: see SiteManifest). */
  multiFiles(): Promise<RangeFile[]> {
    const table = this.manifest.shards.multi.table;
    if (!table) return Promise.resolve([]);
    return this.file(table.file, (b) => {
      const files = checkMultiTable(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(b)), this.manifest, table.file);
      for (const f of files) this.sizes.set(f.file, f.bytes);
      return files;
    });
  }

  /** Every file of the build. */
  async allFiles(): Promise<string[]> {
    const table = this.manifest.shards.multi.table;
    const bits = this.manifest.shards.dense.bits;
    const rows: string[] = [];
    if (bits) {
      for (const s of await this.signCodes()) {
        const b0 = s.first / s.blockRows;
        for (let i = 0; i < s.hashes.length / ROW_HASH_BYTES; i++) rows.push(rowBlockName(b0 + i, s.hashes, i));
      }
    }
    return [...this.offlineFiles(), ...(bits?.files.map((f) => f.file) ?? []), ...rows, ...(table ? [table.file] : []), ...(await this.multiFiles()).map((f) => f.file)];
  }

  /** What the offline copy holds: everything but the multi-vector shards (the bulk; re-ranking only). */
  offlineFiles(): string[] {
    const s = this.manifest.shards;
    const vocab = s.vocab ? [s.vocab.tokenizer.file, ...s.vocab.files.map((f) => f.file)] : [];
    return [...s.keyword.files.map((f) => f.file), ...s.dense.files.map((f) => f.file), ...s.postings.files, ...s.meta.files.map((f) => f.file), ...vocab];
  }
}

/** The planner's view of the keyword shards one query fetched: only their words are prefix and typo candidates. */
class ShardVocabulary implements KeywordVocabulary {
  private readonly entries = new Map<string, KeywordEntry>();
  private sorted: KeywordEntry[] = [];

  constructor(shards: readonly KeywordShard[]) {
    this.add(shards);
  }

  add(shards: readonly KeywordShard[]): void {
    for (const s of shards) for (const e of s.entries) this.entries.set(e.key, e);
    this.sorted = [...this.entries.values()].filter((e) => e.surface).sort((a, b) => compare(a.key, b.key));
  }

  postings(term: string): KeywordEntry['postings'] {
    return this.entries.get(term)?.postings;
  }

  termDocs(term: string): number {
    return this.entries.get(term)?.postings?.passages.length ?? 0;
  }

  surfaceDocs(surface: string): number {
    return this.entries.get(surface)?.surface?.docs ?? 0;
  }

  surfacesWithPrefix(prefix: string): SurfaceEntry[] {
    const out: SurfaceEntry[] = [];
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.sorted[mid]!.key < prefix) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.sorted.length && this.sorted[i]!.key.startsWith(prefix); i++) out.push(surfaceOf(this.sorted[i]!));
    return out;
  }

  surfacesOfLength(length: number): SurfaceEntry[] {
    return this.sorted.filter((e) => e.key.length === length).map(surfaceOf);
  }
}

function surfaceOf(e: KeywordEntry): SurfaceEntry {
  return { surface: e.key, term: e.surface!.term, docs: e.surface!.docs };
}

/** Term-at-a-time: adds `wq` × each posting's float16 weight to its passage's score (query ids in order, as SparseIndex sums). */
function accumulate(acc: Map<number, number>, passages: Uint32Array, weights: Uint16Array, wq: number): void {
  const wd = float16ToFloat32(weights);
  for (let j = 0; j < passages.length; j++) acc.set(passages[j]!, (acc.get(passages[j]!) ?? 0) + wq * wd[j]!);
}

/** Dense scores of every passage (a full scan), or of the passages the 1-bit pass rescored. */
type DenseScores = Float32Array | Map<number, number>;

/** The best `n` passages of a score list or map (higher score, then smaller `order`), as the first stage takes them. */
function topOf(scores: DenseScores | Map<number, number>, n: number, accept: ((p: number) => boolean) | undefined, order: ((p: number) => number) | undefined): SlotHit[] {
  const top = new TopK(n);
  if (scores instanceof Map) {
    for (const [p, s] of scores) if (accept === undefined || accept(p)) top.push(p, s, order ? order(p) : p);
  } else {
    for (let p = 0; p < scores.length; p++) if (accept === undefined || accept(p)) top.push(p, scores[p]!, order ? order(p) : p);
  }
  return top.results().map((r) => ({ slot: r.id, score: r.score }));
}

/** A dense shard's rows in a scan-ready matrix (SIMD where available), built on first use. */
const matrices = new WeakMap<DenseShard, DenseMatrix>();
function scannable(s: DenseShard): DenseMatrix {
  let m = matrices.get(s);
  if (m === undefined) {
    m = new DenseMatrix('int8', s.dim);
    m.reserve(s.count);
    m.rows.set(s.q.subarray(0, s.count * s.dim));
    matrices.set(s, m);
  }
  return m;
}

/**
 * The vectors one query fetched, as a ranking source: dense scores of every
 * passage, sparse scores of the passages sharing an id with the query, and the
 * multi-vector rows of the shards fetched so far. Slots are passage numbers.
 */
class ShardSource implements RankSource {
  private readonly multiRows = new Map<number, MultiShard['rows'][number]>();

  constructor(
    private readonly passages: number,
    readonly multiDim: number,
    private readonly dense: DenseScores | undefined,
    private readonly sparse: Map<number, number> | undefined,
  ) {}

  addMulti(s: MultiShard): void {
    if (s.dim !== this.multiDim) return;
    s.rows.forEach((row, i) => this.multiRows.set(s.first + i, row));
  }

  denseTop(_q: Float32Array, n: number, { accept, order }: SlotSearchOptions): SlotHit[] {
    return topOf(this.dense!, n, accept, order);
  }

  sparseTop(_q: SparseVector, n: number, { accept, order }: SlotSearchOptions): SlotHit[] {
    return topOf(this.sparse!, n, accept, order);
  }

  *allSlots(): Iterable<number> {
    for (let p = 0; p < this.passages; p++) yield p;
  }

  scorers(q: { dense?: Float32Array; sparse?: SparseVector; multi?: Encoded['multi'] }, ms: MaxSimOptions): Scorers {
    const s: Scorers = {};
    const { dense, sparse } = this;
    // A dense score exists for every passage, or (1-bit pass) for every passage the first stage can name.
    if (q.dense !== undefined && dense !== undefined) s.dense = dense instanceof Map ? (p) => dense.get(p) ?? NaN : (p) => dense[p]!;
    if (q.sparse !== undefined && sparse !== undefined) s.sparse = (p) => sparse.get(p) ?? 0;
    const qm = q.multi;
    if (qm !== undefined && this.multiDim > 0) {
      const kernel = maxSimKernel();
      s.multi = (p) => {
        const row = this.multiRows.get(p);
        if (row === undefined) return NaN; // never announced in a RankNeed
        if (row === null) return 0; // a passage without token vectors, as in MultiIndex
        // The same late-interaction arithmetic as MultiIndex.maxSim: first `budget` rows of each side.
        const pRows = Math.min(row.count, ms.budget ?? Infinity);
        const qRows = Math.min(qm.count, ms.queryBudget ?? Infinity);
        if (pRows <= 0 || qRows <= 0) return 0;
        return row.kind === 'float16'
          ? kernel.scoreHalf(qm.data, qRows, pRows, qm.dim, row.data, 0)
          : kernel.scoreInt8(qm.data, qRows, pRows, qm.dim, row.data, row.scales, 0);
      };
    }
    return s;
  }
}

/** The query tokenizer file of a doc-only index: { tokenizer, config }, both JSON objects. */
function parseQueryTokenizer(text: string): QueryTokenizerFile {
  const v = JSON.parse(text) as unknown;
  const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (!isObj(v) || !isObj(v.tokenizer) || !isObj(v.config) || !isObj(v.tokenizer.model)) throw new RangeError('is not a query tokenizer ({ tokenizer, config })');
  return { tokenizer: v.tokenizer, config: v.config };
}
