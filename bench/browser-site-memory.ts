// Memory of a long visit to a static site, in Debian's Chromium: a slice of
// Debian's Python docs (or all of it with --pages 0) is indexed with the
// generated test model (--copy-model, default nested multi-vectors), served,
// and searched through <m3-search> in hybrid mode with `--queries` (200)
// varied queries (section headings of the whole index, seeded shuffle). After
// the first query and after the last, garbage is collected and the JS heap of
// the page and of the search worker is read over the DevTools protocol
// (HeapProfiler.collectGarbage + Runtime.getHeapUsage: usedSize + backingStorageSize,
// the ArrayBuffers that hold fetched shards). The offline copy is
// left to finish first, so the heap after query 1 is the steady state.
//
//   npx tsx bench/browser-site-memory.ts [--pages 60] [--queries 200]     (npm run bench:site-memory)
// The index is cached under .cache/bench-site-memory/<pages> (delete it to rebuild).
import { cp, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type CDPSession, type Page } from 'playwright-core';
import { copyBundle, ensureScriptBundle } from '../src/site/bundle.js';
import { indexSite } from '../src/site/publish.js';
import { serveStatic } from '../src/site/serve.js';
import { decodeMetaShard } from '../src/site/shards.js';
import type { RangeFile, SiteManifest } from '../src/site/types.js';
import { ensureTestModel } from '../scripts/test-model/index.js';
import { CHROMIUM, ROOT } from '../test/e2e/support.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const PAGES = opt('pages', 60);
const QUERIES = opt('queries', 200);
const PY_DOCS = process.env.M3S_PYDOCS ?? '/usr/share/doc/python3.11/html';
const MiB = 1 << 20;

async function buildSite(): Promise<string> {
  const dir = path.join(ROOT, '.cache', 'bench-site-memory', String(PAGES || 'all'));
  const site = path.join(dir, 'site');
  const out = path.join(site, 'm3search');
  if (await stat(path.join(out, 'manifest.json')).catch(() => undefined)) {
    // The index is reused; the page script is always the current one.
    await ensureScriptBundle((l) => console.error(l));
    await copyBundle(out, { swRoot: site });
    return site;
  }
  const all = PAGES
    ? (await readdir(path.join(PY_DOCS, 'library'))).filter((f) => f.endsWith('.html')).sort().slice(0, PAGES).map((f) => `library/${f}`)
    : (await readdir(PY_DOCS, { recursive: true })).filter((f) => f.endsWith('.html'));
  for (const p of all) {
    await mkdir(path.dirname(path.join(site, p)), { recursive: true });
    await cp(path.join(PY_DOCS, p), path.join(site, p), { dereference: true });
  }
  const model = (await ensureTestModel()).layouts['heads-in-graph'];
  const t0 = performance.now();
  const r = await indexSite({ site, model, inject: true, copyModel: true, onLog: (l) => console.error(l) });
  console.error(`indexed ${r.build.pages} pages, ${r.build.passages} passages in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return site;
}

/** Varied queries: section headings from across the index (first three words), seeded shuffle. */
async function queries(out: string): Promise<string[]> {
  const m = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8')) as SiteManifest;
  const headings = new Set<string>();
  for (const f of m.shards.meta.files as RangeFile[]) {
    const shard = decodeMetaShard(new Uint8Array(await readFile(path.join(out, f.file))));
    for (const it of shard.items) {
      const q = (it.heading || it.title).replace(/[^\p{L}\p{N}_ ]+/gu, ' ').trim().split(/\s+/).slice(0, 3).join(' ');
      if (q.length > 2) headings.add(q);
    }
  }
  const list = [...headings];
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  while (list.length < QUERIES) list.push(...list.slice(0, QUERIES - list.length));
  return list.slice(0, QUERIES);
}

/** The worker's protocol session (not flattened: Playwright's CDPSession speaks to one target). */
async function workerHeap(browserCdp: CDPSession): Promise<() => Promise<number>> {
  const { targetInfos } = (await browserCdp.send('Target.getTargets')) as { targetInfos: { targetId: string; type: string; url: string }[] };
  const worker = targetInfos.find((t) => t.type === 'worker' && t.url.includes('m3search-worker'));
  if (!worker) throw new Error('no m3search worker target');
  const { sessionId } = (await browserCdp.send('Target.attachToTarget', { targetId: worker.targetId, flatten: false })) as { sessionId: string };
  let id = 0;
  const waiting = new Map<number, (m: { result?: HeapUsage }) => void>();
  browserCdp.on('Target.receivedMessageFromTarget', (e: { sessionId: string; message: string }) => {
    if (e.sessionId !== sessionId) return;
    const m = JSON.parse(e.message) as { id?: number; result?: HeapUsage };
    if (m.id !== undefined) waiting.get(m.id)?.(m);
  });
  const call = (method: string) =>
    new Promise<{ result?: HeapUsage }>((resolve) => {
      const i = ++id;
      waiting.set(i, resolve);
      void browserCdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id: i, method, params: {} }) });
    });
  return async () => {
    await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.collectGarbage');
    return heapBytes((await call('Runtime.getHeapUsage')).result!);
  };
}

/** Runtime.getHeapUsage: the JS heap, plus ArrayBuffer backing stores (shard bytes live there, outside usedSize). */
interface HeapUsage {
  usedSize: number;
  backingStorageSize?: number;
}
const heapBytes = (h: HeapUsage): number => h.usedSize + (h.backingStorageSize ?? NaN);

async function pageHeap(cdp: CDPSession): Promise<number> {
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.collectGarbage');
  return heapBytes((await cdp.send('Runtime.getHeapUsage')) as HeapUsage);
}

async function ask(page: Page, q: string): Promise<number> {
  await page.evaluate((query) => {
    const input = document.querySelector('m3-search')!.shadowRoot!.querySelector('input')!;
    input.value = query;
    input.dispatchEvent(new Event('input'));
  }, q);
  await page.waitForFunction((query) => document.querySelector('m3-search')?.shadowRoot?.querySelector('ul')?.getAttribute('data-query') === query, q, { timeout: 60_000 });
  return page.evaluate(() => document.querySelector('m3-search')!.shadowRoot!.querySelectorAll('li.hit').length);
}

const site = await buildSite();
const qs = await queries(path.join(site, 'm3search'));
const server = await serveStatic(site);
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless=new', '--no-sandbox', '--disable-background-networking', '--no-first-run'] });
try {
  const context = await browser.newContext({ serviceWorkers: 'block' });
  const page = await context.newPage();
  await page.goto(`${server.url}library/${(await readdir(path.join(site, 'library'))).filter((f) => f.endsWith('.html')).sort()[0]}`);
  await page.locator('m3-search input').focus();
  await page.waitForFunction(() => (document.querySelector('m3-search') as HTMLElement | null)?.dataset.offline === 'saved', undefined, { timeout: 300_000 });
  await ask(page, qs[0]!);
  // Once the model has loaded the element re-ranks the list on show as hybrid: query 1, measured in hybrid mode.
  await page.waitForFunction(() => (document.querySelector('m3-search') as HTMLElement & { mode: string }).mode === 'hybrid', undefined, { timeout: 300_000 });
  const pageCdp = await context.newCDPSession(page);
  const worker = await workerHeap(await browser.newBrowserCDPSession());
  const first = { page: await pageHeap(pageCdp), worker: await worker() };
  const t0 = performance.now();
  let hits = 0;
  for (const q of qs.slice(1)) hits += await ask(page, q);
  const ms = (performance.now() - t0) / (qs.length - 1);
  const mode = await page.evaluate(() => (document.querySelector('m3-search') as HTMLElement & { mode: string }).mode);
  const last = { page: await pageHeap(pageCdp), worker: await worker() };
  const m = JSON.parse(await readFile(path.join(site, 'm3search', 'manifest.json'), 'utf8')) as SiteManifest;
  const f = (n: number) => `${(n / MiB).toFixed(2)} MiB`;
  console.log(`site: ${PAGES ? `${PAGES} pages of` : 'all of'} ${PY_DOCS} · ${m.counts.passages} passages · index ${f(m.bytes.total)} (multi ${f(m.bytes.multi)}, meta ${f(m.bytes.meta)})`);
  console.log(`${qs.length} queries (mode ${mode}, ${(hits / (qs.length - 1)).toFixed(1)} hits/query, ${ms.toFixed(0)} ms/query)`);
  console.log(`| heap after | query 1 | query ${qs.length} | growth |`);
  console.log(`|---|---|---|---|`);
  console.log(`| worker | ${f(first.worker)} | ${f(last.worker)} | ${f(last.worker - first.worker)} |`);
  console.log(`| page | ${f(first.page)} | ${f(last.page)} | ${f(last.page - first.page)} |`);
} finally {
  await browser.close();
  await server.close();
}
