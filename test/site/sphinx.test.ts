// A Sphinx project end to end, as the README's "Use with your docs generator"
// section tells a user to do it: `sphinx-build -b html` on a small project
// (test/site/sphinx-fixture: a toctree, code blocks, an API entry, a German page),
// then the post-build command `m3search index <out> --inject`, twice. The built
// site is served and searched in Chromium through the injected <m3-search>:
// known queries put the expected page and anchor first, and each hit's link loads
// on the same origin. Sphinx's own search page still works after the injection.
import { execFile } from 'node:child_process';
import { access, constants, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic, type StaticServer } from '../../src/site/serve.js';
import { CHROMIUM, ROOT } from '../e2e/support.js';
import { ARGS, searchBox } from './small-site.js';

const SPHINX_BUILD = process.env.SPHINX_BUILD ?? '/usr/bin/sphinx-build';
const FIXTURE = path.join(ROOT, 'test', 'site', 'sphinx-fixture');
const run = promisify(execFile);

/** Every file under `dir`, site-relative, with its bytes. */
async function snapshot(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const rel of await readdir(dir, { recursive: true })) {
    const abs = path.join(dir, rel);
    if ((await stat(abs)).isFile()) out.set(rel.split(path.sep).join('/'), await readFile(abs));
  }
  return out;
}

/** The README's post-build command, through the CLI. */
async function postBuild(out: string): Promise<string> {
  const { stderr } = await run(process.execPath, [path.join(ROOT, 'bin', 'm3search.mjs'), 'index', out, '--inject'], { cwd: ROOT });
  return stderr;
}

// The injected blocks, as inject.ts writes them (marker comments and the line ending after).
const BLOCKS = /<!-- m3search:start -->[\s\S]*?<!-- m3search:end -->\r?\n?/g;

describe('Sphinx: sphinx-build, then m3search index --inject (in Chromium)', () => {
  let dir: string;
  let out: string;
  let built: Map<string, Buffer>;
  let first: Map<string, Buffer>;
  let second: Map<string, Buffer>;
  let log1 = '';
  let log2 = '';
  let server: StaticServer;
  let browser: Browser;
  let context: BrowserContext;
  const foreign: string[] = [];
  const pageErrors: string[] = [];
  const failed: string[] = [];
  const loaded = new Set<string>();

  beforeAll(async () => {
    await access(SPHINX_BUILD, constants.X_OK).catch(() => {
      throw new Error(`${SPHINX_BUILD} not found: this test builds a Sphinx project. Install Sphinx with \`apt-get install -y python3-sphinx\` (.ci/run does), or set SPHINX_BUILD to a sphinx-build executable.`);
    });
    dir = await mkdtemp(path.join(os.tmpdir(), 'm3search-sphinx-'));
    out = path.join(dir, 'html');
    // Doctrees outside the output and the source: the fixture folder stays as committed.
    await run(SPHINX_BUILD, ['-q', '-b', 'html', '-d', path.join(dir, 'doctrees'), FIXTURE, out]);
    built = await snapshot(out);
    log1 = await postBuild(out);
    first = await snapshot(out);
    log2 = await postBuild(out);
    second = await snapshot(out);
    server = await serveStatic(out);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    context = await browser.newContext();
    context.on('request', (r) => {
      if (!r.url().startsWith(server.url) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) foreign.push(r.url());
    });
    context.on('weberror', (e) => pageErrors.push(e.error().message));
    // Sphinx's assets (CSS, searchindex.js, searchtools.js) and m3search's all load.
    context.on('response', (r) => {
      if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) failed.push(`${r.status()} ${r.url()}`);
      else if (r.url().startsWith(server.url)) loaded.add(r.url().slice(server.url.length).split('?')[0]!);
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const htmlPages = (): string[] => [...built.keys()].filter((f) => f.endsWith('.html')).sort();

  it('indexes the content pages, leaves out genindex and search, and injects every page without touching its other bytes', () => {
    expect(htmlPages()).toEqual(['api.html', 'genindex.html', 'index.html', 'planting.html', 'pruning.html', 'search.html', 'winter.html']);
    expect(log1).toMatch(/no model: a keyword-only index/);
    // genindex.html and search.html are Sphinx's, made from its index: skipped (src/site/html.ts).
    expect(log1).toContain('indexed 5 pages (2 skipped)');
    expect(log1).toContain('search box injected into 7 pages');
    for (const rel of htmlPages()) {
      const before = built.get(rel)!;
      const after = first.get(rel)!;
      expect(after.equals(before), rel).toBe(false);
      // Byte-exact outside the two inserted blocks.
      expect(Buffer.from(after.toString('latin1').replace(BLOCKS, ''), 'latin1').equals(before), rel).toBe(true);
      const depth = rel.split('/').length - 1;
      expect(after.toString('utf8')).toContain(`<script src="${'../'.repeat(depth)}m3search/m3search.js" data-index="${'../'.repeat(depth)}m3search/"`);
      expect(after.toString('utf8')).toMatch(/<body[^>]*><!-- m3search:start --><m3-search data-m3search-ignore placeholder="Search the docs"><\/m3-search>/);
    }
    // Sphinx's own files are untouched; the index and script are added beside them.
    for (const [rel, bytes] of built) if (!rel.endsWith('.html')) expect(first.get(rel)!.equals(bytes), rel).toBe(true);
    expect(first.has('m3search/manifest.json')).toBe(true);
    expect(first.has('m3search/m3search.js')).toBe(true);
  });

  it('is idempotent: the second run rewrites no page and builds the same index', () => {
    expect(log2).not.toContain('search box injected');
    expect([...second.keys()].sort()).toEqual([...first.keys()].sort());
    const manifest = (files: Map<string, Buffer>): Record<string, unknown> => {
      const { createdAt, ...rest } = JSON.parse(files.get('m3search/manifest.json')!.toString('utf8')) as Record<string, unknown>;
      expect(typeof createdAt).toBe('string');
      return rest;
    };
    expect(manifest(second)).toEqual(manifest(first));
    for (const [rel, bytes] of first) if (rel !== 'm3search/manifest.json') expect(second.get(rel)!.equals(bytes), rel).toBe(true);
  });

  it('the injected box puts the expected page and anchor first, and each first hit loads on the same origin', async () => {
    const page = await context.newPage();
    await page.goto(`${server.url}pruning.html`);
    const cases: [query: string, expected: string][] = [
      ['trellis', 'planting.html#choosing-a-trellis'],
      ['prune_cane', 'pruning.html#scripted-pruning-logs'],
      ['harvest_window', 'api.html#harvest-api'],
      ['refractometer', 'api.html#ripeness-checks'],
      // Non-ASCII, typed as written and folded.
      ['Überwinterung', 'winter.html#uberwinterung-der-jungpflanzen'],
      ['frostschutz quitten', 'winter.html#frostschutz-fur-quitten'],
      ['crème', 'winter.html#creme-de-coing'],
    ];
    for (const [query, expected] of cases) {
      const box = await searchBox(page, query);
      expect(box.mode, query).toBe('keyword');
      expect(box.hrefs[0], query).toBe(`${server.url}${expected}`);
      const res = await page.request.get(box.hrefs[0]!);
      expect(res.status(), query).toBe(200);
      expect(new URL(res.url()).origin).toBe(new URL(server.url).origin);
      // The anchor names an element of the page Sphinx built.
      const id = expected.split('#')[1]!;
      expect(await res.text(), query).toContain(`id="${id}"`);
    }
    // Enter opens the first hit, and the browser lands on its section.
    await searchBox(page, 'trellis');
    const input = page.locator('m3-search input');
    await input.press('ArrowDown');
    await Promise.all([page.waitForURL(`${server.url}planting.html#choosing-a-trellis`), input.press('Enter')]);
    expect(await page.evaluate(() => document.getElementById(location.hash.slice(1))?.tagName)).toBe('SECTION');
    await page.close();
  });

  it("Sphinx's own search page still finds pages with the box injected", async () => {
    const page = await context.newPage();
    await page.goto(`${server.url}search.html?q=trellis`);
    await page.waitForFunction(() => document.querySelectorAll('#search-results ul.search li a').length > 0, undefined, { timeout: 30_000 });
    const links = await page.$$eval('#search-results ul.search li a', (as) => as.map((a) => (a as HTMLAnchorElement).href));
    expect(links.some((h) => h.includes('planting.html'))).toBe(true);
    // Both searches live on the page: Sphinx's form and the injected box, which answers too.
    expect(await page.locator('form input[name=q]').count()).toBeGreaterThan(0);
    const box = await searchBox(page, 'refractometer');
    expect(box.hrefs[0]).toBe(`${server.url}api.html#ripeness-checks`);
    await page.close();
  });

  it('made no request off the host, every request answered, no page error', () => {
    expect(foreign).toEqual([]);
    expect(failed).toEqual([]);
    // Not vacuous: Sphinx's own assets and its search index were among the answers.
    for (const asset of ['_static/alabaster.css', '_static/searchtools.js', 'searchindex.js', 'm3search/m3search.js', 'm3search/manifest.json']) expect([...loaded]).toContain(asset);
    expect(pageErrors).toEqual([]);
  });
});
