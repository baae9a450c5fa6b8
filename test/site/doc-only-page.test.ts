// A doc-only site in Chromium (issue #15): `m3search index --model <doc-only
// folder>` gives pages whose first query is learned sparse, with no ONNX
// Runtime, no model file, no full tokenizer and no tokenizer library fetched
// (requests recorded), at keyword-mode bytes: at most 1.3× what the first
// query of a keyword-only build of the same pages needs, measured side by side.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexSite } from '../../src/site/publish.js';
import { serveStatic, type StaticServer } from '../../src/site/serve.js';
import { testModel } from '../helpers/test-model.js';
import { CHROMIUM } from '../e2e/support.js';
import { ARGS, boxState, htmlPage, indexWithCli, writePages } from './small-site.js';

const PAGES: Record<string, string> = {
  'index.html': htmlPage('Search handbook', [['welcome', 'Welcome', 'A handbook about the search engine and its document index.']]),
  'guide/ranking.html': htmlPage('Ranking', [['neural', 'Neural ranking', 'Neural ranking models score each document against the query.']]),
  'guide/travel.html': htmlPage('Travel', [['tokyo', 'Tokyo', 'The train from the airport to the hotel in Tokyo takes an hour.']]),
  'guide/food.html': htmlPage('Food', [['coffee', 'Coffee', 'A coffee and tea recipe for a cold winter morning.']]),
};

describe('a doc-only site in Chromium', () => {
  let dir: string;
  let server: StaticServer;
  let browser: Browser;

  beforeAll(async () => {
    const model = (await testModel()).docOnly;
    dir = await mkdtemp(path.join(os.tmpdir(), 'm3search-doconly-page-'));
    await writePages(path.join(dir, 'doc'), PAGES);
    await writePages(path.join(dir, 'kw'), PAGES);
    await indexWithCli(path.join(dir, 'doc'), model);
    await indexSite({ site: path.join(dir, 'kw'), inject: true });
    server = await serveStatic(dir);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Opens `site`'s page, types `query`, waits for hits in `mode`; returns what the page fetched (path → bytes). */
  async function firstQuery(site: string, query: string, mode: string): Promise<{ fetched: Map<string, number>; titles: string[]; badge: string }> {
    const context = await browser.newContext({ serviceWorkers: 'block' });
    const fetched = new Map<string, number>();
    const pending: Promise<void>[] = [];
    context.on('requestfinished', (r) => {
      pending.push(
        r.response().then(async (res) => {
          fetched.set(new URL(r.url()).pathname, (await res?.body().catch(() => Buffer.alloc(0)))?.length ?? 0);
        }),
      );
    });
    const page = await context.newPage();
    await page.goto(`${server.url}${site}/index.html`);
    await page.locator('m3-search input').fill(query);
    await page.waitForFunction(
      ([q, m]) => {
        const el = document.querySelector('m3-search') as (HTMLElement & { mode: string }) | null;
        const ul = el?.shadowRoot?.querySelector('ul');
        return ul?.getAttribute('data-query') === q && (ul?.querySelectorAll('li.hit').length ?? 0) > 0 && el!.mode === m;
      },
      [query, mode] as const,
      { timeout: 60_000 },
    );
    const { titles } = await boxState(page);
    const badge = await page.evaluate(() => document.querySelector('m3-search')?.shadowRoot?.querySelector('.mode')?.textContent ?? '');
    await Promise.all(pending);
    await context.close();
    return { fetched, titles, badge };
  }

  it('answers the first query by learned sparse at keyword-mode bytes: no model, no ONNX Runtime, no tokenizer library', async () => {
    const doc = await firstQuery('doc', 'neural ranking', 'sparse');
    const files = [...doc.fetched.keys()];
    expect(files.some((f) => /\/shards\/vocab-/.test(f))).toBe(true);
    expect(files.some((f) => /\/shards\/post-/.test(f))).toBe(true);
    // No model file, full tokenizer or idf table; no ONNX Runtime or the code that loads it; no tokenizer library
    // (the page's own BERT WordPiece tokenizer splits the query, src/site/bert-wordpiece.ts).
    expect(files.filter((f) => /ort-wasm|onnxruntime|m3search-ort\.|m3search-backend-|\.onnx|tokenizer\.json|idf\.json|\/model\//.test(f))).toEqual([]);
    expect(files.filter((f) => /m3search-tokenizers-/.test(f))).toEqual([]);
    // The index folder holds no ONNX Runtime either (the model never runs in the page).
    expect((await readdir(path.join(dir, 'doc', 'm3search'))).filter((f) => f.startsWith('ort-'))).toEqual([]);
    expect(doc.titles.length).toBeGreaterThan(0);
    // The badge says what ranked the list: not "keyword" with a "model not loaded" title.
    expect(doc.badge).toBe('learned sparse');
    const kw = await firstQuery('kw', 'neural ranking', 'keyword');
    expect(kw.badge).toBe('keyword');
    const bytes = (m: Map<string, number>, under: string) => [...m].filter(([f]) => f.startsWith(under)).reduce((s, [, b]) => s + b, 0);
    const vocab = [...doc.fetched].filter(([f]) => /\/shards\/(vocab-|qtok)/.test(f)).reduce((s, [, b]) => s + b, 0);
    const docBytes = bytes(doc.fetched, '/doc/m3search/');
    const kwBytes = bytes(kw.fetched, '/kw/m3search/');
    console.log(
      `first query bytes (Chromium): doc-only ${(docBytes / 1024).toFixed(1)} KiB (vocabulary ${(vocab / 1024).toFixed(1)} KiB, ${doc.fetched.size} requests) · keyword-only ${(kwBytes / 1024).toFixed(1)} KiB (${kw.fetched.size} requests) · ${(docBytes / kwBytes).toFixed(2)}×`,
    );
    expect(vocab).toBeGreaterThan(0);
    // Keyword-mode bytes: the learned-sparse first query costs at most 1.3× the keyword-only build's, measured here on the same pages.
    expect(docBytes).toBeLessThanOrEqual(1.3 * kwBytes);
    if (process.env.M3S_DEBUG_BYTES) for (const m of [doc.fetched, kw.fetched]) console.log([...m].sort((a, b) => b[1] - a[1]).map(([f, b]) => `${f} ${b}`).join("\n"));
  }, 120_000);
});
