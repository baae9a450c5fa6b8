import { describe, expect, it } from 'vitest';
import { boundedEditDistance } from '../../src/core/keyword-plan.js';
import { cutQuery, nonsenseQueries, seededRandom, typoQuery } from '../../src/eval/robustness.js';
import { BM25_ANCHORS, formatTargets } from '../../src/eval/targets.js';

describe('robustness query variants', () => {
  it('cutQuery keeps the first share of the characters (code points, rounded up)', () => {
    expect(cutQuery('abcdefgh', 0.5)).toBe('abcd');
    expect(cutQuery('abcdefg', 0.75)).toBe('abcdef');
    expect(cutQuery('北京大学', 0.5)).toBe('北京');
    expect(cutQuery('a', 0.5)).toBe('a');
  });

  it('typoQuery makes exactly one edit in each word longer than 3 characters, and none in shorter ones', () => {
    const random = seededRandom(7);
    for (let i = 0; i < 200; i++) {
      const q = 'the quick brown fox jumps over lazy dogs';
      const t = typoQuery(q, random);
      const a = q.split(' ');
      const b = t.split(/ /);
      // Deleting a letter of a 4-letter word cannot merge words: word count stays.
      expect(b).toHaveLength(a.length);
      a.forEach((w, j) => {
        if (w.length <= 3) expect(b[j]).toBe(w);
        else {
          expect(b[j]).not.toBe(w);
          expect(boundedEditDistance(w, b[j]!, 1)).toBe(1);
        }
      });
    }
  });

  it('typoQuery is deterministic for a seed', () => {
    const q = 'Which NFL team represented the AFC at Super Bowl 50?';
    expect(typoQuery(q, seededRandom(14))).toBe(typoQuery(q, seededRandom(14)));
  });

  it('nonsenseQueries draws from the corpus script, deterministically', () => {
    const ru = [{ id: '1', text: 'Москва — столица России, крупнейший город страны.' }];
    const a = nonsenseQueries(ru, 20, 3);
    expect(a).toEqual(nonsenseQueries(ru, 20, 3));
    for (const q of a) {
      expect(q.text).toMatch(/^[\p{Script=Cyrillic} ]+$/u);
      const words = q.text.split(' ');
      expect(words.length).toBeGreaterThanOrEqual(1);
      expect(words.length).toBeLessThanOrEqual(3);
      for (const w of words) expect([...w].length).toBeGreaterThanOrEqual(4);
    }
  });
});

describe('formatTargets', () => {
  it('compares keyword with the best of minisearch, lexical and the anchor', () => {
    const r = (system: string, ndcg: number) => ({ system, ndcg, recall: 0, mrr: 0, queries: 1, indexSeconds: 0, searchSeconds: 0 });
    const out = formatTargets([
      { label: 'cisi', queries: 1, docs: 1, results: [r('minisearch', 0.2), r('lexical', 0.3), r('keyword', 0.31)] },
      { label: 'cranfield', queries: 1, docs: 1, results: [r('minisearch', 0.2), r('lexical', 0.3), r('keyword', 0.31)] },
    ]);
    expect(BM25_ANCHORS.cranfield).toBe(0.495);
    expect(out).toMatch(/cisi .* met/);
    expect(out).toMatch(/cranfield .* MISSED/);
    expect(out).toContain('targets met: 1 of 2');
    expect(out).not.toContain('pagefind');
  });

  it('shows pagefind as a reference column, not a bar', () => {
    const r = (system: string, ndcg: number) => ({ system, ndcg, recall: 0, mrr: 0, queries: 1, indexSeconds: 0, searchSeconds: 0 });
    const out = formatTargets([{ label: 'cisi', queries: 1, docs: 1, results: [r('minisearch', 0.2), r('lexical', 0.3), r('keyword', 0.31), r('pagefind', 0.9)] }]);
    expect(out.split('\n')[0]).toMatch(/lexical +pagefind +anchor/);
    expect(out).toMatch(/cisi .* 0\.900 .* met/);
  });
});

describe('keyword eval system', () => {
  it('detects the corpus language, stems with it and finds the obvious answers', async () => {
    const { keywordSystem } = await import('../../src/eval/keyword-system.js');
    const { evaluateSystems } = await import('../../src/eval/run.js');
    const corpus = [
      { id: 'd1', title: 'Running', text: 'The runner was running in the park and it was the best run of the year.' },
      { id: 'd2', text: 'The library of the city is open on weekends and holds old maps.' },
      { id: 'd3', text: 'Rotation of encryption keys is scheduled for every quarter.' },
    ];
    const queries = [
      { id: 'q1', text: 'runs in parks' },
      { id: 'q2', text: 'librarys open weekend' },
      { id: 'q3', text: 'xqzzv plorf' },
    ];
    const qrels = new Map([
      ['q1', new Map([['d1', 1]])],
      ['q2', new Map([['d2', 1]])],
      ['q3', new Map([['d3', 1]])],
    ]);
    const system = keywordSystem();
    const [r] = await evaluateSystems([system], corpus, queries, qrels);
    expect(system.language()).toBe('en');
    expect(await system.search('runs in parks', 10)).toEqual(['d1']);
    expect(await system.search('librarys open weekend', 10)).toEqual(['d2']);
    expect(await system.search('xqzzv plorf', 10)).toEqual([]);
    expect(r!.mrr).toBeCloseTo(2 / 3, 12);
  });
});
