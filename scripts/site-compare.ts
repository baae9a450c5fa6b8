// `npm run site:compare`: indexes one static site with m3search and with Pagefind
// in the same run and prints them side by side: build time, index bytes, bytes
// the first query downloads, and the top hits of a few queries.
//
//   npm run site:compare -- [--site /usr/share/doc/python3.11/html] [--limit-pages N]
//                           [--model .cache/test-model/heads-in-graph] [--keep DIR] [-q "query"]…
//                           [--multi nested|all|none] [--multi-vectors N]
//
// m3search's first-query bytes are counted by reading the index the way the
// page's worker does (manifest, tokenizer, then only the shards the query
// touches) plus the script files a page loads; Pagefind's are counted on the
// HTTP server while Chromium runs Pagefind's own search API and loads the
// 10 results' data, as its UI does.
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { loadModel } from '../src/node/load-model.js';
import { BUNDLE_DIR, REPO_ROOT } from '../src/site/bundle.js';
import { openIndexDir } from '../src/site/node-reader.js';
import { searchSite, type SiteResults } from '../src/site/search.js';
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
  bytes: number;
  files: number;
}

/** m3search: what the worker fetches for a first query on a fresh visit (index files only; scripts and model listed apart). */
async function m3FirstQuery(indexDir: string, query: string, mode: 'lexical' | 'hybrid', encoder: Awaited<ReturnType<typeof loadModel>>): Promise<FirstQuery & { res: SiteResults }> {
  const manifestBytes = (await stat(path.join(indexDir, 'manifest.json'))).size;
  const tokenizerBytes = await dirBytes(path.join(indexDir, 'tokenizer'));
  let bytes = manifestBytes + tokenizerBytes;
  let files = 1 + (await readdir(path.join(indexDir, 'tokenizer'))).length;
  const reader = await openIndexDir(indexDir, (_f, b) => {
    bytes += b;
    files++;
  });
  const res = await searchSite(reader, query, { mode, k: 10, tokenizer: encoder.tokenizer, encoder });
  return { bytes, files, res };
}

/** Pagefind: bytes served while Chromium runs its JS API for `query` and loads the top 10 results' data. */
async function pagefindFirstQuery(siteDir: string, query: string): Promise<FirstQuery & { hits: string[] }> {
  let bytes = 0;
  let files = 0;
  let counting = false;
  const server = await serveStatic(siteDir, 0, '127.0.0.1', {
    onServe: (p, b) => {
      if (counting && p.startsWith('/pagefind/')) {
        bytes += b;
        files++;
      }
    },
  });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless=new', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  try {
    const page = await browser.newPage();
    await page.goto(`${server.url}about.html`);
    counting = true;
    const hits = await page.evaluate(async (q) => {
      const pf = (await import(`${location.origin}/pagefind/pagefind.js`)) as {
        search(q: string): Promise<{ results: { data(): Promise<{ url: string; meta: { title?: string }; sub_results: { url: string; title: string }[] }> }[] }>;
      };
      const r = await pf.search(q);
      const data = await Promise.all(r.results.slice(0, 10).map((x) => x.data()));
      return data.map((d) => d.sub_results[0]?.url ?? d.url);
    }, query);
    return { bytes, files, hits };
  } finally {
    await browser.close();
    await server.close();
  }
}

function multiLabel(m: SiteManifest): string {
  const s = m.shards.multi;
  if (s.storage === 'none') return 'none';
  return s.layout === 'nested' ? `nested ≤${s.maxRows} rows/passage, ${s.storage}` : `one row per token, ${s.storage}`;
}

function short(url: string): string {
  return url.replace(/^\//, '').replace(/\.html(?=#|$)/, '');
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

  const limit = values['limit-pages'] ? ['--limit-pages', values['limit-pages']] : [];
  if (values.multi) limit.push('--multi', values.multi);
  if (values['multi-vectors']) limit.push('--multi-vectors', values['multi-vectors']);
  process.stderr.write('building the m3search index…\n');
  const m3 = await timed(process.execPath, [path.join(REPO_ROOT, 'bin', 'm3search.mjs'), 'index', site, '--out', path.join(site, 'm3search'), '--model', values.model, '--fresh', '--quiet', ...limit]);
  process.stderr.write(m3.stderr);
  process.stderr.write('building the Pagefind index…\n');
  const pfArgs = ['--site', site, '--output-path', path.join(site, 'pagefind')];
  if (values['limit-pages']) process.stderr.write('(Pagefind indexes every page: --limit-pages only limits m3search)\n');
  const pf = await timed(PAGEFIND, pfArgs);
  process.stderr.write(pf.stdout.split('\n').filter((l) => /Indexed|Total/.test(l)).join('\n') + '\n');

  const indexDir = path.join(site, 'm3search');
  const manifest = JSON.parse(await readFile(path.join(indexDir, 'manifest.json'), 'utf8')) as SiteManifest;
  const scripts = await dirBytes(BUNDLE_DIR, (f) => !f.startsWith('ort-wasm') && !f.includes('-ort') && f !== 'm3search-sw.js');
  const ortBytes = await dirBytes(BUNDLE_DIR, (f) => f.startsWith('ort-wasm-simd-threaded.') && !f.includes('asyncify'));
  // Without WebGPU the worker imports ORT's plain WASM build (the chunk named ort.wasm).
  const ortJs = await dirBytes(BUNDLE_DIR, (f) => f.includes('-ort.wasm'));
  const modelBytes = await dirBytes(values.model, (f) => f === 'onnx/model_quantized.onnx' || /\.json$|\.safetensors$/.test(f));
  const pfIndex = await dirBytes(path.join(site, 'pagefind'), (f) => !/^pagefind[-.].*\.(js|css)$|^wasm\.|^pagefind-ui|^pagefind-modular-ui|^pagefind-component-ui|^pagefind-highlight/.test(f));
  const pfTotal = await dirBytes(path.join(site, 'pagefind'));

  const encoder = await loadModel(values.model);
  const rows: string[][] = [];
  const hitRows: string[] = [];
  let m3Lex = 0;
  let m3Hyb = 0;
  let pfFirst = 0;
  for (const q of queries) {
    const lex = await m3FirstQuery(indexDir, q, 'lexical', encoder);
    const hyb = await m3FirstQuery(indexDir, q, 'hybrid', encoder);
    const p = await pagefindFirstQuery(site, q);
    rows.push([`"${q}"`, `${mib(lex.bytes + scripts)} (${lex.files} files)`, `${mib(hyb.bytes + scripts + ortJs)} (${hyb.files} files) + runtime/model`, `${mib(p.bytes)} (${p.files} files)`]);
    m3Lex += lex.bytes + scripts;
    m3Hyb += hyb.bytes + scripts + ortJs;
    pfFirst += p.bytes;
    const top = (urls: string[]): string => urls.slice(0, 3).map(short).join(', ') || '(none)';
    hitRows.push(`| "${q}" | ${top(lex.res.hits.map((h) => h.url))} | ${top(hyb.res.hits.map((h) => h.url))} | ${top(p.hits)} |`);
  }
  await encoder.dispose();
  const n = queries.length;
  const b = manifest.bytes;

  const out = [
    `Site: ${values.site} — ${pages} HTML files; m3search model: ${manifest.model.id} (dense ${manifest.model.denseDim}, multi ${manifest.model.multiDim}, ${manifest.chunking.maxTokens}-token chunks); ${os.cpus().length} CPU cores`,
    '',
    '| | m3search | Pagefind 1.6.0 |',
    '|---|---|---|',
    `| pages indexed | ${manifest.counts.pages} (${manifest.counts.sections} sections, ${manifest.counts.passages} passages) | ${/Indexed (\d+) page/.exec(pf.stdout)?.[1] ?? '?'} |`,
    `| build time (wall) | ${m3.seconds.toFixed(1)} s | ${pf.seconds.toFixed(1)} s |`,
    `| index bytes | ${mib(b.total)} total: dense ${mib(b.dense)}, sparse ${mib(b.sparse)}, multi ${mib(b.multi)} (${multiLabel(manifest)}), keyword ${mib(b.lexical)}, metadata ${mib(b.meta)}, tokenizer ${mib(b.tokenizer)}, manifest ${mib(b.manifest)} | ${mib(pfIndex)} (index, fragments, metadata) |`,
    `| offline copy (IndexedDB) | ${mib(b.total - b.multi)} (all but multi-vectors) | — |`,
    `| search runtime | ${mib(scripts)} JS; hybrid adds ${mib(ortJs)} JS + ${mib(ortBytes)} ORT wasm + ${mib(modelBytes)} model (cached after the first visit) | ${mib(pfTotal - pfIndex)} (JS, wasm, UI) |`,
    `| first query, mean of ${n} (fresh visit) | keyword: ${mib(m3Lex / n)} · hybrid: ${mib(m3Hyb / n)} + ORT wasm + model | ${mib(pfFirst / n)} |`,
    '',
    '| first query (fresh visit) | m3search keyword (before the model) | m3search hybrid (index files) | Pagefind |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
    '| query | m3search keyword top 3 | m3search hybrid top 3 | Pagefind top 3 |',
    '|---|---|---|---|',
    ...hitRows,
  ];
  console.log(out.join('\n'));
  if (!values.keep) await rm(work, { recursive: true, force: true });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
