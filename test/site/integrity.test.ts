// A static index read from disk checks what it reads (issue 12): each shard's
// SHA-256 name prefix and declared size, the manifest's shape and build hash,
// and every shard against the manifest. One flipped byte that still decodes
// used to change rankings silently; now it is INVALID_INDEX naming the file.
import { createHash } from 'node:crypto';
import { cp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isM3SearchError, type M3SearchError } from '../../src/core/errors.js';
import { lexicalTokenIds } from '../../src/core/lexical-index.js';
import { sha256 } from '../../src/site/integrity.js';
import { keywordShardOf } from '../../src/site/keyword-shards.js';
import { openIndexDir } from '../../src/site/node-reader.js';
import { searchSite, type SiteSearchOptions } from '../../src/site/search.js';
import { decodeMetaShard, decodeMultiShard, decodePostingsShard, encodeMetaShard, encodeMultiShard, encodePostingsShard } from '../../src/site/shards.js';
import { buildCorruptFixture, type CorruptFixture } from './corrupt-fixture.js';

let fx: CorruptFixture;
let copyNo = 0;

let firstKeywordTerm = '';
beforeAll(async () => {
  fx = await buildCorruptFixture();
  firstKeywordTerm = (await (await openIndexDir(fx.out)).analyzer(fx.queries[1]!)).terms(fx.queries[1]!)[0]!;
}, 60_000);
afterAll(() => rm(fx.dir, { recursive: true, force: true }));

/** A fresh copy of the index with `edit` applied to its files. */
async function damaged(edit: (dir: string) => Promise<void>): Promise<string> {
  const dir = path.join(fx.dir, `copy-${copyNo++}`);
  await cp(fx.out, dir, { recursive: true });
  await edit(dir);
  return dir;
}

async function flip(dir: string, file: string, at: (len: number) => number): Promise<void> {
  const b = new Uint8Array(await readFile(path.join(dir, file)));
  b[at(b.length)] ^= 0x01;
  await writeFile(path.join(dir, file), b);
}

async function query(dir: string, q: string, mode: SiteSearchOptions['mode']) {
  const reader = await openIndexDir(dir);
  return searchSite(reader, q, { mode, k: 5, encoder: fx.encoder });
}

async function failure(p: Promise<unknown>): Promise<M3SearchError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  if (!isM3SearchError(e)) throw new Error(`expected an M3SearchError, got ${String(e)}`);
  return e;
}

describe('shards are checked as they are read', () => {
  it('the clean copy answers (the baseline the damaged ones are compared with)', async () => {
    const dir = await damaged(async () => undefined);
    expect((await query(dir, fx.queries[0]!, 'hybrid')).hits.length).toBeGreaterThan(0);
  });

  // One flipped low bit inside each kind's payload: it still decodes, so only the hash can tell.
  const cases: [string, (m: CorruptFixture['manifest']) => string][] = [
    ['dense', (m) => m.shards.dense.files[0]!.file],
    // The shard holding the query's first word, so the query reads it.
    ['postings', (m) => m.shards.postings.files[lexicalTokenIds(fx.encoder.tokenizer, fx.queries[0]!)[0]! % m.shards.postings.count]!],
    ['metadata', (m) => m.shards.meta.files[0]!.file],
    // The keyword shard holding the keyword query's first term (analyzed as the page would).
    ['keyword', (m) => m.shards.keyword.files[keywordShardOf(m.shards.keyword.files.map((f) => f.first), firstKeywordTerm)]!.file],
  ];
  for (const [kind, fileOf] of cases) {
    it(`a ${kind} shard with one flipped bit is INVALID_INDEX naming it (reason: hash)`, async () => {
      const file = fileOf(fx.manifest);
      const dir = await damaged((d) => flip(d, file, (n) => n - 6));
      const runs = await Promise.all([query(dir, fx.queries[0]!, 'hybrid'), query(dir, fx.queries[1]!, 'keyword')].map((p) => p.then(() => undefined, (e: unknown) => e)));
      const e = runs.find((x) => x !== undefined) as M3SearchError | undefined;
      expect(e, 'the damaged shard was used without complaint').toBeDefined();
      expect(e).toMatchObject({ code: 'INVALID_INDEX', details: { file, reason: 'hash' } });
      expect(e!.message).toContain(file);
    });
  }

  it('a multi-vector shard that is damaged or missing fails the hybrid query (it used to be dropped as "offline")', async () => {
    const table = JSON.parse(new TextDecoder().decode(fx.files.get(fx.manifest.shards.multi.table!.file)!)) as { file: string }[];
    const flipped = await damaged(async (d) => {
      for (const f of table) await flip(d, f.file, (n) => n - 6);
    });
    expect(await failure(query(flipped, fx.queries[0]!, 'hybrid'))).toMatchObject({ code: 'INVALID_INDEX', details: { reason: 'hash' } });
    const missing = await damaged(async (d) => {
      for (const f of table) await unlink(path.join(d, f.file));
    });
    const e = await failure(query(missing, fx.queries[0]!, 'hybrid'));
    expect(e).toMatchObject({ code: 'INVALID_INDEX', details: { reason: 'missing' } });
    expect(e.message).toMatch(/shards\/multi-\d+\.[0-9a-f]{10}\.bin/);
  });

  it('a shard cut short is INVALID_INDEX (reason: size) before it is hashed or decoded', async () => {
    const file = fx.manifest.shards.dense.files[0]!.file;
    const dir = await damaged(async (d) => writeFile(path.join(d, file), fx.files.get(file)!.subarray(0, 40)));
    expect(await failure(query(dir, fx.queries[0]!, 'dense'))).toMatchObject({ code: 'INVALID_INDEX', details: { file, reason: 'size' } });
  });
});

describe('the manifest is checked before anything is sized from it', () => {
  const edited = (edit: (m: Record<string, any>) => void) =>
    damaged(async (d) => {
      const m = JSON.parse(await readFile(path.join(d, 'manifest.json'), 'utf8')) as Record<string, any>;
      edit(m);
      await writeFile(path.join(d, 'manifest.json'), JSON.stringify(m));
    });

  it('counts.passages = 5e8 is INVALID_INDEX naming manifest.json, not a 2 GB allocation', async () => {
    const dir = await edited((m) => (m.counts.passages = 5e8));
    const before = process.memoryUsage().arrayBuffers;
    const e = await failure(query(dir, fx.queries[0]!, 'hybrid'));
    expect(e).toMatchObject({ code: 'INVALID_INDEX', details: { file: path.join(dir, 'manifest.json') } });
    expect(e.message).toMatch(/cover \d+ passages, counts\.passages is 500000000/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 << 20);
  });

  it('a manifest whose every list agrees but whose content changed fails its build hash', async () => {
    const dir = await edited((m) => (m.keyword.k1 = 1.3));
    const e = await failure(openIndexDir(dir));
    expect(e).toMatchObject({ code: 'INVALID_INDEX', details: { reason: 'hash' } });
    expect(e.message).toMatch(/manifest\.json is corrupt or was edited/);
  });

  it('model conventions out of shape are refused, naming the field (a reader would encode queries wrongly)', async () => {
    const good = { pooling: 'mean', normalize: true, queryPrefix: 'query: ', maxLength: 512 };
    for (const bad of [{ ...good, pooling: 'max' }, { ...good, normalize: 'yes' }, { ...good, maxLength: 2 }, { ...good, passagePrefix: 7 }, 'mean']) {
      const dir = await edited((m) => (m.model.conventions = bad));
      expect((await failure(openIndexDir(dir))).message, JSON.stringify(bad)).toMatch(/not an m3search site manifest: model\.conventions/);
    }
  });

  it('a file name outside the index folder, or a dense size that does not fit its rows, is refused', async () => {
    const outside = await edited((m) => (m.shards.meta.files[0].file = '../../etc/passwd'));
    expect((await failure(openIndexDir(outside))).message).toMatch(/malformed entry/);
    const size = await edited((m) => (m.shards.dense.files[0].bytes += 4));
    expect((await failure(openIndexDir(size))).message).toMatch(/declared size does not fit/);
  });
});

describe('shard decoders refuse values no writer produces', () => {
  it('float16 Inf in a multi-vector, an unknown multi kind, trailing bytes', () => {
    const good = encodeMultiShard({ first: 0, dim: 2, rows: [{ kind: 'float16', count: 1, data: Uint16Array.from([0x3c00, 0x3c00]) }] }, 'float16');
    expect(decodeMultiShard(good).rows).toHaveLength(1);
    const inf = good.slice();
    new DataView(inf.buffer).setUint16(inf.length - 4, 0x7c00, true);
    expect(() => decodeMultiShard(inf)).toThrow(/NaN or Infinity/);
    const kind = good.slice();
    new DataView(kind.buffer).setUint32(20, 7, true);
    expect(() => decodeMultiShard(kind)).toThrow(/unknown multi-vector kind 7/);
    const longer = new Uint8Array(good.length + 4);
    longer.set(good);
    expect(() => decodeMultiShard(longer)).toThrow(/unexpected bytes/);
  });

  it('postings: an Inf weight, passages that do not ascend, a gap offset that points elsewhere', () => {
    const t = (token: number, passages: number[], w = 0x3800) => ({ token, passages: Uint32Array.from(passages), weights: Uint16Array.from(passages, () => w) });
    expect(decodePostingsShard(encodePostingsShard(0, [t(4, [1, 5]), t(8, [2])])).terms.size).toBe(2);
    expect(() => decodePostingsShard(encodePostingsShard(0, [t(4, [1, 5], 0x7c00)]))).toThrow(/NaN or Infinity/);
    const dup = encodePostingsShard(0, [t(4, [1, 5])]);
    dup[dup.length - 3] = 0; // the second gap (5 - 1) becomes 0: passage 1 twice
    expect(() => decodePostingsShard(dup)).toThrow(/do not ascend/);
    const off = encodePostingsShard(0, [t(4, [1]), t(8, [2])]);
    new DataView(off.buffer).setUint32(16 + 12 + 8, 0, true); // term 8's offset points at term 4's list
    expect(() => decodePostingsShard(off)).toThrow(/passage list at 0/);
  });

  it('metadata that names a page it does not have', () => {
    const b = encodeMetaShard(3, [{ url: 'a.html', title: 'A', anchor: '', heading: 'H', text: 'T' }]);
    expect(decodeMetaShard(b).items[0]!.url).toBe('a.html');
    const json = JSON.parse(new TextDecoder().decode(b)) as { items: unknown[][] };
    json.items[0]![0] = 4;
    expect(() => decodeMetaShard(new TextEncoder().encode(JSON.stringify(json)))).toThrow(/names page 4 of 1/);
  });
});

describe('SHA-256 without SubtleCrypto (a page served over plain http)', () => {
  it('the script version matches node:crypto at every padding boundary', () => {
    for (const n of [0, 1, 55, 56, 63, 64, 65, 1000, 70_000]) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 255);
      expect(Buffer.from(sha256(b)).toString('hex'), `${n} bytes`).toBe(createHash('sha256').update(b).digest('hex'));
    }
  });
});
