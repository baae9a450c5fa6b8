// The engine with an IndexedDB store: `open` restores the stored records into
// the in-memory index (overlapping the model load) and hands the engine the
// store, so every add, remove and search is the engine's own (windows, batch
// commits, resume by content hash) — this class adds only the database's
// life cycle: open, restore, warnings, counts, close, delete — and, through
// ./cross-tab.ts, keeps the in-memory index in step with other tabs' writes.
import type { Encoder } from '../core/encoder.js';
import { M3SearchError } from '../core/errors.js';
import { resolveIndexOptions } from '../core/options.js';
import { SearchIndex } from '../core/search-index.js';
import type { Doc, Encoded, Hit, IndexOptions } from '../core/types.js';
import { M3Search, type AddOptions, type AddReport, type EngineSearchOptions, type RemoveReport } from '../engine/engine.js';
import type { LoadProgress, SearchWarning, SkippedRecord } from './protocol.js';
import { CrossTab } from './cross-tab.js';
import { IndexStore, type IndexMeta, type MismatchPolicy, type OpenedStore, type StoreCounts } from './store.js';

export interface PersistentOpenOptions {
  name: string;
  /** Quantization for a new index; an existing index keeps its own. */
  storage?: IndexOptions;
  onMismatch?: MismatchPolicy;
  onProgress?: (p: Extract<LoadProgress, { phase: 'restore' }>) => void;
  onWarning?: (w: SearchWarning) => void;
  /** Documents read per IndexedDB transaction while restoring (default: one pack, 1,024). */
  restoreChunk?: number;
}

export interface RestoreReport {
  restored: number;
  skipped: SkippedRecord[];
  rebuilt?: 'MODEL_MISMATCH' | 'SCHEMA_MISMATCH';
  created: boolean;
  /** Reading the stored records and rebuilding the in-memory index. */
  restoreMs: number;
  /** The part of restoreMs spent building the in-memory index (the rest is reading IndexedDB). */
  buildMs: number;
  /** The whole open: the model load (when given as a promise) and the restore overlap in it. */
  openMs: number;
}

export class PersistentSearch {
  /** The engine: every add, remove and search goes through it, with this index's IndexedDB store. */
  readonly engine: M3Search;
  private readonly store: IndexStore;
  private readonly sync: CrossTab;
  readonly name: string;

  private constructor(name: string, store: IndexStore, restored: Restored, encoder: Encoder, onWarning?: (w: SearchWarning) => void) {
    this.name = name;
    this.store = store;
    this.sync = new CrossTab(name, store, restored.meta.generation ?? 0, (skipped) =>
      onWarning?.({
        code: 'CORRUPT_RECORD',
        message: `${skipped.length} document(s) another tab stored in "${name}" could not be read and were left out: ${skipped
          .slice(0, 5)
          .map((s) => `"${s.id}" (${s.reason})`)
          .join('; ')}. Add them again to repair.`,
        details: { skipped: skipped.slice(0, 100) },
      }),
    );
    this.onWarning = onWarning;
    this.engine = new M3Search(encoder, restored.index, { store: this.sync.asStore(), hashes: restored.hashes, loadMulti: (ids) => this.loadTokens(ids) });
    this.sync.attach((change) => this.engine.applyStored(change));
  }

  private readonly onWarning: ((w: SearchWarning) => void) | undefined;

  /**
   * Reads the token vectors of these entries (ranking's candidates) into the
   * index. One that does not match what its record announced may be another
   * tab's newer version: memory catches up with the store once, and what
   * still does not match is left out and reported, as at restore.
   */
  private async loadTokens(ids: readonly string[], caughtUp = false): Promise<void> {
    const wanted = ids.flatMap((id) => {
      const want = this.engine.index.deferredMulti(id);
      return want === undefined ? [] : [{ id, want }];
    });
    if (wanted.length === 0) return;
    const { loaded, problems } = await this.store.readTokens(wanted);
    const failed = [...problems];
    for (const { id, multi } of loaded) {
      try {
        this.engine.index.provideMulti(id, multi);
      } catch (e) {
        failed.push({ id, reason: (e as Error).message });
      }
    }
    if (failed.length === 0) return;
    if (!caughtUp) {
      await this.sync.refresh();
      return this.loadTokens(failed.map((f) => f.id), true);
    }
    const still = failed.filter((f) => this.engine.index.deferredMulti(f.id) !== undefined);
    if (still.length === 0) return;
    this.engine.applyStored({ cleared: false, puts: [], removes: still.map((f) => f.id) });
    this.onWarning?.({
      code: 'CORRUPT_RECORD',
      message: `${still.length} stored document(s) of "${this.name}" could not be read and were left out: ${still
        .slice(0, 5)
        .map((s) => `"${s.id}" (${s.reason})`)
        .join('; ')}. Add them again to repair, or remove() them.`,
      details: { skipped: still.slice(0, 100) },
    });
  }

  /**
   * Opens the stored index for this model (checking model and schema) and
   * loads it into memory. `encoder` may still be loading: the stored records
   * are read meanwhile (IndexedDB reads overlap the model download and WASM
   * compile) and kept only if the loaded model turns out to match them.
   */
  static async open(encoder: Encoder | Promise<Encoder>, opts: PersistentOpenOptions): Promise<{ search: PersistentSearch; report: RestoreReport }> {
    const t0 = performance.now();
    const requested = resolveIndexOptions(opts.storage);
    let stop = false;
    const early = preload(opts, () => stop);
    const settle = async () => {
      stop = true;
      await early;
    };
    let enc: Encoder;
    let opened: OpenedStore;
    try {
      enc = await encoder;
      const { info } = enc;
      opened = await IndexStore.open({
        name: opts.name,
        model: { modelId: info.modelId, fingerprint: info.fingerprint, denseDim: info.denseDim, multiDim: info.multiDim },
        storage: requested,
        onMismatch: opts.onMismatch,
      });
    } catch (e) {
      await settle();
      throw e;
    }
    const { store, meta } = opened;
    let search: PersistentSearch | undefined;
    try {
      if (opts.storage && !sameStorage(meta.storage, requested)) {
        opts.onWarning?.({
          code: 'STORAGE_OPTIONS_IGNORED',
          message: `The index "${opts.name}" is stored as ${describeStorage(meta.storage)}; the requested ${describeStorage(requested)} applies only to a new index (clear() or delete() it first).`,
          details: { stored: meta.storage, requested },
        });
      }
      let restored = opened.rebuilt ? undefined : await early;
      // Written by another tab meanwhile, or read before a rebuild: read again, now under the checked connection.
      if (restored !== undefined && !sameState(restored.meta, meta)) restored = undefined;
      if (opened.rebuilt) await settle();
      restored ??= (await restore(store, meta, opts, () => false)) ?? fail('restore stopped unasked');
      search = new PersistentSearch(opts.name, store, restored, enc, opts.onWarning);
      // Another tab may have written while the records were read: take that in before the first call.
      await search.sync.refresh();
      await search.warnAbout(restored.skipped, opts);
      const report: RestoreReport = { restored: search.size, skipped: restored.skipped, created: opened.created, restoreMs: restored.ms, buildMs: restored.buildMs, openMs: performance.now() - t0 };
      if (opened.rebuilt) report.rebuilt = opened.rebuilt;
      return { search, report };
    } catch (e) {
      await settle().catch(() => undefined);
      search?.close();
      store.close();
      throw e;
    }
  }

  get index(): SearchIndex {
    return this.engine.index;
  }

  /** Documents (a windowed document counts once). */
  get size(): number {
    return this.engine.size;
  }

  get meta(): Readonly<IndexMeta> {
    return this.store.meta;
  }

  add(docs: readonly Doc[], opts?: AddOptions): Promise<AddReport> {
    return this.engine.add(docs, opts);
  }

  update(docs: readonly Doc[], opts?: AddOptions): Promise<AddReport> {
    return this.engine.update(docs, opts);
  }

  remove(ids: readonly string[]): Promise<RemoveReport> {
    return this.engine.remove(ids);
  }

  search(query: string, opts?: EngineSearchOptions): Promise<Hit[]> {
    return this.engine.search(query, opts);
  }

  encode(texts: readonly string[], kind: 'query' | 'passage', signal?: AbortSignal): Promise<Encoded[]> {
    return this.engine.encode(texts, kind, signal);
  }

  clear(): Promise<void> {
    return this.engine.clear();
  }

  counts(): Promise<StoreCounts> {
    return this.store.counts();
  }

  close(): void {
    this.sync.close();
    this.store.close();
  }

  /** Test hook: `fault` runs inside the next write transaction, before it commits (a crash mid-write). */
  duringNextWrite(fault: () => void): void {
    this.store.duringNextWrite = fault;
  }

  /** Closes and deletes the database. */
  async destroy(): Promise<void> {
    this.sync.close();
    this.store.close();
    this.engine.index.clear();
    await IndexStore.destroy(this.name);
  }

  // ------------------------------------------------------------ internals

  /** Reports records left out at restore, and stores whose row counts disagree. */
  private async warnAbout(skipped: readonly SkippedRecord[], opts: PersistentOpenOptions): Promise<void> {
    if (skipped.length > 0) {
      opts.onWarning?.({
        code: 'CORRUPT_RECORD',
        message: `${skipped.length} stored document(s) of "${opts.name}" could not be read and were left out: ${skipped
          .slice(0, 5)
          .map((s) => `"${s.id}" (${s.reason})`)
          .join('; ')}${skipped.length > 5 ? '; …' : ''}. Add them again to repair, or remove() them.`,
        details: { skipped: skipped.slice(0, 100) },
      });
    }
    // Token values are not counted here (that walks most of the database's bytes); each is checked when a query reads it.
    const counts = await this.store.counts({ tokens: false });
    if (!consistent(counts)) {
      opts.onWarning?.({
        code: 'INCONSISTENT_STORE',
        message: `The stored index "${opts.name}" has unequal row counts (${JSON.stringify(counts)}); documents without all rows were left out.`,
        details: { ...counts },
      });
    }
  }
}

/** An in-memory index rebuilt from stored records. */
interface Restored {
  meta: IndexMeta;
  index: SearchIndex;
  hashes: Map<string, string>;
  skipped: SkippedRecord[];
  /** How long reading and rebuilding took (it may overlap the model load). */
  ms: number;
  /** The part of `ms` spent adding records to the in-memory index (the rest is IndexedDB). */
  buildMs: number;
}

/** Reads every stored record into a new SearchIndex; undefined if `stopped()` turned true on the way. */
async function restore(store: IndexStore, meta: IndexMeta, opts: PersistentOpenOptions, stopped: () => boolean): Promise<Restored | undefined> {
  const t0 = performance.now();
  const out: Restored = { meta: { ...meta }, index: new SearchIndex(meta.storage), hashes: new Map(), skipped: [], ms: 0, buildMs: 0 };
  let loaded = 0;
  opts.onProgress?.({ phase: 'restore', loaded, total: meta.count });
  for await (const chunk of store.load(opts.restoreChunk)) {
    if (stopped()) return undefined;
    const b0 = performance.now();
    out.skipped.push(...chunk.problems);
    for (const { block, ids, hashes, rows } of chunk.blocks) {
      // The pack's arrays go into the index as they are: no object per document.
      const failed = out.index.addBlock(block, rows);
      const bad = new Set<number>();
      for (const f of failed) {
        bad.add(f.row);
        out.skipped.push({ id: ids[f.row]!, reason: f.reason });
      }
      for (const i of rows) if (!bad.has(i)) out.hashes.set(ids[i]!, hashes[i]!);
      loaded += rows.length;
    }
    out.buildMs += performance.now() - b0;
    loaded += chunk.problems.length;
    opts.onProgress?.({ phase: 'restore', loaded, total: meta.count });
  }
  out.ms = performance.now() - t0;
  return out;
}

/**
 * Starts restoring before the model is known: opens the index read-only and
 * loads it as stored. Never throws (whatever goes wrong is redone, or
 * reported, by the checked path); undefined when there is nothing to read.
 */
async function preload(opts: PersistentOpenOptions, stopped: () => boolean): Promise<Restored | undefined> {
  const store = await IndexStore.peek(opts.name).catch(() => undefined);
  if (store === undefined) return undefined;
  try {
    return await restore(store, store.meta, opts, stopped);
  } catch {
    return undefined;
  } finally {
    store.close();
  }
}

function fail(why: string): never {
  throw new M3SearchError('STORAGE', why);
}

/** Stored and requested storage agree on every field (older metas lack the layout fields: defaults). */
function sameStorage(stored: IndexOptions, requested: Required<IndexOptions>): boolean {
  const have = resolveIndexOptions(stored);
  return (Object.keys(requested) as (keyof IndexOptions)[]).every((k) => have[k] === requested[k]);
}

function describeStorage(o: IndexOptions): string {
  const r = resolveIndexOptions(o);
  return `dense ${r.dense} / multi ${r.multi} (${r.multiVectors === 'nested' ? `nested ≤ ${r.maxMultiVectors}` : 'all'} token vectors)`;
}

/** The same stored state: nothing was written between the two reads of meta. */
function sameState(a: IndexMeta, b: IndexMeta): boolean {
  return a.generation === b.generation && a.updatedAt === b.updatedAt && a.count === b.count && a.fingerprint === b.fingerprint && a.schemaVersion === b.schemaVersion;
}

function consistent(c: StoreCounts): boolean {
  return c.docs === c.dense && c.docs === c.sparse && (c.multi === undefined || c.docs === c.multi) && c.docs === c.meta;
}

export { consistent as countsConsistent };
