// The keyword query planner: a typed query → weighted index terms, the same
// rules wherever the index lives. The in-memory `KeywordIndex` answers the
// planner's questions from its maps; a static site's reader from the keyword
// shards the query fetched (src/site/keyword-shards.ts). Pure.
//
// Rules, on top of the analyzer's terms:
//   - as-you-type: the last word also matches the indexed words it is a prefix of;
//   - bounded typos: a word that is absent or rare also matches indexed words
//     1 edit away (2 for words of 8+ characters) that are in more documents;
//   - n-grams of each word share a weight (`gramBoost`);
//   - quoted phrases are returned for the caller to check;
//   - minimum match: unless enough of the query's words occur in the index, the
//     query matches nothing (so nonsense returns no results).
import type { Analyzer, AnalyzedWord } from './analyzer.js';
import { M3SearchError } from './errors.js';

/** A word of the index as written (folded, unstemmed): what prefixes and typos are matched against. */
export interface SurfaceEntry {
  surface: string;
  /** The index term the word stems to. */
  term: string;
  /** Documents holding the word. */
  docs: number;
}

/** What the planner asks of an index's vocabulary. */
export interface KeywordVocabulary {
  /** Documents holding `term` (0: not indexed). */
  termDocs(term: string): number;
  /** Documents holding the word `surface` as written (0: none). */
  surfaceDocs(surface: string): number;
  /** Indexed words starting with `prefix` (the word itself may be among them). */
  surfacesWithPrefix(prefix: string): Iterable<SurfaceEntry>;
  /** Indexed words of `length` UTF-16 units (typo candidates). */
  surfacesOfLength(length: number): Iterable<SurfaceEntry>;
}

/** The planner's knobs (resolved `KeywordIndexOptions`). */
export interface KeywordPlanOptions {
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

export const DEFAULT_KEYWORD_PLAN: Readonly<KeywordPlanOptions> = Object.freeze({
  prefix: true,
  maxPrefixExpansions: 12,
  prefixBoost: 0.5,
  typos: true,
  typoRareDocs: 1,
  maxTypoExpansions: 3,
  phrases: true,
  minimumMatch: 0.5,
  gramBoost: 2,
});

/** Defaults filled in and every value checked (INVALID_OPTION naming the option). */
export function resolveKeywordPlan(opts: Partial<KeywordPlanOptions> = {}): KeywordPlanOptions {
  const o: KeywordPlanOptions = { ...DEFAULT_KEYWORD_PLAN };
  for (const key of Object.keys(DEFAULT_KEYWORD_PLAN) as (keyof KeywordPlanOptions)[]) {
    const v = opts[key];
    if (v !== undefined) (o as unknown as Record<string, unknown>)[key] = v;
  }
  const bad = (what: string, got: unknown): M3SearchError => new M3SearchError('INVALID_OPTION', `Keyword search: ${what}, got ${String(got)}.`);
  if (!(o.minimumMatch >= 0 && o.minimumMatch <= 1)) throw bad('minimumMatch must be in [0, 1]', o.minimumMatch);
  if (!(o.prefixBoost > 0)) throw bad('prefixBoost must be > 0', o.prefixBoost);
  if (!(o.gramBoost >= 0)) throw bad('gramBoost must be ≥ 0', o.gramBoost);
  for (const key of ['maxPrefixExpansions', 'typoRareDocs', 'maxTypoExpansions'] as const) {
    if (!Number.isInteger(o[key]) || o[key] < 0) throw bad(`${key} must be an integer ≥ 0`, o[key]);
  }
  for (const key of ['prefix', 'typos', 'phrases'] as const) if (typeof o[key] !== 'boolean') throw bad(`${key} must be true or false`, o[key]);
  return o;
}

export interface KeywordPlan {
  /** Index terms with their query-side weight (BM25's query tf). */
  terms: { term: string; boost: number }[];
  /** Quoted phrases: each a run of positional terms a document must hold in order. */
  phrases: string[][];
  /** Query units (words; character pairs of unspaced scripts) found in the index, and all of them. */
  matched: number;
  units: number;
}

/** Query weight of a correction at edit distance 1 and 2. */
const TYPO_BOOST = [1, 0.6, 0.35] as const;
const QUOTES = /["“”„«»「」『』]/g;
const PHRASE = /["“„«「『]([^"“”„«»「」『』]+)["”»」』]/g;

/** Spaced-script words of a query and their candidate lookups: what a sharded index must fetch before planning. */
export function queryLookups(analyzer: Analyzer, query: string, prefix: boolean): { keys: string[]; prefixes: string[] } {
  const keys = new Set<string>();
  const prefixes: string[] = [];
  const words = analyzer.words(query.replace(QUOTES, ' '));
  const asYouType = prefix && /[\p{L}\p{N}\p{M}]$/u.test(query);
  words.forEach((w, i) => {
    for (const t of w.terms) keys.add(t);
    for (const g of w.grams) keys.add(g);
    if (!w.unspaced) {
      keys.add(w.surface);
      if (asYouType && i === words.length - 1 && [...w.surface].length >= 2) prefixes.push(w.surface);
    }
  });
  for (const m of query.matchAll(PHRASE)) for (const w of analyzer.words(m[1]!)) for (const t of w.positional) keys.add(t);
  return { keys: [...keys], prefixes };
}

/**
 * What a query turns into over `vocab`: weighted terms (exact words,
 * completions of the last word, corrections, n-grams) and the phrases to
 * check; undefined when it cannot match anything.
 */
export function planKeywordQuery(
  analyzer: Analyzer,
  vocab: KeywordVocabulary,
  query: string,
  o: KeywordPlanOptions,
): KeywordPlan | undefined {
  const phrases: string[][] = [];
  if (o.phrases) {
    for (const m of query.matchAll(PHRASE)) {
      const terms: string[] = [];
      for (const w of analyzer.words(m[1]!)) {
        for (const t of w.positional) {
          // A phrase word no document has: the phrase occurs nowhere.
          if (vocab.termDocs(t) === 0) return undefined;
          terms.push(t);
        }
      }
      if (terms.length > 0) phrases.push(terms);
    }
  }
  const words = analyzer.words(query.replace(QUOTES, ' '));
  if (words.length === 0) return undefined;
  // The last word is still being typed unless the query ends with a space or punctuation.
  const prefix = o.prefix && /[\p{L}\p{N}\p{M}]$/u.test(query);
  const weights = new Map<string, number>();
  const add = (term: string, w: number): void => {
    weights.set(term, (weights.get(term) ?? 0) + w);
  };
  let units = 0;
  let matched = 0;
  words.forEach((w, i) => {
    if (w.unspaced) {
      for (const t of w.terms) if (vocab.termDocs(t) > 0) add(t, 1);
      for (const t of w.units) {
        units++;
        if (vocab.termDocs(t) > 0) matched++;
      }
      return;
    }
    units++;
    if (w.grams.length > 0 && o.gramBoost > 0) {
      const share = o.gramBoost / w.grams.length;
      for (const g of w.grams) if (vocab.termDocs(g) > 0) add(g, share);
    }
    if (spacedWord(vocab, w, prefix && i === words.length - 1, o, add)) matched++;
  });
  const need = Math.max(1, Math.ceil(o.minimumMatch * units - 1e-9));
  if (matched < need || weights.size === 0) return undefined;
  return { terms: [...weights].map(([term, boost]) => ({ term, boost })), phrases, matched, units };
}

/** Adds a spaced-script word's weighted terms; true when it matched anything. */
function spacedWord(vocab: KeywordVocabulary, w: AnalyzedWord, asPrefix: boolean, o: KeywordPlanOptions, add: (term: string, w: number) => void): boolean {
  let matched = false;
  const exact = w.terms[0]!;
  const exactDocs = vocab.termDocs(exact);
  if (exactDocs > 0) {
    add(exact, 1);
    matched = true;
  }
  const surfaceDocs = vocab.surfaceDocs(w.surface);
  if (asPrefix && [...w.surface].length >= 2) {
    for (const term of completions(vocab, w.surface, exact, o.maxPrefixExpansions)) {
      add(term, o.prefixBoost);
      matched = true;
    }
  }
  if (o.typos && surfaceDocs <= o.typoRareDocs && exactDocs <= o.typoRareDocs) {
    const maxDist = typoBudget(w.surface);
    if (maxDist > 0) {
      for (const { term, dist } of corrections(vocab, w.surface, maxDist, Math.max(surfaceDocs, exactDocs), exact, o.maxTypoExpansions)) {
        add(term, TYPO_BOOST[dist]!);
        matched = true;
      }
    }
  }
  return matched;
}

/** Terms of the indexed words that start with `prefix` (not the word itself, nor `exclude`), most frequent first. */
function completions(vocab: KeywordVocabulary, prefix: string, exclude: string, limit: number): string[] {
  if (limit === 0) return [];
  const found: SurfaceEntry[] = [];
  for (const e of vocab.surfacesWithPrefix(prefix)) {
    if (e.surface === prefix || e.docs === 0 || e.term === exclude || !e.surface.startsWith(prefix)) continue;
    found.push(e);
  }
  found.sort((a, b) => b.docs - a.docs || compare(a.surface, b.surface));
  const out: string[] = [];
  for (const f of found) {
    if (out.length >= limit) break;
    if (!out.includes(f.term)) out.push(f.term);
  }
  return out;
}

/**
 * Terms of indexed words within `maxDist` edits (insert, delete, substitute,
 * swap two neighbours) of `word` that are in more documents than it: nearest
 * first, then most frequent.
 */
function corrections(vocab: KeywordVocabulary, word: string, maxDist: number, minDocs: number, exclude: string, limit: number): { term: string; dist: number }[] {
  if (limit === 0) return [];
  const found: { term: string; surface: string; dist: number; docs: number }[] = [];
  for (let len = word.length - maxDist; len <= word.length + maxDist; len++) {
    for (const e of vocab.surfacesOfLength(len)) {
      if (e.docs <= minDocs || e.surface === word || e.term === exclude) continue;
      const d = boundedEditDistance(word, e.surface, maxDist);
      if (d <= maxDist) found.push({ term: e.term, surface: e.surface, dist: d, docs: e.docs });
    }
  }
  found.sort((a, b) => a.dist - b.dist || b.docs - a.docs || compare(a.surface, b.surface));
  const out: { term: string; dist: number }[] = [];
  for (const f of found) {
    if (out.length >= limit) break;
    if (!out.some((x) => x.term === f.term)) out.push({ term: f.term, dist: f.dist });
  }
  return out;
}

/** Code-unit order (what sorted vocabularies and shard boundaries use everywhere). */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** True when the position stream `positions` holds `phrase` contiguously (field breaks are never phrase terms). */
export function holdsPhrase<T>(positions: ArrayLike<T>, phrase: readonly T[]): boolean {
  const n = phrase.length;
  outer: for (let i = 0; i + n <= positions.length; i++) {
    for (let j = 0; j < n; j++) if (positions[i + j] !== phrase[j]) continue outer;
    return true;
  }
  return false;
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
