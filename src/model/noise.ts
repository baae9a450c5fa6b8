// Noise tokens: ids that never enter a sparse vector. SPLADE's MLM head
// happily expands into punctuation and symbols ("," "." "##s"-less "-"),
// which match everything and cost postings, so those are derived from the
// tokenizer's own vocabulary; users add their own (stop words, boilerplate).
import type { M3Tokenizer } from './tokenizer.js';

/** Subword markers of SentencePiece (▁), WordPiece (##) and byte-level BPE (Ġ, Ċ). */
const MARKERS = /^(?:\u2581|##|\u0120|\u010a)+|(?:<\/w>)$/gu;
const ONLY_PUNCT_OR_SYMBOL = /^[\p{P}\p{S}\s]+$/u;

/** True for a vocabulary entry that is only punctuation/symbols once subword markers are removed. */
export function isPunctuationToken(token: string): boolean {
  const bare = token.replace(MARKERS, '');
  return bare.length > 0 && ONLY_PUNCT_OR_SYMBOL.test(bare);
}

/** Ids of every punctuation/symbol entry in the vocabulary (one pass over it). */
export function punctuationIds(tokenizer: Pick<M3Tokenizer, 'token' | 'vocabSize' | 'specialIds'>): Set<number> {
  const out = new Set<number>();
  for (let id = 0; id < tokenizer.vocabSize; id++) {
    if (tokenizer.specialIds.has(id)) continue;
    const t = tokenizer.token(id);
    if (t !== undefined && isPunctuationToken(t)) out.add(id);
  }
  return out;
}

/** Ids of user-listed noise strings: each string's tokens (a word may be several pieces). */
export function userNoiseIds(tokenizer: Pick<M3Tokenizer, 'ids'>, strings: readonly string[]): Set<number> {
  const out = new Set<number>();
  for (const s of strings) for (const id of tokenizer.ids(s, { special: false })) out.add(id);
  return out;
}
