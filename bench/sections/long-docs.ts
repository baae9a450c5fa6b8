// Long documents: truncation vs overlapping windows. Each long document is
// English filler (Cranfield abstracts, ~6–9k tokens) with one foreign-language
// passage from the sample corpus buried at a random depth; the query is that
// passage's first words. Measures hit@1 / MRR@10 of finding the right long
// document, indexing throughput and index size, with the generated test model
// at a 512-token window.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Doc } from '../../src/core/types.js';
import { M3Search, type LongDocumentOptions } from '../../src/engine/engine.js';
import type { Aggregation } from '../../src/engine/long-docs.js';
import { loadBeir } from '../../src/eval/beir.js';
import { loadModel } from '../../src/node/load-model.js';
import { ensureTestModel } from '../../scripts/test-model/index.js';
import { sampleCorpus } from '../judged.js';
import type { BenchContext, BenchRow, BenchSection } from '../section.js';
import { median } from '../stats.js';
import { Rng } from '../synthetic.js';

export const longDocs: BenchSection = {
  name: 'long-docs',
  title: 'Long documents: truncation vs windows (needle at a random depth)',
  notes: () => [
    'Test model (heads-in-graph) loaded with maxLength 512; windows of 512 tokens, 64 overlap; filler = Cranfield abstracts, needle = one non-English sample-corpus passage per document, query = its first 12 words/characters.',
    'hybrid mode (0.4/0.2/0.4 weighted); "max" = best window, "decay" = s1 + 0.5·s2 + 0.25·s3.',
  ],
  run: async (ctx: BenchContext): Promise<BenchRow[]> => {
    const dir = path.join(ctx.sharedDir, 'data', 'cranfield');
    const all = sampleCorpus(ctx);
    const filler = existsSync(dir)
      ? (await loadBeir({ data: dir })).corpus.map((d) => d.text).filter((t) => t.trim() !== '')
      : all.filter((d) => d.id.startsWith('en-')).map((d) => d.text);
    const sample = all.filter((d) => !d.id.startsWith('en-'));
    const rng = new Rng(ctx.seed);
    const nDocs = ctx.quick ? 2 : 40;
    const encoder = await loadModel((await ensureTestModel()).layouts['heads-in-graph'], { maxLength: 512 });
    const count = (t: string): number => encoder.tokenizer.ids(t, { special: false }).length;
    const docs: Doc[] = [];
    const queries: { text: string; want: string; depth: number }[] = [];
    for (let i = 0; i < nDocs; i++) {
      const target = ctx.quick ? 1000 : rng.int(6000, 9000);
      const needle = sample[(i * 7) % sample.length]!;
      const depth = rng.int(600, target - 200);
      const parts: string[] = [];
      let tokens = 0;
      let placed = false;
      while (tokens < target) {
        if (!placed && tokens >= depth) {
          parts.push(needle.text);
          placed = true;
        }
        const t = filler[rng.int(0, filler.length - 1)]!;
        parts.push(t);
        tokens += count(t);
      }
      if (!placed) parts.push(needle.text);
      docs.push({ id: `long-${i}`, text: parts.join('\n') });
      const words = needle.text.split(/\s+/);
      queries.push({ text: words.length > 4 ? words.slice(0, 12).join(' ') : needle.text.slice(0, 24), want: `long-${i}`, depth });
    }
    const allSetups: { name: string; add: LongDocumentOptions; aggregate?: Aggregation }[] = [
      { name: 'truncate (first 512 tokens)', add: { longDocuments: 'truncate' } },
      { name: 'windows 512/64, max', add: { longDocuments: 'windows', windowSize: 512, windowOverlap: 64 }, aggregate: 'max' },
      { name: 'windows 512/64, decay', add: { longDocuments: 'windows', windowSize: 512, windowOverlap: 64 }, aggregate: { decay: 0.5, windows: 3 } },
      { name: 'windows 256/32, max', add: { longDocuments: 'windows', windowSize: 256, windowOverlap: 32 }, aggregate: 'max' },
    ];
    const setups = ctx.quick ? allSetups.slice(0, 2) : allSetups;
    const rows: BenchRow[] = [];
    const chars = docs.reduce((n, d) => n + d.text.length, 0);
    for (const s of setups) {
      const engine = new M3Search(encoder, { multi: 'float16' }, s.add);
      const t0 = performance.now();
      const report = await engine.add(docs, { batchSize: 16 });
      const addMs = performance.now() - t0;
      let hit1 = 0;
      let mrr = 0;
      const times: number[] = [];
      for (const q of queries) {
        const t1 = performance.now();
        const hits = await engine.search(q.text, { k: 10, aggregate: s.aggregate });
        times.push(performance.now() - t1);
        const r = hits.findIndex((h) => h.id === q.want);
        if (r === 0) hit1++;
        if (r >= 0) mrr += 1 / (r + 1);
      }
      const windows = Object.values(report.windowed ?? {}).reduce((a, b) => a + b, 0);
      rows.push({
        setup: s.name,
        docs: docs.length,
        'index entries': engine.index.size,
        'hit@1': hit1 / queries.length,
        'MRR@10': mrr / queries.length,
        'index s': addMs / 1000,
        'chars/s': chars / (addMs / 1000),
        'index MB': engine.index.stats().bytes.total / 1e6,
        'search ms (p50, incl. query encoding)': median(times),
        truncated: report.truncated.length,
        windows,
      });
    }
    await encoder.dispose();
    return rows;
  },
};

export default longDocs;
