// Robustness: whole-index snapshots (src/core/snapshot.ts) with random byte
// flips and truncations, and values that pass the checksum but no writer
// produces. Each case: INVALID_INDEX, or every query answers exactly as the
// clean snapshot does. Seeded; one summary line per run.
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../src/core/checksum.js';
import { SearchIndex } from '../../src/core/search-index.js';
import type { Encoded, IndexOptions, SearchOptions } from '../../src/core/types.js';
import { corpus, nearQuery, rng } from '../core/helpers.js';
import { damage, judge, pick, summary, tally, type Rng } from './tally.js';

const SEED = 0x5eed1;
const KINDS: IndexOptions[] = [
  { dense: 'float32', multi: 'float32' },
  { dense: 'float32', multi: 'float16' },
  { dense: 'int8', multi: 'int8' },
  { dense: 'int8', multi: 'float16', sparse: 'float16' },
];
const SEARCHES: SearchOptions[] = [{ mode: 'dense', k: 8 }, { mode: 'sparse', k: 8 }, { mode: 'multi', k: 8 }, { mode: 'hybrid', k: 8 }, { mode: 'hybrid', k: 8, fusion: 'rrf' }];
const FLIPS_PER_KIND = 400;
const POKES_PER_KIND = 60;

function results(index: SearchIndex, queries: Encoded[]): unknown {
  return queries.map((q) => SEARCHES.map((o) => index.search(q, o).map((h) => [h.id, h.score])));
}

const align8 = (n: number): number => (n + 7) & ~7;

/** A value no encoder writes, put into one section with the checksum made right again. */
function poke(r: Rng, bytes: Uint8Array): { bytes: Uint8Array; what: string } | undefined {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const jsonLen = dv.getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(24, 24 + jsonLen))) as { sections: Record<string, [number, number]> };
  const binStart = align8(24 + jsonLen);
  const out = bytes.slice();
  const candidates = Object.entries(header.sections).filter(([name, [, len]]) => len >= 8 && name !== 'nnz' && name !== 'counts');
  const [name, [off, len]] = pick(r, candidates);
  const at = binStart + off;
  const o = new DataView(out.buffer);
  const i = Math.floor(r() * (len / 4 - 1));
  let what: string;
  if (name === 'ids') {
    // Two neighbouring ids swapped (or made equal): no longer ascending and unique.
    const a = o.getUint32(at + 4 * i, true);
    o.setUint32(at + 4 * i, o.getUint32(at + 4 * i + 4, true), true);
    o.setUint32(at + 4 * i + 4, r() < 0.5 ? a : o.getUint32(at + 4 * i, true), true);
    what = `ids ${i}/${i + 1} out of order`;
  } else if (name === 'multiF16') {
    o.setUint16(at + 2 * Math.floor(r() * (len / 2)), pick(r, [0x7c00, 0xfc00, 0x7e00]), true);
    what = 'float16 Inf/NaN';
  } else if (name === 'denseI8' || name === 'multiI8') {
    return undefined; // every int8 value is a valid one
  } else {
    const v = name.endsWith('Scales') ? pick(r, [-0.5, NaN, Infinity]) : pick(r, [NaN, Infinity, -Infinity]);
    o.setFloat32(at + 4 * i, v, true);
    what = `${name}[${i}] = ${v}`;
  }
  o.setUint32(12, crc32(out.subarray(24), crc32(out.subarray(4, 12))), true);
  return { bytes: out, what };
}

describe('robustness: snapshots', () => {
  it('every damaged snapshot is INVALID_INDEX or answers exactly like the clean one', async () => {
    const t = tally('snapshots');
    const r = rng(SEED);
    for (const [k, opts] of KINDS.entries()) {
      const { docs, encs } = corpus(SEED + k, 60);
      const index = new SearchIndex(opts);
      docs.forEach((d, i) => index.add(d, encs[i]!));
      const bytes = index.serialize();
      const queries = Array.from({ length: 3 }, (_, i) => nearQuery(r, encs[(i * 17 + 5) % encs.length]!));
      const clean = results(index, queries);
      const kind = `${opts.dense}/${opts.multi}`;
      for (let c = 0; c < FLIPS_PER_KIND; c++) {
        const d = damage(r, bytes);
        await judge(t, `${kind} ${d.what}`, clean, async () => ({ result: results(SearchIndex.deserialize(d.bytes), queries) }));
      }
      for (let c = 0; c < POKES_PER_KIND; c++) {
        const p = poke(r, bytes);
        if (!p) continue;
        await judge(t, `${kind} ${p.what} (checksum fixed)`, clean, async () => ({ result: results(SearchIndex.deserialize(p.bytes), queries) }));
      }
    }
    console.log(summary(t));
    expect(t.problems).toEqual([]);
    expect(t.cases).toBeGreaterThan(1700);
  }, 60_000);
});
