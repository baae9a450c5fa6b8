// The worker side of the protocol: picks the backend, loads the model, opens
// the persistent index and serves calls. Kept free of `self`/comlink wiring
// (see workers/search.worker.ts) so it can be driven directly in tests.
import { releaseProxy } from 'comlink';
import type { Env } from 'onnxruntime-common';
import { M3SearchError } from '../core/errors.js';
import type { M3Encoder, OrtRuntime } from '../model/encoder.js';
import { loadEncoder } from '../model/load.js';
import { urlSource, type ModelSource } from '../model/source.js';
import { configureOrt, executionProviders, probeWebGpu } from './backend.js';
import { countsConsistent, PersistentSearch } from './persistent-search.js';
import type { Backend, LoadProgress, OpenOptions, OpenReport, ProgressCallback, SearchWarning, WorkerApi } from './protocol.js';
import { IndexStore } from './store.js';

/** onnxruntime-web as the worker uses it: the encoder's runtime plus its environment flags. */
export type WebOrt = OrtRuntime & { env: Env };

export interface WorkerDeps {
  ort: WebOrt;
  /** Where ORT's .wasm is served when the caller does not say (the bundled asset). */
  wasmPaths?: OpenOptions['wasmPaths'];
  /** Ends the worker at once (`self.close()`); used by the `crash` debug call. */
  closeSelf: () => void;
}

type State =
  | { kind: 'idle' }
  | { kind: 'opening'; name: string }
  | { kind: 'ready'; name: string; search: PersistentSearch; encoder: M3Encoder; backend: Backend }
  | { kind: 'failed'; name: string; error: unknown }
  | { kind: 'closed' };

export function createWorkerApi(deps: WorkerDeps): WorkerApi {
  let state: State = { kind: 'idle' };
  const calls = new Map<number, AbortController>();

  const begin = (callId: number): AbortSignal => {
    const ctl = new AbortController();
    calls.set(callId, ctl);
    return ctl.signal;
  };
  const end = (callId: number) => calls.delete(callId);

  const ready = () => {
    if (state.kind === 'ready') return state;
    const why =
      state.kind === 'idle' || state.kind === 'opening'
        ? 'the model and the stored index are still loading'
        : state.kind === 'failed'
          ? `opening failed: ${(state.error as Error)?.message ?? String(state.error)}`
          : 'the search was closed';
    throw new M3SearchError('NOT_READY', `The search is not ready: ${why}.`, { state: state.kind });
  };

  /** Runs a cancellable call; the callbacks' comlink proxies are released when it settles. */
  async function track<T>(callId: number, run: (signal: AbortSignal) => Promise<T>, ...callbacks: unknown[]): Promise<T> {
    const signal = begin(callId);
    try {
      return await run(signal);
    } finally {
      end(callId);
      for (const cb of callbacks) release(cb);
    }
  }

  const api: WorkerApi = {
    holdLifeLock(name) {
      const locks = (globalThis.navigator as { locks?: LockManager } | undefined)?.locks;
      if (!locks) return Promise.resolve(false);
      return new Promise<boolean>((resolve) => {
        locks.request(name, () => {
          resolve(true);
          return new Promise<never>(() => undefined); // held until this worker dies
        }).catch(() => resolve(false));
      });
    },

    open(callId, options, onProgress, onWarning) {
      return track(
        callId,
        async (signal) => {
          if (state.kind !== 'idle') throw new M3SearchError('INVALID_OPTION', 'This worker has already opened an index; create another search instead.');
          state = { kind: 'opening', name: options.name };
          try {
            const opened = await openIndex(deps, options, signal, throttle(onProgress), (w) => fire(onWarning, w));
            state = { kind: 'ready', name: options.name, ...opened.state };
            return opened.report;
          } catch (e) {
            state = { kind: 'failed', name: options.name, error: e };
            throw e;
          }
        },
        onProgress,
        onWarning,
      );
    },

    add(callId, docs, options, onProgress) {
      return track(callId, (signal) => ready().search.add(docs, { ...options, signal, onProgress: (p) => fire(onProgress, p) }), onProgress);
    },

    update(callId, docs, options, onProgress) {
      return track(callId, (signal) => ready().search.update(docs, { ...options, signal, onProgress: (p) => fire(onProgress, p) }), onProgress);
    },

    remove(callId, ids) {
      return track(callId, () => ready().search.remove(ids));
    },

    search(callId, query, options) {
      return track(callId, (signal) => ready().search.search(query, { ...options, signal }));
    },

    encode(callId, texts, kind) {
      return track(callId, (signal) => ready().search.encode(texts, kind, signal));
    },

    async clear() {
      await ready().search.clear();
    },

    async destroy() {
      if (state.kind === 'ready') {
        await state.search.destroy();
        await state.encoder.dispose();
      } else if (state.kind === 'failed' || state.kind === 'opening') {
        await IndexStore.destroy(state.name);
      }
      state = { kind: 'closed' };
    },

    async stats() {
      const s = ready();
      const stored = await s.search.counts();
      return {
        name: s.name,
        backend: s.backend,
        model: { ...s.encoder.info },
        docCount: s.search.size,
        encoderPasses: s.encoder.passes,
        index: s.search.index.stats(),
        stored,
        consistent: countsConsistent(stored),
      };
    },

    cancel(callId) {
      calls.get(callId)?.abort();
    },

    async close() {
      for (const ctl of calls.values()) ctl.abort();
      if (state.kind === 'ready') {
        state.search.close();
        await state.encoder.dispose().catch(() => undefined);
      }
      state = { kind: 'closed' };
    },

    crash() {
      deps.closeSelf();
    },
  };
  return api;
}

interface Opened {
  state: { search: PersistentSearch; encoder: M3Encoder; backend: Backend };
  report: OpenReport;
}

async function openIndex(
  deps: WorkerDeps,
  options: OpenOptions,
  signal: AbortSignal,
  onProgress: ((p: LoadProgress) => void) | undefined,
  onWarning: (w: SearchWarning) => void,
): Promise<Opened> {
  configureOrt(deps.ort.env, { wasmPaths: options.wasmPaths ?? deps.wasmPaths, numThreads: options.numThreads });
  const t0 = performance.now();
  // Remember fetched bytes, so a WebGPU failure falls back to WASM without downloading again.
  const source = memoSource(urlSource(options.model, { cacheName: options.modelCacheName }));
  const bytes = new Map<string, { loaded: number; total?: number }>();
  const load = (backend: Backend) =>
    loadEncoder(source, {
      ort: deps.ort,
      dtype: options.dtype,
      maxLength: options.maxLength,
      signal,
      sessionOptions: { executionProviders: executionProviders(backend) },
      onProgress: (p) => {
        bytes.set(p.file, { loaded: p.loaded, total: p.total });
        let loaded = 0;
        let total: number | undefined = 0;
        for (const b of bytes.values()) {
          loaded += b.loaded;
          total = total === undefined || b.total === undefined ? undefined : total + b.total;
        }
        onProgress?.({ phase: 'model', file: p.file, loaded, total });
      },
    });

  // The model loads while the stored index is read (PersistentSearch.open overlaps them).
  const loading = (async () => {
    let backend: Backend = 'wasm';
    let backendNote: string | undefined;
    let encoder: M3Encoder | undefined;
    if (options.backend === 'wasm') backendNote = "backend 'wasm' was requested";
    else {
      const probe = await probeWebGpu();
      if (!probe.ok) backendNote = probe.note;
      else {
        try {
          encoder = await load('webgpu');
          backend = 'webgpu';
        } catch (e) {
          if (signal.aborted) throw e;
          backendNote = `WebGPU (${probe.note}) could not run the model, using WASM: ${(e as Error).message}`;
        }
      }
    }
    encoder ??= await load('wasm');
    return { encoder, backend, backendNote, modelMs: performance.now() - t0 };
  })();
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
  const { encoder, backend, backendNote, modelMs } = await loading;
  const { search, report: restored } = opened;
  const report: OpenReport = {
    name: options.name,
    backend,
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

function memoSource(source: ModelSource): ModelSource {
  const files = new Map<string, Promise<Uint8Array | undefined>>();
  return {
    location: source.location,
    read(name, opts) {
      let p = files.get(name);
      if (p === undefined) {
        p = source.read(name, opts);
        files.set(name, p);
        p.catch(() => files.delete(name)); // a failed read may be retried
      }
      return p;
    },
  };
}

/** Calls a (possibly comlink-proxied) callback without waiting for, or failing on, the reply. */
function fire<P>(cb: ProgressCallback<P> | undefined, p: P): void {
  if (cb === undefined) return;
  try {
    void Promise.resolve(cb(p)).catch(() => undefined);
  } catch {
    // A throwing progress callback must not break indexing.
  }
}

/** Byte progress arrives per network chunk; forward at most every 50 ms (and always the last of a file). */
function throttle(cb: ProgressCallback<LoadProgress> | undefined): ((p: LoadProgress) => void) | undefined {
  if (cb === undefined) return undefined;
  let last = 0;
  return (p) => {
    const now = performance.now();
    const final = p.phase === 'restore' || p.total === undefined || p.loaded >= p.total;
    if (!final && now - last < 50) return;
    last = now;
    fire(cb, p);
  };
}

/** Frees the MessagePort behind a comlink-proxied callback (a no-op for plain functions). */
function release(cb: unknown): void {
  if (typeof cb !== 'function') return;
  const free = (cb as { [releaseProxy]?: unknown })[releaseProxy];
  if (typeof free === 'function') (free as () => void)();
}
