// The query side of a doc-only ("inference-free") static site: the model's
// tokenizer vocabulary in key-range shards, so a page turns a query into the
// same idf-weighted token ids as the full tokenizer (src/model/splade-query.ts)
// with no model, no ONNX Runtime and no full tokenizer.json. Environment-free:
// the builder encodes, the page's worker decodes and tokenizes.
//
// Why the whole vocabulary, in shards, and not only the site's pieces: WordPiece
// (greedy longest match) and Unigram (Viterbi over every piece) segment a word
// by every vocabulary piece that is a substring of it, so dropping pieces the
// site lacks changes how a query word splits, and with it the pieces that do
// occur in the site. Every piece a query word can use is a prefix of the word
// from one of its positions (`##`-marked after the first for WordPiece), so the
// page looks up exactly those keys: the shards holding them, nothing else.
// Only pieces with postings carry an id and an idf weight; the others are bare
// strings (and, for Unigram, their score). See FORMAT.md for the byte cost.
//
// Layout (before compression; the file is gzip of it):
//   header (kind 5) · u32 shard · u32 entries · entries, keys ascending:
//     varint shared · varint suffixBytes · utf8 suffix   the piece, front-coded
//     u8 flags (1 weighted)
//     Unigram: f64 score
//     weighted: varint id · f32 idf weight
import { ByteReader, ByteWriter } from '../core/bytes.js';
import { M3SearchError } from '../core/errors.js';
import { toSparse } from '../model/heads.js';
import type { SparseVector } from '../core/types.js';
import { compare } from '../core/keyword-plan.js';
import { keywordShardOf } from './keyword-shards.js';
import { readFrontCoded, writeFrontCoded } from './front-code.js';
import { bertWordPiece, type BertWordPiece } from './bert-wordpiece.js';
import { checkHeader, end, header, ShardKind } from './shards.js';

export type QueryVocabModel = 'WordPiece' | 'Unigram';

export interface VocabEntry {
  piece: string;
  /** Unigram only: the piece's log-probability score. */
  score?: number;
  /** Pieces with postings: the token id and its idf weight (> 0). */
  weighted?: { id: number; weight: number };
}

export interface VocabShard {
  shard: number;
  /** Pieces ascending (UTF-16 code unit order). */
  entries: VocabEntry[];
}

/** What the page needs besides the shards: the tokenizer minus its vocabulary (gzip JSON). */
export interface QueryTokenizerFile {
  /** tokenizer.json with `model.vocab` emptied. */
  tokenizer: Record<string, unknown>;
  /** tokenizer_config.json as the model ships it. */
  config: Record<string, unknown>;
}

const WEIGHTED = 1;

export function encodeVocabShard(s: VocabShard, model: QueryVocabModel): Uint8Array {
  const w = new ByteWriter();
  header(w, ShardKind.Vocab);
  w.u32(s.shard).u32(s.entries.length);
  let prev = '';
  for (const e of s.entries) {
    writeFrontCoded(w, prev, e.piece);
    w.u8(e.weighted ? WEIGHTED : 0);
    if (model === 'Unigram') w.f64(e.score ?? 0);
    if (e.weighted) w.varint(e.weighted.id).f32(e.weighted.weight);
    prev = e.piece;
  }
  w.align();
  return w.finish();
}

export function decodeVocabShard(bytes: Uint8Array, model: QueryVocabModel, vocabSize: number): VocabShard {
  const r = new ByteReader(bytes);
  checkHeader(r, ShardKind.Vocab);
  const shard = r.u32();
  const n = r.u32();
  const entries: VocabEntry[] = [];
  let prev = '';
  for (let i = 0; i < n; i++) {
    const piece = readFrontCoded(r, prev, i, 'piece');
    const flags = r.u8();
    if (flags & ~WEIGHTED) throw new RangeError(`entry ${i} has flags ${flags}`);
    const e: VocabEntry = { piece };
    if (model === 'Unigram') {
      e.score = r.f64();
      if (!Number.isFinite(e.score)) throw new RangeError(`piece ${JSON.stringify(piece)} has a score of ${e.score}`);
    }
    if (flags & WEIGHTED) {
      const id = r.varint();
      const weight = r.f32();
      if (id >= vocabSize) throw new RangeError(`piece ${JSON.stringify(piece)} has id ${id} of ${vocabSize}`);
      if (!(Number.isFinite(weight) && weight > 0)) throw new RangeError(`piece ${JSON.stringify(piece)} has weight ${weight}`);
      e.weighted = { id, weight };
    }
    entries.push(e);
    prev = piece;
  }
  end(r);
  return { shard, entries };
}

// ---------------------------------------------------------------- build side

export interface QueryVocabBuild {
  model: QueryVocabModel;
  /** Shards in key order; `first` is each one's first piece ('' for the first). */
  shards: { first: string; shard: VocabShard }[];
  tokenizer: QueryTokenizerFile;
  /** Longest piece, in UTF-16 units: no query key is looked up past it. */
  maxPiece: number;
  /** Unigram: the lowest score of the whole vocabulary (the unknown-piece penalty is 10 below it). */
  minScore?: number;
  /** WordPiece: the continuation marker (`##`) and the longest word it segments. */
  continuingPrefix?: string;
  maxWordChars?: number;
  entries: number;
  weighted: number;
  /** Token ids of the model: one past the highest piece or added-token id. */
  vocabSize: number;
}

/**
 * The query-side vocabulary of a doc-only model for one site: every piece of
 * the tokenizer, the ones in `postingIds` with their idf weight (the model's
 * table by piece, or a site-computed one by id), cut into
 * shards of about `shardBytes` encoded bytes. Only WordPiece and Unigram
 * tokenizers segment a word by its substrings alone; a BPE tokenizer (merge
 * ranks) is refused as MODEL_FILES.
 */
export function buildQueryVocab(
  tokenizerJson: Readonly<Record<string, unknown>>,
  tokenizerConfig: Readonly<Record<string, unknown>>,
  idf: ReadonlyMap<string, number> | ((piece: string, id: number) => number | undefined),
  postingIds: ReadonlySet<number>,
  shardBytes: number,
): QueryVocabBuild {
  // The model's table is keyed by piece; one computed from the site's postings (site-idf.ts) by id.
  const idfOf = typeof idf === 'function' ? idf : (piece: string): number | undefined => idf.get(piece);
  const m = tokenizerJson.model as Record<string, unknown> | undefined;
  const type = m?.type;
  const pieces: VocabEntry[] = [];
  let minScore: number | undefined;
  let model: QueryVocabModel;
  let maxPiece = 0;
  // Special tokens never weigh on the query side (idfQueryVector drops them), whatever the postings say.
  const special = new Set(((tokenizerJson.added_tokens as { id: number; special?: boolean }[] | undefined) ?? []).filter((a) => a.special).map((a) => a.id));
  const weightOf = (piece: string, id: number): VocabEntry['weighted'] => {
    const w = postingIds.has(id) && !special.has(id) ? idfOf(piece, id) : undefined;
    return w !== undefined && w > 0 ? { id, weight: w } : undefined;
  };
  if (type === 'WordPiece' && m?.vocab && typeof m.vocab === 'object' && !Array.isArray(m.vocab)) {
    model = 'WordPiece';
    for (const [piece, id] of Object.entries(m.vocab as Record<string, number>)) pieces.push({ piece, weighted: weightOf(piece, id) });
  } else if (type === 'Unigram' && Array.isArray(m?.vocab)) {
    model = 'Unigram';
    (m.vocab as [string, number][]).forEach(([piece, score], id) => {
      minScore = minScore === undefined ? score : Math.min(minScore, score);
      pieces.push({ piece, score, weighted: weightOf(piece, id) });
    });
  } else {
    throw new M3SearchError(
      'MODEL_FILES',
      `A doc-only static site needs a WordPiece or Unigram tokenizer (a word is split by its substrings alone); this tokenizer.json has a ${String(type)} model.`,
      { field: 'tokenizer.model.type' },
    );
  }
  // Added tokens are pieces to WordPiece too (the library adds them to its vocabulary).
  for (const a of (tokenizerJson.added_tokens as { content: string }[] | undefined) ?? []) maxPiece = Math.max(maxPiece, a.content.length);
  let vocabSize = model === 'Unigram' ? pieces.length : Math.max(0, ...Object.values(m!.vocab as Record<string, number>)) + 1;
  for (const a of (tokenizerJson.added_tokens as { id: number }[] | undefined) ?? []) vocabSize = Math.max(vocabSize, a.id + 1);
  pieces.sort((a, b) => compare(a.piece, b.piece));
  const shards: QueryVocabBuild['shards'] = [];
  let entries: VocabEntry[] = [];
  let bytes = 0;
  let first = '';
  for (const e of pieces) {
    if (bytes >= shardBytes) {
      shards.push({ first, shard: { shard: shards.length, entries } });
      entries = [];
      bytes = 0;
      first = e.piece;
    }
    entries.push(e);
    maxPiece = Math.max(maxPiece, e.piece.length);
    bytes += e.piece.length + 2 + (model === 'Unigram' ? 8 : 0) + (e.weighted ? 7 : 0);
  }
  shards.push({ first, shard: { shard: shards.length, entries } });
  const stripped = { ...tokenizerJson, model: { ...m, vocab: model === 'WordPiece' ? {} : [] } };
  return {
    model,
    shards,
    tokenizer: { tokenizer: stripped, config: { ...tokenizerConfig } },
    maxPiece,
    ...(minScore !== undefined ? { minScore } : {}),
    ...(model === 'WordPiece' ? { continuingPrefix: String(m.continuing_subword_prefix ?? '##'), maxWordChars: Number(m.max_input_chars_per_word ?? 100) } : {}),
    entries: pieces.length,
    weighted: pieces.filter((e) => e.weighted).length,
    vocabSize,
  };
}

// ---------------------------------------------------------------- page side

/** Shard holding `key`: the same key-range lookup as the keyword shards'. */
export const vocabShardOf = keywordShardOf;

/**
 * Every vocabulary key a word can be segmented with: for each position (code
 * points) the prefixes of the rest, marked with the continuation prefix after
 * the first position for WordPiece, up to `maxPiece` UTF-16 units.
 */
export function wordKeys(word: string, model: QueryVocabModel, maxPiece: number, continuing = '##'): string[] {
  const cps = [...word];
  const keys: string[] = [];
  for (let i = 0; i < cps.length; i++) {
    let s = model === 'WordPiece' && i > 0 ? continuing : '';
    for (let j = i; j < cps.length; j++) {
      s += cps[j]!;
      if (s.length > maxPiece) break;
      keys.push(s);
    }
  }
  return keys;
}

/** The library's tokenizer, as far as this module uses it (the page bundle ships @huggingface/tokenizers). */
export interface TokenizerLike {
  tokenize(text: string, opts: { add_special_tokens: boolean }): string[];
}
export type TokenizerFactory = (json: Record<string, unknown>, config: Record<string, unknown>) => TokenizerLike & { model: unknown };

export interface QueryVocabInfo {
  model: QueryVocabModel;
  maxPiece: number;
  minScore?: number;
  continuingPrefix?: string;
  maxWordChars?: number;
  /** Each shard's first key, in order. */
  firsts: readonly string[];
  vocabSize: number;
}

/**
 * Builds query vectors on the page: the query's words, the shards of their
 * keys, then the tokenizer over just those pieces — which hold every piece the
 * full vocabulary could use for these words, so it splits them exactly as the
 * full tokenizer does. Pieces with postings map to their id and idf weight;
 * the rest (and special tokens) weigh nothing. A BERT WordPiece tokenizer runs
 * as the small tokenizer of bert-wordpiece.ts (no library on the page); any
 * other runs through the library (`create`, the tokenizer's own normalizer and
 * pre-tokenizer giving the words).
 */
export class QueryVocabulary {
  private readonly small?: BertWordPiece;
  private readonly words?: TokenizerLike;
  private captured: string[] = [];

  constructor(
    private readonly info: QueryVocabInfo,
    private readonly file: QueryTokenizerFile,
    private readonly shard: (i: number) => Promise<VocabShard>,
    private readonly create?: TokenizerFactory,
  ) {
    this.small = info.model === 'WordPiece' ? bertWordPiece(file.tokenizer, file.config) : undefined;
    if (this.small) return;
    if (!create) throw new M3SearchError('INVALID_OPTION', `This ${info.model} tokenizer needs the tokenizer library on the page (only BERT WordPiece runs without it).`);
    const t = create(this.withVocab([]), file.config);
    // The model stage records the pre-tokenized words instead of segmenting them.
    (t.model as { _call: (tokens: string[]) => string[] })._call = (tokens) => {
      this.captured.push(...tokens);
      return [];
    };
    this.words = t;
  }

  /** Whether this vocabulary's tokenizer needs the library (`create`): every tokenizer but BERT WordPiece. */
  static needsLibrary(model: QueryVocabModel, file: QueryTokenizerFile): boolean {
    return model !== 'WordPiece' || bertWordPiece(file.tokenizer, file.config) === undefined;
  }

  /** The pre-tokenized words of `text`, as the tokenizer hands them to its model. */
  wordsOf(text: string): string[] {
    if (this.small) return this.small.sections(text).flatMap((s) => ('word' in s ? [s.word] : []));
    this.captured = [];
    this.words!.tokenize(text, { add_special_tokens: false });
    return this.captured;
  }

  /** Shards `text` needs (their indexes). */
  shardsOf(text: string): number[] {
    const { model, maxPiece, continuingPrefix, maxWordChars, firsts } = this.info;
    const want = new Set<number>();
    for (const w of this.wordsOf(text)) {
      if (model === 'WordPiece' && [...w].length > (maxWordChars ?? 100)) continue; // [UNK] whatever the vocabulary
      for (const k of wordKeys(w, model, maxPiece, continuingPrefix)) want.add(vocabShardOf(firsts, k));
    }
    return [...want].sort((a, b) => a - b);
  }

  /** Pieces of every shard read so far, and the library tokenizer over them (rebuilt only when a query brings new shards). */
  private readonly entries = new Map<string, VocabEntry>();
  private readonly loaded = new Set<number>();
  private tokenizer?: TokenizerLike;

  /**
   * The query's sparse vector: ids with postings, weighted by idf (a repeated
   * piece counts once). The tokenizer runs over every piece read so far: any
   * part of the vocabulary that holds all the keys of the query's words
   * splits them as the whole vocabulary does.
   */
  async vector(text: string): Promise<SparseVector> {
    if (this.info.model === 'WordPiece') await this.walkWordPiece(text);
    else await this.load(this.shardsOf(text));
    let pieces: string[];
    if (this.small) pieces = this.small.tokenize(text, (p) => this.entries.has(p));
    else {
      this.tokenizer ??= this.create!(this.withVocab([...this.entries.values()]), this.file.config);
      pieces = this.tokenizer.tokenize(text, { add_special_tokens: false });
    }
    const weights = new Map<number, number>();
    for (const piece of pieces) {
      const w = this.entries.get(piece)?.weighted;
      if (w && !weights.has(w.id)) weights.set(w.id, w.weight);
    }
    return toSparse(weights);
  }

  /** Reads shards not read yet into `entries` (the tokenizer is rebuilt when any arrived). */
  private async load(need: readonly number[]): Promise<void> {
    const shards = await Promise.all(need.filter((i) => !this.loaded.has(i)).map((i) => this.shard(i)));
    for (const s of shards) {
      if (this.loaded.has(s.shard)) continue;
      this.loaded.add(s.shard);
      for (const e of s.entries) this.entries.set(e.piece, e);
      this.tokenizer = undefined;
    }
  }

  /**
   * WordPiece is a greedy longest match: only the positions the walk reaches
   * are looked up, a round of fetches per piece (most words are one piece), so
   * a query reads the shards of its words' first positions rather than of
   * every position. The tokenizer's walk then consults only keys whose shards
   * are loaded, and so finds what the full vocabulary gives.
   */
  private async walkWordPiece(text: string): Promise<void> {
    const { maxPiece, continuingPrefix = '##', maxWordChars = 100, firsts } = this.info;
    const added = new Set(((this.file.tokenizer.added_tokens as { content: string }[] | undefined) ?? []).map((a) => a.content));
    let frontier = this.wordsOf(text)
      .map((w) => ({ cps: [...w], pos: 0 }))
      .filter((w) => w.cps.length <= maxWordChars);
    const keysAt = (cps: string[], pos: number): string[] => {
      const keys: string[] = [];
      let s = pos > 0 ? continuingPrefix : '';
      for (let j = pos; j < cps.length && s.length + cps[j]!.length <= maxPiece; j++) keys.push((s += cps[j]!));
      return keys;
    };
    while (frontier.length > 0) {
      await this.load([...new Set(frontier.flatMap((f) => keysAt(f.cps, f.pos).map((k) => vocabShardOf(firsts, k))))]);
      const next: typeof frontier = [];
      for (const f of frontier) {
        const keys = keysAt(f.cps, f.pos);
        let len = 0;
        for (let k = keys.length - 1; k >= 0; k--) {
          if (this.entries.has(keys[k]!) || added.has(keys[k]!)) {
            len = k + 1;
            break;
          }
        }
        // No piece matches: the whole word is [UNK], nothing more to look up.
        if (len > 0 && f.pos + len < f.cps.length) next.push({ cps: f.cps, pos: f.pos + len });
      }
      frontier = next;
    }
  }

  /**
   * tokenizer.json over `entries` only. Added tokens keep their place in the
   * synthetic id space (their piece's index, or past the end), so the
   * library's id → score lookups stay consistent. Unigram: the unknown piece
   * carries the full vocabulary's lowest score, which sets the unknown penalty.
   */
  private withVocab(entries: readonly VocabEntry[]): Record<string, unknown> {
    const base = this.file.tokenizer;
    const m = base.model as Record<string, unknown>;
    const added = (base.added_tokens as { id: number; content: string }[] | undefined) ?? [];
    const index = new Map<string, number>();
    let vocab: unknown;
    let extra: Record<string, unknown> = {};
    if (this.info.model === 'WordPiece') {
      const unk = String(m.unk_token ?? '[UNK]');
      const v: Record<string, number> = {};
      for (const e of entries) v[e.piece] = index.size, index.set(e.piece, index.size);
      if (!index.has(unk)) v[unk] = index.size, index.set(unk, index.size);
      vocab = v;
    } else {
      const unkPiece = added.find((a) => a.id === m.unk_id)?.content ?? '<unk>';
      const v: [string, number][] = [[unkPiece, this.info.minScore ?? 0]];
      index.set(unkPiece, 0);
      for (const e of entries) if (!index.has(e.piece)) index.set(e.piece, v.length), v.push([e.piece, e.score ?? 0]);
      vocab = v;
      extra = { unk_id: 0 };
    }
    let next = index.size;
    const addedTokens = added.map((a) => ({ ...a, id: index.get(a.content) ?? next++ }));
    return { ...base, added_tokens: addedTokens, model: { ...m, ...extra, vocab } };
  }
}
