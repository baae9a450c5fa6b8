// The one encoder interface. Every surface — the engine, the browser worker,
// the static-site builder and reader, eval — asks this of a model; the ONNX
// M3Encoder (src/model/encoder.ts) implements it and tests pass small fakes.
import type { Encoded } from './types.js';

export interface EncodeOptions {
  /** Queries and passages may be encoded differently (instructions, pruning). Default 'passage'. */
  kind?: 'query' | 'passage';
  /** Texts per forward pass. */
  batchSize?: number;
  signal?: AbortSignal;
  /** Texts encoded so far, of `total`. */
  onProgress?: (p: { done: number; total: number }) => void;
}

/** What callers read about the model: identity, dimensions and which outputs it has. */
export interface EncoderInfo {
  modelId: string;
  /** Changes whenever the model's graph, tokenizer or head files change: stored indexes are checked against it. */
  fingerprint: string;
  /** Tokens per pass, special tokens included. */
  maxLength: number;
  denseDim: number;
  multiDim: number;
  sparseStyle: 'lexical' | 'splade' | 'none';
  hasMulti: boolean;
  /** The ONNX file loaded (e.g. onnx/model_quantized.onnx): a static index records it, so its pages load the same one. */
  onnxFile?: string;
  /** How texts were encoded beyond the files: a static index records it, so its readers encode queries the same way. */
  conventions?: EncoderConventions;
}

/** Pooling, normalization, prefixes and pass length of an encoder (a model manifest's fields of those names). */
export interface EncoderConventions {
  pooling: 'cls' | 'mean' | 'last';
  normalize: boolean;
  /** Absent: none. */
  queryPrefix?: string;
  passagePrefix?: string;
  /** Tokens a pass holds, special tokens and prefixes included. */
  maxLength: number;
}

/** The model's tokenizer as search needs it: token counting (windows, chunking) and lexical ids. */
export interface EncoderTokenizer {
  ids(text: string, opts?: { special?: boolean }): number[];
  readonly specialIds: ReadonlySet<number>;
}

/**
 * The query side of an inference-free ("doc-only") sparse model: a query is
 * its tokenizer ids weighted by `idf` (token string → weight); the model never
 * runs on it. The tokenizer files travel along so a static site can ship the
 * part of them a page needs.
 */
export interface IdfQuerySide extends TokenizerFiles {
  idf: ReadonlyMap<string, number>;
}

/** The model's tokenizer.json and tokenizer_config.json, as parsed. */
export interface TokenizerFiles {
  tokenizerJson: Readonly<Record<string, unknown>>;
  tokenizerConfig: Readonly<Record<string, unknown>>;
}

export interface Encoder {
  readonly info: EncoderInfo;
  readonly tokenizer: EncoderTokenizer;
  /** Present for doc-only models: queries are tokenizer ids × idf (no forward pass). */
  readonly idfQuery?: IdfQuerySide;
  /**
   * Present when an idf query side was asked for (`sparseQuery: 'idf'`) but
   * the model folder ships no idf table: a static-site build computes one from
   * its passages and ships these files' vocabulary with it.
   */
  readonly tokenizerFiles?: TokenizerFiles;
  /** One forward pass per batch → dense, sparse and multi-vector outputs for every text. */
  encode(texts: readonly string[], opts?: EncodeOptions): Promise<Encoded[]>;
}
