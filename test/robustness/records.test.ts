// Robustness: per-document IndexedDB records (src/browser/store.ts under
// fake-indexeddb, schema 4: packs of documents column by column for dense and
// sparse vectors, one token-vector value per document) damaged in storage —
// bytes flipped or cut in one record's part of a column or in its token
// vectors, a scalar of its pack changed — then the index reopened and queried. Each
// case: the record skipped and reported (CORRUPT_RECORD, at the reopen, or —
// token vectors are read only when ranking needs them — at the query), a
// typed error, or every query answering exactly as the clean index does.
// Seeded; one summary line per run.
import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { PersistentSearch } from '../../src/browser/persistent-search.js';
import { databaseName } from '../../src/browser/store.js';
import type { EngineSearchOptions } from '../../src/engine/engine.js';
import type { IndexOptions } from '../../src/core/types.js';
import type { SearchWarning } from '../../src/browser/protocol.js';
import { docs, FakeEncoder, uniqueName } from '../browser/fake-encoder.js';
import { rng } from '../core/helpers.js';
import { damage, judge, pick, summary, tally, type Rng } from './tally.js';

const SEED = 0x5eed3;
const CASES_PER_KIND = 150;
const KINDS: IndexOptions[] = [
  { dense: 'float32', multi: 'float16' },
  { dense: 'int8', multi: 'int8' },
  { dense: 'float32', multi: 'float32', sparse: 'float16' },
];
const QUERIES = ['passage 3 about topic3', 'word17 topic2', 'topic5 and word40'];
const SEARCHES: EngineSearchOptions[] = [{ mode: 'dense', k: 6 }, { mode: 'sparse', k: 6 }, { mode: 'multi', k: 6 }, { mode: 'hybrid', k: 6 }];
/** Share of cases that damage the record's token-vector value instead of its pack. */
const TOKEN_SHARE = 0.3;

/** A schema-4 pack (record-parts.ts, PackV4): the documents' columns. */
interface Pack {
  ids: string[];
  dim: number;
  denseKind: string;
  multiKind: string;
  multiDim: number;
  dense: ArrayBuffer;
  denseScales?: ArrayBuffer;
  sparseEnds: ArrayBuffer;
  sparseIds: ArrayBuffer;
  sparseWeights: ArrayBuffer;
  multiCounts: ArrayBuffer;
  multiSums: ArrayBuffer;
  sums: ArrayBuffer;
}
type Column = 'dense' | 'denseScales' | 'sparseIds' | 'sparseWeights' | 'sparseEnds' | 'multiCounts' | 'multiSums' | 'sums';

async function results(search: PersistentSearch): Promise<unknown> {
  const out: unknown[] = [];
  for (const q of QUERIES) for (const o of SEARCHES) out.push((await search.search(q, o)).map((h) => [h.id, h.score]));
  return out;
}

/**
 * The pack with one record's bytes flipped or cut in one of its columns (its
 * dense row or scale, its sparse ids, weights or end, its token-vector count
 * or checksum, its own checksum; a cut shortens the column), or one of the
 * pack's scalars (kinds, dimensions) changed.
 */
function damagePack(r: Rng, pack: Pack, i: number): { pack: Pack; what: string } | undefined {
  const ends = new Uint32Array(pack.sparseEnds);
  const from = i === 0 ? 0 : ends[i - 1]!;
  const to = ends[i]!;
  const row = pack.dim * (pack.denseKind === 'int8' ? 1 : 4);
  const segs: [Column, number, number][] = (
    [
      ['dense', i * row, row],
      ['denseScales', i * 4, pack.denseScales === undefined ? 0 : 4],
      ['sparseIds', from * 4, (to - from) * 4],
      ['sparseWeights', from * 4, (to - from) * 4],
      ['sparseEnds', i * 4, 4],
      ['multiCounts', i * 4, 4],
      ['multiSums', i * 4, 4],
      ['sums', i * 4, 4],
    ] as [Column, number, number][]
  ).filter(([, , len]) => len > 0);
  if (r() < 0.85) {
    const [col, start, len] = pick(r, segs);
    const bytes = new Uint8Array(pack[col]!.slice(0));
    const d = damage(r, bytes.slice(start, start + len), 0.2);
    const out = new Uint8Array(bytes.length - len + d.bytes.length);
    out.set(bytes.subarray(0, start), 0);
    out.set(d.bytes, start);
    out.set(bytes.subarray(start + len), start + d.bytes.length);
    return { pack: { ...pack, [col]: out.buffer }, what: `${col}: ${d.what}` };
  }
  const k = pick(r, ['dim', 'multiDim', 'denseKind', 'multiKind'] as const);
  const v = pack[k];
  const next = typeof v === 'number' ? pick(r, [v + 1, v - 1, -v, v * 2, NaN, Infinity, 0]) : pick(r, ['float32', 'float16', 'int8', 'bogus'].filter((x) => x !== v));
  if (Object.is(next, v)) return undefined;
  return { pack: { ...pack, [k]: next }, what: `${k}: ${String(v)} → ${String(next)}` };
}

describe('robustness: IndexedDB records', () => {
  it('every damaged record is skipped as CORRUPT_RECORD, or the index answers exactly like the clean one', async () => {
    const t = tally('records');
    const r = rng(SEED);
    for (const storage of KINDS) {
      const name = uniqueName('robust');
      const first = await PersistentSearch.open(new FakeEncoder(), { name, storage });
      await first.search.add(docs(48), { batchSize: 16 });
      const clean = await results(first.search);
      first.search.close();
      const kind = `${storage.dense}/${storage.multi}${storage.sparse ? `/${storage.sparse}` : ''}`;
      const ids = docs(48).map((d) => d.id);
      for (let c = 0; c < CASES_PER_KIND; c++) {
        const id = pick(r, ids);
        const db = await openDB(databaseName(name));
        const key = (await db.get('ids', id)) as number;
        const original = (await db.get('packs', key)) as Pack;
        const tokens = (await db.get('tokens', id)) as ArrayBuffer;
        let what: string;
        if (r() < TOKEN_SHARE && tokens.byteLength > 0) {
          const d = damage(r, new Uint8Array(tokens.slice(0)), 0.2);
          await db.put('tokens', d.bytes.slice().buffer, id);
          what = `token vectors: ${d.what}`;
        } else {
          const d = damagePack(r, original, original.ids.indexOf(id));
          if (!d) {
            db.close();
            continue;
          }
          await db.put('packs', d.pack, key);
          what = d.what;
        }
        db.close();
        await judge(t, `${kind} record ${id}, ${what}`, clean, async () => {
          const corrupt: string[] = [];
          const onWarning = (w: SearchWarning) => {
            if (w.code === 'CORRUPT_RECORD') corrupt.push(...(w.details as { skipped: { id: string }[] }).skipped.map((s) => s.id));
          };
          const { search, report } = await PersistentSearch.open(new FakeEncoder(), { name, storage, onWarning });
          try {
            if (report.skipped.some((s) => s.id === id)) return { typed: 'CORRUPT_RECORD' };
            const result = await results(search);
            if (corrupt.includes(id)) return { typed: 'CORRUPT_RECORD' };
            return { result };
          } finally {
            search.close();
          }
        });
        const fix = await openDB(databaseName(name));
        await fix.put('packs', original, key);
        await fix.put('tokens', tokens, id);
        fix.close();
      }
      await PersistentSearch.open(new FakeEncoder(), { name, storage }).then(({ search }) => search.destroy());
    }
    console.log(summary(t));
    expect(t.problems).toEqual([]);
    expect(t.cases).toBeGreaterThan(400);
  }, 120_000);
});
