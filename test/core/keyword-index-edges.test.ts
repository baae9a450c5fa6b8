// KeywordIndex edges the ranking suite does not pin down: its options reach
// BM25 (k1, b, titleBoost), bad documents and options are refused with their
// codes and messages, and phrases combine with a caller's filter (both must hold).
import { beforeAll, describe, expect, it } from 'vitest';
import { Analyzer } from '../../src/core/analyzer.js';
import { KeywordIndex, type KeywordDoc } from '../../src/core/keyword-index.js';
import { caught } from './helpers.js';

const DOCS: KeywordDoc[] = [
  { id: 'a', title: 'Garden hose', text: 'A garden hose waters the roses in the morning.' },
  { id: 'b', text: 'The hose garden is a garden of hoses and roses, roses and more roses.' },
  { id: 'c', title: 'Roses', text: 'Prune the roses in winter.' },
];

let analyzer: Analyzer;
beforeAll(() => {
  analyzer = new Analyzer({ language: 'en' });
});

function build(opts: ConstructorParameters<typeof KeywordIndex>[1] = {}): KeywordIndex {
  const index = new KeywordIndex(analyzer, opts);
  for (const d of DOCS) index.add(d);
  return index;
}

describe('KeywordIndex options reach the scores', () => {
  it('k1 and b change the BM25 scores; the defaults differ from both', () => {
    const score = (o: ConstructorParameters<typeof KeywordIndex>[1]) => build(o).search('roses', 3).find((h) => h.id === 'b')!.score;
    const base = score({});
    expect(base).toBeGreaterThan(0);
    expect(score({ k1: 0.1 })).not.toBeCloseTo(base, 6);
    expect(score({ b: 0 })).not.toBeCloseTo(base, 6);
  });

  it('titleBoost counts title words that many times: 0 leaves titles out, 3 lifts a title match', () => {
    const rankOfC = (titleBoost: number) => build({ titleBoost }).search('roses', 3).findIndex((h) => h.id === 'c');
    // "Roses" is c's title: with a heavy title it ranks first, with none it only has its text.
    expect(rankOfC(3)).toBe(0);
    expect(build({ titleBoost: 0 }).search('hose', 3).map((h) => h.id).sort()).toEqual(['a', 'b']);
    const s0 = build({ titleBoost: 0 }).search('garden', 3).find((h) => h.id === 'a')!.score;
    const s3 = build({ titleBoost: 3 }).search('garden', 3).find((h) => h.id === 'a')!.score;
    expect(s3).toBeGreaterThan(s0);
  });

  it('a titleBoost that is negative or not an integer is INVALID_OPTION naming it', () => {
    for (const bad of [-1, 1.5, Number.NaN]) {
      const e = caught(() => new KeywordIndex(analyzer, { titleBoost: bad }));
      expect(e.code).toBe('INVALID_OPTION');
      expect(e.message).toBe(`Keyword search: titleBoost must be an integer ≥ 0, got ${String(bad)}.`);
    }
  });
});

describe('KeywordIndex refuses bad documents', () => {
  it('an empty or missing id is INVALID_DOCUMENT; a repeated one DUPLICATE_ID with the id', () => {
    const index = build();
    for (const doc of [{ id: '', text: 'x' }, { text: 'x' }, { id: 7, text: 'x' }]) {
      const e = caught(() => index.add(doc as unknown as KeywordDoc));
      expect([e.code, e.message]).toEqual(['INVALID_DOCUMENT', 'A document id must be a non-empty string.']);
    }
    const d = caught(() => index.add({ id: 'a', text: 'again' }));
    expect([d.code, d.message, d.details]).toEqual(['DUPLICATE_ID', 'Document "a" is already indexed.', { id: 'a' }]);
    expect(index.size).toBe(3);
  });
});

describe('KeywordIndex phrases and filters', () => {
  it('every quoted phrase must occur, and a filter applies on top of them', () => {
    const index = build();
    expect(index.search('"garden hose"', 3).map((h) => h.id)).toEqual(['a']);
    expect(index.search('"hose garden"', 3).map((h) => h.id)).toEqual(['b']);
    // Two phrases: a document needs both.
    expect(index.search('"garden hose" "hose garden"', 3)).toEqual([]);
    // Phrase and filter: both must hold.
    expect(index.search('"garden hose"', 3, { filter: (id) => id !== 'a' })).toEqual([]);
    expect(index.search('"hose garden"', 3, { filter: (id) => id === 'b' }).map((h) => h.id)).toEqual(['b']);
    // A filter alone still filters.
    expect(index.search('roses', 3, { filter: (id) => id === 'c' }).map((h) => h.id)).toEqual(['c']);
  });
});
