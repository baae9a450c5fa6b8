// <m3-search>'s results UI in Chromium, on a small site indexed by the real
// CLI with the generated test model (keyword mode: no model is copied):
// - results grouped by page (up to three sections each), a count line and a
//   "No results" line, and the test-model notice;
// - the WAI-ARIA combobox pattern read from Chromium's accessibility tree
//   (CDP Accessibility.getFullAXTree): roles, names, expanded state, the
//   active descendant moving with the arrows, the polite live count;
// - strings from `data-strings` and from `element.strings`;
// - dir="rtl" on the page or the element mirrors the layout (bounding boxes).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic, type StaticServer } from '../../src/site/serve.js';
import { testModel } from '../helpers/test-model.js';
import { CHROMIUM } from '../e2e/support.js';
import { ARGS, htmlPage, indexWithCli, writePages } from './small-site.js';

const PAGES: Record<string, string> = {
  'index.html': htmlPage('Fruit handbook', [['welcome', 'Welcome', 'A handbook about growing fruit trees in gardens.']]),
  'guide/kiwi.html': htmlPage('Kiwi guide', [
    ['plant', 'Planting', 'kiwi vines: plant kiwi vines in spring, kiwi likes sun.'],
    ['prune', 'Pruning', 'prune kiwi vines in winter; kiwi grows fast.'],
    ['harvest', 'Harvest', 'harvest kiwi in autumn when kiwi fruit is soft.'],
    ['store', 'Storing', 'store kiwi cold; ripe kiwi keeps a week.'],
  ]),
  'guide/orchard.html': htmlPage('Orchard', [
    ['layout', 'Layout', 'Rows of apple trees, a pear hedge and one kiwi arbour.'],
    ['soil', 'Soil', 'Loam with compost suits apple and pear trees.'],
  ]),
  'guide/pests.html': htmlPage('Pests', [['aphids', 'Aphids', 'Aphids and beetles attack leaves; soap spray keeps them away.']]),
};

interface AXNode {
  nodeId: string;
  ignored: boolean;
  role?: { value: string };
  name?: { value: string };
  properties?: { name: string; value: { value: unknown } }[];
  childIds?: string[];
}

/** Chromium's accessibility tree (shadow DOM included), unignored nodes only. */
async function axTree(page: Page): Promise<{ nodes: AXNode[]; prop(n: AXNode, name: string): unknown; text(n: AXNode): string }> {
  const cdp = await page.context().newCDPSession(page);
  const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as unknown as { nodes: AXNode[] };
  await cdp.detach();
  const byId = new Map(nodes.map((n) => [n.nodeId, n]));
  const text = (n: AXNode): string => (n.role?.value === 'StaticText' ? (n.name?.value ?? '') : (n.childIds ?? []).map((id) => text(byId.get(id)!)).join(''));
  return {
    nodes: nodes.filter((n) => !n.ignored),
    prop: (n, name) => n.properties?.find((p) => p.name === name)?.value.value,
    text,
  };
}

interface Shown {
  count: string;
  notice: string;
  noticeVisible: boolean;
  pages: { title: string; options: string[] }[];
}

function shown(page: Page): Promise<Shown> {
  return page.evaluate(() => {
    const root = document.querySelector('m3-search')!.shadowRoot!;
    const notice = root.querySelector('.notice') as HTMLElement;
    return {
      count: root.querySelector('.count')?.textContent ?? '',
      notice: notice.textContent ?? '',
      noticeVisible: notice.getBoundingClientRect().height > 0,
      pages: [...root.querySelectorAll('li.page')].map((g) => ({
        title: g.getAttribute('aria-label') ?? '',
        options: [...g.querySelectorAll('li[role=option]')].map((o) => new URL(o.querySelector('a')!.href).hash),
      })),
    };
  });
}

/** Types `query` and waits for the count line that answers it. */
async function type(page: Page, query: string): Promise<void> {
  const input = page.locator('m3-search input');
  await input.fill('');
  await input.pressSequentially(query, { delay: 10 });
  await page.waitForFunction((q) => document.querySelector('m3-search')?.shadowRoot?.querySelector('ul')?.getAttribute('data-query') === q, query, { timeout: 60_000 });
}

describe('<m3-search> results UI (Chromium)', () => {
  let dir: string;
  let server: StaticServer;
  let browser: Browser;

  beforeAll(async () => {
    const model = (await testModel()).layouts['heads-in-graph'];
    dir = await mkdtemp(path.join(os.tmpdir(), 'm3search-ui-'));
    const site = path.join(dir, 'site');
    await writePages(site, PAGES);
    await indexWithCli(site, model, ['--quiet', '--no-sw']);
    server = await serveStatic(site);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function open(p = 'index.html'): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    page.on('pageerror', (e) => console.error('[page error]', e.message));
    await page.goto(server.url + p);
    await page.waitForFunction(() => customElements.get('m3-search') !== undefined);
    return page;
  }

  it('groups hits by page (three sections at most), says the count, and flags the test model', async () => {
    const page = await open();
    await type(page, 'kiwi');
    const s = await shown(page);
    expect(s.pages.map((p) => p.title).sort()).toEqual(['Kiwi guide', 'Orchard']);
    const kiwi = s.pages.find((p) => p.title === 'Kiwi guide')!;
    expect(kiwi.options).toHaveLength(3);
    expect(new Set(kiwi.options).size).toBe(3);
    for (const o of kiwi.options) expect(['#plant', '#prune', '#harvest', '#store']).toContain(o);
    expect(s.pages.find((p) => p.title === 'Orchard')!.options).toEqual(['#layout']);
    expect(s.count).toBe('2 results for “kiwi”');
    // Later sections of a page are indented under the first; the title is shown once.
    const titles = await page.evaluate(() =>
      [...document.querySelector('m3-search')!.shadowRoot!.querySelectorAll('li.hit .title')].map((t) => t.getBoundingClientRect().width > 1),
    );
    expect(titles.filter(Boolean)).toHaveLength(2);
    expect(s.notice).toMatch(/test model.*testing only/);
    expect(s.noticeVisible).toBe(true);

    await type(page, 'aphids');
    expect((await shown(page)).count).toBe('1 result for “aphids”');
    await type(page, 'zzqxv');
    const none = await shown(page);
    expect(none.count).toBe('No results for “zzqxv”');
    expect(none.pages).toEqual([]);
    await page.context().close();
  }, 120_000);

  it('follows the combobox pattern in the accessibility tree: roles, names, expanded, active option, live count', async () => {
    const page = await open();
    const closed = await axTree(page);
    const box0 = closed.nodes.find((n) => n.role?.value === 'combobox')!;
    expect(box0.name?.value).toBe('Search the docs');
    expect(closed.prop(box0, 'expanded')).toBe(false);

    await type(page, 'kiwi');
    const ax = await axTree(page);
    const box = ax.nodes.find((n) => n.role?.value === 'combobox')!;
    expect(ax.prop(box, 'expanded')).toBe(true);
    const listbox = ax.nodes.find((n) => n.role?.value === 'listbox')!;
    expect(listbox.name?.value).toBe('Search results');
    const groups = ax.nodes.filter((n) => n.role?.value === 'group' && ['Kiwi guide', 'Orchard'].includes(n.name?.value ?? ''));
    expect(groups).toHaveLength(2);
    const options = ax.nodes.filter((n) => n.role?.value === 'option');
    expect(options).toHaveLength(4);
    expect(options.every((o) => /^(Kiwi guide|Orchard) › /.test(o.name?.value ?? ''))).toBe(true);
    const selected = options.filter((o) => ax.prop(o, 'selected') === true);
    expect(selected).toHaveLength(1);
    expect(selected[0]).toBe(options[0]);
    const live = ax.nodes.find((n) => n.role?.value === 'status' && ax.text(n).includes('result'))!;
    expect(ax.prop(live, 'live')).toBe('polite');
    expect(ax.text(live)).toBe('2 results for “kiwi”');

    // The active descendant follows the arrows (wrapping) and names an option in the list.
    const activeId = (): Promise<[string | null, string | null]> =>
      page.evaluate(() => {
        const root = document.querySelector('m3-search')!.shadowRoot!;
        const id = root.querySelector('input')!.getAttribute('aria-activedescendant');
        return [id, id ? (root.getElementById(id)?.getAttribute('aria-selected') ?? null) : null];
      });
    const ids = await page.evaluate(() => [...document.querySelector('m3-search')!.shadowRoot!.querySelectorAll('[role=option]')].map((o) => o.id));
    const input = page.locator('m3-search input');
    expect(await activeId()).toEqual([ids[0], 'true']);
    await input.press('ArrowDown');
    expect(await activeId()).toEqual([ids[1], 'true']);
    const moved = await axTree(page);
    const sel = moved.nodes.filter((n) => n.role?.value === 'option' && moved.prop(n, 'selected') === true);
    expect(sel.map((n) => n.name?.value)).toEqual([options[1]!.name?.value]);
    await input.press('ArrowUp');
    await input.press('ArrowUp');
    expect(await activeId()).toEqual([ids[3], 'true']);

    // Escape closes (collapsed, no active descendant); ArrowDown opens again.
    await input.press('Escape');
    const shut = await axTree(page);
    expect(shut.prop(shut.nodes.find((n) => n.role?.value === 'combobox')!, 'expanded')).toBe(false);
    expect((await activeId())[0]).toBeNull();
    await input.press('ArrowDown');
    expect(await activeId()).toEqual([ids[3], 'true']);
    await page.context().close();
  }, 120_000);

  it('takes its strings from data-strings and from element.strings', async () => {
    const page = await open();
    await page.evaluate(() => {
      document.querySelector('m3-search')!.setAttribute('data-strings', JSON.stringify({ resultsMany: '{count} résultats pour « {query} »', noResults: 'Aucun résultat pour « {query} »', listLabel: 'Résultats' }));
    });
    await type(page, 'kiwi');
    expect((await shown(page)).count).toBe('2 résultats pour « kiwi »');
    await type(page, 'zzqxv');
    expect((await shown(page)).count).toBe('Aucun résultat pour « zzqxv »');
    // The property wins over the attribute and redraws what is on show; unset keys keep theirs.
    await page.evaluate(() => {
      (document.querySelector('m3-search') as HTMLElement & { strings: Record<string, string> }).strings = { noResults: 'Keine Treffer für „{query}“', placeholder: 'Suchen' };
    });
    const s = await page.evaluate(() => {
      const el = document.querySelector('m3-search') as HTMLElement & { strings: Record<string, string> };
      const root = el.shadowRoot!;
      return { count: root.querySelector('.count')!.textContent, list: root.querySelector('ul')!.getAttribute('aria-label'), many: el.strings.resultsMany };
    });
    expect(s).toEqual({ count: 'Keine Treffer für „zzqxv“', list: 'Résultats', many: '{count} résultats pour « {query} »' });
    // The injected placeholder attribute still names the box.
    expect(await page.locator('m3-search input').getAttribute('placeholder')).toBe('Search the docs');
    await page.context().close();
  }, 120_000);

  it('mirrors its layout under dir="rtl" (page or element)', async () => {
    interface Layout {
      input: number;
      kbd: number;
      first: [number, number];
      sub: [number, number];
    }
    const layout = (page: Page): Promise<Layout> =>
      page.evaluate(() => {
        const root = document.querySelector('m3-search')!.shadowRoot!;
        const x = (e: Element | null): number => e!.getBoundingClientRect().x;
        const edges = (e: Element | null): [number, number] => [e!.getBoundingClientRect().left, e!.getBoundingClientRect().right];
        return { input: x(root.querySelector('input')), kbd: x(root.querySelector('kbd')), first: edges(root.querySelector('li.hit:not(.sub) a')), sub: edges(root.querySelector('li.hit.sub a')) };
      });
    const page = await open();
    await type(page, 'kiwi');
    const ltr = await layout(page);
    expect(ltr.kbd).toBeGreaterThan(ltr.input);
    expect(ltr.sub[0]).toBeGreaterThan(ltr.first[0] + 5); // indented from the left
    expect(Math.abs(ltr.sub[1] - ltr.first[1])).toBeLessThan(1);

    for (const where of ['page', 'element'] as const) {
      await page.evaluate((w) => {
        document.documentElement.removeAttribute('dir');
        document.querySelector('m3-search')!.removeAttribute('dir');
        (w === 'page' ? document.documentElement : document.querySelector('m3-search')!).setAttribute('dir', 'rtl');
      }, where);
      const rtl = await layout(page);
      expect(rtl.kbd, where).toBeLessThan(rtl.input);
      expect(rtl.sub[1], where).toBeLessThan(rtl.first[1] - 5); // indented from the right
      expect(Math.abs(rtl.sub[0] - rtl.first[0]), where).toBeLessThan(1);
    }
    await page.context().close();
  }, 120_000);
});

describe('<m3-search> with data-model-load="on-request" (Chromium)', () => {
  it('answers by keywords, offers the model with its size, and loads it only when the button is pressed', async () => {
    const model = (await testModel()).layouts['heads-in-graph'];
    const dir = await mkdtemp(path.join(os.tmpdir(), 'm3search-ondemand-'));
    const site = path.join(dir, 'site');
    await writePages(site, PAGES);
    await indexWithCli(site, model, ['--quiet', '--no-sw', '--copy-model']);
    // The author's opt-in, on the injected script tag.
    const file = path.join(site, 'guide', 'kiwi.html');
    await writeFile(file, (await readFile(file, 'utf8')).replace('<script src=', '<script data-model-load="on-request" src='));
    const onnx: string[] = [];
    const server = await serveStatic(site, 0, '127.0.0.1', { onServe: (p) => (/\.onnx$|ort-wasm/.test(p) ? onnx.push(p) : undefined) });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    try {
      const page = await (await browser.newContext()).newPage();
      await page.goto(`${server.url}guide/kiwi.html`);
      await type(page, 'kiwi');
      const button = page.locator('m3-search button.load-model');
      await button.waitFor({ timeout: 30_000 });
      const manifest = JSON.parse(await readFile(path.join(site, 'm3search', 'manifest.json'), 'utf8')) as { model: { bytes: number } };
      expect(await button.textContent()).toBe(`Better results with the semantic model (${(manifest.model.bytes / 1048576).toFixed(1)} MB)`);
      await page.waitForTimeout(1500); // well past when 'auto' would have started the download
      expect(onnx).toEqual([]);
      expect(await page.evaluate(() => (document.querySelector('m3-search') as HTMLElement & { mode: string }).mode)).toBe('keyword');
      await button.click();
      await type(page, 'kiwi harvest');
      await page.waitForFunction(() => (document.querySelector('m3-search') as HTMLElement & { mode: string }).mode === 'hybrid', undefined, { timeout: 90_000 });
      expect(onnx.some((p) => p.endsWith('.onnx'))).toBe(true);
    } finally {
      await browser.close();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
