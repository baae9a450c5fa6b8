import { beforeAll, describe, expect, it } from 'vitest';
import { Analyzer } from '../../src/core/analyzer.js';
import { isM3SearchError } from '../../src/core/errors.js';
import { KeywordIndex, type KeywordDoc } from '../../src/core/keyword-index.js';
import { boundedEditDistance, typoBudget } from '../../src/core/keyword-plan.js';
import { LexicalIndex } from '../../src/core/lexical-index.js';
import { loadStemmers } from '../../src/core/stemmers.js';

const DOCS: KeywordDoc[] = [
  { id: 'bucket', title: 'Token bucket', text: 'The token bucket algorithm limits the request rate of a client.' },
  { id: 'cache', title: 'Caching', text: 'Configure the response cache and its expiry for every route.' },
  { id: 'running', text: 'Running the server in production needs a process manager.' },
  { id: 'shoes', text: 'New running shoes for the marathon, and old shoes for walking.' },
  { id: 'order', text: 'Shoes running: the words in the other order.' },
  { id: 'crypto', text: 'Encryption keys are rotated every ninety days by the scheduler.' },
  { id: 'ja', text: '東京都に住んでいる学生は大学で日本語を勉強します。' },
  { id: 'zh', text: '我们在北京大学学习中文和历史。' },
  { id: 'th', text: 'ภาษาไทยเป็นภาษาที่สวยงามมาก' },
  { id: 'de', text: 'Die Straße führt zum Café am Marktplatz.' },
];

let analyzer: Analyzer;
let index: KeywordIndex;
beforeAll(async () => {
  analyzer = new Analyzer({ language: 'en', stemmers: await loadStemmers('en') });
  index = new KeywordIndex(analyzer);
  for (const d of DOCS) index.add(d);
});

const ids = (q: string, opts?: Parameters<KeywordIndex['search']>[2]): string[] => index.search(q, 10, opts).map((h) => h.id);

describe('KeywordIndex: ranking', () => {
  it('finds documents by stemmed words', () => {
    expect(ids('runs')).toEqual(expect.arrayContaining(['running', 'shoes', 'order']));
    expect(ids('rotating keys')[0]).toBe('crypto');
  });

  it('finds CJK and Thai text by words inside unspaced runs', () => {
    expect(ids('北京大学')[0]).toBe('zh');
    expect(ids('大学で勉強')[0]).toBe('ja');
    expect(ids('ภาษาไทย')[0]).toBe('th');
  });

  it('matches without accents', () => {
    expect(ids('cafe strasse')[0]).toBe('de');
  });

  it('a title match outranks the same words in the body', () => {
    const idx = new KeywordIndex(analyzer);
    idx.add({ id: 'body', text: 'bucket notes and other things' });
    idx.add({ id: 'title', title: 'bucket', text: 'notes and other things' });
    expect(idx.search('bucket.', 2).map((h) => h.id)).toEqual(['title', 'body']);
  });
});

describe('KeywordIndex: as-you-type prefix', () => {
  it('the last word matches as a prefix while it is being typed', () => {
    expect(ids('marath')[0]).toBe('shoes');
    expect(index.plan('marath')!.matched).toBe(1);
    expect(ids('token buck')[0]).toBe('bucket');
  });

  it('a finished word (trailing space or punctuation) is not a prefix', () => {
    expect(ids('marath ')).toEqual([]);
    expect(ids('marath?')).toEqual([]);
    expect(ids('marath', { prefix: false })).toEqual([]);
  });

  it('only the last word is a prefix', () => {
    // "keys" matches; "marath", no longer the last word, neither matches nor completes.
    expect(index.plan('marath keys.')!.matched).toBe(1);
    expect(index.plan('keys marath')!.matched).toBe(2);
  });
});

describe('KeywordIndex: typo tolerance', () => {
  it('corrects one edit in a word of 4–7 letters', () => {
    expect(ids('bukcet.')[0]).toBe('bucket'); // swapped neighbours
    expect(ids('scheduer.')[0]).toBe('crypto'); // deletion (8 letters → 2 allowed)
  });

  it('corrects two edits only in words of 8+ letters', () => {
    expect(ids('encriptoin.')[0]).toBe('crypto'); // 2 edits, 10 letters
    expect(ids('bcuekt.')).toEqual([]); // 2+ edits, 6 letters: out of bounds
  });

  it('never corrects words under 4 letters', () => {
    expect(typoBudget('new')).toBe(0);
    expect(ids('nwe.')).toEqual([]);
  });

  it('leaves a word that is in the index alone', () => {
    // "shoes" is in 2 documents: not rare, so no "shoe"-like corrections are added.
    const exact = new KeywordIndex(analyzer, { gramBoost: 0 });
    for (const d of DOCS) exact.add(d);
    expect(exact.plan('shoes.')!.terms).toHaveLength(1);
    expect(exact.plan('shoez.')!.terms.length).toBeGreaterThan(0); // absent: corrected
    expect(index.search('shoes.', 10).map((h) => h.id).sort()).toEqual(['order', 'shoes']);
  });

  it('can be turned off per query', () => {
    expect(ids('bukcet.', { typos: false })).toEqual([]);
  });

  it('bounded edit distance: Levenshtein plus swaps, capped', () => {
    expect(boundedEditDistance('kitten', 'sitting', 5)).toBe(3);
    expect(boundedEditDistance('kitten', 'sitting', 2)).toBe(3); // max + 1
    expect(boundedEditDistance('abcd', 'abdc', 2)).toBe(1);
    expect(boundedEditDistance('abc', 'abc', 0)).toBe(0);
    expect(boundedEditDistance('', 'ab', 2)).toBe(2);
  });
});

describe('KeywordIndex: phrases', () => {
  it('a quoted phrase keeps only documents with the words in that order', () => {
    expect(ids('running shoes')).toEqual(expect.arrayContaining(['order', 'running', 'shoes']));
    expect(ids('"running shoes"')).toEqual(['shoes']);
    expect(ids('“shoes running”')).toEqual(['order']);
  });

  it('a phrase with a word no document has matches nothing', () => {
    expect(ids('"running sandals"')).toEqual([]);
  });

  it('phrases match analyzed words (stems), and CJK by bigrams', () => {
    expect(ids('"run shoe"')).toEqual(['shoes']);
    expect(ids('"北京大学"')).toEqual(['zh']);
  });

  it('a phrase never spans the title and the text', () => {
    const idx = new KeywordIndex(analyzer);
    idx.add({ id: 'a', title: 'alpha', text: 'beta gamma' });
    expect(idx.search('"alpha beta"', 5)).toEqual([]);
    expect(idx.search('"beta gamma"', 5).map((h) => h.id)).toEqual(['a']);
  });
});

describe('KeywordIndex: minimum match', () => {
  it('nonsense returns nothing', () => {
    for (const q of ['xqzzv plorf', 'qwvkj', 'zzxq wvvk pplq', '羇趫鬵 鼈', 'ฆฌฎฏ ฐฑฒ']) expect(ids(q)).toEqual([]);
  });

  it('one real word among many nonsense words is not enough', () => {
    expect(ids('token xqzzv plorf wvvkq')).toEqual([]);
    expect(ids('token bucket xqzzv')[0]).toBe('bucket');
  });

  it('minimumMatch 0 keeps any query with one matching word', () => {
    const idx = new KeywordIndex(analyzer, { minimumMatch: 0 });
    for (const d of DOCS) idx.add(d);
    expect(idx.search('token xqzzv plorf wvvkq', 5)[0]!.id).toBe('bucket');
  });

  it('empty and punctuation-only queries return nothing', () => {
    expect(ids('')).toEqual([]);
    expect(ids(' ?! ')).toEqual([]);
  });
});

describe('KeywordIndex: updates and options', () => {
  it('remove drops the document and its words (no prefix or typo matches to it)', () => {
    const idx = new KeywordIndex(analyzer);
    for (const d of DOCS) idx.add(d);
    expect(idx.remove('crypto')).toBe(true);
    expect(idx.remove('crypto')).toBe(false);
    expect(idx.search('encrypt', 5)).toEqual([]);
    expect(idx.search('encryption keys', 5)).toEqual([]);
    expect(idx.size).toBe(DOCS.length - 1);
    idx.add(DOCS.find((d) => d.id === 'crypto')!);
    expect(idx.search('encrypt', 5).map((h) => h.id)).toEqual(['crypto']);
  });

  it('rejects duplicate ids and bad options with typed errors', () => {
    const idx = new KeywordIndex(analyzer);
    idx.add({ id: 'a', text: 'x' });
    expect(() => idx.add({ id: 'a', text: 'y' })).toThrow(expect.objectContaining({ code: 'DUPLICATE_ID' }));
    for (const bad of [{ minimumMatch: 2 }, { titleBoost: 1.5 }, { maxTypoExpansions: -1 }, { prefixBoost: 0 }, { gramBoost: -1 }]) {
      let err: unknown;
      try {
        new KeywordIndex(analyzer, bad);
      } catch (e) {
        err = e;
      }
      expect(isM3SearchError(err) && err.code).toBe('INVALID_OPTION');
    }
  });
});

describe('LexicalIndex.searchWeighted: the one BM25 path', () => {
  it('equals search() with boost = query count, and scales linearly with the boost', () => {
    const lx = new LexicalIndex();
    lx.add('a', [1, 2, 2, 3]);
    lx.add('b', [2, 3, 3, 3, 4]);
    lx.add('c', [5]);
    const plain = lx.search([2, 2, 3], 3);
    const weighted = lx.searchWeighted([{ id: 2, boost: 2 }, { id: 3, boost: 1 }], 3);
    expect(weighted).toEqual(plain);
    const half = lx.searchWeighted([{ id: 2, boost: 1 }, { id: 3, boost: 0.5 }], 3);
    half.forEach((h, i) => expect(h.score).toBeCloseTo(plain[i]!.score / 2, 12));
    expect(lx.searchWeighted([{ id: 2, boost: 0 }, { id: 99, boost: 1 }], 3)).toEqual([]);
    expect(lx.docFreq(3)).toBe(2);
    expect([...lx.docsWith(3)].sort()).toEqual(['a', 'b']);
  });
});
