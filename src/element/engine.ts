// The search worker's state: the index (network, or the IndexedDB copy when
// offline), the tokenizer (lexical mode from the start), the encoder (hybrid
// mode once the model has arrived) and the background offline copy.
import type { InferenceSession } from 'onnxruntime-common';
import { probeWebGpu } from '../browser/backend.js';
import { Serial } from '../engine/serial.js';
import type { M3Encoder, OrtRuntime } from '../model/encoder.js';
import { loadEncoder } from '../model/load.js';
import { urlSource } from '../model/source.js';
import { createTokenizer, type JsonObject, type M3Tokenizer } from '../model/tokenizer.js';
import { SiteIndexReader } from '../site/query.js';
import { searchSite, type SiteResults } from '../site/search.js';
import type { SiteManifest } from '../site/types.js';
import type { OpenInfo, OpenOptions, Status } from './protocol.js';
import { SiteStore } from './store.js';

const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json'];

export class SiteEngine {
  private reader?: SiteIndexReader;
  private manifestText = '';
  private tokenizer?: M3Tokenizer;
  private encoder?: M3Encoder;
  private store?: SiteStore;
  private indexUrl = '';
  private multiBudget?: number;
  /** Files fetched over the network this session, handed to the offline copy so nothing is downloaded twice. */
  private readonly fetched = new Map<string, Uint8Array>();
  private readonly queries = new Serial();
  private status: (s: Status) => void = () => {};
  private opening?: Promise<OpenInfo>;

  open(opts: OpenOptions, onStatus: (s: Status) => void): Promise<OpenInfo> {
    this.status = onStatus;
    this.opening ??= this.doOpen(opts);
    return this.opening;
  }

  private async doOpen(opts: OpenOptions): Promise<OpenInfo> {
    this.indexUrl = opts.indexUrl;
    this.multiBudget = opts.multiBudget;
    this.store = await SiteStore.open();
    const saved = await this.store?.current(this.indexUrl);
    let source: OpenInfo['source'];
    // With an offline copy at hand, a slow network is not waited on for long.
    const netFetch = this.fetchText('manifest.json').catch(() => undefined);
    const net = saved ? await Promise.race([netFetch, new Promise<undefined>((r) => setTimeout(r, 2500))]) : await netFetch;
    if (net !== undefined) {
      this.manifestText = net;
      source = 'network';
    } else if (saved) {
      this.manifestText = saved.manifest;
      source = 'offline-copy';
    } else {
      throw new Error(`cannot load ${this.indexUrl}manifest.json and there is no offline copy`);
    }
    const manifest = JSON.parse(this.manifestText) as SiteManifest;
    const usable = saved?.build === manifest.build ? new Set(saved.files) : new Set<string>();
    this.reader = new SiteIndexReader(manifest, (f) => this.loadFile(f, usable));
    this.status({ kind: 'index', source, build: manifest.build, passages: manifest.counts.passages });

    const tok = manifest.tokenizer;
    const [json, config] = await Promise.all(TOKENIZER_FILES.map((f) => this.loadFile(tok + f, usable).catch(() => undefined)));
    if (!json) throw new Error(`the index has no ${tok}tokenizer.json`);
    this.tokenizer = createTokenizer(parse(json), config ? parse(config) : {});
    this.status({ kind: 'lexical-ready' });

    const modelUrl = opts.modelUrl === 'none' ? undefined : (opts.modelUrl ?? (manifest.model.path ? new URL(manifest.model.path, this.indexUrl).href : undefined));
    if (modelUrl) void this.loadModel(modelUrl, manifest);
    if (this.store && saved?.build !== manifest.build && source === 'network') void this.saveOffline(manifest);
    else if (saved?.build === manifest.build) this.status({ kind: 'offline-saved', build: manifest.build, files: saved.files.length });
    return {
      build: manifest.build,
      siteRoot: new URL(manifest.siteRoot, this.indexUrl).href,
      source,
      passages: manifest.counts.passages,
      hasModel: Boolean(modelUrl),
    };
  }

  async search(query: string, k = 10): Promise<SiteResults> {
    await this.opening;
    const { reader, tokenizer } = this;
    if (!reader || !tokenizer) throw new Error('the index is not open');
    const mode = this.encoder ? 'hybrid' : 'lexical';
    // One query at a time: ONNX sessions do not run concurrently, and typing fires overlapping searches.
    return this.queries.run(() => searchSite(reader, query, { mode, k, tokenizer, encoder: this.encoder, multiVectorBudget: this.multiBudget }));
  }

  /** IndexedDB copy first (when it holds this build), then the network. */
  private async loadFile(name: string, usable: ReadonlySet<string>): Promise<Uint8Array> {
    if (usable.has(name)) {
      const b = await this.store?.file(this.indexUrl, name).catch(() => undefined);
      if (b) return b;
    }
    const res = await fetch(new URL(name, this.indexUrl));
    if (!res.ok) throw new Error(`${name}: HTTP ${res.status}`);
    const b = new Uint8Array(await res.arrayBuffer());
    this.fetched.set(name, b);
    return b;
  }

  private async fetchText(name: string): Promise<string> {
    const res = await fetch(new URL(name, this.indexUrl), { cache: 'no-cache' });
    if (!res.ok) throw new Error(`${name}: HTTP ${res.status}`);
    return res.text();
  }

  private async loadModel(modelUrl: string, manifest: SiteManifest): Promise<void> {
    this.status({ kind: 'model-loading', url: modelUrl });
    try {
      const gpu = await probeWebGpu();
      // WebGPU needs ORT's JSEP build (~28 MB of wasm); the plain WASM build is half that.
      const ort = (gpu.ok ? await import('onnxruntime-web') : await import('onnxruntime-web/wasm')) as unknown as OrtRuntime & {
        env: { wasm: { wasmPaths?: unknown; numThreads?: number; proxy?: boolean } };
      };
      // The bundle ships ORT's .mjs glue and .wasm beside this worker script, so no CDN is contacted.
      ort.env.wasm.wasmPaths = new URL('./', self.location.href).href;
      ort.env.wasm.numThreads = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
      ort.env.wasm.proxy = false;
      const files = new Map<string, { loaded: number; total: number }>();
      const encoder = await loadEncoder(urlSource(modelUrl), {
        ort,
        sessionOptions: { executionProviders: gpu.ok ? ['webgpu', 'wasm'] : ['wasm'] } as InferenceSession.SessionOptions,
        onProgress: (p) => {
          // Progress comes per file: sum what is known of every file seen so far.
          files.set(p.file, { loaded: p.loaded, total: p.total ?? p.loaded });
          const all = [...files.values()];
          this.status({ kind: 'model-progress', loaded: all.reduce((a, f) => a + f.loaded, 0), total: all.reduce((a, f) => a + f.total, 0) });
        },
      });
      if (encoder.info.fingerprint !== manifest.model.fingerprint) {
        await encoder.dispose();
        throw new Error(`the model at ${modelUrl} (${encoder.info.fingerprint}) is not the one the index was built with (${manifest.model.fingerprint}); staying with keyword search`);
      }
      this.encoder = encoder;
      this.status({ kind: 'hybrid-ready', backend: gpu.ok ? 'webgpu' : 'wasm' });
    } catch (e) {
      this.status({ kind: 'error', where: 'model', message: (e as Error).message });
    }
  }

  /** Downloads every file of this build into IndexedDB, then switches the copy over in one transaction. */
  private async saveOffline(manifest: SiteManifest): Promise<void> {
    const store = this.store;
    const reader = this.reader;
    if (!store || !reader) return;
    try {
      // Let the first query's own fetches go first.
      await new Promise((r) => setTimeout(r, 300));
      const files = [...reader.offlineFiles(), ...TOKENIZER_FILES.map((f) => manifest.tokenizer + f)];
      const have = await store.have(this.indexUrl, files);
      // Shard names carry their content hash; the tokenizer's do not, so a new build always stores them again.
      const missing = files.filter((f) => !have.has(f) || f.startsWith(manifest.tokenizer));
      const absent = new Set<string>();
      let done = files.length - missing.length;
      const queue = [...missing];
      const worker = async (): Promise<void> => {
        for (let f = queue.shift(); f !== undefined; f = queue.shift()) {
          let b = this.fetched.get(f);
          if (!b) {
            const res = await fetch(new URL(f, this.indexUrl));
            if (res.status === 404 && f.startsWith(manifest.tokenizer)) {
              absent.add(f); // tokenizer_config.json is optional
              continue;
            }
            if (!res.ok) throw new Error(`${f}: HTTP ${res.status}`);
            b = new Uint8Array(await res.arrayBuffer());
          }
          await store.putFiles(this.indexUrl, [[f, b]]);
          this.status({ kind: 'offline-saving', done: ++done, total: files.length });
        }
      };
      await Promise.all(Array.from({ length: 6 }, worker));
      const stored = files.filter((f) => !absent.has(f));
      await store.commit(this.indexUrl, manifest.build, this.manifestText, stored);
      this.status({ kind: 'offline-saved', build: manifest.build, files: stored.length });
    } catch (e) {
      this.status({ kind: 'error', where: 'offline', message: (e as Error).message });
    }
  }
}

function parse(b: Uint8Array): JsonObject {
  return JSON.parse(new TextDecoder().decode(b)) as JsonObject;
}
