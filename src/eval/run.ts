// The evaluation runner: every retrieval system — third-party lexical
// baselines, our lexical mode, encoder modes — sits behind one `System`
// interface, is indexed and queried the same way, and is scored with the same
// metrics. It knows nothing about how any system works.
import type { Doc } from '../core/types.js';
import type { Query } from './beir.js';
import { DEFAULT_CUTOFFS, evaluateRun, type Cutoffs, type Qrels, type RunMetrics } from './metrics.js';

export interface System {
  name: string;
  index(docs: Doc[]): Promise<void>;
  search(query: string, k: number): Promise<string[]>;
  /**
   * Optional: called once with every query text before the searches, so a
   * system can batch work (an encoder encodes all queries in a few batches).
   * Its time counts as search time.
   */
  prepareQueries?(queries: string[]): Promise<void>;
  /** Optional: frees what `index` started (a browser, a server, temp files). */
  close?(): Promise<void>;
}

export interface SystemResult extends RunMetrics {
  system: string;
  indexSeconds: number;
  searchSeconds: number;
}

export interface EvaluateOptions {
  cutoffs?: Cutoffs;
  /** Called after each system finishes (for progress output). */
  onResult?: (result: SystemResult) => void;
  /** Leave systems open after scoring (the caller runs more queries, then calls `close`); default closes each. */
  keepOpen?: boolean;
}

/** One string per document for systems that index a single field. */
export function docText(doc: Doc): string {
  return doc.title ? `${doc.title}\n${doc.text}` : doc.text;
}

/** Indexes `corpus` into each system in turn, runs every query, and scores the rankings. */
export async function evaluateSystems(
  systems: readonly System[],
  corpus: Doc[],
  queries: readonly Query[],
  qrels: Qrels,
  opts: EvaluateOptions = {},
): Promise<SystemResult[]> {
  const cutoffs = opts.cutoffs ?? DEFAULT_CUTOFFS;
  // Deep enough for every metric, so one search serves them all.
  const depth = Math.max(cutoffs.ndcg, cutoffs.recall, cutoffs.mrr);
  const results: SystemResult[] = [];
  for (const system of systems) {
    const t0 = performance.now();
    let t1: number;
    let t2: number;
    const run = new Map<string, string[]>();
    try {
      await system.index(corpus);
      t1 = performance.now();
      await system.prepareQueries?.(queries.map((q) => q.text));
      for (const q of queries) run.set(q.id, await system.search(q.text, depth));
      t2 = performance.now();
    } catch (e) {
      await system.close?.();
      throw e;
    }
    if (!opts.keepOpen) await system.close?.();
    const result: SystemResult = {
      system: system.name,
      ...evaluateRun(run, qrels, cutoffs),
      indexSeconds: (t1 - t0) / 1000,
      searchSeconds: (t2 - t1) / 1000,
    };
    results.push(result);
    opts.onResult?.(result);
  }
  return results;
}

/** A plain-text table: one row per system. */
export function formatTable(results: readonly SystemResult[], cutoffs: Cutoffs = DEFAULT_CUTOFFS): string {
  const header = ['system', `nDCG@${cutoffs.ndcg}`, `Recall@${cutoffs.recall}`, `MRR@${cutoffs.mrr}`, 'queries', 'index s', 'search s'];
  const rows = results.map((r) => [
    r.system,
    r.ndcg.toFixed(4),
    r.recall.toFixed(4),
    r.mrr.toFixed(4),
    String(r.queries),
    r.indexSeconds.toFixed(1),
    r.searchSeconds.toFixed(1),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  // First column left-aligned (names), numbers right-aligned.
  const line = (cells: string[]): string =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
