// The whole `m3search index` step as one call: load the model, build the
// index, copy the page script (and optionally the model) next to it, and
// optionally inject the search box into every page. The CLI is a thin
// wrapper around it, so scripts get exactly what the command does.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { M3SearchError } from '../core/errors.js';
import type { M3Encoder } from '../model/encoder.js';
import { getPreset, type PresetOption } from '../model/presets.js';
import { loadModel } from '../node/load-model.js';
import { buildSiteIndex, type BuildOptions, type BuildReport } from './build.js';
import { copyBundle, copyModel, ensureScriptBundle, onnxRuntimeBytes, SW_FILE } from './bundle.js';
import { resolveCacheDir } from './encode-cache.js';
import { listPages } from './crawl.js';
import { injectSite } from './inject.js';

/** `preset` (PresetOption) needs `model` here; the manifest records the conventions used, so pages apply them too. */
export interface IndexSiteOptions extends Omit<BuildOptions, 'encoder' | 'modelPath' | 'modelBytes' | 'out' | 'cache'>, PresetOption {
  /** Index folder (default `<site>/m3search`). */
  out?: string;
  /**
   * Model folder or http(s) URL, for hybrid ranking. Absent (or 'none'): a
   * keyword-only index, whose pages load no model and no ONNX Runtime.
   */
  model?: string;
  /** An encoder already loaded from `model` (otherwise it is loaded, and disposed after the build). */
  encoder?: M3Encoder;
  /** Which ONNX file to load: 'q8' (default) prefers onnx/model_quantized.onnx, 'fp32' onnx/model.onnx. Pages must load the same one. */
  dtype?: 'q8' | 'fp32';
  /** Copy the (local) model folder next to the index, so pages rank hybrid with no third-party host. */
  copyModel?: boolean;
  /** Add the script tag and `<m3-search>` to every page; needs `out` inside `site`. */
  inject?: boolean;
  /** With `inject`: register the offline service worker (default true). */
  serviceWorker?: boolean;
  /** With `inject`: the service worker also keeps the pages visited, so they reload offline (default false). */
  serviceWorkerPages?: boolean;
  /**
   * Where encoded passages are kept between builds (keyed by model fingerprint
   * and passage text), so a rebuild encodes only new text: default
   * `.m3search-cache` beside the site folder; `false`: no cache. Used only with a model.
   */
  cache?: string | false;
  /** One-line notes (model loaded, bundle built). */
  onLog?: (line: string) => void;
}

export interface IndexSiteReport {
  build: BuildReport;
  /** The index folder written. */
  out: string;
  /** Bytes of the page script bundle copied next to the index. */
  bundleBytes: number;
  /** Pages the search box was injected into (0 without `inject`). */
  injected: number;
  /** Seconds spent loading the model. */
  modelSeconds: number;
}

const isUrl = (s: string): boolean => /^https?:\/\//.test(s);

async function checkSiteFolder(site: string, crawl: { exclude: string[]; markdown?: boolean }): Promise<void> {
  const info = await stat(site).catch(() => undefined);
  if (!info) throw new M3SearchError('INVALID_OPTION', `The site folder ${site} does not exist.`, { site });
  if (!info.isDirectory()) {
    const hint = /\.jsonl?$/i.test(site) ? ' To index a JSONL corpus, give a folder and the file as --docs FILE.jsonl.' : ' Give the folder that holds the built HTML.';
    throw new M3SearchError('INVALID_OPTION', `${site} is a file, not a site folder.${hint}`, { site });
  }
  const pages = await listPages(site, crawl).catch((e: Error) => {
    throw new M3SearchError('INVALID_OPTION', `The site folder ${site} cannot be read: ${e.message}`, { site });
  });
  if (pages.length === 0) {
    throw new M3SearchError('INVALID_OPTION', `${site} holds no .html pages${crawl.markdown ? ' or Markdown sources' : ' (add --markdown to index *.md sources)'}: nothing to index.`, { site });
  }
}

export async function indexSite(opts: IndexSiteOptions): Promise<IndexSiteReport> {
  const { model: asked, preset, encoder: given, dtype, copyModel: copy = false, inject = false, serviceWorker = true, serviceWorkerPages = false, cache, onLog, ...build } = opts;
  const model = asked === 'none' ? undefined : asked;
  const site = path.resolve(opts.site);
  const out = path.resolve(opts.out ?? path.join(site, 'm3search'));
  const rel = path.relative(site, out).split(path.sep).join('/');
  // Checked before the (slow) model load and encoding, not after.
  if (copy && !model) throw new M3SearchError('INVALID_OPTION', 'copyModel (--copy-model) needs a model (--model DIR); this index is keyword-only.', { model: asked ?? null });
  if (preset !== undefined) {
    if (!model) throw new M3SearchError('INVALID_OPTION', 'preset (--preset) needs a model (--model DIR|URL); this index is keyword-only.', { preset });
    if (given) throw new M3SearchError('INVALID_OPTION', 'preset (--preset) applies when the model is loaded here; the encoder given was loaded already.', { preset });
    getPreset(preset); // an unknown name fails now, not after crawling
  }
  if (build.sparseQuery !== undefined && build.sparseQuery !== 'idf') throw new M3SearchError('INVALID_OPTION', `sparseQuery (--sparse-query) must be 'idf', not ${JSON.stringify(build.sparseQuery)}.`, { sparseQuery: build.sparseQuery });
  if (build.sparseQuery === 'idf' && !model && !given) throw new M3SearchError('INVALID_OPTION', "sparseQuery 'idf' (--sparse-query idf) needs a model (--model DIR|URL); this index is keyword-only.", { sparseQuery: 'idf' });
  if (copy && model && isUrl(model)) throw new M3SearchError('INVALID_OPTION', `copyModel (--copy-model) needs a local model folder, not the URL ${model}.`, { model });
  if (inject && (rel.startsWith('..') || path.isAbsolute(rel))) {
    throw new M3SearchError('INVALID_OPTION', `inject (--inject) needs the index folder inside the site folder; ${out} is not inside ${site}.`, { site, out });
  }
  // A cache folder that would be deployed is refused before the model loads, too.
  const cacheDir = (model || given) && cache !== false ? resolveCacheDir(site, out, cache) : undefined;
  // A missing or empty site folder is found before the model loads, with a message rather than ENOENT.
  if (!build.documents) await checkSiteFolder(site, { exclude: [rel, 'pagefind'], markdown: build.crawl?.markdown });
  // A missing bundle is found before encoding, too.
  await ensureScriptBundle(onLog);

  const t0 = performance.now();
  const sparseQuery = build.sparseQuery;
  const encoder = given ?? (model ? await loadModel(model, { dtype, ...(preset === undefined ? {} : { preset }), ...(sparseQuery === undefined ? {} : { sparseQuery }) }) : undefined);
  const modelSeconds = (performance.now() - t0) / 1000;
  if (encoder) {
    const { info } = encoder;
    onLog?.(`model ${info.modelId} (${info.onnxFile}, dense ${info.denseDim}, multi ${info.multiDim}, max ${info.maxLength} tokens) loaded in ${modelSeconds.toFixed(1)} s`);
  } else onLog?.('no model: a keyword-only index (pages load no model and no ONNX Runtime; --model DIR|URL adds hybrid ranking)');
  let report: BuildReport;
  try {
    const modelBytes = copy && model && encoder ? (await copyModel(model, out, encoder.info.onnxFile, encoder.info.externalData)) + (await onnxRuntimeBytes()) : undefined;
    report = await buildSiteIndex({ ...build, site, out, encoder, cache: cacheDir, modelPath: copy ? 'model/' : undefined, modelBytes });
  } finally {
    if (!given) await encoder?.dispose();
  }
  // A doc-only model never runs in the page: its index ships no ONNX Runtime.
  const bundleBytes = await copyBundle(out, { swRoot: inject && serviceWorker ? site : undefined, onnxRuntime: Boolean(encoder) && !encoder?.idfQuery && sparseQuery !== 'idf' });
  let injected = 0;
  if (inject) {
    const pages = await listPages(site, { exclude: [rel, 'pagefind'], limit: build.crawl?.limit });
    injected = await injectSite(site, pages, { indexDir: rel, serviceWorker: serviceWorker ? SW_FILE : undefined, serviceWorkerPages });
  }
  return { build: report, out, bundleBytes, injected, modelSeconds };
}
