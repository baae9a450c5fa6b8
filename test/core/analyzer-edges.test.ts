// Edge cases of the analyzer that the main suite leaves open: script
// boundaries, stemmer choice per script, unspaced runs (terms, positional,
// units, offsets), n-grams of non-ASCII words and language detection.
// Expected values are worked out by hand from the documented rules.
import { describe, expect, it } from 'vitest';
import { Analyzer, baseLanguage, detectLanguage, GRAM_MARK } from '../../src/core/analyzer.js';

/** Stemmers that only tag the word with their language, so the choice shows. */
const TAGGERS = Object.fromEntries(['en', 'uk', 'bg', 'sr', 'ru', 'el', 'ar', 'hi', 'ne', 'de'].map((l) => [l, (w: string) => `${l}:${w}`]));

describe('script of a word decides its stemmer', () => {
  it('ASCII letters are Latin exactly from a to z and A to Z', () => {
    const a = new Analyzer({ language: 'en', stemmers: TAGGERS, foldDiacritics: false });
    for (const w of ['a', 'z', 'A', 'Z', 'q', 'M', '9x']) expect(a.stem(w)).toBe(`en:${w}`);
    // The neighbours of each range: @ [ ` { and digits are not letters.
    for (const w of ['@', '[', '`', '{', '42']) expect(a.stem(w)).toBe(w);
  });

  it('non-Latin scripts pick their own stemmer, Cyrillic and Devanagari by language', () => {
    const en = new Analyzer({ language: 'en', stemmers: TAGGERS, foldDiacritics: false });
    expect(en.stem('é')).toBe('en:é');
    expect(en.stem('λόγος')).toBe('el:λόγος');
    expect(en.stem('мир')).toBe('ru:мир');
    expect(en.stem('سلام')).toBe('ar:سلام');
    expect(en.stem('नमस्ते')).toBe('hi:नमस्ते');
    expect(en.stem('中文')).toBe('中文');
    expect(en.stem('한국')).toBe('한국');
    for (const lang of ['uk', 'bg', 'sr']) {
      expect(new Analyzer({ language: lang, stemmers: TAGGERS, foldDiacritics: false }).stem('мир')).toBe(`${lang}:мир`);
    }
    expect(new Analyzer({ language: 'de', stemmers: TAGGERS }).stem('мир')).toBe('ru:мир');
    expect(new Analyzer({ language: 'ne', stemmers: TAGGERS }).stem('नमस्ते')).toBe('ne:नमस्ते');
    expect(en.stemmed).toEqual(new Set(['en', 'el', 'ru', 'ar', 'hi']));
  });

  it('stemLanguagesOf lists the stemmers a text needs, in order of first use', () => {
    const en = new Analyzer({ language: 'en' });
    expect(en.stemLanguagesOf('Hello λόγος, мир! سلام नमस्ते 中文 world')).toEqual(['en', 'el', 'ru', 'ar', 'hi']);
    expect(new Analyzer({ language: 'uk' }).stemLanguagesOf('мир word')).toEqual(['uk']);
    expect(new Analyzer({ language: 'ne' }).stemLanguagesOf('नमस्ते')).toEqual(['ne']);
    expect(new Analyzer().stemLanguagesOf('plain latin мир')).toEqual(['ru']);
    expect(en.stemLanguagesOf('中文 한국 ภาษา ... !!')).toEqual([]);
  });

  it('baseLanguage takes the trimmed, lower-cased primary subtag', () => {
    expect(baseLanguage(' PT-br ')).toBe('pt');
    expect(baseLanguage('zh_Hant')).toBe('zh');
    expect(baseLanguage('')).toBeUndefined();
    expect(baseLanguage(undefined)).toBeUndefined();
    expect(baseLanguage('-x')).toBeUndefined();
    expect(new Analyzer({ language: 'EN-gb' }).language).toBe('en');
  });
});

describe('folding by script', () => {
  it('folds Latin, Greek (final sigma too) and Cyrillic ё, unless turned off or Vietnamese', () => {
    const a = new Analyzer({ wordGrams: 0 });
    expect(a.terms('Λόγος Ёлка Crème')).toEqual(['λογοσ', 'елка', 'creme']);
    expect(new Analyzer({ wordGrams: 0, foldDiacritics: false }).terms('Λόγος Ёлка Crème')).toEqual(['λόγος', 'ёлка', 'crème']);
    expect(new Analyzer({ language: 'vi', wordGrams: 0 }).terms('Việt')).toEqual(['việt']);
    expect(a.surface('ёлка')).toBe('елка'); // surface() takes normalized (lower-case) words
  });

  it('Vietnamese has no word n-grams by default; others have 4-grams', () => {
    expect(new Analyzer({ language: 'vi' }).grams('nguyen')).toEqual([]);
    expect(new Analyzer().grams('abcd')).toEqual([]);
    expect(new Analyzer().grams('abcde')).toEqual(['^abc', 'abcd', 'bcde', 'cde$'].map((g) => GRAM_MARK + g));
  });

  it('n-grams of non-ASCII words count characters, not UTF-16 units', () => {
    const a = new Analyzer({ wordGrams: 3 });
    expect(a.grams('éclat')).toEqual(['^éc', 'écl', 'cla', 'lat', 'at$'].map((g) => GRAM_MARK + g));
    // Three astral characters: six UTF-16 units but only three characters, so no grams.
    expect(a.grams('𠀀𠀁𠀂')).toEqual([]);
    expect(a.grams('𠀀𠀁𠀂𠀃')).toEqual(['^𠀀𠀁', '𠀀𠀁𠀂', '𠀁𠀂𠀃', '𠀂𠀃$'].map((g) => GRAM_MARK + g));
  });
});

describe('non-ASCII word breaking', () => {
  it('splits at "." and apostrophes inside non-ASCII words, with offsets', () => {
    const a = new Analyzer({ wordGrams: 0 });
    const show = (t: string) => a.words(t).map((w) => [w.surface, w.start, w.end]);
    expect(show('т.е')).toEqual([['т', 0, 1], ['е', 2, 3]]);
    expect(show("l'été")).toEqual([['l', 0, 1], ['ete', 2, 5]]);
    expect(show('ab мир.дом')).toEqual([['ab', 0, 2], ['мир', 3, 6], ['дом', 7, 10]]);
  });
});

describe('unspaced runs', () => {
  // Unspaced words never carry character n-grams, so `grams` is checked empty throughout.
  const view = (a: Analyzer, t: string) =>
    a.words(t).map((w) => {
      expect(w.grams).toEqual([]);
      return { s: w.surface, t: w.terms, p: w.positional, u: w.units, at: [w.start, w.end], un: w.unspaced };
    });

  it('Han: word, unigrams and bigrams that reach into the next word', () => {
    // ICU splits 我爱北京 as 我 | 爱 | 北京.
    expect(view(new Analyzer(), '我爱北京')).toEqual([
      { s: '我', t: ['我', '我爱'], p: ['我爱'], u: ['我爱'], at: [0, 1], un: true },
      { s: '爱', t: ['爱', '爱北'], p: ['爱北'], u: ['爱北'], at: [1, 2], un: true },
      { s: '北京', t: ['北京', '北', '北京', '京'], p: ['北京'], u: ['北京'], at: [2, 4], un: true },
    ]);
    expect(new Analyzer({ cjkUnigrams: false }).terms('中文')).toEqual(['中文', '中文']);
    expect(new Analyzer({ segmenterWords: false }).terms('中文')).toEqual(['中', '中文', '文']);
    expect(new Analyzer({ cjkBigrams: false }).words('中文').map((w) => [w.terms, w.positional])).toEqual([[['中文', '中', '文'], []]]);
  });

  it('a one-character run is its own only term', () => {
    expect(view(new Analyzer(), '中')).toEqual([{ s: '中', t: ['中'], p: ['中'], u: ['中'], at: [0, 1], un: true }]);
    expect(view(new Analyzer(), '한')).toEqual([{ s: '한', t: ['한'], p: ['한'], u: ['한'], at: [0, 1], un: true }]);
  });

  it('Hangul: no unigrams, units are the bigrams', () => {
    expect(view(new Analyzer(), '한국어 사전')).toEqual([
      { s: '한국어', t: ['한국어', '한국', '국어'], p: ['한국', '국어'], u: ['한국', '국어'], at: [0, 3], un: true },
      { s: '사전', t: ['사전', '사전'], p: ['사전'], u: ['사전'], at: [4, 6], un: true },
    ]);
  });

  it('Thai: no unigrams, units are the segmenter words', () => {
    // ICU splits ภาษาไทย as ภาษา | ไทย.
    expect(view(new Analyzer(), 'ภาษาไทย')).toEqual([
      { s: 'ภาษา', t: ['ภาษา', 'ภา', 'าษ', 'ษา', 'าไ'], p: ['ภา', 'าษ', 'ษา', 'าไ'], u: ['ภาษา'], at: [0, 4], un: true },
      { s: 'ไทย', t: ['ไทย', 'ไท', 'ทย'], p: ['ไท', 'ทย'], u: ['ไทย'], at: [4, 7], un: true },
    ]);
    expect(new Analyzer({ segmenterWords: false }).words('ภาษาไทย').map((w) => w.units)).toEqual([[], []]);
    // A one-letter Thai word is no segmenter word: no units.
    expect(view(new Analyzer(), 'ก')).toEqual([{ s: 'ก', t: ['ก'], p: ['ก'], u: [], at: [0, 1], un: true }]);
  });

  it('other unspaced scripts (Khmer) form runs; other spaced scripts (Armenian) do not', () => {
    expect(new Analyzer().words('ខ្ញុំ').map((w) => w.unspaced)).toEqual([true]);
    expect(new Analyzer().words('բարեւ').map((w) => w.unspaced)).toEqual([false]);
  });
});

describe('detectLanguage', () => {
  it('names the dominant script', () => {
    expect(detectLanguage(['한국어 사전'])).toBe('ko');
    expect(detectLanguage(['ภาษาไทย'])).toBe('th');
    expect(detectLanguage(['سلام عليكم'])).toBe('ar');
    expect(detectLanguage(['नमस्ते दुनिया'])).toBe('hi');
    expect(detectLanguage(['λόγος και'])).toBe('el');
    expect(detectLanguage(['привет мир'])).toBe('ru');
    expect(detectLanguage(['ខ្ញុំ'])).toBeUndefined();
    expect(detectLanguage(['12 34 !!'])).toBeUndefined();
  });

  it('a tie between scripts goes to the one counted first', () => {
    // "the" = 3 Latin letters, "αβγ" = 3 Greek letters: Latin came first, and "the" is English.
    expect(detectLanguage(['the αβγ'])).toBe('en');
    expect(detectLanguage(['αβγ the'])).toBe('el');
  });

  it('Japanese needs more than 5 % kana among Han and kana letters', () => {
    const han19 = '山川田木林森村町市区県国語本日月火水金';
    expect(han19).toHaveLength(19);
    // 19 Han + 1 kana = 20 letters; 1 kana is not > 0.05 × 20.
    expect(detectLanguage([han19 + 'の'])).toBe('zh');
    // 18 Han + 2 kana = 20 letters; 2 > 1.
    expect(detectLanguage([han19.slice(1) + 'のは'])).toBe('ja');
  });

  it('Latin: function-word hits divided by √(list length)', () => {
    // "van" is a function word of Dutch (16 listed) and Hungarian (15 listed):
    // 1/√15 > 1/√16, so Hungarian.
    expect(detectLanguage(['van'])).toBe('hu');
    expect(detectLanguage(['the cat and the dog'])).toBe('en');
    expect(detectLanguage(['xyzzy'])).toBeUndefined();
  });
});
