// Robustness: per-document IndexedDB records (src/browser/store.ts under
// fake-indexeddb) damaged in storage — bytes flipped or cut in a vector row,
// its scalar fields changed — then the index reopened. Each case: the record
// skipped and reported (CORRUPT_RECORD), a typed error, or every query
// answering exactly as the clean index does. Seeded; one summary line per run.
import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { PersistentSearch } from '../../src/browser/persistent-search.js';
import { databaseName } from '../../src/browser/store.js';
import type { EngineSearchOptions } from '../../src/engine/engine.js';
import type { IndexOptions } from '../../src/core/types.js';
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
const STORES = ['dense', 'sparse', 'multi'] as const;

async function results(search: PersistentSearch): Promise<unknown> {
  const out: unknown[] = [];
  for (const q of QUERIES) for (const o of SEARCHES) out.push((await search.search(q, o)).map((h) => [h.id, h.score]));
  return out;
}

type Row = Record<string, unknown>;

/** One row with one field damaged: an ArrayBuffer flipped or cut, or a scalar changed. */
function damageRow(r: Rng, row: Row): { row: Row; what: string } | undefined {
  const buffers = Object.keys(row).filter((k) => row[k] instanceof ArrayBuffer && (row[k] as ArrayBuffer).byteLength > 0);
  const scalars = Object.keys(row).filter((k) => typeof row[k] === 'number' || typeof row[k] === 'string');
  if (buffers.length > 0 && (scalars.length === 0 || r() < 0.75)) {
    const k = pick(r, buffers);
    const d = damage(r, new Uint8Array(row[k] as ArrayBuffer), 0.2);
    return { row: { ...row, [k]: d.bytes.slice().buffer }, what: `${k}: ${d.what}` };
  }
  if (scalars.length === 0) return undefined;
  const k = pick(r, scalars);
  const v = row[k];
  const next = typeof v === 'number' ? pick(r, [v + 1, v - 1, -v, v * 2, NaN, Infinity, 0]) : pick(r, ['float32', 'float16', 'int8', 'bogus'].filter((s) => s !== v));
  if (Object.is(next, v)) return undefined;
  return { row: { ...row, [k]: next }, what: `${k}: ${String(v)} → ${String(next)}` };
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
        const store = pick(r, STORES);
        const db = await openDB(databaseName(name));
        const original = (await db.get(store, id)) as Row;
        const d = damageRow(r, original);
        if (!d) {
          db.close();
          continue;
        }
        await db.put(store, d.row, id);
        db.close();
        await judge(t, `${kind} ${store} row of ${id}, ${d.what}`, clean, async () => {
          const { search, report } = await PersistentSearch.open(new FakeEncoder(), { name, storage });
          try {
            if (report.skipped.some((s) => s.id === id)) return { typed: 'CORRUPT_RECORD' };
            return { result: await results(search) };
          } finally {
            search.close();
          }
        });
        const fix = await openDB(databaseName(name));
        await fix.put(store, original, id);
        fix.close();
      }
      await PersistentSearch.open(new FakeEncoder(), { name, storage }).then(({ search }) => search.destroy());
    }
    console.log(summary(t));
    expect(t.problems).toEqual([]);
    expect(t.cases).toBeGreaterThan(400);
  }, 120_000);
});
