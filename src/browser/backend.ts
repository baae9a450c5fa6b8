// Backend choice and ONNX Runtime environment set-up inside the worker.
// WebGPU is used when the browser exposes an adapter; the caller falls back
// to WASM when the WebGPU session cannot be created or run.
import type { Env } from 'onnxruntime-common';
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
export function configureOrt(env: Env, opts: OrtEnvOptions): void {
  if (opts.wasmPaths !== undefined) env.wasm.wasmPaths = opts.wasmPaths;
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
  env.wasm.numThreads = opts.numThreads ?? (isolated ? Math.max(1, Math.min(4, cores)) : 1);
  env.wasm.proxy = false; // already off the main thread
}

export function executionProviders(backend: Backend): string[] {
  return backend === 'webgpu' ? ['webgpu'] : ['wasm'];
}
