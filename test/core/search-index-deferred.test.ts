// Token vectors left in the store (schema 3: a reopen reads none): records
// with `multiDeferred`, loaded by `searchLoading` only for the candidates that
// ranking needs, each once, checked against what the record announced.
// Expected rankings come from an index that holds every vector from the start.
import { describe, expect, it } from 'vitest';
import { SearchIndex } from '../../src/core/search-index.js';
import { decodeRecord } from '../../src/core/record.js';
import type { StoredRecord } from '../../src/core/record.js';
import type { Encoded } from '../../src/core/types.js';

/** Doc i: dense along its own axis mix, multi rows chosen so MaxSim differs per doc. */
function enc(i: number): Encoded {
  const a = Math.cos(i / 3);
  const b = Math.sin(i / 3);
  return {
    dense: Float32Array.from([a, b]),
    sparse: { ids: Uint32Array.from([i % 4, 10 + (i % 3)]), weights: Float32Array.from([0.5 + i / 20, 0.25]) },
    multi: { data: Float32Array.from([b, a, a, -b]), count: 2, dim: 2 },
    tokens: 3,
    truncated: false,
  };
}

const QUERY: Encoded = {
  dense: Float32Array.from([0.8, 0.6]),
  sparse: { ids: Uint32Array.from([1, 11]), weights: Float32Array.from([1, 0.5]) },
  multi: { data: Float32Array.from([0.6, 0.8, 1, 0]), count: 2, dim: 2 },
  tokens: 2,
  truncated: false,
};

const N = 12;

/** A full index, and the same records with their token vectors left out (as the IndexedDB store keeps them). */
function indexes(): { full: SearchIndex; lazy: SearchIndex; stored: Map<string, StoredRecord> } {
  const full = new SearchIndex();
  for (let i = 0; i < N; i++) full.add({ id: `d${i}`, text: `doc ${i}` }, enc(i));
  const lazy = new SearchIndex();
  const stored = new Map<string, StoredRecord>();
  for (let i = 0; i < N; i++) {
    const rec = full.toRecord(`d${i}`)!;
    stored.set(rec.doc.id, rec);
    lazy.addRecord({ ...rec, multi: new ArrayBuffer(0), multiDeferred: { sum: 1000 + i } });
  }
  return { full, lazy, stored };
}

/** A loader that hands back the stored rows and records what it was asked for. */
function loader(lazy: SearchIndex, stored: Map<string, StoredRecord>): { asked: string[][]; load: (ids: readonly string[]) => Promise<void> } {
  const asked: string[][] = [];
  return {
    asked,
    load: async (ids) => {
      asked.push([...ids]);
      await Promise.resolve();
      for (const id of ids) lazy.provideMulti(id, decodeRecord(stored.get(id)!).multi);
    },
  };
}

describe('SearchIndex with token vectors left in the store', () => {
  it('opens with every entry deferred and ranks hybrid exactly as the full index once the candidates are loaded', async () => {
    const { full, lazy, stored } = indexes();
    expect(lazy.deferredCount).toBe(N);
    const l = loader(lazy, stored);
    const hits = await lazy.searchLoading(QUERY, { k: 5, candidates: 4 }, l.load);
    const want = full.search(QUERY, { k: 5, candidates: 4 });
    expect(want.length).toBe(5);
    expect(hits.map((h) => [h.id, h.score])).toEqual(want.map((h) => [h.id, h.score]));
    // Only candidates were loaded, each once, and not every entry.
    const loaded = l.asked.flat();
    expect(new Set(loaded).size).toBe(loaded.length);
    expect(loaded.length).toBeGreaterThan(0);
    expect(loaded.length).toBeLessThan(N);
    expect(lazy.deferredCount).toBe(N - loaded.length);
    // A second query over the same candidates loads nothing more.
    const again = await lazy.searchLoading(QUERY, { k: 5, candidates: 4 }, l.load);
    expect(again.map((h) => h.id)).toEqual(want.map((h) => h.id));
    expect(l.asked.flat().length).toBe(loaded.length);
  });

  it('a dense query needs no token vectors but the hits carry every signal, so only the k hits are loaded', async () => {
    const { full, lazy, stored } = indexes();
    const l = loader(lazy, stored);
    const hits = await lazy.searchLoading(QUERY, { k: 3, mode: 'dense' }, l.load);
    expect(hits.map((h) => h.id)).toEqual(full.search(QUERY, { k: 3, mode: 'dense' }).map((h) => h.id));
    expect(l.asked.flat().sort()).toEqual(hits.map((h) => h.id).sort());
  });

  it('the synchronous search leaves the multi signal out of entries not loaded yet', () => {
    const { full, lazy } = indexes();
    const lazyHits = lazy.search(QUERY, { k: N, mode: 'multi' });
    const fullHits = full.search(QUERY, { k: N, mode: 'multi' });
    expect(fullHits.length).toBe(N);
    expect(lazyHits.every((h) => h.signals.multi === undefined || h.signals.multi.score === 0)).toBe(true);
  });

  it('rows that are not the ones announced are CORRUPT_RECORD and change nothing', () => {
    const { lazy, stored } = indexes();
    const rows = decodeRecord(stored.get('d3')!).multi;
    expect(() => lazy.provideMulti('d3', { ...rows, count: 1, data: rows.data.slice(0, 2) } as typeof rows)).toThrow(
      expect.objectContaining({ code: 'CORRUPT_RECORD', details: { id: 'd3' } }),
    );
    expect(lazy.deferredCount).toBe(N);
    lazy.provideMulti('d3', rows);
    expect(lazy.deferredCount).toBe(N - 1);
    // Providing again, or for an unknown id, is a no-op.
    lazy.provideMulti('d3', rows);
    lazy.provideMulti('nope', rows);
    expect(lazy.deferredCount).toBe(N - 1);
  });

  it('a loader that provides nothing ends: the ranking goes on without those multi scores', async () => {
    const { lazy } = indexes();
    let calls = 0;
    const hits = await lazy.searchLoading(QUERY, { k: 4 }, async () => {
      calls++;
    });
    expect(hits.length).toBe(4);
    expect(calls).toBeGreaterThan(0);
    expect(calls).toBeLessThanOrEqual(4);
  });

  it('an entry removed while its vectors load is ranked again without it', async () => {
    const { full, lazy, stored } = indexes();
    const first = full.search(QUERY, { k: 3, candidates: 4 })[0]!.id;
    let removed = false;
    const hits = await lazy.searchLoading(QUERY, { k: 3, candidates: 4 }, async (ids) => {
      if (!removed) {
        removed = true;
        lazy.remove(first);
      }
      for (const id of ids) if (lazy.has(id)) lazy.provideMulti(id, decodeRecord(stored.get(id)!).multi);
    });
    expect(hits.length).toBe(3);
    expect(hits.map((h) => h.id)).not.toContain(first);
    full.remove(first);
    expect(hits.map((h) => h.id)).toEqual(full.search(QUERY, { k: 3, candidates: 4 }).map((h) => h.id));
  });

  it('searchLoading on an empty index is INDEX_EMPTY', async () => {
    await expect(new SearchIndex().searchLoading(QUERY, {}, async () => {})).rejects.toMatchObject({ code: 'INDEX_EMPTY' });
  });
});
