// One engine under every surface: the sample corpus and the generated test
// model, indexed (a) by the Node engine and (c) as a static-site index read
// back through the site reader, at the same storage precision (dense int8,
// sparse float16, nested ≤ 8 int8 multi-vectors). For every sample query and
// every mode, both must return the same top-10 ids in the same order, with
// fused scores within 1e-4. (The Chromium surfaces are compared in
// test/e2e/parity.test.ts against the numbers this engine produces.)
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Doc } from '../../src/core/types.js';
import { M3Search } from '../../src/engine/engine.js';
import type { M3Encoder } from '../../src/model/encoder.js';
import { fsSource } from '../../src/node/fs-source.js';
import { loadModel } from '../../src/node/load-model.js';
import { buildSiteIndex } from '../../src/site/build.js';
import { openIndexDir } from '../../src/site/node-reader.js';
import type { SiteIndexReader } from '../../src/site/query.js';
import { searchSite } from '../../src/site/search.js';
import { PARITY_MODES, SITE_PRECISION } from '../helpers/parity.js';
import { testModel } from '../helpers/test-model.js';

let dir: string;
let encoder: M3Encoder;
let corpus: Doc[];
let queries: string[];
let engine: M3Search;
let reader: SiteIndexReader;

beforeAll(async () => {
  const modelDir = (await testModel()).layouts['heads-in-graph'];
  encoder = await loadModel(modelDir);
  corpus = (await readFile('public/sample-corpus.jsonl', 'utf8')).split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Doc);
  queries = (JSON.parse(await readFile('public/sample-queries.json', 'utf8')) as { query: string }[]).map((q) => q.query);
  engine = new M3Search(encoder, SITE_PRECISION);
  await engine.add(corpus);
  dir = await mkdtemp(path.join(os.tmpdir(), 'm3s-parity-'));
  const report = await buildSiteIndex({ site: dir, out: path.join(dir, 'idx'), encoder, documents: corpus, multi: 'nested', maxMultiVectors: 8, multiStorage: 'int8' });
  expect(report.passages).toBe(corpus.length); // one passage per document: nothing chunked
  reader = await openIndexDir(path.join(dir, 'idx'));
}, 300_000);

afterAll(async () => {
  await encoder?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('cross-surface parity: Node engine vs static-site index', () => {
  it('has at least 30 queries', () => expect(queries.length).toBeGreaterThanOrEqual(30));

  for (const [name, opts] of Object.entries(PARITY_MODES)) {
    it(`${name}: the same top-10 ids in the same order, fused scores within 1e-4`, async () => {
      let compared = 0;
      for (const q of queries) {
        const want = await engine.search(q, { ...opts, k: 10 });
        const got = await searchSite(reader, q, { ...opts, mode: opts.mode!, k: 10, encoder });
        // Sparse returns only documents sharing a token with the query: fewer than 10 at times.
        if (name !== 'sparse') expect(want).toHaveLength(10);
        expect(want.length).toBeGreaterThan(0);
        expect(got.hits.map((h) => h.url.slice(1)), `${name}: ${q}`).toEqual(want.map((h) => h.id));
        got.hits.forEach((h, i) => expect(Math.abs(h.score - want[i]!.score), `${name}: ${q} #${i + 1}`).toBeLessThan(1e-4));
        compared++;
      }
      expect(compared).toBe(queries.length);
    });
  }

  it('weights mean the same on both: scaling every weight scales every fused score, and the order holds', async () => {
    const q = queries[0]!;
    const w = { dense: 0.5, sparse: 0.3, multi: 0.2 };
    const x3 = { dense: 1.5, sparse: 0.9, multi: 0.6 };
    const site = async (weights: typeof w) => (await searchSite(reader, q, { mode: 'hybrid', coarseBudget: 0, weights, k: 10, encoder })).hits;
    const [a, b] = [await site(w), await site(x3)];
    expect(b.map((h) => h.url)).toEqual(a.map((h) => h.url));
    b.forEach((h, i) => expect(h.score).toBeCloseTo(3 * a[i]!.score, 5));
    // Weights as given: the fused score is w·signals, not divided by Σw.
    for (const h of a) expect(h.score).toBeCloseTo(w.dense * h.signals.dense!.score + w.sparse * h.signals.sparse!.score + w.multi * (h.signals.multi?.score ?? 0), 6);
  });
});

describe('a broken shard is a typed error naming the file', () => {
  it('INVALID_INDEX with the file name when a fetched shard does not decode; the next query tries again', async () => {
    const m = reader.manifest;
    const bad = m.shards.dense.files[0]!.file;
    let broken = true;
    const { SiteIndexReader } = await import('../../src/site/query.js');
    const flaky = new SiteIndexReader(m, async (f) => {
      const b = new Uint8Array(await readFile(path.join(dir, 'idx', f)));
      if (f === bad && broken) b[0] ^= 0xff; // magic no longer matches
      return b;
    });
    const err = await searchSite(flaky, queries[0]!, { mode: 'dense', k: 3, encoder }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INVALID_INDEX', details: { file: bad } });
    expect((err as Error).message).toContain(bad);
    broken = false;
    const ok = await searchSite(flaky, queries[0]!, { mode: 'dense', k: 3, encoder });
    expect(ok.hits.map((h) => h.url.slice(1))).toEqual((await engine.search(queries[0]!, { mode: 'dense', k: 3 })).map((h) => h.id));
  });
});
