// Cross-surface parity in Chromium: `createSearch` (worker, onnxruntime-web
// WASM, IndexedDB) over the sample corpus at a static site's precision must
// rank like the Node engine (onnxruntime-node) for every sample query and
// mode: the same top-10 ids in order, fused scores within 1e-4. Both run the
// fp32 graph: int8 MatMul kernels differ between onnxruntime-web and -node by
// ~1e-3 (a kernel difference, not a ranking one), fp32 ones by ~1e-7.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Doc, SearchOptions } from '../../src/core/types.js';
import { M3Search } from '../../src/engine/engine.js';
import type { M3Encoder } from '../../src/model/encoder.js';
import { loadModel } from '../../src/node/load-model.js';
import { PARITY_MODES, SITE_PRECISION } from '../helpers/parity.js';
import { testModel } from '../helpers/test-model.js';
import { launch, MODEL_URL, openHarness, sampleCorpus, startServer, type Server } from './support.js';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT } from './support.js';

type Ranked = { id: string; score: number }[];

let server: Server;
let browser: Browser;
let encoder: M3Encoder;
let corpus: Doc[];
let queries: string[];
/** mode name → query → the page's top 10. */
let fromPage: Record<string, Ranked[]>;

beforeAll(async () => {
  [server, browser, corpus] = await Promise.all([startServer(), launch(), sampleCorpus()]);
  encoder = await loadModel((await testModel()).layouts['heads-in-graph'], { dtype: 'fp32' });
  queries = (JSON.parse(await readFile(path.join(ROOT, 'public', 'sample-queries.json'), 'utf8')) as { query: string }[]).map((q) => q.query);
  const page = await openHarness(browser, server);
  fromPage = await page.evaluate(
    async ({ docs, queries, modes, storage, model }) => {
      const search = await window.m3.createSearch({ model, name: `parity-${Date.now()}`, backend: 'wasm', dtype: 'fp32', storage });
      await search.add(docs, { batchSize: 32 });
      const out: Record<string, { id: string; score: number }[][]> = {};
      for (const [name, opts] of Object.entries(modes)) {
        out[name] = [];
        for (const q of queries) out[name].push((await search.search(q, { ...opts, k: 10 })).map((h) => ({ id: h.id, score: h.score })));
      }
      await search.delete();
      return out;
    },
    { docs: corpus, queries, modes: PARITY_MODES as Record<string, SearchOptions>, storage: SITE_PRECISION, model: MODEL_URL },
  );
}, 300_000);

afterAll(async () => {
  await encoder?.dispose();
  await browser?.close();
  await server?.close();
});

describe('cross-surface parity: Node engine vs createSearch in Chromium', () => {
  it('the page answered every query in every mode', () => {
    expect(queries.length).toBeGreaterThanOrEqual(30);
    for (const name of Object.keys(PARITY_MODES)) expect(fromPage[name]).toHaveLength(queries.length);
  });

  it('every mode: the same top-10 ids in the same order, fused scores within 1e-4', async () => {
    const engine = new M3Search(encoder, SITE_PRECISION);
    await engine.add(corpus);
    for (const [name, opts] of Object.entries(PARITY_MODES)) {
      for (const [qi, q] of queries.entries()) {
        const want = await engine.search(q, { ...opts, k: 10 });
        const got = fromPage[name]![qi]!;
        expect(want.length).toBeGreaterThan(0);
        expect(got.map((h) => h.id), `${name}: ${q}`).toEqual(want.map((h) => h.id));
        got.forEach((h, i) => expect(Math.abs(h.score - want[i]!.score), `${name}: ${q} #${i + 1}`).toBeLessThan(1e-4));
      }
    }
  });
});
