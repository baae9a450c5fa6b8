// Long-document windows checked against what they promise, with a counter of
// one token per word: every window fits, windows tile the text in order, the
// overlap stays within its budget, and a short text is one window.
import { describe, expect, it } from 'vitest';
import { windowBudget, windowText } from '../../src/engine/windows.js';

const words = (s: string): number => s.split(/\s+/).filter(Boolean).length;
const text = (n: number, w = (i: number) => `w${i}`): string => Array.from({ length: n }, (_, i) => w(i)).join(' ');

describe('windowBudget', () => {
  it('keeps 2 special tokens and a margin of 2, never below 1', () => {
    expect(windowBudget(512)).toBe(508);
    expect(windowBudget(5)).toBe(1);
    expect(windowBudget(4)).toBe(1);
    expect(windowBudget(0)).toBe(1);
  });
});

describe('windowText', () => {
  it('a text that fits is one window over all of it', () => {
    const t = `  ${text(20)}`;
    const ws = [...windowText(t, words, { size: 64, overlap: 8 })];
    expect(ws).toEqual([{ index: 0, start: 2, end: t.length, tokens: 20 }]);
  });

  it.each([
    [200, 24, 0],
    [200, 24, 5],
    [333, 64, 16],
    [90, 12, 100], // overlap larger than the window: clamped
  ])('%i words, size %i, overlap %i: windows fit, move forward, overlap ≤ budget and cover every word', (n, size, overlap) => {
    const t = text(n);
    const budget = size - 4;
    const ws = [...windowText(t, words, { size, overlap })];
    expect(ws.length).toBeGreaterThan(1);
    const covered = new Set<number>();
    ws.forEach((w, i) => {
      expect(w.index).toBe(i);
      const slice = t.slice(w.start, w.end);
      // Units are counted one by one; a word is only cut in two when a unit may hold fewer
      // characters than the word (budget / 4 < 5 here), and then counts as two.
      if (budget / 4 >= 5) expect(w.tokens).toBe(words(slice));
      else expect(w.tokens).toBeGreaterThanOrEqual(words(slice));
      expect(w.tokens).toBeLessThanOrEqual(budget);
      expect(w.tokens).toBeGreaterThan(0);
      for (const m of slice.matchAll(/w(\d+)/g)) covered.add(Number(m[1]));
      if (i > 0) {
        const prev = ws[i - 1]!;
        expect(w.start).toBeGreaterThan(prev.start);
        expect(w.end).toBeGreaterThan(prev.end);
        // Words in both windows: at most the overlap (clamped to budget − 1).
        const shared = prev.end > w.start ? words(t.slice(w.start, prev.end)) : 0;
        expect(shared).toBeLessThanOrEqual(Math.min(overlap, budget - 1));
        // Nothing skipped between them.
        expect(w.start).toBeLessThanOrEqual(prev.end);
      }
    });
    expect(ws[0]!.start).toBe(0);
    expect(ws.at(-1)!.end).toBe(t.length);
    expect(covered.size).toBe(n);
  });

  it('with an overlap, consecutive windows share words; without, they share none', () => {
    const t = text(120);
    const withOverlap = [...windowText(t, words, { size: 40, overlap: 10 })];
    for (let i = 1; i < withOverlap.length; i++) expect(words(t.slice(withOverlap[i]!.start, withOverlap[i - 1]!.end))).toBeGreaterThan(0);
    const none = [...windowText(t, words, { size: 40, overlap: 0 })];
    for (let i = 1; i < none.length; i++) expect(none[i]!.start).toBe(none[i - 1]!.end);
    expect(none.reduce((s, w) => s + w.tokens, 0)).toBe(120);
  });

  it('cuts text without spaces into pieces, never inside a surrogate pair', () => {
    const t = '😀'.repeat(300); // 600 UTF-16 units, no spaces
    const perChar = (s: string): number => [...s].length;
    const ws = [...windowText(t, perChar, { size: 54, overlap: 0 })];
    expect(ws.length).toBeGreaterThan(1);
    for (const w of ws) {
      expect(w.tokens).toBeLessThanOrEqual(50);
      expect(w.start % 2).toBe(0);
      expect(w.end % 2).toBe(0);
    }
    expect(ws.reduce((s, w) => s + w.tokens, 0)).toBe(300);
  });
});
