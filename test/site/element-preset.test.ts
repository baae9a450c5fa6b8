// `<script src="m3search.js" data-preset="NAME">` (issue #15): a site indexed
// with --preset and no --copy-model loads its model from the preset's hub
// folder. The hub is answered by Chromium's request routing with the generated
// test model's files (a folder without m3search.json, as a hub folder is), so
// nothing leaves the machine; the page reaches hybrid mode only if the element
// asked that folder and applied the index's recorded conventions.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getPreset } from '../../src/model/presets.js';
import { serveStatic, type StaticServer } from '../../src/site/serve.js';
import { CHROMIUM } from '../e2e/support.js';
import { testModel } from '../helpers/test-model.js';
import { ARGS, htmlPage, indexWithCli, searchBox, writePages } from './small-site.js';

const PRESET = 'multilingual-e5-small';
const PAGES: Record<string, string> = {
  'index.html': htmlPage('Search handbook', [['welcome', 'Welcome', 'A handbook about the search engine and its document index.']]),
  'guide/ranking.html': htmlPage('Ranking', [['neural', 'Neural ranking', 'Neural ranking models score each document against the query.']]),
  'guide/travel.html': htmlPage('Travel', [['tokyo', 'Tokyo', 'The train from the airport to the hotel in Tokyo takes an hour.']]),
};

describe('<m3-search> with data-preset', () => {
  let dir: string;
  let bare: string;
  let server: StaticServer;
  let browser: Browser;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'm3search-element-preset-'));
    bare = path.join(dir, 'hub-folder');
    await cp((await testModel()).layouts['hidden-state'], bare, { recursive: true });
    await rm(path.join(bare, 'm3search.json'));
    const site = path.join(dir, 'site');
    await writePages(site, PAGES);
    await indexWithCli(site, bare, ['--preset', PRESET]);
    // The page names the preset: the index has no copy of the model and no data-model says where it is.
    for (const page of Object.keys(PAGES)) {
      const file = path.join(site, page);
      const html = await readFile(file, 'utf8');
      const tagged = html.replace(/(<script src="[^"]*m3search\.js"[^>]*)( defer><\/script>)/, `$1 data-preset="${PRESET}"$2`);
      expect(tagged).not.toBe(html);
      await writeFile(file, tagged);
    }
    server = await serveStatic(dir);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("loads the model from the preset's hub folder and answers hybrid with the index's conventions", async () => {
    const hub = getPreset(PRESET).url;
    const asked: string[] = [];
    const context = await browser.newContext({ serviceWorkers: 'block' });
    await context.route(`${hub}**`, async (route) => {
      const name = route.request().url().slice(hub.length);
      asked.push(name);
      const bytes = await readFile(path.join(bare, name)).catch(() => undefined);
      await route.fulfill({ status: bytes ? 200 : 404, body: bytes ?? 'not found', headers: { 'access-control-allow-origin': '*' } });
    });
    const page = await context.newPage();
    try {
      await page.goto(`${server.url}site/index.html`);
      const state = await searchBox(page, 'neural ranking', 'hybrid');
      expect(state.titles.length).toBeGreaterThan(0);
      expect(asked).toEqual(expect.arrayContaining(['tokenizer.json', 'onnx/model_quantized.onnx']));
    } finally {
      await context.close();
    }
  }, 120_000);
});
