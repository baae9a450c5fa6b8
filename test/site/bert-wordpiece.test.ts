// The page's small BERT WordPiece tokenizer (src/site/bert-wordpiece.ts) gives
// the same ids as transformers.js over the full vocabulary: real tokenizers
// from ../shared (bert-base-uncased: lowercase + accent strip; bert-base-chinese:
// cased, no accent strip), hand-picked hard strings and seeded random strings
// drawn from the characters each normalization step treats specially.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/eval/random.js';
import { createTokenizer, type JsonObject } from '../../src/model/tokenizer.js';
import { bertWordPiece } from '../../src/site/bert-wordpiece.js';
import { HARD } from './tokenizer-strings.js';
import { SHARED_DIR as SHARED } from '../helpers/shared.js';

const json = (file: string): JsonObject => JSON.parse(readFileSync(file, 'utf8')) as JsonObject;

/** Seeded random strings over characters that each normalization or split step handles on its own. */
function randomStrings(n: number, seed: number): string[] {
  const pool = [
    ...'abcXYZ019 .,;:!?-_/\\()[]{}"\'`~@#$%^&*+=<>|',
    ...'éÉüÜñÑçÇøØåÅßİıΣσςЁё', 'e\u0301', 'A\u030a', '\u0000', '\u0007', '\t', '\n', '\r', '\u00a0', '\u2003', '\u3000', '\u200b', '\u200d', '\u00ad', '\ufeff', '\ufffd', '\ue000', '\ud800',
    ...'東京中文検索한국カタㇰ', '𠀀', '𪚥', '\uf900', '\u3400', '🙂', '👍🏽', '❤️', '①', '４', '½', 'ﬁ', '…', '—', '“', '¿', '[MASK]', '[CLS]', '[unk]', '##', 'search', 'ing', 'un',
  ];
  const rand = seededRandom(seed);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    let s = '';
    const len = 1 + Math.floor(rand() * 24);
    for (let j = 0; j < len; j++) s += pool[Math.floor(rand() * pool.length)]!;
    out.push(s);
  }
  return out;
}

/** The small tokenizer's ids over the full vocabulary (added tokens mapped as the library maps them). */
function smallIds(tokJson: JsonObject, tokConfig: JsonObject, text: string): number[] {
  const vocab = (tokJson.model as { vocab: Record<string, number> }).vocab;
  const added = new Map(((tokJson.added_tokens as { content: string; id: number }[]) ?? []).map((a) => [a.content, a.id]));
  const small = bertWordPiece(tokJson, tokConfig)!;
  const unk = vocab[small.unkToken]!;
  return small.tokenize(text, (p) => p in vocab).map((p) => added.get(p) ?? vocab[p] ?? unk);
}

describe('the small BERT WordPiece tokenizer equals transformers.js', () => {
  for (const [name, queriesOf] of [
    ['bert-base-uncased', () => [...lines('scifact', 200), ...lines('cranfield', 100)]],
    ['bert-base-chinese', () => [...lines('cmrc2018-retrieval-zh', 200), ...lines('xquad/zh', 100)]],
  ] as const) {
    it(`${name}: real queries, hard strings and 2,000 random strings`, () => {
      const dir = path.join(SHARED, 'tokenizers', name);
      const tokJson = json(path.join(dir, 'tokenizer.json'));
      const configFile = path.join(dir, 'tokenizer_config.json');
      const tokConfig = name === 'bert-base-uncased' ? json(configFile) : {};
      const full = createTokenizer(tokJson, tokConfig);
      const texts = [...queriesOf(), ...HARD, ...randomStrings(2000, name.length)];
      let pieces = 0;
      let unknown = 0;
      for (const t of texts) {
        const want = full.ids(t, { special: false });
        expect(smallIds(tokJson, tokConfig, t), JSON.stringify(t)).toEqual(want);
        pieces += want.length;
        unknown += want.filter((id) => id === 100).length;
      }
      // The strings did reach WordPiece's edges: many pieces, some of them unknown.
      expect(pieces).toBeGreaterThan(10_000);
      expect(unknown).toBeGreaterThan(50);
    }, 120_000);
  }

  it('declines tokenizers outside BERT WordPiece (the page then uses the library)', () => {
    const bert = json(path.join(SHARED, 'tokenizers', 'bert-base-uncased', 'tokenizer.json'));
    expect(bertWordPiece(bert)).toBeDefined();
    expect(bertWordPiece({ ...bert, model: { type: 'Unigram', vocab: [] } })).toBeUndefined();
    expect(bertWordPiece({ ...bert, normalizer: { type: 'NFKC' } })).toBeUndefined();
    expect(bertWordPiece({ ...bert, normalizer: null })).toBeUndefined();
    expect(bertWordPiece({ ...bert, pre_tokenizer: { type: 'Whitespace' } })).toBeUndefined();
    expect(bertWordPiece({ ...bert, model: { ...(bert.model as object), fuse_unk: true } })).toBeUndefined();
    expect(bertWordPiece({ ...bert, added_tokens: [{ id: 5, content: 'x', single_word: true }] })).toBeUndefined();
    expect(bertWordPiece(bert, { remove_space: true })).toBeUndefined();
    expect(bertWordPiece(bert, { do_lowercase_and_remove_accent: true })).toBeUndefined();
  });

  it('added tokens: normalized ones match the normalized text, lstrip/rstrip eat the spaces beside them', () => {
    const tok: JsonObject = {
      version: '1.0', truncation: null, padding: null, post_processor: null, decoder: null,
      normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
      pre_tokenizer: { type: 'BertPreTokenizer' },
      added_tokens: [
        { id: 0, content: '[UNK]', special: true, normalized: false, lstrip: false, rstrip: false, single_word: false },
        { id: 1, content: 'Hello World', special: false, normalized: true, lstrip: true, rstrip: true, single_word: false },
        { id: 2, content: '<x>', special: true, normalized: false, lstrip: true, rstrip: true, single_word: false },
      ],
      model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 8, vocab: { '[UNK]': 0, hello: 3, world: 4, '##s': 5, a: 6, '##b': 7 } },
    };
    const full = createTokenizer(tok, {});
    for (const t of ['HELLO WORLD here', 'say hello world', 'a<x>ab  <x>  hellos', 'ab ab abbbbbbbbb', 'héllo wörld', '<X> <x>'])
      expect(smallIds(tok, {}, t), t).toEqual(full.ids(t, { special: false }));
  });
});

function lines(collection: string, n: number): string[] {
  return readFileSync(path.join(SHARED, 'data', collection, 'queries.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .slice(0, n)
    .map((l) => (JSON.parse(l) as { text: string }).text);
}
