// A BERT WordPiece tokenizer small enough for a doc-only page: the page turns a
// query into pieces without the tokenizer library (@huggingface/tokenizers, what
// transformers.js runs), reading pieces from the vocabulary shards it fetched.
// It covers exactly the tokenizer.json subset BERT-family models ship —
// BertNormalizer, BertPreTokenizer, a WordPiece model, added tokens — and
// mirrors the library step by step (added-token split, clean text, CJK spacing,
// lowercase and accent strip, whitespace/punctuation split, greedy longest
// match), quirks included (CJK is spaced per UTF-16 unit, as the library does),
// so ids are the library's: test/site/bert-wordpiece.test.ts compares them over
// bert-base-uncased and bert-base-chinese. Anything outside the subset gets
// `undefined` from `bertWordPiece`, and the page keeps the library path.

/** What a query's text becomes before WordPiece: words to segment, and added tokens (by their content, whichever form matched). */
export type Section = { word: string } | { added: string };

export interface BertWordPiece {
  /** The pre-tokenized words of `text` and its added tokens, in order. */
  sections(text: string): Section[];
  /**
   * The pieces of `text`, as the library's `tokenize(text, { add_special_tokens:
   * false })` gives them over a vocabulary of the pieces `has` knows (added
   * tokens count as pieces, as the library adds them to its vocabulary).
   */
  tokenize(text: string, has: (piece: string) => boolean): string[];
  /** The pieces of one pre-tokenized word: greedy longest match, `##` after the first, the unknown token if no piece fits. */
  segment(word: string, has: (piece: string) => boolean): string[];
  readonly continuingPrefix: string;
  readonly maxWordChars: number;
  readonly unkToken: string;
  /** Contents of the added tokens (pieces to WordPiece whatever the vocabulary). */
  readonly added: ReadonlySet<string>;
}

interface BertNormalizerConfig {
  clean_text?: boolean;
  handle_chinese_chars?: boolean;
  strip_accents?: boolean | null;
  lowercase?: boolean;
}

interface AddedTokenJson {
  content: string;
  special?: boolean;
  normalized?: boolean;
  lstrip?: boolean;
  rstrip?: boolean;
  single_word?: boolean;
}

/** The library's punctuation class: Unicode P plus every ASCII symbol. */
const PUNCT = '\\p{P}\\u0021-\\u002F\\u003A-\\u0040\\u005B-\\u0060\\u007B-\\u007E';
const PRE_TOKEN = new RegExp(`[^\\s${PUNCT}]+|[${PUNCT}]`, 'gu');
const CONTROL = /^\p{Cc}|\p{Cf}|\p{Co}|\p{Cs}$/u;

/** The CJK ideograph blocks BERT spaces out (code points; tested per UTF-16 unit, as the library does). */
function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

function normalizer(c: BertNormalizerConfig): (text: string) => string {
  return (text) => {
    if (c.clean_text) {
      let out = '';
      for (const ch of text) {
        const cp = ch.charCodeAt(0);
        if (cp === 0 || cp === 0xfffd || (ch !== '\t' && ch !== '\n' && ch !== '\r' && CONTROL.test(ch))) continue;
        out += /^\s$/.test(ch) ? ' ' : ch;
      }
      text = out;
    }
    if (c.handle_chinese_chars) {
      let out = '';
      for (let i = 0; i < text.length; i++) out += isChineseChar(text.charCodeAt(i)) ? ` ${text[i]!} ` : text[i]!;
      text = out;
    }
    const strip = (t: string) => t.normalize('NFD').replace(/\p{Mn}/gu, '');
    if (c.lowercase) {
      text = text.toLowerCase();
      // Unset (null) strip_accents follows lowercase, as in the reference BertTokenizer.
      if (c.strip_accents !== false) text = strip(text);
    } else if (c.strip_accents) text = strip(text);
    return text;
  };
}

/** Splits `text` around the longest dictionary match at each position (the library's DictionarySplitter). */
function splitter(words: readonly string[]): (text: string) => string[] {
  if (words.length === 0) return (text) => [text];
  const byFirst = new Map<string, string[]>();
  for (const w of words) if (w) byFirst.set(w[0]!, [...(byFirst.get(w[0]!) ?? []), w]);
  return (text) => {
    const out: string[] = [];
    let start = 0;
    let i = 0;
    while (i < text.length) {
      let match = '';
      for (const w of byFirst.get(text[i]!) ?? []) if (w.length > match.length && text.startsWith(w, i)) match = w;
      // The library's trie walk takes the longest word on the path; every candidate is a prefix of it, so longest-of-all is the same.
      if (match) {
        if (i > start) out.push(text.slice(start, i));
        out.push(match);
        i += match.length;
        start = i;
      } else i++;
    }
    if (start < text.length) out.push(text.slice(start));
    return out;
  };
}

/**
 * The small tokenizer for `tokenizerJson`, or `undefined` when the tokenizer is
 * not plain BERT WordPiece (another normalizer or pre-tokenizer, `fuse_unk`,
 * single-word added tokens, the config's `remove_space` or
 * `do_lowercase_and_remove_accent`): the caller then uses the library.
 */
export function bertWordPiece(tokenizerJson: Readonly<Record<string, unknown>>, config: Readonly<Record<string, unknown>> = {}): BertWordPiece | undefined {
  const model = tokenizerJson.model as Record<string, unknown> | undefined;
  const norm = tokenizerJson.normalizer as (BertNormalizerConfig & { type?: string }) | null | undefined;
  const pre = tokenizerJson.pre_tokenizer as { type?: string } | null | undefined;
  const added = (tokenizerJson.added_tokens as AddedTokenJson[] | undefined) ?? [];
  if (model?.type !== 'WordPiece' || norm?.type !== 'BertNormalizer' || pre?.type !== 'BertPreTokenizer') return undefined;
  if (model.fuse_unk === true || config.remove_space === true || config.do_lowercase_and_remove_accent === true) return undefined;
  if (added.some((a) => typeof a.content !== 'string' || a.single_word === true)) return undefined;

  const normalize = normalizer(norm);
  const continuingPrefix = String(model.continuing_subword_prefix ?? '##');
  const maxWordChars = Number(model.max_input_chars_per_word ?? 100);
  const unkToken = String(model.unk_token ?? '[UNK]');
  // Added tokens: those marked normalized match the normalized text, the others the raw text.
  const byContent = new Map<string, AddedTokenJson>();
  const raw: string[] = [];
  const normalized: string[] = [];
  for (const a of added) {
    byContent.set(a.content, a);
    if (a.normalized ?? !a.special) {
      const n = normalize(a.content);
      normalized.push(n);
      byContent.set(n, a);
    } else raw.push(a.content);
  }
  const splitRaw = splitter(raw);
  const splitNormalized = splitter(normalized);
  /** lstrip / rstrip: an added token eats the whitespace beside it. */
  const stripAround = (parts: string[]): string[] => {
    parts.forEach((p, i) => {
      const a = byContent.get(p);
      if (!a) return;
      if (a.lstrip && i > 0) parts[i - 1] = parts[i - 1]!.trimEnd();
      if (a.rstrip && i < parts.length - 1) parts[i + 1] = parts[i + 1]!.trimStart();
    });
    return parts;
  };

  const sections = (text: string): Section[] => {
    const out: Section[] = [];
    for (const part of stripAround(splitRaw(text))) {
      if (!part) continue;
      const a = byContent.get(part);
      if (a) {
        out.push({ added: a.content });
        continue;
      }
      const n = normalize(part);
      if (!n) continue;
      for (const sub of stripAround(splitNormalized(n))) {
        if (!sub) continue;
        const a = byContent.get(sub);
        if (a) out.push({ added: a.content });
        else for (const word of sub.trim().match(PRE_TOKEN) ?? []) out.push({ word });
      }
    }
    return out;
  };

  const addedSet = new Set(added.map((a) => a.content));
  const segment = (word: string, has: (piece: string) => boolean): string[] => {
    const chars = [...word];
    if (chars.length > maxWordChars) return [unkToken];
    const pieces: string[] = [];
    for (let start = 0; start < chars.length; ) {
      let end = chars.length;
      let found: string | undefined;
      for (; start < end; end--) {
        const s = (start > 0 ? continuingPrefix : '') + chars.slice(start, end).join('');
        if (has(s) || addedSet.has(s)) {
          found = s;
          break;
        }
      }
      if (found === undefined) return [unkToken];
      pieces.push(found);
      start = end;
    }
    return pieces;
  };

  return {
    sections,
    segment,
    tokenize: (text, has) => sections(text).flatMap((s) => ('added' in s ? [s.added] : segment(s.word, has))),
    continuingPrefix,
    maxWordChars,
    unkToken,
    added: addedSet,
  };
}
