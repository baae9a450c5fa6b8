// The static-site flow in Chromium: a subset of Debian's Python docs is
// indexed by the real CLI (`m3search index … --inject --copy-model`, the
// generated test model), served, and searched through the injected
// <m3-search>: keyword answers while the model loads, the same list upgraded
// to hybrid, Enter navigates to the section, and after going offline a reload
// still searches (IndexedDB copy + service worker). No request leaves the host.
// The output holds one ONNX Runtime build, which ranks hybrid both without a
// WebGPU adapter (WASM) and with one (WebGPU on SwiftShader).
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic, type StaticServer } from '../../src/site/serve.js';
import { testModel } from '../helpers/test-model.js';
import { CHROMIUM, ROOT, WEBGPU_ARGS } from '../e2e/support.js';

const PY_DOCS = process.env.M3S_PYDOCS ?? '/usr/share/doc/python3.11/html';
const PAGES = [
  'index.html',
  ...['appendix', 'appetite', 'classes', 'controlflow', 'datastructures', 'errors', 'floatingpoint', 'index', 'inputoutput', 'interactive', 'interpreter', 'introduction', 'modules', 'stdlib', 'stdlib2', 'venv', 'whatnow'].map((p) => `tutorial/${p}.html`),
  ...['index', 'json', 'pathlib', 'shutil'].map((p) => `library/${p}.html`),
];
const ARGS = ['--headless=new', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

interface BoxState {
  mode: string;
  status: string;
  offline: string;
  hits: { href: string; title: string; heading: string; snippet: string; marks: string[]; tags: string[] }[];
}

function boxState(page: Page): Promise<BoxState> {
  return page.evaluate(() => {
    const el = document.querySelector('m3-search') as (HTMLElement & { mode: string }) | null;
    const root = el?.shadowRoot;
    return {
      mode: el?.mode ?? '',
      status: root?.querySelector('.status')?.textContent ?? '',
      offline: el?.dataset.offline ?? '',
      hits: [...(root?.querySelectorAll('li.hit') ?? [])].map((li) => ({
        href: li.querySelector('a')!.href,
        title: li.querySelector('.title')?.textContent ?? '',
        heading: li.querySelector('.heading')?.textContent ?? '',
        snippet: li.querySelector('.snippet')?.textContent ?? '',
        marks: [...li.querySelectorAll('mark')].map((m) => m.textContent ?? ''),
        tags: [...new Set([...li.querySelectorAll('*')].map((e) => e.tagName.toLowerCase()))],
      })),
    };
  });
}

/** Types `query` and waits until the list shown answers all of it (earlier prefixes answer first). */
async function typeQuery(page: Page, query: string): Promise<void> {
  const input = page.locator('m3-search input');
  await input.fill('');
  await input.pressSequentially(query, { delay: 20 });
  await page.waitForFunction(
    (q) => document.querySelector('m3-search')?.shadowRoot?.querySelector('ul')?.getAttribute('data-query') === q,
    query,
    { timeout: 60_000 },
  );
}

/** The page fetched ONNX Runtime's one build: its loader and, once, its wasm. */
function expectOneRuntime(served: readonly string[]): void {
  const ort = served.filter((p) => /ort-wasm/.test(p));
  // (ORT's WASM threads start from the same loader; a racing second request may reach the server.)
  expect([...new Set(ort)].sort()).toEqual(['/m3search/ort-wasm-simd-threaded.asyncify.mjs', '/m3search/ort-wasm-simd-threaded.asyncify.wasm']);
  expect(ort.filter((p) => p.endsWith('.wasm'))).toHaveLength(1);
}

describe('static site in Chromium (python3.11-doc subset)', () => {
  let dir: string;
  let site: string;
  let server: StaticServer;
  let browser: Browser;
  let context: BrowserContext;
  let buildLog = '';
  const foreign: string[] = [];
  /** Every path the server sent, in order. */
  const served: string[] = [];

  beforeAll(async () => {
    const model = (await testModel()).layouts['heads-in-graph'];
    dir = await mkdtemp(path.join(os.tmpdir(), 'm3search-site-e2e-'));
    site = path.join(dir, 'site');
    for (const p of PAGES) {
      await mkdir(path.dirname(path.join(site, p)), { recursive: true });
      await cp(path.join(PY_DOCS, p), path.join(site, p)).catch((e: Error) => {
        throw new Error(`${PY_DOCS}/${p} is missing (apt-get install python3.11-doc; .ci/run does): ${e.message}`);
      });
    }
    await cp(path.join(PY_DOCS, '_static'), path.join(site, '_static'), { recursive: true, dereference: true });
    const { stderr } = await promisify(execFile)(process.execPath, [path.join(ROOT, 'bin', 'm3search.mjs'), 'index', site, '--out', path.join(site, 'm3search'), '--model', model, '--inject', '--sw-pages', '--copy-model'], { cwd: ROOT });
    buildLog = stderr;
    server = await serveStatic(site, 0, '127.0.0.1', { onServe: (p) => void served.push(p) });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    context = await browser.newContext();
    context.on('request', (r) => {
      if (!r.url().startsWith(server.url) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) foreign.push(r.url());
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the CLI prints its summary (no progress line on a pipe) and injected every page', async () => {
    // Output is a pipe here: no redrawn progress line, only the summary (src/cli/progress.ts).
    expect(buildLog).not.toMatch(/\r|encode \d+\/\d+ passages/);
    // A page that is only a list of links (a table of contents) is skipped, and said so.
    const counted = /indexed (\d+) pages \((\d+) skipped\) · \d+ sections · \d+ passages/.exec(buildLog);
    expect(Number(counted?.[1]) + Number(counted?.[2])).toBe(PAGES.length);
    if (Number(counted?.[2]) > 0) expect(buildLog).toMatch(/\d+ link-list sections left out/);
    expect(buildLog).toMatch(/bytes: keyword .* metadata .* dense .* sparse .* multi .* index total/);
    // Encoding timed on its own; the encode cache beside the site folder (not inside it: it is deployed).
    expect(buildLog).toMatch(/encoded \d+ passages in [\d.]+ s \([\d.]+ passages\/s\) · reused 0 from the previous build · 0 from the encode cache \S*\.m3search-cache/);
    expect((await readdir(dir)).sort()).toEqual(['.m3search-cache', 'site']);
    expect(buildLog).toContain(`search box injected into ${PAGES.length} pages`);
    const html = await readFile(path.join(site, 'library', 'json.html'), 'utf8');
    expect(html).toContain('<script src="../m3search/m3search.js" data-index="../m3search/" data-sw="../m3search-sw.js" data-sw-pages defer></script>');
    expect(await readdir(path.join(site, 'm3search', 'model', 'onnx'))).toContain('model_quantized.onnx');
  });

  it('ships one ONNX Runtime build (WebGPU and WASM alike), and counts it once in the model bytes', async () => {
    const out = path.join(site, 'm3search');
    const ort = (await readdir(out)).filter((f) => f.startsWith('ort-wasm')).sort();
    expect(ort).toEqual(['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm']);
    // What a page downloads to rank hybrid: the copied model folder and that one runtime.
    const sizeOf = async (f: string): Promise<number> => (await stat(f)).size;
    let model = 0;
    for (const f of await readdir(path.join(out, 'model'), { recursive: true })) {
      const full = path.join(out, 'model', String(f));
      if ((await stat(full)).isFile()) model += await sizeOf(full);
    }
    const runtime = (await sizeOf(path.join(out, ort[0]!))) + (await sizeOf(path.join(out, ort[1]!)));
    const manifest = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8')) as { model: { bytes: number } };
    expect(manifest.model.bytes).toBe(model + runtime);
  });

  it('answers with keywords while the model loads, upgrades the same list to hybrid, and Enter opens the section', async () => {
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error('[page error]', e.message));
    // Hold the model back so the keyword mode answers first, deterministically.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    await page.route('**/m3search/model/**', async (route) => {
      await held;
      await route.continue().catch(() => undefined); // the page may have moved on
    });
    await page.goto(`${server.url}tutorial/index.html`);
    await page.keyboard.press('/');
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('M3-SEARCH');
    await typeQuery(page, 'json dumps');
    await page.waitForFunction(() => (document.querySelector('m3-search')?.shadowRoot?.querySelectorAll('li.hit').length ?? 0) > 0, undefined, { timeout: 60_000 });
    const keyword = await boxState(page);
    expect(keyword.mode).toBe('keyword');
    expect(keyword.status).toMatch(/Keyword results/);
    const top = keyword.hits[0]!;
    expect(top.href).toMatch(/\/(library|tutorial)\/[a-z]+\.html#[\w.-]+$/);
    expect(keyword.hits.some((h) => h.href.includes('library/json.html#'))).toBe(true);
    expect(keyword.hits.flatMap((h) => h.marks.map((m) => m.toLowerCase()))).toEqual(expect.arrayContaining(['json', 'dumps']));
    // Text and <mark> only: nothing from the index is parsed as HTML.
    for (const h of keyword.hits) for (const t of h.tags) expect(['a', 'span', 'mark']).toContain(t);

    release();
    await page.waitForFunction(() => (document.querySelector('m3-search') as HTMLElement & { mode: string }).mode === 'hybrid', undefined, { timeout: 90_000 });
    const hybrid = await boxState(page);
    expect(hybrid.hits.length).toBeGreaterThan(0);
    expect(hybrid.hits.some((h) => h.href.includes('library/json.html#'))).toBe(true);
    // No WebGPU adapter in this browser: the one runtime ranks on its WASM execution provider.
    expect(await page.evaluate(() => document.querySelector('m3-search')?.getAttribute('data-backend'))).toBe('wasm');
    expectOneRuntime(served);

    const input = page.locator('m3-search input');
    await input.press('ArrowDown');
    await input.press('ArrowUp');
    const chosen = (await boxState(page)).hits[0]!.href;
    await Promise.all([page.waitForURL(chosen), input.press('Enter')]);
    expect(page.url()).toBe(chosen);
    await page.close();
  }, 180_000);

  it('with a WebGPU adapter (SwiftShader) the same runtime file ranks hybrid on WebGPU', async () => {
    const gpuBrowser = await chromium.launch({ executablePath: CHROMIUM, args: [...ARGS, ...WEBGPU_ARGS] });
    try {
      const page = await (await gpuBrowser.newContext({ serviceWorkers: 'block' })).newPage();
      page.on('pageerror', (e) => console.error('[page error]', e.message));
      const from = served.length;
      await page.goto(`${server.url}library/json.html`);
      await typeQuery(page, 'json dumps');
      await page.waitForFunction(() => (document.querySelector('m3-search') as HTMLElement & { mode: string }).mode === 'hybrid', undefined, { timeout: 150_000 });
      // The box re-runs the query once hybrid is ready: wait for that list.
      await page.waitForFunction(() => (document.querySelector('m3-search')?.shadowRoot?.querySelectorAll('li.hit').length ?? 0) > 0, undefined, { timeout: 60_000 });
      expect(await page.evaluate(() => document.querySelector('m3-search')?.getAttribute('data-backend'))).toBe('webgpu');
      expect((await boxState(page)).hits.length).toBeGreaterThan(0);
      expectOneRuntime(served.slice(from));
    } finally {
      await gpuBrowser.close();
    }
  }, 240_000);

  it('after the offline copy is saved, a reload without network still searches', async () => {
    const page = await context.newPage();
    await page.goto(`${server.url}library/pathlib.html`);
    await page.locator('m3-search input').focus();
    await page.waitForFunction(() => document.querySelector('m3-search')?.getAttribute('data-offline') === 'saved', undefined, { timeout: 90_000 });
    // The service worker keeps pages it has served; make sure this one went through it.
    await page.waitForFunction(() => navigator.serviceWorker?.controller !== null, undefined, { timeout: 30_000 });
    await page.reload();
    await context.setOffline(true);
    try {
      await page.reload();
      await typeQuery(page, 'glob pattern');
      await page.waitForFunction(() => (document.querySelector('m3-search')?.shadowRoot?.querySelectorAll('li.hit').length ?? 0) > 0, undefined, { timeout: 60_000 });
      const offline = await boxState(page);
      expect(['keyword', 'hybrid']).toContain(offline.mode);
      for (const h of offline.hits) expect(h.href.startsWith(server.url)).toBe(true);
      // The generated model's semantic scores are noise, so which section wins in hybrid mode is not
      // fixed; the keyword mode's is.
      if (offline.mode === 'keyword') {
        expect(offline.hits.some((h) => h.href.includes('library/pathlib.html#'))).toBe(true);
        expect(offline.hits.some((h) => h.marks.length > 0)).toBe(true);
      }
    } finally {
      await context.setOffline(false);
      await page.close();
    }
    expect(foreign).toEqual([]);
  }, 180_000);
});
