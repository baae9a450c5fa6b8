// The static-site subcommands: `index` builds the search index of a built
// site (and can inject the search box into every page), `serve` serves a
// folder, `query` searches a built index from Node. The heavy modules
// (onnxruntime-node, the HTML parser) load only once the arguments are valid,
// so --help and usage errors answer at once.
import type { Fusion } from '../core/types.js';
import path from 'node:path';
import { M3SearchError } from '../core/errors.js';
import type { BuildProgress, BuildReport } from '../site/build.js';
import type { IndexSiteOptions } from '../site/publish.js';
import { choiceOption, intOption, parse, type Command } from './args.js';
import { resolveModel } from './model.js';
import { progressLine, type ProgressLine } from './progress.js';

const INDEX_USAGE = `m3search index <site-dir> [options]    build the search index of a built static site
    --out DIR             index folder (default <site-dir>/m3search)
    --model DIR|URL|none  encoder folder or URL for hybrid ranking (default none: a keyword-only index,
                          whose pages load no model and no ONNX Runtime)
    --preset NAME         conventions of a named model (pooling, prefixes, max length) for a --model folder without
                          m3search.json, e.g. multilingual-e5-small; the manifest records them, so pages apply them too
    --sparse-query idf    an inference-free site: pages load no model and no ONNX Runtime; a query is its tokenizer
                          ids × idf against the passages' stored sparse weights (the model's idf.json, else one computed
                          from this site's passages; with BGE-M3's lexical head: experimental, no published quality figure)
    --lang-analyzer CODE  language of the keyword analyzer's stemmer (default: the pages' <html lang>, else detected)
    --inject              add the <script> tag and <m3-search> box to every page
    --copy-model          copy the model next to the index, so pages rank hybrid with no third-party host
    --max-tokens N        tokens per passage, special tokens included (default 512, at most the model's limit)
    --overlap N           tokens repeated between consecutive chunks of a long section (default 64)
    --multi nested|all|none     multi-vector rows per passage (default nested: at most --multi-vectors
                          centroids whose every prefix is a summary; all: one row per token, ~20x larger)
    --multi-vectors N     row cap per passage with --multi nested (default 8)
    --multi-storage int8|float16   multi-vector precision (default int8)
    --dense-bits auto|on|off   1-bit first pass over the dense rows: a hybrid query downloads every passage's
                          sign bits (dim/8 bytes) and only its best candidates' int8 rows (default auto: on from
                          256 dimensions and 2 MiB of dense rows, e.g. 1024 dims × 2,048 passages)
    --lang en[,fr]        only pages whose <html lang> starts with one of these
    --markdown            also index *.md sources (linked as .html)
    --keep-link-lists     also index sections that are mostly links (tables of contents, generated indexes)
    --fp32                encode with the fp32 ONNX file instead of the int8 one (the manifest records it; pages load the same)
    --docs FILE.jsonl     index these documents instead of crawling <site-dir>: one passage each (text as is,
                          linked at its url or #id), so the static index ranks like \`m3search search\`
    --limit-pages N       only the first N pages (trials)
    --fresh               ignore the previous build and the encode cache (re-encode everything; the cache is refreshed)
    --cache-dir DIR       where encoded passages are kept between builds, keyed by model fingerprint and passage
                          text (default .m3search-cache beside <site-dir>; never inside the site or the index)
    --no-cache            no encode cache: a rebuild reuses only the previous build in the index folder
    --no-sw               with --inject: no service worker
    --sw-pages            with --inject: the service worker also keeps the pages visited, so they reload offline
                          (it then controls every page under the site root; by default only the index folder)
    --batch-size N, --quiet`;

const SERVE_USAGE = `m3search serve [dir] [--port 8080] [--host 127.0.0.1] [--no-isolation]    serve a folder (an indexed site) over http, cross-origin isolated (COOP/COEP, for WASM threads) unless --no-isolation`;

const QUERY_USAGE = `m3search query <index-dir> [options] "query"    search a built index from Node
    --model DIR|URL       encoder folder (in a clone: the generated test model, if built); not needed by --mode keyword
                          nor by an inference-free index (built with a doc-only model or --sparse-query idf)
    --mode keyword|dense|sparse|multi|hybrid   (default hybrid, or keyword for a keyword-only index)
    --fusion weighted|rrf (default weighted)
    -k N                  hits to print (default 10)
    --budget N            score only each passage's first N multi-vector rows`;

const log = (line: string): void => void process.stderr.write(`${line}\n`);

const INDEX_OPTIONS = {
  out: { type: 'string' },
  model: { type: 'string' },
  preset: { type: 'string' },
  'sparse-query': { type: 'string' },
  'max-tokens': { type: 'string' },
  overlap: { type: 'string' },
  multi: { type: 'string' },
  'multi-vectors': { type: 'string' },
  'multi-storage': { type: 'string' },
  'dense-bits': { type: 'string' },
  lang: { type: 'string' },
  'lang-analyzer': { type: 'string' },
  markdown: { type: 'boolean' },
  'keep-link-lists': { type: 'boolean' },
  docs: { type: 'string' },
  fp32: { type: 'boolean' },
  'limit-pages': { type: 'string' },
  inject: { type: 'boolean' },
  'copy-model': { type: 'boolean' },
  'no-sw': { type: 'boolean' },
  'sw-pages': { type: 'boolean' },
  fresh: { type: 'boolean' },
  'cache-dir': { type: 'string' },
  'no-cache': { type: 'boolean' },
  'batch-size': { type: 'string' },
  quiet: { type: 'boolean' },
} as const;

async function indexRun(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, INDEX_OPTIONS, INDEX_USAGE);
  const site = positionals[0];
  if (!site) throw new M3SearchError('INVALID_OPTION', `index needs a <site-dir>.\n${INDEX_USAGE}`);
  if (positionals.length > 1) throw new M3SearchError('INVALID_OPTION', `index takes one <site-dir>, got ${positionals.length}: ${positionals.join(' ')}`);
  const multi = choiceOption(values.multi, 'multi', ['nested', 'all', 'none'] as const, 'nested');
  const multiStorage = choiceOption(values['multi-storage'], 'multi-storage', ['int8', 'float16'] as const, 'int8');
  const sparseQuery = values['sparse-query'] === undefined ? undefined : choiceOption(values['sparse-query'], 'sparse-query', ['idf'] as const, 'idf');
  // Log lines go through the progress line so they never run into it.
  const progress = progressLine(process.stderr);
  const documents = values.docs === undefined ? undefined : await (await import('./jsonl.js')).readJsonl(values.docs);
  const options: IndexSiteOptions = {
    site,
    documents,
    dtype: values.fp32 ? 'fp32' : 'q8',
    out: values.out,
    model: values.model,
    ...(values.preset === undefined ? {} : { preset: values.preset }),
    ...(sparseQuery === undefined ? {} : { sparseQuery }),
    language: values['lang-analyzer'],
    copyModel: values['copy-model'],
    inject: values.inject,
    serviceWorker: !values['no-sw'],
    serviceWorkerPages: values['sw-pages'],
    maxTokens: intOption(values['max-tokens'], 'max-tokens'),
    overlapTokens: intOption(values.overlap, 'overlap', 0),
    multi,
    maxMultiVectors: intOption(values['multi-vectors'], 'multi-vectors'),
    multiStorage,
    denseBits: choiceOption(values['dense-bits'], 'dense-bits', ['auto', 'on', 'off'] as const, 'auto'),
    crawl: {
      markdown: values.markdown ?? false,
      linkLists: values['keep-link-lists'] ?? false,
      limit: intOption(values['limit-pages'], 'limit-pages'),
      lang: values.lang?.split(',').map((s) => s.trim()).filter(Boolean),
    },
    batchSize: intOption(values['batch-size'], 'batch-size'),
    fresh: values.fresh,
    cache: values['no-cache'] ? false : values['cache-dir'],
    onProgress: values.quiet ? undefined : progressPrinter(progress),
    onLog: (line) => progress.log(line),
  };
  if (values['no-cache'] && values['cache-dir'] !== undefined) throw new M3SearchError('INVALID_OPTION', '--no-cache and --cache-dir contradict each other: give one.', { option: 'cache-dir' });
  const { indexSite } = await import('../site/publish.js');
  const report = await indexSite(options);
  printSummary(report.build, report.bundleBytes, report.injected, report.out);
  // An inference-free index (query 'idf') never loads the model in the page: nothing to copy.
  if (values.inject && values.model && values.model !== 'none' && !values['copy-model'] && report.build.manifest.model?.query !== 'idf') {
    log('note: the model was not copied next to the index, so pages search by keywords only; add --copy-model, or data-model="URL" on the script tag, for hybrid ranking');
  }
}

/** Build progress on one redrawn terminal line per phase (nothing when stderr is not a terminal). */
function progressPrinter(progress: ProgressLine): (p: BuildProgress) => void {
  let lastPhase = '';
  let lastFinal = '';
  return (p) => {
    if (!progress.live) return;
    const final = p.done === p.total;
    // A new phase starts on a fresh line; the previous one keeps its last state.
    if (lastPhase && p.phase !== lastPhase) progress.done();
    lastPhase = p.phase;
    let line = `pages ${p.pages} · sections ${p.sections} · passages ${p.passages}`;
    if (p.phase === 'crawl') line = `crawl ${p.done}/${p.total} files · ${line}`;
    if (p.phase === 'keyword') line = final ? `keyword index: ${p.total} passages analyzed` : `analyzing ${p.total} passages for the keyword index…`;
    if (p.phase === 'encode') line = `encode ${p.done}/${p.total} passages${p.rate ? ` · ${p.rate.toFixed(1)} passages/s · ETA ${fmtSeconds(p.eta ?? 0)}` : ''}`;
    if (p.phase === 'write') line = final ? 'shards written' : 'writing shards…';
    if (final) {
      // A phase may report its last step more than once: end its line once.
      if (line !== lastFinal) progress.done(line);
      lastFinal = line;
      lastPhase = '';
    } else {
      lastFinal = '';
      progress.update(line);
    }
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
    `indexed ${r.pages} pages (${r.skippedPages} skipped) · ${r.sections} sections · ${r.passages} passages (${r.chunkedSections} sections split into several chunks)${r.linkListSections ? ` · ${r.linkListSections} link-list sections left out (--keep-link-lists keeps them)` : ''}`,
    `keyword index (${r.manifest.keyword.analyzer.language ?? 'no language'}${r.manifest.keyword.analyzer.stemmers.length ? `, stemmers ${r.manifest.keyword.analyzer.stemmers.join(' ')}` : ''}) in ${r.keywordSeconds.toFixed(1)} s`,
    r.manifest.model
      ? `encoded ${r.encoded} passages${r.encoded ? ` in ${r.encodeSeconds.toFixed(1)} s (${(r.encoded / r.encodeSeconds).toFixed(1)} passages/s)` : ''} · reused ${r.reused} from the previous build${r.reshaped ? ` (${r.reshaped} multi-vectors re-reduced to the new layout)` : ''} · ${r.cacheDir ? `${r.cached} from the encode cache ${path.relative(process.cwd(), r.cacheDir) || '.'} (and ${r.cachedCuts} of ${r.sections} sections' cuts)` : 'no encode cache'}${r.truncated ? ` · WARNING: ${r.truncated} still truncated by the encoder` : ''}`
      : 'keyword-only: no model, no vectors',
    `bytes: keyword ${fmtBytes(b.keyword)} · metadata ${fmtBytes(b.meta)}${r.manifest.model ? ` · dense ${fmtBytes(b.dense)}${b.bits !== undefined ? ` (1-bit pass: sign bits + row blocks ${fmtBytes(b.bits)})` : ''} · sparse ${fmtBytes(b.sparse)} · multi ${fmtBytes(b.multi)} (${multiLabel(r.manifest)})` : ''}${b.vocab !== undefined ? ` · query vocabulary ${fmtBytes(b.vocab)} (doc-only: no model in the page)` : ''} · manifest ${fmtBytes(b.manifest)} · index total ${fmtBytes(b.total)} (+ script bundle ${fmtBytes(bundleBytes)})`,
    `build ${r.manifest.build} → ${path.relative(process.cwd(), out) || '.'} in ${r.seconds.toFixed(1)} s (crawl ${r.crawlSeconds.toFixed(1)} s · keyword ${r.keywordSeconds.toFixed(1)} s${r.manifest.model ? ` · encode ${r.encodeSeconds.toFixed(1)} s` : ''} · write ${r.writeSeconds.toFixed(1)} s)${injected ? ` · search box injected into ${injected} pages` : ''}`,
  ];
  log(lines.join('\n'));
  // Each skipped or guessed page by name, on stderr so `--quiet` scripts still see them.
  const shown = r.warnings.slice(0, 20);
  for (const w of shown) process.stderr.write(`warning: ${w.file} ${w.message}\n`);
  if (r.warnings.length > shown.length) process.stderr.write(`warning: … and ${r.warnings.length - shown.length} more\n`);
}

async function serveRun(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, { port: { type: 'string' }, host: { type: 'string' }, 'no-isolation': { type: 'boolean' } } as const, SERVE_USAGE);
  const dir = positionals[0] ?? '.';
  if (positionals.length > 1) throw new M3SearchError('INVALID_OPTION', `serve takes one folder, got ${positionals.length}: ${positionals.join(' ')}`);
  const port = intOption(values.port, 'port', 0) ?? 8080;
  if (port > 65535) throw new M3SearchError('INVALID_OPTION', `--port must be at most 65535, not ${port}.`, { option: 'port', value: values.port });
  const { serveStatic } = await import('../site/serve.js');
  const isolate = values['no-isolation'] !== true;
  const server = await serveStatic(dir, port, values.host ?? '127.0.0.1', { isolate });
  log(`serving ${path.resolve(dir)} at ${server.url}${isolate ? ' (cross-origin isolated: COOP/COEP)' : ''} (Ctrl-C stops)`);
}

async function queryRun(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, { model: { type: 'string' }, mode: { type: 'string' }, fusion: { type: 'string' }, k: { type: 'string', short: 'k' }, budget: { type: 'string' } } as const, QUERY_USAGE);
  const [dir, ...words] = positionals;
  if (!dir) throw new M3SearchError('INVALID_OPTION', `query needs an <index-dir>.\n${QUERY_USAGE}`);
  const query = words.join(' ');
  if (!query.trim()) throw new M3SearchError('EMPTY_QUERY', `query needs a query after the index folder.\n${QUERY_USAGE}`);
  const fusion = choiceOption<Fusion>(values.fusion, 'fusion', ['weighted', 'rrf'], 'weighted');
  const k = intOption(values.k, 'k') ?? 10;
  const multiVectorBudget = intOption(values.budget, 'budget');
  const [{ openIndexDir }, { searchSite }] = await Promise.all([import('../site/node-reader.js'), import('../site/search.js')]);
  // The index first: a wrong folder (or a JSONL file) is reported before the model loads.
  const reader = await openIndexDir(dir);
  // An inference-free index answers by learned sparse with no model (its queries are built from the shipped vocabulary).
  const mode = choiceOption(values.mode, 'mode', ['keyword', 'dense', 'sparse', 'multi', 'hybrid'] as const, reader.inferenceFree ? 'sparse' : reader.manifest.model ? 'hybrid' : 'keyword');
  if (mode !== 'keyword' && !reader.manifest.model) throw new M3SearchError('INVALID_OPTION', `${dir} is a keyword-only index (built without a model): --mode ${mode} needs vectors; use --mode keyword.`, { mode });
  // The conventions the passages were encoded with (a preset's, say) apply to the queries too.
  const conventions = reader.manifest.model?.conventions;
  const encoder = mode === 'keyword' || reader.inferenceFree ? undefined : await (await import('../node/load-model.js')).loadModel(resolveModel(values.model, log), conventions ? { conventions } : {});
  try {
    const res = await searchSite(reader, query, { encoder, mode, fusion, k, multiVectorBudget });
    if (res.hits.length === 0) log(`no results for "${query}" in ${dir} (${reader.manifest.counts.passages} passages, ${mode} mode)`);
    for (const [i, h] of res.hits.entries()) console.log(`${String(i + 1).padStart(2)}. ${h.score.toFixed(4)}  ${h.url}\n    ${h.title} › ${h.heading}\n    ${h.snippet.text}`);
  } finally {
    await encoder?.dispose();
  }
}

export const indexCommand: Command = { name: 'index', summary: 'build the search index of a built static site (and inject the search box)', usage: INDEX_USAGE, run: indexRun };
export const serveCommand: Command = { name: 'serve', summary: 'serve a folder over http (try an indexed site locally)', usage: SERVE_USAGE, run: serveRun };
export const queryCommand: Command = { name: 'query', summary: 'search a built static-site index from Node', usage: QUERY_USAGE, run: queryRun };
