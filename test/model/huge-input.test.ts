// Huge input is bounded before tokenizing (issue #12, "Huge input crashes the
// process"): a long text is tokenized a slice at a time and only up to the
// model's max length, so today's RangeError (≳120k tokens in one tokenizer
// call) and out-of-memory abort cannot happen; queries longer than the model
// could read are refused with QUERY_TOO_LONG naming the limit.
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { M3Search } from '../../src/engine/engine.js';
import { capMarks, type M3Encoder } from '../../src/model/encoder.js';
import { loadModel } from '../../src/node/load-model.js';
import { testModel } from '../helpers/test-model.js';

let enc: M3Encoder;
beforeAll(async () => {
  enc = await loadModel((await testModel()).layouts['heads-in-graph'], { maxLength: 512 });
});
afterAll(() => enc.dispose());

const words = 'search engine document query vector model ranking river bank quick brown fox';
/** `n` characters of words and single spaces. */
function prose(n: number): string {
  const unit = `${words} `;
  return unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
}

/** Today's rule, from one tokenizer call over the whole text (only safe for short texts). */
function reference(ids: number[], maxLength: number): { ids: number[]; truncated: boolean } {
  if (ids.length <= maxLength) return { ids, truncated: false };
  return { ids: [...ids.slice(0, maxLength - 1), ids[ids.length - 1]!], truncated: true };
}

describe('bounded tokenizing', () => {
  it('gives the same ids as one whole-text call, for short and sliced texts', () => {
    for (const n of [200, 16_000, 50_000]) {
      const text = prose(n);
      const whole = enc.tokenizer.ids(text);
      for (const maxLength of [512, 8192]) {
        expect(enc.tokenize(text, maxLength), `${n} chars at ${maxLength}`).toEqual(reference(whole, maxLength));
      }
    }
  });

  it('truncates a 20 MB text to maxLength without tokenizing all of it', () => {
    const text = prose(20_000_000);
    const t0 = performance.now();
    const t = enc.tokenize(text);
    expect(t.ids.length).toBe(512);
    expect(t.truncated).toBe(true);
    expect(t.ids.slice(0, 100)).toEqual(enc.tokenizer.ids(text.slice(0, 2000)).slice(0, 100));
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('reports truncation when the character bound cuts a text that tokenizes sparsely', () => {
    // 600k characters of spaces (the normalizer collapses them) then a word: past the bound, so cut and reported.
    const text = `start${' '.repeat(600_000)}end`;
    expect(enc.charBound()).toBeLessThan(600_000);
    const t = enc.tokenize(text);
    expect(t.truncated).toBe(true);
    expect(t.ids.length).toBeLessThan(10);
    // Trailing whitespace past the bound is not a truncation.
    expect(enc.tokenize(`word${' '.repeat(600_000)}`).truncated).toBe(false);
  });

  it('never splits a surrogate pair between slices', () => {
    // No whitespace, so the slice is cut by length; 'x' puts the bound (512 × 17 chars) inside a pair.
    const text = `x${'😀'.repeat(20_000)}`;
    expect(enc.charBound() % 2).toBe(0);
    const t = enc.tokenize(text);
    expect(t.truncated).toBe(true);
    expect(t.ids).toEqual(enc.tokenizer.ids(text.slice(0, enc.charBound() + 1)));
  });

  it('caps combining marks at 30 in a row (5,000 on one letter were 5,003 tokens)', () => {
    const zalgo = `a${'\u0301'.repeat(5000)} b`;
    expect(capMarks(zalgo)).toBe(`a${'\u0301'.repeat(30)} b`);
    expect(enc.tokenize(zalgo).ids.length).toBeLessThan(40);
    expect(capMarks('café naïve')).toBe('café naïve');
  });
});

describe('huge documents and queries through the engine', () => {
  it('adds a 2 MB document in truncate mode and reports it truncated', async () => {
    const engine = new M3Search(enc);
    const report = await engine.add([{ id: 'big', text: prose(2_000_000) }, { id: 'small', text: 'a small document about the river bank' }]);
    expect(report.truncated).toEqual(['big']);
    expect((await engine.search('quick brown fox')).length).toBe(2);
  });

  it('refuses a document above maxDocumentChars and a query above maxQueryChars, naming the limit', async () => {
    const engine = new M3Search(enc, {}, { maxDocumentChars: 10_000, maxQueryChars: 100 });
    const doc = await engine.add([{ id: 'ok', text: 'fine' }, { id: 'x', text: prose(10_001) }]).catch((e: unknown) => e);
    expect(doc).toMatchObject({ code: 'INVALID_DOCUMENT', details: { id: 'x', length: 10_001, limit: 10_000 } });
    expect(engine.size).toBe(0);
    await engine.add([{ id: 'ok', text: prose(10_000) }]);
    await expect(engine.search(prose(101))).rejects.toMatchObject({ code: 'QUERY_TOO_LONG', details: { length: 101, limit: 100 } });
    expect((await engine.search(prose(100))).length).toBe(1);
    expect(() => new M3Search(enc, {}, { maxQueryChars: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });

  it('refuses a 1M-character query by default, in the engine and in the encoder', async () => {
    const engine = new M3Search(enc);
    await engine.add([{ id: 'a', text: 'river bank' }]);
    await expect(engine.search(prose(1_000_000))).rejects.toMatchObject({ code: 'QUERY_TOO_LONG', details: { limit: 32_768 } });
    await expect(enc.encodeQuery(prose(1_000_000))).rejects.toMatchObject({ code: 'QUERY_TOO_LONG', details: { limit: enc.charBound() } });
  });
});
