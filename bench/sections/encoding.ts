// Encoding throughput (passages/s): our encoder path — the src/model
// M3Encoder the worker uses, here on onnxruntime-node (the worker runs the
// same class on onnxruntime-web) — against the plain @huggingface/transformers
// feature-extraction pipeline, same generated test model (hidden-state
// layout), same ONNX file, same texts, same batch size.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext, BenchRow, BenchSection } from '../section.js';
import { median, ratio, repeat } from '../stats.js';

const BATCH = 16;
const DTYPES = [
  { label: 'fp32', ours: 'fp32', theirs: 'fp32', file: 'onnx/model.onnx' },
  { label: 'int8', ours: 'q8', theirs: 'q8', file: 'onnx/model_quantized.onnx' },
] as const;

function sampleTexts(root: string, n: number): string[] {
  const texts: string[] = [];
  for (const line of readFileSync(join(root, 'public', 'sample-corpus.jsonl'), 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const row = JSON.parse(line) as { title?: string; text?: string };
    texts.push([row.title, row.text].filter(Boolean).join('\n'));
  }
  return texts.slice(0, n);
}

export const encodingSection: BenchSection = {
  name: 'encoding',
  title: 'Encoding throughput (passages/s, generated test model, Node + onnxruntime-node, CPU)',
  notes(ctx) {
    return [
      `Texts: ${ctx.quick ? 'the first 16' : 'all'} passages of public/sample-corpus.jsonl (en/ja/zh/de…), batch size ${BATCH}; median over up to ${ctx.reps} repetitions after one warm-up call.`,
      'ours = M3Encoder.encode (tokenize, length-sorted batches, one ONNX pass, dense + sparse + multi-vector heads) via src/node/load-model.ts; transformers.js = pipeline("feature-extraction", {pooling: "cls", normalize: true}) — dense only, batches in input order — on the same folder (env.localModelPath, allowRemoteModels = false).',
      'Both run onnxruntime-node on this CPU; in the browser the worker runs the same M3Encoder on onnxruntime-web (WASM/WebGPU), measured by the browser helper. The tiny generated model makes tokenization and JS post-processing a larger share than with BGE-M3, where the ONNX pass dominates.',
    ];
  },
  async run(ctx) {
    const texts = sampleTexts(ctx.root, ctx.quick ? 16 : Infinity);
    const modelDir = join(ctx.root, '.cache', 'test-model', 'hidden-state');
    const { loadModel } = await import('../../src/node/load-model.js');
    const transformers = await import('@huggingface/transformers');
    transformers.env.localModelPath = join(ctx.root, '.cache', 'test-model') + '/';
    transformers.env.allowRemoteModels = false;
    transformers.env.allowLocalModels = true;
    const rows: BenchRow[] = [];
    for (const d of DTYPES) {
      ctx.log(`encoding: ${d.label}`);
      const ours = await loadModel(modelDir, { dtype: d.ours });
      const oursRate = await rate(ctx, texts, () => ours.encode(texts, { batchSize: BATCH }));
      const extractor = await transformers.pipeline('feature-extraction', 'hidden-state', { dtype: d.theirs });
      const theirsRate = await rate(ctx, texts, async () => {
        for (let i = 0; i < texts.length; i += BATCH) {
          const out = await extractor(texts.slice(i, i + BATCH), { pooling: 'cls', normalize: true });
          out.dispose?.();
        }
      });
      await extractor.dispose();
      rows.push(
        { encoder: 'm3search M3Encoder (dense+sparse+multi)', onnx: d.file, passages: texts.length, 'passages/s': oursRate, 'vs transformers.js': ratio(oursRate, theirsRate) },
        { encoder: 'transformers.js pipeline (dense only)', onnx: d.file, passages: texts.length, 'passages/s': theirsRate, 'vs transformers.js': null },
      );
    }
    return rows;
  },
};

/** Passages per second: median over repetitions of one full pass, after a warm-up on a few texts. */
async function rate(ctx: BenchContext, texts: readonly string[], pass: () => Promise<unknown>): Promise<number> {
  const secs = await repeat(ctx.reps + 1, ctx.quick ? 5_000 : 60_000, async () => {
    const t0 = performance.now();
    await pass();
    return (performance.now() - t0) / 1000;
  });
  // The first repetition warms up (session init, JIT) when there are more.
  const timed = secs.length > 1 ? secs.slice(1) : secs;
  return texts.length / median(timed);
}
