import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Analyzer, asciiWords, detectLanguage, foldDiacritics } from '../../src/core/analyzer.js';
import { seededRandom } from '../../src/eval/random.js';
import { loadStemmers, type Stemmer } from '../../src/core/stemmers.js';
import { SHARED_DIR } from '../helpers/shared.js';

let stemmers: Record<string, Stemmer>;
beforeAll(async () => {
  stemmers = { ...(await loadStemmers('en')), ...(await loadStemmers('de')), ...(await loadStemmers('tr')) };
});

const wordsOf = (a: Analyzer, text: string): string[] => a.words(text).map((w) => w.surface);

describe('Analyzer: normalization and folding', () => {
  it('case-folds and applies NFKC (full-width letters, ligatures)', () => {
    const a = new Analyzer({ wordGrams: 0 });
    expect(a.terms('ＡＢＣ Ｄef ﬁsh')).toEqual(['abc', 'def', 'fish']);
  });

  it('folds Latin and Greek diacritics, keeps letters of other scripts', () => {
    expect(foldDiacritics('café')).toBe('cafe');
    expect(foldDiacritics('straße')).toBe('strasse');
    expect(foldDiacritics('άλφα')).toBe('αλφα');
    expect(foldDiacritics('ёлка')).toBe('елка');
    expect(foldDiacritics('йод')).toBe('йод'); // й is a letter, not и + breve
    expect(foldDiacritics('हिन्दी')).toBe('हिन्दी'); // vowel signs are letters
  });

  it('a query without accents finds the accented word (same term)', () => {
    const a = new Analyzer({ wordGrams: 0 });
    expect(a.terms('Crème brûlée')).toEqual(a.terms('creme brulee'));
  });

  it('does not fold Vietnamese, whose tone marks tell words apart', () => {
    const vi = new Analyzer({ language: 'vi', wordGrams: 0 });
    expect(vi.terms('má mà')).toEqual(['má', 'mà']);
  });
});

describe('Analyzer: segmentation', () => {
  const a = new Analyzer({ wordGrams: 0 });

  it('segments Japanese with the dictionary and adds bigrams and characters', () => {
    const words = a.words('東京都に住んでいます');
    expect(words.map((w) => w.surface)).toContain('東京');
    const terms = a.terms('東京都に住んでいます');
    expect(terms).toContain('東京'); // segmenter word
    expect(terms).toContain('京都'); // bigram across the word boundary
    expect(terms).toContain('都'); // single character
  });

  it('segments Chinese into dictionary words', () => {
    expect(wordsOf(a, '我们在北京大学学习中文')).toEqual(['我们', '在', '北京', '大学', '学习', '中文']);
  });

  it('segments Thai into dictionary words, with letter-pair bigrams', () => {
    expect(wordsOf(a, 'ภาษาไทยเป็นภาษาที่สวยงาม')).toEqual(['ภาษา', 'ไทย', 'เป็น', 'ภาษา', 'ที่', 'สวยงาม']);
    const terms = a.terms('ภาษาไทย');
    expect(terms).toContain('ภาษา');
    expect(terms).toContain('ภา');
  });

  it('drops punctuation and spaces; mixed scripts split cleanly', () => {
    expect(wordsOf(a, 'Hello, 世界! ¿Qué?')).toEqual(['hello', '世界', 'que']);
  });

  it('analyzes a text the same way every time (build time = query time)', () => {
    const text = 'Der Bundesrat tagte 2024 in Bern. 北京大学の学生 ภาษาไทย';
    expect(a.terms(text)).toEqual(a.terms(text));
    expect(new Analyzer({ wordGrams: 0 }).terms(text)).toEqual(a.terms(text));
  });
});

describe('Analyzer: stemming', () => {
  it('stems English: running / runs → run', () => {
    const a = new Analyzer({ language: 'en', stemmers, wordGrams: 0 });
    expect(a.terms('running runs run')).toEqual(['run', 'run', 'run']);
  });

  it('stems by the text language for Latin script, by script elsewhere', () => {
    const de = new Analyzer({ language: 'de', stemmers, wordGrams: 0 });
    expect(de.terms('Häuser')).toEqual(de.terms('Haus'));
    const tr = new Analyzer({ language: 'tr', stemmers, wordGrams: 0 });
    expect(tr.terms('kitaplar')).toEqual(['kitap']);
  });

  it('leaves Latin words unstemmed when the language is unknown', () => {
    const a = new Analyzer({ stemmers, wordGrams: 0 });
    expect(a.terms('running')).toEqual(['running']);
  });

  it('word n-grams carry a mark no word term has', () => {
    const a = new Analyzer({ language: 'en', stemmers, wordGrams: 4 });
    const [w] = a.words('Bundesrat');
    expect(w!.grams).toContain('\u0001^bun');
    expect(w!.grams).toContain('\u0001rat$');
    expect(a.words('cat')[0]!.grams).toEqual([]);
  });
});

describe('detectLanguage', () => {
  it('tells languages by script and by function words', () => {
    expect(detectLanguage(['The cat sat on the mat and it was happy.'])).toBe('en');
    expect(detectLanguage(['Der Hund ist in dem Haus und die Katze nicht.'])).toBe('de');
    expect(detectLanguage(['El perro está en la casa y los gatos no.'])).toBe('es');
    expect(detectLanguage(['Собака в доме'])).toBe('ru');
    expect(detectLanguage(['東京都に住んでいます'])).toBe('ja');
    expect(detectLanguage(['我们在北京大学学习中文'])).toBe('zh');
    expect(detectLanguage(['ภาษาไทย'])).toBe('th');
  });
});

// The shared collections' texts segment the same way on every run of Node's ICU
// (the Chromium comparison is the next round's). Deterministic means: two
// analyzers, separately built, give identical term lists, and a digest of them
// is stable within the process.
const DATA = process.env.M3S_DATA_DIR ? resolve(process.env.M3S_DATA_DIR) : join(SHARED_DIR, 'data');
const SAMPLES = ['jsquad-retrieval-ja', 'cmrc2018-retrieval-zh', 'xquad/th', 'xquad/zh'];

describe('Intl.Segmenter on the shared collections', () => {
  for (const name of SAMPLES) {
    it(`segments ${name} deterministically`, () => {
      const lines = readFileSync(join(DATA, name, 'corpus.jsonl'), 'utf8').split('\n').filter(Boolean).slice(0, 150);
      const texts = lines.map((l) => (JSON.parse(l) as { text: string }).text);
      const one = new Analyzer({ wordGrams: 0 });
      const two = new Analyzer({ wordGrams: 0 });
      let words = 0;
      for (const t of texts) {
        const a = one.words(t).map((w) => `${w.start}:${w.surface}`);
        expect(two.words(t).map((w) => `${w.start}:${w.surface}`)).toEqual(a);
        expect(one.words(t).map((w) => `${w.start}:${w.surface}`)).toEqual(a);
        words += a.length;
      }
      expect(words).toBeGreaterThan(1000);
      // Dictionary segmentation, not one word per character: CJK and Thai words average > 1 character.
      const chars = texts.join('').replace(/[\s\p{P}\p{N}a-zA-Z]/gu, '').length;
      expect(chars / words).toBeGreaterThan(1.2);
    });
  }
});

describe('ASCII fast path', () => {
  const icu = new Intl.Segmenter('en', { granularity: 'word' });
  const words = (segs: Iterable<{ segment: string; index: number; isWordLike?: boolean }>): string =>
    [...segs].filter((s) => s.isWordLike && /[a-z0-9]/i.test(s.segment)).map((s) => `${s.index}:${s.segment}`).join(' ');

  it('cuts ASCII tokens exactly where Intl.Segmenter does (seeded random tokens and the rules by name)', () => {
    const named = ["can't", 'e.g.', 'results:we', '3.14', '1,000;2', 'x86_64', '__init__', 'a.1', '1.a', "rock'n'roll", 'foo-bar', 'a..b', 'http://x.org/a_b?c=1'];
    for (const t of named) expect(words(asciiWords(t)), t).toBe(words(icu.segment(t)));
    const rnd = seededRandom(11);
    const alphabet = 'ab1_.\',:;-@/#$%&*()[]{}"!?+=<>|\\^`~0Z9';
    let differ = 0;
    for (let n = 0; n < 20_000; n++) {
      let tok = '';
      for (let i = 1 + Math.floor(rnd() * 10); i > 0; i--) tok += alphabet[Math.floor(rnd() * alphabet.length)];
      if (words(asciiWords(tok)) !== words(icu.segment(tok))) differ++;
    }
    expect(differ).toBe(0);
  });

  it('mixed text: ASCII tokens and the segmenter runs between them give the segmenter\'s words with their offsets', () => {
    const a = new Analyzer({ language: 'en' });
    const text = 'naïve café: 東京タワー x86_64 "quoted" 3.14 ภาษาไทย end';
    const viaSegmenter = [...icu.segment(a.normalize(text))].filter((s) => s.isWordLike && /[\p{L}\p{N}]/u.test(s.segment));
    const spaced = a.words(text).filter((w) => !w.unspaced);
    expect(spaced.map((w) => [w.surface, w.start])).toEqual(
      viaSegmenter.filter((s) => !/[\p{Script=Han}\p{Script=Katakana}\p{Script=Thai}]/u.test(s.segment)).map((s) => [a.surface(s.segment), s.index]),
    );
  });
});
