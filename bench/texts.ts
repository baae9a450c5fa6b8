// Text-side helpers shared by sections: the baselines on plain texts and our
// lexical mode's tokenizer (real WordPiece from ../shared when present, else
// the generated test model's).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { create, insertMultiple, search as oramaSearch } from '@orama/orama';
import MiniSearch from 'minisearch';
import { LexicalIndex, lexicalTokenIds, type LexicalTokenizer } from '../src/core/lexical-index.js';
import type { Doc } from '../src/core/types.js';
import { loadTokenizerDir } from '../src/eval/baselines.js';
import type { BenchContext } from './section.js';

export interface LexicalTokenizerChoice {
  tokenizer: LexicalTokenizer;
  /** Folder name, for the notes. */
  name: string;
}

export async function benchTokenizer(ctx: BenchContext): Promise<LexicalTokenizerChoice> {
  const bert = join(ctx.sharedDir, 'tokenizers', 'bert-base-uncased');
  const dir = existsSync(join(bert, 'tokenizer.json')) ? bert : join(ctx.root, '.cache', 'test-model', 'hidden-state');
  return { tokenizer: await loadTokenizerDir(dir), name: dir.split(/[\\/]/).slice(-2).join('/') };
}

/**
 * Token ids of a whitespace-separated synthetic text, tokenizing each distinct
 * word once: BERT-style pre-tokenizers split on whitespace first, so the ids
 * are the same as tokenizing the whole text (100k passages would otherwise
 * spend a minute in the tokenizer before anything is measured).
 */
export function cachedTokenIds(tokenizer: LexicalTokenizer): (text: string) => number[] {
  const cache = new Map<string, number[]>();
  return (text) => {
    const out: number[] = [];
    for (const word of text.split(' ')) {
      let ids = cache.get(word);
      if (!ids) cache.set(word, (ids = lexicalTokenIds(tokenizer, word)));
      for (const id of ids) out.push(id);
    }
    return out;
  };
}

export function buildLexical(docs: readonly Doc[], tokenIds: (text: string) => number[]): LexicalIndex {
  const index = new LexicalIndex();
  for (const d of docs) index.add(d.id, tokenIds(d.text));
  return index;
}

/** MiniSearch as it ships (OR of terms, BM25+ defaults), one text field. */
export function buildMiniSearch(docs: readonly Doc[]): MiniSearch<{ id: string; text: string }> {
  const ms = new MiniSearch<{ id: string; text: string }>({ fields: ['text'] });
  ms.addAll(docs.map((d) => ({ id: d.id, text: d.text })));
  return ms;
}

export const ORAMA_SCHEMA = { text: 'string' } as const;
export type OramaDb = ReturnType<typeof create<typeof ORAMA_SCHEMA>>;

/** Orama as it ships (BM25 defaults, English tokenizer, prefix matching), one text field. */
export async function buildOrama(docs: readonly Doc[]): Promise<OramaDb> {
  const db = create({ schema: ORAMA_SCHEMA });
  await insertMultiple(db, docs.map((d) => ({ id: d.id, text: d.text })), 1000);
  return db;
}

export async function searchOrama(db: OramaDb, text: string, k: number): Promise<number> {
  const res = await oramaSearch(db, { term: text, properties: ['text'], limit: k });
  return res.hits.length;
}

