// The keyword query planner (src/core/keyword-plan.ts) against a hand-made
// vocabulary: every weight, completion, correction and minimum-match decision
// below is worked out from the planner's documented rules, not from the code.
import { describe, expect, it } from 'vitest';
import { Analyzer } from '../../src/core/analyzer.js';
import {
  boundedEditDistance,
  compare,
  DEFAULT_KEYWORD_PLAN,
  holdsPhrase,
  planKeywordQuery,
  queryLookups,
  resolveKeywordPlan,
  typoBudget,
  type KeywordPlanOptions,
  type KeywordVocabulary,
  type SurfaceEntry,
} from '../../src/core/keyword-plan.js';

/** Written words → [term it stems to, documents]; terms → documents. No stemmer: a word is its own term unless listed. */
function vocabulary(words: Record<string, [term: string, docs: number]>, terms: Record<string, number> = {}): KeywordVocabulary & { asked: string[] } {
  const entries: SurfaceEntry[] = Object.entries(words).map(([surface, [term, docs]]) => ({ surface, term, docs }));
  const termDocs = new Map<string, number>(Object.entries(terms));
  for (const e of entries) termDocs.set(e.term, Math.max(termDocs.get(e.term) ?? 0, e.docs));
  const asked: string[] = [];
  return {
    asked,
    termDocs: (t) => termDocs.get(t) ?? 0,
    surfaceDocs: (s) => entries.find((e) => e.surface === s)?.docs ?? 0,
    // Returned in no particular order, and with one entry that does not start with the prefix: the planner must check.
    surfacesWithPrefix: (p) => {
      asked.push(`prefix:${p}`);
      return [...entries.filter((e) => e.surface.startsWith(p)).reverse(), { surface: 'zzz-not-a-completion', term: 'zzz', docs: 99 }];
    },
    surfacesOfLength: (n) => {
      asked.push(`length:${n}`);
      return entries.filter((e) => e.surface.length === n);
    },
  };
}

const plain = new Analyzer({ wordGrams: 0 });
const plan = (v: KeywordVocabulary, q: string, o: Partial<KeywordPlanOptions> = {}, a = plain) => planKeywordQuery(a, v, q, resolveKeywordPlan(o));
const weights = (p: ReturnType<typeof plan>): Record<string, number> => Object.fromEntries((p?.terms ?? []).map((t) => [t.term, Number(t.boost.toFixed(6))]));

describe('queryLookups', () => {
  const an = new Analyzer({ wordGrams: 4 });
  it('every term, n-gram and written word of the query, and the last word as a prefix while it is being typed', () => {
    const r = queryLookups(an, 'Fetch remote data', true);
    expect(r.prefixes).toEqual(['data']);
    expect(r.keys).toEqual(expect.arrayContaining(['fetch', 'remote', 'data', '\u0001^fet', '\u0001ote$']));
    // A finished word (trailing space or punctuation): no prefix.
    expect(queryLookups(an, 'fetch data ', true).prefixes).toEqual([]);
    expect(queryLookups(an, 'fetch data.', true).prefixes).toEqual([]);
    // Prefix matching off, or a one-letter last word: none either.
    expect(queryLookups(an, 'fetch data', false).prefixes).toEqual([]);
    expect(queryLookups(an, 'fetch d', true).prefixes).toEqual([]);
    // Only the last word.
    expect(queryLookups(an, 'fe da', true).prefixes).toEqual(['da']);
  });

  it('quoted phrase words are looked up; CJK adds its pairs and no written word', () => {
    const r = queryLookups(plain, '"open file" now', false);
    expect(r.keys).toEqual(expect.arrayContaining(['open', 'file', 'now']));
    const cjk = queryLookups(new Analyzer(), '東京タワー', true);
    expect(cjk.keys).toEqual(expect.arrayContaining(['東京', '京タ']));
    expect(cjk.prefixes).toEqual([]);
  });
});

describe('planKeywordQuery', () => {
  it('exact words weigh 1 each time they occur; unknown words weigh nothing', () => {
    const v = vocabulary({ cache: ['cache', 5], size: ['size', 3] });
    const p = plan(v, 'cache size cache ');
    expect(weights(p)).toEqual({ cache: 2, size: 1 });
    expect(p).toMatchObject({ matched: 3, units: 3, phrases: [] });
  });

  it('minimum match: at least half the words (rounded up, never fewer than one) must occur', () => {
    const v = vocabulary({ cache: ['cache', 5] });
    expect(plan(v, 'cache qqq ')).toBeDefined(); // 1 of 2: ceil(0.5 · 2) = 1
    expect(plan(v, 'cache qqq www ')).toBeUndefined(); // 1 of 3 < 2
    expect(plan(v, 'cache qqq www ', { minimumMatch: 1 / 3 })).toBeDefined();
    expect(plan(v, 'qqq ', { minimumMatch: 0 })).toBeUndefined(); // at least one word, always
    expect(plan(v, 'cache qqq ', { minimumMatch: 1 })).toBeUndefined();
    expect(plan(v, '!!! ??? ')).toBeUndefined(); // no words at all
  });

  it('completes the word being typed: most documents first, then by spelling; not itself, not its own term, at most N', () => {
    const v = vocabulary({
      con: ['con', 9],
      config: ['config', 4],
      configure: ['configur', 4],
      configuration: ['configur', 2],
      confirm: ['confirm', 7],
      connect: ['connect', 1],
      cone: ['cone', 0],
    });
    const p = plan(v, 'con');
    // "con" exactly (1); completions at prefixBoost 0.5: confirm 7, config 4, configure 4 → configur (configuration shares it), connect 1; cone is in no document.
    expect(weights(p)).toEqual({ con: 1, confirm: 0.5, config: 0.5, configur: 0.5, connect: 0.5 });
    expect(p!.terms.map((t) => t.term)).toEqual(['con', 'confirm', 'config', 'configur', 'connect']);
    expect(weights(plan(v, 'con', { maxPrefixExpansions: 2 }))).toEqual({ con: 1, confirm: 0.5, config: 0.5 });
    expect(weights(plan(v, 'con', { maxPrefixExpansions: 0 }))).toEqual({ con: 1 });
    expect(weights(plan(v, 'con', { prefixBoost: 0.25, maxPrefixExpansions: 1 }))).toEqual({ con: 1, confirm: 0.25 });
    expect(weights(plan(v, 'con', { prefix: false }))).toEqual({ con: 1 });
    // A completion alone is a match: "confi" is no word, yet the query matches.
    expect(plan(v, 'confi')).toMatchObject({ matched: 1, units: 1 });
    // Finished ("confi "), it is a typo of "config" instead (1 edit, weight 0.6).
    expect(weights(plan(v, 'confi '))).toEqual({ config: 0.6 });
  });

  it('corrects a rare or unknown word among more frequent words 1 edit away (2 from 8 characters), nearest first', () => {
    const v = vocabulary({
      timeout: ['timeout', 6],
      timeouts: ['timeout', 3],
      tineout: ['tineout', 1], // as rare as the typo: never a correction
      timer: ['timer', 5],
      teamout: ['teamout', 9], // 2 edits from "timeoutt"? no: t-e-a-m vs t-i-m-e: more
      configuration: ['configur', 8],
      configuratoin: ['configuratoin', 1],
    });
    // "timeot" (6 letters: 1 edit allowed): timeout (1 insertion), 0.6 each at distance 1.
    expect(weights(plan(v, 'timeot '))).toEqual({ timeout: 0.6 });
    // 8+ letters: 2 edits. "confguratin" is 2 deletions from "configuration".
    // "configuratoin" (1 document) is 2 edits away too: more documents first.
    expect(plan(v, 'confguratin ')!.terms).toEqual([{ term: 'configur', boost: 0.35 }, { term: 'configuratoin', boost: 0.35 }]);
    // A swap of two neighbours is one edit.
    expect(weights(plan(v, 'configuratoin '))).toEqual({ configuratoin: 1, configur: 0.6 });
    // Under 4 letters: no corrections.
    expect(plan(v, 'tim ')).toBeUndefined();
    // A frequent word is never corrected: "timer" (5 documents) stays itself.
    expect(weights(plan(v, 'timer '))).toEqual({ timer: 1 });
    expect(weights(plan(v, 'timeot ', { typos: false }))).toEqual({});
    expect(plan(v, 'timeot ', { typos: false })).toBeUndefined();
    expect(weights(plan(v, 'timeot ', { maxTypoExpansions: 0 }))).toEqual({});
    // typoRareDocs: a word in up to N documents still gets corrections.
    const w = vocabulary({ colour: ['colour', 2], color: ['color', 30] });
    expect(weights(plan(w, 'colour '))).toEqual({ colour: 1 });
    expect(weights(plan(w, 'colour ', { typoRareDocs: 2 }))).toEqual({ colour: 1, color: 0.6 });
  });

  it('orders corrections by distance, then documents, then spelling, one per term, at most N', () => {
    const v = vocabulary({ abcdx: ['abcdx', 5], abcdy: ['abcdy', 9], abcdz: ['abcdz', 9], abxde: ['shared', 50], abyde: ['shared', 40] });
    const p = plan(v, 'abcde ', { maxTypoExpansions: 3 });
    // Distance 1: abcdy 9, abcdz 9 (spelling), abcdx 5; abxde/abyde are 1 substitution too but 50/40 docs: more documents first.
    expect(p!.terms.map((t) => t.term)).toEqual(['shared', 'abcdy', 'abcdz']);
  });

  it('n-grams share gramBoost among the grams the index has', () => {
    const an = new Analyzer({ wordGrams: 4 });
    // "kitten" → ^kit kitt itte tten ten$ (5 grams); two of them are indexed.
    const v = vocabulary({ kitten: ['kitten', 2] }, { '\u0001^kit': 3, '\u0001tten': 1 });
    expect(weights(plan(v, 'kitten ', {}, an))).toEqual({ kitten: 1, '\u0001^kit': 0.4, '\u0001tten': 0.4 });
    expect(weights(plan(v, 'kitten ', { gramBoost: 0 }, an))).toEqual({ kitten: 1 });
    // Grams alone do not make a word match.
    expect(plan(vocabulary({}, { '\u0001^kit': 3 }), 'kitten ', {}, an)).toBeUndefined();
  });

  it('unspaced scripts: every indexed term weighs 1; their character pairs are the units of the minimum match', () => {
    const ja = new Analyzer();
    // 東京タワー: pairs 東京 京タ タワ ワー (4 units); two indexed → 2 of 4 ≥ 2.
    const v = vocabulary({}, { 東京: 4, 京タ: 1, 東: 9 });
    const p = plan(v, '東京タワー', {}, ja);
    expect(p).toMatchObject({ matched: 2, units: 4 });
    expect(weights(p)).toEqual({ 東京: 1, 京タ: 1, 東: 1 });
    expect(plan(vocabulary({}, { 東京: 4 }), '東京タワー', {}, ja)).toBeUndefined();
  });

  it('quoted phrases: their positional terms, in order; a phrase word no document holds means nothing matches', () => {
    const v = vocabulary({ open: ['open', 3], file: ['file', 2], now: ['now', 1] });
    expect(plan(v, '"open file" now')).toMatchObject({ phrases: [['open', 'file']] });
    expect(plan(v, '"open nothing" now')).toBeUndefined();
    expect(plan(v, '"open file" now', { phrases: false })).toMatchObject({ phrases: [] });
    expect(plan(v, '«open file» now')).toMatchObject({ phrases: [['open', 'file']] });
  });
});

describe('resolveKeywordPlan', () => {
  it('fills the defaults and names every bad value', () => {
    expect(resolveKeywordPlan()).toEqual(DEFAULT_KEYWORD_PLAN);
    expect(resolveKeywordPlan({ prefix: false }).prefix).toBe(false);
    const bad = (o: Record<string, unknown>) => () => resolveKeywordPlan(o as Partial<KeywordPlanOptions>);
    expect(bad({ minimumMatch: 1.5 })).toThrow('Keyword search: minimumMatch must be in [0, 1], got 1.5.');
    expect(bad({ minimumMatch: -0.1 })).toThrow(/minimumMatch/);
    expect(bad({ prefixBoost: 0 })).toThrow('Keyword search: prefixBoost must be > 0, got 0.');
    expect(bad({ gramBoost: -1 })).toThrow('Keyword search: gramBoost must be ≥ 0, got -1.');
    expect(bad({ maxTypoExpansions: 1.5 })).toThrow('Keyword search: maxTypoExpansions must be an integer ≥ 0, got 1.5.');
    expect(bad({ typoRareDocs: -1 })).toThrow(/typoRareDocs/);
    expect(bad({ maxPrefixExpansions: -2 })).toThrow(/maxPrefixExpansions/);
    expect(bad({ typos: 'yes' })).toThrow('Keyword search: typos must be true or false, got yes.');
    for (const key of ['prefix', 'phrases']) expect(bad({ [key]: 1 })).toThrow(new RegExp(`${key} must be true or false`));
  });
});

describe('edit distance, typo budget, phrases', () => {
  it('boundedEditDistance: insertions, deletions, substitutions and adjacent swaps; max + 1 beyond the bound', () => {
    expect(boundedEditDistance('kitten', 'kitten', 2)).toBe(0);
    expect(boundedEditDistance('kitten', 'sitten', 2)).toBe(1);
    expect(boundedEditDistance('kitten', 'kittens', 2)).toBe(1);
    expect(boundedEditDistance('kitten', 'kiten', 2)).toBe(1);
    expect(boundedEditDistance('kitten', 'iktten', 2)).toBe(1); // swap
    expect(boundedEditDistance('kitten', 'sitting', 3)).toBe(3);
    expect(boundedEditDistance('kitten', 'sitting', 2)).toBe(3); // cut off: max + 1
    expect(boundedEditDistance('ab', 'abcdef', 2)).toBe(3); // lengths alone exceed it
    expect(boundedEditDistance('', 'ab', 2)).toBe(2);
    expect(boundedEditDistance('ab', '', 2)).toBe(2);
    // Longer than the reused rows (64): they grow.
    const long = 'a'.repeat(100);
    expect(boundedEditDistance(long, `${long.slice(0, 99)}b`, 1)).toBe(1);
    expect(boundedEditDistance(`x${long}`, long, 1)).toBe(1);
  });

  it('typoBudget: 0 under 4 characters, 1 up to 7, 2 from 8; characters, not UTF-16 units', () => {
    expect([1, 3, 4, 7, 8, 12].map((n) => typoBudget('a'.repeat(n)))).toEqual([0, 0, 1, 1, 2, 2]);
    expect(typoBudget('😀😀😀')).toBe(0);
    expect(typoBudget('😀😀😀😀')).toBe(1);
  });

  it('holdsPhrase: the run anywhere in the stream, contiguous only', () => {
    expect(holdsPhrase(['a', 'b', 'c', 'd'], ['a', 'b'])).toBe(true);
    expect(holdsPhrase(['a', 'b', 'c', 'd'], ['c', 'd'])).toBe(true);
    expect(holdsPhrase(['a', 'b', 'c', 'd'], ['b', 'd'])).toBe(false);
    expect(holdsPhrase(['a', 'b'], ['a', 'b', 'c'])).toBe(false);
    expect(holdsPhrase([1, 2, 3], [2, 3])).toBe(true);
  });
});

describe('planner edges', () => {
  it('quotes split words: a word next to a quote is still its own word', () => {
    const an = new Analyzer({ wordGrams: 0 });
    expect(queryLookups(an, 'alpha"beta" gamma', false).keys).toEqual(['alpha', 'beta', 'gamma']);
    const v = vocabulary({ alpha: ['alpha', 2], beta: ['beta', 2] });
    expect(weights(plan(v, 'alpha"beta" '))).toEqual({ alpha: 1, beta: 1 });
  });

  it('a quoted run with no word in it is no phrase', () => {
    const v = vocabulary({ open: ['open', 3] });
    expect(plan(v, '"..." open ')).toMatchObject({ phrases: [] });
  });

  it('only the last word is completed, and only from two characters', () => {
    const v = vocabulary({ con: ['con', 9], confirm: ['confirm', 7], co: ['co', 1] });
    // "con" is finished (another word follows): no completions of it.
    // "co" is being typed: con and confirm complete it (0.5 each).
    expect(weights(plan(v, 'con co'))).toEqual({ con: 1.5, co: 1, confirm: 0.5 });
    expect(weights(plan(v, 'con qq'))).toEqual({ con: 1 });
    // One character typed: no completions.
    expect(plan(vocabulary({ con: ['con', 9] }), 'c')).toBeUndefined();
    expect(weights(plan(vocabulary({ con: ['con', 9] }), 'co'))).toEqual({ con: 0.5 });
  });

  it('completions skip the typed word itself, whatever its term, and words of its own term', () => {
    // The written word "con" belongs to another term ("kon"): still not a completion of itself.
    expect(weights(plan(vocabulary({ con: ['kon', 9], cone: ['cone', 2] }), 'con'))).toEqual({ cone: 0.5 });
    // "cons" stems to the typed word's own term: counted once, as the exact word.
    expect(weights(plan(vocabulary({ con: ['con', 9], cons: ['con', 4], confirm: ['confirm', 7] }), 'con'))).toEqual({ con: 1, confirm: 0.5 });
  });

  it('a word whose term is frequent is not corrected, however rare the written form', () => {
    const v = vocabulary({ timeouts: ['timeouts', 1], timeoutz: ['timeoutz', 9] }, { timeouts: 7 });
    expect(weights(plan(v, 'timeouts '))).toEqual({ timeouts: 1 });
  });

  it('corrections must be in more documents than the word and its term, the larger of the two', () => {
    // typoRareDocs 2: "colour" (written in 1 document, its term in 2) may be corrected, but only by words in 3+ documents.
    const v = vocabulary({ colour: ['colour', 1], color: ['color', 2] }, { colour: 2 });
    expect(weights(plan(v, 'colour ', { typoRareDocs: 2 }))).toEqual({ colour: 1 });
    const w = vocabulary({ colour: ['colour', 2], color: ['color', 2], colours: ['colours', 3] });
    expect(weights(plan(w, 'colour ', { typoRareDocs: 2 }))).toEqual({ colour: 1, colours: 0.6 });
  });

  it('compare: code-unit order', () => {
    expect(compare('a', 'a')).toBe(0);
    expect(compare('a', 'b')).toBe(-1);
    expect(compare('b', 'a')).toBe(1);
    expect(compare('Z', 'a')).toBe(-1);
    expect(compare('ab', 'a')).toBe(1);
    expect(['b', 'a', 'B', 'aa'].sort(compare)).toEqual(['B', 'a', 'aa', 'b']);
  });

  it('boundedEditDistance equals a textbook optimal-string-alignment distance, capped at max + 1', () => {
    // The textbook recurrence, full table, no early exit.
    const osa = (a: string, b: string): number => {
      const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
      for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) {
          const cost = a[i - 1] === b[j - 1] ? 0 : 1;
          d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
          if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
        }
      }
      return d[a.length]![b.length]!;
    };
    expect(osa('ca', 'abc')).toBe(3); // OSA, not unrestricted Damerau (2)
    expect(boundedEditDistance('ca', 'abc', 3)).toBe(3);
    expect(boundedEditDistance('abcd', 'xyzw', 4)).toBe(4);
    expect(boundedEditDistance('abcd', 'badc', 4)).toBe(2);
    let r = 12345;
    const rand = (n: number) => ((r = (Math.imul(r, 1103515245) + 12345) >>> 0) % n);
    const word = () => Array.from({ length: rand(7) }, () => 'abc'[rand(3)]).join('');
    for (let t = 0; t < 3000; t++) {
      const a = word();
      const b = word();
      const max = rand(4);
      expect(boundedEditDistance(a, b, max), `${a} ${b} ${max}`).toBe(Math.min(osa(a, b), max + 1));
    }
  });
});
