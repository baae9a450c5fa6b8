// Loaded into the bench page by bench/browser-reopen.ts (--dim/--rows): writes
// N records of a real BGE-M3 shape (dense int8 × dim, nested ≤ rows int8 × dim
// token vectors, a sparse vector per passage) through IndexStore in batches
// of 32 — the groups the engine commits — and times reopening them with
// PersistentSearch (the model identity is a stand-in: no encoding happens at
// reopen; a query gets random vectors of the real shape), next to
// MiniSearch.loadJSON of the same texts. After the reopen it times the first
// hybrid queries: token vectors are read from IndexedDB for their candidates.
import MiniSearch from 'minisearch';
import type { StoredRecord } from '../src/core/record.js';
import type { Encoder, EncoderInfo } from '../src/core/encoder.js';
import { PersistentSearch } from '../src/browser/persistent-search.js';
import { IndexStore } from '../src/browser/store.js';

export interface Shape {
  name: string;
  n: number;
  dim: number;
  rows: number;
  texts: string[];
  /** Records per store write (the engine's default batch is 32). */
  batch: number;
}

function info(dim: number): EncoderInfo {
  return { modelId: 'bench/real-size', fingerprint: `bench-${dim}`, maxLength: 8192, denseDim: dim, multiDim: dim, sparseStyle: 'lexical', hasMulti: true } as EncoderInfo;
}

/** An encoder that identifies the model (reopening never encodes) and gives a query random vectors of the real shape. */
function standIn(dim: number): Encoder {
  return {
    info: info(dim),
    tokenizer: { ids: (t: string) => t.split(/\s+/).map((w) => w.length), specialIds: new Set<number>() },
    encode: async (texts, o) => {
      if (o?.kind !== 'query') throw new Error('the bench encodes no passages');
      return texts.map((t) => {
        const ids = [...new Set(t.toLowerCase().split(/\W+/).filter(Boolean).map(wordId))].sort((a, b) => a - b);
        const unit = (n: number) => Float32Array.from({ length: n }, () => rand() - 0.5);
        return { dense: unit(dim), sparse: { ids: Uint32Array.from(ids), weights: Float32Array.from(ids, () => 0.3) }, multi: { data: unit(8 * dim), count: 8, dim }, tokens: 8, truncated: false };
      });
    },
  } as Encoder;
}

function storage(rows: number) {
  return { dense: 'int8', multi: 'int8', sparse: 'float32', multiVectors: 'nested', maxMultiVectors: rows } as const;
}

let seed = 1;
function rand(): number {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 2 ** 32;
}

function wordId(w: string): number {
  let h = 2166136261;
  for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), 16777619);
  return (h >>> 0) % 250_002;
}

function record(id: string, text: string, dim: number, rows: number): StoredRecord {
  const int8 = (len: number) => Int8Array.from({ length: len }, () => Math.floor(rand() * 255) - 127);
  const ids = [...new Set(text.toLowerCase().split(/\W+/).filter(Boolean).map(wordId))].sort((a, b) => a - b);
  const count = 1 + Math.floor(rand() * rows);
  return {
    doc: { id, text },
    denseKind: 'int8',
    dense: int8(dim).buffer,
    denseScale: 0.01,
    sparseIds: Uint32Array.from(ids).buffer,
    sparseWeights: Float32Array.from(ids, () => rand()).buffer,
    multiKind: 'int8',
    multi: int8(count * dim).buffer,
    multiScales: Float32Array.from({ length: count }, () => 0.01).buffer,
    multiCount: count,
    multiDim: dim,
  };
}

/** Writes the index (deleting any earlier one of that name). */
export async function write(s: Shape): Promise<{ count: number; writeMs: number; multiRows: number }> {
  await IndexStore.destroy(s.name);
  const { store } = await IndexStore.open({ name: s.name, model: { modelId: 'bench/real-size', fingerprint: `bench-${s.dim}`, denseDim: s.dim, multiDim: s.dim }, storage: storage(s.rows) });
  const t0 = performance.now();
  let multiRows = 0;
  for (let i = 0; i < s.n; i += s.batch) {
    const puts = [];
    for (let j = i; j < Math.min(i + s.batch, s.n); j++) {
      const r = record(`p${j}`, s.texts[j % s.texts.length]!, s.dim, s.rows);
      multiRows += r.multiCount;
      puts.push({ record: r, hash: `h${j}` });
    }
    await store.write(puts, []);
  }
  const writeMs = performance.now() - t0;
  store.close();
  return { count: s.n, writeMs, multiRows };
}

/** Reopens the index (IndexedDB read + in-memory rebuild) and times MiniSearch.loadJSON on the same texts. */
export async function reopen(s: Shape) {
  const t0 = performance.now();
  const { search, report } = await PersistentSearch.open(standIn(s.dim), { name: s.name });
  const openMs = performance.now() - t0;
  const size = search.size;
  // The first hybrid queries after the reopen: each reads its candidates' token vectors (100 by default).
  const queryMs: number[] = [];
  for (const q of ['how do I configure caching', 'install the package', 'error when starting the server']) {
    const q0 = performance.now();
    await search.search(q, { k: 10, mode: 'hybrid' });
    queryMs.push(performance.now() - q0);
  }
  const loadedAfter = size - search.index.deferredCount;
  search.close();
  const mini = new MiniSearch({ fields: ['text'] });
  for (let j = 0; j < s.n; j++) mini.add({ id: `p${j}`, text: s.texts[j % s.texts.length]! });
  const json = JSON.stringify(mini);
  const m0 = performance.now();
  MiniSearch.loadJSON(json, { fields: ['text'] });
  const miniMs = performance.now() - m0;
  return { size, openMs, restoreMs: report.restoreMs, buildMs: report.buildMs, skipped: report.skipped.length, miniMs, miniBytes: json.length, queryMs, loadedAfter };
}

/** The reopen alone (what bench/browser-reopen.ts --cpuprofile profiles). */
export async function openOnly(s: Shape): Promise<{ openMs: number; size: number }> {
  const t0 = performance.now();
  const { search } = await PersistentSearch.open(standIn(s.dim), { name: s.name });
  const openMs = performance.now() - t0;
  const size = search.size;
  search.close();
  return { openMs, size };
}

/** Where a reopen's time goes: raw IndexedDB reads of the packs, their checks (checksums), the index build from their columns. */
export async function profile(s: Shape) {
  const { openDB } = await import('idb');
  const { readPack } = await import('../src/browser/record-parts.js');
  const { SearchIndex } = await import('../src/core/search-index.js');
  const db = await openDB(`m3search:${s.name}`);
  const t0 = performance.now();
  const packs = (await db.getAll('packs')) as unknown[];
  const t1 = performance.now();
  const read = [];
  for (const p of packs) {
    const r = readPack(p);
    if (!('problem' in r)) read.push(r);
  }
  const t2 = performance.now();
  const index = new SearchIndex(storage(s.rows));
  let records = 0;
  for (const r of read) {
    index.addBlock(r.block, r.rows);
    records += r.rows.length;
  }
  const t3 = performance.now();
  db.close();
  return { packs: packs.length, records, readMs: t1 - t0, unpackMs: t2 - t1, buildMs: t3 - t2 };
}
