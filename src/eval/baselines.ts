// Lexical systems for the evaluation: two in-browser search libraries as they
// ship (default tokenizers and BM25 settings, fields title + text), and our
// tokenizer-only lexical mode. Node only (the tokenizer is read from disk).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { components, create, insertMultiple, search as oramaSearch } from '@orama/orama';
import MiniSearch from 'minisearch';
import { M3SearchError } from '../core/errors.js';
import { LexicalIndex, lexicalTokenIds, type LexicalIndexOptions } from '../core/lexical-index.js';
import type { Doc } from '../core/types.js';
import { createTokenizer, type JsonObject, type M3Tokenizer } from '../model/tokenizer.js';
import { docText, type System } from './run.js';

interface FieldDoc {
  id: string;
  title: string;
  text: string;
}

const fields = (d: Doc): FieldDoc => ({ id: d.id, title: d.title ?? '', text: d.text });

/** MiniSearch with its defaults: OR of terms, no prefix or fuzzy match, BM25+ k1 = 1.2, b = 0.7. */
export function miniSearchSystem(): System {
  let engine: MiniSearch<FieldDoc> | undefined;
  return {
    name: 'minisearch',
    async index(docs) {
      engine = new MiniSearch<FieldDoc>({ fields: ['title', 'text'], idField: 'id' });
      engine.addAll(docs.map(fields));
    },
    async search(query, k) {
      if (!engine) throw new M3SearchError('NOT_READY', 'minisearch: index() first.');
      return engine
        .search(query)
        .slice(0, k)
        .map((r) => String(r.id));
    },
  };
}

/**
 * Orama full-text ("term") search with its defaults (BM25+ k1 = 1.2, b = 0.75,
 * d = 0.5, English tokenizer: no stemming, no stop words; a token matches
 * every indexed word it is a PREFIX of). `threshold: 1` is also its default:
 * any term may match, as in every other system here.
 *
 * `exactTerms` keeps everything else but turns the prefix expansion off (each
 * token gets an end marker, so a token is only a prefix of itself): Orama's
 * BM25 on whole words, the figure comparable to other BM25 engines.
 */
export function oramaSystem(opts: { exactTerms?: boolean } = {}): System {
  // No `id` in the schema: Orama takes a document's `id` field as its id without indexing it.
  const schema = { title: 'string', text: 'string' } as const;
  let db: ReturnType<typeof create<typeof schema>> | undefined;
  return {
    name: opts.exactTerms ? 'orama-exact' : 'orama',
    async index(docs) {
      db = create({ schema, ...(opts.exactTerms ? { components: { tokenizer: exactTermTokenizer() } } : {}) });
      await insertMultiple(db, docs.map(fields));
    },
    async search(query, k) {
      if (!db) throw new M3SearchError('NOT_READY', 'orama: index() first.');
      const res = await oramaSearch(db, { term: query, properties: ['title', 'text'], limit: k, threshold: 1 });
      return res.hits.map((h) => h.id);
    },
  };
}

type OramaTokenizer = ReturnType<typeof components.tokenizer.createTokenizer>;

/** Orama's default English tokenizer with an end marker on every token (see `oramaSystem`). */
function exactTermTokenizer(): OramaTokenizer {
  const base = components.tokenizer.createTokenizer({ language: 'english' });
  return {
    ...base,
    tokenize: (input, language, prop, withCache) => base.tokenize(input, language, prop, withCache).map((t) => `${t}\u0001`),
  };
}

/** Our lexical mode: the model tokenizer's ids, BM25 over token-id bags. */
export function lexicalSystem(tokenizer: M3Tokenizer, opts: LexicalIndexOptions & { name?: string } = {}): System {
  let index: LexicalIndex | undefined;
  return {
    name: opts.name ?? 'lexical',
    async index(docs) {
      index = new LexicalIndex(opts);
      for (const d of docs) index.add(d.id, lexicalTokenIds(tokenizer, docText(d)));
    },
    async search(query, k) {
      if (!index) throw new M3SearchError('NOT_READY', 'lexical: index() first.');
      return index.search(lexicalTokenIds(tokenizer, query), k).map((h) => h.id);
    },
  };
}

/** Reads `tokenizer.json` (and `tokenizer_config.json` when present) from a folder. */
export async function loadTokenizerDir(dir: string): Promise<M3Tokenizer> {
  const jsonPath = join(dir, 'tokenizer.json');
  if (!existsSync(jsonPath)) throw new M3SearchError('MODEL_FILES', `No tokenizer.json in ${dir}.`);
  const json = JSON.parse(await readFile(jsonPath, 'utf8')) as JsonObject;
  const configPath = join(dir, 'tokenizer_config.json');
  const config = existsSync(configPath) ? (JSON.parse(await readFile(configPath, 'utf8')) as JsonObject) : {};
  return createTokenizer(json, config);
}
