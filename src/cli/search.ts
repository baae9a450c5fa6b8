// `m3search search [--model DIR] [--docs FILE.jsonl] … "query"` (in a clone
// also `npm run search -- …`): indexes a JSONL corpus ({id,text,title?,url?}
// per line) in memory and prints ranked hits with each signal's own score.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { M3SearchError } from '../core/errors.js';
import type { Fusion, Mode } from '../core/types.js';
import { PACKAGE_ROOT } from '../node/package-root.js';
import { choiceOption, intOption, parse, type Command } from './args.js';
import { formatHits } from './format.js';
import { readJsonl } from './jsonl.js';
import { resolveModel } from './model.js';
import { progressLine } from './progress.js';

const USAGE = `m3search search [options] "query"     index a JSONL corpus in memory and search it
    --docs FILE.jsonl     one {"id" or "_id", "text", "title"?, "url"?, …meta} per line (in a clone: the sample corpus)
    --model DIR|URL       encoder folder (in a clone: the generated test model, if built)
    --preset NAME         conventions of a named model (pooling, prefixes, max length) for a folder without m3search.json
    --mode keyword|dense|sparse|multi|hybrid   (default hybrid; keyword: the model-free analyzer's BM25)
    --fusion weighted|rrf (default weighted)
    -k N                  hits to print (default 10)
    --windows [--window-size N] [--window-overlap N]   index long documents as overlapping windows
    --nested N            store at most N nested multi-vectors per passage; --budget N scores the first N
    --fp32                the fp32 ONNX file instead of the int8 one`;

const OPTIONS = {
  model: { type: 'string' },
  preset: { type: 'string' },
  docs: { type: 'string' },
  mode: { type: 'string' },
  fusion: { type: 'string' },
  k: { type: 'string', short: 'k' },
  fp32: { type: 'boolean' },
  windows: { type: 'boolean' },
  'window-size': { type: 'string' },
  'window-overlap': { type: 'string' },
  nested: { type: 'string' },
  budget: { type: 'string' },
} as const;

const SAMPLE_CORPUS = path.join(PACKAGE_ROOT, 'public', 'sample-corpus.jsonl');
const log = (line: string): void => void process.stderr.write(`${line}\n`);

async function run(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, OPTIONS, USAGE);
  const query = positionals.join(' ');
  if (!query.trim()) throw new M3SearchError('EMPTY_QUERY', `search needs a query.\n${USAGE}`);
  const mode = choiceOption<Mode>(values.mode, 'mode', ['keyword', 'dense', 'sparse', 'multi', 'hybrid'], 'hybrid');
  const fusion = choiceOption<Fusion>(values.fusion, 'fusion', ['weighted', 'rrf'], 'weighted');
  const k = intOption(values.k, 'k') ?? 10;
  const nested = intOption(values.nested, 'nested');
  const budget = intOption(values.budget, 'budget');
  const windowSize = intOption(values['window-size'], 'window-size');
  const windowOverlap = intOption(values['window-overlap'], 'window-overlap', 0);
  const docsFile = values.docs ?? (existsSync(SAMPLE_CORPUS) ? SAMPLE_CORPUS : undefined);
  if (!docsFile) throw new M3SearchError('INVALID_OPTION', '--docs FILE.jsonl is required (the sample corpus ships only with the repository).', { option: 'docs' });
  const docs = await readJsonl(docsFile);

  const [{ loadModel }, { M3Search }] = await Promise.all([import('../node/load-model.js'), import('../engine/engine.js')]);
  const encoder = await loadModel(resolveModel(values.model, log), { dtype: values.fp32 ? 'fp32' : 'q8', ...(values.preset === undefined ? {} : { preset: values.preset }) });
  try {
    const engine = new M3Search(encoder, nested === undefined ? {} : { multiVectors: 'nested', maxMultiVectors: nested }, {
      longDocuments: values.windows ? 'windows' : 'truncate',
      windowSize,
      windowOverlap,
    });
    const t0 = performance.now();
    const progress = progressLine(process.stderr);
    const report = await engine.add(docs, { onProgress: (p) => progress.update(`encoding ${p.done}/${p.total}`, p.done === p.total) });
    progress.done();
    log(`indexed ${report.added} passages in ${((performance.now() - t0) / 1000).toFixed(1)} s with ${encoder.info.modelId} (${encoder.info.onnxFile})`);
    const windowed = Object.entries(report.windowed ?? {});
    if (windowed.length) log(`split into windows: ${windowed.map(([id, n]) => `${id} (${n})`).join(', ')}`);
    if (report.truncated.length) log(`truncated to ${encoder.info.maxLength} tokens: ${report.truncated.join(', ')}`);
    const hits = await engine.search(query, { k, mode, fusion, multiVectorBudget: budget });
    console.log(formatHits(hits));
  } finally {
    await encoder.dispose();
  }
}

export const searchCommand: Command = { name: 'search', summary: 'index a JSONL corpus in memory and print ranked hits with per-signal scores', usage: USAGE, run };
