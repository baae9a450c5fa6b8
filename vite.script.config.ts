// Builds the drop-in page script for static sites into dist/m3search-script/:
//   m3search.js         the <m3-search> element (IIFE: works from a plain <script src defer>)
//   m3search-worker.js  the search worker, built from the library's one worker entry
//                       (workers/search.worker.ts; the site session and ORT are lazy chunks)
//   m3search-sw.js      the service worker for offline page loads (copied to the site root)
//   ort-wasm-simd-threaded.asyncify.{mjs,wasm}  onnxruntime-web's one runtime (WebGPU and WASM), served beside the worker
// Run with `npx vite build -c vite.script.config.ts`; `m3search index` builds it when missing.
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
  // transformers.js is only used for its tokenizer; see src/browser/tokenizer-shim.ts.
  resolve: { alias: { '@huggingface/transformers': path.join(root, 'src/browser/tokenizer-shim.ts') } },
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
        // Asset URLs relative to the worker script (the index folder may live at any path).
        base: './',
        build: {
          outDir,
          emptyOutDir: false,
          target: 'es2022',
          // Library mode keeps ES output readable by default; these files go to visitors: every byte counts.
          minify: true,
          lib: { entry: path.join(root, 'workers/search.worker.ts'), formats: ['es'], fileName: () => 'm3search-worker.js' },
          // ORT's files keep their names, beside the worker (the worker's `?url` imports point there).
          // (vite keeps whitespace in ES library output even with `minify`: ask the bundler itself.)
          rollupOptions: { output: { chunkFileNames: 'm3search-[name]-[hash].js', assetFileNames: '[name][extname]', minify: true } as Record<string, unknown> },
        },
      });
      await build({
        ...shared,
        build: {
          outDir,
          emptyOutDir: false,
          target: 'es2022',
          minify: true,
          lib: { entry: path.join(root, 'src/element/sw.ts'), formats: ['iife'], name: 'M3SearchServiceWorker', fileName: () => 'm3search-sw.js' },
        },
      });
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
    minify: true,
    lib: { entry: path.join(root, 'src/element/main.ts'), formats: ['iife'], name: 'M3SearchSite', fileName: () => 'm3search.js' },
  },
});
