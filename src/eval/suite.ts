// The collections `npm run eval -- --all` walks: every BEIR folder under the
// data root (xquad/<lang> one level down) plus a few cross-lingual pairings
// of XQuAD (same question and paragraph ids in every language). Node only.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { RobustnessResult } from './robustness.js';
import type { SystemResult } from './run.js';

export interface SuiteEntry {
  /** Row label, e.g. "scifact", "xquad/de", "xquad/en → xquad/zh". */
  label: string;
  /** Folder with queries.jsonl + qrels/. */
  data: string;
  /** Folder whose corpus.jsonl is searched instead (cross-lingual). */
  corpusData?: string;
}

/** Query language → corpus language pairs run on XQuAD when both folders exist. */
export const CROSS_LINGUAL_PAIRS: readonly (readonly [string, string])[] = [
  ['en', 'zh'],
  ['zh', 'en'],
  ['en', 'de'],
  ['de', 'en'],
];

const isBeir = (dir: string): boolean => existsSync(join(dir, 'queries.jsonl')) && existsSync(join(dir, 'qrels'));

/** Every collection under `root`, sorted, then the cross-lingual pairs. */
export function discoverCollections(root: string): SuiteEntry[] {
  const out: SuiteEntry[] = [];
  for (const name of readdirSync(root).sort()) {
    const dir = join(root, name);
    if (!statSync(dir).isDirectory()) continue;
    if (isBeir(dir)) {
      out.push({ label: name, data: dir });
      continue;
    }
    for (const sub of readdirSync(dir).sort()) {
      const subDir = join(dir, sub);
      if (statSync(subDir).isDirectory() && isBeir(subDir)) out.push({ label: `${name}/${sub}`, data: subDir });
    }
  }
  const xquad = join(root, 'xquad');
  for (const [q, c] of CROSS_LINGUAL_PAIRS) {
    const data = join(xquad, q);
    const corpusData = join(xquad, c);
    if (isBeir(data) && isBeir(corpusData)) out.push({ label: `xquad/${q} → xquad/${c}`, data, corpusData });
  }
  return out;
}

export interface SuiteRow {
  label: string;
  queries: number;
  docs: number;
  /** Encoder systems ran on a capped subset; their query/doc counts. */
  encoderQueries?: number;
  encoderDocs?: number;
  results: SystemResult[];
  /** As-you-type, typo and nonsense measures of some systems (`--all` without `--no-robustness`). */
  robustness?: RobustnessResult[];
}

/** One row per collection, one nDCG@10 column per system (systems in first-seen order). */
export function formatSummary(rows: readonly SuiteRow[]): string {
  const systems: string[] = [];
  for (const r of rows) for (const s of r.results) if (!systems.includes(s.system)) systems.push(s.system);
  const hasEncoders = rows.some((r) => r.encoderQueries !== undefined);
  const header = ['collection', 'queries', 'docs', ...(hasEncoders ? ['enc q/docs'] : []), ...systems];
  const body = rows.map((r) => [
    r.label,
    String(r.queries),
    String(r.docs),
    ...(hasEncoders ? [r.encoderQueries !== undefined ? `${r.encoderQueries}/${r.encoderDocs}` : '–'] : []),
    ...systems.map((name) => {
      const res = r.results.find((x) => x.system === name);
      return res && Number.isFinite(res.ndcg) ? res.ndcg.toFixed(3) : '–';
    }),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((row) => row[c]!.length)));
  const line = (cells: string[]): string => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
