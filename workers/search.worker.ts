// The search worker, for createSearch (an index built in the page) and for
// <m3-search> / openSiteSearch (a static-site index): ONNX Runtime (WebGPU or
// WASM), the tokenizer, the index and IndexedDB all live here, off the page's
// main thread. The page talks to it through comlink (src/browser/worker-connection.ts).
// ONNX Runtime is imported only when a model is loaded: a static-site visitor
// who only gets keyword results never downloads it.
import { expose } from 'comlink';
// `?url&no-inline`: only URLs here (a library build would otherwise inline the wasm as base64).
import asyncifyMjs from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url&no-inline';
import asyncifyWasm from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url&no-inline';
import plainMjs from 'onnxruntime-web/ort-wasm-simd-threaded.mjs?url&no-inline';
import plainWasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url&no-inline';
import type { LoadedOrt, WebOrt } from '../src/browser/backend.js';
import type { Backend } from '../src/browser/protocol.js';
import { installErrorTransfer } from '../src/browser/error-transfer.js';
import { createWorkerApi } from '../src/browser/worker-api.js';

installErrorTransfer();

// ORT wants absolute paths; the asset URLs may be root-relative.
const abs = (u: string): string => new URL(u, self.location.href).href;

/** WebGPU needs ORT's asyncify build (27 MB of wasm); the plain WASM build is half that. */
async function loadOrt(backend: Backend): Promise<LoadedOrt> {
  if (backend === 'webgpu') {
    const ort = (await import('onnxruntime-web/webgpu')) as unknown as WebOrt;
    return { ort, wasmPaths: { wasm: abs(asyncifyWasm), mjs: abs(asyncifyMjs) } };
  }
  const ort = (await import('onnxruntime-web/wasm')) as unknown as WebOrt;
  return { ort, wasmPaths: { wasm: abs(plainWasm), mjs: abs(plainMjs) } };
}

expose(createWorkerApi({ loadOrt, closeSelf: () => self.close() }));
