// One encoder pass → dense, sparse and multi-vector for every text. Works with
// any onnxruntime flavour (node or web) handed in as `OrtRuntime`, so the same
// code runs in the worker, in Node tools and in tests.
import type { EncodeOptions as CoreEncodeOptions, Encoder } from '../core/encoder.js';
import type { InferenceSession, Tensor, TypedTensor } from 'onnxruntime-common';
import { M3SearchError, throwIfAborted } from '../core/errors.js';
import type { Encoded, MultiVector, SparseVector } from '../core/types.js';
import {
  colbertVectors,
  lexicalWeights,
  normalized,
  normalizeRows,
  poolSparse,
  spladeFromPooled,
  spladeMax,
  type LinearHead,
} from './heads.js';
import type { ModelConventions, OutputLayout, Pooling } from './manifest.js';
import { pruneSparse, type SparsePruning } from './sparse-pruning.js';
import { idfQueryVector } from './splade-query.js';
import type { IdfQuerySide, TokenizerFiles } from '../core/encoder.js';
import type { M3Tokenizer } from './tokenizer.js';

/** The part of onnxruntime (node or web) the encoder needs. */
export interface OrtRuntime {
  Tensor: new (type: 'int64', data: BigInt64Array, dims: readonly number[]) => Tensor;
  /** `model`: the graph's bytes, or (onnxruntime-node, a folder on disk) its path. */
  InferenceSession: { create(model: Uint8Array | string, options?: InferenceSession.SessionOptions): Promise<InferenceSession> };
}

export type TextKind = 'query' | 'passage';

export interface EncodeProgress {
  done: number;
  total: number;
}

export interface EncodeOptions extends CoreEncodeOptions {
  /** Queries and passages share the encoder but may be pruned differently (sparse top-k / threshold). */
  kind?: TextKind;
  /** Texts per forward pass (default 16). */
  batchSize?: number;
  /**
   * Cap on batch × padded length, so long texts go in smaller batches (default
   * 16384; for a SPLADE model, also at most 2^23 / vocabulary size, so one
   * batch's `[B,T,V]` logits stay near 32 MB).
   */
  maxBatchTokens?: number;
  signal?: AbortSignal;
  onProgress?: (p: EncodeProgress) => void;
}

/** What a loaded model is; stored with every index so vectors are never mixed across models. */
export interface ModelInfo {
  modelId: string;
  layout: OutputLayout;
  /** Changes whenever the ONNX graph, tokenizer or head files change. */
  fingerprint: string;
  onnxFile: string;
  /** The ONNX external-data files the graph keeps its weights in (paths in the model folder, e.g. `onnx/model.onnx_data`); absent when none. */
  externalData?: string[];
  maxLength: number;
  denseDim: number;
  multiDim: number;
  vocabSize: number;
  sparseStyle: 'lexical' | 'splade' | 'none';
  hasMulti: boolean;
  /** Vocabulary ids kept out of sparse vectors besides the special tokens (punctuation filter + user noise list). */
  noiseTokens?: number;
  /** How dense vectors are pooled and whether they are normalized (manifest or preset; default cls, true). */
  pooling?: Pooling;
  normalize?: boolean;
  /** Texts put before queries / passages; absent when none. */
  queryPrefix?: string;
  passagePrefix?: string;
  /** The same with the pass length (what a static index records; `maxLength` above is what is left for text). */
  conventions?: ModelConventions;
  /** 'idf': an inference-free ("doc-only") model — queries are tokenizer ids × idf, the model never runs on them. */
  sparseQuery?: 'idf';
}

/** A model's input/output conventions (see ModelManifest): defaults reproduce BGE-M3. */
export interface Conventions {
  pooling: Pooling;
  normalize: boolean;
  queryPrefix: string;
  passagePrefix: string;
}

export const DEFAULT_CONVENTIONS: Readonly<Conventions> = { pooling: 'cls', normalize: true, queryPrefix: '', passagePrefix: '' };

/** Resolved graph output names and head weights (see ./load.ts). */
export interface EncoderParts {
  session: InferenceSession;
  ort: OrtRuntime;
  tokenizer: M3Tokenizer;
  info: ModelInfo;
  outputs: { hidden?: string; dense?: string; sparse?: string; colbert?: string; logits?: string };
  /** Declared by the manifest; when undefined it is read off each output's sequence length (see colbertSkip). */
  colbertIncludesCls?: boolean;
  heads: { sparse?: LinearHead; colbert?: LinearHead };
  /** Token ids that never enter sparse vectors (special + noise tokens). */
  sparseExclude: ReadonlySet<number>;
  pruning?: { query?: SparsePruning; passage?: SparsePruning };
  /**
   * Multiple-[CLS] dense vectors for long inputs: a [CLS] is inserted before
   * every `multiCls` content tokens and the dense vector is the normalized
   * mean of those positions' final states. Needs a hidden-state output.
   */
  multiCls?: number;
  /** Pooling, normalization and prefixes (default DEFAULT_CONVENTIONS). */
  conventions?: Conventions;
  /**
   * Tokens a pass may hold (the position table's limit). `info.maxLength` is
   * this less the longest prefix's tokens, so callers that size windows by
   * `info.maxLength` never have their text cut to make room for the prefix.
   * Default: `info.maxLength`.
   */
  passLength?: number;
  /** Doc-only models (manifest `sparse.query: 'idf'`): the query side, no forward pass. */
  idfQuery?: IdfQuerySide;
  /** `sparseQuery: 'idf'` on a folder without an idf table: the tokenizer files a site build ships with the idf it computes. */
  tokenizerFiles?: TokenizerFiles;
}

interface Tokenized {
  ids: number[];
  truncated: boolean;
}

export class M3Encoder implements Encoder {
  readonly info: ModelInfo;
  readonly tokenizer: M3Tokenizer;
  /** Forward passes run so far (lets tests prove a reopened index did not re-encode). */
  passes = 0;
  private readonly parts: EncoderParts;
  private readonly needsTokenTypes: boolean;
  private readonly conv: Conventions;
  /** Tokens a pass holds beyond `info.maxLength` (room for the prefix). */
  private readonly prefixRoom: number;

  constructor(parts: EncoderParts) {
    this.parts = parts;
    this.info = parts.info;
    this.tokenizer = parts.tokenizer;
    this.needsTokenTypes = parts.session.inputNames.includes('token_type_ids');
    this.conv = parts.conventions ?? DEFAULT_CONVENTIONS;
    this.prefixRoom = Math.max(0, (parts.passLength ?? parts.info.maxLength) - parts.info.maxLength);
    this.idfQuery = parts.idfQuery;
    this.tokenizerFiles = parts.tokenizerFiles;
  }

  /** Set by `sparseQuery: 'idf'` when the folder has no idf table (see Encoder.tokenizerFiles). */
  readonly tokenizerFiles?: TokenizerFiles;

  /** Set for doc-only models: what a static site ships so pages build query vectors with no model. */
  readonly idfQuery?: IdfQuerySide;

  /** The text put before a query or a passage (the model's convention). */
  prefixOf(kind: TextKind): string {
    return kind === 'query' ? this.conv.queryPrefix : this.conv.passagePrefix;
  }

  /**
   * Token ids as the model will see them: special tokens added, cut to maxLength (the final EOS kept).
   * The work is bounded before tokenizing: a long text is tokenized a slice at a time, only until
   * maxLength tokens are reached and never past `charBound(maxLength)` characters, so a 50 MB text
   * costs what its first few pages cost (the tokenizer overflows its stack on ~120k tokens at once).
   */
  tokenize(text: string, maxLength = this.info.maxLength, kind: TextKind = 'passage'): Tokenized {
    if (typeof text !== 'string') throw new M3SearchError('INVALID_DOCUMENT', `Expected text to be a string, got ${typeof text}.`);
    // The prefix is part of the text, as the model's own sentence-transformers config prepends it.
    const prefix = this.prefixOf(kind);
    if (prefix) {
      text = prefix + text;
      maxLength += this.prefixRoom;
    }
    // Ordinary texts: one tokenizer call, exactly as the model's own tokenizer does it.
    if (text.length <= TOKENIZE_SLICE) return cut(this.withExtraCls(this.tokenizer.ids(capMarks(text))), maxLength, false);
    const limit = Math.min(text.length, this.charBound(maxLength) + prefix.length);
    const content: number[] = [];
    let pos = 0;
    // Content tokens past maxLength + 1 change nothing: the text is cut there anyway.
    while (pos < limit && content.length + this.specials.length <= maxLength) {
      const end = sliceEnd(text, pos, Math.min(limit, pos + TOKENIZE_SLICE));
      for (const id of this.tokenizer.ids(capMarks(text.slice(pos, end)), { special: false })) content.push(id);
      pos = end;
    }
    const ids = this.withExtraCls([...this.specials.slice(0, 1), ...content, ...this.specials.slice(1)]);
    return cut(ids, maxLength, hasNonSpace(text, pos));
  }

  /**
   * Characters tokenized at most for `maxLength` tokens: maxLength × the
   * longest vocabulary piece (+1 for the space before it), that per-token
   * figure clamped to [4, 32]. Text made of vocabulary pieces and single
   * spaces always reaches maxLength tokens within it; what does not (runs of
   * whitespace, characters the normalizer drops, long unknown runs the
   * tokenizer fuses into one token) is cut there and reported as truncated.
   */
  charBound(maxLength = this.info.maxLength): number {
    const perToken = Math.min(32, Math.max(4, (this.tokenizer.maxPieceChars ?? 16) + 1));
    return maxLength * perToken;
  }

  /** [CLS]/<s> and [SEP]/</s> as the tokenizer adds them around a text. */
  private get specials(): number[] {
    return (this.specialIdsCache ??= this.tokenizer.ids(''));
  }
  private specialIdsCache?: number[];

  /** Inserts [CLS] before every `multiCls` content tokens (after the first block). */
  private withExtraCls(ids: number[]): number[] {
    const every = this.parts.multiCls;
    if (every === undefined || ids.length <= every + 2) return ids;
    const cls = ids[0]!;
    const out = [cls];
    for (let i = 1; i < ids.length - 1; i++) {
      if (i > 1 && (i - 1) % every === 0) out.push(cls);
      out.push(ids[i]!);
    }
    out.push(ids[ids.length - 1]!);
    return out;
  }

  async encode(texts: readonly string[], opts: EncodeOptions = {}): Promise<Encoded[]> {
    for (const t of texts) {
      if (typeof t !== 'string') throw new M3SearchError('INVALID_DOCUMENT', `Expected text to be a string, got ${typeof t}.`);
      if (t.trim() === '') throw new M3SearchError(opts.kind === 'query' ? 'EMPTY_QUERY' : 'INVALID_DOCUMENT', 'Text is empty or whitespace only.');
      // A query is never cut silently: one longer than the model could ever read is refused.
      if (opts.kind === 'query' && t.length > this.charBound()) {
        throw new M3SearchError('QUERY_TOO_LONG', `The query is ${t.length} characters; this model reads at most ${this.charBound()} (${this.info.maxLength} tokens).`, {
          length: t.length,
          limit: this.charBound(),
        });
      }
    }
    // Doc-only models never run on a query: its vector is its tokens weighted by the idf table
    // (no query prefix: the page side of a static site tokenizes the bare query too).
    const idf = this.idfQuery;
    if (opts.kind === 'query' && idf) {
      return texts.map((t) => {
        const sparse = idfQueryVector(this.tokenizer, t, idf.idf);
        return { dense: new Float32Array(0), sparse, multi: { data: new Float32Array(0), count: 0, dim: 0 }, tokens: sparse.ids.length, truncated: false };
      });
    }
    const tokenized = texts.map((t) => this.tokenize(t, this.info.maxLength, opts.kind ?? 'passage'));
    // Batch texts of similar length together so little compute is spent on padding.
    const order = tokenized.map((_, i) => i).sort((a, b) => tokenized[a]!.ids.length - tokenized[b]!.ids.length);
    const batchSize = opts.batchSize ?? 16;
    // MLM logits are [B,T,V]: a 16384-token batch of a 30k vocabulary is 2 GB per tensor, and the
    // graph writes several; memory traffic then costs far more than the smaller batches' overhead.
    const maxBatchTokens = opts.maxBatchTokens ?? (this.parts.outputs.logits ? Math.min(16384, Math.max(1, Math.floor(SPLADE_BATCH_LOGITS / this.info.vocabSize))) : 16384);
    const out = new Array<Encoded>(texts.length);
    let done = 0;
    let i = 0;
    while (i < order.length) {
      throwIfAborted(opts.signal);
      const batch: number[] = [];
      while (i < order.length && batch.length < batchSize) {
        const len = tokenized[order[i]!]!.ids.length;
        if (batch.length > 0 && (batch.length + 1) * len > maxBatchTokens) break;
        batch.push(order[i]!);
        i++;
      }
      const encoded = await this.runBatch(batch.map((j) => tokenized[j]!), opts.kind ?? 'passage');
      batch.forEach((j, n) => (out[j] = encoded[n]!));
      done += batch.length;
      opts.onProgress?.({ done, total: texts.length });
    }
    return out;
  }

  /** Encodes pre-tokenized inputs (special tokens included), e.g. to probe a model with chosen ids. */
  async encodeIds(idLists: readonly number[][], kind: TextKind = 'passage'): Promise<Encoded[]> {
    return this.runBatch(idLists.map((ids) => ({ ids: [...ids], truncated: false })), kind);
  }

  async encodeQuery(text: string, opts: Omit<EncodeOptions, 'kind'> = {}): Promise<Encoded> {
    const [q] = await this.encode([text], { ...opts, kind: 'query' });
    return q!;
  }

  async dispose(): Promise<void> {
    await this.parts.session.release?.();
  }

  private async runBatch(items: Tokenized[], kind: TextKind): Promise<Encoded[]> {
    const { ort, session, outputs } = this.parts;
    const B = items.length;
    const T = Math.max(...items.map((x) => x.ids.length));
    const ids = new BigInt64Array(B * T).fill(BigInt(this.tokenizer.padId));
    const mask = new BigInt64Array(B * T);
    items.forEach((item, b) => {
      item.ids.forEach((id, t) => {
        ids[b * T + t] = BigInt(id);
        mask[b * T + t] = 1n;
      });
    });
    const feeds: Record<string, Tensor> = {
      input_ids: new ort.Tensor('int64', ids, [B, T]),
      attention_mask: new ort.Tensor('int64', mask, [B, T]),
    };
    if (this.needsTokenTypes) feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(B * T), [B, T]);
    const fetches = Object.values(outputs).filter((n): n is string => typeof n === 'string');
    let result: InferenceSession.OnnxValueMapType;
    try {
      result = await session.run(feeds, fetches);
    } catch (e) {
      throw new M3SearchError('MODEL_FILES', `The encoder failed to run: ${(e as Error).message}`);
    }
    this.passes++;
    const get = (name: string | undefined) => (name ? (result[name] as TypedTensor<'float32'> | undefined) : undefined);
    const hidden = get(outputs.hidden);
    const dense = get(outputs.dense);
    const sparse = get(outputs.sparse);
    const colbert = get(outputs.colbert);
    const logits = get(outputs.logits);

    return items.map((item, b) => {
      const len = item.ids.length;
      const clsAt = this.extraClsPositions(item.ids);
      const enc: Encoded = {
        dense: clsAt ? this.meanClsOf(b, T, clsAt, hidden!) : this.denseOf(b, len, hidden, dense),
        sparse: this.sparseOf(b, item.ids, T, hidden, sparse, logits),
        multi: clsAt ? dropRows(this.multiOf(b, len, T, hidden, colbert), clsAt) : this.multiOf(b, len, T, hidden, colbert),
        tokens: len,
        truncated: item.truncated,
      };
      const prune = this.parts.pruning?.[kind];
      if (prune) enc.sparse = pruneSparse(enc.sparse, prune);
      return enc;
    });
  }

  /** Positions of every [CLS] (0 included) when extra ones were inserted, else undefined. */
  private extraClsPositions(ids: readonly number[]): number[] | undefined {
    if (this.parts.multiCls === undefined || !this.parts.outputs.hidden) return undefined;
    const cls = ids[0];
    const at: number[] = [];
    ids.forEach((id, t) => id === cls && at.push(t));
    return at.length > 1 ? at : undefined;
  }

  /** Normalized mean of the final states at the [CLS] positions. */
  private meanClsOf(b: number, T: number, at: readonly number[], hidden: TypedTensor<'float32'>): Float32Array {
    const H = hidden.dims[2]!;
    const sum = new Float32Array(H);
    for (const t of at) {
      const o = (b * T + t) * H;
      for (let i = 0; i < H; i++) sum[i]! += hidden.data[o + i]!;
    }
    return normalized(sum);
  }

  /** Dense vector of item `b` (`len` attended positions): the graph's own, or pooled from the hidden states. */
  private denseOf(b: number, len: number, hidden?: TypedTensor<'float32'>, dense?: TypedTensor<'float32'>): Float32Array {
    const { pooling, normalize } = this.conv;
    const finish = (v: Float32Array): Float32Array => (normalize ? normalized(v) : new Float32Array(v));
    // The graph's dense output is its [CLS] vector; other poolings read the hidden states (checked at load).
    if (dense && (pooling === 'cls' || !hidden)) {
      const H = dense.dims[1]!;
      return finish(dense.data.subarray(b * H, (b + 1) * H));
    }
    if (!hidden) return new Float32Array(0);
    const [, T, H] = hidden.dims as [number, number, number];
    const row = (t: number) => hidden.data.subarray((b * T + t) * H, (b * T + t + 1) * H);
    if (pooling === 'cls') return finish(row(0));
    if (pooling === 'last') return finish(row(len - 1));
    // Mean over the attended positions only (the attention mask is 1 for t < len, padding after).
    const sum = new Float64Array(H);
    for (let t = 0; t < len; t++) {
      const r = row(t);
      for (let i = 0; i < H; i++) sum[i]! += r[i]!;
    }
    const mean = new Float32Array(H);
    for (let i = 0; i < H; i++) mean[i] = sum[i]! / len;
    return finish(mean);
  }

  private sparseOf(
    b: number,
    ids: number[],
    T: number,
    hidden?: TypedTensor<'float32'>,
    sparse?: TypedTensor<'float32'>,
    logits?: TypedTensor<'float32'>,
  ): SparseVector {
    const exclude = this.parts.sparseExclude;
    const len = ids.length;
    if (logits) {
      if (logits.dims.length === 2) {
        const V = logits.dims[1]!;
        return spladeFromPooled(logits.data.subarray(b * V, (b + 1) * V), exclude);
      }
      const V = logits.dims[2]!;
      const rows = logits.data.subarray(b * T * V, (b * T + len) * V);
      // SPLADE-max pools over every non-padding position (special tokens included, as in
      // the reference implementation); excluded ids are dropped from the result.
      return spladeMax(rows, len, V, () => false, exclude);
    }
    if (sparse) {
      const w = sparse.data.subarray(b * T, b * T + len); // [B,T,1]
      return poolSparse(ids, w.map((x) => Math.max(0, x)), exclude);
    }
    const head = this.parts.heads.sparse;
    if (hidden && head) {
      const H = hidden.dims[2]!;
      const rows = hidden.data.subarray(b * T * H, (b * T + len) * H);
      return poolSparse(ids, lexicalWeights(head, rows, len, H), exclude);
    }
    return { ids: new Uint32Array(0), weights: new Float32Array(0) };
  }

  private multiOf(b: number, len: number, T: number, hidden?: TypedTensor<'float32'>, colbert?: TypedTensor<'float32'>): MultiVector {
    if (colbert) {
      const [, Tc, D] = colbert.dims as [number, number, number];
      // Rows after [CLS], padding excluded: len-1 of them.
      const skip = colbertSkip(Tc, T, this.parts.colbertIncludesCls);
      const start = (b * Tc + skip) * D;
      return normalizeRows(colbert.data.subarray(start, start + (len - 1) * D), len - 1, D);
    }
    const head = this.parts.heads.colbert;
    if (hidden && head) {
      const H = hidden.dims[2]!;
      return colbertVectors(head, hidden.data.subarray(b * T * H, (b * T + len) * H), len, H);
    }
    return { data: new Float32Array(0), count: 0, dim: 0 };
  }
}

/** Characters tokenized per tokenizer call for long texts (well below the ~120k tokens that overflow its stack). */
const TOKENIZE_SLICE = 16_384;
/** SPLADE models: batch × padded length × vocabulary size stays under this many logits (32 MB of float32). */
const SPLADE_BATCH_LOGITS = 1 << 23;
/** Combining marks kept in a row (Unicode's Stream-Safe Text Format, UAX #15: no real text needs more than 30). */
const MAX_MARKS = 30;
const MARK_RUN = new RegExp(`(\\p{M}{${MAX_MARKS}})\\p{M}+`, 'gu');

/** Drops combining marks past 30 in a row ("Zalgo" text): 5,000 marks would be 5,000 tokens for one visible letter. */
export function capMarks(text: string): string {
  MARK_RUN.lastIndex = 0;
  return MARK_RUN.test(text) ? text.replace(MARK_RUN, '$1') : text;
}

/** Ids cut to maxLength (the final special token kept). */
function cut(ids: number[], maxLength: number, rest: boolean): Tokenized {
  if (ids.length <= maxLength) return { ids, truncated: rest };
  const last = ids[ids.length - 1]!;
  const keep = ids.slice(0, maxLength - 1);
  keep.push(last);
  return { ids: keep, truncated: true };
}

/** End of a slice `[start, end)`: after the last whitespace near `end` (the tokenizers split words there), never inside a surrogate pair. */
function sliceEnd(text: string, start: number, end: number): number {
  if (end >= text.length) return text.length;
  for (let i = end; i > Math.max(start, end - 256); i--) if (isSpace(text.charCodeAt(i - 1))) return i;
  const c = text.charCodeAt(end);
  return c >= 0xdc00 && c <= 0xdfff ? end + 1 : end;
}

function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0 || c === 0x3000 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029;
}

/** Whether anything but whitespace follows `from` (scans without copying the rest). */
function hasNonSpace(text: string, from: number): boolean {
  const re = /\S/g;
  re.lastIndex = from;
  return re.test(text);
}

/**
 * Rows to skip at the start of a heads-in-graph ColBERT output. Exports differ:
 * FlagEmbedding's own drops [CLS] (`[B,T-1,D]`), others keep it (`[B,T,D]`).
 * A manifest's `colbertIncludesCls` wins; otherwise the row count decides.
 */
export function colbertSkip(rows: number, inputLength: number, declared?: boolean): 0 | 1 {
  if (declared !== undefined) {
    const expected = declared ? inputLength : inputLength - 1;
    if (rows !== expected) {
      throw new M3SearchError(
        'MODEL_MISMATCH',
        `The ColBERT output has ${rows} rows for ${inputLength} input tokens, but m3search.json says colbertIncludesCls: ${declared} (expected ${expected}). Fix or remove that field.`,
      );
    }
    return declared ? 1 : 0;
  }
  if (rows === inputLength) return 1;
  if (rows === inputLength - 1) return 0;
  throw new M3SearchError('MODEL_MISMATCH', `The ColBERT output has ${rows} rows for ${inputLength} input tokens; expected ${inputLength - 1} (after [CLS]) or ${inputLength}.`);
}

/** Drops the multi-vector rows of inserted [CLS] positions (row r is token position r + 1). */
function dropRows(m: MultiVector, clsAt: readonly number[]): MultiVector {
  const skip = new Set(clsAt.filter((t) => t > 0).map((t) => t - 1));
  const keep: number[] = [];
  for (let r = 0; r < m.count; r++) if (!skip.has(r)) keep.push(r);
  const data = new Float32Array(keep.length * m.dim);
  keep.forEach((r, i) => data.set(m.data.subarray(r * m.dim, (r + 1) * m.dim), i * m.dim));
  return { data, count: keep.length, dim: m.dim };
}
