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
import type { Analyzer } from './analyzer.js';
import { DEFAULT_BM25, type Bm25Params } from './bm25.js';
import { M3SearchError } from './errors.js';
import { compare, holdsPhrase, planKeywordQuery, resolveKeywordPlan, type KeywordPlanOptions, type KeywordVocabulary, type SurfaceEntry } from './keyword-plan.js';
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

interface Options extends KeywordPlanOptions {
  titleBoost: number;
}

export class KeywordIndex {
  readonly analyzer: Analyzer;
  readonly options: Readonly<Options>;
  private readonly lexical: LexicalIndex;
  /** Term string → id, and back. Ids are never reused (a removed term's id stays known). */
  private readonly termIds = new Map<string, number>();
  private readonly termText: string[] = [];
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
    const titleBoost = opts.titleBoost ?? 2;
    if (!Number.isInteger(titleBoost) || titleBoost < 0) throw badOption('titleBoost must be an integer ≥ 0', titleBoost);
    this.options = Object.freeze({ titleBoost, ...resolveKeywordPlan(opts) });
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
   * What a query turns into (the shared planner, keyword-plan.ts, over this
   * index's vocabulary): weighted term ids and the phrases to check;
   * undefined when it cannot match anything.
   */
  plan(query: string, opts: KeywordSearchOptions = {}): { terms: WeightedTerm[]; phrases: number[][]; matched: number; units: number } | undefined {
    const o = { ...this.options, prefix: opts.prefix ?? this.options.prefix, typos: opts.typos ?? this.options.typos };
    const plan = planKeywordQuery(this.analyzer, this.vocabulary, query, o);
    if (!plan) return undefined;
    return {
      terms: plan.terms.map((t) => ({ id: this.termIds.get(t.term)!, boost: t.boost })),
      phrases: plan.phrases.map((p) => p.map((t) => this.termIds.get(t)!)),
      matched: plan.matched,
      units: plan.units,
    };
  }

  /** The planner's view of this index: documents per term and per written word. */
  private readonly vocabulary: KeywordVocabulary = {
    termDocs: (term) => {
      const id = this.termIds.get(term);
      return id === undefined ? 0 : this.lexical.docFreq(id);
    },
    surfaceDocs: (surface) => {
      const s = this.surfaceIds.get(surface);
      return s === undefined ? 0 : this.surfaceDocs[s]!;
    },
    surfacesWithPrefix: (prefix) => {
      const sorted = this.sortedSurfaces();
      let lo = 0;
      let hi = sorted.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.surfaceText[sorted[mid]!]! < prefix) lo = mid + 1;
        else hi = mid;
      }
      const out: SurfaceEntry[] = [];
      for (let i = lo; i < sorted.length && this.surfaceText[sorted[i]!]!.startsWith(prefix); i++) out.push(this.entry(sorted[i]!));
      return out;
    },
    surfacesOfLength: (length) => (this.lengthBuckets().get(length) ?? []).map((s) => this.entry(s)),
  };

  private entry(s: number): SurfaceEntry {
    return { surface: this.surfaceText[s]!, term: this.termText[this.surfaceTerm[s]!]!, docs: this.surfaceDocs[s]! };
  }

  /** True when document `id` holds the term sequence `phrase` inside one field. */
  private holdsPhrase(id: string, phrase: readonly number[]): boolean {
    const pos = this.docPositions.get(id);
    return pos !== undefined && holdsPhrase(pos, phrase);
  }

  private termId(term: string, create: boolean): number | undefined {
    let id = this.termIds.get(term);
    if (id === undefined && create) {
      this.termIds.set(term, (id = this.termIds.size));
      this.termText.push(term);
    }
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
      this.sorted = text.map((_, i) => i).sort((a, b) => compare(text[a]!, text[b]!));
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

function badOption(what: string, got: unknown): M3SearchError {
  return new M3SearchError('INVALID_OPTION', `Keyword search: ${what}, got ${String(got)}.`);
}
