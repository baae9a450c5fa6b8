// Option defaults and validation, in one place so every entry point rejects
// the same mistakes with the same INVALID_OPTION messages.

import { M3SearchError } from './errors.js';
import { DEFAULT_RRF_K } from './fusion.js';
import { DEFAULT_MAX_MULTI_VECTORS } from './nested.js';
import {
  DEFAULT_WEIGHTS,
  type Doc,
  type Fusion,
  type IndexOptions,
  type Mode,
  type SearchOptions,
  type Weights,
} from './types.js';

const DENSE_KINDS = ['float32', 'int8'] as const;
const MULTI_KINDS = ['float32', 'float16', 'int8'] as const;
const SPARSE_KINDS = ['float32', 'float16'] as const;
const LAYOUTS = ['all', 'nested'] as const;
const MAX_MULTI_VECTORS = 65536;
const MODES: readonly Mode[] = ['dense', 'sparse', 'multi', 'hybrid', 'keyword'];
const FUSIONS: readonly Fusion[] = ['weighted', 'rrf'];

function bad(message: string, details?: Record<string, unknown>): never {
  throw new M3SearchError('INVALID_OPTION', message, details);
}

export function resolveIndexOptions(opts: IndexOptions = {}): Required<IndexOptions> {
  if (typeof opts !== 'object' || opts === null) bad('index options must be an object');
  const dense = opts.dense ?? 'float32';
  const sparse = opts.sparse ?? 'float32';
  const multi = opts.multi ?? 'float16';
  if (!(DENSE_KINDS as readonly string[]).includes(dense)) bad(`dense storage must be one of ${DENSE_KINDS.join(', ')}`, { dense });
  if (!(SPARSE_KINDS as readonly string[]).includes(sparse)) bad(`sparse storage must be one of ${SPARSE_KINDS.join(', ')}`, { sparse });
  if (!(MULTI_KINDS as readonly string[]).includes(multi)) bad(`multi storage must be one of ${MULTI_KINDS.join(', ')}`, { multi });
  const multiVectors = opts.multiVectors ?? 'all';
  if (!(LAYOUTS as readonly string[]).includes(multiVectors)) bad(`multiVectors must be one of ${LAYOUTS.join(', ')}`, { multiVectors });
  const maxMultiVectors = opts.maxMultiVectors ?? DEFAULT_MAX_MULTI_VECTORS;
  positiveInt(maxMultiVectors, 'maxMultiVectors');
  if (maxMultiVectors > MAX_MULTI_VECTORS) bad(`maxMultiVectors must be at most ${MAX_MULTI_VECTORS}`, { maxMultiVectors });
  return { dense, sparse, multi, multiVectors, maxMultiVectors };
}

/** Search options with defaults applied. */
export interface ResolvedSearch {
  k: number;
  mode: Mode;
  weights: Weights;
  fusion: Fusion;
  candidates: number;
  rrfK: number;
  multiVectorBudget: number | undefined;
  queryVectorBudget: number | undefined;
  coarseBudget: number | undefined;
  coarseDepth: number;
  filter: ((doc: Readonly<Doc>) => boolean) | undefined;
}

export function resolveSearchOptions(opts: SearchOptions = {}): ResolvedSearch {
  if (typeof opts !== 'object' || opts === null) bad('search options must be an object');
  const k = opts.k ?? 10;
  positiveInt(k, 'k');
  const mode = opts.mode ?? 'hybrid';
  if (!MODES.includes(mode)) bad(`mode must be one of ${MODES.join(', ')}`, { mode });
  const fusion = opts.fusion ?? 'weighted';
  if (!FUSIONS.includes(fusion)) bad(`fusion must be one of ${FUSIONS.join(', ')}`, { fusion });
  const weights: Weights = { ...DEFAULT_WEIGHTS };
  for (const s of ['dense', 'sparse', 'multi'] as const) {
    const w = opts.weights?.[s];
    if (w === undefined) continue;
    if (typeof w !== 'number' || !Number.isFinite(w)) bad(`weights.${s} must be a finite number`, { [s]: w });
    weights[s] = w;
  }
  // All zero ranks every document 0 (order by id); all negative ranks the worst first. Neither is a ranking.
  if (Math.max(weights.dense, weights.sparse, weights.multi) <= 0) {
    bad('weights need at least one positive weight (all zero or all negative would not rank anything)', { weights: { ...weights } });
  }
  const candidates = opts.candidates ?? Math.max(100, 10 * k);
  positiveInt(candidates, 'candidates');
  const rrfK = opts.rrfK ?? DEFAULT_RRF_K;
  if (typeof rrfK !== 'number' || !Number.isFinite(rrfK) || rrfK < 0) bad('rrfK must be a non-negative number', { rrfK });
  if (opts.multiVectorBudget !== undefined) positiveInt(opts.multiVectorBudget, 'multiVectorBudget');
  if (opts.queryVectorBudget !== undefined) positiveInt(opts.queryVectorBudget, 'queryVectorBudget');
  if (opts.coarseBudget !== undefined && opts.coarseBudget !== 0) positiveInt(opts.coarseBudget, 'coarseBudget');
  const coarseDepth = opts.coarseDepth ?? Math.max(30, 3 * k);
  positiveInt(coarseDepth, 'coarseDepth');
  if (opts.filter !== undefined && typeof opts.filter !== 'function') bad('filter must be a function');
  return {
    k,
    mode,
    weights,
    fusion,
    candidates,
    rrfK,
    multiVectorBudget: opts.multiVectorBudget,
    queryVectorBudget: opts.queryVectorBudget,
    coarseBudget: opts.coarseBudget,
    coarseDepth,
    filter: opts.filter,
  };
}

function positiveInt(v: unknown, name: string): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) bad(`${name} must be a positive integer`, { [name]: v });
}
