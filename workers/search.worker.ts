// The search worker, for createSearch (an index built in the page) and for
// <m3-search> / openSiteSearch (a static-site index): ONNX Runtime (WebGPU or
// WASM), the tokenizer, the index and IndexedDB all live here, off the page's
// main thread. The page talks to it through comlink (src/browser/worker-connection.ts).
// ONNX Runtime is imported only when a model is loaded: a static-site visitor
// who only gets keyword results never downloads it.
import { expose } from 'comlink';
// `?url&no-inline`: only URLs here (a library build would otherwise inline the wasm as base64).
import ortMjs from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url&no-inline';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url&no-inline';
import type { LoadedOrt, WebOrt } from '../src/browser/backend.js';
import { installErrorTransfer } from '../src/browser/error-transfer.js';
import { createWorkerApi } from '../src/browser/worker-api.js';

installErrorTransfer();

// ORT wants absolute paths; the asset URLs may be root-relative.
const abs = (u: string): string => new URL(u, self.location.href).href;

/**
 * One ONNX Runtime build for both backends: `onnxruntime-web/webgpu` runs the
 * asyncify build, which holds the WebGPU execution provider and the CPU (wasm)
 * one. A page without WebGPU, or falling back from it, runs the same file, so
 * a site ships (and a visitor downloads and caches) one runtime, not two.
 */
async function loadOrt(): Promise<LoadedOrt> {
  const ort = (await import('onnxruntime-web/webgpu')) as unknown as WebOrt;
  return { ort, wasmPaths: { wasm: abs(ortWasm), mjs: abs(ortMjs) } };
}

expose(createWorkerApi({ loadOrt, closeSelf: () => self.close() }));
