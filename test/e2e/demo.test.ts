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

interface Row {
  id: string;
  score: number;
  signals: Partial<Record<'dense' | 'sparse' | 'multi', { score: number; rank: number }>>;
}

/** The result rows as shown: final score and each signal's score and rank, parsed from the text. */
function rows(page: Page): Promise<Row[]> {
  return page.$$eval('#results li', (lis) =>
    lis.map((li) => {
      const signals: Record<string, { score: number; rank: number }> = {};
      for (const s of li.querySelectorAll<HTMLElement>('[data-signal]')) {
        const m = /^(\w+) (-?\d+\.\d+) \(#(\d+)\)$/.exec(s.textContent ?? '');
        if (m) signals[m[1]!] = { score: Number(m[2]), rank: Number(m[3]) };
      }
      const final = /score (-?\d+\.\d+)/.exec(li.querySelector('.final')?.textContent ?? '');
      return { id: (li as HTMLElement).dataset.id ?? '', score: final ? Number(final[1]) : Number.NaN, signals };
    }),
  );
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

    // Each mode ranks by its own signal: the shown score is that signal's score (hybrid: the
    // documented 0.4·dense + 0.2·sparse + 0.4·multi), rows in score order, the first row #1 by it.
    for (const mode of ['sparse', 'dense', 'multi', 'hybrid'] as const) {
      await page.check(`input[name=mode][value=${mode}]`);
      await page.waitForFunction((m) => document.querySelector('#summary')?.textContent?.includes(`(${m})`), mode, { timeout: 30_000 });
      const shown = await rows(page);
      expect(shown, mode).toHaveLength(10);
      for (let i = 1; i < shown.length; i++) expect(shown[i - 1]!.score, mode).toBeGreaterThanOrEqual(shown[i]!.score);
      for (const r of shown) {
        const want = mode === 'hybrid' ? 0.4 * r.signals.dense!.score + 0.2 * r.signals.sparse!.score + 0.4 * r.signals.multi!.score : r.signals[mode]!.score;
        expect(Math.abs(r.score - want), `${mode} ${r.id}`).toBeLessThanOrEqual(mode === 'hybrid' ? 2e-4 : 1e-9);
      }
      if (mode !== 'hybrid') expect(shown[0]!.signals[mode]!.rank, mode).toBe(1);
    }

    await page.reload();
    await page.waitForSelector('body[data-state="ready"]', { timeout: 120_000 });
    expect(await page.textContent('#status')).toContain('all restored from IndexedDB without encoding');
    const passes = await page.evaluate(() => (window as unknown as { m3demo: BrowserSearch }).m3demo.stats().then((s) => s.encoderPasses));
    expect(passes).toBe(0);
    await page.close();
  }, 240_000);
});
