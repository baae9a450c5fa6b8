// The keyword analyzer gives the same terms in Chromium as in Node (issue 14):
// every term but the dictionary words of unspaced scripts, whose ICU data
// differs between engine versions (their character pairs are compared instead).
// a static index is analyzed in Node at build time and queries are analyzed in
// the visitor's browser, so every difference is a word that cannot be found.
// Real texts of every shared collection, analyzed by src/core/analyzer.ts in
// both engines (Chromium loads the same module from the vite dev server).
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { Analyzer, detectLanguage } from '../../src/core/analyzer.js';
import { loadStemmers } from '../../src/core/stemmers.js';
import { SHARED_DIR } from '../helpers/shared.js';
import { launch, startServer, type Server } from './support.js';

/** Documents and queries taken from each collection (their first characters): enough words to meet every script's rules. */
const DOCS = 150;
const QUERIES = 150;
const CHARS = 1500;

async function collections(): Promise<string[]> {
  const top = (await readdir(path.join(SHARED_DIR, 'data'))).filter((c) => c !== 'xquad');
  const xquad = (await readdir(path.join(SHARED_DIR, 'data', 'xquad'))).map((l) => `xquad/${l}`);
  return [...top, ...xquad].sort();
}

async function texts(collection: string): Promise<string[]> {
  const lines = async (f: string, n: number): Promise<string[]> =>
    (await readFile(path.join(SHARED_DIR, 'data', collection, f), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .slice(0, n)
      .map((l) => {
        const j = JSON.parse(l) as { text: string; title?: string };
        return `${j.title ?? ''} ${j.text}`.slice(0, CHARS);
      });
  return [...(await lines('corpus.jsonl', DOCS)), ...(await lines('queries.jsonl', QUERIES))];
}

let server: Server;
let browser: Browser;
let page: Page;
beforeAll(async () => {
  server = await startServer();
  browser = await launch();
  page = await browser.newPage();
  await page.addInitScript('globalThis.__name = (f) => f;');
  await page.goto(`${server.url}/test/e2e/harness.html`);
  // The same modules as in Node, served (and transpiled) by vite: a module script, so vitest does not rewrite the import.
  await page.addScriptTag({ type: 'module', content: "import * as a from '/src/core/analyzer.ts'; import * as s from '/src/core/stemmers.ts'; window.__analyzer = { ...a, ...s };" });
  await page.waitForFunction(() => '__analyzer' in window, undefined, { timeout: 60_000 });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the keyword analyzer in Chromium and in Node', () => {
  it('gives the same terms for every shared collection', async () => {
    const names = await collections();
    expect(names.length).toBeGreaterThanOrEqual(17);
    const report: string[] = [];
    let compared = 0;
    let dictionaryDiffers = 0;
    for (const name of names) {
      const sample = await texts(name);
      const language = detectLanguage(sample.slice(0, 100));
      const node = new Analyzer({ language, stemmers: await loadStemmers(language) });
      // Everything but the dictionary words of unspaced scripts (their bigrams stand in for them: see below).
      const stable = (a: Analyzer, t: string): string => a.words(t).flatMap((w) => (w.unspaced ? w.positional : [...w.terms, ...w.grams])).join(' ');
      const here = sample.map((t) => stable(node, t));
      const hereAll = sample.map((t) => node.terms(t).join(' '));
      const there = await page.evaluate(
        async ({ sample, language }) => {
          type Mod = typeof import('../../src/core/analyzer.js') & typeof import('../../src/core/stemmers.js');
          const { Analyzer, loadStemmers } = (window as unknown as { __analyzer: Mod }).__analyzer;
          const a = new Analyzer({ language, stemmers: await loadStemmers(language) });
          const stable = (t: string): string => a.words(t).flatMap((w) => (w.unspaced ? w.positional : [...w.terms, ...w.grams])).join(' ');
          return { stable: sample.map(stable), all: sample.map((t) => a.terms(t).join(' ')) };
        },
        { sample, language },
      );
      dictionaryDiffers += hereAll.filter((t, i) => t !== there.all[i]).length;
      const differ = here.filter((t, i) => t !== there.stable[i]).length;
      compared += sample.length;
      if (differ > 0) {
        const i = here.findIndex((t, j) => t !== there.stable[j]);
        const a = here[i]!.split(' ');
        const b = there.stable[i]!.split(' ');
        const onlyNode = a.filter((t) => !b.includes(t)).slice(0, 6);
        const onlyChromium = b.filter((t) => !a.includes(t)).slice(0, 6);
        report.push(`${name}: ${differ}/${sample.length} texts differ, e.g. Node only ${JSON.stringify(onlyNode)}, Chromium only ${JSON.stringify(onlyChromium)}`);
      }
    }
    expect(compared).toBeGreaterThan(17 * 200);
    // Spaced-script terms (words, stems, n-grams) and the character pairs of unspaced scripts: identical.
    expect(report).toEqual([]);
    // The segmenter's dictionary words of Chinese, Japanese and Thai come from each engine's ICU
    // data and can differ between versions (Chromium has 五大湖 as one word, Node's ICU 78 not);
    // a query word the index lacks is still found through its character pairs. Rare here:
    expect(dictionaryDiffers / compared).toBeLessThan(0.01);
  }, 300_000);
});
