// Builds the drop-in page script for static sites into dist/m3search-script/:
//   m3search.js         the <m3-search> element (IIFE: works from a plain <script src defer>)
//   m3search-worker.js  the search worker (ES module worker; ORT is a lazy chunk)
//   m3search-sw.js      the service worker for offline page loads (copied to the site root)
//   ort-wasm-*.{mjs,wasm} onnxruntime-web's WASM runtime (plain, and JSEP for WebGPU), served beside the worker
// Run with `npx vite build -c vite.script.config.ts`; `m3search index` builds it when missing.
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, defineConfig, type InlineConfig, type Plugin } from 'vite';

const root = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(root, 'dist', 'm3search-script');
const shared: InlineConfig = {
  configFile: false,
  root,
  logLevel: 'warn',
  publicDir: false,
  // transformers.js is only used for its tokenizer; see src/element/tokenizer-shim.ts.
  resolve: { alias: { '@huggingface/transformers': path.join(root, 'src/element/tokenizer-shim.ts') } },
  define: { 'process.env.NODE_ENV': '"production"' },
};

/** The worker and service worker are separate entries with their own formats: built after the main bundle. */
function companions(): Plugin {
  return {
    name: 'm3search-companions',
    apply: 'build',
    async closeBundle() {
      await build({
        ...shared,
        // ORT's "extern wasm" builds load their .mjs glue and .wasm from env.wasm.wasmPaths at run time;
        // the default builds reference the wasm through import.meta.url, which lib mode would inline as base64.
        resolve: { ...shared.resolve, conditions: ['onnxruntime-web-use-extern-wasm', 'module', 'browser', 'import', 'default'] },
        build: {
          outDir,
          emptyOutDir: false,
          target: 'es2022',
          lib: { entry: path.join(root, 'src/element/worker.ts'), formats: ['es'], fileName: () => 'm3search-worker.js' },
          rollupOptions: { output: { chunkFileNames: 'm3search-[name]-[hash].js' } },
        },
      });
      await build({
        ...shared,
        build: {
          outDir,
          emptyOutDir: false,
          target: 'es2022',
          lib: { entry: path.join(root, 'src/element/sw.ts'), formats: ['iife'], name: 'M3SearchServiceWorker', fileName: () => 'm3search-sw.js' },
        },
      });
      const ortDist = path.join(root, 'node_modules', 'onnxruntime-web', 'dist');
      await mkdir(outDir, { recursive: true });
      for (const f of ['ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.jsep.wasm', 'ort-wasm-simd-threaded.jsep.mjs']) await copyFile(path.join(ortDist, f), path.join(outDir, f));
    },
  };
}

export default defineConfig({
  ...shared,
  configFile: undefined,
  plugins: [companions()],
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    lib: { entry: path.join(root, 'src/element/main.ts'), formats: ['iife'], name: 'M3SearchSite', fileName: () => 'm3search.js' },
  },
});
