// The encoder at BGE-M3's real size (random weights, `npm run model:shape`):
// load time, peak RSS and passages/s in Node (onnxruntime-node) per precision,
// ours (M3Encoder: dense + sparse + multi-vector) against transformers.js
// feature-extraction on the same ONNX file, in the same run. Each measurement
// runs in a child process (../real-size-child.ts) so its peak RSS is its own.
// Quick mode (CI) runs the same code on the tiny test model instead: it checks
// the path, never builds the 2 GB model.
import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ChildJob, ChildResult } from '../real-size-child.js';
import type { BenchContext, BenchRow, BenchSection } from '../section.js';
import { loadAverage, ratio } from '../stats.js';

const run = promisify(execFile);

interface Variant {
  precision: string;
  dir: string;
  ourDtype: ChildJob['ourDtype'];
  theirDtype: ChildJob['theirDtype'];
  external: boolean;
}

/** Passages per length: a few, the machine is shared (one 2,048-token fp32 pass takes about a minute on 2 cores). */
const FULL_PASSAGES = [
  { tokens: 128, count: 2 },
  { tokens: 512, count: 1 },
  { tokens: 2048, count: 1 },
];
const QUICK_PASSAGES = [{ tokens: 32, count: 2 }];
const BATCH = 4;

/** Load averages seen at the start and end of the last run, for the notes. */
let loadSeen: string[] = [];

async function variants(ctx: BenchContext): Promise<Variant[]> {
  if (ctx.quick) {
    const dir = join(ctx.root, '.cache', 'test-model', 'hidden-state');
    return [{ precision: 'int8', dir, ourDtype: 'q8', theirDtype: 'q8', external: false }];
  }
  const { ensureShapeModel } = await import('../../scripts/test-model/shape.js');
  const dirs = await ensureShapeModel({ log: ctx.log });
  return [
    { precision: 'int8', dir: dirs.int8, ourDtype: 'q8', theirDtype: 'q8', external: true },
    { precision: 'fp16', dir: dirs.fp16, ourDtype: 'fp32', theirDtype: 'fp16', external: true },
    { precision: 'fp32', dir: dirs.fp32, ourDtype: 'fp32', theirDtype: 'fp32', external: true },
  ];
}

async function onnxBytes(v: Variant): Promise<number> {
  const dir = join(v.dir, 'onnx');
  const files = await readdir(dir);
  // Quick mode's folder holds both precisions: count the one this variant loads.
  const mine = v.external ? files : files.filter((f) => f === (v.precision === 'int8' ? 'model_quantized.onnx' : 'model.onnx'));
  let total = 0;
  for (const f of mine) total += (await stat(join(dir, f))).size;
  return total;
}

async function measure(ctx: BenchContext, job: ChildJob): Promise<ChildResult> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', join(ctx.root, 'bench', 'real-size-child.ts'), JSON.stringify(job)], {
    cwd: ctx.root,
    maxBuffer: 1 << 20,
    timeout: ctx.quick ? 120_000 : 3_600_000,
  });
  const result = JSON.parse(stdout.trim().split('\n').pop()!) as ChildResult;
  ctx.log(`  ${JSON.stringify(result)}`); // progress: a long run keeps what it measured
  return result;
}

export const realSize: BenchSection = {
  name: 'real-size',
  title: "Encoder at BGE-M3's real size (random weights, npm run model:shape; Node + onnxruntime-node, CPU)",
  notes(ctx) {
    const lengths = (ctx.quick ? QUICK_PASSAGES : FULL_PASSAGES).map((p) => `${p.count} × ${p.tokens}`).join(', ');
    return [
      ctx.quick
        ? 'Quick mode: the tiny test model (hidden-state) stands in for the real-size one; the numbers mean nothing.'
        : "Model: .cache/model-shape/<precision>/ — XLM-R large (24 layers, hidden 1024, 16 heads, FFN 4096, vocabulary 250,002, 8,194 positions) + BGE-M3 heads, random seeded weights, hidden-state layout, weights in onnx/<file>.onnx_data. fp16 stores weights as float16 with a Cast to float (fp32 compute); int8 is quantize_dynamic's pattern (DynamicQuantizeLinear + MatMulInteger, int8 embedding rows), as real int8 exports ship.",
      `Passages (tokens with <s>/</s>, one token per word): ${lengths}; batch ${BATCH}; one timed pass per length after a 16-token warm-up call; each (precision, encoder) in its own process.`,
      'load s: loadModel / pipeline() until ready; peak RSS: the process maximum (getrusage), once loaded and over the whole run. ratio columns: ours ÷ transformers.js (passages/s: >1 is faster; load and RSS: <1 is better).',
      'ours = M3Encoder.encode (dense + sparse + multi-vector heads); transformers.js = pipeline("feature-extraction", {pooling: "cls", normalize: true}, dense only) on the same folder and file.',
      `Load average (1/5/15 min) at start and end: ${loadSeen.join(' → ') || 'n/a'}; ${os.availableParallelism()} CPUs.`,
    ];
  },
  async run(ctx) {
    loadSeen = [loadAverage()];
    const passages = ctx.quick ? QUICK_PASSAGES : FULL_PASSAGES;
    const rows: BenchRow[] = [];
    for (const v of await variants(ctx)) {
      const base = { dir: v.dir, ourDtype: v.ourDtype, theirDtype: v.theirDtype, external: v.external, passages, batch: BATCH };
      ctx.log(`real-size: ${v.precision} transformers.js`);
      const theirs = await measure(ctx, { ...base, engine: 'transformers' });
      ctx.log(`real-size: ${v.precision} ours`);
      const ours = await measure(ctx, { ...base, engine: 'ours' });
      const mb = Math.round((await onnxBytes(v)) / 1e6);
      const row = (r: ChildResult, encoder: string, baseline?: ChildResult): BenchRow => {
        const out: BenchRow = {
          precision: v.precision,
          encoder,
          'ONNX MB': mb,
          'load s': r.loadS,
          'RSS loaded MB': Math.round(r.loadPeakMB),
          'peak RSS MB': Math.round(r.peakMB),
        };
        for (const p of r.rates) out[`${p.tokens} tok p/s`] = p.perSecond;
        out['load ratio'] = baseline ? ratio(r.loadS, baseline.loadS) : null;
        out['RSS ratio'] = baseline ? ratio(r.peakMB, baseline.peakMB) : null;
        for (const p of r.rates) {
          const b = baseline?.rates.find((x) => x.tokens === p.tokens);
          out[`${p.tokens} ratio`] = b ? ratio(p.perSecond, b.perSecond) : null;
        }
        return out;
      };
      rows.push(row(ours, 'ours (dense+sparse+multi)', theirs), row(theirs, 'transformers.js (dense)'));
    }
    loadSeen.push(loadAverage());
    return rows;
  },
};
