// Where committed documents live besides the in-memory index. The engine
// calls the store once per committed group (a batch of documents, or every
// window of one long document) and changes memory only after the store has
// accepted it, so memory never holds what the store lost and a reopen
// restores exactly what was committed. Reads never go through a store: a
// reopened index is rebuilt in memory (IndexedDB), or ranked straight from
// fetched shards (static sites, src/site/query.ts).
import type { StoredRecord } from '../core/record.js';

export interface StoredPut {
  record: StoredRecord;
  /** Content hash of the document's text (a window carries its parent's): unchanged documents are skipped on re-adds. */
  hash: string;
}

export interface Store {
  /** Puts these records and deletes these ids, all or nothing; resolves once committed. */
  write(puts: readonly StoredPut[], removes: readonly string[]): Promise<unknown>;
  /** Deletes every record, all or nothing. */
  clear(): Promise<void>;
  /**
   * Runs one write (the store call and the memory change after it) as the only
   * writer of this store, e.g. across browser tabs, having first brought memory
   * up to what others stored. Absent: sections run as they come.
   */
  exclusive?<T>(section: () => Promise<T>): Promise<T>;
  /** Brings memory up to what others stored (before `add` plans which documents are unchanged). */
  refresh?(): Promise<void>;
}

/** No store: the index lives in memory only (Node tools, tests, a page that rebuilds on every visit). */
export const MEMORY_ONLY: Store = Object.freeze({
  write: async () => undefined,
  clear: async () => undefined,
});
