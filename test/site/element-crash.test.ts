// <m3-search> when its worker cannot run: the worker script answers 404, or
// throws as it starts. The box says so in its status line within 2 s (the
// browser runtime's crash watch, not a timeout), and the next keystroke tries
// a fresh worker: once the script is served again, typing gives results.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page, type Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic, type StaticServer } from '../../src/site/serve.js';
import { testModel } from '../helpers/test-model.js';
import { CHROMIUM, ROOT } from '../e2e/support.js';

const PY_DOCS = process.env.M3S_PYDOCS ?? '/usr/share/doc/python3.11/html';
const PAGES = ['tutorial/index.html', 'library/json.html', 'library/pathlib.html'];
const ARGS = ['--headless=new', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

interface Box {
  status: string;
  panelShown: boolean;
  hits: number;
  query: string;
}

function box(page: Page): Promise<Box> {
  return page.evaluate(() => {
    const root = document.querySelector('m3-search')?.shadowRoot;
    return {
      status: root?.querySelector('.status')?.textContent ?? '',
      panelShown: root?.querySelector<HTMLElement>('.panel')?.hidden === false,
      hits: root?.querySelectorAll('li.hit').length ?? 0,
      query: root?.querySelector('ul')?.getAttribute('data-query') ?? '',
    };
  });
}

describe('<m3-search> when its worker fails (Chromium)', () => {
  let dir: string;
  let server: StaticServer;
  let browser: Browser;

  beforeAll(async () => {
    const model = (await testModel()).layouts['heads-in-graph'];
    dir = await mkdtemp(path.join(os.tmpdir(), 'm3search-element-crash-'));
    const site = path.join(dir, 'site');
    for (const p of PAGES) {
      await mkdir(path.dirname(path.join(site, p)), { recursive: true });
      await cp(path.join(PY_DOCS, p), path.join(site, p));
    }
    // Keyword search is enough here: no --copy-model, so the page never loads ONNX Runtime.
    await promisify(execFile)(process.execPath, [path.join(ROOT, 'bin', 'm3search.mjs'), 'index', site, '--out', path.join(site, 'm3search'), '--model', model, '--inject', '--quiet'], { cwd: ROOT });
    server = await serveStatic(site);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Breaks the worker script with `broken` until the returned function is called; counts the script's requests. */
  async function breakWorker(page: Page, broken: (route: Route) => Promise<void>): Promise<{ repair: () => void; requests: () => number }> {
    let ok = false;
    let requests = 0;
    await page.route('**/m3search/m3search-worker.js', async (route) => {
      requests++;
      if (ok) await route.continue();
      else await broken(route);
    });
    return { repair: () => (ok = true), requests: () => requests };
  }

  async function failsThenRecovers(broken: (route: Route) => Promise<void>): Promise<void> {
    // The injected service worker would fetch the script itself, past the route below.
    const context = await browser.newContext({ serviceWorkers: 'block' });
    const page = await context.newPage();
    const urls: string[] = [];
    context.on('request', (r) => urls.push(r.url()));
    const worker = await breakWorker(page, broken);
    await page.goto(`${server.url}library/json.html`);
    const input = page.locator('m3-search input');
    await input.fill('json');
    // The crash watch reports within 2 s; the box shows why instead of nothing.
    await page.waitForFunction(
      () => /unavailable/i.test(document.querySelector('m3-search')?.shadowRoot?.querySelector('.status')?.textContent ?? ''),
      undefined,
      { timeout: 2_000 },
    );
    const failed = await box(page);
    expect(failed.status).toMatch(/^Search is unavailable: .{10,120}$/);
    expect(failed.panelShown).toBe(true);
    expect(failed.hits).toBe(0);
    const tries = worker.requests();
    expect(tries).toBeGreaterThanOrEqual(1);

    // The failed search is not cached: the next keystroke starts a fresh worker, which now loads.
    worker.repair();
    await input.fill('json dumps');
    await page.waitForFunction(() => document.querySelector('m3-search')?.shadowRoot?.querySelector('ul')?.getAttribute('data-query') === 'json dumps', undefined, { timeout: 30_000 });
    const recovered = await box(page);
    expect(worker.requests()).toBeGreaterThan(tries);
    expect(recovered.hits).toBeGreaterThan(0);
    expect(recovered.status).not.toMatch(/unavailable/i);
    // Keyword search only (no model next to this index): ONNX Runtime's JS and wasm are never fetched.
    expect(urls.filter((u) => /\/[^/]*\bort[-.][^/]*$/.test(u))).toEqual([]);
    await context.close();
  }

  it('a worker script answering 404: error within 2 s, then results once it is served again', async () => {
    await failsThenRecovers((route) => route.fulfill({ status: 404, contentType: 'text/plain', body: 'not found' }));
  }, 60_000);

  it('a worker that throws as it starts: error within 2 s, then results once it is served again', async () => {
    await failsThenRecovers((route) => route.fulfill({ status: 200, contentType: 'text/javascript', body: "throw new Error('boom: the worker failed at start');" }));
  }, 60_000);
});
