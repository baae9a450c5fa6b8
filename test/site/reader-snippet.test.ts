// Snippet windows at their boundaries, positions worked out by hand (maxLength
// 40, so a window starts 10 characters before a match and may end 40 later):
// matches exactly on the window's edges, distinct terms before counts, word
// snapping with and without a space in reach, and a snippet that reaches the end.
import { describe, expect, it } from 'vitest';
import { makeSnippet } from '../../src/site/snippet.js';

describe('makeSnippet boundaries', () => {
  it('distinct terms beat repeats of one term (case-insensitive), and marks before the window are dropped', () => {
    // "Alpha alpha ALPHA " (0–17), 20 × "xxxx " (18–117), "alpha beta " (118–128), 20 × "yyyy ".
    const text = `Alpha alpha ALPHA ${'xxxx '.repeat(20)}alpha beta ${'yyyy '.repeat(20).trimEnd()}`;
    const s = makeSnippet(text, ['alpha', 'beta'], 40);
    // Window at 108 (118 − 10), snapped past the space at 112 → 113; ends on the space at 148.
    expect(s).toEqual({ text: '… xxxx alpha beta yyyy yyyy yyyy yyyy …', marks: [[7, 12], [13, 17]] });
  });

  it('a match starting exactly at the window start counts for that window', () => {
    // beta 0–3, alpha 10–14: the window of "alpha" starts at 0 and holds both.
    const text = `beta xxxx alpha${' zzzz'.repeat(20)} alpha beta${' wwww'.repeat(20)}`;
    expect(makeSnippet(text, ['alpha', 'beta'], 40)).toEqual({ text: 'beta xxxx alpha zzzz zzzz zzzz zzzz zzzz …', marks: [[0, 4], [10, 15]] });
  });

  it('a match ending exactly at the window end counts, and is marked; a match at the snapped start is marked', () => {
    // zeta 15–18, alpha 20–24, beta 46–49 (ends at 50 = 10 + 40); a second "alpha beta" at 151.
    const text = `zzzz zzzz zzzz zeta alpha qqqq qqqq qqqq qqqq beta${' wwww'.repeat(20)} alpha beta${' vvvv'.repeat(20)}`;
    expect(text.indexOf('beta')).toBe(46);
    const s = makeSnippet(text, ['alpha', 'beta', 'zeta'], 40);
    // Window at 10, snapped to 15 (space at 14); end 50 is a space.
    expect(s).toEqual({ text: '… zeta alpha qqqq qqqq qqqq qqqq beta …', marks: [[2, 6], [7, 12], [33, 37]] });
  });

  it('no space after the window start: the start is not moved', () => {
    // No spaces at all; "-" makes "alpha" (31–35) a word start. Window 21–61.
    const text = `${'x'.repeat(30)}-alpha${'z'.repeat(60)}`;
    expect(makeSnippet(text, ['alpha'], 40)).toEqual({ text: `… ${'x'.repeat(9)}-alpha${'z'.repeat(25)} …`, marks: [[12, 17]] });
  });

  it('a space exactly 20 characters after the start is out of reach at both ends', () => {
    // Window 21–61; the only space is at 41 = 21 + 20 = 61 − 20.
    const text = `${'x'.repeat(30)}-alpha${'z'.repeat(5)} ${'z'.repeat(60)}`;
    expect(makeSnippet(text, ['alpha'], 40)).toEqual({ text: `… ${'x'.repeat(9)}-alpha${'z'.repeat(5)} ${'z'.repeat(19)} …`, marks: [[12, 17]] });
  });

  it('a window that reaches the end of the text has no closing ellipsis', () => {
    const text = `${'yyyy '.repeat(20)}alpha`; // alpha at 100, text 105 long
    expect(makeSnippet(text, ['alpha'], 40)).toEqual({ text: '… yyyy alpha', marks: [[7, 12]] });
  });
});
