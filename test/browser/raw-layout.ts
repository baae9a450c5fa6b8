// Reads an index database's packed layout (schema 3) with idb alone, so tests
// check what is on disk without trusting the code under test.
import { openDB } from 'idb';
import { expect } from 'vitest';
import { databaseName } from '../../src/browser/store.js';

interface RawPack {
  ids: string[];
}

/** The stored ids, after checking every part agrees: the id index, each pack's head and the pack itself, one pack per id. */
export async function storedIds(name: string): Promise<string[]> {
  const db = await openDB(databaseName(name));
  const [idKeys, idVals, packKeys, packs, headKeys, heads, tokenKeys] = await Promise.all([
    db.getAllKeys('ids'),
    db.getAll('ids') as Promise<number[]>,
    db.getAllKeys('packs'),
    db.getAll('packs') as Promise<RawPack[]>,
    db.getAllKeys('heads'),
    db.getAll('heads') as Promise<string[][]>,
    db.getAllKeys('tokens'),
  ]);
  db.close();
  expect(headKeys).toEqual(packKeys);
  const inPacks = new Map<string, number>();
  packs.forEach((p, i) => {
    expect(heads[i]).toEqual(p.ids);
    for (const id of p.ids) {
      expect(inPacks.has(id), `${id} in two packs`).toBe(false);
      inPacks.set(id, packKeys[i] as number);
    }
  });
  const index = new Map(idKeys.map((k, i) => [String(k), idVals[i]]));
  expect(new Map([...inPacks].sort())).toEqual(new Map([...index].sort())); // no half document, no stale pointer
  expect(tokenKeys.map(String).sort()).toEqual([...index.keys()].sort()); // token vectors of exactly the stored documents
  return [...index.keys()].sort();
}
