// One measurement of the real-size section, in a process of its own so its
// peak RSS is the model's alone: load one encoder (ours or transformers.js
// feature-extraction) on one ONNX file, time one pass per passage length,
// print one JSON line. Run by ./sections/real-size.ts.
import { dirname } from 'node:path';
import { seededRandom } from '../src/eval/random.js';
import { shapePassage } from '../scripts/test-model/shape.js';

export interface ChildJob {
  engine: 'ours' | 'transformers';
  /** The model folder. */
  dir: string;
  /** Our loader's dtype (picks the ONNX file when the folder's manifest does not). */
  ourDtype: 'q8' | 'fp32';
  /** transformers.js dtype: fp32 / fp16 / q8. */
  theirDtype: 'fp32' | 'fp16' | 'q8';
  /** transformers.js: weights in <file>.onnx_data. */
  external: boolean;
  /** Passage length in tokens (with <s> and </s>) → how many passages. */
  passages: Array<{ tokens: number; count: number }>;
  batch: number;
}

export interface ChildResult {
  loadS: number;
  /** Peak RSS once loaded (before any encoding), MB. */
  loadPeakMB: number;
  /** Peak RSS over the whole run, MB. */
  peakMB: number;
  /** Passages per second per length, one timed pass after a warm-up call. */
  rates: Array<{ tokens: number; count: number; perSecond: number; seconds: number }>;
  /** Ours only: whether every output vector was finite. */
  finite?: boolean;
}

const peakMB = () => process.resourceUsage().maxRSS / 1024;

async function main(job: ChildJob): Promise<ChildResult> {
  const next = seededRandom(20_240_601);
  let encode: (texts: string[]) => Promise<void>;
  /** Ours: every vector of every pass finite (random weights through 24 layers). */
  let finite = true;
  // Modules are imported before the clock starts: load time is the model's, not tsx's.
  const { loadModel } = await import('../src/node/load-model.js');
  const transformers = await import('@huggingface/transformers');
  const t0 = performance.now();
  if (job.engine === 'ours') {
    const encoder = await loadModel(job.dir, { dtype: job.ourDtype });
    encode = async (texts) => {
      for (const e of await encoder.encode(texts, { batchSize: job.batch })) {
        if (!(e.dense.every(Number.isFinite) && e.sparse.weights.every(Number.isFinite) && e.multi.data.every(Number.isFinite))) finite = false;
      }
    };
  } else {
    transformers.env.localModelPath = dirname(job.dir) + '/';
    transformers.env.allowRemoteModels = false;
    transformers.env.allowLocalModels = true;
    const name = job.dir.slice(dirname(job.dir).length + 1);
    const extractor = await transformers.pipeline('feature-extraction', name, { dtype: job.theirDtype, use_external_data_format: job.external });
    encode = async (texts) => {
      for (let i = 0; i < texts.length; i += job.batch) {
        const out = await extractor(texts.slice(i, i + job.batch), { pooling: 'cls', normalize: true });
        out.dispose?.();
      }
    };
  }
  const loadS = (performance.now() - t0) / 1000;
  const loadPeakMB = peakMB();
  // Warm-up: session init and JIT on one short passage.
  await encode([shapePassage(16, next)]);
  const rates: ChildResult['rates'] = [];
  for (const { tokens, count } of job.passages) {
    const texts = Array.from({ length: count }, () => shapePassage(tokens, next));
    const t = performance.now();
    await encode(texts);
    const seconds = (performance.now() - t) / 1000;
    rates.push({ tokens, count, perSecond: count / seconds, seconds });
  }
  return { loadS, loadPeakMB, peakMB: peakMB(), rates, ...(job.engine === 'ours' ? { finite } : {}) };
}

const job = JSON.parse(process.argv[2] ?? '{}') as ChildJob;
main(job).then(
  (r) => {
    process.stdout.write(JSON.stringify(r) + '\n');
    process.exit(0);
  },
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
