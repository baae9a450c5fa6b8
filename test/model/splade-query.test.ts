// Doc-only SPLADE query vectors: tokenizer ids weighted by idf.json (issue #15).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { idfQueryVector, parseIdf } from '../../src/model/splade-query.js';
import { createTokenizer, type JsonObject, type M3Tokenizer } from '../../src/model/tokenizer.js';
import { testModel } from '../helpers/test-model.js';

let tok: M3Tokenizer;
/** Piece → id from tokenizer.json itself (not the tokenizer under test). */
let vocab: Map<string, number>;

beforeAll(async () => {
  const dir = (await testModel()).layouts['splade'];
  const json = JSON.parse(readFileSync(path.join(dir, 'tokenizer.json'), 'utf8')) as JsonObject & { model: { vocab: [string, number][] } };
  tok = createTokenizer(json, JSON.parse(readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8')) as JsonObject);
  vocab = new Map(json.model.vocab.map(([piece], id) => [piece, id]));
});

const pairs = (v: { ids: Uint32Array; weights: Float32Array }): [number, number][] => [...v.ids].map((id, i) => [id, v.weights[i]!]);

describe('idfQueryVector', () => {
  it('weights each query token by its idf, once per id, specials and unknown or zero-weight tokens left out', () => {
    const search = vocab.get('\u2581search')!;
    const index = vocab.get('\u2581index')!;
    const the = vocab.get('\u2581the')!;
    const idf = parseIdf({ '\u2581search': 2.5, '\u2581index': 0.75, '\u2581the': 0, '<s>': 9, '</s>': 9 });
    const v = idfQueryVector(tok, 'the search index search', idf);
    expect(pairs(v)).toEqual([[search, 2.5], [index, 0.75]].sort((a, b) => a[0]! - b[0]!));
    expect(v.ids).not.toContain(the);
    expect(pairs(idfQueryVector(tok, 'the', idf))).toEqual([]);
  });

  it('parseIdf refuses what is not a token → weight map, naming the token', () => {
    expect(() => parseIdf([1, 2])).toThrow(expect.objectContaining({ code: 'MODEL_FILES' }));
    expect(() => parseIdf({ a: 1, bad: -1 }, 'idf.json')).toThrow(expect.objectContaining({ code: 'MODEL_FILES', details: expect.objectContaining({ field: 'bad' }) }));
    expect(() => parseIdf({ a: 'x' })).toThrow(/"a"/);
    expect(parseIdf({ a: 1 }).get('a')).toBe(1);
  });
});
