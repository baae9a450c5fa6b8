// The IndexedDB layer (IndexStore + PersistentSearch) under fake-indexeddb:
// reopen without encoding, resume, batch atomicity, model/schema mismatch,
// quota errors and corrupt records. Fast: no model, no browser.
import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { afterEach, describe, expect, it } from 'vitest';
import { isM3SearchError, M3SearchError } from '../../src/core/errors.js';
import { PersistentSearch, type PersistentOpenOptions } from '../../src/browser/persistent-search.js';
import type { SearchWarning } from '../../src/browser/protocol.js';
import { databaseName, IndexStore, SCHEMA_VERSION } from '../../src/browser/store.js';
import { resolveIndexOptions } from '../../src/core/options.js';
import { SearchIndex } from '../../src/core/search-index.js';
import { M3Search } from '../../src/engine/engine.js';
import { docs, FakeEncoder, uniqueName } from './fake-encoder.js';
import { IndexStore as V1Store } from './fixtures/store-v1.js';
import { IndexStore as V2Store } from './fixtures/store-v2.js';
import { IndexStore as V3Store } from './fixtures/store-v3.js';
import { storedIds } from './raw-layout.js';

const open = (enc: FakeEncoder | Promise<FakeEncoder>, name: string, o: Partial<PersistentOpenOptions> = {}) => PersistentSearch.open(enc, { name, ...o });
const opened: PersistentSearch[] = [];
async function openTracked(enc: FakeEncoder | Promise<FakeEncoder>, name: string, o: Partial<PersistentOpenOptions> = {}) {
  const r = await open(enc, name, o);
  opened.push(r.search);
  return r;
}
afterEach(() => {
  for (const s of opened.splice(0)) s.close();
});

async function rejection(p: Promise<unknown>): Promise<M3SearchError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isM3SearchError(e)) throw new Error(`expected an M3SearchError, got ${String(e)}`);
  return e;
}

/** Raw access to the database behind an index, to damage or inspect it. */
async function raw(name: string) {
  return openDB(databaseName(name));
}

/** What is on disk, read without the library: exactly these ids, in the id index and in the packs. */
async function expectStoredIds(name: string, ids: string[]): Promise<void> {
  expect(await storedIds(name)).toEqual(ids);
}

describe('persistent index: reopen and resume', () => {
  it('reopens without encoding and returns identical results', async () => {
    const name = uniqueName('reopen');
    const first = await openTracked(new FakeEncoder(), name);
    expect(first.report.created).toBe(true);
    const rep = await first.search.add(docs(20), { batchSize: 8 });
    expect(rep).toMatchObject({ added: 20, updated: 0, unchanged: 0, docCount: 20 });
    const before = await first.search.search('word5 topic5', { k: 5, mode: 'hybrid' });
    expect(before[0]!.id).toBe('d5');
    first.search.close();

    const enc = new FakeEncoder();
    const again = await openTracked(enc, name);
    expect(again.report).toMatchObject({ restored: 20, created: false, skipped: [] });
    expect(enc.encoded).toEqual([]);
    const after = await again.search.search('word5 topic5', { k: 5, mode: 'hybrid' });
    expect(after.map((h) => [h.id, h.score])).toEqual(before.map((h) => [h.id, h.score]));
    expect(await again.search.counts()).toEqual({ docs: 20, dense: 20, sparse: 20, multi: 20, meta: 20 });
  });

  it('add continues where it stopped: same id + same text is skipped, changed text re-encoded, field-only changes rewritten', async () => {
    const name = uniqueName('resume');
    const a = await openTracked(new FakeEncoder(), name);
    await a.search.add(docs(12), { batchSize: 5 });
    a.search.close();

    const enc = new FakeEncoder();
    const b = await openTracked(enc, name);
    const progress: number[] = [];
    const rep = await b.search.add(docs(18), { batchSize: 5, onProgress: (p) => progress.push(p.done) });
    expect(rep).toMatchObject({ added: 6, updated: 0, unchanged: 12, docCount: 18 });
    expect(enc.encoded).toEqual(docs(6, 12).map((d) => d.text));
    expect(progress).toEqual([0, 5, 6]);

    enc.encoded.length = 0;
    const changed = [{ id: 'd3', text: 'completely new words here' }, { ...docs(1, 4)[0]!, title: 'a title only' }];
    const upd = await b.search.update(changed);
    expect(upd).toMatchObject({ added: 0, updated: 2, unchanged: 0, docCount: 18 });
    expect(enc.encoded).toEqual(['completely new words here']);
    b.search.close();

    const c = await openTracked(new FakeEncoder(), name);
    expect(c.search.index.getDoc('d4')?.title).toBe('a title only');
    const hits = await c.search.search('completely new words', { k: 1, mode: 'sparse' });
    expect(hits[0]!.id).toBe('d3');
  });

  it('nested multi-vectors (the storage a real 1024-d model needs) are stored reduced and restored as stored', async () => {
    const name = uniqueName('nested');
    const storage = { multiVectors: 'nested', maxMultiVectors: 2, multi: 'int8' } as const;
    const a = await openTracked(new FakeEncoder(), name, { storage });
    await a.search.add(docs(12));
    expect(a.search.index.toRecord('d3')).toMatchObject({ multiCount: 2, multiKind: 'int8' }); // 7 token rows → 2
    const before = await a.search.search(docs(1, 3)[0]!.text, { k: 3, mode: 'multi', multiVectorBudget: 1 });
    expect(before[0]!.id).toBe('d3');
    a.search.close();

    const enc = new FakeEncoder();
    const b = await openTracked(enc, name); // no storage option: the stored one applies
    expect(b.search.index.options).toMatchObject(storage);
    expect(enc.encoded).toEqual([]);
    expect(b.search.index.deferredMulti('d3')).toMatchObject({ count: 2, kind: 'int8' }); // still in the store
    const after = await b.search.search(docs(1, 3)[0]!.text, { k: 3, mode: 'multi', multiVectorBudget: 1 });
    expect(after.map((h) => [h.id, h.score])).toEqual(before.map((h) => [h.id, h.score]));
    expect(b.search.index.toRecord('d3')).toMatchObject({ multiCount: 2, multiKind: 'int8' });
    b.search.close();

    // Asking for another layout on an existing index is reported, and the stored layout stays.
    const warnings: SearchWarning[] = [];
    const c = await openTracked(new FakeEncoder(), name, { storage: { multiVectors: 'all', multi: 'int8' }, onWarning: (w) => warnings.push(w) });
    expect(warnings.map((w) => w.code)).toEqual(['STORAGE_OPTIONS_IGNORED']);
    expect(warnings[0]!.message).toContain('nested ≤ 2');
    expect(c.search.index.options).toMatchObject(storage);
  });

  it('a batch that fails leaves earlier batches stored and nothing of itself', async () => {
    const name = uniqueName('atomic');
    const enc = new FakeEncoder();
    enc.failOnBatch = 3;
    const a = await openTracked(enc, name);
    await expect(a.search.add(docs(20), { batchSize: 5 })).rejects.toThrow('encoder failed on purpose');
    expect(a.search.size).toBe(10);
    a.search.close();
    const b = await openTracked(new FakeEncoder(), name);
    expect(b.report.restored).toBe(10);
    expect([...b.search.index.ids()].sort()).toEqual(docs(10).map((d) => d.id).sort());
    expect(await b.search.counts()).toEqual({ docs: 10, dense: 10, sparse: 10, multi: 10, meta: 10 });
  });

  it('an aborted add stops between batches with ABORTED; committed batches stay', async () => {
    const name = uniqueName('abort-signal');
    const a = await openTracked(new FakeEncoder(), name);
    const ctl = new AbortController();
    const err = await rejection(a.search.add(docs(20), { batchSize: 5, signal: ctl.signal, onProgress: (p) => p.done === 10 && ctl.abort() }));
    expect(err.code).toBe('ABORTED');
    expect(err.details).toMatchObject({ committed: 10, total: 20 });
    expect(await a.search.counts()).toEqual({ docs: 10, dense: 10, sparse: 10, multi: 10, meta: 10 });
  });

  it('remove, clear and destroy keep every store consistent', async () => {
    const name = uniqueName('mutate');
    const a = await openTracked(new FakeEncoder(), name);
    await a.search.add(docs(6));
    expect(await a.search.remove(['d2', 'nope'])).toEqual({ removed: 1, docCount: 5 });
    a.search.close();
    const b = await openTracked(new FakeEncoder(), name);
    expect(b.report.restored).toBe(5);
    expect(b.search.index.getDoc('d2')).toBeUndefined();
    expect(await b.search.counts()).toEqual({ docs: 5, dense: 5, sparse: 5, multi: 5, meta: 5 });
    await b.search.clear();
    expect(await b.search.counts()).toEqual({ docs: 0, dense: 0, sparse: 0, multi: 0, meta: 0 });
    expect((await indexedDB.databases()).map((d) => d.name)).toContain(databaseName(name));
    await b.search.destroy();
    const names = (await indexedDB.databases()).map((d) => d.name);
    expect(names).not.toContain(databaseName(name));
  });

  it('write calls apply in call order even when not awaited (add, then remove and a field-only update)', async () => {
    const name = uniqueName('order');
    const a = await openTracked(new FakeEncoder(), name);
    await a.search.add(docs(4));
    // Not awaited: the later calls must see the state the earlier ones leave.
    const pending = [
      a.search.add([{ id: 'd1', text: docs(4)[1]!.text, title: 'renamed' }, ...docs(3, 10)], { batchSize: 1 }),
      a.search.remove(['d1', 'd11']),
      a.search.add([{ id: 'd1', text: 'back again' }]),
    ];
    await Promise.all(pending);
    expect(a.search.index.getDoc('d11')).toBeUndefined();
    expect(a.search.index.getDoc('d1')).toMatchObject({ text: 'back again' });
    expect(a.search.index.getDoc('d1')?.title).toBeUndefined();
    a.search.close();
    const b = await openTracked(new FakeEncoder(), name);
    expect(b.report.skipped).toEqual([]);
    expect(b.search.index.getDoc('d1')).toMatchObject({ text: 'back again' });
    expect(await b.search.counts()).toEqual({ docs: 6, dense: 6, sparse: 6, multi: 6, meta: 6 });
  });
});

describe('persistent index: restoring while the model loads', () => {
  const later = <T>(v: T, ms = 30) => new Promise<T>((r) => setTimeout(() => r(v), ms));

  it('reads the stored records once, before the encoder is ready, and keeps them when the model matches', async () => {
    const name = uniqueName('overlap');
    const a = await openTracked(new FakeEncoder(), name);
    await a.search.add(docs(2100), { batchSize: 300 });
    a.search.close();
    const load = IndexStore.prototype.load;
    let loads = 0;
    IndexStore.prototype.load = function (this: IndexStore, chunk?: number) {
      loads++;
      return load.call(this, chunk);
    };
    const phases: number[] = [];
    try {
      const b = await openTracked(later(new FakeEncoder()), name, { restoreChunk: 300, onProgress: (p) => phases.push(p.loaded) });
      expect(b.report).toMatchObject({ restored: 2100, created: false, skipped: [] });
      expect((await b.search.search('word17', { k: 1, mode: 'sparse' }))[0]!.id).toBe('d17');
    } finally {
      IndexStore.prototype.load = load;
    }
    expect(loads).toBe(1);
    // Batches of 300 fill packs of 1,024 before the next starts; whole packs per read, as few as reach the chunk size.
    expect(phases).toEqual([0, 1024, 2048, 2100]);
  });

  it('creates no database while peeking at a name that does not exist', async () => {
    const name = uniqueName('fresh');
    const a = await openTracked(later(new FakeEncoder()), name);
    expect(a.report).toMatchObject({ created: true, restored: 0 });
  });

  it('drops what it read early when the loaded model does not match (error, then rebuild)', async () => {
    const name = uniqueName('overlap-mismatch');
    const a = await openTracked(new FakeEncoder(), name);
    await a.search.add(docs(12));
    a.search.close();
    const other = () => later(new FakeEncoder({ fingerprint: 'fake-0003' }));
    expect((await rejection(open(other(), name))).code).toBe('MODEL_MISMATCH');
    const rebuilt = await openTracked(other(), name, { onMismatch: 'rebuild' });
    expect(rebuilt.report).toMatchObject({ rebuilt: 'MODEL_MISMATCH', restored: 0 });
    expect(rebuilt.search.size).toBe(0);
    expect(await rebuilt.search.counts()).toEqual({ docs: 0, dense: 0, sparse: 0, multi: 0, meta: 0 });
  });
});

describe('persistent index: model and schema checks', () => {
  it('another model → MODEL_MISMATCH with a rebuild choice; the stored index is untouched until rebuilt', async () => {
    const name = uniqueName('model');
    const a = await openTracked(new FakeEncoder(), name);
    await a.search.add(docs(4));
    a.search.close();

    const other = new FakeEncoder({ modelId: 'test/other', fingerprint: 'fake-0002' });
    const err = await rejection(open(other, name));
    expect(err.code).toBe('MODEL_MISMATCH');
    expect(err.details).toMatchObject({ choices: ['rebuild'], stored: { fingerprint: 'fake-0001' }, current: { fingerprint: 'fake-0002' } });

    const still = await openTracked(new FakeEncoder(), name);
    expect(still.report.restored).toBe(4);
    still.search.close();

    const rebuilt = await openTracked(other, name, { onMismatch: 'rebuild' });
    expect(rebuilt.report).toMatchObject({ rebuilt: 'MODEL_MISMATCH', restored: 0 });
    expect(rebuilt.search.meta).toMatchObject({ modelId: 'test/other', fingerprint: 'fake-0002', count: 0 });
  });

  it('another schema version (meta record or database layout) → SCHEMA_MISMATCH; rebuild starts over', async () => {
    const name = uniqueName('schema');
    const a = await openTracked(new FakeEncoder(), name);
    await a.search.add(docs(3));
    a.search.close();
    const db = await raw(name);
    const meta = (await db.get('meta', 'meta')) as Record<string, unknown>;
    await db.put('meta', { ...meta, schemaVersion: SCHEMA_VERSION + 1 }, 'meta');
    db.close();
    const err = await rejection(open(new FakeEncoder(), name));
    expect(err.code).toBe('SCHEMA_MISMATCH');
    expect(err.details).toMatchObject({ choices: ['rebuild'] });
    const rebuilt = await openTracked(new FakeEncoder(), name, { onMismatch: 'rebuild' });
    expect(rebuilt.report).toMatchObject({ rebuilt: 'SCHEMA_MISMATCH', restored: 0 });
    rebuilt.search.close();

    // A database some other version created with a different layout.
    const foreign = uniqueName('layout');
    const f = await openDB(databaseName(foreign), SCHEMA_VERSION + 1, { upgrade: (d) => void d.createObjectStore('things') });
    f.close();
    expect((await rejection(open(new FakeEncoder(), foreign))).code).toBe('SCHEMA_MISMATCH');
    const fixed = await openTracked(new FakeEncoder(), foreign, { onMismatch: 'rebuild' });
    expect(fixed.report.rebuilt).toBe('SCHEMA_MISMATCH');
    await fixed.search.add(docs(2));
    expect(fixed.search.size).toBe(2);
  });
});

describe('persistent index: storage failures', () => {
  it('QuotaExceededError → QUOTA_EXCEEDED; committed batches stay and the index stays usable', async () => {
    const name = uniqueName('quota');
    const a = await openTracked(new FakeEncoder(), name);
    const proto = IDBObjectStore.prototype;
    const put = proto.put;
    let puts = 0;
    // The second pack (the second batch) hits the quota.
    proto.put = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
      if (this.name === 'packs' && ++puts === 2) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return put.call(this, value, key);
    };
    let err: M3SearchError;
    try {
      err = await rejection(a.search.add(docs(10), { batchSize: 5 }));
    } finally {
      proto.put = put;
    }
    expect(err.code).toBe('QUOTA_EXCEEDED');
    expect(err.details).toMatchObject({ committed: 5, total: 10, cause: 'QuotaExceededError' });
    expect(a.search.size).toBe(5);
    expect(await a.search.counts()).toEqual({ docs: 5, dense: 5, sparse: 5, multi: 5, meta: 5 });
    const hits = await a.search.search('word3', { k: 1, mode: 'sparse' });
    expect(hits[0]!.id).toBe('d3');
    // Space freed: the same call picks up where it failed.
    const rep = await a.search.add(docs(10), { batchSize: 5 });
    expect(rep).toMatchObject({ added: 5, unchanged: 5, docCount: 10 });
  });

  it('a write that fails at its last id row rolls back the pack and every row of the batch written before it', async () => {
    const name = uniqueName('late-failure');
    const a = await openTracked(new FakeEncoder(), name);
    await a.search.add(docs(5));
    const proto = IDBObjectStore.prototype;
    const put = proto.put;
    let idPuts = 0;
    let before = -1;
    // Batch two (d5…d9): its pack, head and four id rows are queued, then the fifth id row
    // fails (d0…d4 are unchanged and not written again).
    proto.put = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
      if (this.name === 'ids' && ++idPuts === 5) {
        before = idPuts;
        throw new DOMException('could not be cloned', 'DataCloneError');
      }
      return put.call(this, value, key);
    };
    let err: M3SearchError;
    try {
      err = await rejection(a.search.add(docs(10), { batchSize: 5 }));
    } finally {
      proto.put = put;
    }
    expect(before).toBe(5);
    expect(err.code).toBe('STORAGE');
    expect(err.details).toMatchObject({ cause: 'DataCloneError' });
    expect(await a.search.counts()).toEqual({ docs: 5, dense: 5, sparse: 5, multi: 5, meta: 5 });
    a.search.close();
    // What is on disk, read without the library: exactly the first batch, in every store.
    await expectStoredIds(name, ['d0', 'd1', 'd2', 'd3', 'd4']);
    const b = await openTracked(new FakeEncoder(), name);
    expect(b.report.restored).toBe(5);
  });

  it('a removal whose transaction fails removes nothing', async () => {
    const name = uniqueName('remove-failure');
    const a = await openTracked(new FakeEncoder(), name);
    await a.search.add(docs(4));
    const proto = IDBObjectStore.prototype;
    const put = proto.put;
    // The deletes are queued first; the meta row (the last request) fails.
    proto.put = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
      if (this.name === 'meta') throw new DOMException('disk error', 'UnknownError');
      return put.call(this, value, key);
    };
    try {
      expect((await rejection(a.search.remove(['d1', 'd2']))).code).toBe('STORAGE');
    } finally {
      proto.put = put;
    }
    a.search.close();
    await expectStoredIds(name, ['d0', 'd1', 'd2', 'd3']);
  });

  it('an aborted transaction (how some browsers report a full disk) is QUOTA_EXCEEDED too, with nothing half-written', async () => {
    const name = uniqueName('abort');
    const a = await openTracked(new FakeEncoder(), name);
    await a.search.add(docs(3));
    const proto = IDBObjectStore.prototype;
    const put = proto.put;
    proto.put = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
      const req = put.call(this, value, key);
      // The last request of the batch; the abort lands when the transaction would commit.
      if (this.name === 'meta') this.transaction.abort();
      return req;
    };
    let err: M3SearchError;
    try {
      err = await rejection(a.search.add(docs(3, 3)));
    } finally {
      proto.put = put;
    }
    expect(err.code).toBe('QUOTA_EXCEEDED');
    expect(await a.search.counts()).toEqual({ docs: 3, dense: 3, sparse: 3, multi: 3, meta: 3 });
    expect(a.search.size).toBe(3);
  });

  it('records that fail to decode are reported, skipped, and repaired by adding them again', async () => {
    const name = uniqueName('corrupt');
    const a = await openTracked(new FakeEncoder(), name);
    await a.search.add(docs(6));
    a.search.close();
    const db = await raw(name);
    const key = (await db.get('ids', 'd1')) as number;
    // Schema 4: the pack's columns (record-parts.ts, PackV4); the default dense storage is float32.
    const pack = (await db.get('packs', key)) as { ids: string[]; docs: { id: string }[]; dim: number; dense: ArrayBuffer; sparseEnds: ArrayBuffer; sparseIds: ArrayBuffer };
    const row = (id: string) => pack.ids.indexOf(id);
    new Uint8Array(pack.dense)[row('d1') * pack.dim * 4 + 1]! ^= 0x40; // one dense byte changed: the checksum no longer matches
    new Uint32Array(pack.sparseEnds)[row('d2')] = pack.sparseIds.byteLength / 4 + 1; // its sparse vector runs past the pack
    pack.docs[row('d3')]!.id = 'someone-else';
    await db.put('packs', pack, key);
    db.close();

    const warnings: SearchWarning[] = [];
    const enc = new FakeEncoder();
    const b = await openTracked(enc, name, { onWarning: (w) => warnings.push(w) });
    expect(b.report.skipped.map((s) => s.id).sort()).toEqual(['d1', 'd2', 'd3']);
    expect(b.report.restored).toBe(3);
    expect(warnings.map((w) => w.code)).toContain('CORRUPT_RECORD');
    expect((await b.search.search('word4', { k: 1, mode: 'sparse' }))[0]!.id).toBe('d4');

    const rep = await b.search.add(docs(6));
    expect(rep).toMatchObject({ added: 3, unchanged: 3, docCount: 6 });
    expect(enc.encoded).toEqual(['d1', 'd2', 'd3'].map((id) => docs(6).find((d) => d.id === id)!.text));
    expect(await b.search.counts()).toEqual({ docs: 6, dense: 6, sparse: 6, multi: 6, meta: 6 });
    b.search.close();
    await expectStoredIds(name, docs(6).map((d) => d.id).sort());
  });

  it('an id index that disagrees with the packs is reported as INCONSISTENT_STORE', async () => {
    const name = uniqueName('inconsistent');
    const a = await openTracked(new FakeEncoder(), name);
    await a.search.add(docs(4));
    a.search.close();
    const db = await raw(name);
    await db.delete('ids', 'd2');
    db.close();
    const warnings: SearchWarning[] = [];
    const b = await openTracked(new FakeEncoder(), name, { onWarning: (w) => warnings.push(w) });
    expect(warnings.map((w) => w.code)).toEqual(['INCONSISTENT_STORE']);
    expect(await b.search.counts()).toMatchObject({ docs: 3, dense: 4 });
  });

  it('IndexStore.destroy of an unknown name is harmless', async () => {
    await expect(IndexStore.destroy(uniqueName('never'))).resolves.toBeUndefined();
  });
});

describe('persistent index: token vectors stay in the store until ranking needs them', () => {
  /** Counts the token-vector values read (what a reopen must not read at all). */
  function countTokenReads(): { reads: () => number; restore: () => void } {
    const readTokens = IndexStore.prototype.readTokens;
    let n = 0;
    IndexStore.prototype.readTokens = function (this: IndexStore, wanted) {
      n += wanted.length;
      return readTokens.call(this, wanted);
    };
    return { reads: () => n, restore: () => (IndexStore.prototype.readTokens = readTokens) };
  }

  it('a reopen reads no token vectors; a query reads only its candidates, once; answers equal the index that never closed', async () => {
    const name = uniqueName('lazy');
    const a = await openTracked(new FakeEncoder(), name);
    await a.search.add(docs(60), { batchSize: 16 });
    const queries = ['word17 topic3', 'passage 5 about topic2', 'word40'];
    const expected = [];
    for (const q of queries) expected.push((await a.search.search(q, { k: 5, mode: 'hybrid', candidates: 8 })).map((h) => [h.id, h.score]));
    a.search.close();

    const spy = countTokenReads();
    try {
      const b = await openTracked(new FakeEncoder(), name);
      expect(spy.reads()).toBe(0);
      expect(b.search.index.deferredCount).toBe(60);
      expect(await b.search.search('word17', { k: 3, mode: 'dense' })).toHaveLength(3);
      expect(spy.reads()).toBe(3); // dense ranks without token vectors; only the k hits' are read, for their signals
      const got = [];
      for (const q of queries) got.push((await b.search.search(q, { k: 5, mode: 'hybrid', candidates: 8 })).map((h) => [h.id, h.score]));
      expect(got).toEqual(expected);
      const read = spy.reads();
      expect(read).toBeGreaterThan(3);
      expect(read).toBeLessThanOrEqual(3 + 3 * 16); // dense top-8 ∪ sparse top-8 per query
      expect(b.search.index.deferredCount).toBe(60 - read); // each read once, kept in memory
      for (const q of queries) await b.search.search(q, { k: 5, mode: 'hybrid', candidates: 8 });
      expect(spy.reads()).toBe(read);
      // A multi-only query needs every document's token vectors.
      await b.search.search('word17', { k: 3, mode: 'multi' });
      expect(b.search.index.deferredCount).toBe(0);
    } finally {
      spy.restore();
    }
  });

  it('field-only update, text update and remove of documents whose token vectors were never read', async () => {
    const name = uniqueName('lazy-write');
    const a = await openTracked(new FakeEncoder(), name);
    await a.search.add(docs(20), { batchSize: 8 });
    a.search.close();

    const enc = new FakeEncoder();
    const b = await openTracked(enc, name);
    const d4 = docs(1, 4)[0]!;
    expect(b.search.index.deferredMulti('d4')).toBeDefined();
    expect(await b.search.update([{ ...d4, title: 'renamed' }, { id: 'd5', text: 'brand new words' }])).toMatchObject({ updated: 2 });
    expect(enc.encoded).toEqual(['brand new words']); // d4's stored vectors were read back, not re-encoded
    await b.search.remove(['d6']);
    const hits = (await b.search.search(d4.text, { k: 20, mode: 'multi' })).map((h) => [h.id, h.score, h.doc.title]);
    b.search.close();
    await expectStoredIds(name, docs(20).map((d) => d.id).filter((id) => id !== 'd6').sort());

    const c = await openTracked(new FakeEncoder(), name);
    expect(await c.search.counts()).toEqual({ docs: 19, dense: 19, sparse: 19, multi: 19, meta: 19 });
    expect((await c.search.search(d4.text, { k: 20, mode: 'multi' })).map((h) => [h.id, h.score, h.doc.title])).toEqual(hits);
    expect(c.search.index.getDoc('d6')).toBeUndefined();
  });

  it('token vectors changed in storage: the document is left out at the query that needs them and reported, the query answers without it', async () => {
    const name = uniqueName('lazy-corrupt');
    const a = await openTracked(new FakeEncoder(), name);
    await a.search.add(docs(12));
    a.search.close();
    const db = await raw(name);
    const bytes = new Uint8Array((await db.get('tokens', 'd3')) as ArrayBuffer);
    bytes[1]! ^= 0x10;
    await db.put('tokens', bytes.buffer, 'd3');
    await db.delete('tokens', 'd7'); // gone altogether
    db.close();

    const expected = new M3Search(new FakeEncoder());
    await expected.add(docs(12).filter((d) => d.id !== 'd3' && d.id !== 'd7'));
    const want = (await expected.search('topic3 word3', { k: 12, mode: 'multi' })).map((h) => [h.id, h.score]);

    const warnings: SearchWarning[] = [];
    const b = await openTracked(new FakeEncoder(), name, { onWarning: (w) => warnings.push(w) });
    // The reopen does not count token values (that walks most of the database's bytes): nothing is reported yet.
    expect(warnings.map((w) => w.code)).toEqual([]);
    expect(b.report.restored).toBe(12);
    expect(await b.search.counts()).toMatchObject({ docs: 12, multi: 11 }); // stats() still counts them
    const hits = await b.search.search('topic3 word3', { k: 12, mode: 'multi' });
    expect(hits.map((h) => [h.id, h.score])).toEqual(want);
    expect(warnings.map((w) => w.code)).toEqual(['CORRUPT_RECORD']);
    expect((warnings[0]!.details as { skipped: { id: string }[] }).skipped.map((s) => s.id).sort()).toEqual(['d3', 'd7']);
    // Adding them again repairs them.
    const enc = new FakeEncoder();
    b.search.close();
    const c = await openTracked(enc, name);
    expect(await c.search.add(docs(12))).toMatchObject({ unchanged: 10 });
    await c.search.search('topic3 word3', { k: 12, mode: 'multi' });
    expect(await c.search.counts()).toEqual({ docs: 12, dense: 12, sparse: 12, multi: 12, meta: 12 });
  });
});

describe('persistent index: schema 1 → 4 migration', () => {
  /** A database written by the schema-1 code itself (the frozen store), through the engine as a page would. */
  async function writeV1(name: string, count: number, batchSize: number): Promise<void> {
    const { store } = await V1Store.open({ name, model: identity(new FakeEncoder()), storage: resolveIndexOptions({}) });
    const engine = new M3Search(new FakeEncoder(), new SearchIndex(resolveIndexOptions({})), { store });
    await engine.add(docs(count), { batchSize });
    await engine.remove(['d3']);
    store.close();
  }
  const identity = (e: FakeEncoder) => ({ modelId: e.info.modelId, fingerprint: e.info.fingerprint, denseDim: e.info.denseDim, multiDim: e.info.multiDim });

  it('a schema-1 database opens, migrates in place and searches the same; resume still skips what is stored', async () => {
    const name = uniqueName('migrate');
    await writeV1(name, 40, 8);
    const memory = new M3Search(new FakeEncoder());
    await memory.add(docs(40).filter((d) => d.id !== 'd3'));
    const expected = await memory.search('word17 topic3', { k: 10, mode: 'hybrid' });

    const enc = new FakeEncoder();
    const a = await openTracked(enc, name);
    expect(a.report).toMatchObject({ restored: 39, created: false, skipped: [] });
    expect(a.search.meta).toMatchObject({ schemaVersion: SCHEMA_VERSION, count: 39 });
    const hits = await a.search.search('word17 topic3', { k: 10, mode: 'hybrid' });
    expect(hits.map((h) => [h.id, h.score])).toEqual(expected.map((h) => [h.id, h.score]));
    expect(await a.search.counts()).toEqual({ docs: 39, dense: 39, sparse: 39, multi: 39, meta: 39 });
    a.search.close();
    await expectStoredIds(name, docs(40).map((d) => d.id).filter((id) => id !== 'd3').sort());
    const db = await raw(name);
    expect(db.version).toBe(SCHEMA_VERSION);
    expect([...db.objectStoreNames].sort()).toEqual(['heads', 'ids', 'meta', 'packs', 'tokens']);
    db.close();

    // Nothing re-encoded on resume; a document inside a migrated pack can be updated and removed.
    const b = await openTracked(enc, name);
    expect(await b.search.add(docs(40))).toMatchObject({ added: 1, unchanged: 39 });
    expect(enc.encoded).toEqual([docs(1, 3)[0]!.text]);
    await b.search.update([{ id: 'd17', text: 'replaced words' }]);
    await b.search.remove(['d18']);
    b.search.close();
    const c = await openTracked(new FakeEncoder(), name);
    expect(c.report.restored).toBe(39);
    expect((await c.search.search('replaced words', { k: 1, mode: 'sparse' }))[0]!.id).toBe('d17');
    expect(c.search.index.getDoc('d18')).toBeUndefined();
  });

  it('a migration that fails part-way leaves the schema-1 database as it was, and the next open migrates it', async () => {
    const name = uniqueName('migrate-fail');
    await writeV1(name, 70, 8); // three packs of 32 when migrated: the second one fails
    const proto = IDBObjectStore.prototype;
    const put = proto.put;
    let packs = 0;
    proto.put = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
      if (this.name === 'packs' && ++packs === 2) throw new DOMException('disk error', 'UnknownError');
      return put.call(this, value, key);
    };
    try {
      expect((await rejection(open(new FakeEncoder(), name))).code).toBe('STORAGE');
    } finally {
      proto.put = put;
    }
    const db = await raw(name);
    expect(db.version).toBe(1);
    expect((await db.getAllKeys('docs')).length).toBe(69);
    expect((await db.getAllKeys('multi')).length).toBe(69);
    db.close();

    const again = await openTracked(new FakeEncoder(), name);
    expect(again.report).toMatchObject({ restored: 69, skipped: [] });
    expect((await again.search.search('word21', { k: 1, mode: 'sparse' }))[0]!.id).toBe('d21');
  });
});

describe('persistent index: schema 2 → 4 migration (token vectors out of the packs)', () => {
  /** A database written by the schema-2 code itself (the frozen store), through the engine as a page would. */
  async function writeV2(name: string, count: number, batchSize: number): Promise<void> {
    const { store } = await V2Store.open({ name, model: identity(new FakeEncoder()), storage: resolveIndexOptions({}) });
    const engine = new M3Search(new FakeEncoder(), new SearchIndex(resolveIndexOptions({})), { store });
    await engine.add(docs(count), { batchSize });
    await engine.remove(['d3']);
    await engine.update([{ id: 'd9', text: 'rewritten before the migration' }]);
    store.close();
  }
  const identity = (e: FakeEncoder) => ({ modelId: e.info.modelId, fingerprint: e.info.fingerprint, denseDim: e.info.denseDim, multiDim: e.info.multiDim });
  const live = () => docs(40).filter((d) => d.id !== 'd3').map((d) => (d.id === 'd9' ? { id: 'd9', text: 'rewritten before the migration' } : d));

  it('a schema-2 database opens, migrates in place (same packs, token vectors apart) and searches the same; resume still skips what is stored', async () => {
    const name = uniqueName('migrate2');
    await writeV2(name, 40, 8);
    const memory = new M3Search(new FakeEncoder());
    await memory.add(live());
    const queries = ['word17 topic3', 'rewritten migration'];
    const expected = [];
    for (const q of queries) expected.push((await memory.search(q, { k: 10, mode: 'hybrid' })).map((h) => [h.id, h.score]));

    const before = await raw(name);
    expect(before.version).toBe(2);
    const packKeys = await before.getAllKeys('packs');
    before.close();

    const enc = new FakeEncoder();
    const a = await openTracked(enc, name);
    expect(a.report).toMatchObject({ restored: 39, created: false, skipped: [] });
    expect(a.search.meta).toMatchObject({ schemaVersion: SCHEMA_VERSION, count: 39 });
    const got = [];
    for (const q of queries) got.push((await a.search.search(q, { k: 10, mode: 'hybrid' })).map((h) => [h.id, h.score]));
    expect(got).toEqual(expected);
    expect(await a.search.counts()).toEqual({ docs: 39, dense: 39, sparse: 39, multi: 39, meta: 39 });
    a.search.close();
    await expectStoredIds(name, live().map((d) => d.id).sort());
    const db = await raw(name);
    expect(db.version).toBe(SCHEMA_VERSION);
    expect([...db.objectStoreNames].sort()).toEqual(['heads', 'ids', 'meta', 'packs', 'tokens']);
    expect(await db.getAllKeys('packs')).toEqual(packKeys);
    expect((await db.getAllKeys('tokens')).length).toBe(39);
    db.close();

    // Nothing re-encoded on resume; a document inside a migrated pack can be updated and removed.
    const b = await openTracked(enc, name);
    expect(await b.search.add(live())).toMatchObject({ unchanged: 39 });
    expect(enc.encoded).toEqual([]);
    await b.search.update([{ id: 'd17', text: 'replaced words' }]);
    await b.search.remove(['d18']);
    b.search.close();
    const c = await openTracked(new FakeEncoder(), name);
    expect(c.report.restored).toBe(38);
    expect((await c.search.search('replaced words', { k: 1, mode: 'multi' }))[0]!.id).toBe('d17');
    expect(c.search.index.getDoc('d18')).toBeUndefined();
    expect(await c.search.counts()).toEqual({ docs: 38, dense: 38, sparse: 38, multi: 38, meta: 38 });
  });

  it('a migration that fails part-way leaves the schema-2 database as it was, and the next open migrates it', async () => {
    const name = uniqueName('migrate2-fail');
    await writeV2(name, 40, 8);
    const before = await raw(name);
    const packs = await before.getAll('packs');
    before.close();
    const proto = IDBObjectStore.prototype;
    const put = proto.put;
    let n = 0;
    proto.put = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
      if (this.name === 'packs' && ++n === 2) throw new DOMException('disk error', 'UnknownError');
      return put.call(this, value, key);
    };
    try {
      expect((await rejection(open(new FakeEncoder(), name))).code).toBe('STORAGE');
    } finally {
      proto.put = put;
    }
    const db = await raw(name);
    expect(db.version).toBe(2);
    expect([...db.objectStoreNames].sort()).toEqual(['heads', 'ids', 'meta', 'packs']);
    expect(await db.getAll('packs')).toEqual(packs);
    db.close();

    const again = await openTracked(new FakeEncoder(), name);
    expect(again.report).toMatchObject({ restored: 39, skipped: [] });
    expect((await again.search.search('word21', { k: 1, mode: 'multi' }))[0]!.id).toBe('d21');
  });

  it('a schema-2 record damaged before the migration is dropped by it, the rest migrate', async () => {
    const name = uniqueName('migrate2-damaged');
    await writeV2(name, 16, 8);
    const db = await raw(name);
    const key = (await db.get('ids', 'd5')) as number;
    const pack = (await db.get('packs', key)) as { ids: string[]; spans: ArrayBuffer; data: ArrayBuffer };
    const spans = new Uint32Array(pack.spans);
    new Uint8Array(pack.data)[spans[pack.ids.indexOf('d5') * 5 * 2 + 6]! + 1]! ^= 0x08; // a multi byte: its schema-2 checksum fails
    await db.put('packs', pack, key);
    db.close();
    const a = await openTracked(new FakeEncoder(), name);
    expect(a.report).toMatchObject({ restored: 14, skipped: [] });
    expect(a.search.index.getDoc('d5')).toBeUndefined();
    expect(await a.search.counts()).toEqual({ docs: 14, dense: 14, sparse: 14, multi: 14, meta: 14 });
  });
});

describe('persistent index: schema 3 → 4 migration (packs column by column, joined up to 1,024 documents)', () => {
  /** A database written by the schema-3 code itself (the frozen store), through the engine as a page would. */
  async function writeV3(name: string, count: number, batchSize: number, storage = resolveIndexOptions({})): Promise<void> {
    const { store } = await V3Store.open({ name, model: identity(new FakeEncoder()), storage });
    const engine = new M3Search(new FakeEncoder(), new SearchIndex(storage), { store });
    await engine.add(docs(count), { batchSize });
    await engine.remove(['d3']);
    await engine.update([{ id: 'd9', text: 'rewritten before the migration' }]);
    store.close();
  }
  const identity = (e: FakeEncoder) => ({ modelId: e.info.modelId, fingerprint: e.info.fingerprint, denseDim: e.info.denseDim, multiDim: e.info.multiDim });
  const live = (n: number) => docs(n).filter((d) => d.id !== 'd3').map((d) => (d.id === 'd9' ? { id: 'd9', text: 'rewritten before the migration' } : d));

  it('a schema-3 database opens, migrates in place (its packs joined, token vectors untouched) and searches the same; resume still skips what is stored', async () => {
    const name = uniqueName('migrate3');
    // 600 documents in schema 3's packs of at most 256 (three of them): one pack of schema 4.
    await writeV3(name, 600, 100);
    const memory = new M3Search(new FakeEncoder());
    await memory.add(live(600));
    const queries = ['word17 topic3', 'rewritten migration'];
    const expected = [];
    for (const q of queries) expected.push((await memory.search(q, { k: 10, mode: 'hybrid' })).map((h) => [h.id, h.score]));

    const before = await raw(name);
    expect(before.version).toBe(3);
    const packKeys = await before.getAllKeys('packs');
    expect(packKeys.length).toBe(3);
    const tokenValues = new Map((await before.getAllKeys('tokens')).map((k, i) => [k, i]));
    const tokens = await before.getAll('tokens');
    before.close();

    const enc = new FakeEncoder();
    const a = await openTracked(enc, name);
    expect(a.report).toMatchObject({ restored: 599, created: false, skipped: [] });
    expect(a.search.meta).toMatchObject({ schemaVersion: SCHEMA_VERSION, count: 599 });
    const got = [];
    for (const q of queries) got.push((await a.search.search(q, { k: 10, mode: 'hybrid' })).map((h) => [h.id, h.score]));
    expect(got).toEqual(expected);
    expect(await a.search.counts()).toEqual({ docs: 599, dense: 599, sparse: 599, multi: 599, meta: 599 });
    a.search.close();
    await expectStoredIds(name, live(600).map((d) => d.id).sort());
    const db = await raw(name);
    expect(db.version).toBe(SCHEMA_VERSION);
    expect([...db.objectStoreNames].sort()).toEqual(['heads', 'ids', 'meta', 'packs', 'tokens']);
    expect(await db.getAllKeys('packs')).toEqual([packKeys[0]]);
    const pack = (await db.get('packs', packKeys[0]!)) as { ids: string[]; dense: ArrayBuffer; sparseEnds: ArrayBuffer };
    expect(pack.ids.length).toBe(599);
    expect(pack.dense.byteLength).toBe(599 * enc.info.denseDim * 4);
    // Token vectors are not rewritten: the same bytes under the same keys.
    const after = await db.getAll('tokens');
    (await db.getAllKeys('tokens')).forEach((k, i) => expect(after[i]).toEqual(tokens[tokenValues.get(k)!]));
    db.close();

    // Nothing re-encoded on resume; a document inside a migrated pack can be updated and removed.
    const b = await openTracked(enc, name);
    expect(await b.search.add(live(600))).toMatchObject({ unchanged: 599 });
    expect(enc.encoded).toEqual([]);
    await b.search.update([{ id: 'd17', text: 'replaced words' }]);
    await b.search.remove(['d18']);
    b.search.close();
    const c = await openTracked(new FakeEncoder(), name);
    expect(c.report.restored).toBe(598);
    expect((await c.search.search('replaced words', { k: 1, mode: 'multi' }))[0]!.id).toBe('d17');
    expect(c.search.index.getDoc('d18')).toBeUndefined();
    expect(await c.search.counts()).toEqual({ docs: 598, dense: 598, sparse: 598, multi: 598, meta: 598 });
    await expectStoredIds(name, live(600).map((d) => d.id).filter((id) => id !== 'd18').sort());
  });

  it('int8 storage migrates too, and more than 1,024 documents become several packs with the id index following them', async () => {
    const name = uniqueName('migrate3-int8');
    const storage = resolveIndexOptions({ dense: 'int8', multi: 'int8', sparse: 'float16' });
    await writeV3(name, 1100, 100, storage);
    const memory = new M3Search(new FakeEncoder(), storage);
    await memory.add(live(1100));
    const expected = (await memory.search('word170 topic3', { k: 10, mode: 'hybrid' })).map((h) => [h.id, h.score]);
    const a = await openTracked(new FakeEncoder(), name, { storage });
    expect(a.report).toMatchObject({ restored: 1099, skipped: [] });
    expect((await a.search.search('word170 topic3', { k: 10, mode: 'hybrid' })).map((h) => [h.id, h.score])).toEqual(expected);
    a.search.close();
    await expectStoredIds(name, live(1100).map((d) => d.id).sort());
    const db = await raw(name);
    const sizes = ((await db.getAll('heads')) as string[][]).map((ids) => ids.length);
    db.close();
    expect(sizes).toEqual([1024, 75]);
  });

  it('a migration that fails part-way leaves the schema-3 database as it was, and the next open migrates it', async () => {
    const name = uniqueName('migrate3-fail');
    await writeV3(name, 600, 100);
    const before = await raw(name);
    const packs = await before.getAll('packs');
    const ids = await before.getAll('ids');
    before.close();
    const proto = IDBObjectStore.prototype;
    const del = proto.delete;
    let n = 0;
    // The second pack's key is deleted once its records joined the first: fail there, after the first writes.
    proto.delete = function (this: IDBObjectStore, key: IDBValidKey | IDBKeyRange) {
      if (this.name === 'packs' && ++n === 1) throw new DOMException('disk error', 'UnknownError');
      return del.call(this, key);
    };
    try {
      expect((await rejection(open(new FakeEncoder(), name))).code).toBe('STORAGE');
    } finally {
      proto.delete = del;
    }
    expect(n).toBe(1);
    const db = await raw(name);
    expect(db.version).toBe(3);
    expect(await db.getAll('packs')).toEqual(packs);
    expect(await db.getAll('ids')).toEqual(ids);
    db.close();

    const again = await openTracked(new FakeEncoder(), name);
    expect(again.report).toMatchObject({ restored: 599, skipped: [] });
    const memory = new M3Search(new FakeEncoder());
    await memory.add(live(600));
    const hits = async (s: { search: M3Search['search'] }) => (await s.search('word21 topic2', { k: 5, mode: 'hybrid' })).map((h) => [h.id, h.score]);
    expect(await hits(again.search)).toEqual(await hits(memory));
  });

  it('a schema-3 record damaged before the migration is dropped by it, with its id row and token vectors; the rest migrate', async () => {
    const name = uniqueName('migrate3-damaged');
    await writeV3(name, 16, 8);
    const db = await raw(name);
    const key = (await db.get('ids', 'd5')) as number;
    const pack = (await db.get('packs', key)) as { ids: string[]; spans: ArrayBuffer; data: ArrayBuffer };
    const spans = new Uint32Array(pack.spans);
    new Uint8Array(pack.data)[spans[pack.ids.indexOf('d5') * 3 * 2]! + 1]! ^= 0x08; // a dense byte: its schema-3 checksum fails
    await db.put('packs', pack, key);
    db.close();
    const a = await openTracked(new FakeEncoder(), name);
    expect(a.report).toMatchObject({ restored: 14, skipped: [] });
    expect(a.search.index.getDoc('d5')).toBeUndefined();
    expect(await a.search.counts()).toEqual({ docs: 14, dense: 14, sparse: 14, multi: 14, meta: 14 });
    a.search.close();
    await expectStoredIds(name, live(16).map((d) => d.id).filter((id) => id !== 'd5').sort());
  });
});
