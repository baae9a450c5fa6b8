// Noise-token detection and sparse pruning at their edges, with hand-picked
// vocabulary entries and hand-computed expectations.
import { describe, expect, it } from 'vitest';
import { isPunctuationToken, punctuationIds, userNoiseIds } from '../../src/model/noise.js';
import { pruneSparse } from '../../src/model/sparse-pruning.js';

describe('isPunctuationToken', () => {
  it.each([
    [',', true],
    ['!?', true],
    ['$', true],
    ['€', true],
    ['#', true],
    ['\u2581,', true], // SentencePiece ▁
    ['\u2581\u2581!', true], // markers repeated
    ['##.', true], // WordPiece
    ['\u0120-', true], // byte-level BPE Ġ
    ['\u010a;', true], // byte-level BPE Ċ
    ['.</w>', true], // end-of-word suffix
    [' ', true],
    ['a', false],
    ['1', false],
    ['\u2581a', false],
    ['a,', false],
    ['a##', false],
    [',a', false],
    ['\u2581', false], // only a marker: nothing left
    ['##', false],
    ['\u010a', false],
    ['</w>', false],
    ['', false],
  ])('%j → %s', (token, expected) => {
    expect(isPunctuationToken(token)).toBe(expected);
  });
});

describe('punctuationIds and userNoiseIds', () => {
  it('every non-special vocabulary id whose entry is punctuation, ids 0 … vocabSize − 1', () => {
    const vocab = ['.', ',', 'hello', '\u2581.', undefined, '##', 'x', '!'];
    const tok = { vocabSize: 8, specialIds: new Set([0]), token: (id: number) => (id === 8 ? ';' : vocab[id]) };
    expect([...punctuationIds(tok)].sort((a, b) => a - b)).toEqual([1, 3, 7]);
    expect(punctuationIds({ vocabSize: 0, specialIds: new Set<number>(), token: () => ',' }).size).toBe(0);
  });

  it('user noise: the content tokens of each string, specials not asked for', () => {
    const asked: unknown[] = [];
    const tok = {
      ids: (s: string, o?: { special?: boolean }): number[] => {
        asked.push(o);
        return s.split(' ').map((w) => w.length);
      },
    };
    expect([...userNoiseIds(tok, ['the', 'of course', 'a'])].sort((a, b) => a - b)).toEqual([1, 2, 3, 6]);
    expect(asked).toEqual([{ special: false }, { special: false }, { special: false }]);
    expect(userNoiseIds(tok, []).size).toBe(0);
  });
});

describe('pruneSparse edges', () => {
  const v = { ids: Uint32Array.of(3, 7, 9, 20), weights: Float32Array.of(0.5, 2, 0.5, 1) };
  const plain = (s: { ids: Uint32Array; weights: Float32Array }) => [[...s.ids], [...s.weights]];

  it('top-k keeps the heaviest, ties by position, ids ascending', () => {
    expect(plain(pruneSparse(v, { topK: 2 }))).toEqual([[7, 20], [2, 1]]);
    expect(plain(pruneSparse(v, { topK: 3 }))).toEqual([[3, 7, 20], [0.5, 2, 1]]);
    expect(plain(pruneSparse(v, { topK: 1 }))).toEqual([[7], [2]]);
    expect(plain(pruneSparse(v, { topK: 0 }))).toEqual([[], []]);
    expect(plain(pruneSparse(v, { topK: -1 }))).toEqual([[], []]);
  });

  it('threshold first, then top-k; nothing dropped returns the same vector', () => {
    expect(plain(pruneSparse(v, { threshold: 1 }))).toEqual([[7, 20], [2, 1]]);
    expect(plain(pruneSparse(v, { threshold: 0.6, topK: 1 }))).toEqual([[7], [2]]);
    expect(plain(pruneSparse(v, { threshold: 0.5, topK: 3 }))).toEqual([[3, 7, 20], [0.5, 2, 1]]);
    expect(pruneSparse(v, {})).toBe(v);
    expect(pruneSparse(v, { topK: 4, threshold: 0.5 })).toBe(v);
    expect(pruneSparse(v, { topK: 10 })).toBe(v);
  });
});
