// Robustness variants of a query set for the evaluation: the query as typed
// so far (as-you-type), the query with typos, and nonsense strings that should
// find nothing. Seeded, so every run and every system gets the same queries.
// Pure.
import type { Doc } from '../core/types.js';
import type { Query } from './beir.js';
import { DEFAULT_CUTOFFS, evaluateRun, type Cutoffs, type Qrels } from './metrics.js';
import { seededRandom } from './random.js';
import type { System } from './run.js';

export { seededRandom };

/** The first `share` of the query's characters (code points, rounded up), as a user mid-typing has it. */
export function cutQuery(text: string, share: number): string {
  const chars = [...text.trim()];
  return chars.slice(0, Math.max(1, Math.ceil(chars.length * share))).join('');
}

/**
 * One random edit in each word (a run of letters, marks and digits) longer
 * than 3 characters: delete, insert, substitute (with a letter of the same
 * word) or swap two neighbours, chosen uniformly.
 */
export function typoQuery(text: string, random: () => number): string {
  return text.replace(/[\p{L}\p{M}\p{N}]+/gu, (word) => {
    const chars = [...word];
    if (chars.length <= 3) return word;
    const pick = (n: number): number => Math.floor(random() * n);
    const op = pick(4);
    const i = pick(chars.length);
    const letter = chars[pick(chars.length)]!;
    if (op === 0) chars.splice(i, 1);
    else if (op === 1) chars.splice(i, 0, letter);
    else if (op === 2) {
      // A substitution that changes nothing is no typo: take the next letter of the word instead.
      chars[i] = letter !== chars[i] ? letter : chars[(i + 1) % chars.length] !== chars[i] ? chars[(i + 1) % chars.length]! : 'x';
    } else {
      const j = i + 1 < chars.length ? i : i - 1;
      [chars[j], chars[j + 1]] = [chars[j + 1]!, chars[j]!];
    }
    return chars.join('');
  });
}

/** Queries rewritten by `edit` (same ids, so the same judgments apply). */
export function rewriteQueries(queries: readonly Query[], edit: (text: string) => string): Query[] {
  return queries.map((q) => ({ id: q.id, text: edit(q.text) }));
}

/**
 * `count` nonsense queries: 1–3 "words" of 4–9 letters drawn uniformly from the
 * letters of the corpus's dominant script (so a CJK corpus gets random
 * characters, an Arabic one random Arabic letters). Words are space-separated
 * in every script.
 */
export function nonsenseQueries(corpus: readonly Doc[], count: number, seed: number): Query[] {
  const letters = corpusLetters(corpus);
  const random = seededRandom(seed);
  const out: Query[] = [];
  for (let q = 0; q < count; q++) {
    const words: string[] = [];
    const n = 1 + Math.floor(random() * 3);
    for (let w = 0; w < n; w++) {
      const len = 4 + Math.floor(random() * 6);
      let word = '';
      for (let i = 0; i < len; i++) word += letters[Math.floor(random() * letters.length)]!;
      words.push(word);
    }
    out.push({ id: `nonsense-${q}`, text: words.join(' ') });
  }
  return out;
}

/** Distinct lower-case letters of the corpus's most frequent script, sorted (first 500 documents). */
function corpusLetters(corpus: readonly Doc[]): string[] {
  const byScript = new Map<string, Set<string>>();
  const counts = new Map<string, number>();
  for (const d of corpus.slice(0, 500)) {
    for (const ch of `${d.title ?? ''} ${d.text}`.normalize('NFKC').toLowerCase()) {
      if (!/\p{L}/u.test(ch)) continue;
      const script = scriptName(ch);
      let set = byScript.get(script);
      if (!set) byScript.set(script, (set = new Set()));
      set.add(ch);
      counts.set(script, (counts.get(script) ?? 0) + 1);
    }
  }
  let best = 'latin';
  for (const [s, c] of counts) if (c > (counts.get(best) ?? 0)) best = s;
  const letters = [...(byScript.get(best) ?? new Set('abcdefghijklmnopqrstuvwxyz'))].sort();
  return letters.length > 0 ? letters : [...'abcdefghijklmnopqrstuvwxyz'];
}

const SCRIPTS = ['Latin', 'Greek', 'Cyrillic', 'Arabic', 'Devanagari', 'Thai', 'Hangul'] as const;
const SCRIPT_RE = SCRIPTS.map((s) => [s, new RegExp(`\\p{Script=${s}}`, 'u')] as const);
const CJK_RE = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;

function scriptName(ch: string): string {
  if (CJK_RE.test(ch)) return 'CJK';
  for (const [name, re] of SCRIPT_RE) if (re.test(ch)) return name;
  return 'other';
}

/** One system's robustness on one collection. */
export interface RobustnessResult {
  system: string;
  /** nDCG@10 with each query cut to 50 % and 75 % of its characters. */
  typed50: number;
  typed75: number;
  /** nDCG@10 with one random edit in every query word longer than 3 characters. */
  typos: number;
  /** Share of the nonsense queries that return no result (higher is better). */
  nonsenseEmpty: number;
  nonsenseQueries: number;
}

/** Seeds of the variants (fixed: every run and every system sees the same queries). */
export const ROBUSTNESS_SEEDS = Object.freeze({ typos: 14, nonsense: 1414 });
export const NONSENSE_COUNT = 200;

/**
 * Runs the robustness variants on an already indexed system (`evaluateSystems`
 * leaves each system indexed). Typos are drawn per query from one seeded
 * stream, in query order.
 */
export async function evaluateRobustness(
  system: System,
  corpus: readonly Doc[],
  queries: readonly Query[],
  qrels: Qrels,
  cutoffs: Cutoffs = DEFAULT_CUTOFFS,
): Promise<RobustnessResult> {
  const depth = cutoffs.ndcg;
  const ndcgOf = async (qs: readonly Query[]): Promise<number> => {
    const run = new Map<string, string[]>();
    for (const q of qs) run.set(q.id, await system.search(q.text, depth));
    return evaluateRun(run, qrels, cutoffs).ndcg;
  };
  const random = seededRandom(ROBUSTNESS_SEEDS.typos);
  const nonsense = nonsenseQueries(corpus, NONSENSE_COUNT, ROBUSTNESS_SEEDS.nonsense);
  let empty = 0;
  for (const q of nonsense) if ((await system.search(q.text, depth)).length === 0) empty++;
  return {
    system: system.name,
    typed50: await ndcgOf(rewriteQueries(queries, (t) => cutQuery(t, 0.5))),
    typed75: await ndcgOf(rewriteQueries(queries, (t) => cutQuery(t, 0.75))),
    typos: await ndcgOf(rewriteQueries(queries, (t) => typoQuery(t, random))),
    nonsenseEmpty: empty / nonsense.length,
    nonsenseQueries: nonsense.length,
  };
}

/** A table per measure: rows = collections, one column per system. */
export function formatRobustness(rows: readonly { label: string; robustness?: RobustnessResult[] }[]): string {
  const measures: [keyof RobustnessResult, string][] = [
    ['typed50', 'as-you-type, 50 % of each query (nDCG@10)'],
    ['typed75', 'as-you-type, 75 % of each query (nDCG@10)'],
    ['typos', 'typos, one edit per word > 3 chars (nDCG@10)'],
    ['nonsenseEmpty', `nonsense, ${NONSENSE_COUNT} seeded random strings: share with no result`],
  ];
  const systems: string[] = [];
  for (const r of rows) for (const s of r.robustness ?? []) if (!systems.includes(s.system)) systems.push(s.system);
  if (systems.length === 0) return '';
  const out: string[] = [];
  for (const [key, title] of measures) {
    const header = ['collection', ...systems];
    const body = rows
      .filter((r) => r.robustness && r.robustness.length > 0)
      .map((r) => [r.label, ...systems.map((s) => {
        const v = r.robustness!.find((x) => x.system === s)?.[key];
        return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(3) : '–';
      })]);
    const widths = header.map((h, c) => Math.max(h.length, ...body.map((row) => row[c]!.length)));
    const line = (cells: string[]): string => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
    out.push(`${title}\n\n${[line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n')}`);
  }
  return out.join('\n\n');
}
