// The demo as a first visit sees it (issue 17): a query typed while the corpus
// is indexing waits for the index and says so; the default ranking fits the
// test model (keyword) and the page says why; nonsense says "No results";
// a model URL that points nowhere is "not found" with its URL. A screenshot
// of the demo after a query is kept under test-results/.
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launch, ROOT, startServer, type Server } from './support.js';

const RU_QUERY = 'как работает алгоритм ведро токенов';
const RU_TARGET = 'ru-rate-limiting-1';
const NONSENSE = 'xqzzv plorf';
const SCREENSHOT = path.join(ROOT, 'test-results', 'front-door-demo.png');

let server: Server;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer(), launch()]);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function searchFor(query: string): Promise<void> {
  await page.fill('#q', query);
  await page.waitForFunction((q) => document.body.dataset.lastQuery === q && !document.body.dataset.queued, query, { timeout: 30_000 });
}

describe('the demo on a first visit', () => {
  it('holds a query typed while indexing, says so, and runs it when the index is ready: the Russian query ranks its passage first by default', async () => {
    // A new page is a new browser context: empty IndexedDB, so the corpus is encoded now.
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${server.url}/?backend=wasm&index=front-door`);
    await page.waitForSelector('body[data-state="indexing"]', { timeout: 120_000 });
    expect(await page.getAttribute('#search-form', 'aria-busy')).toBe('true');
    expect(await page.getAttribute('#q', 'placeholder')).toMatch(/^Indexing the sample corpus…/);

    await page.fill('#q', RU_QUERY);
    await page.press('#q', 'Enter'); // no debounce: the query must be held, not dropped and not an INDEX_EMPTY error
    await page.waitForFunction((q) => document.body.dataset.queued === q, RU_QUERY, { timeout: 10_000 });
    expect(await page.textContent('#summary')).toBe(`Indexing… “${RU_QUERY}” will run as soon as the index is ready.`);
    expect(await page.locator('#results li').count()).toBe(0);
    expect(await page.textContent('#status')).toMatch(/Indexing: \d+ \/ \d+ passages|Loading the sample corpus/);

    await page.waitForSelector('body[data-state="ready"]', { timeout: 180_000 });
    await page.waitForFunction((q) => document.body.dataset.lastQuery === q, RU_QUERY, { timeout: 30_000 });
    expect(await page.getAttribute('#search-form', 'aria-busy')).toBe('false');
    expect(await page.$eval('input[name=mode]:checked', (r) => (r as HTMLInputElement).value)).toBe('keyword');
    expect(await page.textContent('#summary')).toMatch(/^\d+ results \(keyword\) in \d+ ms$/);
    expect(await page.locator('#results li').first().getAttribute('data-id')).toBe(RU_TARGET);
    const note = (await page.textContent('#mode-note')) ?? '';
    expect(note).toContain('Ranking: keyword by default');
    expect(note).toContain('test model');
    expect(note).toContain('with a real BGE-M3 model the default is hybrid');
    expect(await page.isHidden('#mode-note')).toBe(false);

    await mkdir(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect((await stat(SCREENSHOT)).size).toBeGreaterThan(10_000);
    console.log(`front-door screenshot: ${SCREENSHOT}`);
  });

  it('keeps every engine mode selectable', async () => {
    for (const mode of ['hybrid', 'sparse', 'dense', 'multi']) {
      await page.check(`input[name=mode][value=${mode}]`);
      await page.waitForFunction((m) => document.body.dataset.lastMode === m, mode, { timeout: 30_000 });
      expect(await page.textContent('#summary')).toMatch(new RegExp(`^10 results \\(${mode}\\)`));
      expect(await page.locator('#results li').count()).toBe(10);
    }
    await page.check('input[name=mode][value=keyword]');
    await page.waitForFunction(() => document.body.dataset.lastMode === 'keyword', undefined, { timeout: 30_000 });
  });

  it('says "No results for …" for nonsense and lists nothing; semantic modes say no passage shares a word', async () => {
    await searchFor(NONSENSE);
    expect(await page.textContent('#summary')).toBe(`No results for “${NONSENSE}” (keyword): no passage contains any of its words.`);
    expect(await page.locator('#results li').count()).toBe(0);

    await page.check('input[name=mode][value=hybrid]');
    await page.waitForFunction(() => document.body.dataset.lastMode === 'hybrid', undefined, { timeout: 30_000 });
    expect(await page.locator('#results li').count()).toBe(10);
    expect(await page.textContent('#summary .caveat')).toContain(`No passage contains a word of “${NONSENSE}”`);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('reports ?model=/nope/ as a model folder that was not found, naming its URL', async () => {
    const p = await browser.newPage();
    await p.goto(`${server.url}/?backend=wasm&model=/nope/&index=front-door-nope`);
    await p.waitForSelector('body[data-state="failed"]', { timeout: 60_000 });
    const status = (await p.textContent('#status')) ?? '';
    expect(status).toContain(`MODEL_FILES: The model folder ${server.url}/nope/ was not found`);
    expect(status).toContain(`${server.url}/nope/tokenizer.json`);
    expect(status).toContain('HTML page');
    expect(status).not.toContain('not valid JSON');
    expect(await p.isDisabled('#q')).toBe(true);
    await p.close();
  });
});
