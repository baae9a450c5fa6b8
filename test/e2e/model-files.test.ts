// Model folders as they come (issue #15), in Chromium through the real worker
// (onnxruntime-web, WASM) against the Node encoder (onnxruntime-node), all on
// fp32 graphs:
// - ONNX external data: the generated external-data variant (onnx/model.onnx +
//   onnx/model.onnx_data, BGE-M3's hub layout) encodes in the page exactly as
//   the same weights inline do, and a static site built from it with
//   --copy-model ships the side file, counts it, and loads it in the page.
// - A preset's conventions in a site manifest: a site built with --preset from
//   a folder without m3search.json loads its model in the page (same
//   fingerprint) and the page's query vectors rank as the Node encoder's with
//   that preset.
import { execFile } from 'node:child_process';
import { cp, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXTERNAL_OF } from '../../scripts/test-model/index.js';
import type { M3Encoder } from '../../src/model/encoder.js';
import { getPreset, MODEL_PRESETS } from '../../src/model/presets.js';
import { loadModel } from '../../src/node/load-model.js';
import { onnxRuntimeBytes } from '../../src/site/bundle.js';
import { openIndexDir } from '../../src/site/node-reader.js';
import { searchSite } from '../../src/site/search.js';
import type { SiteManifest } from '../../src/site/types.js';
import { testModel } from '../helpers/test-model.js';
import { launch, openHarness, ROOT, startServer, type Server } from './support.js';

const run = promisify(execFile);
/** Inside the served root, so the page fetches the indexes like a site's. */
const WORK = path.join(ROOT, '.cache', 'model-files-e2e');
const URL_OF = (dir: string) => `/${path.relative(ROOT, dir).split(path.sep).join('/')}/`;
const TEXTS = ['Service workers intercept requests.', 'Paris is the capital and the largest city of France, on the river Seine.', '日本語のテキスト 한국어 텍스트'];
const QUERIES = ['how do service workers cache pages', 'capital of France', 'Tokyo train stations', 'photosynthesis in plants', 'Python list comprehension'];
const PRESET = 'multilingual-e5-small';

type Enc = { dense: number[]; sparseIds: number[]; sparseWeights: number[]; multi: number[] };
type Hit = { url: string; score: number };

let server: Server;
let browser: Browser;
let page: Page;
let externalDir: string;
let inlineDir: string;
let presetModel: string;
const sites = { ext: path.join(WORK, 'ext-site'), preset: path.join(WORK, 'preset-site') };

async function index(site: string, model: string, extra: string[] = []): Promise<SiteManifest> {
  const out = path.join(site, 'idx');
  const cli = [path.join(ROOT, 'bin', 'm3search.mjs'), 'index', site, '--docs', path.join(ROOT, 'public', 'sample-corpus.jsonl'), '--out', out, '--model', model, '--copy-model', '--fp32', '--quiet', ...extra];
  await run(process.execPath, cli, { cwd: ROOT, maxBuffer: 1 << 24 });
  return JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8')) as SiteManifest;
}

/** Opens a built site in the page, waits for its model (hybrid-ready; a model error fails), and runs dense queries. */
async function pageDense(site: string): Promise<{ hits: Hit[][]; loadingBytes?: number; lastProgress?: { loaded: number; total?: number } }> {
  return page.evaluate(
    async ({ index, queries }) => {
      const s = window.m3.openSiteSearch({ index, backend: 'wasm' });
      let loadingBytes: number | undefined;
      let lastProgress: { loaded: number; total?: number } | undefined;
      await new Promise<void>((resolve, reject) =>
        s.onStatus((st) => {
          if (st.kind === 'model-loading') loadingBytes = st.bytes;
          if (st.kind === 'model-progress') lastProgress = { loaded: st.loaded, total: st.total };
          if (st.kind === 'hybrid-ready') resolve();
          if (st.kind === 'error' && st.where !== 'offline') reject(new Error(`${st.code}: ${st.message}`));
        }),
      );
      const hits = [];
      for (const q of queries) hits.push((await s.search(q, { mode: 'dense', k: 10 })).hits.map((h) => ({ url: h.url, score: h.score })));
      await s.close();
      return { hits, loadingBytes, lastProgress };
    },
    { index: URL_OF(path.join(site, 'idx')), queries: QUERIES },
  );
}

async function nodeDense(site: string, encoder: M3Encoder): Promise<Hit[][]> {
  const reader = await openIndexDir(path.join(site, 'idx'));
  const out: Hit[][] = [];
  for (const q of QUERIES) out.push((await searchSite(reader, q, { encoder, mode: 'dense', k: 10 })).hits.map((h) => ({ url: h.url, score: h.score })));
  return out;
}

function expectSameRanking(got: Hit[][], want: Hit[][], tol: number): void {
  expect(got).toHaveLength(want.length);
  want.forEach((w, qi) => {
    expect(w.length).toBeGreaterThan(0);
    expect(got[qi]!.map((h) => h.url), QUERIES[qi]).toEqual(w.map((h) => h.url));
    got[qi]!.forEach((h, i) => expect(Math.abs(h.score - w[i]!.score), `${QUERIES[qi]} #${i + 1}`).toBeLessThanOrEqual(tol));
  });
}

const flat = (e: { dense: Float32Array; sparse: { ids: ArrayLike<number>; weights: ArrayLike<number> }; multi: { data: ArrayLike<number> } }): Enc => ({
  dense: [...e.dense],
  sparseIds: [...Array.from(e.sparse.ids)],
  sparseWeights: [...Array.from(e.sparse.weights)],
  multi: [...Array.from(e.multi.data)],
});

beforeAll(async () => {
  const model = await testModel();
  externalDir = model.externalData;
  inlineDir = model.layouts[EXTERNAL_OF];
  await rm(WORK, { recursive: true, force: true });
  // A folder as a preset's hub folder is: the model's files, no m3search.json.
  presetModel = path.join(WORK, 'bare-model');
  await cp(inlineDir, presetModel, { recursive: true });
  await rm(path.join(presetModel, 'm3search.json'));
  for (const s of Object.values(sites)) await mkdir(s, { recursive: true });
  [server, browser] = await Promise.all([startServer(), launch()]);
  page = await openHarness(browser, server);
}, 120_000);

afterAll(async () => {
  await rm(WORK, { recursive: true, force: true });
  await browser?.close();
  await server?.close();
});

describe('ONNX external data in the page', () => {
  it('the worker encodes with the side file bit-identically to the inline graph, and within 1e-6 of Node', async () => {
    const fromPage = await page.evaluate(
      async ({ models, texts }) => {
        const out: Record<string, { passage: unknown[]; query: unknown[]; loads: { loaded: number; total?: number; file: string }[] }> = {};
        for (const [name, model] of Object.entries(models)) {
          const loads: { loaded: number; total?: number; file: string }[] = [];
          const search = await window.m3.createSearch({ model, name: `model-files-${name}-${Date.now()}`, backend: 'wasm', dtype: 'fp32', onProgress: (p) => p.phase === 'model' && loads.push({ loaded: p.loaded, total: p.total, file: p.file }) });
          const passage = await search.encode(texts, 'passage');
          const query = await search.encode(texts, 'query');
          await search.delete();
          const plain = (es: typeof passage) =>
            es.map((e) => ({ dense: Array.from(e.dense), sparse: { ids: Array.from(e.sparse.ids), weights: Array.from(e.sparse.weights) }, multi: { data: Array.from(e.multi.data) } }));
          out[name] = { passage: plain(passage), query: plain(query), loads };
        }
        return out;
      },
      { models: { external: URL_OF(externalDir), inline: URL_OF(inlineDir) }, texts: TEXTS },
    );
    type Plain = { dense: number[]; sparse: { ids: number[]; weights: number[] }; multi: { data: number[] } };
    const asEnc = (xs: unknown[]) => (xs as Plain[]).map((e) => flat({ dense: Float32Array.from(e.dense), sparse: e.sparse, multi: e.multi }));
    const node = await loadModel(inlineDir, { dtype: 'fp32' });
    try {
      for (const kind of ['passage', 'query'] as const) {
        const ext = asEnc(fromPage.external![kind]);
        const inl = asEnc(fromPage.inline![kind]);
        expect(ext).toEqual(inl); // the same graph and weights in the same runtime: bit-identical
        const want = (await node.encode(TEXTS, { kind })).map(flat);
        ext.forEach((e, i) => {
          const w = want[i]!;
          expect(e.sparseIds).toEqual(w.sparseIds);
          for (const [a, b] of [[e.dense, w.dense], [e.sparseWeights, w.sparseWeights], [e.multi, w.multi]] as const) {
            expect(a.length).toBe(b.length);
            expect(Math.max(...a.map((x, j) => Math.abs(x - b[j]!)))).toBeLessThanOrEqual(1e-6);
          }
        });
      }
    } finally {
      await node.dispose();
    }
    // The side file was fetched with progress, and the byte count ends complete.
    const data = (await stat(path.join(externalDir, 'onnx', 'model.onnx_data'))).size;
    const last = fromPage.external!.loads.at(-1)!;
    expect(fromPage.external!.loads.some((p) => p.file === 'onnx/model.onnx_data')).toBe(true);
    expect(last.loaded).toBe(last.total);
    expect(last.loaded).toBeGreaterThan(data);
  }, 120_000);

  it('a site built with --copy-model ships the side file, counts it in model.bytes, and its page ranks as Node', async () => {
    const manifest = await index(sites.ext, externalDir);
    const copied = path.join(sites.ext, 'idx', 'model');
    const files = (await readdir(copied, { recursive: true })).map(String);
    expect(files).toContain(path.join('onnx', 'model.onnx_data'));
    let bytes = 0;
    for (const f of files) {
      const s = await stat(path.join(copied, f));
      if (s.isFile()) bytes += s.size;
    }
    expect(manifest.model).toMatchObject({ onnxFile: 'onnx/model.onnx', path: 'model/', bytes: bytes + (await onnxRuntimeBytes()) });
    const node = await loadModel(externalDir);
    try {
      expect(manifest.model!.fingerprint).toBe(node.info.fingerprint);
      const got = await pageDense(sites.ext);
      expect(got.loadingBytes).toBe(manifest.model!.bytes);
      expect(got.lastProgress!.loaded).toBe(got.lastProgress!.total);
      expectSameRanking(got.hits, await nodeDense(sites.ext, node), 1e-5);
    } finally {
      await node.dispose();
    }
  }, 180_000);
});

describe('a preset in a site manifest', () => {
  it('a site built with --preset from a folder without m3search.json: the page applies the recorded conventions and ranks as Node with that preset', async () => {
    const manifest = await index(sites.preset, presetModel, ['--preset', PRESET]);
    expect(manifest.model!.conventions).toEqual({ pooling: 'mean', normalize: true, queryPrefix: 'query: ', passagePrefix: 'passage: ', maxLength: 512 });
    const [withPreset, without] = [await loadModel(presetModel, { dtype: 'fp32', preset: PRESET }), await loadModel(presetModel, { dtype: 'fp32' })];
    try {
      expect(manifest.model!.fingerprint).toBe(withPreset.info.fingerprint);
      expect(without.info.fingerprint).not.toBe(manifest.model!.fingerprint); // what the page had before the manifest carried conventions
      const got = await pageDense(sites.preset);
      const want = await nodeDense(sites.preset, withPreset);
      expectSameRanking(got.hits, want, 1e-5);
      // The check can fail: without the preset's pooling and prefixes the same index scores otherwise.
      const other = await nodeDense(sites.preset, without);
      const diff = Math.max(...other.flatMap((hs, qi) => hs.map((h) => Math.abs(h.score - (want[qi]!.find((w) => w.url === h.url)?.score ?? 0)))));
      expect(diff).toBeGreaterThan(1e-2);
    } finally {
      await Promise.all([withPreset.dispose(), without.dispose()]);
    }
  }, 180_000);
});

describe('a preset on createSearch', () => {
  type Plain = { dense: number[]; tokens: number };
  /** A persistent search in the page over the folder without m3search.json, through `preset` (+ `model` as the override of its hub folder). */
  async function pageEncodings(preset: string, texts: string[]): Promise<{ query: Plain[]; passage: Plain[]; info: { pooling?: string; queryPrefix?: string; passagePrefix?: string; fingerprint: string } }> {
    return page.evaluate(
      async ({ preset, model, texts }) => {
        const search = await window.m3.createSearch({ preset, model, name: `preset-${preset}-${Date.now()}`, backend: 'wasm', dtype: 'fp32' });
        const plain = (es: { dense: Float32Array; tokens: number }[]) => es.map((e) => ({ dense: Array.from(e.dense), tokens: e.tokens }));
        const query = plain(await search.encode(texts, 'query'));
        const passage = plain(await search.encode(texts, 'passage'));
        const m = search.info.model!;
        await search.delete();
        return { query, passage, info: { pooling: m.pooling, queryPrefix: m.queryPrefix, passagePrefix: m.passagePrefix, fingerprint: m.fingerprint } };
      },
      { preset, model: URL_OF(presetModel), texts },
    );
  }
  const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
    expect(a.length).toBe(b.length);
    let d = 0;
    for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
    return d;
  };

  it("multilingual-e5-small: the page's query and passage encodings are Node's with the same preset, each with its own prefix added", async () => {
    const got = await pageEncodings(PRESET, QUERIES);
    expect(got.info).toMatchObject({ pooling: 'mean', queryPrefix: 'query: ', passagePrefix: 'passage: ' });
    const node = await loadModel({ preset: PRESET, model: presetModel, dtype: 'fp32' });
    // The preset's pooling with no prefixes: the prefixes are then added by hand.
    const hand = await loadModel(presetModel, { dtype: 'fp32', conventions: { pooling: 'mean', normalize: true, maxLength: 512 } });
    try {
      expect(got.info.fingerprint).toBe(node.info.fingerprint);
      const [nq, np, hq, hp, bare] = await Promise.all([
        node.encode(QUERIES, { kind: 'query' }),
        node.encode(QUERIES, { kind: 'passage' }),
        hand.encode(QUERIES.map((q) => `query: ${q}`), { kind: 'passage' }),
        hand.encode(QUERIES.map((q) => `passage: ${q}`), { kind: 'passage' }),
        hand.encode(QUERIES, { kind: 'passage' }),
      ]);
      QUERIES.forEach((q, i) => {
        expect(maxDiff(got.query[i]!.dense, nq![i]!.dense), q).toBeLessThanOrEqual(1e-5);
        expect(maxDiff(got.passage[i]!.dense, np![i]!.dense), q).toBeLessThanOrEqual(1e-5);
        expect(maxDiff(got.query[i]!.dense, hq![i]!.dense), q).toBeLessThanOrEqual(1e-5);
        expect(maxDiff(got.passage[i]!.dense, hp![i]!.dense), q).toBeLessThanOrEqual(1e-5);
        // The check can fail: the other side's prefix, or none, gives another vector.
        expect(maxDiff(got.query[i]!.dense, hp![i]!.dense), q).toBeGreaterThan(1e-3);
        expect(maxDiff(got.query[i]!.dense, bare![i]!.dense), q).toBeGreaterThan(1e-3);
        expect(got.query[i]!.tokens).toBe(hq![i]!.tokens);
      });
    } finally {
      await Promise.all([node.dispose(), hand.dispose()]);
    }
  }, 120_000);

  it('bge-small-en-v1.5: the retrieval instruction goes before queries only; passages encode bare', async () => {
    const preset = 'bge-small-en-v1.5';
    const got = await pageEncodings(preset, QUERIES);
    const instruction = getPreset(preset).manifest.queryPrefix!;
    expect(got.info).toMatchObject({ pooling: 'cls', queryPrefix: instruction });
    expect(got.info.passagePrefix).toBeUndefined();
    const node = await loadModel({ preset, model: presetModel, dtype: 'fp32' });
    // The folder alone is BGE-M3's conventions ([CLS], no prefixes): the preset's but for the instruction.
    const hand = await loadModel(presetModel, { dtype: 'fp32' });
    try {
      const [nq, hq, hp] = await Promise.all([
        node.encode(QUERIES, { kind: 'query' }),
        hand.encode(QUERIES.map((q) => `${instruction}${q}`), { kind: 'passage' }),
        hand.encode(QUERIES, { kind: 'passage' }),
      ]);
      QUERIES.forEach((q, i) => {
        expect(maxDiff(got.query[i]!.dense, nq![i]!.dense), q).toBeLessThanOrEqual(1e-5);
        expect(maxDiff(got.query[i]!.dense, hq![i]!.dense), q).toBeLessThanOrEqual(1e-5);
        expect(maxDiff(got.passage[i]!.dense, hp![i]!.dense), q).toBeLessThanOrEqual(1e-5);
        expect(maxDiff(got.query[i]!.dense, hp![i]!.dense), q).toBeGreaterThan(1e-3);
      });
    } finally {
      await Promise.all([node.dispose(), hand.dispose()]);
    }
  }, 120_000);

  it('an unknown preset rejects createSearch with INVALID_OPTION listing the known names', async () => {
    const err = await page.evaluate(async () => {
      try {
        await window.m3.createSearch({ preset: 'e5-tiny', name: `preset-bad-${Date.now()}` });
        return null;
      } catch (e) {
        return { name: (e as Error).name, code: (e as { code?: string }).code, message: (e as Error).message, isTyped: window.m3.isM3SearchError(e) };
      }
    });
    expect(err).toMatchObject({ code: 'INVALID_OPTION', isTyped: true });
    expect(err!.message).toContain('Unknown model preset "e5-tiny"');
    for (const name of Object.keys(MODEL_PRESETS)) expect(err!.message).toContain(name);
  });
});
