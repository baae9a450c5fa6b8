// A thin wrapper over @huggingface/transformers' tokenizer: we only need ids,
// the special-token set and the pad id; padding and truncation are done by the
// encoder itself so that truncation is reported, never silent.
import { PreTrainedTokenizer } from '@huggingface/transformers';
import { M3SearchError } from '../core/errors.js';

export type JsonObject = Record<string, unknown>;

export interface M3Tokenizer {
  /** Token ids of `text`; with special tokens (<s> … </s> / [CLS] … [SEP]) unless `special` is false. */
  ids(text: string, opts?: { special?: boolean }): number[];
  /** Ids that never carry lexical weight: CLS/BOS, SEP/EOS, PAD, UNK, MASK and added special tokens. */
  readonly specialIds: ReadonlySet<number>;
  readonly padId: number;
  readonly vocabSize: number;
  /** UTF-16 length of the longest vocabulary piece (markers such as ▁ or ## included): bounds the characters one token covers. */
  readonly maxPieceChars?: number;
  /** The token string for an id (for explaining sparse hits and building noise filters). */
  token(id: number): string | undefined;
}

export function createTokenizer(tokenizerJSON: JsonObject, tokenizerConfig: JsonObject = {}): M3Tokenizer {
  let tok: PreTrainedTokenizer;
  try {
    tok = new PreTrainedTokenizer(tokenizerJSON, tokenizerConfig);
  } catch (e) {
    throw new M3SearchError('MODEL_FILES', `tokenizer.json could not be read: ${(e as Error).message}`);
  }
  const inner = tok as unknown as {
    all_special_ids: number[];
    pad_token_id?: number | null;
    unk_token_id?: number | null;
    _tokenizer: { id_to_token(id: number): string | undefined; get_vocab?(): Record<string, number> };
  };
  const specialIds = new Set<number>(inner.all_special_ids);
  if (inner.unk_token_id != null) specialIds.add(inner.unk_token_id);
  const padId = inner.pad_token_id ?? 0;
  specialIds.add(padId);
  const vocabSize = countVocab(tokenizerJSON);

  return {
    ids: (text, opts) => tok.encode(text, { add_special_tokens: opts?.special ?? true }),
    specialIds,
    padId,
    vocabSize,
    maxPieceChars: longestPiece(tokenizerJSON),
    token: (id) => inner._tokenizer.id_to_token(id),
  };
}

/** Vocabulary size from the tokenizer.json model section plus added tokens. */
function countVocab(json: JsonObject): number {
  const model = json.model as { vocab?: unknown } | undefined;
  const vocab = model?.vocab;
  let size = 0;
  if (Array.isArray(vocab)) size = vocab.length;
  else if (vocab && typeof vocab === 'object') size = Math.max(...Object.values(vocab as Record<string, number>)) + 1;
  const added = (json.added_tokens as { id: number }[] | undefined) ?? [];
  for (const t of added) size = Math.max(size, t.id + 1);
  return size;
}

/** Longest vocabulary piece in UTF-16 units (Unigram: [piece, score] pairs; WordPiece/BPE: piece → id). */
function longestPiece(json: JsonObject): number {
  const vocab = (json.model as { vocab?: unknown } | undefined)?.vocab;
  let n = 0;
  if (Array.isArray(vocab)) for (const e of vocab) n = Math.max(n, Array.isArray(e) && typeof e[0] === 'string' ? e[0].length : 0);
  else if (vocab && typeof vocab === 'object') for (const k of Object.keys(vocab)) n = Math.max(n, k.length);
  return n;
}
