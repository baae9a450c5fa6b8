// A static site with the 1-bit pass, in Chromium through <m3-search>, served
// by `m3search serve` (serveStatic):
// - the first hybrid query downloads the sign codes and at most
//   rescoreDepth + candidates row blocks, never a full dense file: its index
//   bytes stay under a bound computed from the file sizes;
// - served cross-origin isolated (the default), the page is
//   crossOriginIsolated and ONNX Runtime runs on more than one WASM thread;
//   without the headers, one.
// The test model at its own 32 dimensions, the pass forced on, one row per block.
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexSite } from '../../src/site/publish.js';
import { rescoreDepth } from '../../src/site/query.js';
import { serveStatic } from '../../src/site/serve.js';
import { denseShardBytes } from '../../src/site/shards.js';
import type { SiteManifest } from '../../src/site/types.js';
import { CHROMIUM, sampleCorpus } from '../e2e/support.js';
import { testModel } from '../helpers/test-model.js';
import { ARGS, htmlPage, writePages } from './small-site.js';

/** The element's defaults (src/element/element.ts, src/site/search.ts): 5 pages × 3 sections asked, 2k passages ranked. */
const ELEMENT_K = 15;
const CANDIDATES = Math.max(100, 10 * ELEMENT_K);
const MAX_ROWS = rescoreDepth(2 * ELEMENT_K, CANDIDATES) + CANDIDATES;

let dir: string;
let site: string;
let manifest: SiteManifest;
let browser: Browser;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'm3s-bits-page-'));
  site = path.join(dir, 'site');
  // One page per corpus document, one section per sentence: well over MAX_ROWS passages.
  const pages: Record<string, string> = {};
  for (const d of await sampleCorpus()) {
    const sentences = d.text.split(/(?<=[.!?])\s+/).filter((s) => s.split(/\s+/).length >= 3);
    pages[`p/${d.id}.html`] = htmlPage(d.title ?? d.id, sentences.map((s, i) => [`s${i}`, `Part ${i + 1}`, s]));
  }
  await writePages(site, pages);
  await indexSite({ site, out: path.join(site, 'm3search'), model: (await testModel()).layouts['heads-in-graph'], copyModel: true, inject: true, denseBits: 'on', targets: { rowBytes: 1 } });
  manifest = JSON.parse(await readFile(path.join(site, 'm3search', 'manifest.json'), 'utf8')) as SiteManifest;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Sizes of the index files whose names start with `prefix`. */
async function sizes(prefix: string): Promise<number[]> {
  const names = (await readdir(path.join(site, 'm3search', 'shards'))).filter((f) => f.startsWith(prefix));
  return Promise.all(names.map(async (f) => (await stat(path.join(site, 'm3search', 'shards', f))).size));
}
const total = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

/** One fresh visit: type `query`, wait for the hybrid answer; the index files served from the keyword answer on, and what the page reports. */
async function visit(isolate: boolean, query: string): Promise<{ served: [string, number][]; isolated: boolean; threads: string | undefined; cores: number }> {
  const log: [string, number][] = [];
  const server = await serveStatic(site, 0, '127.0.0.1', { isolate, onServe: (p, b) => log.push([p, b]) });
  const context = await browser.newContext({ serviceWorkers: 'block' });
  try {
    const page = await context.newPage();
    await page.goto(`${server.url}p/${(await readdir(path.join(site, 'p')))[0]}`);
    await page.locator('m3-search input').fill(query);
    await page.waitForFunction(() => (document.querySelector('m3-search')?.shadowRoot?.querySelectorAll('li.hit').length ?? 0) > 0, undefined, { timeout: 60_000 });
    const atKeyword = log.length;
    await page.waitForFunction(() => (document.querySelector('m3-search') as (HTMLElement & { mode?: string }) | null)?.mode === 'hybrid', undefined, { timeout: 120_000 });
    await page.waitForFunction(() => (document.querySelector('m3-search')?.shadowRoot?.querySelectorAll('li.hit').length ?? 0) > 0, undefined, { timeout: 60_000 });
    const seen = await page.evaluate(() => ({ isolated: crossOriginIsolated, threads: (document.querySelector('m3-search') as HTMLElement).dataset.wasmThreads, cores: navigator.hardwareConcurrency }));
    const served = log.slice(atKeyword).filter(([p]) => p.startsWith('/m3search/shards/') || p === '/m3search/manifest.json').map(([p, b]): [string, number] => [p.slice('/m3search/'.length), b]);
    return { served, ...seen };
  } finally {
    await context.close();
    await server.close();
  }
}

describe('a static site with the 1-bit pass, in Chromium', () => {
  let isolated: Awaited<ReturnType<typeof visit>>;
  beforeAll(async () => {
    isolated = await visit(true, 'service worker cache');
  }, 180_000);

  it('the first hybrid query fetches the sign codes and the candidates’ row blocks, not the dense files, within a bound from the file sizes', async () => {
    expect(manifest.shards.dense.bits?.blockRows).toBe(1);
    expect(manifest.counts.passages).toBeGreaterThan(3 * MAX_ROWS);
    const { served } = isolated;
    const of = (prefix: string) => served.filter(([f]) => f.startsWith(`shards/${prefix}`));
    const bytes = (xs: [string, number][]) => total(xs.map(([, b]) => b));
    const rowFile = denseShardBytes(1, manifest.model!.denseDim);
    expect(of('dense-')).toEqual([]);
    expect(of('rows-').length).toBeGreaterThan(0);
    expect(of('rows-').length).toBeLessThanOrEqual(MAX_ROWS);
    expect(bytes(of('rows-'))).toBe(of('rows-').length * rowFile);
    // Dense-side bytes: every sign code, and the rows of the candidates: less than the dense files.
    const denseSide = bytes([...of('bits-'), ...of('rows-')]);
    const bound = total(await sizes('bits-')) + MAX_ROWS * rowFile;
    expect(denseSide).toBeLessThanOrEqual(bound);
    expect(bound).toBeLessThan(manifest.bytes.dense);
    // Everything the hybrid query fetched: within every index file but the dense rows, plus the bound's rows.
    const allButRows = manifest.bytes.total - manifest.bytes.dense - manifest.bytes.bits! + total(await sizes('bits-')) + MAX_ROWS * rowFile;
    expect(bytes(served)).toBeLessThanOrEqual(allButRows);
  }, 180_000);

  it('served by m3search serve: cross-origin isolated, ONNX Runtime on more than one WASM thread; without the headers, one', async () => {
    const on = isolated;
    expect(on.isolated).toBe(true);
    expect(Number(on.threads)).toBe(Math.min(4, on.cores));
    if (on.cores > 1) expect(Number(on.threads)).toBeGreaterThan(1);
    const off = await visit(false, 'service worker cache');
    expect(off.isolated).toBe(false);
    expect(off.threads).toBe('1');
  }, 180_000);
});
