// Long-document windows with every boundary worked out by hand: which pieces of
// text get tokenized together (the counter's calls), where each window starts
// and ends, and how the overlap is kept or dropped. Sizes used below:
//   size 24 → budget 20 tokens, units of at most 5 characters;
//   size 52 → budget 48, units of at most 12 characters (6 words of "a ");
//   size 60 → budget 56, units of at most 14 characters.
import { describe, expect, it } from 'vitest';
import { windowText, type TextWindow } from '../../src/engine/windows.js';

/** One token per whitespace-separated word, recording what it was asked to count. */
function recorder(weights: Record<string, number> = {}): { count: (s: string) => number; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    count: (s) => {
      calls.push(s);
      return s
        .split(/\s+/)
        .filter(Boolean)
        .reduce((n, w) => n + (weights[w] ?? 1), 0);
    },
  };
}
const codePoints = (s: string): number => [...s.replace(/\s/g, '')].length;
const w = (index: number, start: number, end: number, tokens: number): TextWindow => ({ index, start, end, tokens });
const run = (text: string, count: (s: string) => number, size: number, overlap: number): TextWindow[] => [...windowText(text, count, { size, overlap })];

describe('windowText: what is tokenized together', () => {
  it('an empty or blank text has no window and tokenizes nothing', () => {
    const r = recorder();
    expect(run('', r.count, 24, 0)).toEqual([]);
    expect(run('   \n ', r.count, 24, 0)).toEqual([]);
    expect(r.calls).toEqual([]);
  });

  it('a single short word starting at 0 is one window', () => {
    const r = recorder();
    expect(run('hello', r.count, 24, 0)).toEqual([w(0, 0, 5, 1)]);
    expect(r.calls).toEqual(['hello']);
  });

  it('a one-character text is one window', () => {
    expect(run('a', recorder().count, 24, 0)).toEqual([w(0, 0, 1, 1)]);
  });

  it('characters above the surrogate range (U+FF58) are cut where they fall', () => {
    const calls: string[] = [];
    const count = (s: string): number => (calls.push(s), codePoints(s));
    const t = '\uff58'.repeat(8); // 8 UTF-16 units, no spaces, cap 5
    expect(run(t, count, 24, 0)).toEqual([w(0, 0, 8, 8)]);
    expect(calls).toEqual(['\uff58'.repeat(5), '\uff58'.repeat(3)]);
  });

  it('units close once they would exceed the character cap (5 here), not when they reach it', () => {
    const r = recorder();
    // "ab " + "c " is exactly 5 characters: one unit; the next word starts a new one.
    expect(run('ab c ab c', r.count, 24, 0)).toEqual([w(0, 0, 9, 4)]);
    expect(r.calls).toEqual(['ab c ', 'ab c']);
  });

  it('units hold at most 6 words even when more would fit the character cap', () => {
    const r = recorder();
    const t = `${'a '.repeat(13)}a`; // 14 words, 27 characters; cap 14 characters would allow 7 words
    expect(run(t, r.count, 60, 0)).toEqual([w(0, 0, 27, 14)]);
    expect(r.calls).toEqual(['a a a a a a ', 'a a a a a a ', 'a a']);
  });

  it('exactly 6 words: one unit and no empty trailing unit', () => {
    const r = recorder();
    expect(run('a a a a a a', r.count, 60, 0)).toEqual([w(0, 0, 11, 6)]);
    expect(r.calls).toEqual(['a a a a a a']);
  });

  it('a word longer than the cap is cut every 5 characters, each cut its own unit', () => {
    const t = 'abcdefghijklmnopqrstuvwxy'; // 25 characters, one token per character
    const calls: string[] = [];
    const count = (s: string): number => (calls.push(s), codePoints(s));
    expect(run(t, count, 24, 0)).toEqual([w(0, 0, 20, 20), w(1, 20, 25, 5)]);
    expect(calls).toEqual(['abcde', 'fghij', 'klmno', 'pqrst', 'uvwxy']);
  });

  it.each([
    ['😀', '\u{1F600}'], // low surrogate DE00
    ['U+10000', '\u{10000}'], // low surrogate exactly DC00
    ['U+10FFFF', '\u{10FFFF}'], // low surrogate exactly DFFF
  ])('never cuts inside a surrogate pair (%s): an odd cap of 5 becomes 6', (_name, ch) => {
    const calls: string[] = [];
    const count = (s: string): number => (calls.push(s), codePoints(s));
    const t = ch.repeat(8); // 16 UTF-16 units
    expect(run(t, count, 24, 0)).toEqual([w(0, 0, 16, 8)]);
    expect(calls).toEqual([ch.repeat(3), ch.repeat(3), ch.repeat(2)]);
    // A word of exactly three pairs: one cut of 6 units, nothing empty after it.
    calls.length = 0;
    expect(run(ch.repeat(3), count, 24, 0)).toEqual([w(0, 0, 6, 3)]);
    expect(calls).toEqual([ch.repeat(3)]);
  });

  it('a word of exactly the cap is not cut (even before a lone low surrogate)', () => {
    const r = recorder();
    expect(run('abcd \udc00', r.count, 24, 0)).toEqual([w(0, 0, 6, 2)]);
    expect(r.calls).toEqual(['abcd ', '\udc00']);
  });
});

describe('windowText: window boundaries and overlap', () => {
  // 100 words "a": units of 6 words (12 characters) → unit i = [12i, 12i + 12), the last one [192, 199) with 4 words.
  const t100 = `${'a '.repeat(99)}a`;

  it('no overlap: 8 units (48 tokens) per window, nothing shared', () => {
    expect(run(t100, recorder().count, 52, 0)).toEqual([w(0, 0, 96, 48), w(1, 96, 192, 48), w(2, 192, 199, 4)]);
  });

  it('overlap 12: the last 2 units (12 tokens) of a window start the next', () => {
    expect(run(t100, recorder().count, 52, 12)).toEqual([w(0, 0, 96, 48), w(1, 72, 168, 48), w(2, 144, 199, 28)]);
  });

  it('overlap 13 keeps the same 2 units (a third would make 18 > 13)', () => {
    expect(run(t100, recorder().count, 52, 13)).toEqual([w(0, 0, 96, 48), w(1, 72, 168, 48), w(2, 144, 199, 28)]);
  });

  // Words of 3 letters + a space are 4 characters: each word is its own unit at size 24.
  it('an overlap above the budget is clamped to budget − 1 = 19: windows move one word at a time', () => {
    const t = `${'xxx '.repeat(21)}xxx`; // 22 words
    expect(run(t, recorder().count, 24, 100)).toEqual([w(0, 0, 80, 20), w(1, 4, 84, 20), w(2, 8, 87, 20)]);
  });

  it('the kept overlap is dropped when it and the next unit would not fit together', () => {
    // WWW counts 15 tokens: the 10 kept words + 15 > 20, so the next window starts at WWW.
    const t = `${'xxx '.repeat(20)}WWW xxx`;
    expect(run(t, recorder({ WWW: 15 }).count, 24, 10)).toEqual([w(0, 0, 80, 20), w(1, 80, 87, 16)]);
  });

  it('the kept overlap stays when it and the next unit fit exactly', () => {
    // TTT counts 10 tokens: 10 kept + 10 = 20 = budget, kept; then the window [x10 … TTT] holds 20.
    const t = `${'xxx '.repeat(20)}TTT xxx`;
    expect(run(t, recorder({ TTT: 10 }).count, 24, 10)).toEqual([w(0, 0, 80, 20), w(1, 40, 84, 20), w(2, 80, 87, 11)]);
  });

  it('a first unit over the budget is a window of its own (the encoder will truncate it)', () => {
    expect(run('BIG xxx', recorder({ BIG: 25 }).count, 24, 0)).toEqual([w(0, 0, 4, 25), w(1, 4, 7, 1)]);
    expect(run('BIG xxx', recorder({ BIG: 25 }).count, 24, 5)).toEqual([w(0, 0, 4, 25), w(1, 4, 7, 1)]);
  });
});
