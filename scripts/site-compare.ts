// `npm run site:compare`: indexes one static site with m3search and with Pagefind
// in the same run and prints them side by side: build time, index bytes, bytes
// a visitor downloads before the first results show, and the top hits of a few
// queries.
//
//   npm run site:compare -- [--site /usr/share/doc/python3.11/html] [--limit-pages N]
//                           [--model .cache/test-model/heads-in-graph | --model none]
//                           [--doc-model .cache/test-model/splade-doc | --doc-model none] [--keep DIR] [-q "query"]…
//                           [--multi nested|all|none] [--multi-vectors N]
//
// m3search is built keyword-only (no model: what `m3search index` makes
// by default), with the model (--copy-model), unless --model none, and with a
// doc-only ("inference-free") SPLADE model, unless --doc-model none: its pages
// answer the first query by learned sparse with no model, no ONNX Runtime and
// no tokenizer library (the default is the generated doc-only test model,
// ~200 ids per passage like a trained one; its relevance means nothing, its
// bytes are a real doc-only site's shape). Every
// byte is counted in Chromium the same way for both systems: a fresh browser
// context opens a page holding the system's drop-in search box (`<m3-search>`
// and its script tag; Pagefind's own PagefindUI), types the query, and counts
// what the server sends until result links show. On the first query's visit
// the page is then left open until the model has loaded (hybrid) and the
// offline copy is saved (after idle): what came after the first results is
// reported apart, as the model and its runtime, and the offline copy. Files
// requested twice over a whole visit are reported.
//
// The model build's time is split as the CLI reports it: crawl (reading pages
// and counting tokens), keyword index, encoding (passages/s), writing; it is
// then rebuilt into an emptied output folder, reading its vectors back from
// the encode cache.
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { REPO_ROOT } from '../src/site/bundle.js';
import { serveStatic } from '../src/site/serve.js';
import type { SiteManifest } from '../src/site/types.js';

const run = promisify(execFile);
const PAGEFIND = path.join(REPO_ROOT, 'node_modules', '@pagefind', 'linux-x64', 'bin', 'pagefind_extended');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DEFAULT_QUERIES = ['list comprehension', 'read a file line by line', 'pathlib glob recursive', 'json dumps indent', 'asyncio gather timeout', 'virtual environment'];

const { values } = parseArgs({
  options: {
    site: { type: 'string', default: '/usr/share/doc/python3.11/html' },
    model: { type: 'string', default: path.join(REPO_ROOT, '.cache', 'test-model', 'heads-in-graph') },
    'doc-model': { type: 'string', default: path.join(REPO_ROOT, '.cache', 'test-model', 'splade-doc') },
    'limit-pages': { type: 'string' },
    keep: { type: 'string' },
    multi: { type: 'string' },
    'multi-vectors': { type: 'string' },
    q: { type: 'string', short: 'q', multiple: true },
  },
});
const queries = values.q?.length ? values.q : DEFAULT_QUERIES;

async function dirBytes(dir: string, filter: (rel: string) => boolean = () => true): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const parent = (e as unknown as { parentPath: string }).parentPath;
    const full = path.join(parent, e.name);
    if (filter(path.relative(dir, full).split(path.sep).join('/'))) total += (await stat(full)).size;
  }
  return total;
}

function mib(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(2)} MiB` : `${(n / 1024).toFixed(1)} KiB`;
}

async function timed(file: string, args: string[]): Promise<{ seconds: number; stderr: string; stdout: string }> {
  const t0 = performance.now();
  const { stdout, stderr } = await run(file, args, { cwd: REPO_ROOT, maxBuffer: 64 << 20 });
  return { seconds: (performance.now() - t0) / 1000, stderr, stdout };
}

interface FirstQuery {
  /** Bytes served until result links showed (the harness page itself not counted). */
  bytes: number;
  files: number;
  /** Paths served more than once. */
  twice: string[];
  /** Every path served until the results showed, with its bytes (what the first query cost, file by file). */
  list: [string, number][];
  hits: string[];
  /** After the model upgraded the answer (m3search with a model): bytes served in all. */
  upgraded?: { bytes: number; files: number };
  /** With `waitOffline`: what came after the first results, once the offline copy was saved. */
  after?: { model: number; offline: number; offlineFiles: number };
}

/** What a doc-only page must never fetch: a model file, ONNX Runtime or its loader, the tokenizer library, a full tokenizer or idf table. */
const NOT_DOC_ONLY = /\/model\/|\/ort-wasm|\/m3search-ort\.|\/m3search-backend-|\/m3search-tokenizers-|tokenizer\.json|idf\.json|\.onnx/;

/** The model, ONNX Runtime and the code that loads them: downloaded after the first results, for hybrid ranking. */
const MODEL_FILE = /\/model\/|\/ort-wasm|\/m3search-ort\.|\/m3search-backend-/;

const CHROMIUM_ARGS = ['--headless=new', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** The drop-in box of each system, on a page of its own at the site root. */
const HARNESS = {
  m3search: (index: string) => `<!doctype html><meta charset="utf-8"><title>m3search</title><script src="${index}/m3search.js" defer></script><m3-search></m3-search>`,
  pagefind: () =>
    `<!doctype html><meta charset="utf-8"><title>pagefind</title><link href="pagefind/pagefind-ui.css" rel="stylesheet"><script src="pagefind/pagefind-ui.js"></script><div id="search"></div><script>addEventListener('DOMContentLoaded', () => new PagefindUI({ element: '#search', showSubResults: true }))</script>`,
};

/**
 * One fresh visit in Chromium: open `harness`, type `query` into the box, wait
 * for result links, and count what the server sent for `prefix` files.
 */
async function firstQuery(browser: Browser, base: string, served: (fn: ((p: string, b: number) => void) | undefined) => void, harness: string, prefix: string, query: string, system: 'm3search' | 'pagefind', waitHybrid: boolean, waitOffline = false, mode?: string): Promise<FirstQuery> {
  const counts = new Map<string, number>();
  const list: [string, number][] = [];
  let bytes = 0;
  served((p, b) => {
    if (!p.startsWith(prefix)) return;
    counts.set(p, (counts.get(p) ?? 0) + 1);
    list.push([p, b]);
    bytes += b;
  });
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${base}${harness}`);
    const hits =
      system === 'm3search'
        ? await (async () => {
            await page.locator('m3-search input').fill(query);
            // With `mode`: the first results must be that mode's (a doc-only page's learned sparse, not a keyword fallback).
            await page.waitForFunction(
              (m) => {
                const el = document.querySelector('m3-search') as (HTMLElement & { mode?: string }) | null;
                return (el?.shadowRoot?.querySelectorAll('a[href]').length ?? 0) > 0 && (m === null || el!.mode === m);
              },
              mode ?? null,
              { timeout: 120_000 },
            );
            return page.evaluate(() => [...(document.querySelector('m3-search')?.shadowRoot?.querySelectorAll('a[href]') ?? [])].map((a) => a.getAttribute('href') ?? ''));
          })()
        : await (async () => {
            await page.locator('.pagefind-ui__search-input').fill(query);
            await page.waitForSelector('.pagefind-ui__result-link', { timeout: 120_000 });
            return page.evaluate(() => [...document.querySelectorAll('.pagefind-ui__result-link')].map((a) => a.getAttribute('href') ?? ''));
          })();
    const first = { bytes, files: counts.size, twice: [...counts].filter(([, n]) => n > 1).map(([p]) => p), list: list.slice() };
    let upgraded: FirstQuery['upgraded'];
    if (waitHybrid) {
      await page.waitForFunction(() => (document.querySelector('m3-search') as (HTMLElement & { mode?: string }) | null)?.mode === 'hybrid', undefined, { timeout: 300_000 });
      upgraded = { bytes, files: counts.size };
    }
    let after: FirstQuery['after'];
    if (waitOffline) {
      // Saved after the page has been idle (src/browser/site-session.ts): no typing meanwhile.
      await page.waitForFunction(() => document.querySelector('m3-search')?.getAttribute('data-offline') === 'saved', undefined, { timeout: 300_000 });
      const later = list.slice(first.list.length);
      const model = later.filter(([f]) => MODEL_FILE.test(f));
      const offline = later.filter(([f]) => !MODEL_FILE.test(f));
      after = { model: model.reduce((t, [, n]) => t + n, 0), offline: offline.reduce((t, [, n]) => t + n, 0), offlineFiles: new Set(offline.map(([f]) => f)).size };
    }
    const twice = [...counts].filter(([, n]) => n > 1).map(([p]) => p);
    return { ...first, twice, hits, upgraded, after };
  } finally {
    served(undefined);
    await context.close();
  }
}

function multiLabel(m: SiteManifest): string {
  const s = m.shards.multi;
  if (s.storage === 'none') return 'none';
  return s.layout === 'nested' ? `nested ≤${s.maxRows} rows/passage, ${s.storage}` : `one row per token, ${s.storage}`;
}

/** The CLI summary's phase times: `(crawl C s · keyword K s · encode E s · write W s)`. */
function phaseLabel(stderr: string): string {
  return /in [\d.]+ s \(((?:crawl|keyword|encode|write) [^)]*)\)/.exec(stderr)?.[1] ?? '(no phase times in the CLI summary)';
}

/** The CLI summary's encoding line: passages encoded, seconds, passages/s, and what was reused. */
function encodeLabel(stderr: string): string {
  const m = /encoded (\d+) passages(?: in ([\d.]+) s \(([\d.]+) passages\/s\))? · reused (\d+) from the previous build · (\d+|no) (?:from the encode cache|encode cache)(?:[^(\n]*\(and (\d+ of \d+) sections' cuts\))?/.exec(stderr);
  if (!m) return '(no encoding line in the CLI summary)';
  return `${m[1]} passages encoded${m[2] ? ` in ${m[2]} s (${m[3]} passages/s)` : ''}, ${m[5] === 'no' ? 'no encode cache' : `${m[5]} from the encode cache${m[6] ? `, ${m[6]} sections cut from it` : ''}`}`;
}

function short(url: string): string {
  return url.replace(/^https?:\/\/[^/]+/, '').replace(/^\//, '').replace(/\.html(?=#|$)/, '');
}

async function main(): Promise<void> {
  const work = values.keep ? path.resolve(values.keep) : await mkdtemp(path.join(os.tmpdir(), 'm3search-compare-'));
  const site = path.join(work, 'site');
  await rm(site, { recursive: true, force: true });
  // Debian's docs link _static files to /usr/share/javascript: copy them as files.
  await cp(values.site, site, { recursive: true, dereference: true });
  let pages = 0;
  for (const e of await readdir(site, { recursive: true })) if (String(e).endsWith('.html')) pages++;
  process.stderr.write(`site: ${values.site} (${pages} HTML files) copied to ${site}\n`);

  const extra = values['limit-pages'] ? ['--limit-pages', values['limit-pages']] : [];
  if (values.multi) extra.push('--multi', values.multi);
  if (values['multi-vectors']) extra.push('--multi-vectors', values['multi-vectors']);
  const withModel = values.model !== 'none';
  const cli = path.join(REPO_ROOT, 'bin', 'm3search.mjs');
  process.stderr.write('building the keyword-only m3search index…\n');
  const kw = await timed(process.execPath, [cli, 'index', site, '--out', path.join(site, 'm3search'), '--fresh', '--quiet', ...extra]);
  process.stderr.write(kw.stderr);
  let hy: Awaited<ReturnType<typeof timed>> | undefined;
  let hyCached: Awaited<ReturnType<typeof timed>> | undefined;
  if (withModel) {
    process.stderr.write('building the m3search index with the model…\n');
    const args = [cli, 'index', site, '--out', path.join(site, 'm3search-model'), '--model', values.model, '--copy-model', '--quiet', ...extra];
    // --fresh: every passage encoded (neither the previous build nor the encode cache read).
    hy = await timed(process.execPath, [...args, '--fresh']);
    process.stderr.write(hy.stderr);
    // As a generator that empties its output folder would rebuild: only the encode cache to reuse.
    process.stderr.write('rebuilding it into an emptied output folder (encode cache)…\n');
    await rm(path.join(site, 'm3search-model'), { recursive: true, force: true });
    hyCached = await timed(process.execPath, args);
    process.stderr.write(hyCached.stderr);
  }
  const withDoc = values['doc-model'] !== 'none';
  let doc: Awaited<ReturnType<typeof timed>> | undefined;
  if (withDoc) {
    process.stderr.write('building the m3search index with the doc-only model…\n');
    doc = await timed(process.execPath, [cli, 'index', site, '--out', path.join(site, 'm3search-doc'), '--model', values['doc-model']!, '--quiet', '--fresh', ...extra]);
    process.stderr.write(doc.stderr);
  }
  process.stderr.write('building the Pagefind index…\n');
  if (values['limit-pages']) process.stderr.write('(Pagefind indexes every page: --limit-pages only limits m3search)\n');
  const pf = await timed(PAGEFIND, ['--site', site, '--output-path', path.join(site, 'pagefind')]);
  process.stderr.write(pf.stdout.split('\n').filter((l) => /Indexed|Total/.test(l)).join('\n') + '\n');

  const manifest = JSON.parse(await readFile(path.join(site, 'm3search', 'manifest.json'), 'utf8')) as SiteManifest;
  const hyManifest = withModel ? (JSON.parse(await readFile(path.join(site, 'm3search-model', 'manifest.json'), 'utf8')) as SiteManifest) : undefined;
  const docManifest = withDoc ? (JSON.parse(await readFile(path.join(site, 'm3search-doc', 'manifest.json'), 'utf8')) as SiteManifest) : undefined;
  const pfIndex = await dirBytes(path.join(site, 'pagefind'), (f) => !/^pagefind[-.].*\.(js|css)$|^wasm\.|^pagefind-ui|^pagefind-modular-ui|^pagefind-component-ui|^pagefind-highlight/.test(f));
  const pfTotal = await dirBytes(path.join(site, 'pagefind'));
  const out = async (dir: string): Promise<number> => dirBytes(path.join(site, dir));
  await writeFile(path.join(site, 'cmp-m3search.html'), HARNESS.m3search('m3search'));
  await writeFile(path.join(site, 'cmp-m3search-model.html'), HARNESS.m3search('m3search-model'));
  await writeFile(path.join(site, 'cmp-m3search-doc.html'), HARNESS.m3search('m3search-doc'));
  await writeFile(path.join(site, 'cmp-pagefind.html'), HARNESS.pagefind());

  let onServe: ((p: string, b: number) => void) | undefined;
  const server = await serveStatic(site, 0, '127.0.0.1', { onServe: (p, b) => onServe?.(p, b) });
  const served = (fn: typeof onServe): void => void (onServe = fn);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const rows: string[][] = [];
  const hitRows: string[] = [];
  const sums = { kw: 0, hyKw: 0, hyUp: 0, doc: 0, pf: 0 };
  /** Files a doc-only page fetched that it must not (model, ONNX Runtime, tokenizer library): expected none. */
  const docForbidden = new Set<string>();
  let docAfter: FirstQuery['after'];
  const twice = new Set<string>();
  let kwAfter: FirstQuery['after'];
  let hyAfter: FirstQuery['after'];
  try {
    for (const q of queries) {
      // The first query's visit stays until the offline copy is saved (the same whole-index copy for every query).
      const once = q === queries[0];
      const k = await firstQuery(browser, server.url, served, 'cmp-m3search.html', '/m3search/', q, 'm3search', false, once);
      const h = withModel ? await firstQuery(browser, server.url, served, 'cmp-m3search-model.html', '/m3search-model/', q, 'm3search', true, once) : undefined;
      const d = withDoc ? await firstQuery(browser, server.url, served, 'cmp-m3search-doc.html', '/m3search-doc/', q, 'm3search', false, once, 'sparse') : undefined;
      if (once) [kwAfter, hyAfter, docAfter] = [k.after, h?.after, d?.after];
      const p = await firstQuery(browser, server.url, served, 'cmp-pagefind.html', '/pagefind/', q, 'pagefind', false);
      for (const t of [...k.twice, ...(h?.twice ?? []), ...(d?.twice ?? []), ...p.twice]) twice.add(t);
      for (const [f] of d?.list ?? []) if (NOT_DOC_ONLY.test(f)) docForbidden.add(f);
      if (q === queries[0]) {
        for (const [name, r] of [['m3search keyword-only', k], ['m3search with model', h], ['m3search doc-only model', d], ['Pagefind', p]] as const) {
          if (r) process.stderr.write(`first query "${q}", ${name}: ${r.list.map(([f, n]) => `${f} ${mib(n)}`).join(' · ')}\n`);
        }
      }
      sums.kw += k.bytes;
      sums.pf += p.bytes;
      if (d) sums.doc += d.bytes;
      if (h) {
        sums.hyKw += h.bytes;
        sums.hyUp += h.upgraded!.bytes;
      }
      const vs = (x: number): string => `${(x / p.bytes).toFixed(2)}×`;
      rows.push([`"${q}"`, `${mib(k.bytes)} (${k.files} files, ${vs(k.bytes)})`, h ? `${mib(h.bytes)} (${h.files} files); hybrid at ${mib(h.upgraded!.bytes)}` : '—', d ? `${mib(d.bytes)} (${d.files} files, ${vs(d.bytes)})` : '—', `${mib(p.bytes)} (${p.files} files)`]);
      const top = (urls: string[]): string => urls.slice(0, 3).map(short).join(', ') || '(none)';
      hitRows.push(`| "${q}" | ${top(k.hits)} | ${h ? top(h.hits) : '—'} | ${d ? top(d.hits) : '—'} | ${top(p.hits)} |`);
    }
  } finally {
    await browser.close();
    await server.close();
  }
  const n = queries.length;
  const b = manifest.bytes;
  const ratio = (x: number): string => `${(x / sums.pf).toFixed(2)}×`;
  const docCell = (cell: string): string => (docManifest ? cell : '—');
  const lines = [
    `Site: ${values.site} — ${pages} HTML files; ${manifest.counts.passages} passages (${manifest.chunking.maxTokens}-token chunks), keyword analyzer ${manifest.keyword.analyzer.language ?? '(no language)'}; model build: ${hyManifest?.model ? `${hyManifest.model.id} (dense ${hyManifest.model.denseDim}, multi ${hyManifest.model.multiDim})` : 'none'}; doc-only build: ${docManifest?.model ? `${docManifest.model.id} (query: ${docManifest.model.query ?? '?'}, ${docManifest.shards.vocab?.model ?? '?'} vocabulary)` : 'none'}; ${os.cpus().length} CPU cores`,
    '',
    '| | m3search keyword-only | m3search with model | m3search doc-only model | Pagefind 1.6.0 |',
    '|---|---|---|---|---|',
    `| build time (wall) | ${kw.seconds.toFixed(1)} s (${(kw.seconds / pf.seconds).toFixed(2)}× Pagefind) | ${hy ? `${hy.seconds.toFixed(1)} s (${(hy.seconds / pf.seconds).toFixed(2)}× Pagefind)` : '—'} | ${doc ? `${doc.seconds.toFixed(1)} s (${(doc.seconds / pf.seconds).toFixed(2)}× Pagefind)` : '—'} | ${pf.seconds.toFixed(1)} s |`,
    `| build phases (CLI summary) | ${phaseLabel(kw.stderr)} | ${hy ? phaseLabel(hy.stderr) : '—'} | ${doc ? phaseLabel(doc.stderr) : '—'} | |`,
    `| model build: encoding | | ${hy ? encodeLabel(hy.stderr) : '—'} | ${doc ? encodeLabel(doc.stderr) : '—'} | |`,
    `| model rebuild, output folder emptied (encode cache) | | ${hyCached ? `${hyCached.seconds.toFixed(1)} s (${(hyCached.seconds / hy!.seconds).toFixed(2)}× the full build): ${encodeLabel(hyCached.stderr)}` : '—'} | | |`,
    `| index bytes | ${mib(b.total)} (keyword ${mib(b.keyword)}, metadata ${mib(b.meta)}, manifest ${mib(b.manifest)}) | ${hyManifest ? `${mib(hyManifest.bytes.total)} (+ dense ${mib(hyManifest.bytes.dense)}, sparse ${mib(hyManifest.bytes.sparse)}, multi ${mib(hyManifest.bytes.multi)} ${multiLabel(hyManifest)})` : '—'} | ${docManifest ? `${mib(docManifest.bytes.total)} (+ sparse ${mib(docManifest.bytes.sparse)}, query vocabulary ${mib(docManifest.bytes.vocab ?? 0)} in ${docManifest.shards.vocab?.files.length ?? 0} shards)` : '—'} | ${mib(pfIndex)} |`,
    `| output folder | ${mib(await out('m3search'))} | ${withModel ? `${mib(await out('m3search-model'))} (model copy included)` : '—'} | ${docCell(withDoc ? mib(await out('m3search-doc')) : '')} | ${mib(pfTotal)} |`,
    `| first results, mean of ${n} (fresh visit, Chromium) | ${mib(sums.kw / n)} (${ratio(sums.kw)}) | keyword answer ${mib(sums.hyKw / n)} (${ratio(sums.hyKw)}); hybrid once the model is in: ${mib(sums.hyUp / n)} | ${docCell(`learned sparse ${mib(sums.doc / n)} (${ratio(sums.doc)}; ${(sums.doc / sums.kw).toFixed(2)}× keyword-only)`)} | ${mib(sums.pf / n)} |`,
    `| model, ONNX Runtime or tokenizer library fetched | | | ${docCell(docForbidden.size === 0 ? 'none' : [...docForbidden].join(', '))} | |`,
    `| after the first results, first query's visit: model + ONNX Runtime | | ${hyAfter ? mib(hyAfter.model) : '—'} | ${docCell(docAfter ? mib(docAfter.model) : '—')} | |`,
    `| after the first results, first query's visit: offline copy (saved after idle)${hyAfter ? '; with a model, also the hybrid re-query\'s shards' : ''} | ${kwAfter ? `${mib(kwAfter.offline)} (${kwAfter.offlineFiles} files)` : '—'} | ${hyAfter ? `${mib(hyAfter.offline)} (${hyAfter.offlineFiles} files)` : '—'} | ${docCell(docAfter ? `${mib(docAfter.offline)} (${docAfter.offlineFiles} files)` : '—')} | |`,
    `| files fetched twice in one visit | ${twice.size === 0 ? 'none' : [...twice].join(', ')} | | | |`,
    '',
    '| first query (fresh visit; × Pagefind) | m3search keyword-only | m3search with model | m3search doc-only model | Pagefind |',
    '|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
    '| query | m3search keyword-only top 3 | m3search with model top 3 (keyword answer) | m3search doc-only top 3 (learned sparse; test model) | Pagefind top 3 |',
    '|---|---|---|---|---|',
    ...hitRows,
  ];
  console.log(lines.join('\n'));
  if (!values.keep) await rm(work, { recursive: true, force: true });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
