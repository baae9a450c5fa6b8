// A SearchIndex kept in lockstep with its IndexedDB store. Documents are
// encoded in batches; each batch is committed in one transaction and only
// then applied to the in-memory index, so memory never holds what disk lost
// and a reopen restores exactly what was committed, without encoding.
import { cloneDoc } from '../core/doc.js';
import { M3SearchError, throwIfAborted } from '../core/errors.js';
import { resolveIndexOptions } from '../core/options.js';
import { encodeRecord, type StoredRecord } from '../core/record.js';
import { SearchIndex } from '../core/search-index.js';
import type { Doc, Encoded, Hit, IndexOptions, SearchOptions } from '../core/types.js';
import type { Encoder } from '../core/encoder.js';
import { textHash } from './content-hash.js';
import type { AddReport, IndexProgress, LoadProgress, RemoveReport, SearchWarning, SkippedRecord } from './protocol.js';
import { validateDocs } from '../engine/validate.js';
import { Serial } from './serial.js';
import { IndexStore, type IndexMeta, type MismatchPolicy, type OpenedStore, type Put, type StoreCounts } from './store.js';

export interface PersistentOpenOptions {
  name: string;
  /** Quantization for a new index; an existing index keeps its own. */
  storage?: IndexOptions;
  onMismatch?: MismatchPolicy;
  onProgress?: (p: Extract<LoadProgress, { phase: 'restore' }>) => void;
  onWarning?: (w: SearchWarning) => void;
  /** Documents read per IndexedDB transaction while restoring (default 512). */
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

export interface WriteCallOptions {
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (p: IndexProgress) => void;
}

const DEFAULT_BATCH = 32;

export class PersistentSearch {
  readonly index: SearchIndex;
  private readonly store: IndexStore;
  private readonly encoder: Encoder;
  /** id → content hash of every document held in memory (mirrors `docs` rows). */
  private readonly hashes: Map<string, string>;
  /** ONNX sessions must not run concurrently: queries wait for the current batch. */
  private readonly encoding = new Serial();
  /** Store transactions apply one at a time. */
  private readonly writing = new Serial();
  /** Whole add/remove/clear calls apply in call order. */
  private readonly calls = new Serial();

  readonly name: string;

  private constructor(name: string, store: IndexStore, restored: Restored, encoder: Encoder) {
    this.name = name;
    this.store = store;
    this.index = restored.index;
    this.hashes = restored.hashes;
    this.encoder = encoder;
  }

  /**
   * Opens the stored index for this model (checking model and schema) and
   * loads it into memory. `encoder` may still be loading: the stored records
   * are read meanwhile (IndexedDB reads overlap the model download and WASM
   * compile) and kept only if the loaded model turns out to match them.
   */
  static async open(
    encoder: Encoder | Promise<Encoder>,
    opts: PersistentOpenOptions,
  ): Promise<{ search: PersistentSearch; report: RestoreReport }> {
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
      const search = new PersistentSearch(opts.name, store, restored, enc);
      await search.warnAbout(restored.skipped, opts);
      const report: RestoreReport = { restored: search.index.size, skipped: restored.skipped, created: opened.created, restoreMs: restored.ms, buildMs: restored.buildMs, openMs: performance.now() - t0 };
      if (opened.rebuilt) report.rebuilt = opened.rebuilt;
      return { search, report };
    } catch (e) {
      await settle().catch(() => undefined);
      store.close();
      throw e;
    }
  }

  get size(): number {
    return this.index.size;
  }

  get meta(): Readonly<IndexMeta> {
    return this.store.meta;
  }

  /**
   * Stores documents: new ids are added, ids stored with the same content are
   * skipped without encoding, changed ones are re-encoded and replaced. Each
   * batch commits on its own; on cancel or error the batches committed so far
   * stay (the error's details say how many).
   */
  add(docs: readonly Doc[], opts: WriteCallOptions = {}): Promise<AddReport> {
    const batch = checkBatch(docs);
    // Whole write calls run in call order: an un-awaited add() followed by remove() or clear()
    // must not plan against a state the later call is about to change.
    return this.calls.run(() => this.addInOrder(batch, opts));
  }

  private async addInOrder(batch: readonly Doc[], opts: WriteCallOptions): Promise<AddReport> {
    const plan = await this.plan(batch);
    const report: AddReport = { added: 0, updated: 0, unchanged: plan.unchanged, truncated: [], docCount: this.index.size };
    const total = plan.rewrite.length + plan.encode.length;
    let done = 0;
    const progress = () => opts.onProgress?.({ done, total, unchanged: plan.unchanged });
    const committed = (n: number, added: number) => {
      done += n;
      report.added += added;
      report.updated += n - added;
      report.docCount = this.index.size;
      progress();
    };
    progress();
    try {
      // Field-only changes (title, url, meta) reuse the stored vectors.
      if (plan.rewrite.length > 0) {
        throwIfAborted(opts.signal);
        const puts = plan.rewrite.map(({ doc, hash }) => ({ record: { ...this.index.toRecord(doc.id)!, doc }, hash }));
        committed(puts.length, await this.commit(puts));
      }
      const size = positiveInt(opts.batchSize ?? DEFAULT_BATCH, 'batchSize');
      for (let i = 0; i < plan.encode.length; i += size) {
        throwIfAborted(opts.signal);
        const part = plan.encode.slice(i, i + size);
        const encoded = await this.encoding.run(() => {
          throwIfAborted(opts.signal);
          return this.encoder.encode(
            part.map((p) => p.doc.text),
            { kind: 'passage', signal: opts.signal },
          );
        });
        const puts = part.map(({ doc, hash }, j) => ({ record: this.recordOf(doc, encoded[j]!), hash }));
        part.forEach(({ doc }, j) => encoded[j]!.truncated && report.truncated.push(doc.id));
        committed(puts.length, await this.commit(puts));
      }
    } catch (e) {
      throw withCommitted(e, done, total);
    }
    return report;
  }

  /** Same as `add`: replaces documents by id and adds absent ones. */
  update(docs: readonly Doc[], opts: WriteCallOptions = {}): Promise<AddReport> {
    return this.add(docs, opts);
  }

  /** Removes documents by id in one transaction (ids not stored are ignored). */
  async remove(ids: readonly string[]): Promise<RemoveReport> {
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) {
      throw new M3SearchError('INVALID_DOCUMENT', 'remove() expects a document id or an array of ids (strings).');
    }
    const unique = [...new Set(ids)];
    return this.calls.run(() => this.writing.run(async () => {
      const before = this.store.meta.count;
      const count = await this.store.write([], unique);
      for (const id of unique) {
        this.index.remove(id);
        this.hashes.delete(id);
      }
      return { removed: before - count, docCount: this.index.size };
    }));
  }

  async search(query: string, opts: SearchOptions & { signal?: AbortSignal } = {}): Promise<Hit[]> {
    if (typeof query !== 'string' || query.trim() === '') {
      throw new M3SearchError('EMPTY_QUERY', 'The query is empty; type at least one word.');
    }
    if (this.index.size === 0) {
      throw new M3SearchError('INDEX_EMPTY', 'Nothing is indexed yet; add documents before searching.');
    }
    const [q] = await this.encoding.run(() => {
      throwIfAborted(opts.signal);
      return this.encoder.encode([query], { kind: 'query', signal: opts.signal });
    });
    throwIfAborted(opts.signal);
    const { signal: _signal, ...searchOpts } = opts;
    return this.index.search(q!, searchOpts);
  }

  /** Raw encoder output (debugging, backend comparisons). */
  encode(texts: readonly string[], kind: 'query' | 'passage', signal?: AbortSignal): Promise<Encoded[]> {
    return this.encoding.run(() => this.encoder.encode(texts, { kind, signal }));
  }

  async clear(): Promise<void> {
    await this.calls.run(() =>
      this.writing.run(async () => {
        await this.store.clear();
        this.index.clear();
        this.hashes.clear();
      }),
    );
  }

  counts(): Promise<StoreCounts> {
    return this.store.counts();
  }

  close(): void {
    this.store.close();
  }

  /** Closes and deletes the database. */
  async destroy(): Promise<void> {
    await this.writing.run(async () => {
      this.store.close();
      this.index.clear();
      this.hashes.clear();
      await IndexStore.destroy(this.name);
    });
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
    const counts = await this.store.counts();
    if (!consistent(counts)) {
      opts.onWarning?.({
        code: 'INCONSISTENT_STORE',
        message: `The stored index "${opts.name}" has unequal row counts (${JSON.stringify(counts)}); documents without all rows were left out.`,
        details: { ...counts },
      });
    }
  }

  /** Splits a batch into: unchanged (skip), rewrite (fields only), encode (new or text changed). */
  private async plan(docs: readonly Doc[]): Promise<{ unchanged: number; rewrite: Planned[]; encode: Planned[] }> {
    const hashes = await Promise.all(docs.map((d) => textHash(d.text)));
    const out = { unchanged: 0, rewrite: [] as Planned[], encode: [] as Planned[] };
    docs.forEach((doc, i) => {
      const hash = hashes[i]!;
      if (this.hashes.get(doc.id) !== hash) out.encode.push({ doc, hash });
      else if (sameDoc(this.index.getDoc(doc.id), doc)) out.unchanged++;
      else out.rewrite.push({ doc, hash });
    });
    return out;
  }

  private recordOf(doc: Doc, enc: Encoded): StoredRecord {
    const rec = encodeRecord(doc, enc, this.index.options);
    const { denseDim, multiDim } = this.store.meta;
    const denseLen = rec.dense.byteLength / (rec.denseKind === 'int8' ? 1 : 4);
    if (denseLen !== denseDim || (rec.multiCount > 0 && rec.multiDim !== multiDim)) {
      throw new M3SearchError('MODEL_MISMATCH', `The encoder produced ${denseLen}/${rec.multiDim}-dim vectors but the index holds ${denseDim}/${multiDim}.`, {
        id: doc.id,
      });
    }
    return rec;
  }

  /** One transaction, then the in-memory index. Returns how many of the puts were new ids. */
  private commit(puts: Put[]): Promise<number> {
    return this.writing.run(async () => {
      await this.store.write(puts);
      let added = 0;
      for (const { record, hash } of puts) {
        if (!this.index.remove(record.doc.id)) added++;
        this.index.addRecord(record);
        this.hashes.set(record.doc.id, hash);
      }
      return added;
    });
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
    for (const { id, hash, record } of chunk.entries) {
      try {
        out.index.addRecord(record);
        out.hashes.set(id, hash);
      } catch (e) {
        out.skipped.push({ id, reason: (e as Error).message });
      }
    }
    out.buildMs += performance.now() - b0;
    loaded += chunk.entries.length + chunk.problems.length;
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

/** The same stored state: nothing was written between the two reads of meta. */
/** Stored and requested storage agree on every field (older metas lack the layout fields: defaults). */
function sameStorage(stored: IndexOptions, requested: Required<IndexOptions>): boolean {
  const have = resolveIndexOptions(stored);
  return (Object.keys(requested) as (keyof IndexOptions)[]).every((k) => have[k] === requested[k]);
}

function describeStorage(o: IndexOptions): string {
  const r = resolveIndexOptions(o);
  return `dense ${r.dense} / multi ${r.multi} (${r.multiVectors === 'nested' ? `nested ≤ ${r.maxMultiVectors}` : 'all'} token vectors)`;
}

function sameState(a: IndexMeta, b: IndexMeta): boolean {
  return a.updatedAt === b.updatedAt && a.count === b.count && a.fingerprint === b.fingerprint && a.schemaVersion === b.schemaVersion;
}

interface Planned {
  doc: Doc;
  hash: string;
}

/** Validates all documents before anything is encoded or written (a bad batch changes nothing). */
function checkBatch(docs: readonly Doc[]): Doc[] {
  // The engine's batch rules; stored ids are not "duplicates" here: add() replaces or skips them.
  validateDocs(docs, () => false);
  return docs.map(cloneDoc);
}

function sameDoc(a: Doc | undefined, b: Doc): boolean {
  return a !== undefined && JSON.stringify(cloneDoc(a)) === JSON.stringify(cloneDoc(b));
}

function consistent(c: StoreCounts): boolean {
  return c.docs === c.dense && c.docs === c.sparse && c.docs === c.multi && c.docs === c.meta;
}

function positiveInt(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 1) throw new M3SearchError('INVALID_OPTION', `${name} must be a positive integer`, { [name]: v });
  return v;
}

/** Adds how far a write got to its error, so callers know committed batches stayed. */
function withCommitted(e: unknown, done: number, total: number): unknown {
  if (!(e instanceof M3SearchError)) return e;
  return new M3SearchError(e.code, done > 0 ? `${e.message} (${done} of ${total} documents were committed before this and stay stored)` : e.message, {
    ...e.details,
    committed: done,
    total,
  });
}

export { consistent as countsConsistent };
