// The library build: `npm run build` → dist/lib/
//   index.js            the browser entry (`import { createSearch } from 'm3search'`), ES module
//   assets/search.worker-*.js   the search worker (ES module; ONNX Runtime and the tokenizer bundled in)
//   assets/ort-wasm-simd-threaded.asyncify-*.wasm  ONNX Runtime's one build (WebGPU and WASM), fetched by the worker at run time
//   assets/ort-wasm-simd-threaded.asyncify.mjs  its loader (imported by the worker at run time)
//   *.d.ts are not emitted here; TypeScript users compile against src/browser/index.ts.
// The page spawns the worker with `new Worker(new URL(..., import.meta.url))`, which
// bundlers (vite, webpack 5, esbuild with the plugin) understand when they re-bundle dist/lib.
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const root = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(root, 'dist', 'lib');
const ORT_GLUE = 'ort-wasm-simd-threaded.asyncify.mjs';

/**
 * ORT's "extern wasm" build imports its Emscripten glue at run time from the
 * directory of the script that loaded it (the worker chunk in assets/); the
 * default build would embed the 27 MB .wasm as base64 instead (lib mode
 * inlines `new URL(..., import.meta.url)` assets). The .wasm itself is the
 * worker's own `?url&no-inline` asset.
 */
function ortGlue(): Plugin {
  return {
    name: 'm3search:ort-glue',
    apply: 'build',
    async writeBundle() {
      await copyFile(path.join(root, 'node_modules', 'onnxruntime-web', 'dist', ORT_GLUE), path.join(outDir, 'assets', ORT_GLUE));
    },
  };
}

export default defineConfig({
  root,
  publicDir: false,
  // Relative asset URLs: dist/lib may be served from any path (or re-bundled).
  base: './',
  logLevel: 'info',
  resolve: {
    // Only transformers.js' tokenizer is used: the shim (shared with the static-site script build)
    // keeps its ~0.5 MB and its second onnxruntime-web copy out of the worker.
    alias: { '@huggingface/transformers': path.join(root, 'src/browser/tokenizer-shim.ts') },
    dedupe: ['onnxruntime-web', 'onnxruntime-common'],
    conditions: ['onnxruntime-web-use-extern-wasm', 'module', 'browser', 'import', 'default'],
  },
  plugins: [ortGlue()],
  define: { 'process.env.NODE_ENV': '"production"' },
  worker: {
    format: 'es',
    rollupOptions: { output: { entryFileNames: 'assets/[name]-[hash].js', chunkFileNames: 'assets/[name]-[hash].js' } },
  },
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    lib: { entry: path.join(root, 'src/browser/index.ts'), formats: ['es'], fileName: () => 'index.js' },
  },
});
