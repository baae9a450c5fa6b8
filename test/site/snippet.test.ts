// Snippets with offsets worked out by hand: which words count as query terms,
// where marks start and end, and which window of a long passage is shown.
import { describe, expect, it } from 'vitest';
import { findMatches, makeSnippet, queryTerms } from '../../src/site/snippet.js';

const marked = (s: { text: string; marks: [number, number][] }): string[] => s.marks.map(([a, b]) => s.text.slice(a, b));

describe('queryTerms', () => {
  it('lowercases, deduplicates, drops single Latin letters but keeps single non-Latin ones', () => {
    expect(queryTerms('Path a PATH pathlib, x 東 é')).toEqual(['path', 'pathlib', '東', 'é']);
    expect(queryTerms('  ')).toEqual([]);
    expect(queryTerms('a b c')).toEqual([]);
  });
});

describe('findMatches', () => {
  it('matches at word starts only, case-insensitively, preferring the longer term', () => {
    const text = 'Pathlib and xpath: use path.';
    // "Pathlib" at 0 (the longer term wins), "xpath" is not a word start, "path" at 23.
    expect(findMatches(text, ['path', 'pathlib'])).toEqual([[0, 7], [23, 27]]);
    expect(findMatches(text, [])).toEqual([]);
    // Regular-expression characters in a term are literal.
    expect(findMatches('a+b or ab', ['a+b'])).toEqual([[0, 3]]);
    expect(findMatches('c.d or cxd', ['c.d'])).toEqual([[0, 3]]);
  });
});

describe('makeSnippet', () => {
  it('keeps a short passage whole, with its marks', () => {
    const s = makeSnippet('Open the <b>config</b> file.', ['config', 'file'], 200);
    expect(s.text).toBe('Open the <b>config</b> file.');
    expect(s.marks).toEqual([[12, 18], [23, 27]]);
    // Exactly maxLength long still counts as short.
    expect(makeSnippet('abcde fghij', ['fghij'], 11)).toEqual({ text: 'abcde fghij', marks: [[6, 11]] });
  });

  it('shows the window with the most distinct terms, snapped to words, with ellipses and shifted marks', () => {
    const filler = (n: number, w: string) => Array.from({ length: n }, () => w).join(' ');
    // 40 × "aaaa " = 200 chars, then "alpha beta", then 40 × " zzzz".
    const text = `${filler(40, 'aaaa')} alpha beta ${filler(40, 'zzzz')} alpha`;
    expect(text.indexOf('alpha')).toBe(200);
    const s = makeSnippet(text, ['alpha', 'beta'], 60);
    // Window starts 15 chars before the first "alpha" (60 / 4): at 185, snapped past the next space to 190.
    expect(s.text.startsWith('… aaaa aaaa alpha beta')).toBe(true);
    expect(s.text.endsWith(' …')).toBe(true);
    expect(marked(s)).toEqual(['alpha', 'beta']);
    expect(s.marks[0]).toEqual([12, 17]);
    // The body is at most 60 characters and ends on a word boundary.
    const body = s.text.slice(2, -2);
    expect(body.length).toBeLessThanOrEqual(60);
    expect(text).toContain(body);
    expect(body.endsWith('zzzz')).toBe(true);
  });

  it('a long passage without matches shows its beginning', () => {
    const text = Array.from({ length: 50 }, (_, i) => `w${i}`).join(' ');
    const s = makeSnippet(text, ['nothing'], 30);
    expect(s.marks).toEqual([]);
    expect(s.text.startsWith('w0 w1 ')).toBe(true);
    expect(s.text.endsWith(' …')).toBe(true);
    expect(s.text.startsWith('…')).toBe(false);
  });
});
