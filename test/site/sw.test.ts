// The service worker (src/element/sw.ts) in Chromium over http://localhost
// (a secure context), a small site indexed by the real CLI with --sw-pages,
// served through a front server that adds the headers under test:
// - by default (no data-sw-pages) it is scoped to the index folder and
//   controls no page;
// - with pages opted in: the bundle and worker are cached at install, the
//   registering page when it activates; no-store and private pages, query-string
//   variants, a 206 and a `Vary: *` response are answered as the server sent
//   them and never kept; offline, a second page visited before loads and searches,
//   a no-store page does not;
// - the cache is bounded (data-sw-max), the oldest pages dropped first, the
//   bundle and worker kept.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic, type StaticServer } from '../../src/site/serve.js';
import { testModel } from '../helpers/test-model.js';
import { CHROMIUM } from '../e2e/support.js';
import { ARGS, htmlPage, indexWithCli, searchBox, writePages } from './small-site.js';

const CACHE = 'm3search-v2';
const PAGES: Record<string, string> = {
  'index.html': htmlPage('Fruit handbook', [['welcome', 'Welcome', 'A handbook about growing fruit trees in gardens.']]),
  'guide/setup.html': htmlPage('Setup', [
    ['install', 'Planting kiwi', 'kiwi orchard harvest: plant kiwi vines in spring and harvest the orchard in autumn.'],
    ['watering', 'Watering', 'Water young trees twice a week during dry summer weeks.'],
  ]),
};
const tag = (up: string, extra = ''): string => `<script src="${up}m3search/m3search.js" data-index="${up}m3search/" data-sw="${up}m3search-sw.js"${extra} defer></script>`;
/** Written after indexing: pages with the script tag (and no box) the front server gives other headers or the bound test visits. */
const EXTRA: Record<string, string> = {
  'nostore.html': htmlPage('No store', [['a', 'A', 'never kept']], tag('', ' data-sw-pages')),
  'private.html': htmlPage('Private', [['a', 'A', 'never kept']], tag('', ' data-sw-pages')),
  'query.html': htmlPage('Query', [['a', 'A', 'kept without its query only']], tag('', ' data-sw-pages')),
  'plain.html': htmlPage('Plain', [['a', 'A', 'default scope']], tag('')),
  ...Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`bound/p${i}.html`, htmlPage(`P${i}`, [['a', 'A', `page ${i}`]], tag('../', ' data-sw-pages data-sw-max="5"'))])),
};

describe('service worker (Chromium, http://localhost)', () => {
  let dir: string;
  let files: StaticServer;
  let front: http.Server;
  let url: string;
  let browser: Browser;

  beforeAll(async () => {
    const model = (await testModel()).layouts['heads-in-graph'];
    dir = await mkdtemp(path.join(os.tmpdir(), 'm3search-sw-'));
    const site = path.join(dir, 'site');
    await writePages(site, PAGES);
    await indexWithCli(site, model, ['--quiet', '--sw-pages']);
    await writePages(site, EXTRA);
    files = await serveStatic(site);
    front = http.createServer((req, res) => {
      const p = new URL(req.url ?? '/', 'http://x').pathname;
      if (p === '/m3search/m3search-range-test.js') return void res.writeHead(206, { 'content-type': 'text/javascript', 'content-range': 'bytes 0-3/10' }).end('part');
      if (p === '/m3search/m3search-vary-test.js') return void res.writeHead(200, { 'content-type': 'text/javascript', vary: '*' }).end('vary ok');
      void fetch(new URL(req.url ?? '/', files.url)).then(async (r) => {
        const headers: Record<string, string> = {};
        r.headers.forEach((v, k) => {
          if (k === 'content-type' || k === 'cache-control') headers[k] = v;
        });
        if (p === '/nostore.html') headers['cache-control'] = 'no-store';
        if (p === '/private.html') headers['cache-control'] = 'private, max-age=60';
        res.writeHead(r.status, headers).end(Buffer.from(await r.arrayBuffer()));
      });
    });
    front.keepAliveTimeout = 1000;
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    url = `http://localhost:${(front.address() as AddressInfo).port}/`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: [...ARGS, '--host-resolver-rules=MAP localhost 127.0.0.1'] });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    front?.closeAllConnections();
    await new Promise((r) => front?.close(r));
    await files?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The URLs in the worker's cache, relative to the site root. */
  const cached = (page: Page): Promise<string[]> =>
    page.evaluate(async (name) => (await (await caches.open(name)).keys()).map((r) => r.url.replace(location.origin + '/', '')), CACHE);

  async function waitCached(page: Page, want: string[]): Promise<void> {
    await page.waitForFunction(
      async ([name, w]) => {
        const keys = (await (await caches.open(name)).keys()).map((r) => r.url.replace(location.origin + '/', ''));
        return w.every((u) => keys.includes(u));
      },
      [CACHE, want] as const,
      { timeout: 30_000, polling: 200 },
    );
  }

  const controlled = (page: Page): Promise<unknown> => page.waitForFunction(() => navigator.serviceWorker?.controller !== null, undefined, { timeout: 30_000 });

  it('without data-sw-pages: scoped to the index folder, the page is not controlled', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url + 'plain.html');
    const scopes = await page.evaluate(async () => {
      for (let i = 0; i < 100 && (await navigator.serviceWorker.getRegistrations()).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
      return (await navigator.serviceWorker.getRegistrations()).map((r) => r.scope);
    });
    expect(scopes).toEqual([`${url}m3search/`]);
    expect(await page.evaluate(() => navigator.serviceWorker.controller)).toBeNull();
    await context.close();
  }, 60_000);

  it('keeps only its own files and storable pages, passes 206 and Vary:* through, and searches offline on a page visited before', async () => {
    const context: BrowserContext = await browser.newContext();
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error('[page error]', e.message));
    await page.goto(url + 'index.html');
    await controlled(page);
    // Precached at install; the registering page kept when the worker took over.
    await waitCached(page, ['m3search/m3search.js', 'm3search/m3search-worker.js', 'index.html']);
    // Search once under control, so the worker's chunks go through the service worker, and the offline copy is saved.
    await searchBox(page, 'kiwi orchard', 'keyword');
    await page.waitForFunction(() => document.querySelector('m3-search')?.getAttribute('data-offline') === 'saved', undefined, { timeout: 60_000 });

    for (const p of ['guide/setup.html', 'nostore.html', 'private.html', 'query.html?v=2']) {
      const res = await page.goto(url + p);
      expect(res?.status(), p).toBe(200);
    }
    // What the server sent comes back as sent (a refused cache.put must not turn them into errors).
    const answers = await page.evaluate(async () => {
      const get = async (u: string): Promise<[number, string]> => {
        const r = await fetch(u);
        return [r.status, await r.text()];
      };
      return [await get('m3search/m3search-range-test.js'), await get('m3search/m3search-vary-test.js'), (await fetch('m3search/m3search.js', { headers: { range: 'bytes=0-9' } })).ok];
    });
    expect(answers).toEqual([[206, 'part'], [200, 'vary ok'], true]);
    await waitCached(page, ['guide/setup.html']);
    await page.waitForTimeout(500); // let any late put land
    const keys = await cached(page);
    for (const never of ['nostore.html', 'private.html', 'query.html?v=2', 'query.html', 'm3search/m3search-range-test.js', 'm3search/m3search-vary-test.js', 'm3search/manifest.json']) expect(keys, never).not.toContain(never);
    expect(keys.some((k) => k.includes('/shards/') || k.includes('/tokenizer/'))).toBe(false);

    await context.setOffline(true);
    try {
      await page.goto(url + 'guide/setup.html');
      const box = await searchBox(page, 'watering summer', 'keyword');
      expect(box.titles[0]).toBe('Setup');
      // Not kept, so not there offline.
      await expect(page.goto(url + 'nostore.html')).rejects.toThrow();
    } finally {
      await context.setOffline(false);
    }
    await context.close();
  }, 180_000);

  it('is bounded: past data-sw-max the oldest pages go, the bundle and worker stay', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url + 'bound/p0.html');
    await controlled(page);
    await waitCached(page, ['m3search/m3search.js', 'm3search/m3search-worker.js', 'bound/p0.html']);
    for (let i = 1; i < 10; i++) await page.goto(`${url}bound/p${i}.html`);
    await waitCached(page, ['bound/p9.html']);
    await page.waitForTimeout(500);
    const keys = await cached(page);
    expect(keys).toHaveLength(5);
    expect(keys).toEqual(expect.arrayContaining(['m3search/m3search.js', 'm3search/m3search-worker.js', 'bound/p7.html', 'bound/p8.html', 'bound/p9.html']));
    await context.close();
  }, 120_000);
});
