// npm run eval -- --data ../shared/data/scifact [--split train] [--model DIR]
//   [--tokenizer DIR] [--limit N] [--corpus-cap N] [--corpus-data DIR]
//   [--systems a,b] [--batch-size N] [--json out.json]
// npm run eval -- --all [--data ROOT] [--model DIR] [--limit N] [--encoder-limit N] [--encoder-corpus-cap N]
// Prints one table (rows = systems; with --all rows = collections) and writes the numbers as JSON.
import { existsSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isM3SearchError, M3SearchError } from '../src/core/errors.js';
import { lexicalSystem, loadTokenizerDir, miniSearchSystem, oramaSystem } from '../src/eval/baselines.js';
import { keywordSystem } from '../src/eval/keyword-system.js';
import { pagefindAvailable, pagefindSystem } from '../src/eval/pagefind-system.js';
import { evaluateRobustness, formatRobustness } from '../src/eval/robustness.js';
import { formatTargets } from '../src/eval/targets.js';
import { loadBeir, type BeirDataset } from '../src/eval/beir.js';
import type { Encoder } from '../src/core/encoder.js';
import { DEFAULT_CUTOFFS } from '../src/eval/metrics.js';
import { evaluateSystems, formatTable, type System } from '../src/eval/run.js';
import { discoverCollections, formatSummary, type SuiteRow } from '../src/eval/suite.js';

const USAGE = `usage: npm run eval -- --data DIR [options]
       npm run eval -- --all [--data ROOT] [options]
  --data DIR          BEIR folder (corpus.jsonl, queries.jsonl, qrels/); relative names are also tried under $M3S_DATA_DIR
                      (with --all: the folder holding the collections, default $M3S_DATA_DIR or ../shared/data)
  --corpus-data DIR   take corpus.jsonl from here instead (cross-lingual: queries in one language, corpus in another)
  --split NAME        qrels split (default: the folder's only one)
  --model DIR         model folder: adds the encoder systems; its tokenizer.json drives the lexical system
                      (with --all: default .cache/test-model/heads-in-graph when it exists; its tokenizer is not used)
  --tokenizer DIR     tokenizer folder for the lexical system (default: the model's, else bert-base-chinese
                      for zh/ja data and bert-base-uncased otherwise, from $M3S_TOKENIZERS_DIR or ../shared/tokenizers)
  --limit N           keep the first N judged queries (with --all: default 300 for the lexical systems)
  --corpus-cap N      subsample the corpus to N docs (judged docs of kept queries always stay)
  --systems LIST      comma-separated subset of: minisearch,orama,orama-exact,lexical,keyword,pagefind (opt-in; with --all
                      it runs by default when the Pagefind binary and Chromium exist) and, with --model,
                      dense,sparse,multi,dense+sparse,hybrid,hybrid-rrf,dense-int8,multi-int8,hybrid-int8
  --batch-size N      encoder batch size
  --all               every collection under the data root + cross-lingual XQuAD pairs; one summary table
  --encoder-limit N   with --all: queries for the encoder systems (default 10)
  --encoder-corpus-cap N  with --all: corpus cap for the encoder systems (default 200)
  --no-encoders       with --all: lexical systems only
  --no-robustness     with --all: skip the as-you-type / typo / nonsense tables (run for keyword, minisearch, lexical)
  --json FILE         where to write the JSON (default out/eval/<dataset>.json, with --all out/eval/all.json)`;

const LEXICAL_SYSTEMS = ['minisearch', 'orama', 'orama-exact', 'lexical', 'keyword', 'pagefind'];
/** Systems the robustness tables are computed for (when they ran). */
const ROBUSTNESS_SYSTEMS = ['keyword', 'minisearch', 'lexical'];

type Args = {
  data?: string;
  'corpus-data'?: string;
  split?: string;
  model?: string;
  tokenizer?: string;
  limit?: string;
  'corpus-cap'?: string;
  systems?: string;
  'batch-size'?: string;
  json?: string;
  all?: boolean;
  'encoder-limit'?: string;
  'encoder-corpus-cap'?: string;
  'no-encoders'?: boolean;
  'no-robustness'?: boolean;
  help?: boolean;
};

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      data: { type: 'string' },
      'corpus-data': { type: 'string' },
      split: { type: 'string' },
      model: { type: 'string' },
      tokenizer: { type: 'string' },
      limit: { type: 'string' },
      'corpus-cap': { type: 'string' },
      systems: { type: 'string' },
      'batch-size': { type: 'string' },
      json: { type: 'string' },
      all: { type: 'boolean' },
      'encoder-limit': { type: 'string' },
      'encoder-corpus-cap': { type: 'string' },
      'no-encoders': { type: 'boolean' },
      'no-robustness': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (args.help || (!args.data && !args.all)) {
    console.log(USAGE);
    process.exitCode = args.help ? 0 : 2;
    return;
  }
  if (args.all) await runAll(args);
  else await runOne(args);
}

/** The lexical systems wanted, in table order. */
async function lexicalSystems(want: (name: string) => boolean, tokenizerDir: string): Promise<System[]> {
  const systems: System[] = [];
  if (want('minisearch')) systems.push(miniSearchSystem());
  if (want('orama')) systems.push(oramaSystem());
  if (want('orama-exact')) systems.push(oramaSystem({ exactTerms: true }));
  if (want('lexical')) systems.push(lexicalSystem(await loadTokenizerDir(tokenizerDir)));
  if (want('keyword')) systems.push(keywordSystem());
  if (want('pagefind')) systems.push(pagefindSystem());
  return systems;
}

/** The encoder stack is imported only when a model is used (onnxruntime is not needed for lexical runs). */
async function encoderModule(): Promise<typeof import('../src/eval/encoder-systems.js')> {
  return import('../src/eval/encoder-systems.js');
}

const progress = ({ done, total }: { done: number; total: number }): void => {
  process.stderr.write(`\r  encoding corpus ${done}/${total}${done === total ? '\n' : ''}`);
};

async function runOne(args: Args): Promise<void> {
  const data = dataDir(args.data!);
  const corpusData = args['corpus-data'] ? dataDir(args['corpus-data']) : undefined;
  const only = args.systems?.split(',').map((s) => s.trim()).filter(Boolean);

  const dataset = await loadBeir({
    data,
    corpusData,
    split: args.split,
    limit: positiveInt('--limit', args.limit),
    corpusCap: positiveInt('--corpus-cap', args['corpus-cap']),
  });
  const tokenizer = pickTokenizer(args.tokenizer, args.model, dataset);

  // Pagefind (a browser per run) only when named.
  const want = (name: string): boolean => (only ? only.includes(name) : name !== 'pagefind');
  const systems = await lexicalSystems(want, tokenizer.dir);
  const known = [...LEXICAL_SYSTEMS];
  if (args.model) {
    const { ENCODER_VARIANTS, loadEncoderSystems } = await encoderModule();
    known.push(...ENCODER_VARIANTS.map((v) => v.name));
    checkNames(only, known);
    const names = ENCODER_VARIANTS.map((v) => v.name).filter(want);
    if (names.length > 0) {
      log(`loading model ${args.model}`);
      systems.push(
        ...(await loadEncoderSystems(resolve(args.model), {
          only: names,
          batchSize: positiveInt('--batch-size', args['batch-size']),
          onProgress: progress,
        })),
      );
    }
  }
  checkNames(only, known);

  log(`${dataset.name}: ${dataset.queries.length} queries, ${dataset.corpus.length} docs; tokenizer ${tokenizer.dir} (${tokenizer.why})`);
  const results = await evaluateSystems(systems, dataset.corpus, dataset.queries, dataset.qrels, {
    onResult: (r) => log(`  ${r.system}: nDCG@10 ${r.ndcg.toFixed(4)} (${(r.indexSeconds + r.searchSeconds).toFixed(1)} s)`),
  });

  const subsampled = dataset.corpus.length < dataset.fullCorpusSize ? ` (subsampled from ${dataset.fullCorpusSize})` : '';
  console.log(
    `\n${dataset.name} · split ${dataset.split} · ${dataset.queries.length} queries · ${dataset.corpus.length} docs${subsampled}` +
      ` · lexical tokenizer ${basename(tokenizer.dir)}${args.model ? ` · model ${args.model}` : ''}\n`,
  );
  console.log(formatTable(results));
  if (args.model) console.log('\n(encoder systems share one corpus encoding: its time is in the first such row\'s "index s")');

  const jsonPath = args.json ?? join('out', 'eval', `${dataset.name.replace(/[^\w.-]+/g, '_')}.json`);
  await writeJson(jsonPath, {
    dataset: datasetInfo(dataset, data, corpusData, args),
    tokenizer: tokenizer.dir,
    model: args.model ?? null,
    cutoffs: DEFAULT_CUTOFFS,
    results,
    createdAt: new Date().toISOString(),
    node: process.version,
  });
}

/**
 * Every collection: the lexical systems on the first --limit queries (full
 * corpus), then the encoder systems on a smaller --encoder-limit /
 * --encoder-corpus-cap slice (CPU encoding of whole corpora is slow, and the
 * generated test model's semantic scores are noise anyway: the point is that
 * every mode runs on every collection).
 */
async function runAll(args: Args): Promise<void> {
  const root = args.data ? resolve(args.data) : resolve(process.env.M3S_DATA_DIR ?? join('..', 'shared', 'data'));
  if (!existsSync(root)) throw new M3SearchError('INVALID_OPTION', `No data root at ${root}.`);
  const limit = positiveInt('--limit', args.limit) ?? 300;
  const encLimit = positiveInt('--encoder-limit', args['encoder-limit']) ?? 10;
  const encCap = positiveInt('--encoder-corpus-cap', args['encoder-corpus-cap']) ?? 200;
  const corpusCap = positiveInt('--corpus-cap', args['corpus-cap']);
  const only = args.systems?.split(',').map((s) => s.trim()).filter(Boolean);
  // Pagefind joins the default set only where its binary and Chromium exist.
  const want = (name: string): boolean => (only ? only.includes(name) : name !== 'pagefind' || pagefindAvailable());

  const testModel = resolve('.cache', 'test-model', 'heads-in-graph');
  const modelDir = args['no-encoders'] ? undefined : args.model ? resolve(args.model) : existsSync(testModel) ? testModel : undefined;
  let encoder: Encoder | undefined;
  const mod = modelDir ? await encoderModule() : undefined;
  if (mod && modelDir) {
    checkNames(only, [...LEXICAL_SYSTEMS, ...mod.ENCODER_VARIANTS.map((v) => v.name)]);
    log(`loading model ${modelDir}`);
    const { loadModel } = await import('../src/node/load-model.js');
    encoder = await loadModel(modelDir);
  } else checkNames(only, LEXICAL_SYSTEMS);

  const entries = discoverCollections(root);
  if (entries.length === 0) throw new M3SearchError('INVALID_OPTION', `No BEIR collections under ${root}.`);
  const rows: SuiteRow[] = [];
  for (const entry of entries) {
    const t0 = performance.now();
    const ds = await loadBeir({ data: entry.data, corpusData: entry.corpusData, limit, corpusCap });
    // The model's tokenizer only when a model was named explicitly (the test model's vocabulary is toy-sized).
    const tokenizer = pickTokenizer(args.tokenizer, args.model, ds);
    const lexical = await lexicalSystems(want, tokenizer.dir);
    const results = await evaluateSystems(lexical, ds.corpus, ds.queries, ds.qrels, { keepOpen: true });
    const row: SuiteRow = { label: entry.label, queries: ds.queries.length, docs: ds.corpus.length, results };
    try {
      if (!args['no-robustness']) {
        // Each system is still indexed from evaluateSystems: only the variant queries run.
        row.robustness = [];
        for (const name of ROBUSTNESS_SYSTEMS) {
          const system = lexical.find((s) => s.name === name);
          if (system) row.robustness.push(await evaluateRobustness(system, ds.corpus, ds.queries, ds.qrels));
        }
      }
    } finally {
      for (const s of lexical) await s.close?.();
    }
    if (mod && encoder) {
      const names = mod.ENCODER_VARIANTS.map((v) => v.name).filter(want);
      const small = await loadBeir({ data: entry.data, corpusData: entry.corpusData, limit: encLimit, corpusCap: encCap });
      const systems = mod.encoderSystems(encoder, { only: names, batchSize: positiveInt('--batch-size', args['batch-size']) });
      results.push(...(await evaluateSystems(systems, small.corpus, small.queries, small.qrels)));
      row.encoderQueries = small.queries.length;
      row.encoderDocs = small.corpus.length;
    }
    rows.push(row);
    const brief = results.map((r) => `${r.system} ${Number.isFinite(r.ndcg) ? r.ndcg.toFixed(3) : '–'}`).join(', ');
    log(`${entry.label} (${((performance.now() - t0) / 1000).toFixed(0)} s): ${brief}`);
  }

  console.log(`\nnDCG@10 · lexical systems: first ${limit} judged queries, full corpus` +
    (encoder ? ` · encoder systems (${modelDir}): first ${encLimit} queries, corpus capped at ${encCap} docs` : '') + '\n');
  console.log(formatSummary(rows));
  const targets = formatTargets(rows);
  if (targets) console.log(`\nkeyword vs its targets (nDCG@10 ≥ the best of MiniSearch, lexical and the BM25 anchor of issue #14)\n\n${targets}`);
  const robustness = formatRobustness(rows);
  if (robustness) console.log(`\n${robustness}`);
  await writeJson(args.json ?? join('out', 'eval', 'all.json'), {
    root,
    limit,
    corpusCap: corpusCap ?? null,
    model: modelDir ?? null,
    encoderLimit: encoder ? encLimit : null,
    encoderCorpusCap: encoder ? encCap : null,
    cutoffs: DEFAULT_CUTOFFS,
    collections: rows,
    createdAt: new Date().toISOString(),
    node: process.version,
  });
}

function datasetInfo(dataset: BeirDataset, data: string, corpusData: string | undefined, args: Args): Record<string, unknown> {
  return {
    name: dataset.name,
    data,
    corpusData: corpusData ?? null,
    split: dataset.split,
    queries: dataset.queries.length,
    docs: dataset.corpus.length,
    fullCorpusDocs: dataset.fullCorpusSize,
    queryLanguage: dataset.queryLanguage,
    corpusLanguage: dataset.corpusLanguage,
    limit: args.limit ? Number(args.limit) : null,
    corpusCap: args['corpus-cap'] ? Number(args['corpus-cap']) : null,
  };
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(resolve(path)), { recursive: true });
  await writeFile(path, JSON.stringify(value, null, 2) + '\n');
  log(`wrote ${path}`);
}

/** A folder as given, else relative to $M3S_DATA_DIR. */
function dataDir(p: string): string {
  if (existsSync(p)) return resolve(p);
  const root = process.env.M3S_DATA_DIR;
  if (root && existsSync(join(root, p))) return resolve(root, p);
  throw new M3SearchError('INVALID_OPTION', `No data folder at ${p}${root ? ` or ${join(root, p)}` : ' (set M3S_DATA_DIR to resolve short names)'}.`);
}

function pickTokenizer(tokenizer: string | undefined, model: string | undefined, ds: BeirDataset): { dir: string; why: string } {
  if (tokenizer) {
    const dir = existsSync(tokenizer) && statSync(tokenizer).isFile() ? dirname(tokenizer) : tokenizer;
    return { dir: resolve(dir), why: '--tokenizer' };
  }
  if (model) return { dir: resolve(model), why: "the model's tokenizer" };
  const root =
    process.env.M3S_TOKENIZERS_DIR ?? (process.env.M3S_DATA_DIR ? join(process.env.M3S_DATA_DIR, '..', 'tokenizers') : join('..', 'shared', 'tokenizers'));
  const cjk = [ds.queryLanguage, ds.corpusLanguage].some((l) => l === 'zh' || l === 'ja');
  const name = cjk ? 'bert-base-chinese' : 'bert-base-uncased';
  return { dir: resolve(root, name), why: `default for ${cjk ? "zh/ja" : "non-CJK"} data` };
}

function checkNames(only: readonly string[] | undefined, known: readonly string[]): void {
  const unknown = only?.filter((s) => !known.includes(s)) ?? [];
  if (unknown.length > 0) throw new M3SearchError('INVALID_OPTION', `Unknown system(s): ${unknown.join(', ')} (known here: ${known.join(', ')}).`);
}

function positiveInt(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new M3SearchError('INVALID_OPTION', `${flag} must be a positive integer, got "${v}".`);
  return n;
}

function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

main().catch((e: unknown) => {
  console.error(isM3SearchError(e) ? `error (${e.code}): ${e.message}` : e);
  process.exitCode = 1;
});
