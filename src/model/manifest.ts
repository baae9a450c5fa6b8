// The model contract: what a model folder holds and how its outputs become
// dense / sparse / multi-vector representations. A folder may carry an
// `m3search.json` manifest; without one, the layout is inferred from the ONNX
// graph's output names (see `resolveManifest` in ./layout.ts).

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
  /** `hidden-state` layout: safetensors files holding torch Linear weights (`weight`, `bias`). */
  heads?: {
    /** H→1 linear for lexical weights. */
    sparse?: string;
    /** H→D linear for multi-vectors. */
    colbert?: string;
  };
  /** Whether colbert output row 0 is the [CLS] position (dropped) or already starts after it. Omitted: read off the output length. */
  colbertIncludesCls?: boolean;
}

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

export const MANIFEST_FILE = 'm3search.json';
