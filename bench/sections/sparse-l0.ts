// SPLADE sparsity control: L0 (non-zero terms) of documents and queries,
// index size and sparse-only nDCG@10 per pruning setting, next to BGE-M3-style
// lexical weights. Cranfield encoded by the generated test model's MLM-head
// (splade) and heads-in-graph layouts: absolute quality is the tiny model's;
// the trade-off between L0, bytes and quality is what the rows show.
import { SearchIndex } from '../../src/core/search-index.js';
import type { Encoded } from '../../src/core/types.js';
import { ndcgAtK } from '../../src/eval/metrics.js';
import { docText } from '../../src/eval/run.js';
import { pruneSparse, type SparsePruning } from '../../src/model/sparse-pruning.js';
import { loadModel } from '../../src/node/load-model.js';
import { ensureTestModel } from '../../scripts/test-model/index.js';
import { judgedCollection } from '../judged.js';
import type { BenchContext, BenchRow, BenchSection } from '../section.js';
import { median } from '../stats.js';

interface Setting {
  name: string;
  passage?: SparsePruning;
  query?: SparsePruning;
}

const SETTINGS: readonly Setting[] = [
  { name: 'no pruning' },
  { name: 'passage top-128, query top-32', passage: { topK: 128 }, query: { topK: 32 } },
  { name: 'passage top-64, query top-16', passage: { topK: 64 }, query: { topK: 16 } },
  { name: 'passage top-32, query top-8', passage: { topK: 32 }, query: { topK: 8 } },
  { name: 'threshold 0.5 both sides', passage: { threshold: 0.5 }, query: { threshold: 0.5 } },
  { name: 'threshold 1.0 both sides', passage: { threshold: 1 }, query: { threshold: 1 } },
];

export const sparseL0: BenchSection = {
  name: 'sparse-l0',
  title: 'SPLADE sparsity: L0 of documents and queries vs index size and quality',
  notes: () => [
    'Cranfield (../shared/data/cranfield) encoded once per model layout of the generated tiny test model; pruning applied to those vectors exactly as the encoder applies LoadOptions.pruning.',
    'L0 = non-zero terms per vector (punctuation filter on for SPLADE); bytes = sparse postings + per-document vectors (SearchIndex.stats().bytes.sparse); nDCG@10 in sparse-only mode; latency = median sparse search per query.',
  ],
  run: async (ctx: BenchContext): Promise<BenchRow[]> => {
    const data = await judgedCollection(ctx);
    const model = await ensureTestModel();
    const rows: BenchRow[] = [];
    for (const layout of ['splade', 'heads-in-graph'] as const) {
      const encoder = await loadModel(model.layouts[layout], { maxLength: 512 });
      ctx.log(`sparse-l0: encoding ${data.corpus.length} docs with the ${layout} layout`);
      const docs = await encoder.encode(data.corpus.map(docText), { batchSize: 8 });
      const queries = await encoder.encode(data.queries.map((q) => q.text), { kind: 'query' });
      await encoder.dispose();
      const settings = layout === 'splade' ? (ctx.quick ? SETTINGS.slice(0, 2) : SETTINGS) : SETTINGS.slice(0, 1);
      for (const s of settings) {
        const index = new SearchIndex();
        const prune = (e: Encoded, p?: SparsePruning): Encoded => (p ? { ...e, sparse: pruneSparse(e.sparse, p) } : e);
        data.corpus.forEach((d, i) => index.add(d, prune(docs[i]!, s.passage)));
        let sum = 0;
        const times: number[] = [];
        data.queries.forEach((q, i) => {
          const t0 = performance.now();
          const hits = index.search(prune(queries[i]!, s.query), { k: 10, mode: 'sparse' });
          times.push(performance.now() - t0);
          sum += ndcgAtK(hits.map((h) => h.id), data.qrels.get(q.id)!, 10);
        });
        const r = index.sparsity();
        rows.push({
          model: layout === 'splade' ? 'SPLADE-max (MLM head)' : 'BGE-M3 lexical weights',
          pruning: s.name,
          'doc L0 p50': r.docs.p50,
          'doc L0 p90': r.docs.p90,
          'doc L0 max': r.docs.max,
          'doc L0 mean': r.docs.mean,
          'query L0 p50': r.queries.p50,
          'query L0 p90': r.queries.p90,
          'sparse bytes': index.stats().bytes.sparse,
          'nDCG@10': sum / data.queries.length,
          'ms/query (p50)': median(times),
        });
      }
    }
    return rows;
  },
};

export default sparseL0;
