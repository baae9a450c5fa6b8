// Opening an index built in the page (createSearch): the model loads while the
// stored index is read from IndexedDB. Imported by the worker on demand, so a
// static-site visitor's worker never downloads this path.
import type { M3Encoder } from '../model/encoder.js';
import { urlSource } from '../model/source.js';
import { loadWebEncoder, type OrtLoader } from './backend.js';
import { PersistentSearch } from './persistent-search.js';
import type { Backend, LoadProgress, OpenOptions, OpenReport, SearchWarning } from './protocol.js';

export interface OpenedIndex {
  state: { search: PersistentSearch; encoder: M3Encoder; backend: Backend };
  report: OpenReport;
}

export async function openIndex(
  loadOrt: OrtLoader,
  options: OpenOptions,
  signal: AbortSignal,
  onProgress: ((p: LoadProgress) => void) | undefined,
  onWarning: (w: SearchWarning) => void,
): Promise<OpenedIndex> {
  const t0 = performance.now();
  // The model loads while the stored index is read (PersistentSearch.open overlaps them).
  const loading = loadWebEncoder(urlSource(options.model, { cacheName: options.modelCacheName }), {
    loadOrt,
    backend: options.backend,
    dtype: options.dtype,
    maxLength: options.maxLength,
    ...(options.preset === undefined ? {} : { preset: options.preset }),
    wasmPaths: options.wasmPaths,
    numThreads: options.numThreads,
    signal,
    onProgress: (p) => onProgress?.({ phase: 'model', ...p }),
  }).then((l) => ({ ...l, modelMs: performance.now() - t0 }));
  loading.catch(() => undefined); // awaited through PersistentSearch.open and below

  let opened;
  try {
    opened = await PersistentSearch.open(
      loading.then((l) => l.encoder),
      { name: options.name, storage: options.storage, onMismatch: options.onMismatch, onProgress, onWarning },
    );
  } catch (e) {
    await loading.then((l) => l.encoder.dispose()).catch(() => undefined);
    throw e;
  }
  const { encoder, backend, backendNote, wasmThreads, modelMs } = await loading;
  const { search, report: restored } = opened;
  const report: OpenReport = {
    name: options.name,
    backend,
    wasmThreads,
    model: { ...encoder.info },
    storage: { ...search.index.options },
    docCount: search.size,
    restored: restored.restored,
    skipped: restored.skipped,
    created: restored.created,
    timings: { modelMs, restoreMs: restored.restoreMs, buildMs: restored.buildMs, openMs: performance.now() - t0 },
  };
  if (backendNote !== undefined) report.backendNote = backendNote;
  if (restored.rebuilt) report.rebuilt = restored.rebuilt;
  return { state: { search, encoder, backend }, report };
}
