// BGE-M3's lexical head with an inference-free query side (issue #15,
// experimental): `m3search index --model <BGE-M3-layout folder> --sparse-query
// idf` stores the passages' relu(H·w_lex) weights and, as the model folder
// ships no idf table, computes BM25's idf over the site's own postings; a page
// then turns a query into tokenizer ids × idf with no model, no ONNX Runtime
// and no tokenizer.json. Checked on the generated test model's hidden-state
// layout (XLM-R-style Unigram tokenizer, sparse head file) against a reference
// computed here from the Node encoder's passage weights.
import { execFile } from 'node:child_process';
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Doc } from '../../src/core/types.js';
import type { M3Encoder } from '../../src/model/encoder.js';
import { loadModel } from '../../src/node/load-model.js';
import { openIndexDir } from '../../src/site/node-reader.js';
import { searchSite } from '../../src/site/search.js';
import type { SiteManifest } from '../../src/site/types.js';
import { launch, openHarness, ROOT, sampleCorpus, startServer, type Server } from '../e2e/support.js';
import { testModel } from '../helpers/test-model.js';

const run = promisify(execFile);
const BIN = path.join(ROOT, 'bin', 'm3search.mjs');
/** Inside the served root, so the page fetches the index like a site's. */
const WORK = path.join(ROOT, '.cache', 'bge-idf-site');
const OUT = path.join(WORK, 'site', 'idx');
const URL_OF = (dir: string) => `/${path.relative(ROOT, dir).split(path.sep).join('/')}/`;
const QUERIES = ['install the command-line tool with npm', 'permission error on a global install', 'capital of France', 'Python list comprehension'];
/** float16 keeps 11 significant bits: each stored weight is within 2^-11 of the encoder's, relative. */
const F16_REL = 2 ** -11;

let docs: Doc[];
let manifest: SiteManifest;
let node: M3Encoder;
/** Reference: per document, token id → the encoder's passage weight; and BM25's idf over those postings. */
let weights: Map<number, number>[];
let idf: Map<number, number>;

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd: ROOT, timeout: 300_000, maxBuffer: 1 << 24 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** Σ over the query's distinct non-special ids of idf × the document's weight, for every document; descending. */
function reference(query: string): { url: string; score: number; bound: number }[] {
  const ids = [...new Set(node.tokenizer.ids(query, { special: false }))].filter((id) => !node.tokenizer.specialIds.has(id));
  return docs
    .map((d, i) => {
      let score = 0;
      let bound = 0;
      for (const id of ids) {
        const w = weights[i]!.get(id);
        const f = idf.get(id);
        if (w === undefined || f === undefined) continue;
        score += f * w;
        bound += Math.abs(f * w);
      }
      return { url: d.url ?? `#${d.id}`, score, bound };
    })
    .filter((r) => r.score > 0)
    .sort((a, b) => b.score - a.score);
}

function expectReference(query: string, hits: { url: string; score: number }[]): void {
  const want = reference(query);
  expect(hits.length, query).toBeGreaterThan(0);
  for (const h of hits) {
    const r = want.find((w) => w.url === h.url);
    expect(r, `${query}: ${h.url} has no reference score`).toBeDefined();
    // Stored weights are float16; idf is stored as float32.
    expect(Math.abs(h.score - r!.score), `${query}: ${h.url}`).toBeLessThanOrEqual(F16_REL * r!.bound + 1e-6);
  }
  // The top hit is the reference's (or ties it within the same tolerance).
  expect(want[0]!.score - hits[0]!.score, query).toBeLessThanOrEqual(F16_REL * want[0]!.bound + 1e-6);
}

beforeAll(async () => {
  const model = (await testModel()).layouts['hidden-state'];
  await rm(WORK, { recursive: true, force: true });
  await mkdir(path.join(WORK, 'site'), { recursive: true });
  docs = await sampleCorpus();
  const { code, stderr } = await cli(['index', path.join(WORK, 'site'), '--docs', path.join(ROOT, 'public', 'sample-corpus.jsonl'), '--out', OUT, '--model', model, '--sparse-query', 'idf', '--quiet']);
  expect(code, stderr).toBe(0);
  manifest = JSON.parse(await readFile(path.join(OUT, 'manifest.json'), 'utf8')) as SiteManifest;
  node = await loadModel(model);
  const enc = await node.encode(docs.map((d) => d.text), { kind: 'passage' });
  weights = enc.map((e) => {
    const m = new Map<number, number>();
    e.sparse.ids.forEach((id, j) => e.sparse.weights[j]! > 0 && m.set(id, e.sparse.weights[j]!));
    return m;
  });
  const df = new Map<number, number>();
  for (const w of weights) for (const id of w.keys()) df.set(id, (df.get(id) ?? 0) + 1);
  idf = new Map([...df].map(([id, d]) => [id, Math.log(1 + (docs.length - d + 0.5) / (d + 0.5))]));
}, 300_000);

afterAll(async () => {
  await node?.dispose();
  await rm(WORK, { recursive: true, force: true });
});

describe('a site built with --sparse-query idf over a BGE-M3-layout model', () => {
  it('is inference-free: idf from the site, no dense or multi-vector shards, no ONNX Runtime in the index folder', async () => {
    expect(manifest.counts.passages).toBe(docs.length);
    expect(manifest.model).toMatchObject({ query: 'idf', idfFrom: 'site', sparseStyle: 'lexical', denseDim: 0, multiDim: 0, fingerprint: node.info.fingerprint });
    expect(manifest.shards.vocab).toBeDefined();
    expect((await readdir(OUT)).filter((f) => f.startsWith('ort-'))).toEqual([]);
  });

  it('Node reader and `m3search query` (no --model) score as the reference: stored weights · idf of the query ids', async () => {
    const reader = await openIndexDir(OUT);
    expect(reader.inferenceFree).toBe(true);
    for (const q of QUERIES) {
      const res = await searchSite(reader, q, { mode: 'sparse', k: 5 });
      expectReference(q, res.hits);
    }
    const { code, stdout, stderr } = await cli(['query', OUT, '-k', '3', QUERIES[0]!]);
    expect(code, stderr).toBe(0);
    const got = [...stdout.matchAll(/^\s*\d+\. (-?\d+\.\d{4})  (\S+)$/gm)].map((m) => ({ score: Number(m[1]), url: m[2]! }));
    expect(got).toHaveLength(3);
    const want = reference(QUERIES[0]!);
    got.forEach((h) => expect(Math.abs(h.score - want.find((w) => w.url === h.url)!.score)).toBeLessThanOrEqual(1e-4 + F16_REL * want[0]!.bound));
  }, 120_000);

  describe('in Chromium', () => {
    let server: Server;
    let browser: Browser;
    let page: Page;

    beforeAll(async () => {
      [server, browser] = await Promise.all([startServer(), launch()]);
      page = await openHarness(browser, server);
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    it('answers the first query by learned sparse without fetching ONNX Runtime, the model or tokenizer.json; scores are the reference within float16', async () => {
      const requested: string[] = [];
      // Under vite's dev server the worker's `?url` imports of ORT's file names are fetched as tiny modules that
      // export the address; only a fetch of the file itself (no `?url`) would be ONNX Runtime loading.
      const listen = (r: { url(): string }) => {
        const u = new URL(r.url());
        if (!/[?&]url\b/.test(u.search)) requested.push(u.pathname);
      };
      page.context().on('request', listen);
      let got: { mode: string; first: { url: string; score: number }[]; rest: { url: string; score: number }[][]; statuses: string[] };
      try {
        got = await page.evaluate(
          async ({ index, queries }) => {
            const statuses: string[] = [];
            const s = window.m3.openSiteSearch({ index, backend: 'wasm', onStatus: (st) => statuses.push(st.kind === 'error' ? `error:${st.where}:${st.code}` : st.kind) });
            const first = await s.search(queries[0]!, { k: 5 });
            const rest = [];
            for (const q of queries.slice(1)) rest.push((await s.search(q, { k: 5 })).hits.map((h) => ({ url: h.url, score: h.score })));
            await s.close();
            return { mode: first.mode, first: first.hits.map((h) => ({ url: h.url, score: h.score })), rest, statuses };
          },
          { index: URL_OF(OUT), queries: QUERIES },
        );
      } finally {
        page.context().off('request', listen);
      }
      expect(got.mode).toBe('sparse');
      expect(got.statuses.filter((s) => s.startsWith('error') || s.startsWith('model'))).toEqual([]);
      expect(requested.some((f) => /\/idx\/shards\/vocab-/.test(f))).toBe(true);
      expect(requested.filter((f) => /onnxruntime|ort-wasm|\.onnx|tokenizer\.json|idf\.json|test-model/.test(f))).toEqual([]);
      const hitsOf = (i: number) => (i === 0 ? got.first : got.rest[i - 1]!);
      QUERIES.forEach((q, i) => expectReference(q, hitsOf(i)));
    }, 180_000);
  });
});

describe('sparseQuery on the model contract', () => {
  it("a folder's own idf.json is the query side of a BGE-M3-layout model (declared, or asked for with sparseQuery)", async () => {
    const src = (await testModel()).layouts['hidden-state'];
    const dir = path.join(WORK, 'with-idf');
    await cp(src, dir, { recursive: true });
    const table = { '▁install': 2.5, '▁npm': 1.5 };
    await writeFile(path.join(dir, 'idf.json'), JSON.stringify(table));
    const asked = await loadModel(dir, { sparseQuery: 'idf' });
    const manifestFile = JSON.parse(await readFile(path.join(dir, 'm3search.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(path.join(dir, 'm3search.json'), JSON.stringify({ ...manifestFile, sparse: { query: 'idf' } }));
    const declared = await loadModel(dir);
    try {
      for (const enc of [asked, declared]) {
        expect(enc.info.sparseQuery).toBe('idf');
        expect(enc.tokenizerFiles).toBeUndefined();
        const [q] = await enc.encode(['install with npm'], { kind: 'query' });
        const pieces = [...q!.sparse.ids].map((id) => enc.tokenizer.token(id));
        const ids = [...new Set(enc.tokenizer.ids('install with npm', { special: false }))].filter((id) => (table as Record<string, number>)[enc.tokenizer.token(id)!] !== undefined);
        expect([...q!.sparse.ids].sort()).toEqual(ids.sort());
        pieces.forEach((p, j) => expect(q!.sparse.weights[j]).toBeCloseTo((table as Record<string, number>)[p!]!, 6));
        expect(q!.dense).toHaveLength(0);
      }
    } finally {
      await Promise.all([asked.dispose(), declared.dispose()]);
    }
  }, 60_000);

  it('without an idf.json the encoder keeps its tokenizer files for the site build; a model with no sparse signal is MODEL_FILES', async () => {
    const model = await testModel();
    const enc = await loadModel(model.layouts['hidden-state'], { sparseQuery: 'idf' });
    try {
      expect(enc.info.sparseQuery).toBeUndefined();
      expect(enc.tokenizerFiles?.tokenizerJson).toMatchObject({ model: { type: 'Unigram' } });
    } finally {
      await enc.dispose();
    }
    const dense = path.join(WORK, 'dense-only');
    await cp(model.layouts['hidden-state'], dense, { recursive: true });
    await rm(path.join(dense, 'sparse_linear.safetensors'));
    const manifestFile = JSON.parse(await readFile(path.join(dense, 'm3search.json'), 'utf8')) as { heads: Record<string, string> };
    await writeFile(path.join(dense, 'm3search.json'), JSON.stringify({ ...manifestFile, heads: { colbert: manifestFile.heads.colbert } }));
    await expect(loadModel(dense, { sparseQuery: 'idf' })).rejects.toMatchObject({ code: 'MODEL_FILES', details: { field: 'sparse.query' } });
  }, 60_000);

  it('--sparse-query takes only idf, and needs a model', async () => {
    const bad = await cli(['index', path.join(WORK, 'site'), '--model', 'x', '--sparse-query', 'bm25']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--sparse-query must be idf; got 'bm25'");
    const none = await cli(['index', path.join(WORK, 'site'), '--docs', path.join(ROOT, 'public', 'sample-corpus.jsonl'), '--sparse-query', 'idf']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('needs a model');
  });
});
