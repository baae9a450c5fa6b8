// Shard files byte for byte (layouts from FORMAT.md, bytes written out by hand
// below), range lookups, passage hashes, and the stored form of vectors.
import { describe, expect, it } from 'vitest';
import type { Encoded, MultiVector } from '../../src/core/types.js';
import {
  decodeDenseShard,
  decodeMetaShard,
  decodeMultiShard,
  decodePostingsShard,
  encodeDenseShard,
  encodeMetaShard,
  encodeMultiShard,
  encodePostingsShard,
  packHashes,
  postingsShardOf,
  rangeFileOf,
  unpackHashes,
  type TermPostings,
} from '../../src/site/shards.js';
import type { StoredMulti } from '../../src/site/types.js';
import { adaptMulti, loadMulti, storeMulti, storeVectors } from '../../src/site/vectors.js';

const HEADER = (kind: number): number[] => [0x4d, 0x33, 0x53, 0x53, 2, 0, kind, 0]; // "M3SS", version 2, kind
const u32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];

function thrown(f: () => unknown): { code?: string; message: string } {
  try {
    f();
  } catch (e) {
    return e as { code?: string; message: string };
  }
  throw new Error('expected a throw');
}

describe('dense shards', () => {
  const shard = { first: 5, count: 2, dim: 3, q: Int8Array.of(1, -2, 3, -4, 5, -6), scales: Float32Array.of(0.5, 2) };
  const bytes = [
    ...HEADER(1),
    ...u32(5),
    ...u32(2),
    ...u32(3),
    ...[0, 0, 0, 0x3f], // 0.5
    ...[0, 0, 0, 0x40], // 2
    ...[1, 0xfe, 3, 0xfc, 5, 0xfa],
    0,
    0, // padding to 4
  ];

  it('encodes to the documented bytes and decodes back', () => {
    expect([...encodeDenseShard(shard)]).toEqual(bytes);
    const d = decodeDenseShard(Uint8Array.from(bytes));
    expect({ ...d, q: [...d.q], scales: [...d.scales] }).toEqual({ first: 5, count: 2, dim: 3, q: [1, -2, 3, -4, 5, -6], scales: [0.5, 2] });
  });

  it('refuses a bad magic, another version and another kind, as INVALID_INDEX', () => {
    const badMagic = Uint8Array.from(bytes);
    badMagic[3] = 0x54;
    expect(thrown(() => decodeDenseShard(badMagic))).toMatchObject({ code: 'INVALID_INDEX', message: 'not an m3search shard (bad magic)' });
    const v1 = Uint8Array.from(bytes);
    v1[4] = 1;
    expect(thrown(() => decodeDenseShard(v1))).toMatchObject({ code: 'INVALID_INDEX', message: 'unsupported shard version 1' });
    expect(thrown(() => decodePostingsShard(Uint8Array.from(bytes)))).toMatchObject({ code: 'INVALID_INDEX', message: 'expected shard kind 2, got 1' });
    expect(thrown(() => decodeMultiShard(Uint8Array.from(bytes)))).toMatchObject({ code: 'INVALID_INDEX', message: 'expected shard kind 3, got 1' });
  });
});

describe('postings shards', () => {
  const t = (token: number, passages: number[], weights: number[]): TermPostings => ({ token, passages: Uint32Array.from(passages), weights: Uint16Array.from(weights) });
  // Token 9 is given first: the table is sorted by token.
  const t9 = t(9, [0, 1], [0x3c00, 0x3c00]);
  const t4 = t(4, [2, 130], [0x3c00, 0x3800]);
  const bytes = [
    ...HEADER(2),
    ...u32(3), // shard
    ...u32(2), // terms
    ...[...u32(4), ...u32(2), ...u32(0)], // token 4: 2 postings, gaps at 0
    ...[...u32(9), ...u32(2), ...u32(3)], // token 9: 2 postings, gaps at 3
    ...[0x00, 0x3c, 0x00, 0x38], // token 4 weights: 1.0, 0.5
    ...[0x00, 0x3c, 0x00, 0x3c], // token 9 weights
    ...[0x02, 0x80, 0x01], // gaps of 4: 2, then 128 (LEB128: 0x80 0x01)
    ...[0x00, 0x01], // gaps of 9: 0, 1
    ...[0, 0, 0], // align
  ];

  it('encodes to the documented bytes', () => {
    expect([...encodePostingsShard(3, [t9, t4])]).toEqual(bytes);
  });

  it('decodes every list back', () => {
    const s = decodePostingsShard(Uint8Array.from(bytes));
    expect(s.shard).toBe(3);
    expect([...s.terms.keys()]).toEqual([4, 9]);
    const plain = (p: TermPostings) => ({ token: p.token, passages: [...p.passages], weights: [...p.weights] });
    expect(plain(s.terms.get(4)!)).toEqual({ token: 4, passages: [2, 130], weights: [0x3c00, 0x3800] });
    expect(plain(s.terms.get(9)!)).toEqual({ token: 9, passages: [0, 1], weights: [0x3c00, 0x3c00] });
  });

  it('refuses passages that do not ascend', () => {
    expect(() => encodePostingsShard(0, [t(1, [3, 3], [0, 0])])).toThrow('posting passages must ascend');
    expect(() => encodePostingsShard(0, [t(1, [5, 2], [0, 0])])).toThrow(RangeError);
  });

  it('postingsShardOf is token mod shard count', () => {
    expect(postingsShardOf(10, 4)).toBe(2);
    expect(postingsShardOf(3, 4)).toBe(3);
  });
});

describe('multi-vector shards', () => {
  const int8Rows: (StoredMulti | null)[] = [
    { kind: 'int8', count: 1, data: Int8Array.of(1, -1), scales: Float32Array.of(0.5) },
    null,
    { kind: 'int8', count: 2, data: Int8Array.of(1, 2, 3, 4), scales: Float32Array.of(1, 2) },
  ];

  it('int8: counts, then every scale, then every row', () => {
    const bytes = [
      ...HEADER(3),
      ...u32(10),
      ...u32(3),
      ...u32(2),
      ...u32(2), // first 10, 3 passages, dim 2, int8
      ...u32(1),
      ...u32(0),
      ...u32(2),
      ...[0, 0, 0, 0x3f], // 0.5
      ...[0, 0, 0x80, 0x3f], // 1
      ...[0, 0, 0, 0x40], // 2
      ...[1, 0xff, 1, 2, 3, 4],
      0,
      0,
    ];
    expect([...encodeMultiShard({ first: 10, dim: 2, rows: int8Rows }, 'int8')]).toEqual(bytes);
    const d = decodeMultiShard(Uint8Array.from(bytes));
    expect(d.first).toBe(10);
    expect(d.dim).toBe(2);
    expect(d.rows[1]).toBeNull();
    expect(d.rows.map((r) => r && { kind: r.kind, count: r.count, data: [...r.data], scales: r.kind === 'int8' ? [...r.scales] : undefined })).toEqual([
      { kind: 'int8', count: 1, data: [1, -1], scales: [0.5] },
      null,
      { kind: 'int8', count: 2, data: [1, 2, 3, 4], scales: [1, 2] },
    ]);
  });

  it('float16: no scales; kind code 1', () => {
    const rows: (StoredMulti | null)[] = [null, { kind: 'float16', count: 1, data: Uint16Array.of(0x3c00, 0xc000) }];
    const bytes = [...HEADER(3), ...u32(0), ...u32(2), ...u32(2), ...u32(1), ...u32(0), ...u32(1), 0x00, 0x3c, 0x00, 0xc0];
    expect([...encodeMultiShard({ first: 0, dim: 2, rows }, 'float16')]).toEqual(bytes);
    const d = decodeMultiShard(Uint8Array.from(bytes));
    expect(d.rows[0]).toBeNull();
    expect(d.rows[1]!.kind).toBe('float16');
    expect([...d.rows[1]!.data]).toEqual([0x3c00, 0xc000]);
  });

  it('refuses rows of another kind than the shard', () => {
    expect(thrown(() => encodeMultiShard({ first: 0, dim: 2, rows: int8Rows }, 'float16'))).toMatchObject({ code: 'INVALID_OPTION', message: 'multi rows must all be float16' });
  });
});

describe('metadata shards and passage hashes', () => {
  const items = [
    { url: '/a', title: 'A', anchor: 'x', heading: 'H', text: 't1' },
    { url: '/b', title: 'B', anchor: 'y', heading: 'HB', text: 't2' },
    { url: '/a', title: 'A', anchor: '', heading: 'H2', text: 't3' },
  ];

  it('one page table per shard, one row per passage', () => {
    const bytes = encodeMetaShard(4, items);
    expect(new TextDecoder().decode(bytes)).toBe('{"first":4,"pages":[["/a","A"],["/b","B"]],"items":[[0,"x","H","t1"],[1,"y","HB","t2"],[0,"","H2","t3"]]}');
    expect(decodeMetaShard(bytes)).toEqual({ first: 4, items });
  });

  it('6 bytes a hash (the first 12 hex digits); a trailing partial hash is ignored', () => {
    const bytes = packHashes(['0123456789abcdef', '00ff0a0b0c0d']);
    expect([...bytes]).toEqual([0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0x00, 0xff, 0x0a, 0x0b, 0x0c, 0x0d]);
    expect(unpackHashes(bytes)).toEqual(['0123456789ab', '00ff0a0b0c0d']);
    expect(unpackHashes(Uint8Array.from([...bytes, 1, 2, 3]))).toEqual(['0123456789ab', '00ff0a0b0c0d']);
    expect(unpackHashes(new Uint8Array(5))).toEqual([]);
  });

  it('rangeFileOf finds the file holding a passage, or -1', () => {
    const files = [
      { first: 0, count: 3 },
      { first: 3, count: 2 },
      { first: 10, count: 5 },
    ];
    const expected: [number, number][] = [[0, 0], [2, 0], [3, 1], [4, 1], [5, -1], [9, -1], [10, 2], [14, 2], [15, -1], [100, -1]];
    for (const [p, i] of expected) expect(rangeFileOf(files, p), `passage ${p}`).toBe(i);
    expect(rangeFileOf([], 0)).toBe(-1);
    const many = Array.from({ length: 9 }, (_, i) => ({ first: 4 * i, count: 4 }));
    for (let p = 0; p < 36; p++) expect(rangeFileOf(many, p)).toBe(Math.floor(p / 4));
  });
});

describe('stored vectors', () => {
  const mv = (rows: number[][]): MultiVector => ({ data: Float32Array.from(rows.flat()), count: rows.length, dim: rows[0]?.length ?? 2 });
  const enc = (multi: MultiVector): Encoded => ({
    dense: Float32Array.of(0.5, -1, 0.25),
    sparse: { ids: Uint32Array.of(5, 9, 12, 20), weights: Float32Array.of(0.5, 0, 2, -1) },
    multi,
    tokens: 3,
    truncated: false,
  });

  it('int8 dense within half a step, positive sparse weights only as float16, multi as planned', () => {
    const s = storeVectors(enc(mv([[1, 0], [0, -2]])), { storage: 'float16', layout: 'all', maxRows: 8 });
    expect(s.dense.q).toHaveLength(3);
    [0.5, -1, 0.25].forEach((v, i) => expect(Math.abs(s.dense.q[i]! * s.dense.scale - v)).toBeLessThanOrEqual(s.dense.scale / 2 + 1e-9));
    expect(Math.max(...[...s.dense.q].map(Math.abs))).toBe(127);
    expect([...s.sparse.ids]).toEqual([5, 12]);
    expect([...s.sparse.w16]).toEqual([0x3800, 0x4000]);
    expect(s.multi).toEqual({ kind: 'float16', count: 2, data: Uint16Array.of(0x3c00, 0, 0, 0xc000) });
    expect(storeVectors(enc(mv([[1, 0]])), { storage: 'none', layout: 'all', maxRows: 8 }).multi).toBeNull();
    expect(storeVectors(enc({ data: new Float32Array(0), count: 0, dim: 2 }), { storage: 'int8', layout: 'all', maxRows: 8 }).multi).toBeNull();
    // Nested with a cap of 1: the normalized mean of [1,0] and [0,1] = [0.7071, 0.7071].
    const nested = storeVectors(enc(mv([[1, 0], [0, 1]])), { storage: 'float16', layout: 'nested', maxRows: 1 }).multi!;
    expect(nested.count).toBe(1);
    for (const v of loadMulti(nested, 2).data) expect(v).toBeCloseTo(Math.SQRT1_2, 3);
  });

  it('int8 multi rows: one scale per row, loadMulti inverts within half a step', () => {
    const m = storeMulti(mv([[1, -0.5], [0, 4]]), 'int8');
    expect(m.kind).toBe('int8');
    expect(m.count).toBe(2);
    const back = loadMulti(m, 2).data;
    [1, -0.5, 0, 4].forEach((v, i) => expect(Math.abs(back[i]! - v)).toBeLessThanOrEqual(4 / 127 / 2 + 1e-6));
    expect(back[0]).toBeCloseTo(1, 6);
    expect(back[3]).toBeCloseTo(4, 6);
    expect(loadMulti(storeMulti(mv([[0.5, -2]]), 'float16'), 2)).toEqual({ data: Float32Array.of(0.5, -2), count: 1, dim: 2 });
  });

  describe('adaptMulti', () => {
    const four: StoredMulti = { kind: 'int8', count: 4, data: Int8Array.of(1, 2, 3, 4, 5, 6, 7, 8), scales: Float32Array.of(1, 2, 3, 4) };
    const half: StoredMulti = { kind: 'float16', count: 3, data: Uint16Array.of(1, 2, 3, 4, 5, 6) };
    const all = { layout: 'all', maxRows: null } as const;
    const nested = (maxRows: number | null) => ({ layout: 'nested', maxRows }) as const;
    const plan = (layout: 'all' | 'nested', maxRows: number, storage: 'int8' | 'float16' | 'none' = 'int8') => ({ storage, layout, maxRows });

    it('nothing to keep: no storage, or no rows', () => {
      expect(adaptMulti(four, all, plan('all', 8, 'none'), 2)).toBeNull();
      expect(adaptMulti(null, all, plan('nested', 8), 2)).toBeNull();
    });

    it('all → all is kept as it is; nested → all needs the encoder', () => {
      expect(adaptMulti(four, all, plan('all', 8), 2)).toBe(four);
      expect(adaptMulti(four, nested(8), plan('all', 8), 2)).toBeUndefined();
    });

    it('all → nested re-reduces the stored rows', () => {
      const rows: StoredMulti = { kind: 'float16', count: 2, data: Uint16Array.of(0x3c00, 0, 0, 0x3c00) }; // [1,0], [0,1]
      const out = adaptMulti(rows, all, plan('nested', 1, 'float16'), 2)!;
      expect(out.kind).toBe('float16');
      expect(out.count).toBe(1);
      for (const v of loadMulti(out, 2).data) expect(v).toBeCloseTo(Math.SQRT1_2, 3);
    });

    it('a lower or equal cap keeps the prefix', () => {
      const two = adaptMulti(four, nested(8), plan('nested', 2), 2)!;
      expect(two.kind).toBe('int8');
      expect(two.count).toBe(2);
      expect([...two.data]).toEqual([1, 2, 3, 4]);
      expect([...(two as { scales: Float32Array }).scales]).toEqual([1, 2]);
      const h = adaptMulti(half, nested(4), plan('nested', 2, 'float16'), 2)!;
      expect(h).toEqual({ kind: 'float16', count: 2, data: Uint16Array.of(1, 2, 3, 4) });
      expect(adaptMulti(four, nested(8), plan('nested', 4), 2)).toBe(four);
      expect(adaptMulti(four, nested(4), plan('nested', 4), 2)).toBe(four);
      expect(adaptMulti(four, nested(null), plan('nested', 3), 2)!.count).toBe(3);
    });

    it('a higher cap is reusable only when the passage had fewer rows than the old cap', () => {
      expect(adaptMulti(half, nested(4), plan('nested', 8, 'float16'), 2)).toBe(half);
      expect(adaptMulti(four, nested(4), plan('nested', 8), 2)).toBeUndefined();
    });
  });
});
