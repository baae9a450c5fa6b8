// Backend choice and ONNX Runtime set-up inside the worker, for both the
// in-page index (createSearch) and static-site indexes (openSiteSearch).
// WebGPU is used when the browser exposes an adapter; loading falls back to
// WASM when the WebGPU session cannot be created or run.
import type { Env } from 'onnxruntime-common';
import { M3SearchError } from '../core/errors.js';
import type { M3Encoder, OrtRuntime } from '../model/encoder.js';
import { loadEncoder } from '../model/load.js';
import type { ModelConventions } from '../model/manifest.js';
import type { PresetOption } from '../model/presets.js';
import type { ModelSource } from '../model/source.js';
import type { Backend } from './protocol.js';

/** The slice of the WebGPU API we touch (the DOM lib in use has no WebGPU types). */
interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'low-power' | 'high-performance' }): Promise<{ info?: { vendor?: string; architecture?: string } } | null>;
}

export interface GpuProbe {
  ok: boolean;
  /** Human-readable reason when not ok, or the adapter description when ok. */
  note: string;
}

/** Whether WebGPU can be used here: `navigator.gpu` exists and yields an adapter. */
export async function probeWebGpu(): Promise<GpuProbe> {
  const gpu = (globalThis.navigator as { gpu?: GpuLike } | undefined)?.gpu;
  if (!gpu) return { ok: false, note: 'navigator.gpu is missing (no WebGPU in this browser or context)' };
  try {
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return { ok: false, note: 'navigator.gpu.requestAdapter() returned null (no usable GPU adapter)' };
    const info = adapter.info;
    return { ok: true, note: info ? `${info.vendor ?? '?'} ${info.architecture ?? ''}`.trim() : 'adapter' };
  } catch (e) {
    return { ok: false, note: `navigator.gpu.requestAdapter() failed: ${(e as Error).message}` };
  }
}

export interface OrtEnvOptions {
  /** Absolute URL(s) of ORT's .wasm (and optional .mjs) files. */
  wasmPaths?: string | { wasm?: string; mjs?: string };
  numThreads?: number;
}

/**
 * Points ORT at its .wasm file (bundlers move it, and transformers.js would
 * otherwise aim it at a CDN) and picks a thread count: threads need
 * SharedArrayBuffer, which only cross-origin-isolated pages have.
 */
export function configureOrt(env: Env, opts: OrtEnvOptions): number {
  if (opts.wasmPaths !== undefined) env.wasm.wasmPaths = opts.wasmPaths;
  const threads = wasmThreads(opts.numThreads);
  env.wasm.numThreads = threads;
  env.wasm.proxy = false; // already off the main thread
  return threads;
}

/** The WASM thread count: as asked, else up to 4 cores when cross-origin isolated (threads need SharedArrayBuffer), else 1. */
export function wasmThreads(asked: number | undefined, isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true, cores = globalThis.navigator?.hardwareConcurrency ?? 1): number {
  return asked ?? (isolated ? Math.max(1, Math.min(4, cores)) : 1);
}

export function executionProviders(backend: Backend): string[] {
  return backend === 'webgpu' ? ['webgpu'] : ['wasm'];
}

/** onnxruntime-web as the worker uses it: the encoder's runtime plus its environment flags. */
export type WebOrt = OrtRuntime & { env: Env };

/** One ONNX Runtime build, imported on demand, and where its .wasm/.mjs files are served. */
export interface LoadedOrt {
  ort: WebOrt;
  wasmPaths?: OrtEnvOptions['wasmPaths'];
}

/**
 * Imports ONNX Runtime: one build that runs both the WebGPU and the WASM
 * execution provider, so a WebGPU failure falls back without a second
 * runtime. The worker entry supplies it as a dynamic import, so a page that
 * never loads a model never downloads ORT.
 */
export type OrtLoader = () => Promise<LoadedOrt>;

export interface WebEncoderOptions extends OrtEnvOptions, PresetOption {
  loadOrt: OrtLoader;
  /** 'wasm' never touches the GPU; 'auto' (default) tries WebGPU first. */
  backend?: 'auto' | 'wasm';
  dtype?: 'q8' | 'fp32';
  maxLength?: number;
  /** A static index's recorded conventions (manifest `model.conventions`): applied over the folder's, so queries match its passages. */
  conventions?: ModelConventions;
  signal?: AbortSignal;
  /** Model bytes fetched so far, summed over the files seen so far. */
  onProgress?: (p: { file: string; loaded: number; total?: number }) => void;
}

export interface WebEncoder {
  encoder: M3Encoder;
  backend: Backend;
  /** Why WebGPU was not used, when it was not. */
  backendNote?: string;
  /** ONNX Runtime's WASM thread count (env.wasm.numThreads). */
  wasmThreads: number;
}

/**
 * The one way the browser runtime loads a model: WebGPU when an adapter exists
 * and the session runs, else WASM, with the ORT build, threads and wasm paths
 * set in one place. Fetched files are kept, so a WebGPU failure falls back to
 * WASM without downloading again.
 */
export async function loadWebEncoder(source: ModelSource, opts: WebEncoderOptions): Promise<WebEncoder> {
  try {
    return await loadWebEncoderOnce(source, opts);
  } catch (e) {
    // ONNX Runtime reports a CSP refusal as an opaque abort; say what the page's policy lacks instead.
    if (!opts.signal?.aborted && wasmRefused()) throw new M3SearchError('WASM_BLOCKED', WASM_BLOCKED_MESSAGE, { cause: (e as Error)?.message ?? String(e) });
    throw e;
  }
}

export const WASM_BLOCKED_MESSAGE = "This page's Content-Security-Policy blocks WebAssembly ('wasm-unsafe-eval'); showing keyword results.";

/** Whether this context refuses to compile WebAssembly (a CSP without 'wasm-unsafe-eval'): an 8-byte empty module is compiled to find out. */
export function wasmRefused(): boolean {
  const W = (globalThis as { WebAssembly?: typeof WebAssembly }).WebAssembly;
  if (!W) return false;
  try {
    new W.Module(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
    return false;
  } catch (e) {
    return /Content Security Policy|wasm-(unsafe-)?eval|unsafe-eval/i.test(String((e as Error)?.message ?? e));
  }
}

async function loadWebEncoderOnce(source: ModelSource, opts: WebEncoderOptions): Promise<WebEncoder> {
  const memo = memoSource(source);
  const bytes = new Map<string, { loaded: number; total?: number }>();
  let threads = 1;
  let runtime: Promise<LoadedOrt> | undefined;
  const load = async (backend: Backend): Promise<M3Encoder> => {
    // Imported and configured once: the WASM fallback runs on the runtime the WebGPU attempt loaded.
    const { ort, wasmPaths } = await (runtime ??= opts.loadOrt());
    threads = configureOrt(ort.env, { wasmPaths: opts.wasmPaths ?? wasmPaths, numThreads: opts.numThreads });
    return loadEncoder(memo, {
      ort,
      dtype: opts.dtype,
      maxLength: opts.maxLength,
      ...(opts.preset === undefined ? {} : { preset: opts.preset }),
      ...(opts.conventions === undefined ? {} : { conventions: opts.conventions }),
      signal: opts.signal,
      sessionOptions: { executionProviders: executionProviders(backend) },
      onProgress: (p) => {
        bytes.set(p.file, { loaded: p.loaded, total: p.total });
        let loaded = 0;
        let total: number | undefined = 0;
        for (const b of bytes.values()) {
          loaded += b.loaded;
          total = total === undefined || b.total === undefined ? undefined : total + b.total;
        }
        opts.onProgress?.({ file: p.file, loaded, total });
      },
    });
  };

  const done = (encoder: M3Encoder, backend: Backend, backendNote?: string): WebEncoder => {
    const r: WebEncoder = { encoder, backend, wasmThreads: threads };
    if (backendNote !== undefined) r.backendNote = backendNote;
    return r;
  };
  if (opts.backend === 'wasm') return done(await load('wasm'), 'wasm', "backend 'wasm' was requested");
  const probe = await probeWebGpu();
  if (!probe.ok) return done(await load('wasm'), 'wasm', probe.note);
  try {
    return done(await load('webgpu'), 'webgpu');
  } catch (e) {
    if (opts.signal?.aborted) throw e;
    return done(await load('wasm'), 'wasm', `WebGPU (${probe.note}) could not run the model, using WASM: ${(e as Error).message}`);
  }
}

function memoSource(source: ModelSource): ModelSource {
  const files = new Map<string, Promise<Uint8Array | undefined>>();
  return {
    location: source.location,
    // Forwarded so a missing file's error names its URL and why (404, HTML fallback page).
    where: source.where?.bind(source),
    whyMissing: source.whyMissing?.bind(source),
    read(name, opts) {
      let p = files.get(name);
      if (p === undefined) {
        p = source.read(name, opts);
        files.set(name, p);
        p.catch(() => files.delete(name)); // a failed read may be retried
      }
      return p;
    },
  };
}
