// Encoder-based systems for the evaluation: the same corpus searched by each
// signal alone and by the fusions. Encoding is by far the slowest step, so the
// corpus and the queries are encoded ONCE and every system reuses the vectors;
// systems that store dense vectors the same way also share one SearchIndex.
import type { Encoder } from '../core/encoder.js';
import { throwIfAborted } from '../core/errors.js';
import { SearchIndex } from '../core/search-index.js';
import { DEFAULT_WEIGHTS, type DenseStorage, type Doc, type Encoded, type MultiStorage, type SearchOptions } from '../core/types.js';
import { loadModel } from '../node/load-model.js';
import { docText, type System } from './run.js';

export interface EncoderSystemsOptions {
  batchSize?: number;
  signal?: AbortSignal;
  /** Progress of the single corpus-encoding pass. */
  onProgress?: (p: { done: number; total: number }) => void;
  /** Keep only these system names (default: all of `ENCODER_VARIANTS`). */
  only?: readonly string[];
}

export interface EncoderVariant {
  name: string;
  dense: DenseStorage;
  /** Token-vector storage (default: the index default, float16). */
  multi?: MultiStorage;
  /** Nested multi-vectors (flexible late interaction): keep this many coarse-to-fine centroids per passage. */
  nested?: number;
  search: Omit<SearchOptions, 'k' | 'filter'>;
}

/** Variants with equal storage share one index: this is its key. */
function storageKey(v: Pick<EncoderVariant, 'dense' | 'multi' | 'nested'>): string {
  return `${v.dense}/${v.multi ?? 'default'}${v.nested ? `/nested${v.nested}` : ''}`;
}

export const ENCODER_VARIANTS: readonly EncoderVariant[] = [
  { name: 'dense', dense: 'float32', search: { mode: 'dense' } },
  { name: 'sparse', dense: 'float32', search: { mode: 'sparse' } },
  { name: 'multi', dense: 'float32', search: { mode: 'multi' } },
  { name: 'dense+sparse', dense: 'float32', search: { mode: 'hybrid', fusion: 'weighted', weights: { dense: 1, sparse: 0.3, multi: 0 } } },
  { name: 'hybrid', dense: 'float32', search: { mode: 'hybrid', fusion: 'weighted', weights: { ...DEFAULT_WEIGHTS } } },
  { name: 'hybrid-rrf', dense: 'float32', search: { mode: 'hybrid', fusion: 'rrf' } },
  // int8-stored against the float32-stored rows above (dense float32 → int8; token vectors float16 → int8).
  { name: 'dense-int8', dense: 'int8', multi: 'int8', search: { mode: 'dense' } },
  { name: 'multi-int8', dense: 'int8', multi: 'int8', search: { mode: 'multi' } },
  { name: 'hybrid-int8', dense: 'int8', multi: 'int8', search: { mode: 'hybrid', fusion: 'weighted', weights: { ...DEFAULT_WEIGHTS } } },
  // One nested index (≤ 32 centroids per passage) searched at several multi-vector budgets.
  ...[1, 2, 4, 8, 32].map((b): EncoderVariant => ({ name: `multi@${b}`, dense: 'float32', nested: 32, search: { mode: 'multi', multiVectorBudget: b } })),
  { name: 'hybrid-nested', dense: 'float32', nested: 32, search: { mode: 'hybrid', fusion: 'weighted', weights: { ...DEFAULT_WEIGHTS } } },
  { name: 'hybrid-coarse', dense: 'float32', nested: 32, search: { mode: 'hybrid', fusion: 'weighted', weights: { ...DEFAULT_WEIGHTS }, coarseBudget: 2, coarseDepth: 30 } },
];

/** Loads the model folder and returns its systems (they share one encoder and one encoding pass). */
export async function loadEncoderSystems(modelDir: string, opts: EncoderSystemsOptions = {}): Promise<System[]> {
  return encoderSystems(await loadModel(modelDir), opts);
}

export function encoderSystems(encoder: Pick<Encoder, 'encode'>, opts: EncoderSystemsOptions = {}): System[] {
  const variants = ENCODER_VARIANTS.filter((v) => !opts.only || opts.only.includes(v.name));
  const shared = new SharedVectors(encoder, opts, new Map(variants.map((v) => [storageKey(v), v])));
  return variants.map((v) => ({
    name: v.name,
    index: async (docs) => {
      await shared.index(v, docs);
    },
    prepareQueries: (queries) => shared.encodeQueries(queries),
    search: async (query, k) => {
      const index = await shared.index(v);
      const hits = index.search(await shared.query(query), { ...v.search, k });
      return hits.map((h) => h.id);
    },
  }));
}

/**
 * The encodings and indexes the systems share. The corpus encodings are
 * dropped as soon as every needed index (one per storage combination) is built,
 * since multi-vectors of a whole corpus are large.
 */
class SharedVectors {
  private corpusDocs: Doc[] | undefined;
  private corpus: Promise<Encoded[]> | undefined;
  private readonly indexes = new Map<string, Promise<SearchIndex>>();
  private readonly queries = new Map<string, Encoded>();

  constructor(
    private readonly encoder: Pick<Encoder, 'encode'>,
    private readonly opts: EncoderSystemsOptions,
    private readonly storages: ReadonlyMap<string, Pick<EncoderVariant, 'dense' | 'multi' | 'nested'>>,
  ) {}

  /** The index for one storage combination, built from `docs` on first call (later calls must pass the same corpus or none). */
  index(storage: Pick<EncoderVariant, 'dense' | 'multi' | 'nested'>, docs?: Doc[]): Promise<SearchIndex> {
    if (docs && this.corpusDocs && docs !== this.corpusDocs) {
      // A new corpus: start over rather than mix vectors of two corpora.
      this.indexes.clear();
      this.corpus = undefined;
      this.queries.clear();
    }
    if (docs) this.corpusDocs = docs;
    const key = storageKey(storage);
    let index = this.indexes.get(key);
    if (!index) {
      index = this.build(storage);
      this.indexes.set(key, index);
    }
    return index;
  }

  async encodeQueries(texts: readonly string[]): Promise<void> {
    const todo = [...new Set(texts)].filter((t) => !this.queries.has(t));
    if (todo.length === 0) return;
    const encoded = await this.encoder.encode(todo, { kind: 'query', batchSize: this.opts.batchSize, signal: this.opts.signal });
    todo.forEach((t, i) => this.queries.set(t, encoded[i]!));
  }

  async query(text: string): Promise<Encoded> {
    await this.encodeQueries([text]);
    return this.queries.get(text)!;
  }

  private async build(storage: Pick<EncoderVariant, 'dense' | 'multi' | 'nested'>): Promise<SearchIndex> {
    const docs = this.corpusDocs;
    if (!docs) throw new Error('encoder systems: index(docs) must run before search');
    const encoded = await this.encodeCorpus(docs);
    throwIfAborted(this.opts.signal);
    const index = new SearchIndex({
      dense: storage.dense,
      ...(storage.multi ? { multi: storage.multi } : {}),
      ...(storage.nested ? { multiVectors: 'nested' as const, maxMultiVectors: storage.nested } : {}),
    });
    for (let i = 0; i < docs.length; i++) {
      // The encoder rejects empty text; such a document simply cannot be found.
      if (encoded[i]) index.add(docs[i]!, encoded[i]!);
    }
    if ([...this.storages.keys()].every((key) => this.indexes.has(key))) this.corpus = undefined;
    return index;
  }

  private async encodeCorpus(docs: Doc[]): Promise<(Encoded | undefined)[]> {
    if (!this.corpus) {
      const texts = docs.map(docText);
      const nonEmpty = texts.map((t, i) => [t, i] as const).filter(([t]) => t.trim() !== '');
      this.corpus = this.encoder
        .encode(
          nonEmpty.map(([t]) => t),
          { kind: 'passage', batchSize: this.opts.batchSize, signal: this.opts.signal, onProgress: this.opts.onProgress },
        )
        .then((enc) => {
          const out = new Array<Encoded>(docs.length);
          nonEmpty.forEach(([, i], n) => (out[i] = enc[n]!));
          return out;
        });
    }
    return this.corpus;
  }
}
