// Retrieval metrics, pure and dependency-free. Definitions follow trec_eval /
// pytrec_eval as BEIR uses them: graded linear gains (the qrels score itself),
// log2 discount, ideal DCG over every judged-relevant document.

/** docId → graded relevance (score > 0 is relevant; 0 or less is judged non-relevant). */
export type Judgments = ReadonlyMap<string, number>;
/** queryId → its judgments. */
export type Qrels = ReadonlyMap<string, Judgments>;
/** queryId → ranked doc ids, best first. */
export type Run = ReadonlyMap<string, readonly string[]>;

export interface Cutoffs {
  ndcg: number;
  recall: number;
  mrr: number;
}

export const DEFAULT_CUTOFFS: Readonly<Cutoffs> = Object.freeze({ ndcg: 10, recall: 100, mrr: 10 });

export interface RunMetrics {
  /** Queries that had at least one relevant judgment (the only ones averaged). */
  queries: number;
  ndcg: number;
  recall: number;
  mrr: number;
}

/** Number of relevant (score > 0) judgments. */
export function relevantCount(judged: Judgments): number {
  let n = 0;
  for (const g of judged.values()) if (g > 0) n++;
  return n;
}

/**
 * nDCG@k with graded gains. Returns NaN when the query has no relevant
 * judgment (the metric is undefined there; `evaluateRun` skips such queries).
 */
export function ndcgAtK(ranked: readonly string[], judged: Judgments, k: number): number {
  const gains: number[] = [];
  for (const g of judged.values()) if (g > 0) gains.push(g);
  if (gains.length === 0) return NaN;
  gains.sort((a, b) => b - a);
  let ideal = 0;
  for (let i = 0; i < Math.min(k, gains.length); i++) ideal += gains[i]! / Math.log2(i + 2);
  let dcg = 0;
  topK(ranked, k).forEach((id, i) => {
    const g = judged.get(id) ?? 0;
    if (g > 0) dcg += g / Math.log2(i + 2);
  });
  return dcg / ideal;
}

/** Fraction of the relevant documents found in the top k (NaN without relevant judgments). */
export function recallAtK(ranked: readonly string[], judged: Judgments, k: number): number {
  const total = relevantCount(judged);
  if (total === 0) return NaN;
  let found = 0;
  for (const id of topK(ranked, k)) if ((judged.get(id) ?? 0) > 0) found++;
  return found / total;
}

/** Reciprocal rank of the first relevant document within the top k, 0 if none (NaN without relevant judgments). */
export function mrrAtK(ranked: readonly string[], judged: Judgments, k: number): number {
  if (relevantCount(judged) === 0) return NaN;
  const top = topK(ranked, k);
  for (let i = 0; i < top.length; i++) if ((judged.get(top[i]!) ?? 0) > 0) return 1 / (i + 1);
  return 0;
}

/**
 * Mean of each metric over the queries in `qrels` that have a relevant
 * judgment. A judged query missing from `run` counts as an empty ranking
 * (all zeros), so a system cannot gain by skipping hard queries.
 */
export function evaluateRun(run: Run, qrels: Qrels, cutoffs: Cutoffs = DEFAULT_CUTOFFS): RunMetrics {
  let queries = 0;
  let ndcg = 0;
  let recall = 0;
  let mrr = 0;
  for (const [qid, judged] of qrels) {
    if (relevantCount(judged) === 0) continue;
    const ranked = run.get(qid) ?? [];
    queries++;
    ndcg += ndcgAtK(ranked, judged, cutoffs.ndcg);
    recall += recallAtK(ranked, judged, cutoffs.recall);
    mrr += mrrAtK(ranked, judged, cutoffs.mrr);
  }
  if (queries === 0) return { queries, ndcg: NaN, recall: NaN, mrr: NaN };
  return { queries, ndcg: ndcg / queries, recall: recall / queries, mrr: mrr / queries };
}

/** First k distinct ids: a duplicated id must not be credited twice. */
function topK(ranked: readonly string[], k: number): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const id of ranked) {
    if (out.length >= k) break;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(id);
  }
  return out;
}
