import { describe, expect, it } from 'vitest';
import { SearchIndex } from '../../src/core/search-index.js';
import { decodeRecord, encodeRecord, type StoredRecord } from '../../src/core/record.js';
import { M3SearchError } from '../../src/core/errors.js';
import type { Encoded, IndexOptions, SearchOptions } from '../../src/core/types.js';
import { corpus, nearQuery, randomEncoded, rng, thrown } from './helpers.js';

const KINDS: IndexOptions[] = [
  { dense: 'float32', multi: 'float32' },
  { dense: 'float32', multi: 'float16' },
  { dense: 'int8', multi: 'int8' },
  { dense: 'int8', multi: 'float16' },
];

const SEARCHES: SearchOptions[] = [
  { mode: 'dense', k: 10 },
  { mode: 'sparse', k: 10 },
  { mode: 'multi', k: 10 },
  { mode: 'hybrid', k: 10 },
  { mode: 'hybrid', k: 10, fusion: 'rrf' },
  { mode: 'multi', k: 5, multiVectorBudget: 2 },
];

function build(opts: IndexOptions, n = 120, seed = 70) {
  const { docs, encs } = corpus(seed, n);
  const index = new SearchIndex(opts);
  docs.forEach((d, i) => index.add(d, encs[i]!));
  // Some churn so slots, free lists and insertion order are non-trivial.
  for (let i = 0; i < n; i += 7) index.remove(docs[i]!.id);
  index.upsert(docs[1]!, encs[2]!);
  const r = rng(seed + 1);
  const queries = Array.from({ length: 5 }, (_, i) => nearQuery(r, encs[(i * 11 + 3) % n]!));
  return { index, docs, encs, queries };
}

function sameResults(a: SearchIndex, b: SearchIndex, queries: Encoded[]): void {
  for (const q of queries) for (const o of SEARCHES) expect(b.search(q, o)).toEqual(a.search(q, o));
}

/** Records with their ArrayBuffers as byte arrays: toEqual treats any two ArrayBuffers as equal. */
function view(rec: StoredRecord | undefined): unknown {
  if (rec === undefined) return undefined;
  const out: Record<string, unknown> = { ...rec };
  for (const [k, v] of Object.entries(rec)) if (v instanceof ArrayBuffer) out[k] = Array.from(new Uint8Array(v));
  return out;
}

/** Stats minus sparse bytes, which also count stale postings awaiting compaction. */
function liveStats(index: SearchIndex): unknown {
  const s = index.stats();
  return { ...s, bytes: { ...s.bytes, sparse: 0, total: 0 } };
}

function code(f: () => unknown): string | undefined {
  const e = thrown(f);
  return e instanceof M3SearchError ? e.code : `not an M3SearchError: ${String(e)}`;
}

describe('records', () => {
  for (const opts of KINDS) {
    it(`toRecord → addRecord round-trips exactly (${opts.dense}/${opts.multi})`, () => {
      const { index, queries } = build(opts);
      const copy = new SearchIndex(opts);
      for (const id of index.ids()) {
        const rec = index.toRecord(id)!;
        // Plain data: survives structured clone (IndexedDB / postMessage).
        copy.addRecord(structuredClone(rec));
      }
      expect([...copy.ids()]).toEqual([...index.ids()]);
      expect(liveStats(copy)).toEqual(liveStats(index));
      expect(copy.stats().bytes.sparse).toBeLessThanOrEqual(index.stats().bytes.sparse);
      sameResults(index, copy, queries);
      for (const id of index.ids()) expect(view(copy.toRecord(id))).toEqual(view(index.toRecord(id)));
    });
  }

  it('records hold the stored (quantized) bytes; encodeRecord matches toRecord', () => {
    const enc = randomEncoded(rng(3));
    const doc = { id: 'a', text: 'alpha', meta: { x: 1 } };
    for (const opts of KINDS) {
      const index = new SearchIndex(opts);
      index.add(doc, enc);
      const rec = index.toRecord('a')!;
      expect(view(rec)).toEqual(view(encodeRecord(doc, enc, opts)));
      expect(rec.denseKind).toBe(opts.dense);
      expect(rec.multiKind).toBe(opts.multi);
      const bpe = opts.dense === 'int8' ? 1 : 4;
      expect(rec.dense.byteLength).toBe(enc.dense.length * bpe);
      expect(rec.multi.byteLength).toBe(enc.multi.data.length * { float32: 4, float16: 2, int8: 1 }[opts.multi!]);
      expect(rec.multiScales === undefined).toBe(opts.multi !== 'int8');
      expect(rec.denseScale === undefined).toBe(opts.dense !== 'int8');
      expect(rec.multiCount).toBe(enc.multi.count);
      // The record shares no memory with the index.
      new Uint8Array(rec.dense).fill(0);
      expect(view(index.toRecord('a'))).not.toEqual(view(rec));
      expect(new Uint8Array(index.toRecord('a')!.dense).some((b) => b !== 0)).toBe(true);
    }
  });

  it('a record of another storage kind is converted on addRecord', () => {
    const { index, queries } = build({ dense: 'float32', multi: 'float32' }, 60);
    const int8 = new SearchIndex({ dense: 'int8', multi: 'int8' });
    for (const id of index.ids()) int8.addRecord(index.toRecord(id)!);
    expect(int8.toRecord([...index.ids()][0]!)!.denseKind).toBe('int8');
    const a = index.search(queries[0]!, { mode: 'dense', k: 3 }).map((h) => h.id);
    const b = int8.search(queries[0]!, { mode: 'dense', k: 3 }).map((h) => h.id);
    expect(b[0]).toBe(a[0]);
  });

  it('corrupt records → CORRUPT_RECORD, duplicates → DUPLICATE_ID, index unchanged', () => {
    const enc = randomEncoded(rng(4));
    const good = encodeRecord({ id: 'a', text: 'alpha' }, enc, { dense: 'int8', multi: 'int8' });
    const index = new SearchIndex({ dense: 'int8', multi: 'int8' });
    index.addRecord(good);
    expect(code(() => index.addRecord(good))).toBe('DUPLICATE_ID');
    const bad = (patch: Partial<Record<keyof StoredRecord, unknown>>): StoredRecord => ({ ...good, doc: { id: 'b', text: 'b' }, ...patch }) as StoredRecord;
    const cases: StoredRecord[] = [
      null as unknown as StoredRecord,
      bad({ doc: { id: '', text: 'x' } }),
      bad({ doc: { id: 'b', text: '' } }),
      bad({ denseKind: 'int4' }),
      bad({ denseScale: undefined }),
      bad({ dense: 'not bytes' }),
      bad({ sparseIds: new ArrayBuffer(6) }), // not a whole number of u32
      bad({ sparseWeights: new ArrayBuffer(0) }), // ids/weights length mismatch
      bad({ sparseIds: Uint32Array.from([9, 3, 1, 2]).buffer, sparseWeights: new Float32Array(4).buffer }), // unsorted
      bad({ multiKind: 'bfloat16' }),
      bad({ multiCount: 999 }),
      bad({ multiScales: undefined }),
      bad({ multiScales: new Float32Array(1).buffer }),
      bad({ multiCount: -1 }),
      bad({ sparseWeights: Float32Array.from(new Float32Array(good.sparseWeights), () => NaN).buffer }),
    ];
    for (const c of cases) expect(code(() => index.addRecord(c))).toBe('CORRUPT_RECORD');
    expect(code(() => decodeRecord({}))).toBe('CORRUPT_RECORD');
    // A well-formed record from another model → INVALID_DOCUMENT (dims).
    const other = encodeRecord({ id: 'c', text: 'c' }, randomEncoded(rng(5), { dense: 8, multi: 4, vocab: 10 }), { dense: 'int8', multi: 'int8' });
    expect(code(() => index.addRecord(other))).toBe('INVALID_DOCUMENT');
    expect(index.size).toBe(1);
    expect([...index.ids()]).toEqual(['a']);
    // Typed-array views (not bare ArrayBuffers) are accepted too, even at odd offsets.
    const shifted = new Uint8Array(good.dense.byteLength + 1);
    shifted.set(new Uint8Array(good.dense), 1);
    index.addRecord({ ...good, doc: { id: 'd', text: 'd' }, dense: shifted.subarray(1) as unknown as ArrayBuffer });
    expect(new Uint8Array(index.toRecord('d')!.dense)).toEqual(new Uint8Array(good.dense));
  });
});

describe('snapshots', () => {
  for (const opts of KINDS) {
    it(`serialize → deserialize gives identical results (${opts.dense}/${opts.multi})`, () => {
      const { index, queries } = build(opts);
      const bytes = index.serialize();
      const back = SearchIndex.deserialize(bytes);
      expect(back.options).toEqual(index.options);
      expect([...back.ids()]).toEqual([...index.ids()]);
      expect(liveStats(back)).toEqual(liveStats(index));
      sameResults(index, back, queries);
      for (const id of index.ids()) expect(view(back.toRecord(id))).toEqual(view(index.toRecord(id)));
      // Still a working, mutable index.
      const enc = randomEncoded(rng(9));
      back.add({ id: 'new', text: 'new' }, enc);
      expect(back.search(enc, { mode: 'dense', k: 1 })[0]!.id).toBe('new');
      // A snapshot of a snapshot is byte-identical.
      expect(SearchIndex.deserialize(bytes).serialize()).toEqual(bytes);
    });
  }

  it('an empty index round-trips; a copy at an unaligned offset reads fine', () => {
    const empty = SearchIndex.deserialize(new SearchIndex({ dense: 'int8' }).serialize());
    expect(empty.size).toBe(0);
    expect(empty.options.dense).toBe('int8');
    const { index, queries } = build({}, 30);
    const bytes = index.serialize();
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 3);
    sameResults(index, SearchIndex.deserialize(padded.subarray(3)), queries);
  });

  it('truncated, garbled, wrong-magic and wrong-version bytes → INVALID_INDEX', () => {
    const { index } = build({ dense: 'int8', multi: 'float16' }, 40);
    const bytes = index.serialize();
    const r = rng(77);
    const cuts = [0, 3, 10, 23, 24, 100, bytes.length - 1, ...Array.from({ length: 20 }, () => Math.floor(r() * bytes.length))];
    for (const n of cuts) expect(code(() => SearchIndex.deserialize(bytes.slice(0, n)))).toBe('INVALID_INDEX');
    for (let t = 0; t < 40; t++) {
      const g = bytes.slice();
      const at = 4 + Math.floor(r() * (g.length - 4)); // anywhere after the magic
      g[at] = g[at]! ^ (1 + Math.floor(r() * 255));
      expect(code(() => SearchIndex.deserialize(g))).toBe('INVALID_INDEX');
    }
    const magic = bytes.slice();
    magic[0] = 0x58;
    expect(code(() => SearchIndex.deserialize(magic))).toBe('INVALID_INDEX');
    const version = bytes.slice();
    new DataView(version.buffer).setUint32(4, 99, true);
    expect(code(() => SearchIndex.deserialize(version))).toBe('INVALID_INDEX');
    const longer = new Uint8Array(bytes.length + 8);
    longer.set(bytes);
    expect(code(() => SearchIndex.deserialize(longer))).toBe('INVALID_INDEX');
    expect(code(() => SearchIndex.deserialize('nope' as unknown as Uint8Array))).toBe('INVALID_INDEX');
    expect(code(() => SearchIndex.deserialize(new TextEncoder().encode('{"json": true}')))).toBe('INVALID_INDEX');
  });
});
