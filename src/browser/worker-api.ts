// The worker side of the protocol: serves either an index built in the page
// (open → add/search, persisted in IndexedDB) or a static-site index
// (openSite → searchSite). Each mode's code is imported on first use, so a
// static-site visitor downloads neither the other mode nor ONNX Runtime until
// a model is loaded. Kept free of `self`/comlink wiring (see
// workers/search.worker.ts) so it can be driven directly in tests.
import { releaseProxy } from 'comlink';
import { M3SearchError } from '../core/errors.js';
import type { M3Encoder } from '../model/encoder.js';
import type { OrtLoader } from './backend.js';
import type { PersistentSearch } from './persistent-search.js';
import type { Backend, LoadProgress, ProgressCallback, SiteStatus, WorkerApi } from './protocol.js';
import type { SiteSession } from './site-session.js';

export interface WorkerDeps {
  /** Imports ONNX Runtime for a backend, with the default location of its .wasm/.mjs files. */
  loadOrt: OrtLoader;
  /** Ends the worker at once (`self.close()`); used by the `crash` debug call. */
  closeSelf: () => void;
}

type State =
  | { kind: 'idle' }
  | { kind: 'opening'; name: string }
  | { kind: 'ready'; name: string; search: PersistentSearch; encoder: M3Encoder; backend: Backend }
  | { kind: 'opening-site'; index: string }
  | { kind: 'site'; index: string; session: SiteSession }
  /** `name`: the index name, or the site index URL when `site`. */
  | { kind: 'failed'; name: string; error: unknown; site: boolean }
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

  const notReady = (why: string) => new M3SearchError('NOT_READY', `The search is not ready: ${why}.`, { state: state.kind });
  const stateNote = () =>
    state.kind === 'idle' || state.kind === 'opening' || state.kind === 'opening-site'
      ? 'the index is still loading'
      : state.kind === 'failed'
        ? `opening failed: ${(state.error as Error)?.message ?? String(state.error)}`
        : state.kind === 'closed'
          ? 'the search was closed'
          : state.kind === 'site'
            ? 'this worker serves a static-site index (use searchSite)'
            : 'this worker serves an index built in the page (use search)';
  const ready = () => {
    if (state.kind === 'ready') return state;
    throw notReady(state.kind === 'opening' ? 'the model and the stored index are still loading' : stateNote());
  };
  const site = () => {
    if (state.kind === 'site') return state;
    throw notReady(stateNote());
  };
  const claim = () => {
    if (state.kind !== 'idle') throw new M3SearchError('INVALID_OPTION', 'This worker has already opened an index; create another search instead.');
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
          claim();
          state = { kind: 'opening', name: options.name };
          try {
            const { openIndex } = await import('./open-index.js');
            const opened = await openIndex(deps.loadOrt, options, signal, throttle(onProgress, loadFinal), (w) => fire(onWarning, w));
            state = { kind: 'ready', name: options.name, ...opened.state };
            return opened.report;
          } catch (e) {
            state = { kind: 'failed', name: options.name, error: e, site: false };
            throw e;
          }
        },
        onProgress,
        onWarning,
      );
    },

    openSite(callId, options, onStatus) {
      return track(callId, async () => {
        claim();
        state = { kind: 'opening-site', index: options.index };
        try {
          const { SiteSession } = await import('./site-session.js');
          // Status keeps flowing after open resolves (model, offline copy): the proxy lives as long as the worker.
          const status = throttle(onStatus, statusFinal) ?? (() => undefined);
          const { session, report } = await SiteSession.open(deps.loadOrt, options, status);
          if (state.kind !== 'opening-site') {
            await session.close(); // closed while opening
            throw notReady(stateNote());
          }
          state = { kind: 'site', index: options.index, session };
          return report;
        } catch (e) {
          if (state.kind === 'opening-site') state = { kind: 'failed', name: options.index, error: e, site: true };
          throw e;
        }
      });
    },

    searchSite(callId, query, options) {
      return track(callId, (signal) => site().session.search(query, options, signal));
    },

    async loadSiteModel() {
      site().session.requestModel();
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
      } else if ((state.kind === 'failed' && !state.site) || state.kind === 'opening') {
        const { IndexStore } = await import('./store.js');
        await IndexStore.destroy(state.name);
      } else if (state.kind === 'site') {
        await state.session.close(); // the offline copy is shared by every page of the site: kept
      }
      state = { kind: 'closed' };
    },

    async stats() {
      const s = ready();
      const stored = await s.search.counts();
      const { countsConsistent } = await import('./persistent-search.js'); // already loaded by open
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
      } else if (state.kind === 'site') {
        await state.session.close();
      }
      state = { kind: 'closed' };
    },

    crash(how = 'exit', when = 'now') {
      const fail = () => {
        if (how === 'exit') deps.closeSelf();
        else if (how === 'throw') {
          // Outside any promise chain, as a bug in a callback would be: the worker's `error` event.
          setTimeout(() => {
            throw new Error('m3search test: an uncaught error in the worker');
          });
        } else exhaustHeap();
      };
      if (when === 'now' || state.kind !== 'ready') fail();
      else state.search.duringNextWrite(fail);
    },
  };
  return api;
}

/** Allocates until the JavaScript heap is exhausted: the engine kills the worker's isolate (in Chromium, its renderer). */
function exhaustHeap(): never {
  const hog: unknown[][] = [];
  for (;;) hog.push(new Array<number>(1 << 20).fill(hog.length));
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

/**
 * Byte progress arrives per network chunk; forward at most every 50 ms, and
 * always what `final` accepts (the last chunk of a file, any other event).
 */
function throttle<P>(cb: ProgressCallback<P> | undefined, final: (p: P) => boolean): ((p: P) => void) | undefined {
  if (cb === undefined) return undefined;
  let last = 0;
  return (p) => {
    const now = performance.now();
    if (!final(p) && now - last < 50) return;
    last = now;
    fire(cb, p);
  };
}

const loadFinal = (p: LoadProgress): boolean => p.phase === 'restore' || p.total === undefined || p.loaded >= p.total;
const statusFinal = (s: SiteStatus): boolean => s.kind !== 'model-progress' || s.total === undefined || s.loaded >= s.total;

/** Frees the MessagePort behind a comlink-proxied callback (a no-op for plain functions). */
function release(cb: unknown): void {
  if (typeof cb !== 'function') return;
  const free = (cb as { [releaseProxy]?: unknown })[releaseProxy];
  if (typeof free === 'function') (free as () => void)();
}
