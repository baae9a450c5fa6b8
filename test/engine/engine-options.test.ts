// The engine's refusals, each with its code, message and details: options that
// are not objects, language codes, input limits at their bounds, a query
// before anything is indexed, and modes the model has no signal for. A
// deterministic stand-in encoder (no ONNX), so these run with every mutant.
import { describe, expect, it } from 'vitest';
import type { Encoder } from '../../src/core/encoder.js';
import { M3SearchError } from '../../src/core/errors.js';
import { M3Search } from '../../src/engine/engine.js';
import { fakeEncoder } from '../site/fake-encoder.js';

async function refusal(f: () => unknown): Promise<M3SearchError> {
  try {
    await f();
  } catch (e) {
    expect(e).toBeInstanceOf(M3SearchError);
    return e as M3SearchError;
  }
  throw new Error('expected a refusal');
}

/** The stand-in encoder with some of its model's signals missing. */
function lacking(info: Partial<Encoder['info']>): Encoder {
  const enc = fakeEncoder();
  return { info: { ...enc.info, ...info }, tokenizer: enc.tokenizer, encode: enc.encode.bind(enc) };
}

const DOCS = [
  { id: 'a', text: 'service workers cache pages offline' },
  { id: 'b', text: 'the river Seine flows through Paris' },
];

describe('engine options', () => {
  it('null and undefined mean the defaults; anything else that is not an object is refused by name', async () => {
    expect(new M3Search(fakeEncoder(), {}, null as never).size).toBe(0);
    expect(new M3Search(fakeEncoder(), {}, undefined).size).toBe(0);
    for (const bad of ['x', 3, [1]]) {
      const e = await refusal(() => new M3Search(fakeEncoder(), {}, bad as never));
      expect(e).toMatchObject({ code: 'INVALID_OPTION', message: 'engine options must be an object', details: { options: String(bad) } });
    }
  });

  it('language: a code of 2–3 letters with optional subtags, nothing else', async () => {
    for (const ok of ['en', 'pt-BR', 'zh_Hant', 'fil', 'EN', 'sr-Latn-RS', 'en-001']) expect(() => new M3Search(fakeEncoder(), {}, { language: ok })).not.toThrow();
    for (const bad of ['english', 'e', 'en-', ' en', 'en!', 'en-US!', 'pt--BR', 3]) {
      const e = await refusal(() => new M3Search(fakeEncoder(), {}, { language: bad as string }));
      expect(e).toMatchObject({ code: 'INVALID_OPTION', message: `language must be a language code such as "en" or "pt-BR", got ${JSON.stringify(bad)}`, details: { language: bad } });
    }
  });

  it('input limits: positive safe integers; 1 is allowed', async () => {
    expect(() => new M3Search(fakeEncoder(), {}, { maxDocumentChars: 1, maxQueryChars: 1 })).not.toThrow();
    for (const name of ['maxDocumentChars', 'maxQueryChars'] as const) {
      for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 53]) {
        const e = await refusal(() => new M3Search(fakeEncoder(), {}, { [name]: bad }));
        expect(e).toMatchObject({ code: 'INVALID_OPTION', message: `${name} must be a positive integer`, details: { [name]: bad } });
      }
    }
  });
});

describe('engine calls', () => {
  it('add and search options must be objects too', async () => {
    const s = new M3Search(fakeEncoder());
    expect(await refusal(() => s.add(DOCS, 'x' as never))).toMatchObject({ code: 'INVALID_OPTION', message: 'add options must be an object' });
    await s.add(DOCS, null as never);
    expect(s.size).toBe(2);
    expect(await refusal(() => s.search('cache', [] as never))).toMatchObject({ code: 'INVALID_OPTION', message: 'search options must be an object' });
    expect((await s.search('cache', null as never)).length).toBeGreaterThan(0);
  });

  it('a query longer than maxQueryChars is refused before it is encoded; exactly the limit is searched', async () => {
    const enc = fakeEncoder();
    const s = new M3Search(enc, {}, { maxQueryChars: 5 });
    await s.add(DOCS);
    const before = enc.encoded.length;
    expect(await refusal(() => s.search('cachez'))).toMatchObject({
      code: 'QUERY_TOO_LONG',
      message: 'The query is 6 characters; maxQueryChars is 5.',
      details: { length: 6, limit: 5 },
    });
    expect(enc.encoded.length).toBe(before);
    const hits = await s.search('cache', { mode: 'sparse' });
    expect(hits.map((h) => h.id)).toEqual(['a']);
  });

  it('searching an empty index is INDEX_EMPTY, in every mode, with nothing encoded', async () => {
    const enc = fakeEncoder();
    const s = new M3Search(enc);
    for (const mode of ['hybrid', 'dense', 'keyword'] as const) {
      expect(await refusal(() => s.search('cache', { mode }))).toMatchObject({ code: 'INDEX_EMPTY', message: 'Nothing is indexed yet; add documents before searching.' });
    }
    expect(enc.encoded).toEqual([]);
  });

  it('a mode the model has no signal for is refused, naming the model; the modes it has still search', async () => {
    const cases = [
      { lacks: 'sparse', info: { modelId: 'test/dense-multi', sparseStyle: 'none' }, needs: 'sparse (lexical) weights', other: 'multi' },
      { lacks: 'multi', info: { modelId: 'test/dense-sparse', hasMulti: false }, needs: 'multi-vectors', other: 'sparse' },
    ] as const;
    let noMulti: M3Search | undefined;
    for (const c of cases) {
      const s = new M3Search(lacking(c.info));
      await s.add(DOCS);
      expect(await refusal(() => s.search('cache', { mode: c.lacks }))).toMatchObject({
        code: 'INVALID_OPTION',
        message: `mode '${c.lacks}' needs ${c.needs}, which ${c.info.modelId} does not produce; use 'dense' or 'hybrid'.`,
        details: { mode: c.lacks, modelId: c.info.modelId },
      });
      expect((await s.search('cache', { mode: c.other }))[0]?.id).toBe('a');
      if (c.lacks === 'multi') noMulti = s;
    }
    for (const mode of ['dense', 'hybrid'] as const) expect((await noMulti!.search('Seine Paris', { mode }))[0]?.id).toBe('b');
  });

  it('with windowed documents, a filter that is not a function is refused', async () => {
    const s = new M3Search(fakeEncoder({ maxLength: 24 }), {}, { longDocuments: 'windows', windowSize: 16, windowOverlap: 2 });
    const long = Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ');
    await s.add([{ id: 'long', text: `${long} seven eight` }, ...DOCS]);
    expect(await refusal(() => s.search('seven', { filter: 'x' as never }))).toMatchObject({ code: 'INVALID_OPTION', message: 'filter must be a function' });
    const hits = await s.search('seven eight', { filter: (d) => d.id === 'long' });
    expect(hits.map((h) => h.id)).toEqual(['long']);
  });
});
