// The static index's keyword postings: the model-free analyzer's terms
// (src/core/analyzer.ts), sorted and cut into shards by term range, so a query
// fetches only the shards its words (and the completions of the word being
// typed) fall in, and a page needs no tokenizer to answer by keywords.
// Environment-free: the builder encodes, the page's worker decodes.
//
// Layout (before compression; the file is gzip of it, see FORMAT.md):
//   header (kind 4) · u32 shard · u32 entries · entries, keys ascending:
//     varint shared · varint suffixBytes · utf8 suffix     key, front-coded against the previous key
//     u8 flags (1 surface, 2 term, 4 stem differs)
//     surface: varint docs [· varint stemBytes · utf8 stem]
//     term:    varint df · df × varint passage gap · df × u8 weight
// A term's weight is the document side of BM25 (`bm25TermWeight`, title and
// heading counted `titleBoost` times) quantized to 1…255 of (k1 + 1), so no
// document lengths ship.
import type { Analyzer } from '../core/analyzer.js';
import { bm25TermWeight, type Bm25Params } from '../core/bm25.js';
import { ByteReader, ByteWriter } from '../core/bytes.js';
import { detach } from '../core/detach.js';
import { compare } from '../core/keyword-plan.js';
import { readFrontCoded, writeFrontCoded } from './front-code.js';
import { checkHeader, end, header, ShardKind } from './shards.js';

/** One key of the keyword vocabulary: an index term, a word as written, or both. */
export interface KeywordEntry {
  key: string;
  /** As a written word: documents holding it, and the term it stems to. */
  surface?: { docs: number; term: string };
  /** As an index term: passages ascending, and their quantized BM25 document weights. */
  postings?: { passages: Uint32Array; weights: Uint8Array };
}

export interface KeywordShard {
  shard: number;
  /** Keys ascending. */
  entries: KeywordEntry[];
}

const SURFACE = 1;
const TERM = 2;
const STEM = 4;

export function encodeKeywordShard(shard: KeywordShard): Uint8Array {
  const w = new ByteWriter();
  header(w, ShardKind.Keyword);
  w.u32(shard.shard).u32(shard.entries.length);
  const utf8 = new TextEncoder();
  let prev = '';
  for (const e of shard.entries) {
    writeFrontCoded(w, prev, e.key);
    const stem = e.surface && e.surface.term !== e.key ? utf8.encode(e.surface.term) : undefined;
    w.u8((e.surface ? SURFACE : 0) | (e.postings ? TERM : 0) | (stem ? STEM : 0));
    if (e.surface) {
      w.varint(e.surface.docs);
      if (stem) w.varint(stem.length).bytes(stem);
    }
    if (e.postings) {
      const { passages, weights } = e.postings;
      w.varint(passages.length);
      let last = -1;
      for (const p of passages) {
        w.varint(p - last - 1);
        last = p;
      }
      w.bytes(weights);
    }
    prev = e.key;
  }
  w.align();
  return w.finish();
}

/** Decodes one shard; `passages` bounds every posting (a corrupted gap must not name a passage past the index). */
export function decodeKeywordShard(bytes: Uint8Array, passages: number): KeywordShard {
  const r = new ByteReader(bytes);
  checkHeader(r, ShardKind.Keyword);
  const shard = r.u32();
  const n = r.u32();
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const entries: KeywordEntry[] = [];
  let prev = '';
  for (let i = 0; i < n; i++) {
    const key = readFrontCoded(r, prev, i, 'key');
    const flags = r.u8();
    if (flags & ~(SURFACE | TERM | STEM) || flags === 0 || (flags & STEM && !(flags & SURFACE))) throw new RangeError(`entry ${i} has flags ${flags}`);
    const e: KeywordEntry = { key };
    if (flags & SURFACE) {
      const docs = r.varint();
      e.surface = { docs, term: flags & STEM ? utf8.decode(r.take(r.varint())) : key };
    }
    if (flags & TERM) {
      const df = r.varint();
      r.need(df);
      const ps = new Uint32Array(df);
      let last = -1;
      for (let j = 0; j < df; j++) {
        last += r.varint() + 1;
        if (last >= passages) throw new RangeError(`term "${key}" names passage ${last} of ${passages}`);
        ps[j] = last;
      }
      const weights = r.take(df);
      if (weights.includes(0)) throw new RangeError(`term "${key}" has a zero weight`);
      e.postings = { passages: ps, weights };
    }
    entries.push(e);
    prev = key;
  }
  end(r);
  return { shard, entries };
}

/** Shard holding `key`: the last whose first key is ≤ it (`firsts` ascending, the first ''). */
export function keywordShardOf(firsts: readonly string[], key: string): number {
  let lo = 0;
  let hi = firsts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (firsts[mid]! <= key) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** A passage as the keyword index sees it: a title field (page title, heading) and the body. */
export interface KeywordPassage {
  title: string;
  text: string;
}

export interface KeywordBuild {
  /**
   * Shards in key order; `first` is each shard's first key ('' for the first shard). Made as
   * they are iterated, from compact postings: a writer that encodes each one as it comes holds
   * one shard's entries at a time.
   */
  shards: Iterable<{ first: string; shard: KeywordShard }>;
  /** Mean passage length in terms (title terms counted `titleBoost` times). */
  avgLength: number;
  /** Analyzed terms over all passages. */
  terms: number;
}

export interface KeywordBuildOptions {
  bm25: Bm25Params;
  titleBoost: number;
  /** Encoded bytes per shard (before compression), cut only between keys. */
  shardBytes: number;
}

/** `analyzeKeywords` with its shards made at once, as an array. */
export function buildKeywordShards(
  analyzer: Analyzer,
  passages: readonly KeywordPassage[],
  opts: KeywordBuildOptions,
): KeywordBuild & { shards: { first: string; shard: KeywordShard }[] } {
  const build = analyzeKeywords(analyzer, passages, opts);
  return { ...build, shards: [...build.shards] };
}

/**
 * Analyzes every passage and lays the vocabulary out in shards of about
 * `shardBytes` encoded bytes (before compression), cut only between keys.
 *
 * Memory: terms and written words get ids; postings are (term id, tf) pairs in
 * growable typed arrays while passages are analyzed (8 bytes each), then laid
 * out by term in one pass (5 bytes each). A 50 MB page (~25k passages, millions
 * of postings, hundreds of thousands of terms) costs tens of MB, not an object
 * and two arrays per term.
 */
export function analyzeKeywords(analyzer: Analyzer, passages: readonly KeywordPassage[], opts: KeywordBuildOptions): KeywordBuild {
  const termIds = new Map<string, number>();
  const termKeys: string[] = [];
  const df = new Grow(Uint32Array);
  const surfaceIds = new Map<string, number>();
  const surfaceKeys: string[] = [];
  const surfaceDocs = new Grow(Uint32Array);
  const surfaceTerm = new Grow(Uint32Array);
  /** Last passage each written word was counted in (documents, not occurrences). */
  const surfaceLast = new Grow(Int32Array);
  const postTerm = new Grow(Uint32Array);
  const postTf = new Grow(Uint32Array);
  const postStart = new Uint32Array(passages.length + 1);
  const lengths = new Uint32Array(passages.length);
  const termId = (t: string): number => {
    let id = termIds.get(t);
    if (id === undefined) {
      termIds.set((t = detach(t)), (id = termKeys.length));
      termKeys.push(t);
      df.push(0);
    }
    return id;
  };
  let total = 0;
  passages.forEach((p, i) => {
    const bag = new Map<number, number>();
    let length = 0;
    for (const [text, weight] of [[p.title, opts.titleBoost], [p.text, 1]] as const) {
      if (!text || weight === 0) continue;
      for (const w of analyzer.words(text)) {
        for (const t of w.terms) {
          const id = termId(t);
          bag.set(id, (bag.get(id) ?? 0) + weight);
        }
        for (const t of w.grams) {
          const id = termId(t);
          bag.set(id, (bag.get(id) ?? 0) + weight);
        }
        length += (w.terms.length + w.grams.length) * weight;
        if (w.unspaced) continue;
        const sid = surfaceIds.get(w.surface);
        if (sid === undefined) {
          const key = detach(w.surface);
          surfaceIds.set(key, surfaceKeys.length);
          surfaceKeys.push(key);
          surfaceDocs.push(1);
          surfaceTerm.push(termIds.get(w.terms[0]!)!);
          surfaceLast.push(i);
        } else if (surfaceLast.a[sid] !== i) {
          surfaceLast.a[sid] = i;
          surfaceDocs.a[sid]!++;
        }
      }
    }
    for (const [id, tf] of bag) {
      postTerm.push(id);
      postTf.push(tf);
      df.a[id]!++;
    }
    postStart[i + 1] = postTerm.length;
    lengths[i] = length;
    total += length;
  });

  // Postings by term: passages ascending within each (they were appended in passage order).
  const avgLength = passages.length > 0 ? total / passages.length : 0;
  const scale = 255 / (opts.bm25.k1 + 1);
  const offsets = new Uint32Array(termKeys.length + 1);
  for (let t = 0; t < termKeys.length; t++) offsets[t + 1] = offsets[t]! + df.a[t]!;
  const fill = offsets.slice(0, termKeys.length);
  const postPassage = new Uint32Array(postTerm.length);
  const postWeight = new Uint8Array(postTerm.length);
  for (let i = 0; i < passages.length; i++) {
    for (let k = postStart[i]!; k < postStart[i + 1]!; k++) {
      const at = fill[postTerm.a[k]!]!++;
      postPassage[at] = i;
      postWeight[at] = Math.min(255, Math.max(1, Math.round(bm25TermWeight(postTf.a[k]!, lengths[i]!, avgLength, opts.bm25) * scale)));
    }
  }

  const keys = termKeys.concat(surfaceKeys).sort(compare);
  let unique = 0;
  for (let k = 0; k < keys.length; k++) if (k === 0 || keys[k] !== keys[unique - 1]) keys[unique++] = keys[k]!;
  keys.length = unique;

  function* shards(): Generator<{ first: string; shard: KeywordShard }> {
    let entries: KeywordEntry[] = [];
    let bytes = 0;
    let first = '';
    let shard = 0;
    for (const key of keys) {
      if (bytes >= opts.shardBytes) {
        yield { first, shard: { shard: shard++, entries } };
        entries = [];
        bytes = 0;
        first = key;
      }
      const e: KeywordEntry = { key };
      const sid = surfaceIds.get(key);
      if (sid !== undefined) e.surface = { docs: surfaceDocs.a[sid]!, term: termKeys[surfaceTerm.a[sid]!]! };
      const tid = termIds.get(key);
      if (tid !== undefined) e.postings = { passages: postPassage.subarray(offsets[tid], offsets[tid + 1]), weights: postWeight.subarray(offsets[tid], offsets[tid + 1]) };
      entries.push(e);
      bytes += key.length + 4 + (tid !== undefined ? 2 * (offsets[tid + 1]! - offsets[tid]!) + 1 : 0);
    }
    yield { first, shard: { shard, entries } };
  }
  return { shards: { [Symbol.iterator]: shards }, avgLength, terms: total };
}

/** A typed array that grows by doubling; `a` is the backing array (valid up to `length`). */
class Grow<T extends Uint32Array | Int32Array> {
  a: T;
  length = 0;
  constructor(private readonly make: new (n: number) => T) {
    this.a = new make(1024);
  }
  push(v: number): void {
    if (this.length === this.a.length) {
      const next = new this.make(this.a.length * 2);
      next.set(this.a);
      this.a = next;
    }
    this.a[this.length++] = v;
  }
}

/** The document side of BM25 a stored weight stands for. */
export function keywordWeight(q: number, k1: number): number {
  return (q * (k1 + 1)) / 255;
}
