// Query side of doc-only ("inference-free") SPLADE models: documents are
// expanded by the model at build time, queries are not encoded at all. A
// query's sparse vector is its own tokens, each weighted by the model's
// `idf.json` (token string → weight), as OpenSearch's doc-only sparse models do.
import { M3SearchError } from '../core/errors.js';
import type { SparseVector } from '../core/types.js';
import { toSparse } from './heads.js';
import type { M3Tokenizer } from './tokenizer.js';

/** Token string → weight, checked: a non-finite or negative weight is MODEL_FILES naming the token. */
export type IdfTable = ReadonlyMap<string, number>;

export function parseIdf(raw: unknown, file = 'idf.json'): IdfTable {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new M3SearchError('MODEL_FILES', `${file} must be a JSON object of token → weight.`, { file, reason: 'malformed' });
  }
  const out = new Map<string, number>();
  for (const [token, w] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
      throw new M3SearchError('MODEL_FILES', `${file}: the weight of ${JSON.stringify(token)} must be a finite number ≥ 0 (got ${JSON.stringify(w)}).`, { file, reason: 'malformed', field: token });
    }
    out.set(token, w);
  }
  return out;
}

/**
 * The query vector: the text's token ids (special tokens dropped), each
 * weighted by its idf; a token repeated in the query counts once, and tokens
 * the table lacks or weights 0 are left out (no document can match them).
 */
export function idfQueryVector(tokenizer: Pick<M3Tokenizer, 'ids' | 'specialIds' | 'token'>, text: string, idf: IdfTable): SparseVector {
  const weights = new Map<number, number>();
  for (const id of tokenizer.ids(text, { special: false })) {
    if (tokenizer.specialIds.has(id) || weights.has(id)) continue;
    const token = tokenizer.token(id);
    const w = token === undefined ? undefined : idf.get(token);
    if (w !== undefined && w > 0) weights.set(id, w);
  }
  return toSparse(weights);
}
