// Shapes of the static site index: what the crawler extracts, what the builder
// keeps per passage, and the manifest a page fetches first. See FORMAT.md.

import type { ModelConventions } from '../model/manifest.js';

/** One section of a page: the text under one heading (h1–h4), up to the next. */
export interface Section {
  /** Id to link to (`page.html#anchor`); '' links to the page top. */
  anchor: string;
  heading: string;
  text: string;
}

export interface Page {
  /** Site-relative URL with forward slashes, e.g. `library/os.html`. */
  url: string;
  title: string;
  sections: Section[];
}

/** A chunk of one section: the unit that is encoded, scored and shown. */
export interface Passage {
  page: number;
  anchor: string;
  heading: string;
  /** The chunk's own text (shown in snippets). */
  text: string;
  /** What the encoder sees: page title and heading as context, then the text. */
  encodeText: string;
  /** Hash of encodeText: equal hashes under the same model share vectors. */
  hash: string;
}

/** One passage's vectors in stored (quantized) form: reused builds copy these bits verbatim. */
export interface StoredVectors {
  dense: { q: Int8Array; scale: number };
  /** Sparse ids ascending; weights as float16 bits. */
  sparse: { ids: Uint32Array; w16: Uint16Array };
  multi: StoredMulti | null;
}

export type MultiStorageKind = 'float16' | 'int8';

/**
 * Which multi-vector rows a passage keeps: one per token (`all`), or at most
 * `maxRows` nested centroids (`nested`, src/core/nested.ts) whose every prefix
 * of 1, 2, 4, … rows is a usable summary. MaxSim scores either the same way.
 */
export type MultiLayout = 'all' | 'nested';

/** Default row cap of `nested` builds: see FORMAT.md for the measurement behind it. */
export const DEFAULT_SITE_MULTI_VECTORS = 8;

export type StoredMulti =
  | { kind: 'float16'; count: number; data: Uint16Array }
  | { kind: 'int8'; count: number; data: Int8Array; scales: Float32Array };

/** A file covering the passage range [first, first + count). */
export interface RangeFile {
  file: string;
  first: number;
  count: number;
  bytes: number;
}

/** The keyword index's settings: what a page needs to analyze and score a query as the builder analyzed the passages. */
export interface KeywordManifest {
  analyzer: {
    /** Language of the site (page `lang`, or detected): picks the Latin-script stemmer. */
    language: string | null;
    /** Languages whose stemmer the build applied: a page loads exactly these. */
    stemmers: string[];
    /** Character n-grams per word (0: none). */
    wordGrams: number;
  };
  k1: number;
  b: number;
  /** Page title and heading count this many times (BM25F-style field weight). */
  titleBoost: number;
}

export interface SiteManifest {
  format: 'm3search-site';
  /** 2: model-free keyword shards; 1 (tokenizer-id BM25) is refused with a request to rebuild. */
  version: 2;
  /** Hash of everything below except createdAt: equal builds have equal hashes. */
  build: string;
  createdAt: string;
  /** Site root relative to the index folder (e.g. `../`); page URLs are relative to it. */
  siteRoot: string;
  /** The encoder the passages were encoded with; null for a keyword-only index (`--model none`). */
  model: {
    id: string;
    fingerprint: string;
    maxLength: number;
    denseDim: number;
    multiDim: number;
    sparseStyle: 'lexical' | 'splade' | 'none';
    /** Model folder relative to the index folder when it was copied (`--copy-model`). */
    path?: string;
    /** With `path`: bytes a page downloads to load the model (its copied files and ONNX Runtime's WASM build), shown before it asks for them. */
    bytes?: number;
    /** The ONNX file the passages were encoded with; pages load the same one (its int8 and fp32 kernels differ slightly). */
    onnxFile?: string;
    /**
     * Pooling, normalization, prefixes and pass length the passages were
     * encoded with (the folder's m3search.json or a preset's); readers apply
     * them over the model folder's own, so queries match. Absent in builds
     * older than it: readers then use the folder's.
     */
    conventions?: ModelConventions;
    /**
     * 'idf': a doc-only ("inference-free") model. Pages never load it: a query
     * is its tokenizer ids weighted by idf, built from `shards.vocab`. Such an
     * index has no dense or multi-vector shards (denseDim and multiDim are 0).
     */
    query?: 'idf';
    /**
     * With `query: 'idf'`: where the idf weights came from — the model's own
     * table ('model'), or this site's passages ('site': BM25's idf over the
     * postings, for a model that publishes none, such as BGE-M3; experimental).
     */
    idfFrom?: 'model' | 'site';
  } | null;
  chunking: { maxTokens: number; overlapTokens: number };
  /** `terms`: keyword terms over all passages (title terms counted `titleBoost` times). */
  counts: { pages: number; sections: number; passages: number; chunkedSections: number; terms: number };
  keyword: KeywordManifest;
  shards: {
    /** 6 bytes of each passage's content hash, in passage order: only the builder reads it (reuse). */
    hashes: { file: string; bytes: number };
    dense: {
      storage: 'int8';
      /** Every passage's int8 row in passage ranges: what a query scans in full without `bits`, and what the offline copy holds. */
      files: RangeFile[];
      /**
       * The 1-bit first pass (absent when the build has none; readers then scan `files`): each
       * passage's sign code in passage ranges (files start on block boundaries), and its int8 row
       * again in blocks of `blockRows` passages, named in the bits files, fetched only for the
       * passages the sign codes rank best (FORMAT.md).
       */
      bits?: DenseBits;
    };
    /** Keyword shards in key order; `first` is each one's first key ('' for the first). */
    keyword: { files: { file: string; first: string; bytes: number }[] };
    /** Learned-sparse postings: shard `i` holds every token id with `id % count === i` (none without a model). */
    postings: { count: number; files: string[]; bytes: number[] };
    /**
     * Multi-vector shards are many (they are the bulk of an index): their RangeFile[] list lives in
     * its own JSON file, fetched the first time a query re-ranks, so the manifest stays small.
     */
    multi: {
      storage: MultiStorageKind | 'none';
      /** Rows per passage: absent in builds older than nested multi-vectors, which are `all`. */
      layout?: MultiLayout;
      /** Row cap of a `nested` build (null for `all` and `none`). */
      maxRows?: number | null;
      count: number;
      table: { file: string; bytes: number } | null;
    };
    meta: { files: RangeFile[] };
    /** Doc-only models (`model.query: 'idf'`): the query-side vocabulary (src/site/query-vocab.ts); absent otherwise. */
    vocab?: QueryVocabManifest;
  };
  /** `vocab`: the query-side vocabulary of a doc-only index (absent otherwise); `bits`: the sign codes and row blocks of the 1-bit pass (absent without one). */
  bytes: { dense: number; keyword: number; sparse: number; multi: number; meta: number; vocab?: number; bits?: number; manifest: number; total: number };
}

/** The dense rows' 1-bit first pass: sign codes in passage ranges, int8 rows in small blocks. */
export interface DenseBits {
  files: RangeFile[];
  /** Passages per row block (each block is a dense shard of its own). */
  blockRows: number;
  /** Row blocks in all (ceil(passages / blockRows)). */
  blocks: number;
}

/** One passage's display data, as stored in a metadata shard. */
export interface PassageMeta {
  url: string;
  title: string;
  anchor: string;
  heading: string;
  text: string;
}

/** The query-side vocabulary of a doc-only index: the tokenizer without its vocabulary, and the vocabulary in key-range shards. */
export interface QueryVocabManifest {
  model: 'WordPiece' | 'Unigram';
  /** tokenizer.json (its vocabulary emptied) and tokenizer_config.json, gzip JSON. */
  tokenizer: { file: string; bytes: number };
  /** Shards in key order; `first` is each one's first piece ('' for the first). */
  files: { file: string; first: string; bytes: number }[];
  /** Longest piece in UTF-16 units. */
  maxPiece: number;
  /** Unigram: the vocabulary's lowest score. */
  minScore?: number;
  /** WordPiece: continuation marker and longest segmented word. */
  continuingPrefix?: string;
  maxWordChars?: number;
  /** Token ids of the model (bounds the ids of weighted pieces). */
  vocabSize: number;
  /** Pieces in all, and pieces with postings (which carry id and idf). */
  entries: number;
  weighted: number;
}
