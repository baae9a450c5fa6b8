// Two PersistentSearch instances on one index name stand in for two tabs
// (fake-indexeddb; Node's BroadcastChannel carries the change messages, and
// Node has no navigator.locks, so this is also the lock-less fallback). A
// clear, an add or a remove from "tab B" lands between two groups of "tab A"'s
// add; afterwards both in-memory indexes, the raw database and a reopen agree,
// and add(allDocs) again restores what the clear removed. Chromium runs the
// same scenarios with real tabs and Web Locks in test/e2e/cross-tab.test.ts.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Encoded } from '../../src/core/types.js';
import { PersistentSearch } from '../../src/browser/persistent-search.js';
import { databaseName, IndexStore } from '../../src/browser/store.js';
import { docs, FakeEncoder, uniqueName } from './fake-encoder.js';
import { storedIds } from './raw-layout.js';

/** Holds its `holdAt`-th passage batch until `release()`: a point between two committed groups. */
class GatedEncoder extends FakeEncoder {
  private batch = 0;
  private open!: () => void;
  private readonly gate = new Promise<void>((r) => (this.open = r));
  constructor(private readonly holdAt: number) {
    super();
  }
  release(): void {
    this.open();
  }
  override async encode(texts: readonly string[], opts: { kind?: 'query' | 'passage' } = {}): Promise<Encoded[]> {
    if (opts.kind !== 'query' && ++this.batch === this.holdAt) await this.gate;
    return super.encode(texts, opts);
  }
}

const opened: PersistentSearch[] = [];
async function tab(name: string, enc: FakeEncoder = new FakeEncoder()): Promise<PersistentSearch> {
  const { search } = await PersistentSearch.open(enc, { name });
  opened.push(search);
  return search;
}
afterEach(() => {
  for (const s of opened.splice(0)) s.close();
});

const memoryIds = (s: PersistentSearch) => [...s.index.ids()].sort();

/** Every tab's memory equals the database (once the broadcasts have landed), and so does a reopen. */
async function expectAgree(name: string, tabs: PersistentSearch[]): Promise<string[]> {
  const ids = await storedIds(name);
  for (const t of tabs) await vi.waitFor(() => expect(memoryIds(t)).toEqual(ids), { timeout: 2000, interval: 10 });
  const fresh = await tab(name);
  expect(memoryIds(fresh)).toEqual(ids);
  if (ids.length > 0) {
    const q = 'passage topic3 word20';
    const want = (await fresh.search(q, { k: 10 })).map((h) => [h.id, h.score]);
    for (const t of tabs) expect((await t.search(q, { k: 10 })).map((h) => [h.id, h.score])).toEqual(want);
  }
  return ids;
}

/** A runs add(all, batch 8) held before its 3rd group (16 committed); `meanwhile` runs in B; then A finishes. */
async function duringAdd(name: string, all: ReturnType<typeof docs>, meanwhile: (b: PersistentSearch) => Promise<unknown>) {
  const enc = new GatedEncoder(3);
  const a = await tab(name, enc);
  const b = await tab(name);
  let committed = 0;
  const adding = a.add(all, { batchSize: 8, onProgress: (p) => (committed = p.done) });
  await vi.waitFor(() => expect(committed).toBe(16), { timeout: 2000, interval: 5 });
  const other = await meanwhile(b);
  enc.release();
  return { a, b, report: await adding, other };
}

describe('two tabs on one index (fake-indexeddb, Node BroadcastChannel, no Web Locks)', () => {
  it("clear during another tab's add: the add's later groups stay, it reports what was cleared, and add(allDocs) again restores it", async () => {
    const name = uniqueName('xt-clear');
    const all = docs(48);
    const { a, b, report } = await duringAdd(name, all, (b) => b.clear());
    const cleared = all.slice(0, 16).map((d) => d.id);
    expect(report).toMatchObject({ added: 48, docCount: 32 });
    expect([...report.removedElsewhere!].sort()).toEqual([...cleared].sort());
    expect(await expectAgree(name, [a, b])).toEqual(all.slice(16).map((d) => d.id).sort());

    // The README's resume: the same call again encodes exactly what is missing from the store.
    const again = await a.add(all, { batchSize: 8 });
    expect(again).toMatchObject({ added: 16, unchanged: 32, docCount: 48 });
    expect(again.removedElsewhere).toBeUndefined();
    expect(await expectAgree(name, [a, b])).toHaveLength(48);
  });

  it("add during another tab's add (different documents): nothing lost, each tab searches the other's documents", async () => {
    const name = uniqueName('xt-add');
    const mine = docs(40);
    const theirs = docs(12, 100);
    const { a, b, report, other } = await duringAdd(name, mine, (b) => b.add(theirs, { batchSize: 5 }));
    expect(other).toMatchObject({ added: 12, docCount: 28 }); // B saw A's 16 before writing
    expect(report).toMatchObject({ added: 40, docCount: 52 });
    expect(report.removedElsewhere).toBeUndefined();
    const ids = await expectAgree(name, [a, b]);
    expect(ids).toHaveLength(52);
    // B finds a passage A wrote after B's own add, without reopening.
    expect((await b.search(mine[39]!.text, { k: 1, mode: 'sparse' }))[0]!.id).toBe(mine[39]!.id);
    expect(b.size).toBe(52);
  });

  it("remove during another tab's add: the removal stays, the add reports it, memory and store agree", async () => {
    const name = uniqueName('xt-remove');
    const all = docs(32);
    const gone = ['d1', 'd9', 'd30']; // two committed by A before, one that does not exist yet
    const { a, b, report, other } = await duringAdd(name, all, (b) => b.remove(gone));
    expect(other).toEqual({ removed: 2, docCount: 14 });
    expect(report).toMatchObject({ docCount: 30 });
    expect([...report.removedElsewhere!].sort()).toEqual(['d1', 'd9']);
    expect(await expectAgree(name, [a, b])).toEqual(all.map((d) => d.id).filter((id) => id !== 'd1' && id !== 'd9').sort());
  });

  it('a tab that hears nothing catches up at its next add; past the stored log it re-reads the whole store', async () => {
    const name = uniqueName('xt-behind');
    const a = await tab(name);
    vi.stubGlobal('BroadcastChannel', undefined); // B gets no messages: only the stored generation tells it
    const enc = new FakeEncoder();
    let b: PersistentSearch;
    try {
      b = await tab(name, enc);
    } finally {
      vi.unstubAllGlobals();
    }
    const kinds: string[] = [];
    const original = IndexStore.prototype.changesSince;
    const watch = vi.spyOn(IndexStore.prototype, 'changesSince').mockImplementation(async function (this: IndexStore, ...args: Parameters<IndexStore['changesSince']>) {
      const r = await original.apply(this, args);
      kinds.push(r?.kind ?? 'none');
      return r;
    });
    try {
      await a.add(docs(3));
      await b.add([]); // a few generations behind: the logged ids only
      expect(kinds.at(-1)).toBe('delta');
      expect(memoryIds(b)).toEqual(['d0', 'd1', 'd2']);
      // 40 single-document writes and a removal: more than the log's 32 entries.
      for (const d of docs(40, 3)) await a.add([d]);
      await a.remove(['d0']);
      await b.add([]);
      expect(kinds.at(-1)).toBe('all');
    } finally {
      watch.mockRestore();
    }
    expect(await expectAgree(name, [a, b])).toHaveLength(42);
    expect(enc.encoded).toEqual([]); // caught up by reading, never by encoding
  });
});
