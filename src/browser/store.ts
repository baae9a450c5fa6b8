// The persisted index: one IndexedDB database per index name. Each document
// lives in four object stores under the same key (its id): `docs` ({doc,
// hash}), `dense`, `sparse` and `multi` (typed-array bytes), plus one `meta`
// row naming the model, dims, quantization, schema and document count.
//
// Every write is ONE readwrite transaction over all five stores, so a tab
// closed mid-indexing keeps every committed batch and never a half-written
// document; callers update their in-memory index only after `write` resolves.
//
// Several tabs may hold the same index: every write bumps `meta.generation`
// and appends what it touched to `meta.log` in the same transaction, so a tab
// whose in-memory index is behind reads exactly those ids back (`changesSince`)
// instead of the whole store (see ./cross-tab.ts).
import type { Store, StoredPut } from '../engine/store.js';
import { deleteDB, openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction } from 'idb';
import { M3SearchError } from '../core/errors.js';
import type { StoredRecord } from '../core/record.js';
import type { IndexOptions } from '../core/types.js';
import { joinRows, splitRecord, type DenseRow, type DocRow, type MultiRow, type SparseRow } from './record-parts.js';
import { storageError } from './storage-errors.js';

/** Version of the object-store layout and the record format. Bump when either changes. */
export const SCHEMA_VERSION = 1;
const DB_PREFIX = 'm3search:';
const META_KEY = 'meta';
const VECTOR_STORES = ['dense', 'sparse', 'multi'] as const;
const ALL_STORES = ['docs', ...VECTOR_STORES, 'meta'] as const;

/** What an index was built with; a mismatch means its vectors cannot be mixed with new ones. */
export interface ModelIdentity {
  modelId: string;
  fingerprint: string;
  denseDim: number;
  multiDim: number;
}

export interface IndexMeta extends ModelIdentity {
  schemaVersion: number;
  storage: Required<IndexOptions>;
  /** Documents in the `docs` store, updated in every write transaction. */
  count: number;
  createdAt: number;
  updatedAt: number;
  /** Bumped by every write and clear (absent in indexes written before cross-tab sync: 0). */
  generation?: number;
  /** The last writes, oldest first: what a tab that is a few generations behind must re-read. */
  log?: ChangeEntry[];
}

/** One committed write: the entry ids it put or deleted, or a clear. */
export interface ChangeEntry {
  generation: number;
  /** Every document was deleted first. */
  cleared?: boolean;
  /** Entry ids put or deleted (after the clear, if any); absent when too many to log: re-read everything. */
  ids?: string[];
}

/** Where memory must go to match the store from a given generation. */
export type StoredChanges =
  /** Re-read ids: `entries` are stored now, `removed` are not; `cleared` drops everything else first. */
  | { kind: 'delta'; generation: number; cleared: boolean; entries: StoredEntry[]; removed: string[]; problems: LoadProblem[] }
  /** The log does not reach back far enough: everything stored, read in one transaction. */
  | { kind: 'all'; generation: number; entries: StoredEntry[]; problems: LoadProblem[] };

interface StoreSchema extends DBSchema {
  docs: { key: string; value: DocRow };
  dense: { key: string; value: DenseRow };
  sparse: { key: string; value: SparseRow };
  multi: { key: string; value: MultiRow };
  meta: { key: string; value: IndexMeta };
}

export type MismatchPolicy = 'error' | 'rebuild';

export interface OpenStoreOptions {
  /** Index name; the database is called `m3search:<name>`. */
  name: string;
  model: ModelIdentity;
  /** Quantization for a new index. An existing index keeps the one it was built with. */
  storage: Required<IndexOptions>;
  /** What to do when the stored index was built by another model or schema (default 'error'). */
  onMismatch?: MismatchPolicy;
}

export interface OpenedStore {
  store: IndexStore;
  meta: IndexMeta;
  /** Why the stored index was discarded, when `onMismatch: 'rebuild'` had to. */
  rebuilt?: 'MODEL_MISMATCH' | 'SCHEMA_MISMATCH';
  /** True when the database did not exist before. */
  created: boolean;
}

export interface StoredEntry {
  id: string;
  hash: string;
  record: StoredRecord;
}

export interface LoadProblem {
  id: string;
  reason: string;
}

export interface LoadedChunk {
  entries: StoredEntry[];
  problems: LoadProblem[];
}

export interface StoreCounts {
  docs: number;
  dense: number;
  sparse: number;
  multi: number;
  /** The count written in `meta`. */
  meta: number;
}

/** Log bounds: a tab further behind than this re-reads the whole store. */
const LOG_ENTRIES = 32;
const LOG_IDS = 1024;

/** One record to store with its content hash (the engine's StoredPut). */
export type Put = StoredPut;

export function databaseName(name: string): string {
  return DB_PREFIX + name;
}

export class IndexStore implements Store {
  private db: IDBPDatabase<StoreSchema> | undefined;
  private current: IndexMeta;
  private closedBecause: string | undefined;
  /** Test hook (the worker's `crash(…, 'next-write')`): runs once inside the next write transaction, before it commits. */
  duringNextWrite: (() => void) | undefined;

  private constructor(db: IDBPDatabase<StoreSchema>, meta: IndexMeta) {
    this.db = db;
    this.current = meta;
  }

  /** Opens (or creates) the database and checks it was built by this model and schema. */
  static async open(opts: OpenStoreOptions): Promise<OpenedStore> {
    const dbName = databaseName(opts.name);
    let db = await connect(dbName);
    let created = db.created;
    let rebuilt: OpenedStore['rebuilt'];

    if (!db.layoutOk) {
      db.handle.close();
      if (opts.onMismatch !== 'rebuild') throw schemaMismatch(opts.name, `database version ${db.handle.version}`);
      await deleteDatabase(dbName);
      db = await connect(dbName);
      rebuilt = 'SCHEMA_MISMATCH';
      created = true;
    }

    const stored = await db.handle.get('meta', META_KEY).catch((e: unknown) => {
      db.handle.close();
      throw storageError(e, 'read the index metadata');
    });
    const fresh = freshMeta(opts);
    let meta: IndexMeta;
    if (stored === undefined) {
      meta = fresh;
      await writeMeta(db.handle, meta, true);
    } else {
      const problem = mismatch(stored, opts.model);
      if (problem === undefined) meta = stored;
      else {
        if (opts.onMismatch !== 'rebuild') {
          db.handle.close();
          throw problem.code === 'SCHEMA_MISMATCH'
            ? schemaMismatch(opts.name, `schema version ${String(stored.schemaVersion)}`)
            : new M3SearchError(
                'MODEL_MISMATCH',
                `The index "${opts.name}" was built with ${stored.modelId} (${stored.fingerprint}), not ${opts.model.modelId} (${opts.model.fingerprint}); its vectors cannot be mixed with this model's. Open it with onMismatch: 'rebuild' to discard it and index again, or load the original model.`,
                { name: opts.name, stored: identity(stored), current: { ...opts.model }, choices: ['rebuild'] },
              );
        }
        meta = fresh;
        await writeMeta(db.handle, meta, true);
        rebuilt = problem.code;
      }
    }
    const store = new IndexStore(db.handle, meta);
    db.handle.addEventListener('versionchange', () => store.closeForOther());
    return { store, meta: { ...meta }, rebuilt, created };
  }

  /**
   * Opens an existing index for reading without knowing the model yet (so
   * restoring can start while the model loads). Creates nothing; undefined
   * when there is no database, or one this version cannot read.
   */
  static async peek(name: string): Promise<IndexStore | undefined> {
    let handle: IDBPDatabase<StoreSchema>;
    try {
      handle = await openDB<StoreSchema>(databaseName(name), undefined, {
        upgrade(_db, oldVersion, _newVersion, tx) {
          if (oldVersion !== 0) return;
          tx.done.catch(() => undefined); // the abort below is the expected outcome
          tx.abort(); // no such database: do not create one
        },
      });
    } catch {
      return undefined;
    }
    const names = Array.from(handle.objectStoreNames as ArrayLike<string>);
    const meta = handle.version === SCHEMA_VERSION && ALL_STORES.every((n) => names.includes(n)) ? await handle.get('meta', META_KEY).catch(() => undefined) : undefined;
    if (meta === undefined || meta.schemaVersion !== SCHEMA_VERSION) {
      handle.close();
      return undefined;
    }
    const store = new IndexStore(handle, meta);
    handle.addEventListener('versionchange', () => store.closeForOther());
    return store;
  }

  /** Deletes an index's database (closing nothing: close your own store first). */
  static async destroy(name: string): Promise<void> {
    await deleteDatabase(databaseName(name));
  }

  get meta(): Readonly<IndexMeta> {
    return this.current;
  }

  /**
   * Reads every stored document in key order, `chunkSize` at a time (one
   * read transaction per chunk, so memory stays bounded while the caller
   * builds its index). The next chunk is already being read while the caller
   * handles the current one. Rows that cannot be joined are reported, not thrown.
   */
  async *load(chunkSize = 512): AsyncGenerator<LoadedChunk> {
    const db = this.handle();
    const fail = (e: unknown) => {
      throw storageError(e, 'read the stored index');
    };
    const keys = await db.getAllKeys('docs').catch(fail);
    const spans: IDBKeyRange[] = [];
    for (let i = 0; i < keys.length; i += chunkSize) spans.push(IDBKeyRange.bound(keys[i]!, keys[Math.min(i + chunkSize, keys.length) - 1]!));
    const read = (i: number) => {
      const p = readSpan(db, spans[i]!).catch(fail);
      p.catch(() => undefined); // awaited below; never an unhandled rejection if the caller stops early
      return p;
    };
    let next = spans.length > 0 ? read(0) : undefined;
    for (let i = 0; next !== undefined; i++) {
      const current = await next;
      next = i + 1 < spans.length ? read(i + 1) : undefined;
      yield current;
    }
  }

  /**
   * Applies deletions then puts in one transaction, and stores the new
   * document count in `meta`. Resolves with that count once committed; on any
   * failure the transaction is aborted, so nothing of it is stored.
   */
  async write(puts: readonly Put[], deletes: readonly string[] = []): Promise<number> {
    const ids = [...new Set([...deletes, ...puts.map((p) => p.record.doc.id)])];
    const meta = await this.mutate('write to the index', { ids }, async (tx, pending) => {
      for (const id of deletes) {
        for (const name of ['docs', ...VECTOR_STORES] as const) pending.add(tx.objectStore(name).delete(id));
      }
      for (const { record, hash } of puts) {
        const id = record.doc.id;
        const rows = splitRecord(record, hash);
        pending.add(tx.objectStore('docs').put(rows.doc, id));
        pending.add(tx.objectStore('dense').put(rows.dense, id));
        pending.add(tx.objectStore('sparse').put(rows.sparse, id));
        pending.add(tx.objectStore('multi').put(rows.multi, id));
      }
      return tx.objectStore('docs').count();
    });
    return meta.count;
  }

  /** Removes every document (one transaction), keeping the model identity. */
  async clear(): Promise<void> {
    await this.mutate('clear the index', { cleared: true, ids: [] }, async (tx, pending) => {
      for (const n of ['docs', ...VECTOR_STORES] as const) pending.add(tx.objectStore(n).clear());
      return 0;
    });
  }

  /**
   * One read-write transaction over every store: `change` queues its requests
   * and returns the new document count, which goes into `meta` in the same
   * transaction. All or nothing: on any failure the transaction is aborted and
   * the error surfaces as a typed storage error. The stored meta is read in
   * the same transaction: another tab may have written since this one last did.
   */
  private async mutate(
    what: string,
    entry: Omit<ChangeEntry, 'generation'>,
    change: (tx: IDBPTransaction<StoreSchema, typeof ALL_STORES, 'readwrite'>, pending: ReturnType<typeof tracked>) => Promise<number>,
  ): Promise<IndexMeta> {
    const tx = this.handle().transaction(ALL_STORES, 'readwrite');
    const pending = tracked(tx.done);
    try {
      const stored = (await tx.objectStore('meta').get(META_KEY)) ?? this.current;
      const count = await change(tx, pending);
      const generation = (stored.generation ?? 0) + 1;
      const meta: IndexMeta = { ...stored, count, updatedAt: Date.now(), generation, log: appendLog(stored.log, { ...entry, generation }) };
      pending.add(tx.objectStore('meta').put(meta, META_KEY));
      const hook = this.duringNextWrite;
      this.duringNextWrite = undefined;
      hook?.();
      await pending.all();
      this.current = meta;
      return meta;
    } catch (e) {
      abortQuietly(tx);
      await pending.settled();
      throw storageError(e, what);
    }
  }

  /** Row counts of every store and the count recorded in meta (one read transaction). */
  async counts(): Promise<StoreCounts> {
    const db = this.handle();
    try {
      const tx = db.transaction(ALL_STORES, 'readonly');
      const [docs, dense, sparse, multi, meta] = await Promise.all([
        tx.objectStore('docs').count(),
        tx.objectStore('dense').count(),
        tx.objectStore('sparse').count(),
        tx.objectStore('multi').count(),
        tx.objectStore('meta').get(META_KEY),
        tx.done,
      ]);
      return { docs, dense, sparse, multi, meta: meta?.count ?? 0 };
    } catch (e) {
      throw storageError(e, 'count the stored index');
    }
  }

  /**
   * What another writer stored after `generation`, in one read transaction
   * (a consistent snapshot even while another tab writes): the ids the log
   * names since then, read back now — or, when the log does not reach back
   * that far, every stored document. `known` adds entries learnt elsewhere
   * (another tab's broadcast) for generations the stored log no longer holds.
   */
  async changesSince(generation: number, known: ReadonlyMap<number, ChangeEntry> = new Map()): Promise<StoredChanges | undefined> {
    const db = this.handle();
    try {
      const tx = db.transaction(ALL_STORES, 'readonly');
      tx.done.catch(() => undefined); // awaited below
      const meta = await tx.objectStore('meta').get(META_KEY);
      if (meta === undefined) throw new M3SearchError('STORAGE', 'The index metadata is gone (the database was emptied by something else).');
      const now = meta.generation ?? 0;
      if (now === generation) {
        await tx.done;
        this.current = meta;
        return undefined;
      }
      const byGen = new Map(known);
      // A broadcast may carry the ids a too-large stored entry left out.
      for (const e of meta.log ?? []) if (e.ids !== undefined || !byGen.has(e.generation)) byGen.set(e.generation, e);
      const entries: ChangeEntry[] = [];
      for (let g = generation + 1; g <= now; g++) {
        const e = byGen.get(g);
        if (e === undefined || e.ids === undefined) {
          entries.length = 0;
          break;
        }
        entries.push(e);
      }
      if (generation < 0 || now < generation || entries.length === 0) {
        const all = await readRows(tx, undefined);
        await tx.done;
        this.current = meta;
        return { kind: 'all', generation: now, ...all };
      }
      let from = 0;
      entries.forEach((e, i) => e.cleared && (from = i));
      const cleared = entries.some((e) => e.cleared);
      const ids = [...new Set(entries.slice(from).flatMap((e) => e.ids!))];
      const read = await readRows(tx, ids);
      await tx.done;
      const found = new Set([...read.entries.map((e) => e.id), ...read.problems.map((p) => p.id)]);
      this.current = meta;
      return { kind: 'delta', generation: now, cleared, ...read, removed: ids.filter((id) => !found.has(id)) };
    } catch (e) {
      throw storageError(e, 'read what another tab stored');
    }
  }

  /** Ids present in a vector store but not in `docs` (only possible if written by something else). */
  async orphans(): Promise<string[]> {
    const db = this.handle();
    const tx = db.transaction(['docs', ...VECTOR_STORES], 'readonly');
    const [docs, ...vectors] = await Promise.all([
      tx.objectStore('docs').getAllKeys(),
      ...VECTOR_STORES.map((n) => tx.objectStore(n).getAllKeys()),
    ]);
    await tx.done;
    const known = new Set(docs);
    const out = new Set<string>();
    for (const keys of vectors) for (const k of keys) if (!known.has(k)) out.add(k);
    return [...out];
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
    this.closedBecause ??= 'the index was closed';
  }

  private handle(): IDBPDatabase<StoreSchema> {
    if (this.db === undefined) throw new M3SearchError('STORAGE', `The stored index is not open: ${this.closedBecause ?? 'closed'}.`);
    return this.db;
  }

  /** Another connection (a newer version in another tab, or a delete) needs us gone: close instead of blocking it. */
  private closeForOther(): void {
    this.closedBecause = 'another tab deleted or upgraded this index';
    this.db?.close();
    this.db = undefined;
  }

}

interface Connected {
  handle: IDBPDatabase<StoreSchema>;
  created: boolean;
  /** False when the database has another layout (a future or foreign version). */
  layoutOk: boolean;
}

/** Opens at whatever version exists; creates the stores only for a new database. */
async function connect(dbName: string): Promise<Connected> {
  let created = false;
  let handle: IDBPDatabase<StoreSchema>;
  try {
    handle = await openDB<StoreSchema>(dbName, undefined, {
      upgrade(db, oldVersion) {
        if (oldVersion !== 0) return;
        created = true;
        for (const name of ALL_STORES) db.createObjectStore(name);
      },
    });
  } catch (e) {
    throw storageError(e, 'open the index database');
  }
  const names = Array.from(handle.objectStoreNames as ArrayLike<string>);
  const layoutOk = handle.version === SCHEMA_VERSION && ALL_STORES.every((n) => names.includes(n));
  return { handle, created, layoutOk };
}

async function deleteDatabase(dbName: string): Promise<void> {
  try {
    await deleteDB(dbName);
  } catch (e) {
    throw storageError(e, 'delete the index database');
  }
}

async function writeMeta(db: IDBPDatabase<StoreSchema>, meta: IndexMeta, clearFirst: boolean): Promise<void> {
  const tx = db.transaction(ALL_STORES, 'readwrite');
  const pending = tracked(tx.done);
  try {
    if (clearFirst) for (const n of ['docs', ...VECTOR_STORES] as const) pending.add(tx.objectStore(n).clear());
    pending.add(tx.objectStore('meta').put(meta, META_KEY));
    await pending.all();
  } catch (e) {
    abortQuietly(tx);
    await pending.settled();
    db.close();
    throw storageError(e, 'initialize the index');
  }
}

function freshMeta(opts: OpenStoreOptions): IndexMeta {
  const now = Date.now();
  return { schemaVersion: SCHEMA_VERSION, ...identity(opts.model), storage: { ...opts.storage }, count: 0, createdAt: now, updatedAt: now };
}

function identity(m: ModelIdentity): ModelIdentity {
  return { modelId: m.modelId, fingerprint: m.fingerprint, denseDim: m.denseDim, multiDim: m.multiDim };
}

function mismatch(stored: IndexMeta, model: ModelIdentity): { code: 'MODEL_MISMATCH' | 'SCHEMA_MISMATCH' } | undefined {
  if (stored.schemaVersion !== SCHEMA_VERSION) return { code: 'SCHEMA_MISMATCH' };
  if (stored.fingerprint !== model.fingerprint || stored.denseDim !== model.denseDim || stored.multiDim !== model.multiDim) {
    return { code: 'MODEL_MISMATCH' };
  }
  return undefined;
}

function schemaMismatch(name: string, found: string): M3SearchError {
  return new M3SearchError(
    'SCHEMA_MISMATCH',
    `The index "${name}" was written in another storage format (${found}; this version reads schema ${SCHEMA_VERSION}). Open it with onMismatch: 'rebuild' to discard it and index again.`,
    { name, expected: SCHEMA_VERSION, choices: ['rebuild'] },
  );
}

/** The documents with these ids (every document when undefined), joined with their vector rows, inside `tx`. */
async function readRows(tx: IDBPTransaction<StoreSchema, typeof ALL_STORES, 'readonly'>, ids: readonly string[] | undefined): Promise<LoadedChunk> {
  if (ids === undefined) return joinAll(tx, undefined);
  const loaded: LoadedChunk = { entries: [], problems: [] };
  const rows = await Promise.all(
    ids.map((id) =>
      Promise.all([tx.objectStore('docs').get(id), ...VECTOR_STORES.map((n) => tx.objectStore(n).get(id))]).then(([doc, dense, sparse, multi]) => ({ id, doc, dense, sparse, multi })),
    ),
  );
  for (const { id, ...row } of rows) {
    if (row.doc === undefined) continue; // not stored (removed); vector rows without a doc are orphans, not documents
    const joined = joinRows(id, row);
    if ('problem' in joined) loaded.problems.push({ id, reason: joined.problem });
    else loaded.entries.push({ id, hash: joined.hash, record: joined.record });
  }
  return loaded;
}

/** The documents whose ids fall in `span`, joined with their vector rows (all eight reads in one transaction, in parallel). */
async function readSpan(db: IDBPDatabase<StoreSchema>, span: IDBKeyRange): Promise<LoadedChunk> {
  const tx = db.transaction(ALL_STORES, 'readonly');
  const loaded = await joinAll(tx, span);
  await tx.done;
  return loaded;
}

async function joinAll(tx: IDBPTransaction<StoreSchema, typeof ALL_STORES, 'readonly'>, span: IDBKeyRange | undefined): Promise<LoadedChunk> {
  const both = <N extends (typeof ALL_STORES)[number]>(n: N) => {
    const s = tx.objectStore(n);
    return Promise.all([s.getAllKeys(span), s.getAll(span)]);
  };
  const [[keys, docRows], ...vectors] = await Promise.all([both('docs'), ...VECTOR_STORES.map((n) => both(n))]);
  const [dense, sparse, multi] = vectors.map(([k, v]) => {
    const map = new Map<string, unknown>();
    k.forEach((key, i) => map.set(key, v[i]));
    return map;
  });
  const loaded: LoadedChunk = { entries: [], problems: [] };
  keys.forEach((id, i) => {
    const joined = joinRows(id, { doc: docRows[i], dense: dense!.get(id), sparse: sparse!.get(id), multi: multi!.get(id) });
    if ('problem' in joined) loaded.problems.push({ id, reason: joined.problem });
    else loaded.entries.push({ id, hash: joined.hash, record: joined.record });
  });
  return loaded;
}

/** The log with `entry` appended, trimmed to the last LOG_ENTRIES entries and LOG_IDS ids (a too-long entry logs no ids). */
function appendLog(log: readonly ChangeEntry[] | undefined, entry: ChangeEntry): ChangeEntry[] {
  const e = entry.ids !== undefined && entry.ids.length > LOG_IDS ? { generation: entry.generation, ...(entry.cleared ? { cleared: true } : {}) } : entry;
  const out = [...(log ?? []), e];
  let ids = 0;
  let keep = out.length;
  while (keep > 0 && out.length - keep < LOG_ENTRIES && ids + (out[keep - 1]!.ids?.length ?? 0) <= LOG_IDS) ids += out[--keep]!.ids?.length ?? 0;
  return out.slice(keep);
}

/**
 * The requests of one transaction. Each gets a handler at once, so a request
 * failing while we still queue others is never an unhandled rejection.
 */
function tracked(done: Promise<void>) {
  const list: Promise<unknown>[] = [done];
  done.catch(() => undefined);
  return {
    add(p: Promise<unknown>): void {
      p.catch(() => undefined);
      list.push(p);
    },
    all: () => Promise.all(list),
    settled: () => Promise.allSettled(list),
  };
}

function abortQuietly(tx: { abort(): void }): void {
  try {
    tx.abort();
  } catch {
    // Already committed or aborted: nothing left to undo.
  }
}
