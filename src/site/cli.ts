// `m3search index <site-dir> --out <dir> …` builds a static index (and can
// inject the search box into every page); `m3search serve <dir>` serves a
// folder; `m3search query <index-dir> "…"` searches an index from Node.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isM3SearchError } from '../core/errors.js';
import { fsSource } from '../node/fs-source.js';
import { loadModel } from '../node/load-model.js';
import { urlSource } from '../model/source.js';
import { buildSiteIndex, type BuildProgress, type BuildReport } from './build.js';
import { copyBundle, copyModel, ensureScriptBundle, REPO_ROOT, SW_FILE } from './bundle.js';
import { listPages } from './crawl.js';
import { injectSite } from './inject.js';
import { serveStatic } from './serve.js';
import { searchIndexDir } from './node-reader.js';

const USAGE = `usage:
  m3search index <site-dir> [options]    build the search index of a built static site
    --out DIR             index folder (default <site-dir>/m3search)
    --model DIR|URL       encoder folder (default: the generated test model, if built)
    --inject              add the <script> tag and <m3-search> box to every page
    --copy-model          copy the model next to the index, so pages rank hybrid with no third-party host
    --max-tokens N        tokens per passage, special tokens included (default 512, at most the model's limit)
    --overlap N           tokens repeated between consecutive chunks of a long section (default 64)
    --multi nested|all|none     multi-vector rows per passage (default nested: at most --multi-vectors
                          centroids whose every prefix is a summary; all: one row per token, ~20x larger)
    --multi-vectors N     row cap per passage with --multi nested (default 8)
    --multi-storage int8|float16   multi-vector precision (default int8)
    --lang en[,fr]        only pages whose <html lang> starts with one of these
    --markdown            also index *.md sources (linked as .html)
    --limit-pages N       only the first N pages (trials)
    --fresh               ignore the previous build (re-encode everything)
    --no-sw               with --inject: no service worker (pages will not reload offline)
    --batch-size N, --quiet
  m3search serve <dir> [--port 8080] [--host 127.0.0.1]
  m3search query <index-dir> [--model DIR] [--mode lexical|hybrid] [-k 10] [--multi-budget N] "query"`;

const TEST_MODEL = path.join(REPO_ROOT, '.cache', 'test-model', 'heads-in-graph');

function resolveModel(given: string | undefined): string {
  if (given) return given;
  if (existsSync(path.join(TEST_MODEL, 'tokenizer.json'))) {
    process.stderr.write(`no --model given: using the generated test model at ${path.relative(process.cwd(), TEST_MODEL)} (semantic scores are noise; lexical signal is real)\n`);
    return TEST_MODEL;
  }
  throw new Error('--model DIR|URL is required (no generated test model found; `npm run model:test` makes one).');
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === 'index') return indexCommand(rest);
  if (command === 'serve') return serveCommand(rest);
  if (command === 'query') return queryCommand(rest);
  console.error(USAGE);
  process.exit(command ? 2 : 0);
}

async function indexCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      model: { type: 'string' },
      'max-tokens': { type: 'string' },
      overlap: { type: 'string' },
      multi: { type: 'string', default: 'nested' },
      'multi-vectors': { type: 'string' },
      'multi-storage': { type: 'string', default: 'int8' },
      lang: { type: 'string' },
      markdown: { type: 'boolean', default: false },
      'limit-pages': { type: 'string' },
      inject: { type: 'boolean', default: false },
      'copy-model': { type: 'boolean', default: false },
      'no-sw': { type: 'boolean', default: false },
      fresh: { type: 'boolean', default: false },
      'batch-size': { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
  });
  const site = positionals[0];
  if (!site) throw new Error(`missing <site-dir>\n${USAGE}`);
  const out = path.resolve(values.out ?? path.join(site, 'm3search'));
  const modelLoc = resolveModel(values.model);
  const isUrl = /^https?:\/\//.test(modelLoc);
  if (values['copy-model'] && isUrl) throw new Error('--copy-model needs a local --model folder.');
  const multi = values.multi as 'nested' | 'all' | 'none';
  if (!['nested', 'all', 'none'].includes(multi)) throw new Error(`--multi must be nested, all or none (precision is --multi-storage int8|float16)`);
  const multiStorage = values['multi-storage'] as 'int8' | 'float16';
  if (!['int8', 'float16'].includes(multiStorage)) throw new Error('--multi-storage must be int8 or float16');
  const maxMultiVectors = values['multi-vectors'] === undefined ? undefined : Number(values['multi-vectors']);
  if (maxMultiVectors !== undefined && !(Number.isInteger(maxMultiVectors) && maxMultiVectors >= 1)) throw new Error('--multi-vectors must be a positive integer');

  const t0 = performance.now();
  const encoder = await loadModel(modelLoc);
  process.stderr.write(`model ${encoder.info.modelId} (${encoder.info.onnxFile}, dense ${encoder.info.denseDim}, multi ${encoder.info.multiDim}, max ${encoder.info.maxLength} tokens) loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  if (values['copy-model']) await copyModel(modelLoc, out);
  const crawl = {
    markdown: values.markdown,
    limit: values['limit-pages'] ? Number(values['limit-pages']) : undefined,
    lang: values.lang?.split(',').map((s) => s.trim()).filter(Boolean),
  };
  const report = await buildSiteIndex({
    site,
    out,
    encoder,
    modelSource: isUrl ? urlSource(modelLoc, { cacheName: false }) : fsSource(modelLoc),
    maxTokens: values['max-tokens'] ? Number(values['max-tokens']) : undefined,
    overlapTokens: values.overlap ? Number(values.overlap) : undefined,
    multi,
    maxMultiVectors,
    multiStorage,
    crawl,
    batchSize: values['batch-size'] ? Number(values['batch-size']) : undefined,
    modelPath: values['copy-model'] ? 'model/' : undefined,
    fresh: values.fresh,
    onProgress: values.quiet ? undefined : progressPrinter(),
  });
  await encoder.dispose();

  await ensureScriptBundle((s) => process.stderr.write(`${s}\n`));
  const inject = values.inject;
  const bundleBytes = await copyBundle(out, inject && !values['no-sw'] ? path.resolve(site) : undefined);
  let injected = 0;
  if (inject) {
    const rel = path.relative(path.resolve(site), out).split(path.sep).join('/');
    if (rel.startsWith('..')) throw new Error('--inject needs --out inside the site folder.');
    const pages = await listPages(site, { exclude: [rel, 'pagefind'], limit: crawl.limit });
    injected = await injectSite(site, pages, { indexDir: rel, serviceWorker: values['no-sw'] ? undefined : SW_FILE });
  }
  printSummary(report, bundleBytes, injected, out);
  if (inject && !values['copy-model']) {
    process.stderr.write('note: the model was not copied next to the index, so pages search by keywords only; add --copy-model, or data-model="URL" on the script tag, for hybrid ranking\n');
  }
}

function progressPrinter(): (p: BuildProgress) => void {
  const tty = process.stderr.isTTY;
  let last = 0;
  let lastPhase = '';
  return (p) => {
    const now = performance.now();
    const final = p.done === p.total;
    if (!final && p.phase === lastPhase && now - last < (tty ? 200 : 5000)) return;
    last = now;
    lastPhase = p.phase;
    let line = `pages ${p.pages} · sections ${p.sections} · passages ${p.passages}`;
    if (p.phase === 'crawl') line = `crawl ${p.done}/${p.total} files · ${line}`;
    if (p.phase === 'encode') line = `encode ${p.done}/${p.total} passages${p.rate ? ` · ${p.rate.toFixed(1)} passages/s · ETA ${fmtSeconds(p.eta ?? 0)}` : ''}`;
    if (p.phase === 'write') line = final ? 'shards written' : 'writing shards…';
    process.stderr.write(tty ? `\r\x1b[2K${line}${final ? '\n' : ''}` : `${line}\n`);
  };
}

function fmtSeconds(s: number): string {
  return s >= 90 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${s.toFixed(0)}s`;
}

export function fmtBytes(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(2)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`;
}

function multiLabel(m: BuildReport['manifest']): string {
  const s = m.shards.multi;
  if (s.storage === 'none') return 'none';
  return s.layout === 'nested' ? `nested ≤${s.maxRows} rows, ${s.storage}` : `all tokens, ${s.storage}`;
}

function printSummary(r: BuildReport, bundleBytes: number, injected: number, out: string): void {
  const b = r.bytes;
  const lines = [
    `indexed ${r.pages} pages (${r.skippedPages} skipped) · ${r.sections} sections · ${r.passages} passages (${r.chunkedSections} sections split into several chunks)`,
    `encoded ${r.encoded} passages, reused ${r.reused} from the previous build${r.reshaped ? ` (${r.reshaped} multi-vectors re-reduced to the new layout)` : ''}${r.encoded ? ` · ${(r.encoded / r.encodeSeconds).toFixed(1)} passages/s` : ''}${r.truncated ? ` · WARNING: ${r.truncated} still truncated by the encoder` : ''}`,
    `bytes: dense ${fmtBytes(b.dense)} · sparse ${fmtBytes(b.sparse)} · multi ${fmtBytes(b.multi)} (${multiLabel(r.manifest)}) · lexical ${fmtBytes(b.lexical)} · metadata ${fmtBytes(b.meta)} · tokenizer ${fmtBytes(b.tokenizer)} · manifest ${fmtBytes(b.manifest)} · index total ${fmtBytes(b.total)} (+ script bundle ${fmtBytes(bundleBytes)})`,
    `build ${r.manifest.build} → ${path.relative(process.cwd(), out) || '.'} in ${r.seconds.toFixed(1)} s${injected ? ` · search box injected into ${injected} pages` : ''}`,
  ];
  process.stderr.write(`${lines.join('\n')}\n`);
}

async function serveCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { port: { type: 'string', default: '8080' }, host: { type: 'string', default: '127.0.0.1' } } });
  const dir = positionals[0] ?? '.';
  const server = await serveStatic(dir, Number(values.port), values.host);
  process.stderr.write(`serving ${path.resolve(dir)} at ${server.url} (Ctrl-C stops)\n`);
}

async function queryCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { model: { type: 'string' }, mode: { type: 'string', default: 'hybrid' }, k: { type: 'string', short: 'k', default: '10' }, 'multi-budget': { type: 'string' } },
  });
  const [dir, ...words] = positionals;
  if (!dir || !words.length) throw new Error(USAGE);
  const encoder = await loadModel(resolveModel(values.model));
  const res = await searchIndexDir(dir, words.join(' '), { encoder, mode: values.mode as 'lexical' | 'hybrid', k: Number(values.k), multiVectorBudget: values['multi-budget'] ? Number(values['multi-budget']) : undefined });
  for (const [i, h] of res.hits.entries()) console.log(`${String(i + 1).padStart(2)}. ${h.score.toFixed(4)}  ${h.url}\n    ${h.title} › ${h.heading}\n    ${h.snippet.text}`);
  await encoder.dispose();
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(isM3SearchError(e) ? `m3search: ${e.code}: ${e.message}` : `m3search: ${(e as Error).message ?? e}`);
  process.exit(1);
});
