// npm run eval -- --data ../shared/data/scifact [--split train] [--model DIR]
//   [--tokenizer DIR] [--limit N] [--corpus-cap N] [--corpus-data DIR]
//   [--systems a,b] [--batch-size N] [--json out.json]
// Prints one table (rows = systems) and writes the numbers as JSON.
import { existsSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isM3SearchError, M3SearchError } from '../src/core/errors.js';
import { lexicalSystem, loadTokenizerDir, miniSearchSystem, oramaSystem } from '../src/eval/baselines.js';
import { loadBeir, type BeirDataset } from '../src/eval/beir.js';
import { DEFAULT_CUTOFFS } from '../src/eval/metrics.js';
import { evaluateSystems, formatTable, type System } from '../src/eval/run.js';

const USAGE = `usage: npm run eval -- --data DIR [options]
  --data DIR          BEIR folder (corpus.jsonl, queries.jsonl, qrels/); relative names are also tried under $M3S_DATA_DIR
  --corpus-data DIR   take corpus.jsonl from here instead (cross-lingual: queries in one language, corpus in another)
  --split NAME        qrels split (default: the folder's only one)
  --model DIR         model folder: adds the encoder systems; its tokenizer.json drives the lexical system
  --tokenizer DIR     tokenizer folder for the lexical system (default: the model's, else bert-base-chinese
                      for zh/ja data and bert-base-uncased otherwise, from $M3S_TOKENIZERS_DIR or ../shared/tokenizers)
  --limit N           keep the first N judged queries
  --corpus-cap N      subsample the corpus to N docs (judged docs of kept queries always stay)
  --systems LIST      comma-separated subset of: minisearch,orama,lexical and, with --model,
                      dense,sparse,multi,dense+sparse,hybrid,hybrid-rrf,hybrid-int8
  --batch-size N      encoder batch size
  --json FILE         where to write the JSON (default out/eval/<dataset>.json)`;

const LEXICAL_SYSTEMS = ['minisearch', 'orama', 'lexical'];

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
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (args.help || !args.data) {
    console.log(USAGE);
    process.exitCode = args.help ? 0 : 2;
    return;
  }
  const data = dataDir(args.data);
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

  const systems: System[] = [];
  const want = (name: string): boolean => !only || only.includes(name);
  if (want('minisearch')) systems.push(miniSearchSystem());
  if (want('orama')) systems.push(oramaSystem());
  if (want('lexical')) systems.push(lexicalSystem(await loadTokenizerDir(tokenizer.dir)));
  const known = [...LEXICAL_SYSTEMS];
  if (args.model) {
    // Imported only here: the encoder stack (onnxruntime) is not needed for lexical runs.
    const { ENCODER_VARIANTS, loadEncoderSystems } = await import('../src/eval/encoder-systems.js');
    known.push(...ENCODER_VARIANTS.map((v) => v.name));
    checkNames(only, known);
    const names = ENCODER_VARIANTS.map((v) => v.name).filter(want);
    if (names.length > 0) {
      log(`loading model ${args.model}`);
      systems.push(
        ...(await loadEncoderSystems(resolve(args.model), {
          only: names,
          batchSize: positiveInt('--batch-size', args['batch-size']),
          onProgress: ({ done, total }) => process.stderr.write(`\r  encoding corpus ${done}/${total}${done === total ? '\n' : ''}`),
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
  await mkdir(dirname(resolve(jsonPath)), { recursive: true });
  const report = {
    dataset: {
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
    },
    tokenizer: tokenizer.dir,
    model: args.model ?? null,
    cutoffs: DEFAULT_CUTOFFS,
    results,
    createdAt: new Date().toISOString(),
    node: process.version,
  };
  await writeFile(jsonPath, JSON.stringify(report, null, 2) + '\n');
  log(`wrote ${jsonPath}`);
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
