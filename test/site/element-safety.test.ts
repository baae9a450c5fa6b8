// <m3-search> on a small site whose index data is hostile on purpose, through
// the public surface only: the CLI builds the index and injects the script,
// the page loads m3search.js, and the test drives the element in Chromium.
// - a section whose text is markup (`<img onerror=…>`): shown as text, never parsed;
// - a page whose site-relative URL is a `javascript:` URL: never a link, never run;
// - the search is made from a page two folders deep: hit links resolve against
//   the site root (not the page), load with HTTP 200 on this origin, and carry
//   an anchor that exists on the loaded page; Enter lands there;
// - the expected passage is at rank 1 for known queries in keyword mode, in
//   hybrid mode and offline.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic, type StaticServer } from '../../src/site/serve.js';
import { testModel } from '../helpers/test-model.js';
import { CHROMIUM, ROOT } from '../e2e/support.js';

const ARGS = ['--headless=new', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** Set by the hostile data if it ever runs. */
const PWNED = '__m3pwned';
const JS_PAGE = `javascript:window.${PWNED}='link';self.html`;
const MARKUP = `<img src="x" onerror="window.${PWNED}='snippet'"> <b>bold</b> mango chutney recipe`;

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const page = (title: string, sections: [id: string, heading: string, text: string][]): string =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title></head><body><main><h1>${esc(title)}</h1>${sections
    .map(([id, h, p]) => `<section id="${id}"><h2>${esc(h)}</h2><p>${esc(p)}</p></section>`)
    .join('')}</main></body></html>`;

const PAGES: Record<string, string> = {
  'index.html': page('Fruit handbook', [['welcome', 'Welcome', 'A handbook about growing fruit trees in gardens.']]),
  'guide/setup.html': page('Setup', [
    ['install', 'Planting kiwi', 'kiwi orchard harvest: plant kiwi vines in spring and harvest the orchard in autumn.'],
    ['watering', 'Watering', 'Water young trees twice a week during dry summer weeks.'],
  ]),
  'guide/pests.html': page('Pests', [['aphids', 'Aphids', 'Aphids and beetles attack leaves; soap spray keeps them away.']]),
  'docs/deep/start.html': page('Start', [['here', 'Start here', 'This page sits two folders below the site root.']]),
  'markup.html': page('Recipes', [['chutney', 'Chutney', MARKUP]]),
  [JS_PAGE]: page('Papaya', [['smoothie', 'Smoothie', 'papaya smoothie blended with lime']]),
};

interface Hit {
  href: string | null;
  attr: string | null;
  title: string;
  snippet: string;
  tags: string[];
}
interface Box {
  mode: string;
  query: string;
  hits: Hit[];
}

function box(p: Page): Promise<Box> {
  return p.evaluate(() => {
    const el = document.querySelector('m3-search') as (HTMLElement & { mode: string }) | null;
    const root = el?.shadowRoot;
    return {
      mode: el?.mode ?? '',
      query: root?.querySelector('ul')?.getAttribute('data-query') ?? '',
      hits: [...(root?.querySelectorAll('li.hit') ?? [])].map((li) => {
        const a = li.querySelector('a');
        return {
          href: a?.href || null,
          attr: a?.getAttribute('href') ?? null,
          title: li.querySelector('.title')?.textContent ?? '',
          snippet: li.querySelector('.snippet')?.textContent ?? '',
          tags: [...new Set([...li.querySelectorAll('*')].map((e) => e.tagName.toLowerCase()))],
        };
      }),
    };
  });
}

/** Types `query` and waits for the list that answers all of it, with at least one hit. */
async function search(p: Page, query: string, mode?: 'keyword' | 'hybrid'): Promise<Box> {
  const input = p.locator('m3-search input');
  await input.fill('');
  await input.pressSequentially(query, { delay: 10 });
  await p.waitForFunction(
    ([q, m]) => {
      const el = document.querySelector('m3-search') as (HTMLElement & { mode: string }) | null;
      const ul = el?.shadowRoot?.querySelector('ul');
      return ul?.getAttribute('data-query') === q && (ul?.querySelectorAll('li.hit').length ?? 0) > 0 && (!m || el!.mode === m);
    },
    [query, mode] as const,
    { timeout: 60_000 },
  );
  const b = await box(p);
  expect(b.query).toBe(query);
  expect(b.hits.length).toBeGreaterThan(0);
  return b;
}

describe('<m3-search> with hostile index data (Chromium)', () => {
  let dir: string;
  let site: string;
  let server: StaticServer;
  let browser: Browser;
  let context: BrowserContext;
  const foreign: string[] = [];
  const dialogs: string[] = [];

  beforeAll(async () => {
    const model = (await testModel()).layouts['heads-in-graph'];
    dir = await mkdtemp(path.join(os.tmpdir(), 'm3search-element-safety-'));
    site = path.join(dir, 'site');
    for (const [rel, html] of Object.entries(PAGES)) {
      await mkdir(path.dirname(path.join(site, rel)), { recursive: true });
      await writeFile(path.join(site, rel), html);
    }
    await promisify(execFile)(process.execPath, [path.join(ROOT, 'bin', 'm3search.mjs'), 'index', site, '--out', path.join(site, 'm3search'), '--model', model, '--inject', '--copy-model', '--sw-pages'], { cwd: ROOT });
    server = await serveStatic(site);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    context = await browser.newContext();
    context.on('request', (r) => {
      if (!r.url().startsWith(server.url) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) foreign.push(r.url());
    });
    context.on('page', (p) => p.on('dialog', (d) => (dialogs.push(d.message()), void d.dismiss())));
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A page two folders deep, with the model held back until `release()` (keyword mode first). */
  async function open(): Promise<{ p: Page; release: () => void }> {
    const p = await context.newPage();
    p.on('pageerror', (e) => console.error('[page error]', e.message));
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    await p.route('**/m3search/model/**', async (route) => {
      await held;
      await route.continue().catch(() => undefined);
    });
    await p.goto(`${server.url}docs/deep/start.html`);
    await p.locator('m3-search input').focus();
    return { p, release };
  }

  it('ranks the expected passage first in keyword and hybrid mode; every link loads with HTTP 200 on its anchor', async () => {
    const { p, release } = await open();
    const expected = `${server.url}guide/setup.html#install`;
    const keyword = await search(p, 'kiwi orchard harvest', 'keyword');
    expect(keyword.mode).toBe('keyword');
    expect(keyword.hits[0]!.href).toBe(expected);

    release();
    await p.waitForFunction(() => (document.querySelector('m3-search') as HTMLElement & { mode: string }).mode === 'hybrid', undefined, { timeout: 90_000 });
    const hybrid = await search(p, 'kiwi orchard harvest', 'hybrid');
    expect(hybrid.hits[0]!.href).toBe(expected);

    // Every link of both lists: same origin, resolved from the site root, HTTP 200, anchor present.
    // (The hybrid list ranks every passage, so the javascript: page may be on it, without a link.)
    const all = [...keyword.hits, ...hybrid.hits];
    for (const h of all) if (h.href === null) expect(h.title).toBe('Papaya');
    const hrefs = [...new Set(all.flatMap((h) => (h.href === null ? [] : [h.href])))];
    expect(hrefs.length).toBeGreaterThanOrEqual(2);
    for (const href of hrefs) {
      const u = new URL(href);
      expect(u.origin).toBe(new URL(server.url).origin);
      expect(u.pathname).not.toContain('/docs/deep/guide/');
      const res = await fetch(u.href);
      expect(res.status, u.href).toBe(200);
      if (u.hash) expect(await res.text()).toContain(`id="${decodeURIComponent(u.hash.slice(1))}"`);
    }
    await p.close();
  }, 180_000);

  it('Enter opens the chosen section: the page loads with HTTP 200 and the anchor is on it', async () => {
    const { p, release } = await open();
    release();
    await search(p, 'kiwi orchard harvest');
    const expected = `${server.url}guide/setup.html#install`;
    const [response] = await Promise.all([
      p.waitForResponse((r) => r.url() === `${server.url}guide/setup.html`, { timeout: 30_000 }),
      p.waitForURL(expected, { timeout: 30_000 }),
      p.locator('m3-search input').press('Enter'),
    ]);
    expect(response.status()).toBe(200);
    expect(p.url()).toBe(expected);
    expect(await p.evaluate(() => [location.hash, document.getElementById('install')?.querySelector('h2')?.textContent])).toEqual(['#install', 'Planting kiwi']);
    await p.close();
  }, 180_000);

  it('shows markup from the index as text: no element is created and no handler runs', async () => {
    const { p, release } = await open();
    release();
    const res = await search(p, 'mango chutney');
    const hit = res.hits.find((h) => h.title === 'Recipes');
    expect(hit).toBeDefined();
    expect(hit!.href).toBe(`${server.url}markup.html#chutney`);
    expect(hit!.snippet).toContain('<img src="x" onerror=');
    expect(hit!.snippet).toContain('<b>bold</b>');
    for (const h of res.hits) expect(h.tags.every((t) => ['a', 'span', 'mark'].includes(t))).toBe(true);
    expect(await p.evaluate(() => document.querySelector('m3-search')!.shadowRoot!.querySelectorAll('img, b').length)).toBe(0);
    // A broken image's onerror would have run by the time the next frame is painted.
    await p.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    expect(await p.evaluate((k) => (window as unknown as Record<string, unknown>)[k] ?? null, PWNED)).toBeNull();
    await p.close();
  }, 180_000);

  it('a javascript: URL in the index is neither a link nor a navigation (click or Enter)', async () => {
    const { p, release } = await open();
    release();
    const start = p.url();
    const res = await search(p, 'papaya smoothie');
    const i = res.hits.findIndex((h) => h.title === 'Papaya');
    expect(i).toBe(0);
    expect(res.hits[0]!.attr).toBeNull();
    expect(res.hits[0]!.href).toBeNull();
    await p.locator('m3-search li.hit a').first().click();
    await p.locator('m3-search input').focus();
    await p.locator('m3-search input').press('Enter');
    // Still on the same document (a navigation would have replaced it) and nothing ran.
    await p.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    expect(p.url()).toBe(start);
    expect(await p.evaluate((k) => (window as unknown as Record<string, unknown>)[k] ?? null, PWNED)).toBeNull();
    await p.close();
  }, 180_000);

  it('offline, after a reload, still ranks the expected passage first (whatever the mode)', async () => {
    const p = await context.newPage();
    await p.goto(`${server.url}docs/deep/start.html`);
    await p.locator('m3-search input').focus();
    await p.waitForFunction(() => document.querySelector('m3-search')?.getAttribute('data-offline') === 'saved', undefined, { timeout: 90_000 });
    await p.waitForFunction(() => navigator.serviceWorker?.controller !== null, undefined, { timeout: 30_000 });
    await p.reload();
    await context.setOffline(true);
    try {
      await p.reload();
      await p.locator('m3-search input').focus();
      const res = await search(p, 'kiwi orchard harvest');
      expect(['keyword', 'hybrid']).toContain(res.mode);
      expect(res.hits[0]!.href).toBe(`${server.url}guide/setup.html#install`);
      for (const h of res.hits) expect(h.href === null || h.href.startsWith(server.url)).toBe(true);
    } finally {
      await context.setOffline(false);
      await p.close();
    }
    expect(foreign).toEqual([]);
    expect(dialogs).toEqual([]);
  }, 180_000);
});
