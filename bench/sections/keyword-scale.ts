// Keyword search at scale (issue #14): our keyword index vs MiniSearch vs
// Pagefind at 10k and 100k documents. Texts are the real corpora (SciFact,
// CISI, Cranfield, XQuAD) repeated with seeded variation to reach the size;
// queries are the first judged queries of SciFact, CISI and Cranfield.
// Keyword and MiniSearch answer in Node; Pagefind in Chromium (its real
// runtime), only where its binary and Chromium exist.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Analyzer, detectLanguage } from '../../src/core/analyzer.js';
import { KEYWORD_BM25, KeywordIndex } from '../../src/core/keyword-index.js';
import { loadStemmers } from '../../src/core/stemmers.js';
import type { Doc } from '../../src/core/types.js';
import { loadBeir } from '../../src/eval/beir.js';
import { pagefindAvailable, pagefindSystem } from '../../src/eval/pagefind-system.js';
import { seededRandom } from '../../src/eval/random.js';
import { buildKeywordShards, encodeKeywordShard } from '../../src/site/keyword-shards.js';
import type { BenchContext, BenchRow, BenchSection } from '../section.js';
import { percentile, ratio } from '../stats.js';
import { buildMiniSearch } from '../texts.js';

async function baseTexts(ctx: BenchContext): Promise<{ docs: Doc[]; queries: string[] }> {
  const data = path.join(ctx.sharedDir, 'data');
  const docs: Doc[] = [];
  const queries: string[] = [];
  for (const name of ['scifact', 'cisi', 'cranfield']) {
    const dir = path.join(data, name);
    if (!existsSync(dir)) continue;
    const ds = await loadBeir({ data: dir, limit: ctx.quick ? 5 : 70 });
    docs.push(...ds.corpus);
    queries.push(...ds.queries.map((q) => q.text));
  }
  const xquad = path.join(data, 'xquad');
  if (existsSync(xquad)) for (const lang of readdirSync(xquad).sort()) docs.push(...(await loadBeir({ data: path.join(xquad, lang), limit: 1 })).corpus);
  return { docs, queries };
}

/** `n` documents: the base texts, then copies whose words are re-drawn from another base text (seeded). */
function scaled(base: readonly Doc[], n: number, seed: number): Doc[] {
  const random = seededRandom(seed);
  const out: Doc[] = [];
  for (let i = 0; i < n; i++) {
    const d = base[i % base.length]!;
    if (i < base.length) {
      out.push({ id: `d${i}`, text: d.text, ...(d.title ? { title: d.title } : {}) });
      continue;
    }
    // Half the words from the doc itself, a few from a random other doc: new term statistics, same languages.
    const other = base[Math.floor(random() * base.length)]!.text.split(/\s+/);
    const words = d.text.split(/\s+/).filter(() => random() < 0.7);
    for (let j = 0; j < 8; j++) words.splice(Math.floor(random() * (words.length + 1)), 0, other[Math.floor(random() * other.length)] ?? '');
    out.push({ id: `d${i}`, text: words.join(' '), ...(d.title ? { title: d.title } : {}) });
  }
  return out;
}

function lat(ms: number[]): { p50: number; p95: number } {
  return { p50: percentile(ms, 50), p95: percentile(ms, 95) };
}

export const keywordScale: BenchSection = {
  name: 'keyword-scale',
  title: 'Keyword index vs MiniSearch vs Pagefind at scale (build, bytes, query latency)',
  notes: () => [
    'Texts: SciFact + CISI + Cranfield + XQuAD corpora, repeated with seeded word variation to the size; queries: first judged queries of SciFact, CISI, Cranfield; top 10.',
    'keyword bytes = keyword shards (src/site/keyword-shards.ts, 64 KiB each) gzipped, what a page downloads in all; MiniSearch bytes = JSON.stringify; Pagefind bytes = its index files (not JS/WASM).',
    'keyword and MiniSearch latency in Node; Pagefind latency in Chromium (its pagefind.js, one query at a time, fragments for URLs included); build of Pagefind = the indexer binary (HTML pages written beforehand, not counted).',
  ],
  run: async (ctx: BenchContext): Promise<BenchRow[]> => {
    const { docs: base, queries } = await baseTexts(ctx);
    if (base.length === 0) return [{ note: 'no corpora under shared/data' }];
    const sizes = ctx.sizes ?? (ctx.quick ? [500] : [10_000, 100_000]);
    const rows: BenchRow[] = [];
    for (const n of sizes) {
      const docs = scaled(base, n, ctx.seed);
      ctx.log(`keyword-scale: ${n} docs`);
      // MiniSearch.
      let t0 = performance.now();
      const ms = buildMiniSearch(docs);
      const msBuild = (performance.now() - t0) / 1000;
      const msBytes = Buffer.byteLength(JSON.stringify(ms));
      const msLat = lat(queries.map((q) => { const t = performance.now(); ms.search(q).slice(0, 10); return performance.now() - t; }));
      rows.push({ docs: n, system: 'minisearch', 'build s': msBuild, 'index MiB': msBytes / 2 ** 20, 'p50 ms': msLat.p50, 'p95 ms': msLat.p95, 'build ×MS': 1, 'bytes ×MS': 1, 'p50 ×MS': 1 });
      // Keyword index (+ its static-site shards for the bytes).
      const language = detectLanguage(docs.slice(0, 200).map((d) => d.text));
      const analyzer = new Analyzer({ language, stemmers: await loadStemmers(language) });
      t0 = performance.now();
      const kw = new KeywordIndex(analyzer);
      for (const d of docs) kw.add({ id: d.id, text: d.text, ...(d.title ? { title: d.title } : {}) });
      const kwBuild = (performance.now() - t0) / 1000;
      const build = buildKeywordShards(analyzer, docs.map((d) => ({ title: d.title ?? '', text: d.text })), { bm25: KEYWORD_BM25, titleBoost: 2, shardBytes: 64 * 1024 });
      const kwBytes = build.shards.reduce((sum, s) => sum + gzipSync(encodeKeywordShard(s.shard)).length, 0);
      const kwLat = lat(queries.map((q) => { const t = performance.now(); kw.search(q, 10); return performance.now() - t; }));
      rows.push({ docs: n, system: 'keyword', 'build s': kwBuild, 'index MiB': kwBytes / 2 ** 20, 'p50 ms': kwLat.p50, 'p95 ms': kwLat.p95, 'build ×MS': ratio(kwBuild, msBuild), 'bytes ×MS': ratio(kwBytes, msBytes), 'p50 ×MS': ratio(kwLat.p50, msLat.p50) });
      // Pagefind (real binary + runtime in Chromium); not in --quick, which must stay seconds (test/eval covers it).
      if (pagefindAvailable() && !ctx.quick) {
        const pf = pagefindSystem({ concurrency: 1 });
        try {
          await pf.index(docs);
          const bytes = await pf.indexBytes();
          await pf.searchMany(queries.slice(0, 5), 10); // warm the WASM and first chunks
          const { ms: times } = await pf.searchMany(queries, 10);
          const l = lat(times);
          rows.push({ docs: n, system: 'pagefind (Chromium)', 'build s': pf.buildSeconds(), 'index MiB': bytes / 2 ** 20, 'p50 ms': l.p50, 'p95 ms': l.p95, 'build ×MS': ratio(pf.buildSeconds(), msBuild), 'bytes ×MS': ratio(bytes, msBytes), 'p50 ×MS': ratio(l.p50, msLat.p50) });
        } finally {
          await pf.close();
        }
      }
    }
    return rows;
  },
};
