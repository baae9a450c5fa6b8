// The demo page (index.html): indexes the bundled sample corpus with a
// progress bar, searches as you type, switches ranking modes, shows the three
// signal scores per hit, and on the next visit restores without encoding.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserSearch } from '../../src/browser/index.js';
import { launch, sampleCorpus, startServer, type Server } from './support.js';

let server: Server;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer(), launch()]);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function openDemo(page: Page): Promise<void> {
  page.on('pageerror', (e) => console.error('[page error]', e.message));
  await page.goto(`${server.url}/?backend=wasm&index=e2e-demo`);
  await page.waitForSelector('body[data-state="ready"]', { timeout: 120_000 });
}

describe('demo page', () => {
  it('indexes the sample corpus, searches as you type in every mode, and restores on reload', async () => {
    const corpus = await sampleCorpus();
    const target = corpus.find((d) => d.id.startsWith('de-'))!;
    const query = target.text.split(/\s+/).slice(0, 12).join(' ');
    const page = await browser.newPage();
    await openDemo(page);
    expect(await page.textContent('#doc-count')).toBe(String(corpus.length));
    expect(await page.textContent('#backend')).toMatch(/^wasm/);
    expect(await page.$eval('#progress', (p) => (p as HTMLProgressElement).value)).toBe(1);
    expect(await page.locator('#examples button').count()).toBeGreaterThan(3);

    await page.check('input[name=mode][value=sparse]');
    await page.fill('#q', query);
    await page.waitForFunction((q) => document.body.dataset.lastQuery === q, query, { timeout: 30_000 });
    const first = page.locator('#results li').first();
    expect(await first.getAttribute('data-id')).toBe(target.id);
    const signals = await first.locator('[data-signal]').allTextContents();
    expect(signals).toHaveLength(3);
    for (const s of signals) expect(s).toMatch(/^(dense|sparse|multi) -?\d+\.\d{4} \(#\d+\)$/);
    expect(await page.textContent('#summary')).toContain('(sparse)');

    for (const mode of ['dense', 'multi', 'hybrid']) {
      await page.check(`input[name=mode][value=${mode}]`);
      await page.waitForFunction((m) => document.querySelector('#summary')?.textContent?.includes(`(${m})`), mode, { timeout: 30_000 });
      expect(await page.locator('#results li').count()).toBe(10);
    }

    await page.reload();
    await page.waitForSelector('body[data-state="ready"]', { timeout: 120_000 });
    expect(await page.textContent('#status')).toContain('all restored from IndexedDB without encoding');
    const passes = await page.evaluate(() => (window as unknown as { m3demo: BrowserSearch }).m3demo.stats().then((s) => s.encoderPasses));
    expect(passes).toBe(0);
    await page.close();
  });
});
