// A BERT-style (uncased) WordPiece tokenizer for the doc-only test model, as
// the OpenSearch doc-only models ship one (bert-base-uncased): its pieces are
// the Unigram test vocabulary's, rewritten for WordPiece — word-initial pieces
// ("▁search" → "search"), inner ones marked "##" ("ing" → "##ing"), every
// single character in both forms — after BERT's uncased normalization.

import type { Vocab } from './tokenizer.js';

export const WP_SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
export const WP_PAD_ID = 0;
const META = '\u2581';
/** BERT's punctuation class (Unicode P and every ASCII symbol): such a character is a word of its own. */
const PUNCT = /[\p{P}\u0021-\u002F\u003A-\u0040\u005B-\u0060\u007B-\u007E]/u;
/** CJK ideographs are spaced out by BertNormalizer: one character per word. */
const HAN = /\p{Script=Han}/u;

/** BERT uncased normalization of a piece: lowercase, then accents (Mn) stripped after NFD. */
function uncased(s: string): string {
  return s.toLowerCase().normalize('NFD').replace(/\p{Mn}/gu, '');
}

/** A piece survives BERT pre-tokenization whole: no whitespace, and punctuation or ideographs only as a single character. */
function isWord(s: string): boolean {
  const cps = [...s];
  if (cps.length === 0 || /\s/u.test(s)) return false;
  return cps.length === 1 || !cps.some((c) => PUNCT.test(c) || HAN.test(c));
}

/** WordPiece vocabulary (piece → id): the five BERT specials, then pieces in the Unigram vocabulary's order (best first). */
export function wordPieceVocab(unigram: Vocab): Record<string, number> {
  const vocab: Record<string, number> = {};
  const add = (p: string) => {
    if (!(p in vocab)) vocab[p] = Object.keys(vocab).length;
  };
  WP_SPECIALS.forEach(add);
  for (const [raw] of unigram) {
    if (raw.startsWith('<') && raw.endsWith('>')) continue; // <s>, <pad>, …
    const initial = raw.startsWith(META);
    const p = uncased(initial ? raw.slice(1) : raw);
    if (!isWord(p)) continue;
    if ([...p].length === 1) {
      add(p);
      add(`##${p}`);
    } else add(initial ? p : `##${p}`);
  }
  return vocab;
}

type Json = Record<string, unknown>;

/** tokenizer.json, tokenizer_config.json and special_tokens_map.json as bert-base-uncased writes them. */
export function wordPieceFiles(vocab: Record<string, number>, maxLength: number): { tokenizer: Json; config: Json; specialTokensMap: Json } {
  const special = (id: string) => ({ SpecialToken: { id, type_id: 0 } });
  const seq = (id: 'A' | 'B', typeId: number) => ({ Sequence: { id, type_id: typeId } });
  const tokenizer: Json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: WP_SPECIALS.map((content) => ({ id: vocab[content]!, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [special('[CLS]'), seq('A', 0), special('[SEP]')],
      pair: [special('[CLS]'), seq('A', 0), special('[SEP]'), seq('B', 1), special('[SEP]')],
      special_tokens: Object.fromEntries(['[CLS]', '[SEP]'].map((t) => [t, { id: t, ids: [vocab[t]!], tokens: [t] }])),
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
  const specialTokensMap: Json = { cls_token: '[CLS]', mask_token: '[MASK]', pad_token: '[PAD]', sep_token: '[SEP]', unk_token: '[UNK]' };
  const config: Json = { ...specialTokensMap, do_lower_case: true, model_max_length: maxLength, tokenizer_class: 'BertTokenizer', clean_up_tokenization_spaces: true, strip_accents: null, tokenize_chinese_chars: true };
  return { tokenizer, config, specialTokensMap };
}
