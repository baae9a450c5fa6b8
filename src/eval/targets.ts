// The keyword mode's targets (issue #14): on every collection, nDCG@10 at
// least the best of MiniSearch and the lexical mode (same run) and a BM25
// anchor (word tokens, CJK/Thai character bigrams, k1 0.9, b 0.4, whole
// corpus, full query set).
import type { SuiteRow } from './suite.js';

/** BM25 anchors of issue #14, by collection label. */
export const BM25_ANCHORS: Readonly<Record<string, number>> = Object.freeze({
  cisi: 0.236,
  cranfield: 0.495,
  scifact: 0.668,
  'cmrc2018-retrieval-zh': 0.939,
  'jsquad-retrieval-ja': 0.797,
  'xquad/ar': 0.887,
  'xquad/de': 0.916,
  'xquad/el': 0.911,
  'xquad/en': 0.961,
  'xquad/es': 0.948,
  'xquad/hi': 0.77,
  'xquad/ro': 0.92,
  'xquad/ru': 0.871,
  'xquad/th': 0.916,
  'xquad/tr': 0.892,
  'xquad/vi': 0.957,
  'xquad/zh': 0.902,
});

/** One row per collection: keyword, each bar, the best bar and met / missed; '' when keyword did not run. */
export function formatTargets(rows: readonly SuiteRow[]): string {
  const ndcg = (r: SuiteRow, s: string): number | undefined => {
    const v = r.results.find((x) => x.system === s)?.ndcg;
    return v !== undefined && Number.isFinite(v) ? v : undefined;
  };
  // Pagefind is shown for reference when it ran, not as a bar (its AND-of-all-terms queries are another product choice).
  const withPagefind = rows.some((r) => ndcg(r, 'pagefind') !== undefined);
  const body: string[][] = [];
  let met = 0;
  let judged = 0;
  for (const r of rows) {
    const kw = ndcg(r, 'keyword');
    if (kw === undefined) continue;
    const bars = [ndcg(r, 'minisearch'), ndcg(r, 'lexical'), BM25_ANCHORS[r.label]];
    const known = bars.filter((b): b is number => b !== undefined);
    const best = known.length > 0 ? Math.max(...known) : undefined;
    const anchored = BM25_ANCHORS[r.label] !== undefined;
    // Rows without an anchor (cross-lingual pairs) are shown but are not targets.
    const verdict = best === undefined ? '–' : kw >= best ? 'met' : 'MISSED';
    if (anchored && best !== undefined) {
      judged++;
      if (kw >= best) met++;
    }
    const f = (v: number | undefined): string => (v === undefined ? '–' : v.toFixed(3));
    body.push([r.label, f(kw), f(bars[0]), f(bars[1]), ...(withPagefind ? [f(ndcg(r, 'pagefind'))] : []), f(bars[2]), f(best), anchored ? verdict : `(${verdict})`]);
  }
  if (body.length === 0) return '';
  const header = ['collection', 'keyword', 'minisearch', 'lexical', ...(withPagefind ? ['pagefind'] : []), 'anchor', 'best bar', 'target'];
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((row) => row[c]!.length)));
  const line = (cells: string[]): string => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line), '', `targets met: ${met} of ${judged} collections (cross-lingual rows in parentheses are not targets)`].join('\n');
}
