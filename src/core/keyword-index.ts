// The keyword index: documents analyzed by the model-free `Analyzer`
// (analyzer.ts) and ranked by the core's one BM25 path (`LexicalIndex`, over
// term ids). On top of plain BM25 it adds what a search box needs:
//   - as-you-type: the last query word also matches the indexed words it is a
//     prefix of;
//   - bounded typo tolerance: a query word that is absent or rare in the index
//     also matches indexed words 1 edit away (2 for words of 8+ characters);
//   - quoted phrases: "…" keeps only documents holding the words in that order;
//   - a minimum-match rule: unless enough of the query's words occur in the
//     index, the query matches nothing (so nonsense returns no results).
// Pure (no DOM or Node API).
import type { Analyzer, AnalyzedWord } from './analyzer.js';
import { DEFAULT_BM25, type Bm25Params } from './bm25.js';
import { M3SearchError } from './errors.js';
import { LexicalIndex, type LexicalFilter, type LexicalHit, type WeightedTerm } from './lexical-index.js';

export interface KeywordIndexOptions extends Partial<Bm25Params> {
  /**
   * Title terms count this many times (a BM25F-style field weight: title tf
   * and length are multiplied by it). Integer ≥ 0; default 2.
   */
  titleBoost?: number;
  /** The last query word also matches as a prefix (as-you-type). Default true. */
  prefix?: boolean;
  /** At most this many completions of the last word, the most frequent first. Default 12. */
  maxPrefixExpansions?: number;
  /** Query weight of each completion relative to an exact word. Default 0.5. */
  prefixBoost?: number;
  /** Typo tolerance over the index vocabulary. Default true. */
  typos?: boolean;
  /** A query word in at most this many documents counts as rare, and gets typo candidates. Default 1. */
  typoRareDocs?: number;
  /** At most this many corrections per query word, nearest and most frequent first. Default 3. */
  maxTypoExpansions?: number;
  /**
   * Query weight of a word's character n-grams (analyzer `wordGrams`), shared
   * among the word's n-grams. Default 2.
   */
  gramBoost?: number;
  /** Quoted phrases filter the results. Default true. */
  phrases?: boolean;
  /**
   * Share of the query's words (of unspaced scripts: character pairs) that must
   * occur in the index, exactly, as a completion or as a correction; below it
   * the query returns nothing. In [0, 1]; default 0.5 (at least one word always).
   */
  minimumMatch?: number;
}

/** A document for the keyword index. */
export interface KeywordDoc {
  id: string;
  text: string;
  title?: string;
}

export interface KeywordSearchOptions {
  /** Keep only documents for which this returns true. */
  filter?: LexicalFilter;
  /** Overrides the index's `prefix` for this query. */
  prefix?: boolean;
  /** Overrides the index's `typos` for this query. */
  typos?: boolean;
}

/**
 * BM25 parameters of the keyword mode: the Robertson/Lucene defaults. With
 * word n-grams in the same bags they measured better than Anserini's
 * k1 0.9, b 0.4 (CISI, Cranfield, XQuAD de/tr/zh/vi).
 */
export const KEYWORD_BM25: Readonly<Bm25Params> = DEFAULT_BM25;

/** Separates fields in a document's position stream, so no phrase spans two fields. */
const FIELD_BREAK = 0xffffffff;
/** Query weight of a correction at edit distance 1 and 2. */
const TYPO_BOOST = [1, 0.6, 0.35] as const;
const QUOTES = /["“”„«»「」『』]/g;

interface Options {
  titleBoost: number;
  prefix: boolean;
  maxPrefixExpansions: number;
  prefixBoost: number;
  typos: boolean;
  typoRareDocs: number;
  maxTypoExpansions: number;
  phrases: boolean;
  minimumMatch: number;
  gramBoost: number;
}

export class KeywordIndex {
  readonly analyzer: Analyzer;
  readonly options: Readonly<Options>;
  private readonly lexical: LexicalIndex;
  /** Term string → id, and back. Ids are never reused (a removed term's id stays known). */
  private readonly termIds = new Map<string, number>();
  /** Spaced-script words as written (folded, unstemmed): id, term, document count. */
  private readonly surfaceIds = new Map<string, number>();
  private readonly surfaceText: string[] = [];
  private readonly surfaceTerm: number[] = [];
  private readonly surfaceDocs: number[] = [];
  /** Per document: its distinct surface ids and its position stream (term ids, FIELD_BREAK between fields). */
  private readonly docSurfaces = new Map<string, Uint32Array>();
  private readonly docPositions = new Map<string, Uint32Array>();
  /** Surface ids sorted by text (prefix search) and by length (typo search); rebuilt after new words. */
  private sorted: number[] | undefined;
  private byLength: Map<number, number[]> | undefined;

  constructor(analyzer: Analyzer, opts: KeywordIndexOptions = {}) {
    this.analyzer = analyzer;
    this.lexical = new LexicalIndex({ k1: opts.k1 ?? KEYWORD_BM25.k1, b: opts.b ?? KEYWORD_BM25.b });
    const o: Options = {
      titleBoost: opts.titleBoost ?? 2,
      prefix: opts.prefix ?? true,
      maxPrefixExpansions: opts.maxPrefixExpansions ?? 12,
      prefixBoost: opts.prefixBoost ?? 0.5,
      typos: opts.typos ?? true,
      typoRareDocs: opts.typoRareDocs ?? 1,
      maxTypoExpansions: opts.maxTypoExpansions ?? 3,
      phrases: opts.phrases ?? true,
      minimumMatch: opts.minimumMatch ?? 0.5,
      gramBoost: opts.gramBoost ?? 2,
    };
    if (!Number.isInteger(o.titleBoost) || o.titleBoost < 0) throw badOption('titleBoost must be an integer ≥ 0', o.titleBoost);
    if (!(o.minimumMatch >= 0 && o.minimumMatch <= 1)) throw badOption('minimumMatch must be in [0, 1]', o.minimumMatch);
    if (!(o.prefixBoost > 0)) throw badOption('prefixBoost must be > 0', o.prefixBoost);
    if (!(o.gramBoost >= 0)) throw badOption('gramBoost must be ≥ 0', o.gramBoost);
    for (const key of ['maxPrefixExpansions', 'typoRareDocs', 'maxTypoExpansions'] as const) {
      if (!Number.isInteger(o[key]) || o[key] < 0) throw badOption(`${key} must be an integer ≥ 0`, o[key]);
    }
    this.options = Object.freeze(o);
  }

  get size(): number {
    return this.lexical.size;
  }

  has(id: string): boolean {
    return this.lexical.has(id);
  }

  /** Analyzes and adds a document; its id must be new. */
  add(doc: KeywordDoc): void {
    if (typeof doc?.id !== 'string' || doc.id.length === 0) throw new M3SearchError('INVALID_DOCUMENT', 'A document id must be a non-empty string.');
    if (this.lexical.has(doc.id)) throw new M3SearchError('DUPLICATE_ID', `Document "${doc.id}" is already indexed.`, { id: doc.id });
    const bag: number[] = [];
    const positions: number[] = [];
    const surfaces = new Set<number>();
    const fields: [string, number][] = [];
    if (doc.title) fields.push([doc.title, this.options.titleBoost]);
    fields.push([doc.text ?? '', 1]);
    for (const [text, weight] of fields) {
      if (positions.length > 0) positions.push(FIELD_BREAK);
      for (const w of this.analyzer.words(text)) {
        for (const t of w.terms) {
          const id = this.termId(t, true)!;
          for (let r = 0; r < weight; r++) bag.push(id);
        }
        for (const g of w.grams) {
          const id = this.termId(g, true)!;
          for (let r = 0; r < weight; r++) bag.push(id);
        }
        for (const t of w.positional) positions.push(this.termId(t, true)!);
        if (!w.unspaced) surfaces.add(this.surfaceId(w.surface, this.termId(w.terms[0]!, true)!));
      }
    }
    this.lexical.add(doc.id, bag);
    for (const s of surfaces) this.surfaceDocs[s]!++;
    this.docSurfaces.set(doc.id, Uint32Array.from(surfaces));
    if (this.options.phrases) this.docPositions.set(doc.id, Uint32Array.from(positions));
  }

  /** Removes a document; false when it was not there. */
  remove(id: string): boolean {
    if (!this.lexical.remove(id)) return false;
    for (const s of this.docSurfaces.get(id) ?? []) this.surfaceDocs[s]!--;
    this.docSurfaces.delete(id);
    this.docPositions.delete(id);
    return true;
  }

  /**
   * Top `k` documents for a typed query, best first (BM25 through
   * `LexicalIndex.searchWeighted`); empty when the query fails the
   * minimum-match rule or a quoted phrase occurs nowhere.
   */
  search(query: string, k = 10, opts: KeywordSearchOptions = {}): LexicalHit[] {
    const plan = this.plan(query, opts);
    if (!plan) return [];
    const phraseFilter = plan.phrases.length > 0 ? (id: string) => plan.phrases.every((p) => this.holdsPhrase(id, p)) : undefined;
    const filter: LexicalFilter | undefined =
      phraseFilter && opts.filter ? (id) => phraseFilter(id) && opts.filter!(id) : (phraseFilter ?? opts.filter);
    return this.lexical.searchWeighted(plan.terms, k, filter);
  }

  /**
   * What a query turns into: weighted term ids (exact words, completions of
   * the last word, corrections) and the phrases to check; undefined when it
   * cannot match anything.
   */
  plan(query: string, opts: KeywordSearchOptions = {}): { terms: WeightedTerm[]; phrases: number[][]; matched: number; units: number } | undefined {
    const phrases: number[][] = [];
    if (this.options.phrases) {
      for (const m of query.matchAll(/["“„«「『]([^"“”„«»「」『』]+)["”»」』]/g)) {
        const ids: number[] = [];
        for (const w of this.analyzer.words(m[1]!)) {
          for (const t of w.positional) {
            const id = this.termIds.get(t);
            // A phrase word no document has: the phrase occurs nowhere.
            if (id === undefined || this.lexical.docFreq(id) === 0) return undefined;
            ids.push(id);
          }
        }
        if (ids.length > 0) phrases.push(ids);
      }
    }
    const words = this.analyzer.words(query.replace(QUOTES, ' '));
    if (words.length === 0) return undefined;
    // The last word is still being typed unless the query ends with a space or punctuation.
    const prefix = (opts.prefix ?? this.options.prefix) && /[\p{L}\p{N}\p{M}]$/u.test(query);
    const typos = opts.typos ?? this.options.typos;
    const weights = new Map<number, number>();
    const addWeight = (id: number, w: number): void => {
      weights.set(id, (weights.get(id) ?? 0) + w);
    };
    let units = 0;
    let matched = 0;
    words.forEach((w, i) => {
      if (w.unspaced) {
        for (const t of w.terms) {
          const id = this.termIds.get(t);
          if (id !== undefined && this.lexical.docFreq(id) > 0) addWeight(id, 1);
        }
        for (const t of w.units) {
          units++;
          const id = this.termIds.get(t);
          if (id !== undefined && this.lexical.docFreq(id) > 0) matched++;
        }
        return;
      }
      units++;
      if (w.grams.length > 0 && this.options.gramBoost > 0) {
        const share = this.options.gramBoost / w.grams.length;
        for (const g of w.grams) {
          const id = this.termIds.get(g);
          if (id !== undefined && this.lexical.docFreq(id) > 0) addWeight(id, share);
        }
      }
      if (this.spacedWord(w, prefix && i === words.length - 1, typos, addWeight)) matched++;
    });
    const need = Math.max(1, Math.ceil(this.options.minimumMatch * units - 1e-9));
    if (matched < need || weights.size === 0) return undefined;
    const terms: WeightedTerm[] = [];
    for (const [id, boost] of weights) terms.push({ id, boost });
    return { terms, phrases, matched, units };
  }

  /** Adds a spaced-script word's weighted terms; true when it matched anything. */
  private spacedWord(w: AnalyzedWord, asPrefix: boolean, typos: boolean, add: (id: number, w: number) => void): boolean {
    let matched = false;
    const exact = this.termIds.get(w.terms[0]!);
    const exactDocs = exact === undefined ? 0 : this.lexical.docFreq(exact);
    if (exact !== undefined && exactDocs > 0) {
      add(exact, 1);
      matched = true;
    }
    const surfaceDocs = this.surfaceDocsOf(w.surface);
    if (asPrefix && [...w.surface].length >= 2) {
      for (const term of this.completions(w.surface, exact)) {
        add(term, this.options.prefixBoost);
        matched = true;
      }
    }
    if (typos && surfaceDocs <= this.options.typoRareDocs && exactDocs <= this.options.typoRareDocs) {
      const maxDist = typoBudget(w.surface);
      if (maxDist > 0) {
        for (const { term, dist } of this.corrections(w.surface, maxDist, Math.max(surfaceDocs, exactDocs), exact)) {
          add(term, TYPO_BOOST[dist]!);
          matched = true;
        }
      }
    }
    return matched;
  }

  /** Terms of the indexed words that start with `prefix` (not the word itself), most frequent first. */
  private completions(prefix: string, exclude: number | undefined): number[] {
    const limit = this.options.maxPrefixExpansions;
    if (limit === 0) return [];
    const sorted = this.sortedSurfaces();
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.surfaceText[sorted[mid]!]! < prefix) lo = mid + 1;
      else hi = mid;
    }
    const found: { term: number; docs: number }[] = [];
    for (let i = lo; i < sorted.length; i++) {
      const s = sorted[i]!;
      const text = this.surfaceText[s]!;
      if (!text.startsWith(prefix)) break;
      if (text === prefix || this.surfaceDocs[s]! === 0 || this.surfaceTerm[s] === exclude) continue;
      found.push({ term: this.surfaceTerm[s]!, docs: this.surfaceDocs[s]! });
    }
    found.sort((a, b) => b.docs - a.docs || a.term - b.term);
    const out: number[] = [];
    for (const f of found) {
      if (out.length >= limit) break;
      if (!out.includes(f.term)) out.push(f.term);
    }
    return out;
  }

  /**
   * Terms of indexed words within `maxDist` edits (insert, delete, substitute,
   * swap two neighbours) of `word` that are in more documents than it:
   * nearest first, then most frequent.
   */
  private corrections(word: string, maxDist: number, minDocs: number, exclude: number | undefined): { term: number; dist: number }[] {
    const limit = this.options.maxTypoExpansions;
    if (limit === 0) return [];
    const buckets = this.lengthBuckets();
    const found: { term: number; dist: number; docs: number }[] = [];
    for (let len = word.length - maxDist; len <= word.length + maxDist; len++) {
      for (const s of buckets.get(len) ?? []) {
        const docs = this.surfaceDocs[s]!;
        if (docs <= minDocs) continue;
        const text = this.surfaceText[s]!;
        if (text === word) continue;
        const d = boundedEditDistance(word, text, maxDist);
        if (d <= maxDist && this.surfaceTerm[s] !== exclude) found.push({ term: this.surfaceTerm[s]!, dist: d, docs });
      }
    }
    found.sort((a, b) => a.dist - b.dist || b.docs - a.docs || a.term - b.term);
    const out: { term: number; dist: number }[] = [];
    for (const f of found) {
      if (out.length >= limit) break;
      if (!out.some((o) => o.term === f.term)) out.push({ term: f.term, dist: f.dist });
    }
    return out;
  }

  /** True when document `id` holds the term sequence `phrase` inside one field. */
  private holdsPhrase(id: string, phrase: readonly number[]): boolean {
    const pos = this.docPositions.get(id);
    if (!pos) return false;
    const n = phrase.length;
    outer: for (let i = 0; i + n <= pos.length; i++) {
      for (let j = 0; j < n; j++) if (pos[i + j] !== phrase[j]) continue outer;
      return true;
    }
    return false;
  }

  private surfaceDocsOf(surface: string): number {
    const s = this.surfaceIds.get(surface);
    return s === undefined ? 0 : this.surfaceDocs[s]!;
  }

  private termId(term: string, create: boolean): number | undefined {
    let id = this.termIds.get(term);
    if (id === undefined && create) this.termIds.set(term, (id = this.termIds.size));
    return id;
  }

  private surfaceId(surface: string, term: number): number {
    let id = this.surfaceIds.get(surface);
    if (id === undefined) {
      id = this.surfaceText.length;
      this.surfaceIds.set(surface, id);
      this.surfaceText.push(surface);
      this.surfaceTerm.push(term);
      this.surfaceDocs.push(0);
      this.sorted = undefined;
      this.byLength = undefined;
    }
    return id;
  }

  private sortedSurfaces(): number[] {
    if (!this.sorted) {
      const text = this.surfaceText;
      this.sorted = text.map((_, i) => i).sort((a, b) => (text[a]! < text[b]! ? -1 : text[a]! > text[b]! ? 1 : 0));
    }
    return this.sorted;
  }

  private lengthBuckets(): Map<number, number[]> {
    if (!this.byLength) {
      this.byLength = new Map();
      this.surfaceText.forEach((t, i) => {
        let b = this.byLength!.get(t.length);
        if (!b) this.byLength!.set(t.length, (b = []));
        b.push(i);
      });
    }
    return this.byLength;
  }
}

/** Edits a word may be away from its correction: none under 4 characters, 1 up to 7, 2 from 8. */
export function typoBudget(word: string): number {
  const n = [...word].length;
  return n < 4 ? 0 : n < 8 ? 1 : 2;
}

/**
 * Optimal-string-alignment distance (Levenshtein plus adjacent swaps) between
 * `a` and `b`, or `max + 1` as soon as it is known to exceed `max`.
 */
export function boundedEditDistance(a: string, b: string, max: number): number {
  const n = a.length;
  const m = b.length;
  if (Math.abs(n - m) > max) return max + 1;
  if (dpRows[0]!.length < m + 1) for (let r = 0; r < 3; r++) dpRows[r] = new Int32Array(2 * (m + 1));
  let prev2 = dpRows[0]!;
  let prev = dpRows[1]!;
  let cur = dpRows[2]!;
  for (let j = 0; j <= m; j++) prev[j] = j;
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    let rowMin = i;
    const ai = a.charCodeAt(i - 1);
    const aPrev = i > 1 ? a.charCodeAt(i - 2) : -1;
    for (let j = 1; j <= m; j++) {
      const bj = b.charCodeAt(j - 1);
      let d = prev[j - 1]! + (ai === bj ? 0 : 1);
      const del = prev[j]! + 1;
      if (del < d) d = del;
      const ins = cur[j - 1]! + 1;
      if (ins < d) d = ins;
      if (j > 1 && ai === b.charCodeAt(j - 2) && aPrev === bj && prev2[j - 2]! + 1 < d) d = prev2[j - 2]! + 1;
      cur[j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > max) return max + 1;
    const t = prev2;
    prev2 = prev;
    prev = cur;
    cur = t;
  }
  return Math.min(prev[m]!, max + 1);
}

/** Rows reused by `boundedEditDistance` (grown on demand). */
const dpRows: Int32Array[] = [new Int32Array(64), new Int32Array(64), new Int32Array(64)];

function badOption(what: string, got: unknown): M3SearchError {
  return new M3SearchError('INVALID_OPTION', `Keyword index: ${what}, got ${String(got)}.`);
}
