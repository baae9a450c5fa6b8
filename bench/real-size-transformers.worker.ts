// transformers.js feature-extraction in a module worker of the real-size
// browser bench page (./real-size-page.ts): the baseline runs off the main
// thread, as ours does in the search worker. ONNX Runtime is pointed at the
// same local .wasm files and given the same thread count as ours
// (configureOrt): nothing is fetched from a CDN, and threads compare equal.
import { expose } from 'comlink';
import { env, pipeline, type FeatureExtractionPipeline } from '@huggingface/transformers';
import type { Env } from 'onnxruntime-common';
import ortMjs from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url&no-inline';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url&no-inline';
import { configureOrt } from '../src/browser/backend.js';

/** What the page asks the worker to load. */
export interface TransformersLoad {
  /** URL path of the folder that holds the model folder ('/models/bench/'). */
  localModelPath: string;
  /** The model folder's name under it. */
  name: string;
  dtype: 'q8' | 'fp32';
  /** Weights in <file>.onnx_data. */
  external: boolean;
}

export interface TransformersWorker {
  /** Loads the pipeline; resolves with ONNX Runtime's WASM thread count. */
  load(job: TransformersLoad): Promise<{ threads: number }>;
  /** Dense vectors (CLS pooling, normalized) of `texts` in batches of `batch`; only the time matters. */
  encode(texts: string[], batch: number): Promise<void>;
}

const abs = (u: string): string => new URL(u, self.location.href).href;
let extractor: FeatureExtractionPipeline | undefined;

const api: TransformersWorker = {
  async load(job) {
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = job.localModelPath;
    const threads = configureOrt(env.backends.onnx as Env, { wasmPaths: { wasm: abs(ortWasm), mjs: abs(ortMjs) } });
    extractor = await pipeline('feature-extraction', job.name, { dtype: job.dtype, device: 'wasm', use_external_data_format: job.external });
    return { threads };
  },
  async encode(texts, batch) {
    if (!extractor) throw new Error('load() first');
    for (let i = 0; i < texts.length; i += batch) {
      const out = await extractor(texts.slice(i, i + batch), { pooling: 'cls', normalize: true });
      out.dispose?.();
    }
  },
};

expose(api);
