// <m3-search> under the Content-Security-Policies the README gives, in
// Chromium: every response (pages, script, worker, index, model, ORT) carries
// the policy, and violations are sent to a report-uri this test collects.
// - keyword-only policy (no inline styles, no 'wasm-unsafe-eval'), page with
//   data-model="none": styled (constructable stylesheet), keyword results, no violation;
// - hybrid policy: hybrid results, styled, no violation;
// - keyword-only policy on a page that loads the model: the status line says
//   the policy blocks WebAssembly (not an ONNX Runtime trace), keyword results still show.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic, type StaticServer } from '../../src/site/serve.js';
import { testModel } from '../helpers/test-model.js';
import { CHROMIUM } from '../e2e/support.js';
import { ARGS, htmlPage, indexWithCli, searchBox, writePages } from './small-site.js';

/** The two policies of the README's "Content-Security-Policy" section, verbatim. */
export const KEYWORD_POLICY = "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'";
export const HYBRID_POLICY = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; base-uri 'none'";

const PAGES: Record<string, string> = {
  'index.html': htmlPage('Fruit handbook', [['welcome', 'Welcome', 'A handbook about growing fruit trees in gardens.']]),
  'guide/setup.html': htmlPage('Setup', [
    ['install', 'Planting kiwi', 'kiwi orchard harvest: plant kiwi vines in spring and harvest the orchard in autumn.'],
    ['watering', 'Watering', 'Water young trees twice a week during dry summer weeks.'],
  ]),
  'guide/pests.html': htmlPage('Pests', [['aphids', 'Aphids', 'Aphids and beetles attack leaves; soap spray keeps them away.']]),
};
/** Written after indexing (not injected, not indexed): a keyword-only page. */
const KEYWORD_PAGE = htmlPage('Keyword only', [['k', 'Keyword only', 'This page searches without a model.']], '<script src="m3search/m3search.js" data-index="m3search/" data-model="none" defer></script>').replace('<main>', '<m3-search></m3-search><main>');

describe('<m3-search> under a strict Content-Security-Policy (Chromium)', () => {
  let dir: string;
  let files: StaticServer;
  let front: http.Server;
  let url: string;
  let browser: Browser;
  let policy = KEYWORD_POLICY;
  const reports: string[] = [];

  beforeAll(async () => {
    const model = (await testModel()).layouts['heads-in-graph'];
    dir = await mkdtemp(path.join(os.tmpdir(), 'm3search-csp-'));
    const site = path.join(dir, 'site');
    await writePages(site, PAGES);
    await indexWithCli(site, model, ['--copy-model', '--quiet']);
    await writePages(site, { 'keyword.html': KEYWORD_PAGE });
    files = await serveStatic(site);
    // In front of the file server: the policy on every response, and the report-uri endpoint.
    front = http.createServer((req, res) => {
      if (req.method === 'POST' && req.url === '/csp-report') {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          reports.push(body);
          res.writeHead(204).end();
        });
        return;
      }
      void fetch(new URL(req.url ?? '/', files.url)).then(async (r) => {
        const headers: Record<string, string> = { 'content-security-policy': `${policy}; report-uri /csp-report` };
        r.headers.forEach((v, k) => {
          if (k === 'content-type' || k === 'cache-control') headers[k] = v;
        });
        res.writeHead(r.status, headers).end(Buffer.from(await r.arrayBuffer()));
      });
    });
    front.keepAliveTimeout = 1000;
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(front.address() as AddressInfo).port}/`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    front?.closeAllConnections();
    await new Promise((r) => front?.close(r));
    await files?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A fresh context (no offline copy, no service worker) with in-page violation and console listeners. */
  async function open(p: string): Promise<{ page: Page; violations: string[]; close: () => Promise<void> }> {
    reports.length = 0;
    const context = await browser.newContext({ serviceWorkers: 'block' });
    const page = await context.newPage();
    const violations: string[] = [];
    await page.exposeFunction('__cspViolation', (s: string) => violations.push(s));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => (window as unknown as { __cspViolation(s: string): void }).__cspViolation(`${e.violatedDirective} ${e.blockedURI}`));
    });
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
    });
    await page.goto(url + p);
    return { page, violations, close: () => context.close() };
  }

  /** The box's computed style from inside the shadow root: flex only when the stylesheet applied. */
  const boxDisplay = (page: Page): Promise<string> =>
    page.evaluate(() => {
      const box = document.querySelector('m3-search')?.shadowRoot?.querySelector('.box');
      return box ? getComputedStyle(box).display : 'missing';
    });

  it('keyword-only policy: styled, keyword results, no violation reported', async () => {
    policy = KEYWORD_POLICY;
    const { page, violations, close } = await open('keyword.html');
    await page.waitForFunction(() => customElements.get('m3-search') !== undefined);
    expect(await boxDisplay(page)).toBe('flex');
    const box = await searchBox(page, 'kiwi orchard', 'keyword');
    expect(box.titles[0]).toBe('Setup');
    await page.waitForTimeout(1500); // let any late violation (worker, offline copy) arrive
    expect(violations).toEqual([]);
    expect(reports).toEqual([]);
    await close();
  }, 120_000);

  it('hybrid policy: hybrid results, styled, no violation reported', async () => {
    policy = HYBRID_POLICY;
    const { page, violations, close } = await open('guide/setup.html');
    await page.waitForFunction(() => customElements.get('m3-search') !== undefined);
    expect(await boxDisplay(page)).toBe('flex');
    await searchBox(page, 'kiwi orchard');
    const box = await searchBox(page, 'kiwi harvest', 'hybrid');
    expect(box.titles).toContain('Setup');
    await page.waitForTimeout(1000);
    expect(violations).toEqual([]);
    expect(reports).toEqual([]);
    await close();
  }, 120_000);

  it('WebAssembly blocked: a clear status line, keyword results still show', async () => {
    policy = KEYWORD_POLICY;
    const { page, close } = await open('guide/setup.html');
    const first = await searchBox(page, 'kiwi orchard', 'keyword');
    expect(first.titles[0]).toBe('Setup');
    await page.waitForFunction(() => /Content-Security-Policy/.test(document.querySelector('m3-search')?.shadowRoot?.querySelector('.status')?.textContent ?? ''), undefined, { timeout: 60_000 });
    const box = await searchBox(page, 'aphids beetles', 'keyword');
    expect(box.status).toBe("This page's Content-Security-Policy blocks WebAssembly ('wasm-unsafe-eval'); showing keyword results.");
    expect(box.titles[0]).toBe('Pests');
    // The report-uri channel the other tests rely on does carry the refusal.
    expect(reports.some((r) => /wasm-eval|script-src/.test(r))).toBe(true);
    await close();
  }, 120_000);
});
