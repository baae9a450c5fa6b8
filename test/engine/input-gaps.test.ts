// Small API gaps of issue #12: each is a typed error or documented behaviour,
// never a raw TypeError, a stack overflow or a silently lost key.
import { describe, expect, it } from 'vitest';
import { MAX_META_DEPTH } from '../../src/core/doc.js';
import { resolveSearchOptions } from '../../src/core/options.js';
import { M3Search } from '../../src/engine/engine.js';
import { docs, FakeEncoder } from '../browser/fake-encoder.js';
import type { EngineSearchOptions } from '../../src/engine/engine.js';
import type { Metadata } from '../../src/core/types.js';

async function engineWith(n = 5): Promise<M3Search> {
  const engine = new M3Search(new FakeEncoder());
  await engine.add(docs(n));
  return engine;
}

function nested(depth: number): Metadata {
  let v: Record<string, unknown> = { leaf: 1 };
  for (let i = 0; i < depth; i++) v = { a: v };
  return v as Metadata;
}

describe('input gaps', () => {
  it('search(q, null) means the default options; a non-object is INVALID_OPTION', async () => {
    const engine = await engineWith();
    const hits = await engine.search('passage topic1', null as unknown as EngineSearchOptions);
    expect(hits.length).toBeGreaterThan(0);
    await expect(engine.search('passage', 'fast' as unknown as EngineSearchOptions)).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });

  it(`refuses meta nested deeper than ${MAX_META_DEPTH} levels (100k deep overflowed the stack)`, async () => {
    const engine = new M3Search(new FakeEncoder());
    const err = await engine.add([{ id: 'deep', text: 'some text', meta: nested(100_000) }]).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'M3SearchError', code: 'INVALID_DOCUMENT', details: { id: 'deep' } });
    expect((err as Error).message).toContain(`deeper than ${MAX_META_DEPTH}`);
    // At the limit it is accepted and survives a round trip.
    await engine.add([{ id: 'ok', text: 'some text', meta: nested(MAX_META_DEPTH - 1) }]);
    expect(engine.size).toBe(1);
  });

  it('keeps a JSON "__proto__" key in meta as data', async () => {
    const engine = new M3Search(new FakeEncoder());
    const meta = JSON.parse('{"__proto__": {"polluted": true}, "tag": "x"}') as Metadata;
    await engine.add([{ id: 'p', text: 'prototype keys stay data', meta }]);
    const [hit] = await engine.search('prototype keys');
    const got = hit!.doc.meta!;
    expect(Object.keys(got)).toEqual(['__proto__', 'tag']);
    expect(Object.getOwnPropertyDescriptor(got, '__proto__')?.value).toEqual({ polluted: true });
    expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(got)).toBe('{"__proto__":{"polluted":true},"tag":"x"}');
  });

  it('refuses weights with no positive weight (all zero or all negative)', async () => {
    const engine = await engineWith();
    for (const weights of [
      { dense: 0, sparse: 0, multi: 0 },
      { dense: -1, sparse: -0.5, multi: -2 },
      { dense: 0, sparse: -1, multi: 0 },
    ]) {
      await expect(engine.search('passage', { weights })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
      for (const fusion of ['weighted', 'rrf'] as const) expect(() => resolveSearchOptions({ weights, fusion })).toThrow(/positive weight/);
    }
    // One positive weight is enough; a negative one beside it is a penalty, allowed.
    expect((await engine.search('passage', { weights: { dense: 1, sparse: 0, multi: -0.1 } })).length).toBeGreaterThan(0);
  });
});
