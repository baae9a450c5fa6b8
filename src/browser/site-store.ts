// The page's offline copy of a site index, in IndexedDB. Site-specific rather
// than src/browser/store.ts: that store holds per-document records of an index
// built in the page, while a static site ships prebuilt, content-addressed
// shard files. Files of a new build are added beside the old ones; the switch
// (new manifest + deleting files no longer referenced) is one transaction, so
// a reader sees either the old build or the new one, never a mix.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';

export interface BuildRecord {
  index: string;
  build: string;
  manifest: string;
  files: string[];
  savedAt: number;
}

interface Schema extends DBSchema {
  files: { key: string; value: ArrayBuffer };
  builds: { key: string; value: BuildRecord };
}

const DB_NAME = 'm3search-site';
const key = (index: string, file: string): string => `${index}\n${file}`;

export class SiteStore {
  private constructor(private readonly db: IDBPDatabase<Schema>) {}

  /** undefined where IndexedDB is unavailable (private modes, old browsers): the site still works online. */
  static async open(): Promise<SiteStore | undefined> {
    try {
      const db = await openDB<Schema>(DB_NAME, 1, {
        upgrade(db) {
          db.createObjectStore('files');
          db.createObjectStore('builds', { keyPath: 'index' });
        },
      });
      return new SiteStore(db);
    } catch {
      return undefined;
    }
  }

  current(index: string): Promise<BuildRecord | undefined> {
    return this.db.get('builds', index);
  }

  async file(index: string, name: string): Promise<Uint8Array | undefined> {
    const b = await this.db.get('files', key(index, name));
    return b ? new Uint8Array(b) : undefined;
  }

  /** Which of `names` are already stored (shared, unchanged shards are not downloaded again). */
  async have(index: string, names: readonly string[]): Promise<Set<string>> {
    const tx = this.db.transaction('files');
    const found = await Promise.all(names.map((n) => tx.store.getKey(key(index, n))));
    await tx.done;
    return new Set(names.filter((_, i) => found[i] !== undefined));
  }

  async putFiles(index: string, files: readonly [string, Uint8Array][]): Promise<void> {
    const tx = this.db.transaction('files', 'readwrite');
    for (const [name, bytes] of files) void tx.store.put(bytes.slice().buffer as ArrayBuffer, key(index, name));
    await tx.done;
  }

  /** Makes `build` current and drops every stored file it does not list, atomically. */
  async commit(index: string, build: string, manifest: string, files: readonly string[]): Promise<void> {
    const keep = new Set(files.map((f) => key(index, f)));
    const tx = this.db.transaction(['files', 'builds'], 'readwrite');
    const range = IDBKeyRange.bound(`${index}\n`, `${index}\n\uffff`);
    for (const k of await tx.objectStore('files').getAllKeys(range)) if (!keep.has(k)) void tx.objectStore('files').delete(k);
    void tx.objectStore('builds').put({ index, build, manifest, files: [...files], savedAt: Date.now() });
    await tx.done;
  }
}
