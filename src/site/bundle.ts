// The page-side script bundle (built by vite from vite.script.config.ts; the
// published package ships it prebuilt in dist/) and copying it, the tokenizer
// and optionally the model next to a site's index.
import { cp, mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { M3SearchError } from '../core/errors.js';
import { isSourceCheckout, PACKAGE_ROOT } from '../node/package-root.js';

/** The package root (the clone's root when run from the repository). */
export const REPO_ROOT = PACKAGE_ROOT;
export const BUNDLE_DIR = path.join(PACKAGE_ROOT, 'dist', 'm3search-script');
/** The service worker: copied to the site root, since a worker only controls pages at or below its own folder. */
export const SW_FILE = 'm3search-sw.js';

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const parent = (e as unknown as { parentPath?: string; path?: string }).parentPath ?? (e as unknown as { path: string }).path;
    newest = Math.max(newest, (await stat(path.join(parent, e.name))).mtimeMs);
  }
  return newest;
}

/**
 * The prebuilt bundle's folder. The published package ships it, so vite is
 * never needed at run time. In a clone (where vite is a dev dependency) it is
 * built when missing or older than its sources, so `npm ci` alone is enough to
 * index a site from the repository.
 */
export async function ensureScriptBundle(log: (s: string) => void = () => {}): Promise<string> {
  const main = path.join(BUNDLE_DIR, 'm3search.js');
  const built = await stat(main).then((s) => s.mtimeMs).catch(() => 0);
  if (!isSourceCheckout()) {
    if (built) return BUNDLE_DIR;
    throw new M3SearchError('NOT_READY', `the page script bundle ${main} is missing from the installed package; reinstall m3search (or run \`npm run build\` in a clone).`, { path: main });
  }
  // The element, the browser runtime and worker it runs on, and everything they import.
  const dirs = ['src/element', 'src/browser', 'src/site', 'src/model', 'src/core', 'workers'];
  const sources = Math.max(...(await Promise.all(dirs.map((d) => newestMtime(path.join(REPO_ROOT, d))))));
  if (built > sources) return BUNDLE_DIR;
  log(`${built ? 'rebuilding the page script bundle (older than its sources)' : 'building the page script bundle (dist/m3search-script is missing)'} with vite.script.config.ts…`);
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch (e) {
    if (built) {
      log('vite (a dev dependency) is not installed: using the existing, older page script bundle');
      return BUNDLE_DIR;
    }
    throw new M3SearchError('NOT_READY', `the page script bundle is missing and vite (a dev dependency) is not installed: run \`npm ci && npm run build\` (${(e as Error).message})`, { path: main });
  }
  await vite.build({ configFile: path.join(REPO_ROOT, 'vite.script.config.ts'), root: REPO_ROOT, logLevel: 'warn' });
  return BUNDLE_DIR;
}

/** ONNX Runtime's files (any build): only an index with a model ships them. */
const ORT_FILE = /^ort-wasm.*\.(wasm|mjs)$/;

/**
 * The one ONNX Runtime build pages load (workers/search.worker.ts imports the
 * same files): the asyncify build runs both the WebGPU and the WASM execution
 * provider, so a page with or without WebGPU fetches this and nothing else.
 */
export const ORT_RUNTIME_FILES: readonly string[] = ['ort-wasm-simd-threaded.asyncify.wasm', 'ort-wasm-simd-threaded.asyncify.mjs'];

/**
 * Copies the bundle into the index folder (and the service worker to
 * `swRoot`, if given). A keyword-only index (`onnxRuntime: false`) gets no
 * ONNX Runtime files: its pages never load a model. ONNX Runtime files an
 * earlier build (or version) left in the folder, and any other build in the
 * bundle folder, are not part of the output: pages fetch only `ORT_RUNTIME_FILES`.
 */
export async function copyBundle(outDir: string, opts: { swRoot?: string; onnxRuntime?: boolean } = {}): Promise<number> {
  let bytes = 0;
  await mkdir(outDir, { recursive: true });
  const runtime = new Set(opts.onnxRuntime === false ? [] : ORT_RUNTIME_FILES);
  for (const e of await readdir(outDir, { withFileTypes: true })) {
    if (e.isFile() && ORT_FILE.test(e.name) && !runtime.has(e.name)) await rm(path.join(outDir, e.name), { force: true });
  }
  for (const e of await readdir(BUNDLE_DIR, { withFileTypes: true })) {
    if (!e.isFile() || (ORT_FILE.test(e.name) && !runtime.has(e.name))) continue;
    const dest = e.name === SW_FILE ? (opts.swRoot ? path.join(opts.swRoot, SW_FILE) : undefined) : path.join(outDir, e.name);
    if (!dest) continue;
    await cp(path.join(BUNDLE_DIR, e.name), dest);
    bytes += (await stat(dest)).size;
  }
  return bytes;
}

/**
 * Copies a local model folder next to the index (`--copy-model`), so the site
 * needs no third-party host: everything but the ONNX files pages will not
 * load (only `onnxFile`, the one the passages were encoded with, and the
 * external-data files its graph names — `ModelInfo.externalData` — go).
 * Returns the bytes copied.
 */
export async function copyModel(modelDir: string, outDir: string, onnxFile: string, externalData: readonly string[] = []): Promise<number> {
  const root = path.resolve(modelDir);
  const keep = new Set([onnxFile, ...externalData]);
  const dest = path.join(outDir, 'model');
  await cp(root, dest, {
    recursive: true,
    filter: (src) => {
      const rel = path.relative(root, src).split(path.sep).join('/');
      return !/\.onnx(_data|\.data)?$/.test(rel) || keep.has(rel);
    },
  });
  return folderBytes(dest);
}

/** ONNX Runtime's one build (wasm + its loader): what a page downloads with the model, with or without WebGPU. */
export async function onnxRuntimeBytes(): Promise<number> {
  let bytes = 0;
  for (const f of ORT_RUNTIME_FILES) bytes += await stat(path.join(BUNDLE_DIR, f)).then((s) => s.size, () => 0);
  return bytes;
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const parent = (e as unknown as { parentPath?: string; path?: string }).parentPath ?? (e as unknown as { path: string }).path;
    total += (await stat(path.join(parent, e.name))).size;
  }
  return total;
}
