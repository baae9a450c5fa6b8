// Dev server / preview / demo build. The demo's default model is the
// generated tiny test model, served at /models/tiny/ by the plugin below (it
// builds the model on first request if .cache/test-model is missing).
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const ROOT = path.dirname(fileURLToPath(import.meta.url));
const TINY_MOUNT = '/models/tiny/';
const TINY_LAYOUT = 'heads-in-graph';

const TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.onnx': 'application/octet-stream',
  '.safetensors': 'application/octet-stream',
};

/** Serves `.cache/test-model/heads-in-graph/` at /models/tiny/ in `vite` and `vite preview`. */
function serveTestModel(): Plugin {
  let dir: Promise<string> | undefined;
  // Importing the generator lazily keeps config loading fast; it only rebuilds when its stamp is stale.
  const modelDir = () =>
    (dir ??= import('./scripts/test-model/index.js')
      .then((m) => m.ensureTestModel())
      .then((m) => m.layouts[TINY_LAYOUT])
      .catch((e: unknown) => {
        dir = undefined;
        throw e;
      }));
  return serveModelFolder(TINY_MOUNT, modelDir);
}

/**
 * Serves a model folder at `mount` ('/models/x/') in `vite` and `vite preview`;
 * `folder` is asked on each request (it may build the folder first). Benches
 * and tests mount other folders through it (test/e2e/support.ts `startServer`).
 */
export function serveModelFolder(mount: string, folder: () => Promise<string>): Plugin {
  const handle = (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const url = req.url ?? '';
    if (!url.startsWith(mount)) return next();
    void (async () => {
      let base: string;
      try {
        base = path.resolve(await folder());
      } catch (e) {
        res.statusCode = 500;
        res.end(`could not build the model folder: ${(e as Error).message}`);
        return;
      }
      const rel = decodeURIComponent(url.slice(mount.length).split('?')[0] ?? '');
      const file = path.resolve(base, rel);
      const info = file.startsWith(base + path.sep) ? await stat(file).catch(() => undefined) : undefined;
      // Answer 404 ourselves: the SPA fallback would serve index.html for missing optional files.
      if (!info?.isFile()) {
        res.statusCode = 404;
        res.end('not found');
        return;
      }
      res.setHeader('Content-Type', TYPES[path.extname(file)] ?? 'application/octet-stream');
      res.setHeader('Content-Length', String(info.size));
      res.setHeader('Cache-Control', 'no-cache');
      createReadStream(file).pipe(res);
    })();
  };

  return {
    name: `m3search:model-folder ${mount}`,
    configureServer(server) {
      server.middlewares.use(handle);
    },
    configurePreviewServer(server) {
      server.middlewares.use(handle);
    },
  };
}

/** Cross-origin isolation (SharedArrayBuffer, so ONNX Runtime can use several WASM threads); see the README. */
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  root: ROOT,
  plugins: [serveTestModel()],
  resolve: {
    // transformers.js ships its own onnxruntime-web; we only use its tokenizer, so one ORT copy serves both.
    dedupe: ['onnxruntime-web', 'onnxruntime-common'],
  },
  worker: {
    format: 'es',
  },
  optimizeDeps: {
    // Scan the worker too, so the first page load does not trigger a re-optimization and reload.
    entries: ['index.html', 'test/e2e/**/*.html', 'workers/*.ts'],
    include: ['comlink', 'idb', '@huggingface/transformers', 'onnxruntime-web/webgpu'],
  },
  server: {
    fs: { strict: true },
    headers: ISOLATION,
  },
  preview: {
    headers: ISOLATION,
  },
  build: {
    outDir: 'dist/demo',
    emptyOutDir: true,
    target: 'es2022',
  },
});
