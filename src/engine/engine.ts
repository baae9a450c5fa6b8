// The engine: an encoder plus an in-memory SearchIndex. Text in, hits out.
// Environment-free — the worker, the Node CLI and the tests all use it.
import { M3SearchError, throwIfAborted } from '../core/errors.js';
import { SearchIndex } from '../core/search-index.js';
import type { Doc, Encoded, Hit, IndexOptions, SearchOptions } from '../core/types.js';
import { validateDocs } from './validate.js';

/** What the engine needs from an encoder (M3Encoder satisfies it). */
export interface TextEncoder {
  encode(texts: readonly string[], opts?: { kind?: 'query' | 'passage'; signal?: AbortSignal; batchSize?: number; onProgress?: (p: { done: number; total: number }) => void }): Promise<Encoded[]>;
}

export interface AddProgress {
  done: number;
  total: number;
}

export interface AddOptions {
  signal?: AbortSignal;
  onProgress?: (p: AddProgress) => void;
  batchSize?: number;
}

export interface AddReport {
  added: number;
  /** Ids whose text was longer than the model's limit and was cut (never silent). */
  truncated: string[];
}

export class M3Search {
  readonly index: SearchIndex;
  private readonly encoder: TextEncoder;

  constructor(encoder: TextEncoder, index: SearchIndex | IndexOptions = {}) {
    this.encoder = encoder;
    this.index = index instanceof SearchIndex ? index : new SearchIndex(index);
  }

  get size(): number {
    return this.index.size;
  }

  /** Encodes and adds documents. The batch is all-or-nothing: a bad document adds none of them. */
  async add(docs: readonly Doc[], opts: AddOptions = {}): Promise<AddReport> {
    validateDocs(docs, (id) => this.index.has(id));
    const encoded = await this.encoder.encode(docs.map((d) => d.text), {
      kind: 'passage',
      signal: opts.signal,
      batchSize: opts.batchSize,
      onProgress: opts.onProgress,
    });
    throwIfAborted(opts.signal);
    docs.forEach((d, i) => this.index.add(d, encoded[i]!));
    return { added: docs.length, truncated: docs.filter((_, i) => encoded[i]!.truncated).map((d) => d.id) };
  }

  /** Replaces documents by id (adds them when absent). */
  async update(docs: readonly Doc[], opts: AddOptions = {}): Promise<AddReport> {
    validateDocs(docs, () => false);
    const encoded = await this.encoder.encode(docs.map((d) => d.text), { kind: 'passage', signal: opts.signal, onProgress: opts.onProgress });
    throwIfAborted(opts.signal);
    docs.forEach((d, i) => this.index.upsert(d, encoded[i]!));
    return { added: docs.length, truncated: docs.filter((_, i) => encoded[i]!.truncated).map((d) => d.id) };
  }

  remove(id: string): boolean {
    return this.index.remove(id);
  }

  async search(query: string, opts: SearchOptions & { signal?: AbortSignal } = {}): Promise<Hit[]> {
    if (typeof query !== 'string' || query.trim() === '') {
      throw new M3SearchError('EMPTY_QUERY', 'The query is empty; type at least one word.');
    }
    if (this.index.size === 0) {
      throw new M3SearchError('INDEX_EMPTY', 'Nothing is indexed yet; add documents before searching.');
    }
    const [q] = await this.encoder.encode([query], { kind: 'query', signal: opts.signal });
    throwIfAborted(opts.signal);
    return this.index.search(q!, opts);
  }
}
