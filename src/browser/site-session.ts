// A static-site index inside the search worker: the manifest and shards (from
// the network, or the IndexedDB copy when offline; keyword mode from the
// start, with no model and no tokenizer), the encoder (hybrid mode once the model has arrived,
// through the same ONNX Runtime set-up as createSearch) and the background
// offline copy. Imported by the worker on demand.
import { isM3SearchError, M3SearchError, type ErrorCode } from '../core/errors.js';
import type { M3Encoder } from '../model/encoder.js';
import { urlSource } from '../model/source.js';
import { checkManifest, invalidFile, isOfflineError, verifyFileHash, verifyManifestBuild } from '../site/integrity.js';
import { SiteIndexReader } from '../site/query.js';
import { searchSite, type SiteResults } from '../site/search.js';
import type { SiteManifest } from '../site/types.js';
import type { OrtLoader } from './backend.js';
import type { SiteOpenOptions, SiteOpenReport, SiteQueryOptions, SiteStatus } from './protocol.js';
import { Serial } from '../engine/serial.js';
import { SiteStore } from './site-store.js';
import { ByteLru } from '../site/byte-lru.js';

/** With an offline copy at hand, a slow network is not waited on for longer than this. */
const NETWORK_GRACE_MS = 2500;
/** Bytes fetched over the network kept for the offline copy until it is saved (least recently used go first, to be fetched again). */
const FETCHED_BYTES = 16 << 20;
/** The model download waits for the first answer, or this long when no query comes. */
const FIRST_QUERY_GRACE_MS = 1000;
/** …and then this long, so the page shows the keyword answer before anything else is fetched. */
const AFTER_ANSWER_MS = 300;
/** The offline copy starts once no query has run for this long: it never competes with a visitor's searches. */
const OFFLINE_IDLE_MS = 4000;

export class SiteSession {
  private encoder?: M3Encoder;
  /** The model this page may load, and whether its download has started. */
  private model: { url: string; bytes?: number } | undefined;
  private modelRequested = false;
  /** Settles once the model has loaded or failed (set when its download starts). */
  private modelSettled: Promise<void> | undefined;
  private closed = false;
  private readonly stop = new AbortController();
  /** One query at a time: ONNX sessions do not run concurrently, and typing fires overlapping searches. */
  private readonly queries = new Serial();
  private answeredFirst!: () => void;
  /** When the last query settled (0: none yet), and how many are running. */
  private lastQueryAt = 0;
  private running = 0;
  /** The build whose missing file made this session take the current manifest (once per build). */
  private reloadedFrom?: string;
  /** Settles when the first query has been answered (or has failed). */
  private readonly firstAnswer = new Promise<void>((r) => (this.answeredFirst = r));

  private constructor(
    private readonly options: SiteOpenOptions,
    private readonly loadOrt: OrtLoader,
    private readonly status: (s: SiteStatus) => void,
    private readonly store: SiteStore | undefined,
    // Replaced together when a rebuild is found (reloadManifest).
    private manifest: SiteManifest,
    private manifestText: string,
    private reader: SiteIndexReader,
    /** Files fetched over the network this session, handed to the offline copy so nothing is downloaded twice. */
    private readonly fetched: ByteLru<Uint8Array>,
  ) {}

  /** Resolves once keyword search works; the model and the offline copy follow in the background. */
  static async open(loadOrt: OrtLoader, options: SiteOpenOptions, status: (s: SiteStatus) => void): Promise<{ session: SiteSession; report: SiteOpenReport }> {
    const index = options.index;
    const store = await SiteStore.open();
    const saved = await store?.current(index).catch(() => undefined);
    const netFetch = fetchFile(index, 'manifest.json', { cache: 'no-cache' }).then(
      (b) => ({ ok: true as const, text: new TextDecoder().decode(b) }),
      (e: unknown) => ({ ok: false as const, error: e }),
    );
    const net = saved ? await Promise.race([netFetch, delay(NETWORK_GRACE_MS).then(() => undefined)]) : await netFetch;
    let text: string;
    let source: SiteOpenReport['source'];
    if (net?.ok) {
      text = net.text;
      source = 'network';
    } else if (saved) {
      text = saved.manifest;
      source = 'offline-copy';
    } else {
      const why = net && !net.ok ? (net.error as Error).message : 'no answer';
      throw new M3SearchError('INVALID_INDEX', `Cannot load the search index: ${why}, and there is no offline copy.`, { file: `${index}manifest.json` });
    }
    const manifest = await parseManifest(text, `${index}manifest.json`);
    const usable = saved?.build === manifest.build ? new Set(saved.files) : new Set<string>();
    const fetched = new ByteLru<Uint8Array>(store ? FETCHED_BYTES : 0); // nothing to hand over without IndexedDB
    const reader = openBuild(index, manifest, store, usable, fetched);
    status({ kind: 'index', source, build: manifest.build, passages: manifest.counts.passages });
    const session = new SiteSession(options, loadOrt, status, store, manifest, text, reader, fetched);
    status({ kind: 'keyword-ready' });

    // A keyword-only index has no model to load, whatever the page says; nor has a doc-only one
    // (its queries are built from the shipped vocabulary: reader.idfQuery).
    const wantsModel = options.model !== 'none' && Boolean(manifest.model) && !reader.inferenceFree;
    // The page's model, else the copy beside the index, else the preset's hub folder.
    const copied = manifest.model?.path ? new URL(manifest.model.path, index).href : undefined;
    let presetUrl: string | undefined;
    let presetError: unknown;
    if (wantsModel && options.preset !== undefined) {
      try {
        // The preset table comes only with a preset: keyword-first pages never download it.
        const { getPreset } = await import('../model/presets.js');
        presetUrl = getPreset(options.preset).url;
      } catch (e) {
        presetError = e; // reported as a model error below: keyword search goes on
      }
    }
    const model = wantsModel && presetError === undefined ? (options.model ?? copied ?? presetUrl) : undefined;
    if (presetError !== undefined) session.error('model', presetError, 'INVALID_OPTION');
    if (model) {
      // The copied model's size is known (manifest); a model at another URL is sized by its download.
      session.model = { url: model, bytes: model === copied ? manifest.model?.bytes : undefined };
      if (options.modelLoad === 'on-request') status({ kind: 'model-available', ...session.model });
      else session.requestModel();
    }
    if (store && saved?.build !== manifest.build && source === 'network') void session.saveOffline();
    else if (saved?.build === manifest.build) status({ kind: 'offline-saved', build: manifest.build, files: saved.files.length });
    const report: SiteOpenReport = { build: manifest.build, siteRoot: new URL(manifest.siteRoot, index).href, source, passages: manifest.counts.passages, hasModel: Boolean(model), modelId: manifest.model?.id ?? null };
    return { session, report };
  }

  async search(query: string, opts: SiteQueryOptions, signal: AbortSignal): Promise<SiteResults> {
    this.running++;
    const answer = this.queries.run(async () => {
      if (signal.aborted) throw new M3SearchError('ABORTED', 'The operation was cancelled.');
      try {
        return await this.searchOnce(query, opts);
      } catch (e) {
        // A file of this build is gone (a rebuild, then another, while the page stayed open):
        // take the current manifest once and ask again, rather than failing until a reload.
        const status = isM3SearchError(e, 'INVALID_INDEX') ? e.details?.status : undefined;
        if ((status !== 404 && status !== 410) || this.reloadedFrom === this.manifest.build) throw e;
        this.reloadedFrom = this.manifest.build;
        if (!(await this.reloadManifest())) throw e;
        return await this.searchOnce(query, opts);
      }
    });
    void answer
      .finally(() => {
        this.running--;
        this.lastQueryAt = Date.now();
        this.answeredFirst();
      })
      .catch(() => undefined);
    return answer;
  }

  private async searchOnce(query: string, opts: SiteQueryOptions): Promise<SiteResults> {
    const encoder = this.encoder;
    // A doc-only index answers by learned sparse from the first query, with no model.
    const mode = opts.mode ?? (encoder ? 'hybrid' : this.reader.inferenceFree ? 'sparse' : 'keyword');
    try {
      return await searchSite(this.reader, query, { multiVectorBudget: this.options.multiVectorBudget, ...opts, mode, encoder });
    } catch (e) {
      if (isM3SearchError(e)) throw e;
      throw new M3SearchError('INVALID_INDEX', `Searching ${this.options.index} failed: ${(e as Error).message}`, { index: this.options.index });
    }
  }

  /** Switches to the build manifest.json names now; false when it is still this one. */
  private async reloadManifest(): Promise<boolean> {
    const index = this.options.index;
    const text = new TextDecoder().decode(await fetchFile(index, 'manifest.json', { cache: 'no-cache' }));
    const manifest = await parseManifest(text, `${index}manifest.json`);
    if (manifest.build === this.manifest.build) return false;
    const reader = openBuild(index, manifest, this.store, new Set(), this.fetched);
    this.emit({ kind: 'index', source: 'network', build: manifest.build, passages: manifest.counts.passages });
    this.manifest = manifest;
    this.manifestText = text;
    this.reader = reader;
    if (this.encoder && this.encoder.info.fingerprint !== manifest.model?.fingerprint) {
      // The site was rebuilt with another model: keyword search until the page reloads.
      void this.encoder.dispose().catch(() => undefined);
      this.encoder = undefined;
    }
    if (this.store) {
      this.fetched.resize(FETCHED_BYTES);
      void this.saveOffline();
    }
    return true;
  }

  /** The model downloads only after the first keyword answer has been shown: nothing delays it. */
  private async firstQuerySettled(): Promise<void> {
    await Promise.race([this.firstAnswer, delay(FIRST_QUERY_GRACE_MS)]);
    await delay(AFTER_ANSWER_MS);
  }

  /**
   * Resolves once the model has loaded (when it is loading) and no query has run for
   * OFFLINE_IDLE_MS: the offline copy is background work, so it competes neither with the
   * model download nor with the first hybrid query, which (with a 1-bit pass) needs only a
   * fraction of the dense rows the copy holds.
   */
  private async idle(): Promise<void> {
    await this.firstQuerySettled();
    // A model that just loaded re-runs the query on screen (hybrid): the quiet period starts now.
    const from = this.modelSettled ? (await this.modelSettled, Date.now()) : 0;
    for (;;) {
      const wait = this.running > 0 ? OFFLINE_IDLE_MS : Math.max(this.lastQueryAt, from) + OFFLINE_IDLE_MS - Date.now();
      if (wait <= 0 || this.closed) return;
      await delay(wait);
    }
  }

  /** Stops the model download and the offline copy, and releases the encoder. */
  async close(): Promise<void> {
    this.closed = true;
    this.stop.abort();
    await this.queries.run(async () => {
      await this.encoder?.dispose().catch(() => undefined);
      this.encoder = undefined;
    });
  }

  private emit(s: SiteStatus): void {
    if (!this.closed) this.status(s);
  }

  private error(where: 'model' | 'offline', e: unknown, fallback: ErrorCode): void {
    if (this.closed) return;
    const code = isM3SearchError(e) ? e.code : fallback;
    this.emit({ kind: 'error', where, code, message: (e as Error)?.message ?? String(e) });
  }

  /** Starts the model download (once; none without a model). */
  requestModel(): void {
    if (!this.model || this.modelRequested || this.closed) return;
    this.modelRequested = true;
    this.modelSettled = this.loadModel(this.model.url, this.model.bytes);
  }

  private async loadModel(url: string, bytes: number | undefined): Promise<void> {
    this.emit({ kind: 'model-loading', url, ...(bytes === undefined ? {} : { bytes }) });
    try {
      await this.firstQuerySettled();
      // The model-loading code comes with the model, not before the first keyword result.
      const { loadWebEncoder } = await import('./backend.js');
      const { encoder, backend, backendNote, wasmThreads } = await loadWebEncoder(urlSource(url), {
        loadOrt: this.loadOrt,
        backend: this.options.backend,
        // The file the index was encoded with, unless the page asks otherwise.
        dtype: this.options.dtype ?? (/(^|\/)model\.onnx$/.test(this.manifest.model?.onnxFile ?? '') ? 'fp32' : 'q8'),
        // Pooling and prefixes as the passages were encoded (a preset's, when the folder has no m3search.json);
        // the page's preset fills in only what an older manifest did not record.
        ...(this.options.preset === undefined ? {} : { preset: this.options.preset }),
        ...(this.manifest.model?.conventions ? { conventions: this.manifest.model.conventions } : {}),
        wasmPaths: this.options.wasmPaths,
        numThreads: this.options.numThreads,
        signal: this.stop.signal,
        onProgress: (p) => this.emit({ kind: 'model-progress', loaded: p.loaded, total: p.total }),
      });
      const want = this.manifest.model?.fingerprint;
      if (encoder.info.fingerprint !== want || this.closed) {
        await encoder.dispose();
        if (this.closed) return;
        throw new M3SearchError('MODEL_MISMATCH', `The model at ${url} (${encoder.info.fingerprint}) is not the one the index was built with (${want}); staying with keyword search.`, { model: url, fingerprint: encoder.info.fingerprint, expected: want });
      }
      this.encoder = encoder;
      this.emit({ kind: 'hybrid-ready', backend, wasmThreads, ...(backendNote === undefined ? {} : { backendNote }) });
    } catch (e) {
      this.error('model', e, 'MODEL_FILES');
    }
  }

  /** Downloads every file of this build into IndexedDB, then switches the copy over in one transaction. */
  private async saveOffline(): Promise<void> {
    const { store, manifest, reader } = this;
    const index = this.options.index;
    if (!store) return;
    try {
      await this.idle();
      const files = reader.offlineFiles();
      const have = await store.have(index, files);
      // Every name carries its content hash: a stored file of that name is the right one.
      const missing = files.filter((f) => !have.has(f));
      let done = files.length - missing.length;
      const queue = [...missing];
      const next = async (): Promise<void> => {
        for (let f = queue.shift(); f !== undefined && !this.closed; f = queue.shift()) {
          const b = this.fetched.get(f) ?? (await fetchFile(index, f));
          // Nothing unverified goes into the copy a later visit trusts (cached: free for files a query already checked).
          await verifyFileHash(f, b, `${index}${f}`);
          await store.putFiles(index, [[f, b]]);
          this.fetched.delete(f); // stored: IndexedDB holds it now
          this.emit({ kind: 'offline-saving', done: ++done, total: files.length });
        }
      };
      await Promise.all(Array.from({ length: 6 }, next));
      // The stemmers are script chunks a query imports on first need: fetch them now, while online,
      // so the HTTP cache and the service worker hold them for an offline visit.
      await reader.loadAllStemmers();
      // A newer build took over while this one was saving: that build saves itself.
      if (this.closed || manifest !== this.manifest) return;
      await store.commit(index, manifest.build, this.manifestText, files);
      this.fetched.resize(0); // saved: nothing fetched later needs keeping for it
      this.emit({ kind: 'offline-saved', build: manifest.build, files: files.length });
    } catch (e) {
      this.error('offline', e, 'STORAGE');
    }
  }
}

/**
 * A build's reader: the IndexedDB copy first for the files in `usable`, then
 * the network; what the network gave is put in `fetched` for the offline copy.
 */
function openBuild(index: string, manifest: SiteManifest, store: SiteStore | undefined, usable: ReadonlySet<string>, fetched: ByteLru<Uint8Array>): SiteIndexReader {
  // Only what the offline copy stores is kept for it: never the multi-vector shards.
  let offline: Set<string> | undefined;
  /**
   * The IndexedDB copy first (when it holds this build and its bytes still
   * hash to the name), then the network; a damaged stored file is replaced
   * by the downloaded one. The reader checks sizes, hashes and contents of
   * whatever this returns.
   */
  const load = async (name: string): Promise<Uint8Array> => {
    let damaged = false;
    if (usable.has(name)) {
      const b = await store?.file(index, name).catch(() => undefined);
      if (b) {
        const ok = await verifyFileHash(name, b).then(() => true, () => false);
        if (ok) return b;
        damaged = true;
      }
    }
    let b: Uint8Array;
    try {
      b = await fetchFile(index, name);
    } catch (e) {
      if (damaged && isOfflineError(e)) throw invalidFile(`${index}${name}`, `The offline copy of ${index}${name} is corrupt and the network cannot be reached to fetch it again.`, 'hash');
      throw e;
    }
    offline ??= new Set(reader.offlineFiles());
    if (offline.has(name)) fetched.set(name, b, b.length);
    if (damaged) await verifyFileHash(name, b, `${index}${name}`).then(() => store?.putFiles(index, [[name, b]])).catch(() => undefined);
    return b;
  };
  const reader = new SiteIndexReader(manifest, load);
  return reader;
}

/**
 * Fetches one index file; any failure is INVALID_INDEX naming the file (and
 * the HTTP status). `reason: 'offline'` only when the request never got an
 * answer (fetch's network TypeError, or the browser says it is offline): an
 * HTTP error or a cut-off body is a broken index, not a missing network.
 */
async function fetchFile(index: string, name: string, init?: RequestInit): Promise<Uint8Array> {
  const url = new URL(name, index).href;
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (e) {
    const offline = e instanceof TypeError || (typeof navigator !== 'undefined' && navigator.onLine === false);
    throw invalidFile(url, `Cannot fetch ${url}: ${(e as Error).message}${offline ? ' (offline)' : ''}`, offline ? 'offline' : 'http');
  }
  if (!res.ok) throw invalidFile(url, `Cannot fetch ${url}: HTTP ${res.status}`, 'http', { status: res.status });
  try {
    return new Uint8Array(await res.arrayBuffer());
  } catch (e) {
    throw invalidFile(url, `Cannot fetch ${url}: the body broke off (${(e as Error).message})`, 'http');
  }
}

function parseJson(bytes: Uint8Array | string, file: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(typeof bytes === 'string' ? bytes : new TextDecoder().decode(bytes));
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new M3SearchError('INVALID_INDEX', `${file} is not valid JSON: ${(e as Error).message}`, { file });
  }
}

/** The manifest's shape and build hash, from the network or the offline copy alike; the reader checks each shard as it loads it. */
async function parseManifest(text: string, file: string): Promise<SiteManifest> {
  const m = checkManifest(parseJson(text, file), file);
  await verifyManifestBuild(m, file);
  return m;
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
