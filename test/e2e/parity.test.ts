// Cross-surface parity in Chromium. The sample corpus, indexed (b) by
// `createSearch` in the page (worker, onnxruntime-web WASM, IndexedDB) at a
// static site's precision, and (c) as a static-site index built by
// `m3search index --docs` and read through the element's runtime (`openSiteSearch`, the same worker),
// must rank like (a) the Node engine (onnxruntime-node) for every sample query
// and mode: the same top-10 ids in order, fused scores within 1e-4. All run the
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
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { launch, MODEL_URL, openHarness, ROOT, sampleCorpus, startServer, type Server } from './support.js';

const run = promisify(execFile);

/** Where the static index is built: inside the served root, so the page fetches it like a site's. */
const SITE_DIR = path.join(ROOT, '.cache', 'parity-site');

type Ranked = { id: string; score: number }[];

let server: Server;
let browser: Browser;
let encoder: M3Encoder;
let corpus: Doc[];
let queries: string[];
/** Surface → mode name → query → the page's top 10. */
let fromPage: Record<'createSearch' | 'site', Record<string, Ranked[]>>;

beforeAll(async () => {
  [server, browser, corpus] = await Promise.all([startServer(), launch(), sampleCorpus()]);
  const modelDir = (await testModel()).layouts['heads-in-graph'];
  encoder = await loadModel(modelDir, { dtype: 'fp32' });
  await rm(SITE_DIR, { recursive: true, force: true });
  await mkdir(SITE_DIR, { recursive: true });
  const cli = [path.join(ROOT, 'bin', 'm3search.mjs'), 'index', SITE_DIR, '--docs', path.join(ROOT, 'public', 'sample-corpus.jsonl'), '--out', path.join(SITE_DIR, 'idx'), '--model', modelDir, '--fp32', '--quiet'];
  await run(process.execPath, cli, { cwd: ROOT, maxBuffer: 1 << 24 });
  const manifest = JSON.parse(await readFile(path.join(SITE_DIR, 'idx', 'manifest.json'), 'utf8')) as { counts: { passages: number }; model: { onnxFile?: string } };
  expect(manifest.counts.passages).toBe(corpus.length);
  expect(manifest.model.onnxFile).toBe('onnx/model.onnx'); // the page loads the same file
  queries = (JSON.parse(await readFile(path.join(ROOT, 'public', 'sample-queries.json'), 'utf8')) as { query: string }[]).map((q) => q.query);
  const page = await openHarness(browser, server);
  fromPage = await page.evaluate(
    async ({ docs, queries, modes, storage, model, index }) => {
      const out = { createSearch: {} as Record<string, { id: string; score: number }[][]>, site: {} as Record<string, { id: string; score: number }[][]> };
      const search = await window.m3.createSearch({ model, name: `parity-${Date.now()}`, backend: 'wasm', dtype: 'fp32', storage });
      await search.add(docs, { batchSize: 32 });
      for (const [name, opts] of Object.entries(modes)) {
        out.createSearch[name] = [];
        for (const q of queries) out.createSearch[name].push((await search.search(q, { ...opts, k: 10 })).map((h) => ({ id: h.id, score: h.score })));
      }
      await search.delete();
      // The element's runtime: the site handle, once the model has loaded (hybrid-ready).
      // No dtype: the page loads the ONNX file the manifest names.
      const site = window.m3.openSiteSearch({ index, model, backend: 'wasm' });
      await new Promise<void>((resolve, reject) =>
        site.onStatus((s) => {
          if (s.kind === 'hybrid-ready') resolve();
          if (s.kind === 'error' && s.where !== 'offline') reject(new Error(`${s.code}: ${s.message}`));
        }),
      );
      for (const [name, opts] of Object.entries(modes)) {
        out.site[name] = [];
        // Hit URLs are the documents' own (`#id`).
        for (const q of queries) out.site[name].push((await site.search(q, { ...opts, k: 10 })).hits.map((h) => ({ id: h.url.slice(1), score: h.score })));
      }
      await site.close();
      return out;
    },
    { docs: corpus, queries, modes: PARITY_MODES as Record<string, SearchOptions>, storage: SITE_PRECISION, model: MODEL_URL, index: '/.cache/parity-site/idx/' },
  );
}, 300_000);

afterAll(async () => {
  await rm(SITE_DIR, { recursive: true, force: true });
  await encoder?.dispose();
  await browser?.close();
  await server?.close();
});

describe('cross-surface parity: Node engine vs createSearch in Chromium', () => {
  it('the page answered every query in every mode on both surfaces', () => {
    expect(queries.length).toBeGreaterThanOrEqual(30);
    for (const surface of ['createSearch', 'site'] as const) {
      for (const name of Object.keys(PARITY_MODES)) expect(fromPage[surface][name], `${surface} ${name}`).toHaveLength(queries.length);
    }
  });

  for (const surface of ['createSearch', 'site'] as const) {
    it(`${surface}: every mode gives the engine's top-10 ids in order, fused scores within 1e-4`, async () => {
      const engine = new M3Search(encoder, SITE_PRECISION);
      await engine.add(corpus);
      for (const [name, opts] of Object.entries(PARITY_MODES)) {
        for (const [qi, q] of queries.entries()) {
          const want = await engine.search(q, { ...opts, k: 10 });
          const got = fromPage[surface][name]![qi]!;
          expect(want.length).toBeGreaterThan(0);
          expect(got.map((h) => h.id), `${surface} ${name}: ${q}`).toEqual(want.map((h) => h.id));
          got.forEach((h, i) => expect(Math.abs(h.score - want[i]!.score), `${surface} ${name}: ${q} #${i + 1}`).toBeLessThan(1e-4));
        }
      }
    });
  }
});
