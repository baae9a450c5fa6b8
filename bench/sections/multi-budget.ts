// Flexible late interaction: one nested index (≤ 32 centroids per passage)
// searched at budgets 1…32, against the plain index holding every token
// vector. Quality: nDCG@10 of multi-vector ranking on a real judged
// collection (Cranfield) encoded by the generated test model — no real
// weights exist on these machines, so absolute numbers are the tiny model's;
// the budget-vs-all comparison is the point. Cost: stored token-vector bytes
// and the re-rank latency (MaxSim over the first-stage candidates) per query.
// A second part times BGE-M3-shaped random vectors (1024-d, 150 tokens) so the
// latency/bytes ratios are those of the real model's shapes.
import { nestMultiVectors } from '../../src/core/nested.js';
import { SearchIndex } from '../../src/core/search-index.js';
import type { Encoded, IndexOptions, SearchOptions } from '../../src/core/types.js';
import { ndcgAtK } from '../../src/eval/metrics.js';
import { docText } from '../../src/eval/run.js';
import { loadModel } from '../../src/node/load-model.js';
import { ensureTestModel } from '../../scripts/test-model/index.js';
import { judgedCollection, type Judged } from '../judged.js';
import type { BenchContext, BenchRow, BenchSection } from '../section.js';
import { median } from '../stats.js';
import { Rng } from '../synthetic.js';

const BUDGETS = [1, 2, 4, 8, 16, 32] as const;

interface Encodings {
  data: Judged;
  docs: Encoded[];
  queries: Encoded[];
}

async function encodeCollection(ctx: BenchContext): Promise<Encodings> {
  const data = await judgedCollection(ctx);
  const model = await ensureTestModel();
  const encoder = await loadModel(model.layouts['heads-in-graph'], { maxLength: 512 });
  ctx.log(`multi-budget: encoding ${data.corpus.length} docs, ${data.queries.length} queries of ${data.name}`);
  const docs = await encoder.encode(data.corpus.map(docText), { batchSize: 16 });
  const queries = await encoder.encode(data.queries.map((q) => q.text), { kind: 'query' });
  await encoder.dispose();
  return { data, docs, queries };
}

function build(opts: IndexOptions, enc: Encodings): { index: SearchIndex; nestMs: number } {
  const index = new SearchIndex(opts);
  const t0 = performance.now();
  enc.data.corpus.forEach((d, i) => index.add(d, enc.docs[i]!));
  return { index, nestMs: performance.now() - t0 };
}

/** nDCG@10 and median per-query search time. */
function evaluate(index: SearchIndex, enc: Encodings, opts: SearchOptions, reps: number): { ndcg: number; ms: number } {
  let sum = 0;
  const times: number[] = [];
  enc.data.queries.forEach((q, i) => {
    const judged = enc.data.qrels.get(q.id)!;
    let ids: string[] = [];
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      ids = index.search(enc.queries[i]!, { k: 10, ...opts }).map((h) => h.id);
      times.push(performance.now() - t0);
    }
    sum += ndcgAtK(ids, judged, 10);
  });
  return { ndcg: sum / enc.data.queries.length, ms: median(times) };
}

async function collectionRows(ctx: BenchContext): Promise<BenchRow[]> {
  const enc = await encodeCollection(ctx);
  const all = build({ multi: 'float16' }, enc);
  const nested = build({ multi: 'float16', multiVectors: 'nested', maxMultiVectors: 32 }, enc);
  const rows: BenchRow[] = [];
  const allBytes = all.index.stats().bytes.multi;
  const add = (setup: string, index: SearchIndex, opts: SearchOptions): void => {
    const r = evaluate(index, enc, opts, ctx.reps);
    rows.push({
      part: `${enc.data.name} (test model)`,
      setup,
      'nDCG@10': r.ndcg,
      'rerank ms/query (p50)': r.ms,
      'multi bytes': index.stats().bytes.multi,
      'bytes vs all': index.stats().bytes.multi / allBytes,
    });
  };
  add('all token vectors', all.index, { mode: 'multi' });
  for (const b of BUDGETS) add(`nested, budget ${b}`, nested.index, { mode: 'multi', multiVectorBudget: b });
  for (const b of [2, 8]) add(`all, first ${b} tokens (no nesting)`, all.index, { mode: 'multi', multiVectorBudget: b });
  add('hybrid, all vectors', all.index, { mode: 'hybrid' });
  add('hybrid, nested 32', nested.index, { mode: 'hybrid' });
  add('hybrid, nested: coarse 2 → fine 32 (depth 30)', nested.index, { mode: 'hybrid', coarseBudget: 2, coarseDepth: 30 });
  rows.push({ part: `${enc.data.name} (test model)`, setup: `nesting cost at add (${enc.data.corpus.length} docs)`, 'rerank ms/query (p50)': null, note: `add ${nested.nestMs.toFixed(0)} ms nested vs ${all.nestMs.toFixed(0)} ms all` });
  return rows;
}

/** BGE-M3 shapes, random values: latency and bytes only. */
function shapeRows(ctx: BenchContext): BenchRow[] {
  const rng = new Rng(ctx.seed);
  const n = ctx.quick ? 50 : 1000;
  const dim = ctx.quick ? 64 : 1024;
  const tokens = ctx.quick ? 20 : 150;
  const encs: Encoded[] = [];
  for (let i = 0; i < n; i++) {
    const multi = new Float32Array(tokens * dim);
    for (let t = 0; t < tokens; t++) rng.unit(multi, t * dim, dim);
    encs.push({ dense: rng.unit(new Float32Array(dim)), sparse: { ids: Uint32Array.of(i), weights: Float32Array.of(1) }, multi: { data: multi, count: tokens, dim }, tokens, truncated: false });
  }
  const qMulti = new Float32Array(16 * dim);
  for (let t = 0; t < 16; t++) rng.unit(qMulti, t * dim, dim);
  const query: Encoded = { dense: rng.unit(new Float32Array(dim)), sparse: { ids: new Uint32Array(0), weights: new Float32Array(0) }, multi: { data: qMulti, count: 16, dim }, tokens: 18, truncated: false };
  const t0 = performance.now();
  for (let i = 0; i < Math.min(50, n); i++) nestMultiVectors(encs[i]!.multi, 32);
  const nestMs = (performance.now() - t0) / Math.min(50, n);
  const make = (o: IndexOptions): SearchIndex => {
    const index = new SearchIndex(o);
    encs.forEach((e, i) => index.add({ id: `d${i}`, text: 'x' }, e));
    return index;
  };
  const all = make({ multi: 'float16' });
  const nested = make({ multi: 'float16', multiVectors: 'nested', maxMultiVectors: 32 });
  const allBytes = all.stats().bytes.multi;
  const time = (index: SearchIndex, o: SearchOptions): number => {
    const t: number[] = [];
    for (let r = 0; r < Math.max(3, ctx.reps * 3); r++) {
      const s = performance.now();
      index.search(query, { k: 10, mode: 'hybrid', candidates: 100, ...o });
      t.push(performance.now() - s);
    }
    return median(t);
  };
  const part = `random ${dim}-d, ${tokens} tokens/passage, 16 query vectors, 100→${'≤'}200 candidates`;
  const rows: BenchRow[] = [{ part, setup: 'all token vectors', 'rerank ms/query (p50)': time(all, {}), 'multi bytes': allBytes, 'bytes vs all': 1 }];
  for (const b of [1, 2, 4, 8, 16, 32]) {
    rows.push({ part, setup: `nested, budget ${b}`, 'rerank ms/query (p50)': time(nested, { multiVectorBudget: b }), 'multi bytes': nested.stats().bytes.multi, 'bytes vs all': nested.stats().bytes.multi / allBytes });
  }
  rows.push({ part, setup: 'nested, coarse 2 → fine 32 (depth 30)', 'rerank ms/query (p50)': time(nested, { coarseBudget: 2, coarseDepth: 30 }), 'multi bytes': nested.stats().bytes.multi, 'bytes vs all': nested.stats().bytes.multi / allBytes });
  rows.push({ part, setup: 'nesting cost per passage', 'rerank ms/query (p50)': null, note: `${nestMs.toFixed(2)} ms` });
  return rows;
}

export const multiBudget: BenchSection = {
  name: 'multi-budget',
  title: 'Flexible late interaction: nested multi-vectors per budget vs all vectors',
  notes: () => [
    'Quality rows: Cranfield (1,400 docs, 225 judged queries; ../shared/data/cranfield) encoded once by the generated tiny test model (heads-in-graph, maxLength 512); mode multi = dense∪sparse top-100 candidates re-ranked by MaxSim.',
    'nested = multiVectors "nested", maxMultiVectors 32 (bisecting clustering, coarse-to-fine centroids); budget n = first n stored vectors per passage; "first n tokens" = budget on the plain index (no nesting).',
    'Latency rows on random BGE-M3-shaped vectors time the same code with 1024-d rows; float16 storage everywhere.',
  ],
  run: async (ctx) => [...(await collectionRows(ctx)), ...shapeRows(ctx)],
};

export default multiBudget;
