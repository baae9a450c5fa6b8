// The keyword analyzer: text → index terms, the same at build time and at
// query time, with no model and no tokenizer file. Pure (Intl.Segmenter and
// String.prototype.normalize are language features of every runtime here).
//
// Pipeline, per text:
//   1. NFKC normalization, then case folding (toLowerCase: locale-free, so a
//      Node-built index and a page agree whatever the visitor's locale).
//   2. Word segmentation with Intl.Segmenter (ICU dictionaries for Japanese,
//      Chinese, Thai, Lao, Khmer and Burmese); only word-like segments are kept.
//   3. Per word, by script:
//      - unspaced scripts (Han, kana, Hangul, Thai, Lao, Khmer, Myanmar): the
//        segmenter's word, plus character bigrams of the word's run (and single
//        characters for Han/kana), so a segmentation that differs between
//        document and query still matches;
//      - every other script: the word stemmed (Snowball-class stemmer for the
//        script's language), then diacritics folded where that is safe.
//   Each word also keeps its folded, unstemmed "surface" form, which prefix and
//   typo matching search (a typo'd word has no stem to compare).
import type { Stemmer } from './stemmers.js';
import { detach } from './detach.js';

/** Languages whose stemmer the analyzer can use (ISO 639-1, as in a page's `lang`). */
export type StemLanguage = string;

export interface AnalyzerOptions {
  /**
   * Language of the texts (BCP 47 / ISO 639-1, e.g. `en`, `de`, `pt-BR`): picks
   * the stemmer for Latin-script words and the segmenter's locale. Words in
   * other scripts are stemmed by their script (Cyrillic → Russian, Greek,
   * Arabic, Devanagari → Hindi) whatever this says. Default: none, so Latin
   * words are not stemmed (use `detectLanguage` on a sample of the corpus).
   */
  language?: string;
  /**
   * Stemmers by language code, as `loadStemmers` returns them. A language
   * without one here is left unstemmed. Default: none.
   */
  stemmers?: Readonly<Record<string, Stemmer>>;
  /**
   * Remove diacritics from Latin and Greek letters (é → e, ά → α, ß → ss) after
   * stemming, so "cafe" finds "café". Never applied to scripts whose marks are
   * letters (Devanagari vowel signs, Arabic, Thai) or to Cyrillic beyond ё → е
   * (й is a letter), nor to Vietnamese, whose tone marks tell words apart.
   * Default true.
   */
  foldDiacritics?: boolean;
  /** Index character bigrams of unspaced-script runs (default true). */
  cjkBigrams?: boolean;
  /** Index single Han/kana characters too (default true). */
  cjkUnigrams?: boolean;
  /** Index the segmenter's words of unspaced scripts (default true). */
  segmenterWords?: boolean;
  /**
   * Also index character n-grams of this length of every spaced-script word
   * longer than n (the folded word with a boundary mark at each end), so parts
   * of compounds and inflected forms the stemmer misses still match. 0 = none.
   * Default 4, except 0 for Vietnamese (its words are syllables: n-grams of
   * the few long ones only add noise, measured on XQuAD vi).
   */
  wordGrams?: number;
}

/** One word of the text with the terms it contributes. */
export interface AnalyzedWord {
  /** Case-folded, diacritic-folded word before stemming (prefix and typo matching look here). */
  surface: string;
  /** Index terms of the word (stem; or for unspaced scripts word, bigrams, characters), in order. */
  terms: string[];
  /** Terms of the word in the position stream phrases are matched on (the stem, or the bigrams). */
  positional: string[];
  /** Character n-gram terms of the word (`wordGrams`), each starting with GRAM_MARK. */
  grams: string[];
  /**
   * Terms that decide whether the word "occurs" for a minimum-match rule:
   * the stem; for Han, kana and Hangul the bigrams (thousands of characters,
   * so a random pair is rarely indexed); for Thai, Lao, Khmer and Burmese the
   * segmenter's word (an alphabet of ~70 letters makes most pairs common).
   */
  units: string[];
  /** True for unspaced scripts (CJK, Thai, …). */
  unspaced: boolean;
  /** Offset of the word in the normalized text. */
  start: number;
  end: number;
}

/** First character of every n-gram term: no word term starts with it. */
export const GRAM_MARK = '\u0001';

/** The script family a word is analyzed by. */
type Script = 'latin' | 'greek' | 'cyrillic' | 'arabic' | 'devanagari' | 'han' | 'hangul' | 'thai' | 'other-unspaced' | 'other';

const UNSPACED_SCRIPTS = new Set<Script>(['han', 'hangul', 'thai', 'other-unspaced']);

const RE_HAN_KANA = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
const RE_UNSPACED_CHAR = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;
const RE_MARK = /\p{M}/u;
const RE_ASCII = /^[\x00-\x7f]*$/;
const RE_LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
/** Word-internal punctuation UAX #29 lets join letters (MidLetter, MidNumLet, quotes). */
const RE_JOINER = /[.:'’·״׳\u2018\uFE13\uFE52\uFE55\uFF07\uFF0E\uFF1A]/u;
const RE_JOINER_SPLIT = /([.:'’·״׳\u2018\uFE13\uFE52\uFE55\uFF07\uFF0E\uFF1A])/u;
const RE_JOINER_ONLY = /^[.:'’·״׳\u2018\uFE13\uFE52\uFE55\uFF07\uFF0E\uFF1A]$/u;

function scriptOf(word: string): Script {
  for (const ch of word) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) {
      if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a)) return 'latin';
      continue;
    }
    if (/\p{Script=Latin}/u.test(ch)) return 'latin';
    if (/\p{Script=Greek}/u.test(ch)) return 'greek';
    if (/\p{Script=Cyrillic}/u.test(ch)) return 'cyrillic';
    if (/\p{Script=Arabic}/u.test(ch)) return 'arabic';
    if (/\p{Script=Devanagari}/u.test(ch)) return 'devanagari';
    if (RE_HAN_KANA.test(ch)) return 'han';
    if (/\p{Script=Hangul}/u.test(ch)) return 'hangul';
    if (/\p{Script=Thai}/u.test(ch)) return 'thai';
    if (RE_UNSPACED_CHAR.test(ch)) return 'other-unspaced';
    if (/\p{L}/u.test(ch)) return 'other';
  }
  return 'other';
}

/** The primary language subtag, lower case: "pt-BR" → "pt". */
export function baseLanguage(lang: string | undefined): string | undefined {
  if (!lang) return undefined;
  const base = lang.trim().toLowerCase().split(/[-_]/)[0];
  return base || undefined;
}

/** Language whose stemmer a word in `script` uses, given the text's language. */
function stemLanguage(script: Script, lang: string | undefined): string | undefined {
  switch (script) {
    case 'latin':
      return lang;
    case 'greek':
      return 'el';
    case 'cyrillic':
      return lang === 'uk' || lang === 'bg' || lang === 'sr' ? lang : 'ru';
    case 'arabic':
      return 'ar';
    case 'devanagari':
      return lang === 'ne' ? 'ne' : 'hi';
    default:
      return undefined;
  }
}

/** Letters that do not decompose under NFD but are folded with the diacritics. */
const FOLD_EXTRA: Readonly<Record<string, string>> = {
  ß: 'ss',
  ı: 'i',
  ø: 'o',
  đ: 'd',
  ð: 'd',
  ł: 'l',
  æ: 'ae',
  œ: 'oe',
  þ: 'th',
  ς: 'σ',
};

/** Removes diacritics from Latin and Greek letters; other letters are kept as they are. */
export function foldDiacritics(word: string, script?: Script): string {
  if (RE_ASCII.test(word)) return word;
  const s = script ?? scriptOf(word);
  if (s === 'cyrillic') return word.replace(/ё/g, 'е');
  if (s !== 'latin' && s !== 'greek') return word;
  let out = '';
  for (const ch of word.normalize('NFD')) {
    if (RE_MARK.test(ch)) continue;
    out += FOLD_EXTRA[ch] ?? ch;
  }
  return out.normalize('NFC');
}

/**
 * Turns texts into index terms. Build one per index (the same options at build
 * and query time) and share it: it caches one Intl.Segmenter and stems.
 */
export class Analyzer {
  readonly language: string | undefined;
  private readonly options: Required<Omit<AnalyzerOptions, 'language' | 'stemmers'>>;
  private readonly stemmers: Readonly<Record<string, Stemmer>>;
  private readonly segmenter: Intl.Segmenter;
  private readonly stemCache = new Map<string, string>();
  /** Languages whose stemmer has been applied so far (a static index records them, so pages load only those). */
  readonly stemmed = new Set<string>();

  constructor(opts: AnalyzerOptions = {}) {
    this.language = baseLanguage(opts.language);
    this.stemmers = opts.stemmers ?? {};
    this.options = {
      foldDiacritics: opts.foldDiacritics ?? true,
      cjkBigrams: opts.cjkBigrams ?? true,
      cjkUnigrams: opts.cjkUnigrams ?? true,
      segmenterWords: opts.segmenterWords ?? true,
      wordGrams: opts.wordGrams ?? (this.language === 'vi' ? 0 : 4),
    };
    // The locale only tunes word breaking; ICU's dictionaries for CJK and
    // South-East Asian scripts apply under every locale.
    this.segmenter = new Intl.Segmenter(this.language ?? 'und', { granularity: 'word' });
  }

  /** NFKC + case folding: the form every offset in `words` refers to. */
  normalize(text: string): string {
    return text.normalize('NFKC').toLowerCase();
  }

  /** Every index term of `text`, in order, repeats kept (a term bag for BM25). */
  terms(text: string): string[] {
    const out: string[] = [];
    for (const w of this.words(text)) for (const t of w.terms) out.push(t);
    return out;
  }

  /** The words of `text` with their terms. */
  words(text: string): AnalyzedWord[] {
    const norm = this.normalize(text);
    const out: AnalyzedWord[] = [];
    // Adjacent unspaced-script words form one run: bigrams span the segmenter's
    // word boundaries, so a different segmentation still shares bigrams.
    let run: { chars: string[]; start: number; words: { seg: string; start: number }[]; script: Script } | undefined;
    const flush = (): void => {
      if (run) out.push(...this.unspacedRun(run.chars, run.words, run.script, run.start));
      run = undefined;
    };
    for (const seg of this.segments(norm)) {
      if (!seg.isWordLike || !RE_LETTER_OR_DIGIT.test(seg.segment)) {
        // Punctuation and spaces end a run; an empty "word" never becomes a term.
        flush();
        continue;
      }
      const script = scriptOf(seg.segment);
      if (UNSPACED_SCRIPTS.has(script) && RE_UNSPACED_CHAR.test(seg.segment)) {
        if (run && run.start + run.chars.join('').length === seg.index) {
          run.chars.push(...seg.segment);
          run.words.push({ seg: seg.segment, start: seg.index });
          continue;
        }
        flush();
        run = { chars: [...seg.segment], start: seg.index, words: [{ seg: seg.segment, start: seg.index }], script };
        continue;
      }
      flush();
      out.push(this.spacedWord(seg.segment, script, seg.index));
    }
    flush();
    return out;
  }

  /**
   * The word segments of normalized text. Words never span whitespace, so
   * each whitespace-delimited ASCII token is cut by `asciiWords` (UAX #29's
   * rules for ASCII, as ICU applies them: ~5× faster than Intl.Segmenter and
   * the same in every engine) and each run of other tokens goes to the
   * segmenter (dictionaries for CJK and South-East Asian scripts).
   */
  private *segments(norm: string): Iterable<{ segment: string; index: number; isWordLike: boolean }> {
    let span = -1; // start of the pending non-ASCII run
    let spanEnd = 0;
    const flush = function* (this: Analyzer): Iterable<{ segment: string; index: number; isWordLike: boolean }> {
      if (span < 0) return;
      for (const seg of this.segmenter.segment(norm.slice(span, spanEnd))) {
        const index = span + seg.index;
        if (!seg.isWordLike || !RE_JOINER.test(seg.segment)) {
          yield { segment: seg.segment, index, isWordLike: seg.isWordLike ?? false };
          continue;
        }
        // ICU versions disagree on whether "." ":" "'" join two non-ASCII letters (Node's ICU 78 joins
        // "т.е", Chromium's does not): split there, so a page and the builder agree.
        let at = 0;
        for (const part of seg.segment.split(RE_JOINER_SPLIT)) {
          if (part !== '' && !RE_JOINER_ONLY.test(part)) yield { segment: part, index: index + at, isWordLike: true };
          at += part.length;
        }
      }
      span = -1;
    };
    for (const m of norm.matchAll(/\S+/g)) {
      const start = m.index;
      if (RE_ASCII.test(m[0])) {
        yield* flush.call(this);
        yield* asciiWords(m[0], start);
      } else {
        if (span < 0) span = start;
        spanEnd = start + m[0].length;
      }
    }
    yield* flush.call(this);
  }

  /**
   * Languages whose stemmer the words of `text` would use (by script, as
   * `stem` picks them), so a page loads only the stemmers a query needs.
   */
  stemLanguagesOf(text: string): string[] {
    const out = new Set<string>();
    for (const seg of this.segments(this.normalize(text))) {
      if (!seg.isWordLike) continue;
      const lang = stemLanguage(scriptOf(seg.segment), this.language);
      if (lang) out.add(lang);
    }
    return [...out];
  }

  /** The term a spaced-script word indexes as: stemmed, then folded. */
  stem(word: string): string {
    let t = this.stemCache.get(word);
    if (t !== undefined) return t;
    const script = scriptOf(word);
    const lang = stemLanguage(script, this.language);
    const stemmer = lang ? this.stemmers[lang] : undefined;
    if (stemmer) this.stemmed.add(lang!);
    t = stemmer ? stemmer(word) || word : word;
    if (this.foldsScript(script)) t = foldDiacritics(t, script);
    if (this.stemCache.size > 100_000) this.stemCache.clear();
    // Copies: the word is a slice of the text being analyzed, which the cache would keep alive.
    t = detach(t);
    this.stemCache.set(detach(word), t);
    return t;
  }

  /** The folded, unstemmed form of a word (what prefix and typo matching compare). */
  surface(word: string): string {
    const script = scriptOf(word);
    return this.foldsScript(script) ? foldDiacritics(word, script) : word;
  }

  /** Character n-grams of a word with boundary marks ("^" and "$"), when it is longer than n. */
  grams(surface: string): string[] {
    const n = this.options.wordGrams;
    if (n <= 0 || surface.length <= n) return [];
    if (RE_ASCII.test(surface)) {
      const marked = `^${surface}$`;
      const out: string[] = [];
      for (let i = 0; i + n <= marked.length; i++) out.push(GRAM_MARK + marked.slice(i, i + n));
      return out;
    }
    const chars = [...surface];
    if (chars.length <= n) return [];
    chars.unshift('^');
    chars.push('$');
    const out: string[] = [];
    for (let i = 0; i + n <= chars.length; i++) out.push(GRAM_MARK + chars.slice(i, i + n).join(''));
    return out;
  }

  private foldsScript(script: Script): boolean {
    if (!this.options.foldDiacritics) return false;
    if (script === 'latin') return this.language !== 'vi';
    return script === 'greek' || script === 'cyrillic';
  }

  private spacedWord(word: string, script: Script, start: number): AnalyzedWord {
    const term = this.stem(word);
    const surface = this.foldsScript(script) ? foldDiacritics(word, script) : word;
    return {
      surface,
      terms: [term],
      positional: [term],
      units: [term],
      grams: this.grams(surface),
      unspaced: false,
      start,
      end: start + word.length,
    };
  }

  /**
   * One run of unspaced-script text: each segmenter word becomes one analyzed
   * word carrying its own terms (the word, its characters) and the bigrams that
   * start inside it (the last one reaching into the next word).
   */
  private unspacedRun(chars: string[], words: { seg: string; start: number }[], script: Script, runStart: number): AnalyzedWord[] {
    const out: AnalyzedWord[] = [];
    const hanKana = script === 'han';
    const syllabic = hanKana || script === 'hangul';
    let ci = 0; // index into chars of the current word's first character
    for (const w of words) {
      const n = [...w.seg].length;
      const terms: string[] = [];
      const positional: string[] = [];
      if (this.options.segmenterWords && n > 1) terms.push(w.seg);
      for (let i = ci; i < ci + n; i++) {
        if (this.options.cjkUnigrams && hanKana && RE_HAN_KANA.test(chars[i]!)) terms.push(chars[i]!);
        if (this.options.cjkBigrams && i + 1 < chars.length) {
          const bigram = chars[i]! + chars[i + 1]!;
          terms.push(bigram);
          positional.push(bigram);
        }
      }
      // A run of one character: the character is its only term.
      if (chars.length === 1) {
        if (!terms.includes(chars[0]!)) terms.push(chars[0]!);
        positional.push(chars[0]!);
      }
      const units = syllabic ? positional : n > 1 && this.options.segmenterWords ? [w.seg] : [];
      out.push({ surface: w.seg, terms, positional, units, grams: [], unspaced: true, start: w.start, end: w.start + w.seg.length });
      ci += n;
    }
    void runStart;
    return out;
  }
}

// ---------------------------------------------------------------------------
// ASCII word breaking: UAX #29 restricted to ASCII, as ICU applies it.
// Letters, digits and "_" form words; ".", "'" and ":" join letters (WB6/7:
// e.g, can't, results:we); ",", ";", "." and "'" join digits
// (WB11/12: 3.14, 1,000); "_" joins anything (WB13a/b: foo_bar, x86_64).

const enum Ch {
  Other,
  Letter,
  Digit,
  Under,
}

function asciiClass(c: number): Ch {
  if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a)) return Ch.Letter;
  if (c >= 0x30 && c <= 0x39) return Ch.Digit;
  return c === 0x5f ? Ch.Under : Ch.Other;
}

/** The words of one whitespace-free ASCII token, as Intl.Segmenter's word-like segments. */
export function* asciiWords(token: string, offset = 0): Iterable<{ segment: string; index: number; isWordLike: boolean }> {
  const n = token.length;
  let i = 0;
  while (i < n) {
    if (asciiClass(token.charCodeAt(i)) === Ch.Other) {
      i++;
      continue;
    }
    const start = i;
    let hasAlnum = false;
    for (;;) {
      const k = asciiClass(token.charCodeAt(i));
      if (k !== Ch.Other) {
        if (k !== Ch.Under) hasAlnum = true;
        i++;
        if (i < n) continue;
        break;
      }
      // A joiner between two letters or two digits keeps the word going.
      const c = token.charCodeAt(i);
      const before = asciiClass(token.charCodeAt(i - 1));
      const after = i + 1 < n ? asciiClass(token.charCodeAt(i + 1)) : Ch.Other;
      const letters = before === Ch.Letter && after === Ch.Letter && (c === 0x2e || c === 0x27 || c === 0x3a);
      const digits = before === Ch.Digit && after === Ch.Digit && (c === 0x2e || c === 0x27 || c === 0x2c || c === 0x3b);
      if (!letters && !digits) break;
      i += 2;
      if (i >= n) break;
    }
    yield { segment: token.slice(start, i), index: offset + start, isWordLike: hasAlnum };
  }
}

// ---------------------------------------------------------------------------
// Language detection (script first, then function words for Latin script).

/** A few of the most frequent function words of each Latin-script language with a stemmer. */
const FUNCTION_WORDS: Readonly<Record<string, readonly string[]>> = {
  en: ['the', 'of', 'and', 'to', 'in', 'is', 'that', 'for', 'it', 'with', 'as', 'was', 'on', 'are', 'by', 'this', 'which', 'what'],
  de: ['der', 'die', 'und', 'in', 'den', 'von', 'zu', 'das', 'mit', 'sich', 'des', 'auf', 'für', 'ist', 'im', 'dem', 'nicht', 'ein', 'eine', 'wurde'],
  es: ['de', 'la', 'que', 'el', 'en', 'y', 'los', 'del', 'se', 'las', 'por', 'un', 'para', 'con', 'una', 'su', 'al', 'es', 'qué'],
  fr: ['de', 'la', 'le', 'et', 'les', 'des', 'en', 'un', 'du', 'une', 'que', 'est', 'pour', 'qui', 'dans', 'par', 'sur', 'au', 'avec'],
  it: ['di', 'e', 'il', 'la', 'che', 'in', 'a', 'per', 'un', 'del', 'della', 'è', 'non', 'una', 'con', 'sono', 'gli', 'le', 'si'],
  pt: ['de', 'a', 'o', 'que', 'e', 'do', 'da', 'em', 'um', 'para', 'com', 'não', 'uma', 'os', 'no', 'se', 'na', 'por', 'mais', 'foi'],
  nl: ['de', 'van', 'een', 'het', 'en', 'in', 'is', 'dat', 'op', 'te', 'zijn', 'met', 'voor', 'niet', 'die', 'werd'],
  ro: ['de', 'și', 'în', 'a', 'la', 'cu', 'care', 'din', 'pe', 'un', 'o', 'este', 'nu', 'pentru', 'mai', 'că', 'ce', 'au', 'fost'],
  tr: ['ve', 'bir', 'bu', 'da', 'de', 'için', 'ile', 'olarak', 'olan', 'gibi', 'daha', 'en', 'çok', 'ne', 'hangi', 'kadar', 'sonra', 'tarafından'],
  vi: ['của', 'và', 'các', 'là', 'có', 'được', 'trong', 'cho', 'những', 'với', 'một', 'không', 'người', 'đã', 'này', 'nào', 'gì'],
  sv: ['och', 'i', 'att', 'det', 'som', 'en', 'på', 'är', 'av', 'för', 'med', 'till', 'den', 'har', 'inte', 'om'],
  da: ['og', 'i', 'at', 'det', 'en', 'den', 'til', 'er', 'som', 'på', 'de', 'med', 'af', 'for', 'ikke', 'der'],
  no: ['og', 'i', 'det', 'på', 'som', 'er', 'en', 'til', 'av', 'for', 'å', 'med', 'har', 'ikke', 'den', 'var'],
  fi: ['ja', 'on', 'ei', 'että', 'oli', 'se', 'mutta', 'kun', 'tai', 'joka', 'myös', 'ovat', 'hän', 'sen', 'kuin'],
  hu: ['a', 'az', 'és', 'hogy', 'nem', 'is', 'egy', 'meg', 'de', 'van', 'volt', 'csak', 'még', 'már', 'mint'],
  id: ['yang', 'dan', 'di', 'ini', 'itu', 'dengan', 'untuk', 'dari', 'dalam', 'tidak', 'akan', 'pada', 'juga', 'ke', 'adalah'],
};

/**
 * Guesses the language of a sample of texts (a corpus sample, or a page):
 * the dominant script decides (Han with kana → ja, Han → zh, Hangul → ko,
 * Thai, Arabic → ar, Devanagari → hi, Greek → el, Cyrillic → ru); Latin-script
 * text is matched against each language's most frequent function words.
 * Undefined when nothing is recognized.
 */
export function detectLanguage(texts: readonly string[]): string | undefined {
  const scripts = new Map<string, number>();
  let kana = 0;
  const counts = new Map<string, number>();
  const lookup = new Map<string, string[]>();
  for (const [lang, ws] of Object.entries(FUNCTION_WORDS)) for (const w of ws) lookup.set(w, [...(lookup.get(w) ?? []), lang]);
  for (const text of texts) {
    const norm = text.normalize('NFKC').toLowerCase();
    for (const ch of norm) {
      if (!/\p{L}/u.test(ch)) continue;
      if (/[\p{Script=Hiragana}\p{Script=Katakana}]/u.test(ch)) kana++;
      const s = scriptOf(ch);
      scripts.set(s, (scripts.get(s) ?? 0) + 1);
    }
    for (const [w] of norm.matchAll(/\p{L}+/gu)) {
      for (const lang of lookup.get(w) ?? []) counts.set(lang, (counts.get(lang) ?? 0) + 1);
    }
  }
  let top: string | undefined;
  let topCount = 0;
  for (const [s, c] of scripts) if (c > topCount) [top, topCount] = [s, c];
  switch (top) {
    case 'han':
      return kana > 0.05 * topCount ? 'ja' : 'zh';
    case 'hangul':
      return 'ko';
    case 'thai':
      return 'th';
    case 'arabic':
      return 'ar';
    case 'devanagari':
      return 'hi';
    case 'greek':
      return 'el';
    case 'cyrillic':
      return 'ru';
    case 'latin': {
      let best: string | undefined;
      let bestScore = 0;
      for (const [lang, c] of counts) {
        const score = c / Math.sqrt(FUNCTION_WORDS[lang]!.length);
        if (score > bestScore) [best, bestScore] = [lang, score];
      }
      return best;
    }
    default:
      return undefined;
  }
}
