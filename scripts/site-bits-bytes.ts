// `npm run site:bits`: what the first hybrid query downloads from a static
// site at BGE-M3's 1024 dimensions, with and without the 1-bit first pass
// (FORMAT.md). The site `npm run site:compare` uses (Debian's Python docs) is
// indexed twice with the wide test variant (`npm run model:wide`: the tiny
// encoder with 1024-dim dense and ColBERT heads, so rows are BGE-M3's width;
// its rankings mean nothing) — `--dense-bits off` and `--dense-bits on`, the
// second from the encode cache — and each query runs on a fresh visit in
// Chromium through `<m3-search>`: the keyword answer, then the model, then the
// hybrid answer. Bytes are the server's, of index files only (manifest and
// shards; not the model, ONNX Runtime or the script bundle), counted from the
// keyword answer to the hybrid answer.
//
//   npm run site:bits -- [--site /usr/share/doc/python3.11/html] [--limit-pages N] [--keep DIR] [-q "query"]…
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { REPO_ROOT } from '../src/site/bundle.js';
import { serveStatic } from '../src/site/serve.js';
import type { SiteManifest } from '../src/site/types.js';
import { ensureWideTestModel } from './test-model/wide.js';

const run = promisify(execFile);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless=new', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const DEFAULT_QUERIES = ['list comprehension', 'read a file line by line', 'pathlib glob recursive', 'json dumps indent', 'asyncio gather timeout', 'virtual environment'];

const { values } = parseArgs({
  options: {
    site: { type: 'string', default: '/usr/share/doc/python3.11/html' },
    'limit-pages': { type: 'string' },
    keep: { type: 'string' },
    q: { type: 'string', short: 'q', multiple: true },
  },
});
const queries = values.q?.length ? values.q : DEFAULT_QUERIES;

/** What a file is, by its name under the index folder. */
function kind(rel: string): string {
  const m = /^shards\/([a-z]+)-/.exec(rel) ?? /^shards\/([a-z]+)\./.exec(rel);
  if (m) return m[1]!;
  return rel === 'manifest.json' ? 'manifest' : 'other';
}

interface Visit {
  /** Index bytes by file kind, from the keyword answer to the hybrid answer. */
  hybrid: Map<string, { bytes: number; files: number }>;
  /** Index bytes from opening the page to the hybrid answer. */
  total: number;
}

async function visit(browser: Browser, base: string, served: (fn: ((p: string, b: number) => void) | undefined) => void, harness: string, prefix: string, query: string): Promise<Visit> {
  const seen: [string, number][] = [];
  served((p, b) => {
    if (p.startsWith(prefix) && (p.startsWith(`${prefix}shards/`) || p === `${prefix}manifest.json`)) seen.push([p.slice(prefix.length), b]);
  });
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${base}${harness}`);
    await page.locator('m3-search input').fill(query);
    await page.waitForFunction(() => (document.querySelector('m3-search')?.shadowRoot?.querySelectorAll('a[href]').length ?? 0) > 0, undefined, { timeout: 120_000 });
    const atKeyword = seen.length;
    await page.waitForFunction(() => (document.querySelector('m3-search') as (HTMLElement & { mode?: string }) | null)?.mode === 'hybrid', undefined, { timeout: 300_000 });
    const hybrid = new Map<string, { bytes: number; files: number }>();
    for (const [f, b] of seen.slice(atKeyword)) {
      const e = hybrid.get(kind(f)) ?? { bytes: 0, files: 0 };
      hybrid.set(kind(f), { bytes: e.bytes + b, files: e.files + 1 });
    }
    return { hybrid, total: seen.reduce((t, [, b]) => t + b, 0) };
  } finally {
    served(undefined);
    await context.close();
  }
}

const kib = (n: number): string => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(2)} MiB` : `${(n / 1024).toFixed(1)} KiB`);
const sum = (v: Visit, kinds?: string[]): number => [...v.hybrid].filter(([k]) => !kinds || kinds.includes(k)).reduce((t, [, e]) => t + e.bytes, 0);
const files = (v: Visit, kinds: string[]): number => [...v.hybrid].filter(([k]) => kinds.includes(k)).reduce((t, [, e]) => t + e.files, 0);

async function main(): Promise<void> {
  const model = await ensureWideTestModel();
  const work = values.keep ? path.resolve(values.keep) : await mkdtemp(path.join(os.tmpdir(), 'm3search-bits-'));
  const site = path.join(work, 'site');
  await rm(site, { recursive: true, force: true });
  await cp(values.site, site, { recursive: true, dereference: true });
  const cli = path.join(REPO_ROOT, 'bin', 'm3search.mjs');
  const extra = values['limit-pages'] ? ['--limit-pages', values['limit-pages']] : [];
  const builds = { full: 'm3search-full', bits: 'm3search-bits' } as const;
  const logs: Record<string, string> = {};
  for (const [name, bits] of [['full', 'off'], ['bits', 'on']] as const) {
    process.stderr.write(`building with --dense-bits ${bits}…\n`);
    const t0 = performance.now();
    const { stderr } = await run(process.execPath, [cli, 'index', site, '--out', path.join(site, builds[name]), '--model', model, '--copy-model', '--dense-bits', bits, '--quiet', ...extra], { cwd: REPO_ROOT, maxBuffer: 64 << 20 });
    logs[name] = stderr;
    process.stderr.write(`${stderr}(${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
  }
  // Written after both builds, so neither indexes them.
  for (const name of ['full', 'bits'] as const) {
    await writeFile(path.join(site, `bits-${name}.html`), `<!doctype html><meta charset="utf-8"><title>m3search</title><script src="${builds[name]}/m3search.js" defer></script><m3-search></m3-search>`);
  }
  const manifests = {
    full: JSON.parse(await readFile(path.join(site, builds.full, 'manifest.json'), 'utf8')) as SiteManifest,
    bits: JSON.parse(await readFile(path.join(site, builds.bits, 'manifest.json'), 'utf8')) as SiteManifest,
  };
  let onServe: ((p: string, b: number) => void) | undefined;
  const server = await serveStatic(site, 0, '127.0.0.1', { onServe: (p, b) => onServe?.(p, b) });
  const served = (fn: typeof onServe): void => void (onServe = fn);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const rows: string[] = [];
  const totals = { full: 0, bits: 0, fullDense: 0, bitsDense: 0 };
  const DENSE = ['dense', 'bits', 'rows'];
  try {
    for (const q of queries) {
      const full = await visit(browser, server.url, served, 'bits-full.html', `/${builds.full}/`, q);
      const bits = await visit(browser, server.url, served, 'bits-bits.html', `/${builds.bits}/`, q);
      totals.full += sum(full);
      totals.bits += sum(bits);
      totals.fullDense += sum(full, DENSE);
      totals.bitsDense += sum(bits, DENSE);
      const detail = (v: Visit): string => [...v.hybrid].sort(([a], [b]) => a.localeCompare(b)).map(([k, e]) => `${k} ${kib(e.bytes)} (${e.files})`).join(' · ');
      process.stderr.write(`"${q}"\n  without: ${detail(full)}\n  with:    ${detail(bits)}\n`);
      rows.push(
        `| "${q}" | ${kib(sum(full, DENSE))} | ${kib(sum(bits, DENSE))} (bits ${kib(sum(bits, ['bits']))}, ${files(bits, ['rows'])} row blocks ${kib(sum(bits, ['rows']))}) | ${(sum(full, DENSE) / sum(bits, DENSE)).toFixed(1)}× | ${kib(sum(full))} | ${kib(sum(bits))} | ${(sum(full) / sum(bits)).toFixed(2)}× |`,
      );
    }
  } finally {
    await browser.close();
    await server.close();
  }
  const n = queries.length;
  const m = manifests.bits;
  const b = m.bytes;
  console.log(
    [
      `Site: ${values.site}; ${m.counts.passages} passages; model ${m.model!.id} (dense ${m.model!.denseDim}, multi ${m.model!.multiDim}, ${m.shards.multi.layout} ≤${m.shards.multi.maxRows} rows, ${m.shards.multi.storage}); 1-bit pass: ${m.shards.dense.bits!.files.length} sign-code files, ${m.shards.dense.bits!.blocks} row blocks of ${m.shards.dense.bits!.blockRows}`,
      `Index bytes: dense ${kib(b.dense)} · 1-bit pass (sign codes + row blocks) ${kib(b.bits ?? 0)} · sparse ${kib(b.sparse)} · multi ${kib(b.multi)} · keyword ${kib(b.keyword)} · metadata ${kib(b.meta)}; without the pass: total ${kib(manifests.full.bytes.total)}, with: ${kib(b.total)}`,
      '',
      '| first hybrid query (fresh visit, Chromium; index files from the keyword answer to the hybrid answer) | dense rows, without the 1-bit pass | with it | ratio | all index files, without | with | ratio |',
      '|---|---|---|---|---|---|---|',
      ...rows,
      `| mean of ${n} | ${kib(totals.fullDense / n)} | ${kib(totals.bitsDense / n)} | ${(totals.fullDense / totals.bitsDense).toFixed(1)}× | ${kib(totals.full / n)} | ${kib(totals.bits / n)} | ${(totals.full / totals.bits).toFixed(2)}× |`,
    ].join('\n'),
  );
  if (!values.keep) await rm(work, { recursive: true, force: true });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
