// Runs inside the page (passed to page.evaluate, so it must be self-contained):
// the keys of every object store of an index database, read with the raw
// IndexedDB API so the check does not trust the code under test.
export interface StoredKeys {
  docs: string[];
  dense: string[];
  sparse: string[];
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
    const tx = db.transaction(['docs', 'dense', 'sparse', 'multi', 'meta'], 'readonly');
    const keys = (name: string) => req(tx.objectStore(name).getAllKeys()).then((ks) => ks.map(String));
    const [docs, dense, sparse, multi, meta] = await Promise.all([
      keys('docs'),
      keys('dense'),
      keys('sparse'),
      keys('multi'),
      req(tx.objectStore('meta').get('meta')) as Promise<{ count?: number } | undefined>,
    ]);
    return { docs, dense, sparse, multi, metaCount: meta?.count };
  } finally {
    db.close();
  }
}
