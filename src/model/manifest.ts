// The model contract: what a model folder holds and how its outputs become
// dense / sparse / multi-vector representations. A folder may carry an
// `m3search.json` manifest; without one, the layout is inferred from the ONNX
// graph's output names (see `inferLayout` in ./load.ts).

import type { EncoderConventions } from '../core/encoder.js';
import { M3SearchError } from '../core/errors.js';

/**
 * How the three representations come out of the graph.
 * - `heads-in-graph`: the graph outputs `dense_embeddings [B,H]`,
 *   `sparse_weights [B,T,1]` and `colbert_vectors [B,T(-1),D]` (public BGE-M3 ONNX exports).
 * - `hidden-state`: the graph outputs `last_hidden_state [B,T,H]` (transformers.js
 *   export style); the sparse and ColBERT linear heads are applied in TypeScript
 *   from safetensors files.
 * - `splade`: the graph outputs MLM logits `[B,T,V]` or pooled `[B,V]`; sparse is
 *   SPLADE-max; dense falls back to the normalized [CLS] state when the graph also
 *   outputs `last_hidden_state`.
 */
export type OutputLayout = 'heads-in-graph' | 'hidden-state' | 'splade';

export interface ModelManifest {
  /** Free-form id shown to users and stored with every index (e.g. "BAAI/bge-m3"). */
  modelId: string;
  layout: OutputLayout;
  /** ONNX file inside the folder. Default: `onnx/model_quantized.onnx`, then `onnx/model.onnx`. */
  onnx?: string;
  /** Longest input in tokens, special tokens included (BGE-M3: 8192). */
  maxLength?: number;
  /** Graph output names when they differ from the defaults. */
  outputs?: {
    hidden?: string;
    dense?: string;
    sparse?: string;
    colbert?: string;
    logits?: string;
  };
  /** `hidden-state` layout: safetensors or torch.save `.pt` files holding torch Linear weights (`weight`, `bias`). */
  heads?: {
    /** H→1 linear for lexical weights. */
    sparse?: string;
    /** H→D linear for multi-vectors. */
    colbert?: string;
  };
  /** Whether colbert output row 0 is the [CLS] position (dropped) or already starts after it. Omitted: read off the output length. */
  colbertIncludesCls?: boolean;
  /**
   * How the dense vector comes out of the hidden states: `cls` (BGE, the
   * default), `mean` over the attended positions (E5, GTE, MiniLM, nomic), or
   * `last` (decoder-style embedders). Ignored when the graph outputs a dense
   * vector itself; `mean`/`last` then need a hidden-state output.
   */
  pooling?: Pooling;
  /** L2-normalize the dense vector (default true, as BGE-M3). */
  normalize?: boolean;
  /** Text put before every query (e.g. "query: " for E5, BGE v1.5's retrieval instruction). Default none. */
  queryPrefix?: string;
  /** Text put before every passage (e.g. "passage: " for E5, "search_document: " for nomic). Default none. */
  passagePrefix?: string;
  /**
   * How queries get their sparse vector. Absent: the model encodes them as it
   * encodes passages. `{ query: 'idf' }` declares an inference-free ("doc-only")
   * query side: passages are encoded by the model (SPLADE MLM expansion, or
   * BGE-M3's lexical head), a query is only its tokenizer ids weighted by the
   * idf table (`idf`, default `idf.json`: token → weight), so no model runs at
   * query time. Needs a sparse signal (the `splade` layout, or a lexical head:
   * `sparse_weights` in the graph or a sparse head file). On a BGE-M3-style
   * lexical head it is experimental: the head was trained with encoded
   * queries, and no quality figure for idf queries is published.
   */
  sparse?: SparseQueryConvention;
}

export interface SparseQueryConvention {
  query: 'idf';
  /** The idf table inside the folder (default `idf.json`). */
  idf?: string;
}

export const DEFAULT_IDF_FILE = 'idf.json';

export type Pooling = 'cls' | 'mean' | 'last';

/**
 * How texts were encoded beyond the files themselves: what a static-site
 * manifest records (`model.conventions`) and its readers apply, so a folder
 * loaded through a preset (no m3search.json) encodes queries in the page as
 * the build encoded passages.
 */
export type ModelConventions = EncoderConventions;
export const POOLINGS: readonly Pooling[] = ['cls', 'mean', 'last'];

/** Defaults used when a manifest omits a field. */
export const DEFAULT_OUTPUT_NAMES = {
  hidden: ['last_hidden_state', 'token_embeddings', 'hidden_states'],
  dense: ['dense_embeddings', 'dense_vecs', 'sentence_embedding'],
  sparse: ['sparse_weights', 'sparse_vecs'],
  colbert: ['colbert_vectors', 'colbert_vecs'],
  logits: ['logits', 'mlm_logits', 'sparse_logits'],
} as const;

export const DEFAULT_HEAD_FILES = {
  sparse: 'sparse_linear.safetensors',
  colbert: 'colbert_linear.safetensors',
} as const;

/** The same heads as BGE-M3's upstream folder ships them (torch.save state dicts, read by ./torch-pt.ts). */
export const DEFAULT_TORCH_HEAD_FILES = {
  sparse: 'sparse_linear.pt',
  colbert: 'colbert_linear.pt',
} as const;

export const MANIFEST_FILE = 'm3search.json';

const LAYOUTS: readonly OutputLayout[] = ['heads-in-graph', 'hidden-state', 'splade'];
/** Fewest tokens a pass may hold: the special tokens plus a little text. */
export const MIN_MAX_LENGTH = 8;

/**
 * Checks an `m3search.json` as read (any JSON) field by field, so a typo is a
 * MODEL_FILES naming the field at load, not a TypeError or a failed forward
 * pass on some later document. Whether maxLength fits the model's position
 * table is checked once the model's config is known (`checkMaxLength`).
 */
export function checkManifest(raw: unknown, url: string): ModelManifest {
  const fail = (field: string, what: string, value: unknown): never => {
    throw new M3SearchError('MODEL_FILES', `${url}: ${field} ${what} (got ${show(value)}).`, { url, reason: 'malformed', field });
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('the manifest', 'must be a JSON object', raw);
  const m = raw as Record<string, unknown>;
  if (m.modelId !== undefined && (typeof m.modelId !== 'string' || m.modelId === '')) fail('modelId', 'must be a non-empty string', m.modelId);
  if (m.layout !== undefined && !LAYOUTS.includes(m.layout as OutputLayout)) fail('layout', `must be one of ${LAYOUTS.join(', ')}`, m.layout);
  if (m.onnx !== undefined && (typeof m.onnx !== 'string' || m.onnx === '')) fail('onnx', 'must be a file name', m.onnx);
  if (m.maxLength !== undefined && !(Number.isInteger(m.maxLength) && (m.maxLength as number) >= MIN_MAX_LENGTH && (m.maxLength as number) <= 1e6)) {
    fail('maxLength', `must be an integer from ${MIN_MAX_LENGTH} to the model's positions`, m.maxLength);
  }
  for (const group of ['outputs', 'heads'] as const) {
    const g = m[group];
    if (g === undefined) continue;
    if (typeof g !== 'object' || g === null || Array.isArray(g)) fail(group, 'must be an object of names', g);
    for (const [k, v] of Object.entries(g as Record<string, unknown>)) if (typeof v !== 'string' || v === '') fail(`${group}.${k}`, 'must be a non-empty string', v);
  }
  if (m.colbertIncludesCls !== undefined && typeof m.colbertIncludesCls !== 'boolean') fail('colbertIncludesCls', 'must be true or false', m.colbertIncludesCls);
  if (m.pooling !== undefined && !POOLINGS.includes(m.pooling as Pooling)) fail('pooling', `must be one of ${POOLINGS.join(', ')}`, m.pooling);
  if (m.normalize !== undefined && typeof m.normalize !== 'boolean') fail('normalize', 'must be true or false', m.normalize);
  for (const field of ['queryPrefix', 'passagePrefix'] as const) {
    // Empty is allowed: it says "no prefix" explicitly (overriding a preset's).
    if (m[field] !== undefined && (typeof m[field] !== 'string' || (m[field] as string).length > 1000)) fail(field, 'must be a string (at most 1000 characters)', m[field]);
  }
  if (m.sparse !== undefined) {
    const sp = m.sparse as Record<string, unknown>;
    if (typeof sp !== 'object' || sp === null || Array.isArray(sp)) fail('sparse', "must be an object such as { \"query\": \"idf\" }", sp);
    if (sp.query !== 'idf') fail('sparse.query', "must be 'idf' (the only query side besides encoding the query)", sp.query);
    if (sp.idf !== undefined && (typeof sp.idf !== 'string' || sp.idf === '')) fail('sparse.idf', 'must be a file name', sp.idf);
    for (const k of Object.keys(sp)) if (k !== 'query' && k !== 'idf') fail(`sparse.${k}`, 'is not a known field (query, idf)', sp[k]);
  }
  return m as unknown as ModelManifest;
}

/**
 * Token positions the model has, from a Hugging Face `config.json`:
 * `max_position_embeddings`, less the RoBERTa/XLM-R offset (positions start
 * at pad_token_id + 1, so BGE-M3's 8,194 rows hold 8,192 tokens). Undefined
 * when the config does not say.
 */
export function modelPositions(config: unknown): number | undefined {
  if (typeof config !== 'object' || config === null) return undefined;
  const c = config as Record<string, unknown>;
  const rows = c.max_position_embeddings;
  if (typeof rows !== 'number' || !Number.isInteger(rows) || rows < 1) return undefined;
  const roberta = typeof c.model_type === 'string' && /roberta|camembert/i.test(c.model_type);
  const pad = typeof c.pad_token_id === 'number' ? c.pad_token_id : 1;
  return roberta ? rows - pad - 1 : rows;
}

function show(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : v === undefined ? 'nothing' : (JSON.stringify(v) ?? String(v));
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
