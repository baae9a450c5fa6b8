// Loaded into the e2e harness page by bench/sections/real-size-browser.ts: one
// encoder at a time — ours (createSearch: the search worker a user's page
// gets) or transformers.js feature-extraction (its own module worker,
// ./real-size-transformers.worker.ts) — loaded, then timed on passages. Each
// step is its own call, so the bench can give each one a deadline; the
// encoder loaded last stays in this module between calls.
import { wrap, type Remote } from 'comlink';
import { createSearch } from '../src/browser/index.js';
import { probeWebGpu } from '../src/browser/backend.js';
import type { TransformersWorker } from './real-size-transformers.worker.js';

/** What to load, and how. */
export interface PageLoad {
  engine: 'ours' | 'transformers';
  /** The model folder's URL path ('/models/bench/int8/'); transformers.js gets its parent and name. */
  model: string;
  dtype: 'q8' | 'fp32';
  /** Ours: 'auto' tries WebGPU first (what a user's page gets by default); transformers.js always runs on WASM. */
  backend: 'auto' | 'wasm';
  /** transformers.js: weights in <file>.onnx_data. */
  external: boolean;
}

export interface PageLoaded {
  /** From the call to a ready encoder (worker start, runtime, model files, session). */
  seconds: number;
  backend: 'wasm' | 'webgpu';
  /** Ours: why WebGPU was not used, or what it fell back from. */
  backendNote?: string;
  /** ONNX Runtime's WASM threads. */
  threads: number;
  crossOriginIsolated: boolean;
}

interface Loaded {
  encode(texts: string[], batch: number): Promise<void>;
  close(): Promise<void>;
}

let current: Loaded | undefined;

/** Loads an encoder (closing the one loaded before, so its memory goes first). */
export async function load(job: PageLoad): Promise<PageLoaded> {
  await current?.close();
  current = undefined;
  const t0 = performance.now();
  if (job.engine === 'ours') {
    const search = await createSearch({ model: job.model, name: 'real-size-bench', backend: job.backend, dtype: job.dtype });
    const seconds = (performance.now() - t0) / 1000;
    const report = await search.ready;
    current = {
      // Encoded vectors cross back to the page: part of what a caller of encode() pays.
      encode: async (texts) => void (await search.encode(texts, 'passage')),
      close: () => search.delete(),
    };
    return { seconds, backend: report.backend, ...(report.backendNote === undefined ? {} : { backendNote: report.backendNote }), threads: report.wasmThreads, crossOriginIsolated };
  }
  const worker = new Worker(new URL('./real-size-transformers.worker.ts', import.meta.url), { type: 'module' });
  const remote: Remote<TransformersWorker> = wrap(worker);
  const parent = job.model.replace(/[^/]+\/$/, '');
  const { threads } = await remote.load({ localModelPath: parent, name: job.model.slice(parent.length, -1), dtype: job.dtype, external: job.external });
  const seconds = (performance.now() - t0) / 1000;
  current = {
    encode: (texts, batch) => remote.encode(texts, batch),
    close: async () => worker.terminate(),
  };
  return { seconds, backend: 'wasm', threads, crossOriginIsolated };
}

/** Seconds to encode `texts` with the encoder loaded last. */
export async function encode({ texts, batch }: { texts: string[]; batch: number }): Promise<number> {
  if (!current) throw new Error('load() first');
  const t0 = performance.now();
  await current.encode(texts, batch);
  return (performance.now() - t0) / 1000;
}

/** Whether this page has a WebGPU adapter, and which (the runtime's own probe). */
export function webGpu(): Promise<{ ok: boolean; note: string }> {
  return probeWebGpu();
}
