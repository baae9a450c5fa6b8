// A rebuild while a page is open (Chromium, keyword mode): the page keeps the
// manifest it opened with and searches on without a reload.
// - after one rebuild, the replaced build's files are still served, so the
//   page reads its own (older) build consistently: no 404, no error;
// - after a second rebuild those files are gone: a page whose HTTP cache no
//   longer holds them (they are served immutable) meets a 404, takes the
//   current manifest once and answers from the newest build.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexSite } from '../../src/site/publish.js';
import { serveStatic, type StaticServer } from '../../src/site/serve.js';
import { testModel } from '../helpers/test-model.js';
import { CHROMIUM } from '../e2e/support.js';
import { ARGS, boxState, htmlPage, searchBox, writePages } from './small-site.js';

const WATER = ['Water young trees twice a week during dry summer weeks.', 'Water young trees twice a week with rainwater from the barrel.'];
const HARVEST = ['Harvest apples in October when the seeds turn brown.', 'Harvest apples in October when the stems snap cleanly.', 'Harvest apples in October once the stems snap and the skin blushes red.'];

const pages = (water: string, harvest: string): Record<string, string> => ({
  'index.html': htmlPage('Fruit handbook', [['welcome', 'Welcome', 'A handbook about growing fruit trees in gardens.']]),
  'guide/setup.html': htmlPage('Setup', [['install', 'Planting kiwi', 'kiwi orchard: plant kiwi vines in spring.']]),
  'guide/pests.html': htmlPage('Pests', [['aphids', 'Aphids', 'Aphids and beetles attack leaves; soap spray keeps them away.']]),
  'guide/water.html': htmlPage('Watering', [['water', 'Watering', water]]),
  'guide/harvest.html': htmlPage('Harvest', [['harvest', 'Harvest', harvest]]),
});

describe('<m3-search> across rebuilds of an open page (Chromium)', () => {
  let dir: string;
  let site: string;
  let model: string;
  let server: StaticServer;
  let browser: Browser;

  /** Small shards (one passage per metadata file) so a query needs files no earlier query fetched. */
  const build = (water: string, harvest: string) =>
    writePages(site, pages(water, harvest)).then(() => indexSite({ site, model, inject: true, targets: { postingsPerShard: 20, metaBytes: 1 } }));

  beforeAll(async () => {
    model = (await testModel()).layouts['heads-in-graph'];
    dir = await mkdtemp(path.join(os.tmpdir(), 'm3search-rebuild-'));
    site = path.join(dir, 'site');
    await build(WATER[0]!, HARVEST[0]!);
    server = await serveStatic(site);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('searches the build it opened after one rebuild, and the newest after two, without a reload', async () => {
    const context = await browser.newContext({ serviceWorkers: 'block' });
    const page = await context.newPage();
    const missing: string[] = [];
    context.on('response', (r) => {
      if (r.status() >= 400) missing.push(`${r.status()} ${r.url()}`);
    });
    page.on('pageerror', (e) => missing.push(`page error ${e.message}`));
    await page.goto(`${server.url}guide/setup.html`);
    expect((await searchBox(page, 'kiwi orchard', 'keyword')).titles[0]).toBe('Setup');

    // Rebuild 1: the watering and harvest pages change. The page still holds the first manifest.
    const second = await build(WATER[1]!, HARVEST[1]!);
    expect(second.build.encoded).toBe(2);
    const old = await searchBox(page, 'twice summer', 'keyword');
    expect(old.titles[0]).toBe('Watering');
    expect(old.snippets[0]).toContain('dry summer weeks'); // the first build's text, read consistently
    expect(old.status).toBe('');
    expect(missing).toEqual([]);

    // Rebuild 2: the first build's files are deleted now; a query needing one of them switches builds.
    await build(WATER[1]!, HARVEST[2]!);
    // Index files are served immutable: while the HTTP cache holds the first build's files (the offline
    // copy fetched them all) the page keeps answering from that build, consistently. A cache that no
    // longer holds them (evicted; emptied here) makes the next query meet the 404.
    await (await context.newCDPSession(page)).send('Network.clearBrowserCache');
    const fresh = await searchBox(page, 'apples october', 'keyword');
    expect(fresh.titles[0]).toBe('Harvest');
    expect(fresh.snippets[0]).toContain('skin blushes red'); // the newest build's text
    expect(fresh.status).toBe('');
    // And every later answer comes from that build too.
    const water = await searchBox(page, 'rainwater barrel', 'keyword');
    expect(water.titles[0]).toBe('Watering');
    expect(water.snippets[0]).toContain('rainwater');
    expect((await boxState(page)).status).toBe('');
    // The switch came from a 404 on a file of the deleted build, and nothing else failed.
    expect(missing.length).toBeGreaterThan(0);
    expect(missing.every((m) => m.startsWith('404 '))).toBe(true);
    await context.close();
  }, 180_000);
});
