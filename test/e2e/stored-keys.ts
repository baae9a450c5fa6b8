// Runs inside the page (passed to page.evaluate, so it must be self-contained):
// the ids of an index database (schema 3: the id index, the ids inside the
// packs that hold each document's dense and sparse vectors, and the keys of
// the token-vector values), read with the raw IndexedDB API so the check does
// not trust the code under test.
export interface StoredKeys {
  /** Keys of the id index, sorted. */
  docs: string[];
  /** Ids whose vectors are in a pack (dense and sparse share one value), sorted. */
  dense: string[];
  sparse: string[];
  /** Keys of the token-vector values, sorted. */
  multi: string[];
  /** The document count written in the meta record. */
  metaCount: number | undefined;
}

export async function storedKeys(dbName: string): Promise<StoredKeys> {
  const req = <T>(r: IDBRequest<T>) =>
    new Promise<T>((resolve, reject) => {
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
  const open = indexedDB.open(dbName);
  const db = await req(open);
  try {
    const tx = db.transaction(['ids', 'packs', 'tokens', 'meta'], 'readonly');
    const [docs, packs, multi, meta] = await Promise.all([
      req(tx.objectStore('ids').getAllKeys()).then((ks) => ks.map(String).sort()),
      req(tx.objectStore('packs').getAll()) as Promise<{ ids: string[] }[]>,
      req(tx.objectStore('tokens').getAllKeys()).then((ks) => ks.map(String).sort()),
      req(tx.objectStore('meta').get('meta')) as Promise<{ count?: number } | undefined>,
    ]);
    const packed = packs.flatMap((p) => p.ids).sort();
    return { docs, dense: packed, sparse: [...packed], multi, metaCount: meta?.count };
  } finally {
    db.close();
  }
}
