// The persisted index: one IndexedDB database per index name. Schema 4 keeps
// up to PACK_MAX documents as ONE value in `packs` (their documents, and their
// dense and sparse vectors column by column: one block of dense rows, one CSR
// triple, see record-parts.ts), each document's token vectors as one value in
// `tokens` (by id), each pack's ids in `heads` (for counts), `ids` mapping each
// document id to its pack, and one `meta` row naming the model, dims,
// quantization, schema and document count. Reading a value costs far more
// than reading its bytes, and token vectors are most of the bytes at real
// size: a reopen reads one value per PACK_MAX documents and no token vectors,
// and hands each pack's arrays to the index as they are; ranking reads the
// token vectors of its candidates (`readTokens`). Schemas 1 (four values per
// document), 2 (token vectors inside the packs) and 3 (a pack per batch, one
// byte segment per document) are migrated on open in the upgrade
// transaction, so an interrupted migration leaves the old layout as it was.
//
// Removing or replacing a document rewrites its pack without it (deleting an
// emptied pack) and deletes or replaces its token vectors. Every write is ONE
// readwrite transaction over all stores, so a tab closed mid-indexing keeps
// every committed batch and never a half-written document; callers update
// their in-memory index only after `write` resolves.
//
// Several tabs may hold the same index: every write bumps `meta.generation`
// and appends what it touched to `meta.log` in the same transaction, so a tab
// whose in-memory index is behind reads exactly those ids back (`changesSince`)
// instead of the whole store (see ./cross-tab.ts).
import type { Store, StoredPut } from '../engine/store.js';
import { deleteDB, openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction } from 'idb';
import { M3SearchError } from '../core/errors.js';
import type { StoredBlock, StoredRecord } from '../core/record.js';
import type { IndexOptions } from '../core/types.js';
import type { MultiData } from '../core/stored.js';
import type { DeferredMulti } from '../core/record.js';
import { joinRows, packEntries, packEntry, packRecords, packV4, readPack, readTokens, splitRecord, tokenSum, unpackGroup, unpackRows, type PackEntry, type PackV4, type RecordRows, type TokenRow } from './record-parts.js';
import { storageError } from './storage-errors.js';

/** Version of the object-store layout and the record format. Bump when either changes. */
export const SCHEMA_VERSION = 4;
const DB_PREFIX = 'm3search:';
const META_KEY = 'meta';
const DATA_STORES = ['ids', 'packs', 'heads', 'tokens'] as const;
const ALL_STORES = [...DATA_STORES, 'meta'] as const;
/** Schema 1: one value per document in each of these (migrated on open). */
const V1_STORES = ['docs', 'dense', 'sparse', 'multi'] as const;
/** Schema 2: packs holding every vector byte (migrated on open). */
const V2_STORES = ['ids', 'packs', 'heads', 'meta'] as const;
/** Schema 3: the stores are schema 4's; its packs hold a byte segment per document (migrated on open). */
const V3_STORES = ALL_STORES;
/**
 * Records per pack at most. A reopen pays per value read (far more than per
 * byte), so packs are large; a write of a batch refills the newest pack, and
 * removing or replacing a document rewrites its pack.
 */
const PACK_MAX = 1024;
/** Chunks read ahead while the caller builds its index from the current one. */
const READ_AHEAD = 4;

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
  /** Key of the next pack written (schema 2). */
  nextPack?: number;
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
  /** Document id → key of the pack holding it. */
  ids: { key: string; value: number };
  packs: { key: number; value: PackV4 };
  /** The ids of each pack (what `counts` reads instead of the packs). */
  heads: { key: number; value: string[] };
  /** Document id → its token vectors (read only for the documents ranking scores with them). */
  tokens: { key: string; value: TokenRow };
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

/** Stored packs as the index adopts them (`SearchIndex.addBlock`), with the rows that passed the store's checks. */
export interface LoadedBlock {
  block: StoredBlock;
  ids: string[];
  hashes: string[];
  /** Rows to add (the others are in `problems`). */
  rows: number[];
}

export interface LoadedBlocks {
  blocks: LoadedBlock[];
  problems: LoadProblem[];
}

/** Stored documents: `docs` counts the id index, dense/sparse the records held in packs, multi the token-vector values. */
export interface StoreCounts {
  docs: number;
  dense: number;
  sparse: number;
  /** Absent when not counted (`counts({ tokens: false })`). */
  multi?: number;
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
   * Reads every stored document, whole packs of about `chunkSize` documents
   * at a time (one read transaction per chunk, so memory stays bounded while
   * the caller builds its index). The next READ_AHEAD chunks are already being
   * read while the caller handles the current one. Records that cannot be read are
   * reported, not thrown.
   */
  async *load(chunkSize = PACK_MAX): AsyncGenerator<LoadedBlocks> {
    const db = this.handle();
    const fail = (e: unknown) => {
      throw storageError(e, 'read the stored index');
    };
    const tx = db.transaction('heads', 'readonly');
    const [keys, heads] = await Promise.all([tx.store.getAllKeys(), tx.store.getAll(), tx.done]).catch(fail);
    const spans: { range: IDBKeyRange; ids: Map<number, string[]> }[] = [];
    for (let i = 0; i < keys.length; ) {
      const ids = new Map<number, string[]>();
      let n = 0;
      const first = i;
      for (; i < keys.length && (n === 0 || n + heads[i]!.length <= chunkSize); i++) {
        ids.set(keys[i]!, heads[i]!);
        n += heads[i]!.length;
      }
      spans.push({ range: IDBKeyRange.bound(keys[first]!, keys[i - 1]!), ids });
    }
    const read = (i: number) => {
      const p = readSpan(db, spans[i]!.range, spans[i]!.ids).catch(fail);
      p.catch(() => undefined); // awaited below; never an unhandled rejection if the caller stops early
      return p;
    };
    // Several chunks in flight: Chromium serves large values from blob files, and reads them in parallel.
    const queue = spans.slice(0, READ_AHEAD).map((_, i) => read(i));
    for (let i = 0; i < spans.length; i++) {
      const current = await queue.shift()!;
      if (i + READ_AHEAD < spans.length) queue.push(read(i + READ_AHEAD));
      yield current;
    }
  }

  /**
   * Applies deletions then puts in one transaction, and stores the new
   * document count in `meta`. The puts become new packs; every pack that held
   * a deleted or replaced id is rewritten without it. Resolves with the count
   * once committed; on any failure the transaction is aborted, so nothing of
   * it is stored.
   */
  async write(puts: readonly Put[], deletes: readonly string[] = []): Promise<number> {
    const latest = new Map<string, Put>();
    for (const p of puts) {
      if (p.record.multiDeferred !== undefined) throw new M3SearchError('STORAGE', `The token vectors of "${p.record.doc.id}" were not loaded; such a record cannot be written.`, { id: p.record.doc.id });
      latest.set(p.record.doc.id, p); // the last put of an id wins
    }
    const ids = [...new Set([...deletes, ...latest.keys()])];
    const meta = await this.mutate('write to the index', { ids }, async (tx, pending, stored) => {
      const idStore = tx.objectStore('ids');
      const packs = tx.objectStore('packs');
      const heads = tx.objectStore('heads');
      const tokens = tx.objectStore('tokens');
      const where = await Promise.all(ids.map((id) => idStore.get(id)));
      const touched = new Set(ids);
      for (const key of new Set(where.filter((k): k is number => k !== undefined))) {
        const pack = await packs.get(key);
        const entries = pack === undefined ? undefined : packEntries(pack);
        const rest = entries?.filter((e) => !touched.has(e.id));
        if (rest === undefined || rest.length === 0) {
          pending.add(packs.delete(key));
          pending.add(heads.delete(key));
          // An unreadable pack goes whole: its other ids stop pointing at it.
          for (const id of pack?.ids ?? []) {
            if (touched.has(id)) continue;
            pending.add(idStore.delete(id));
            pending.add(tokens.delete(id));
          }
        } else if (rest.length !== pack!.ids.length) {
          pending.add(packs.put(packV4(rest), key));
          pending.add(heads.put(rest.map((e) => e.id), key));
        }
      }
      for (const id of deletes) {
        if (latest.has(id)) continue;
        pending.add(idStore.delete(id));
        pending.add(tokens.delete(id));
      }
      let next = stored.nextPack ?? 1;
      const list = [...latest.values()];
      // The newest pack is filled up to PACK_MAX before a new one starts: a reopen pays per stored
      // value, and writes come in the engine's batches of 32. (Read after the drops above: same transaction.)
      const lastValue = list.length > 0 && next > 1 ? await packs.get(next - 1) : undefined;
      const last = lastValue === undefined ? undefined : packEntries(lastValue);
      const made = list.map((p) => packEntry(p.record.doc.id, splitRecord(p.record, p.hash)));
      // Only a pack of the same shape is refilled (a new storage after clear() starts a new one).
      const room = last === undefined || last.length === 0 || !sameShape(last[0]!, made[0]!.entry) ? 0 : Math.max(0, PACK_MAX - last.length);
      for (let i = 0; i < made.length; ) {
        const fill = i === 0 && room > 0;
        const group = made.slice(i, i + (fill ? room : PACK_MAX));
        i += group.length;
        const key = fill ? next - 1 : next++;
        const entries = group.map((g) => g.entry);
        const pack = packV4(fill ? [...last!, ...entries] : entries);
        pending.add(packs.put(pack, key));
        pending.add(heads.put(pack.ids, key));
        group.forEach(({ entry, tokens: t }) => {
          pending.add(idStore.put(key, entry.id));
          pending.add(tokens.put(t, entry.id));
        });
      }
      return { count: await idStore.count(), nextPack: next };
    });
    return meta.count;
  }

  /** Removes every document (one transaction), keeping the model identity. */
  async clear(): Promise<void> {
    await this.mutate('clear the index', { cleared: true, ids: [] }, async (tx, pending) => {
      for (const n of DATA_STORES) pending.add(tx.objectStore(n).clear());
      return { count: 0 };
    });
  }

  /**
   * One read-write transaction over every store: `change` queues its requests
   * and returns the new document count (and next pack key), which go into `meta` in the same
   * transaction. All or nothing: on any failure the transaction is aborted and
   * the error surfaces as a typed storage error. The stored meta is read in
   * the same transaction: another tab may have written since this one last did.
   */
  private async mutate(
    what: string,
    entry: Omit<ChangeEntry, 'generation'>,
    change: (
      tx: IDBPTransaction<StoreSchema, typeof ALL_STORES, 'readwrite'>,
      pending: ReturnType<typeof tracked>,
      stored: IndexMeta,
    ) => Promise<{ count: number; nextPack?: number }>,
  ): Promise<IndexMeta> {
    const tx = this.handle().transaction(ALL_STORES, 'readwrite');
    const pending = tracked(tx.done);
    try {
      const stored = (await tx.objectStore('meta').get(META_KEY)) ?? this.current;
      const changed = await change(tx, pending, stored);
      const generation = (stored.generation ?? 0) + 1;
      const meta: IndexMeta = { ...stored, ...changed, updatedAt: Date.now(), generation, log: appendLog(stored.log, { ...entry, generation }) };
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

  /**
   * Documents in the id index and in the packs, the token-vector values, and
   * the count recorded in meta (one read transaction). `tokens: false` leaves
   * the token-vector values uncounted (`multi` absent): counting them walks
   * most of the database's bytes, which a reopen must not wait for (each is
   * checked when a query reads it).
   */
  async counts(opts: { tokens?: boolean } = {}): Promise<StoreCounts> {
    const db = this.handle();
    try {
      const tx = db.transaction(ALL_STORES, 'readonly');
      const [docs, heads, multi, meta] = await Promise.all([
        tx.objectStore('ids').count(),
        tx.objectStore('heads').getAll(),
        opts.tokens === false ? undefined : tx.objectStore('tokens').count(),
        tx.objectStore('meta').get(META_KEY),
        tx.done,
      ]);
      const packed = heads.reduce((n, ids) => n + ids.length, 0);
      return { docs, dense: packed, sparse: packed, ...(multi === undefined ? {} : { multi }), meta: meta?.count ?? 0 };
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

  /**
   * The token vectors of these documents (one read transaction), each checked
   * against the checksum and shape its record announced; a problem for those
   * that are not stored (any more) or do not match.
   */
  async readTokens(wanted: readonly { id: string; want: DeferredMulti }[]): Promise<{ loaded: { id: string; multi: MultiData }[]; problems: LoadProblem[] }> {
    const db = this.handle();
    let values: (TokenRow | undefined)[];
    try {
      const tx = db.transaction('tokens', 'readonly');
      [values] = await Promise.all([Promise.all(wanted.map((w) => tx.store.get(w.id))), tx.done]);
    } catch (e) {
      throw storageError(e, 'read stored token vectors');
    }
    const loaded: { id: string; multi: MultiData }[] = [];
    const problems: LoadProblem[] = [];
    wanted.forEach(({ id, want }, i) => {
      const r = readTokens(values[i], want);
      if ('problem' in r) problems.push({ id, reason: r.problem });
      else loaded.push({ id, multi: r });
    });
    return { loaded, problems };
  }

  /** Ids held in a pack but missing from the id index (only possible if written by something else). */
  async orphans(): Promise<string[]> {
    const db = this.handle();
    const tx = db.transaction(['ids', 'heads'], 'readonly');
    const [known, heads] = await Promise.all([tx.objectStore('ids').getAllKeys(), tx.objectStore('heads').getAll()]);
    await tx.done;
    const ids = new Set(known);
    return [...new Set(heads.flat().filter((id) => !ids.has(id)))];
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

/**
 * Opens at this schema's version: creates the stores for a new database and
 * migrates a schema-1 one inside the upgrade transaction (all or nothing). A
 * database of a later version is opened as it is, and reported as another layout.
 */
async function connect(dbName: string): Promise<Connected> {
  let created = false;
  let handle: IDBPDatabase<StoreSchema>;
  let migrationError: unknown;
  try {
    handle = await openDB<StoreSchema>(dbName, SCHEMA_VERSION, {
      upgrade(db, oldVersion, _newVersion, tx) {
        const names = Array.from(db.objectStoreNames as ArrayLike<string>);
        if (oldVersion === 0) {
          created = true;
          for (const name of ALL_STORES) db.createObjectStore(name);
        } else if (
          (oldVersion === 1 && [...V1_STORES, 'meta'].every((n) => names.includes(n))) ||
          (oldVersion === 2 && V2_STORES.every((n) => names.includes(n))) ||
          (oldVersion === 3 && V3_STORES.every((n) => names.includes(n)))
        ) {
          tx.done.catch(() => undefined); // a failed migration surfaces through openDB
          const migrate = oldVersion === 1 ? migrateV1 : oldVersion === 2 ? migrateV2 : migrateV3;
          migrate(db as unknown as IDBPDatabase, tx as unknown as IDBPTransaction<unknown, string[], 'versionchange'>).catch((e: unknown) => {
            migrationError = e;
            abortQuietly(tx);
          });
        }
        // Any other layout is left alone: the check below reports it.
      },
    });
  } catch (e) {
    if ((e as { name?: unknown } | null)?.name === 'VersionError') {
      const other = await openDB<StoreSchema>(dbName).catch((err: unknown) => {
        throw storageError(err, 'open the index database');
      });
      return { handle: other, created: false, layoutOk: false };
    }
    throw storageError(migrationError ?? e, migrationError === undefined ? 'open the index database' : 'move the index to the packed storage format');
  }
  const names = Array.from(handle.objectStoreNames as ArrayLike<string>);
  const layoutOk = handle.version === SCHEMA_VERSION && ALL_STORES.every((n) => names.includes(n));
  return { handle, created, layoutOk };
}

/** Documents per pack when migrating schema 1 (the engine's default batch). */
const MIGRATE_GROUP = 32;

/**
 * Schema 1 → 3 inside the upgrade transaction: the per-document rows, in key
 * order, become packs of MIGRATE_GROUP; then the old stores go. Rows a
 * restore could not have read either (missing or damaged) are dropped. The
 * generation moves on with an id-less log entry, so any tab re-reads everything.
 */
async function migrateV1(db: IDBPDatabase, tx: IDBPTransaction<unknown, string[], 'versionchange'>): Promise<void> {
  // Schema 1's own `multi` store goes at the end; `tokens` is the new one.
  for (const name of DATA_STORES) db.createObjectStore(name);
  const keys = (await tx.objectStore('docs').getAllKeys()) as string[];
  let next = 1;
  let count = 0;
  for (let i = 0; i < keys.length; i += MIGRATE_GROUP) {
    const range = IDBKeyRange.bound(keys[i], keys[Math.min(i + MIGRATE_GROUP, keys.length) - 1]);
    const [docKeys, ...rows] = await Promise.all([
      tx.objectStore('docs').getAllKeys(range),
      ...V1_STORES.map(async (n) => {
        const s = tx.objectStore(n);
        const [k, v] = await Promise.all([s.getAllKeys(range), s.getAll(range)]);
        return new Map(k.map((key, j) => [key, v[j]] as const));
      }),
    ]);
    const ids: string[] = [];
    const packed: RecordRows[] = [];
    for (const key of docKeys as string[]) {
      const [doc, dense, sparse, multi] = rows.map((m) => m.get(key));
      if ('problem' in joinRows(key, { doc, dense, sparse, multi })) continue;
      ids.push(key);
      packed.push({ doc, dense, sparse, multi } as RecordRows);
    }
    if (ids.length === 0) continue;
    await putGroup(tx, next++, ids, packed);
    count += ids.length;
  }
  for (const name of V1_STORES) db.deleteObjectStore(name);
  await migratedMeta(tx, count, next);
}

/**
 * Schema 2 → 3 inside the upgrade transaction: each pack, one at a time (so
 * memory holds one pack), is rewritten under the same key without its token
 * vectors, which become one `tokens` value per document. Records a restore
 * could not have read are dropped, with their id rows.
 */
async function migrateV2(db: IDBPDatabase, tx: IDBPTransaction<unknown, string[], 'versionchange'>): Promise<void> {
  db.createObjectStore('tokens');
  const packs = tx.objectStore('packs');
  const keys = (await packs.getAllKeys()) as number[];
  let count = 0;
  for (const key of keys) {
    const old: unknown = await packs.get(key);
    const records = unpackRows(old);
    const ids: string[] = [];
    const rows: RecordRows[] = [];
    const dropped: string[] = [];
    const all = Array.isArray((old as { ids?: unknown } | null)?.ids) ? ((old as { ids: unknown[] }).ids.map(String)) : [];
    if (!('problem' in records)) {
      for (const r of records) {
        if ('problem' in joinRows(r.id, r.rows)) continue;
        ids.push(r.id);
        rows.push(r.rows as unknown as RecordRows);
      }
    }
    for (const id of all) if (!ids.includes(id)) dropped.push(id);
    await Promise.all(dropped.map((id) => tx.objectStore('ids').delete(id)));
    if (ids.length === 0) {
      await Promise.all([packs.delete(key), tx.objectStore('heads').delete(key)]);
      continue;
    }
    await putGroup(tx, key, ids, rows);
    count += ids.length;
  }
  const meta = (await tx.objectStore('meta').get(META_KEY)) as IndexMeta | undefined;
  await migratedMeta(tx, count, meta?.nextPack ?? (keys.length === 0 ? 1 : keys[keys.length - 1]! + 1));
}

/**
 * Schema 3 → 4 inside the upgrade transaction: the packs, in key order (one
 * read at a time), are re-laid out column by column and joined up to
 * PACK_MAX documents, each joined pack under the key of its first; the keys
 * it absorbed go, and the id index follows the documents that moved. Token
 * vectors stay as they are. Records a restore could not have read are
 * dropped, with their id rows and token vectors.
 */
async function migrateV3(_db: IDBPDatabase, tx: IDBPTransaction<unknown, string[], 'versionchange'>): Promise<void> {
  const packs = tx.objectStore('packs');
  const heads = tx.objectStore('heads');
  const idStore = tx.objectStore('ids');
  const keys = (await packs.getAllKeys()) as number[];
  let count = 0;
  let group: { key: number; entries: PackEntry[]; from: Map<string, number> } | undefined;
  const flush = async () => {
    if (group === undefined) return;
    const { key, entries, from } = group;
    group = undefined;
    const pack = packV4(entries);
    await Promise.all([packs.put(pack, key), heads.put(pack.ids, key), ...entries.filter((e) => from.get(e.id) !== key).map((e) => idStore.put(key, e.id))]);
    count += entries.length;
  };
  for (const key of keys) {
    const old: unknown = await packs.get(key);
    const records = unpackGroup(old);
    const all = Array.isArray((old as { ids?: unknown } | null)?.ids) ? (old as { ids: unknown[] }).ids.map(String) : [];
    const kept = new Set<string>();
    for (const r of 'problem' in records ? [] : records) {
      if ('problem' in r) continue;
      const entry = v3Entry(r.id, r.hash, r.record);
      if (group !== undefined && (group.entries.length >= PACK_MAX || !sameShape(group.entries[0]!, entry))) await flush();
      group ??= { key, entries: [], from: new Map() };
      group.entries.push(entry);
      group.from.set(entry.id, key);
      kept.add(r.id);
    }
    await Promise.all(all.filter((id) => !kept.has(id)).flatMap((id) => [idStore.delete(id), tx.objectStore('tokens').delete(id)]));
    // This key now holds nothing, or the group it starts: emptied unless the open group lives here.
    if (group?.key !== key) await Promise.all([packs.delete(key), heads.delete(key)]);
  }
  await flush();
  const meta = (await tx.objectStore('meta').get(META_KEY)) as IndexMeta | undefined;
  await migratedMeta(tx, count, meta?.nextPack ?? (keys.length === 0 ? 1 : keys[keys.length - 1]! + 1));
}

/** A schema-3 record (token vectors deferred, as `unpackGroup` reads it) as a schema-4 pack entry; its checksum is computed afresh, its bytes having just passed the old one. */
function v3Entry(id: string, hash: string, r: StoredRecord): PackEntry {
  const e: PackEntry = {
    id,
    doc: r.doc,
    hash,
    denseKind: r.denseKind,
    dense: new Uint8Array(r.dense),
    sparseIds: new Uint8Array(r.sparseIds),
    sparseWeights: new Uint8Array(r.sparseWeights),
    multiKind: r.multiKind,
    multiCount: r.multiCount,
    multiDim: r.multiDim,
    // A record without token vectors has an empty value: its checksum is that of no bytes.
    multiSum: r.multiDeferred?.sum ?? tokenSum(new ArrayBuffer(0)),
  };
  if (r.denseScale !== undefined) e.scale = r.denseScale;
  return e;
}

/** Two entries that can share a pack: same dense kind and width, same multi kind. */
function sameShape(a: PackEntry, b: PackEntry): boolean {
  return a.denseKind === b.denseKind && a.dense.byteLength === b.dense.byteLength && a.multiKind === b.multiKind && (a.multiCount === 0 || b.multiCount === 0 || a.multiDim === b.multiDim);
}

/** One schema-4 group written inside a migration: the pack, its head, its id rows and its token vectors. */
async function putGroup(tx: IDBPTransaction<unknown, string[], 'versionchange'>, key: number, ids: string[], rows: readonly RecordRows[]): Promise<void> {
  const made = ids.map((id, i) => packEntry(id, rows[i]!));
  const pack = packV4(made.map((m) => m.entry));
  const tokens = made.map((m) => m.tokens);
  await Promise.all([
    tx.objectStore('packs').put(pack, key),
    tx.objectStore('heads').put(ids, key),
    ...ids.map((id) => tx.objectStore('ids').put(key, id)),
    ...ids.map((id, i) => tx.objectStore('tokens').put(tokens[i], id)),
  ]);
}

/** Meta after a migration: this schema, the new count, and a generation with an id-less log entry (every tab re-reads everything). */
async function migratedMeta(tx: IDBPTransaction<unknown, string[], 'versionchange'>, count: number, nextPack: number): Promise<void> {
  const meta = (await tx.objectStore('meta').get(META_KEY)) as IndexMeta | undefined;
  if (meta === undefined) return;
  const generation = (meta.generation ?? 0) + 1;
  await tx.objectStore('meta').put({ ...meta, schemaVersion: SCHEMA_VERSION, count, nextPack, generation, log: appendLog(meta.log, { generation }) }, META_KEY);
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
    if (clearFirst) for (const n of DATA_STORES) pending.add(tx.objectStore(n).clear());
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

/** The documents with these ids (every document when undefined), read from their packs inside `tx`. */
async function readRows(tx: IDBPTransaction<StoreSchema, typeof ALL_STORES, 'readonly'>, ids: readonly string[] | undefined): Promise<LoadedChunk> {
  if (ids === undefined) {
    const [keys, packs, heads] = await Promise.all([tx.objectStore('packs').getAllKeys(), tx.objectStore('packs').getAll(), tx.objectStore('heads').getAll()]);
    return asRecords(readPacks(packs, (i) => heads[i] ?? [], keys));
  }
  const where = await Promise.all(ids.map((id) => tx.objectStore('ids').get(id)));
  const keys = [...new Set(where.filter((k): k is number => k !== undefined))];
  const [packs, heads] = await Promise.all([Promise.all(keys.map((k) => tx.objectStore('packs').get(k))), Promise.all(keys.map((k) => tx.objectStore('heads').get(k)))]);
  const wanted = new Set(ids);
  const all = asRecords(readPacks(packs, (i) => heads[i] ?? [], keys));
  // Only the asked-for ids, and only from the pack the id index names (a stale copy elsewhere is not the document).
  const home = new Map(ids.map((id, i) => [id, where[i]]));
  const keyOf = new Map<string, number>();
  keys.forEach((k, i) => {
    for (const id of packs[i]?.ids ?? heads[i] ?? []) if (home.get(id) === k) keyOf.set(id, k);
  });
  return { entries: all.entries.filter((e) => wanted.has(e.id) && keyOf.has(e.id)), problems: all.problems.filter((p) => wanted.has(p.id)) };
}

/** The documents of the packs in `range` (one read transaction). */
async function readSpan(db: IDBPDatabase<StoreSchema>, range: IDBKeyRange, heads: ReadonlyMap<number, string[]>): Promise<LoadedBlocks> {
  const tx = db.transaction('packs', 'readonly');
  const [keys, packs] = await Promise.all([tx.store.getAllKeys(range), tx.store.getAll(range), tx.done]);
  return readPacks(packs, (i) => heads.get(keys[i]!) ?? [], keys);
}

/** These packs as blocks for the index, each row checked against its checksum; an unreadable pack reports each id its head names. */
function readPacks(packs: readonly (PackV4 | undefined)[], headOf: (i: number) => readonly string[], keys: readonly number[]): LoadedBlocks {
  const loaded: LoadedBlocks = { blocks: [], problems: [] };
  packs.forEach((pack, i) => {
    if (pack === undefined) return;
    const read = readPack(pack);
    if ('problem' in read) {
      for (const id of headOf(i)) loaded.problems.push({ id, reason: `${read.problem} (group ${String(keys[i])})` });
      return;
    }
    for (const p of read.problems) loaded.problems.push({ id: read.ids[p.row]!, reason: p.reason });
    loaded.blocks.push({ block: read.block, ids: read.ids, hashes: read.hashes, rows: read.rows });
  });
  return loaded;
}

/** Blocks as one record per document (for the few documents another tab changed). */
function asRecords(b: LoadedBlocks): LoadedChunk {
  const entries: StoredEntry[] = [];
  for (const { block, ids, hashes, rows } of b.blocks) entries.push(...packRecords({ block, ids, hashes, rows, problems: [] }));
  return { entries, problems: b.problems };
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
