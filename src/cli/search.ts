// `npm run search -- --model <dir> --docs <file.jsonl> [--mode hybrid] [-k 10] "query"`
// Indexes a JSONL corpus ({id,text,title?,url?} per line) in memory and prints
// ranked hits with each signal's own score.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { isM3SearchError } from '../core/errors.js';
import type { Doc, Fusion, Mode } from '../core/types.js';
import { M3Search } from '../engine/engine.js';
import { loadModel } from '../node/load-model.js';
import { formatHits } from './format.js';
import { defaultModelDir } from './default-model.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    model: { type: 'string' },
    docs: { type: 'string', default: 'public/sample-corpus.jsonl' },
    mode: { type: 'string', default: 'hybrid' },
    fusion: { type: 'string', default: 'weighted' },
    k: { type: 'string', short: 'k', default: '10' },
    fp32: { type: 'boolean', default: false },
    // Long documents: index overlapping windows instead of truncating.
    windows: { type: 'boolean', default: false },
    'window-size': { type: 'string' },
    'window-overlap': { type: 'string' },
    // Flexible late interaction: nested multi-vectors and a query-time budget.
    nested: { type: 'string' },
    budget: { type: 'string' },
  },
});

async function main(): Promise<void> {
  const query = positionals.join(' ');
  if (!query.trim()) {
    console.error(
      'usage: npm run search -- [--model DIR] [--docs FILE.jsonl] [--mode dense|sparse|multi|hybrid] [--fusion weighted|rrf] [-k N]\n' +
        '         [--windows [--window-size N] [--window-overlap N]] [--nested MAX_VECTORS] [--budget N] [--fp32] "query"',
    );
    process.exit(2);
  }
  const modelDir = values.model ?? (await defaultModelDir());
  const encoder = await loadModel(modelDir, { dtype: values.fp32 ? 'fp32' : 'q8' });
  const docs = parseJsonl(await readFile(values.docs!, 'utf8'));
  const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));
  const engine = new M3Search(
    encoder,
    values.nested === undefined ? {} : { multiVectors: 'nested', maxMultiVectors: num(values.nested) },
    {
      longDocuments: values.windows ? 'windows' : 'truncate',
      windowSize: num(values['window-size']),
      windowOverlap: num(values['window-overlap']),
    },
  );
  const t0 = performance.now();
  const report = await engine.add(docs, {
    onProgress: (p) => process.stderr.write(`\rencoding ${p.done}/${p.total}`),
  });
  process.stderr.write(`\rindexed ${report.added} passages in ${((performance.now() - t0) / 1000).toFixed(1)} s with ${encoder.info.modelId} (${encoder.info.onnxFile})\n`);
  const windowed = Object.entries(report.windowed ?? {});
  if (windowed.length) process.stderr.write(`split into windows: ${windowed.map(([id, n]) => `${id} (${n})`).join(', ')}\n`);
  if (report.truncated.length) process.stderr.write(`truncated to ${encoder.info.maxLength} tokens: ${report.truncated.join(', ')}\n`);
  const hits = await engine.search(query, {
    k: Number(values.k),
    mode: values.mode as Mode,
    fusion: values.fusion as Fusion,
    multiVectorBudget: num(values.budget),
  });
  console.log(formatHits(hits));
}

function parseJsonl(text: string): Doc[] {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((line, i) => {
      const o = JSON.parse(line) as Record<string, unknown>;
      const id = String(o._id ?? o.id ?? i);
      const { title, text, url, id: _id, _id: _bid, ...meta } = o;
      return { id, text: String(text ?? ''), title: typeof title === 'string' ? title : undefined, url: typeof url === 'string' ? url : undefined, meta };
    });
}

main().catch((e: unknown) => {
  console.error(isM3SearchError(e) ? `m3search: ${e.code}: ${e.message}` : e);
  process.exit(1);
});
