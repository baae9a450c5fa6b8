// The search worker: ONNX Runtime (WebGPU or WASM), the tokenizer, the
// in-memory index and IndexedDB all live here, off the page's main thread.
// The page talks to it through comlink (src/browser/create-search.ts).
import { expose } from 'comlink';
// The WebGPU build also runs plain WASM, and it is the build transformers.js
// imports, so bundlers keep ONE copy of onnxruntime-web.
import * as ort from 'onnxruntime-web/webgpu';
// `no-inline`: a library build would otherwise inline the 25 MB file as base64.
import ortWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url&no-inline';
import { installErrorTransfer } from '../src/browser/error-transfer.js';
import { createWorkerApi, type WebOrt } from '../src/browser/worker-api.js';

installErrorTransfer();

const api = createWorkerApi({
  ort: ort as unknown as WebOrt,
  // ORT wants absolute paths; the asset URL may be root-relative.
  wasmPaths: { wasm: new URL(ortWasmUrl, self.location.href).href },
  closeSelf: () => self.close(),
});

expose(api);
