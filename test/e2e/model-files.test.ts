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
