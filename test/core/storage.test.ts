import { describe, expect, it } from 'vitest';
import { SearchIndex } from '../../src/core/search-index.js';
import type { Dims } from './helpers.js';
import { corpus, nearQuery, rng } from './helpers.js';

const DIMS: Dims = { dense: 64, multi: 32, vocab: 2000 };

describe('quantized storage', () => {
  const { docs, encs } = corpus(80, 1000, DIMS);
  const make = (dense: 'float32' | 'int8', multi: 'float32' | 'float16' | 'int8'): SearchIndex => {
    const index = new SearchIndex({ dense, multi });
    docs.forEach((d, i) => index.add(d, encs[i]!));
    return index;
  };
  const f32 = make('float32', 'float32');
  const f16 = make('float32', 'float16');
  const i8 = make('int8', 'int8');
  const r = rng(81);
  const queries = Array.from({ length: 30 }, (_, i) => nearQuery(r, encs[i * 33]!, DIMS, 1.5));

  it('int8 dense keeps recall@10 ≥ 0.9 against float32, and mostly the same top-5 order', () => {
    let overlap = 0;
    let sameTop5 = 0;
    for (const q of queries) {
      const a = f32.search(q, { mode: 'dense', k: 10 }).map((h) => h.id);
      const b = i8.search(q, { mode: 'dense', k: 10 }).map((h) => h.id);
      overlap += b.filter((id) => a.includes(id)).length;
      if (a.slice(0, 5).join() === b.slice(0, 5).join()) sameTop5++;
    }
    expect(overlap / (10 * queries.length)).toBeGreaterThanOrEqual(0.9);
    expect(sameTop5 / queries.length).toBeGreaterThanOrEqual(0.5);
  });

  it('int8 and float16 token vectors keep the MaxSim ranking close to float32', () => {
    let o16 = 0;
    let o8 = 0;
    for (const q of queries) {
      const a = f32.search(q, { mode: 'multi', k: 10 }).map((h) => h.id);
      o16 += f16.search(q, { mode: 'multi', k: 10 }).filter((h) => a.includes(h.id)).length;
      o8 += i8.search(q, { mode: 'multi', k: 10 }).filter((h) => a.includes(h.id)).length;
    }
    expect(o16 / (10 * queries.length)).toBeGreaterThanOrEqual(0.97);
    expect(o8 / (10 * queries.length)).toBeGreaterThanOrEqual(0.9);
  });

  it('memory stats shrink about 4× for int8 and 2× for float16', () => {
    const a = f32.stats();
    const b = i8.stats();
    const c = f16.stats();
    expect(a.bytes.dense).toBe(1000 * 64 * 4);
    expect(a.bytes.dense / b.bytes.dense).toBeGreaterThan(3.5);
    expect(a.bytes.dense / b.bytes.dense).toBeLessThanOrEqual(4);
    expect(a.bytes.multi / b.bytes.multi).toBeGreaterThan(3.5);
    expect(a.bytes.multi / c.bytes.multi).toBe(2);
    expect(a.multiRows).toBe(encs.reduce((s, e) => s + e.multi.count, 0));
    expect(a.bytes.multi).toBe(a.multiRows * 32 * 4);
    expect(a.postings).toBe(encs.reduce((s, e) => s + e.sparse.ids.length, 0));
    expect(a.bytes.sparse).toBe(b.bytes.sparse);
    expect(a.bytes.docs).toBe(docs.reduce((s, d) => s + new TextEncoder().encode(JSON.stringify(d)).length, 0));
    expect(a.bytes.total).toBe(a.bytes.dense + a.bytes.sparse + a.bytes.multi + a.bytes.docs);
    expect(b.bytes.total).toBeLessThan(a.bytes.total);
    expect(a).toMatchObject({ docs: 1000, denseDim: 64, multiDim: 32, options: { dense: 'float32', multi: 'float32' } });
    // Snapshots shrink too.
    expect(i8.serialize().length).toBeLessThan(f32.serialize().length * 0.5);
  });
});
