// The build-time indexer: crawl → sections → chunks → encode (reusing the
// previous build's vectors for unchanged passages) → shards + manifest.
import type { Encoder } from '../core/encoder.js';
import type { Doc } from '../core/types.js';
import { createHash } from 'node:crypto';
import { readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Analyzer, detectLanguage } from '../core/analyzer.js';
import { M3SearchError, throwIfAborted } from '../core/errors.js';
import { KEYWORD_BM25 } from '../core/keyword-index.js';
import { loadStemmers, STEM_LANGUAGES } from '../core/stemmers.js';
import type { Encoded } from '../core/types.js';
import { listPages, readPage, type CrawlOptions } from './crawl.js';
import { isLinkList } from './html.js';
import { cutSection, passagesOf, sectionPassages, type SectionInput, type SectionPassages } from './passages.js';
import { ChunkCache } from './chunk-cache.js';
import { buildFiles, readManifest, readPreviousBuild } from './previous.js';
import { DEFAULT_SITE_MULTI_VECTORS, type KeywordManifest, type MultiLayout, type MultiStorageKind, type Passage, type PassageMeta, type SiteManifest, type StoredVectors } from './types.js';
import { analyzeKeywords, type KeywordBuild } from './keyword-shards.js';
import { adaptMulti, storeVectors, type MultiPlan } from './vectors.js';
import { DEFAULT_TARGETS, writeShards, type ShardInput, type ShardTargets } from './write.js';
import { buildQueryVocab } from './query-vocab.js';
import { siteIdf } from './site-idf.js';
import type { TokenizerFiles } from '../core/encoder.js';
import { EncodeCache, modelFolder, resolveCacheDir, textKey } from './encode-cache.js';

export const DEFAULT_MAX_TOKENS = 512;

/**
 * `denseBits: 'auto'`: a 1-bit pass pays when a hybrid query would otherwise
 * download at least 2 MiB of int8 rows and the rows are wide enough for their
 * signs to rank (≥ 256 dimensions): BGE-M3's 1024 dimensions from 2,048 passages.
 */
export function denseBitsAuto(passages: number, dim: number): boolean {
  return dim >= 256 && passages * dim >= 2 << 20;
}

export type BuildPhase = 'crawl' | 'chunk' | 'keyword' | 'encode' | 'write';

/** Title and heading terms count this many times in a passage's keyword bag (BM25F-style). */
export const KEYWORD_TITLE_BOOST = 2;

export interface BuildProgress {
  phase: BuildPhase;
  done: number;
  total: number;
  pages: number;
  sections: number;
  passages: number;
  /** Encoding rate so far (passages/s), and the estimated seconds left. */
  rate?: number;
  eta?: number;
}

export interface BuildOptions {
  site: string;
  out: string;
  /**
   * The encoder. Without one the index is keyword-only: no vectors, no
   * tokenizer, no ONNX Runtime on the page.
   */
  encoder?: Encoder;
  /**
   * Language of the site for the keyword analyzer (its stemmer): default the
   * pages' most common `<html lang>`, else detected from the text.
   */
  language?: string;
  /**
   * Character n-grams per word in the keyword index (parts of compounds and
   * inflections a stemmer misses). Default 0 where the language has a stemmer
   * (they would cost bytes on every query), else 4.
   */
  keywordGrams?: number;
  /** Tokens per encoder input, special tokens included (default 512, capped at the model limit). */
  maxTokens?: number;
  overlapTokens?: number;
  /** Multi-vector rows per passage: `nested` (default: at most `maxMultiVectors`), `all` tokens, or `none`. */
  multi?: MultiLayout | 'none';
  /** Row cap under `multi: 'nested'` (default 8). */
  maxMultiVectors?: number;
  /** Multi-vector precision (default int8). */
  multiStorage?: MultiStorageKind;
  /**
   * The dense rows' 1-bit first pass (FORMAT.md): `auto` (default) writes it
   * when the dense rows are wide and many (`denseBitsAuto`), `on` always (with
   * a dense model), `off` never.
   */
  denseBits?: 'auto' | 'on' | 'off';
  crawl?: CrawlOptions;
  /**
   * Index these documents instead of crawling `site` (e.g. a JSONL corpus):
   * each is one page linked at `url` (default `#id`), its text encoded as is —
   * no title prefix — exactly as the engine encodes it, so a site index and an
   * engine index of the same documents rank alike.
   */
  documents?: readonly Doc[];
  batchSize?: number;
  /** Model folder relative to `out` when the model was copied next to the index. */
  modelPath?: string;
  /** With `modelPath`: bytes a page downloads to load the model (recorded in the manifest). */
  modelBytes?: number;
  targets?: Partial<ShardTargets>;
  /**
   * Folder where encoded passages are kept between builds (src/site/encode-cache.ts:
   * keyed by the model's fingerprint and the passage's text, checked on read), so a
   * rebuild encodes only new text — also into an emptied output folder. Never
   * inside `out` or `site` (it would be deployed). Default: none here;
   * `indexSite` and `m3search index` use `.m3search-cache` beside the site folder.
   */
  cache?: string;
  /** Ignore the previous build and the cache (encode everything; the cache is then refreshed). */
  fresh?: boolean;
  /**
   * 'idf': an inference-free site (`--sparse-query idf`): pages load no model
   * and no ONNX Runtime; a query is its tokenizer ids (special tokens
   * dropped) × idf, scored against the passages' stored sparse weights. The
   * model's own idf table when it has one (a doc-only SPLADE model, where this
   * is the default anyway), else one computed from this site's passages
   * (src/site/site-idf.ts) — the only way for BGE-M3's lexical head, which
   * publishes none: experimental, no quality figure. The encoder must have been
   * loaded with `sparseQuery: 'idf'` (indexSite does so) and have a sparse signal.
   */
  sparseQuery?: 'idf';
  signal?: AbortSignal;
  onProgress?: (p: BuildProgress) => void;
}

export interface BuildReport {
  pages: number;
  skippedPages: number;
  /** Sections left out as lists of links (tables of contents, generated indexes; `crawl.linkLists` keeps them). */
  linkListSections: number;
  /** Pages skipped or read with a workaround, each naming its file (unreadable, empty, unknown charset). */
  warnings: { file: string; message: string }[];
  sections: number;
  passages: number;
  chunkedSections: number;
  /** Passages the encoder ran on. */
  encoded: number;
  /** Passages whose vectors came from the previous build in the output folder. */
  reused: number;
  /** Passages whose vectors came from the encode cache (`cache`). */
  cached: number;
  /** The encode cache folder used, if any. */
  cacheDir?: string;
  /** Sections whose cut into passages came from the cache (no tokenizing). */
  cachedCuts: number;
  /** Reused passages whose multi-vectors were re-reduced to the new layout (no encoder run). */
  reshaped: number;
  /** Passages the encoder still cut (should be 0: chunks are sized to fit). */
  truncated: number;
  bytes: SiteManifest['bytes'];
  seconds: number;
  /** Seconds spent reading pages and cutting them into passages (with a model, its tokenizer counts the tokens). */
  crawlSeconds: number;
  /** Seconds spent analyzing passages for the keyword index. */
  keywordSeconds: number;
  /** Seconds inside the encoder (passages/s = encoded / encodeSeconds); reading and writing the cache not included. */
  encodeSeconds: number;
  /** Seconds spent writing shards and the manifest. */
  writeSeconds: number;
  manifest: SiteManifest;
}

export async function buildSiteIndex(opts: BuildOptions): Promise<BuildReport> {
  const t0 = performance.now();
  const encoder = opts.encoder;
  const info = encoder?.info;
  const layout = opts.multi ?? 'nested';
  const denseBits = opts.denseBits ?? 'auto';
  if (!['auto', 'on', 'off'].includes(denseBits)) throw new M3SearchError('INVALID_OPTION', "denseBits must be 'auto', 'on' or 'off'", { denseBits });
  const maxRows = opts.maxMultiVectors ?? DEFAULT_SITE_MULTI_VECTORS;
  if (!Number.isInteger(maxRows) || maxRows < 1) throw new M3SearchError('INVALID_OPTION', 'maxMultiVectors must be a positive integer', { maxMultiVectors: maxRows });
  // A doc-only model has only a sparse query side: no dense or multi-vector shards (nothing could query them).
  // With sparseQuery 'idf' and no table in the model folder, the idf comes from this site's postings.
  const siteTable = opts.sparseQuery === 'idf' && !encoder?.idfQuery ? checkSiteIdf(encoder) : undefined;
  if (opts.sparseQuery !== undefined && opts.sparseQuery !== 'idf') throw new M3SearchError('INVALID_OPTION', `sparseQuery must be 'idf', not ${JSON.stringify(opts.sparseQuery)}.`, { sparseQuery: opts.sparseQuery });
  const docOnly = encoder?.idfQuery ?? siteTable;
  const multi: MultiStorageKind | 'none' = info?.hasMulti && layout !== 'none' && !docOnly ? (opts.multiStorage ?? 'int8') : 'none';
  const denseDim = docOnly ? 0 : (info?.denseDim ?? 0);
  const plan: MultiPlan = { storage: multi, layout: layout === 'none' ? 'all' : layout, maxRows };
  // Sections, not whole pages, are the unit people look for: 512 tokens (what BGE-M3 was mostly
  // trained on for passages) keeps hits precise and multi-vectors small; --max-tokens raises it
  // up to the model's own limit.
  const maxTokens = Math.min(opts.maxTokens ?? DEFAULT_MAX_TOKENS, info?.maxLength ?? Infinity);
  const overlapTokens = opts.overlapTokens ?? Math.min(64, Math.floor(maxTokens / 8));
  const site = path.resolve(opts.site);
  const out = path.resolve(opts.out);
  const relOut = path.relative(site, out).split(path.sep).join('/');
  const exclude = [...(opts.crawl?.exclude ?? []), 'pagefind', ...(relOut && !relOut.startsWith('..') ? [relOut] : [])];
  const progress = { pages: 0, sections: 0, passages: 0 };
  const emit = (phase: BuildPhase, done: number, total: number, extra: Partial<BuildProgress> = {}): void =>
    opts.onProgress?.({ phase, done, total, ...progress, ...extra });

  // 1. Crawl and chunk.
  const files = opts.documents ? [] : await listPages(site, { ...opts.crawl, exclude });
  // The chunker counts every word separately and words repeat a lot: memoize short strings.
  const counted = new Map<string, number>();
  // Without a model, passages are only display units: a word counts as one token per ~4 characters.
  const tokens = encoder ? (t: string): number => encoder.tokenizer.ids(t, { special: false }).length : (t: string): number => Math.max(1, Math.ceil(t.length / 4));
  const count = (t: string): number => {
    if (t.length > 48) return tokens(t);
    let n = counted.get(t);
    if (n === undefined) counted.set(t, (n = tokens(t)));
    return n;
  };
  const specialTokens = encoder ? encoder.tokenizer.ids('', { special: true }).length : 0;
  // With a model, cutting sections means tokenizing them: cuts of unchanged sections come from the cache.
  const cacheRoot = info && opts.cache ? resolveCacheDir(site, out, opts.cache) : undefined;
  const cuts = cacheRoot ? await ChunkCache.open(modelFolder(cacheRoot, info!), { maxTokens, overlapTokens, specialTokens }, !opts.fresh) : undefined;
  const passagesFor = (s: SectionInput): SectionPassages => (cuts ? passagesOf(s, cuts.cut(s, () => cutSection(s, { maxTokens, overlapTokens, count, specialTokens }))) : sectionPassages(s, { maxTokens, overlapTokens, count, specialTokens }));
  const langs = new Map<string, number>();
  const pages: { url: string; title: string }[] = [];
  const passages: Passage[] = [];
  let skippedPages = 0;
  let chunkedSections = 0;
  let linkListSections = 0;
  const warnings: BuildReport['warnings'] = [];
  for (let i = 0; i < files.length; i++) {
    throwIfAborted(opts.signal);
    const file = files[i]!;
    // One page that cannot be read or parsed never stops the build: it is skipped and named.
    const page = await readPage(site, file).catch((e: unknown) => {
      warnings.push({ file, message: `could not be read: ${e instanceof Error ? e.message : String(e)}` });
      return undefined;
    });
    if (!page) {
      skippedPages++;
      emit('crawl', i + 1, files.length);
      continue;
    }
    if (page.warning) warnings.push({ file, message: page.warning });
    const only = opts.crawl?.lang;
    const otherLang = only?.length && page.lang && !only.some((l) => page.lang!.toLowerCase().startsWith(l.toLowerCase()));
    const sections = opts.crawl?.linkLists ? page.sections : page.sections.filter((s) => !isLinkList(s));
    if (!page.skipped && !otherLang) linkListSections += page.sections.length - sections.length;
    if (page.skipped || otherLang || sections.length === 0) skippedPages++;
    else {
      const pageNo = pages.length;
      if (page.lang) langs.set(page.lang, (langs.get(page.lang) ?? 0) + 1);
      pages.push({ url: page.url, title: page.title });
      for (const s of sections) {
        const r = passagesFor({ page: pageNo, pageTitle: page.title, ...s });
        // One by one: a section of a huge page can have more chunks than a call may take arguments.
        for (const p of r.passages) passages.push(p);
        if (r.chunked) chunkedSections++;
        progress.sections++;
      }
    }
    progress.pages = pages.length;
    progress.passages = passages.length;
    emit('crawl', i + 1, files.length);
  }

  for (const [i, doc] of (opts.documents ?? []).entries()) {
    pages.push({ url: doc.url ?? `#${doc.id}`, title: doc.title ?? doc.id });
    const r = passagesFor({ page: i, pageTitle: '', anchor: '', heading: '', text: doc.text, points: [] });
    for (const p of r.passages) passages.push(p);
    if (r.chunked) chunkedSections++;
    progress.sections++;
    progress.pages = pages.length;
    progress.passages = passages.length;
  }

  // An index of nothing would publish a search box that never finds anything: say why instead.
  if (passages.length === 0) {
    const what = opts.documents ? `the document list (${opts.documents.length} documents) has no text` : `${site} has ${files.length} page file(s) but none with indexable text${skippedPages ? ` (${skippedPages} skipped: empty, marked data-m3search-ignore, or another --lang)` : ''}`;
    throw new M3SearchError('INVALID_OPTION', `Nothing to index: ${what}.`, { site, pages: files.length, skipped: skippedPages });
  }

  // 2. Keyword index: the model-free analyzer over title + heading and text.
  const crawlSeconds = (performance.now() - t0) / 1000;
  const tKw = performance.now();
  emit('keyword', 0, passages.length);
  const keyword = await keywordIndex(opts, langs, pages, passages);
  emit('keyword', passages.length, passages.length);
  const keywordSeconds = (performance.now() - tKw) / 1000;

  // 3. Vectors: the previous build's by hash, then the encode cache's, then the encoder for the rest.
  const previous = opts.fresh || !info ? undefined : await readPreviousBuild(out, { fingerprint: info.fingerprint, multi, denseDim });
  // Content-hash reuse never mixes layouts: a previous passage's multi-vectors are re-reduced to
  // the current layout and cap (adaptMulti), or the passage is encoded again.
  const prevMulti = previous?.manifest.shards.multi;
  const from = { layout: prevMulti?.layout ?? 'all', maxRows: prevMulti?.maxRows ?? null } as const;
  let reshaped = 0;
  const vectors: (StoredVectors | undefined)[] = passages.map((p) => {
    const v = previous?.vectors.get(p.hash);
    if (!v) return undefined;
    const m = adaptMulti(v.multi, from, plan, info!.multiDim);
    if (m === undefined) return undefined;
    if (m !== v.multi) reshaped++;
    return { ...v, multi: m };
  });
  const reused = vectors.filter(Boolean).length;
  const cache = cacheRoot ? await EncodeCache.open(cacheRoot, info!, plan) : undefined;
  const keys = cache ? passages.map((p) => textKey(p.encodeText)) : [];
  cache?.use(keys);
  if (cache && !opts.fresh) {
    const want = passages.map((_, i) => i).filter((i) => !vectors[i]);
    // A few reads at a time: thousands of small files.
    for (let g = 0; g < want.length; g += 32) {
      await Promise.all(want.slice(g, g + 32).map(async (i) => void (vectors[i] = await cache.get(keys[i]!))));
    }
  }
  const cached = cache?.hits ?? 0;
  const todo = encoder ? passages.map((_, i) => i).filter((i) => !vectors[i]) : [];
  const group = Math.max(opts.batchSize ?? 16, 64);
  let truncated = 0;
  let encodeMs = 0;
  const tEnc = performance.now();
  emit('encode', 0, todo.length);
  for (let g = 0; g < todo.length; g += group) {
    throwIfAborted(opts.signal);
    const idx = todo.slice(g, g + group);
    const t = performance.now();
    const enc = await encoder!.encode(idx.map((i) => passages[i]!.encodeText), { kind: 'passage', batchSize: opts.batchSize, signal: opts.signal });
    encodeMs += performance.now() - t;
    enc.forEach((e, k) => {
      if (e.truncated) truncated++;
      vectors[idx[k]!] = storeVectors(e, plan);
    });
    if (cache) await Promise.all(idx.map((i) => cache.put(keys[i]!, vectors[i]!)));
    const done = g + idx.length;
    const rate = done / ((performance.now() - tEnc) / 1000);
    emit('encode', done, todo.length, { rate, eta: (todo.length - done) / rate });
  }
  const encodeSeconds = encodeMs / 1000;
  if (cache) {
    // What the previous build gave is kept too, so an emptied output folder costs no encoding next time.
    const missing = passages.map((_, i) => i).filter((i) => vectors[i] && !cache.has(keys[i]!));
    for (let g = 0; g < missing.length; g += 32) await Promise.all(missing.slice(g, g + 32).map((i) => cache.put(keys[i]!, vectors[i]!)));
    await cache.prune();
    warnings.push(...cache.warnings);
  }
  if (cuts) {
    await cuts.save();
    warnings.push(...cuts.warnings);
  }

  // 4. Shards and manifest; then drop the previous build's unused files.
  const tWrite = performance.now();
  emit('write', 0, 1);
  const meta: PassageMeta[] = passages.map((p) => ({ url: pages[p.page]!.url, title: pages[p.page]!.title, anchor: p.anchor, heading: p.heading, text: p.text }));
  // Doc-only: the query side ships as the tokenizer's vocabulary, ids and idf only for the pieces with postings.
  let queryVocab: ShardInput['queryVocab'];
  if (docOnly && info) {
    const postingIds = new Set<number>();
    for (const v of vectors as StoredVectors[]) for (const id of v.sparse.ids) postingIds.add(id);
    const { vocabBytes } = { ...DEFAULT_TARGETS, ...opts.targets };
    const idf = encoder?.idfQuery ? encoder.idfQuery.idf : siteIdfLookup(siteIdf(vectors as StoredVectors[]));
    queryVocab = buildQueryVocab(docOnly.tokenizerJson, docOnly.tokenizerConfig, idf, postingIds, vocabBytes);
  }
  const written = await writeShards(out, {
    meta,
    hashes: passages.map((p) => p.hash),
    vectors: encoder ? (vectors as StoredVectors[]) : null,
    keyword: keyword.build,
    queryVocab,
    denseDim,
    multiDim: info?.multiDim ?? 0,
    multi,
    multiLayout: multi === 'none' ? undefined : { layout: plan.layout, maxRows: plan.layout === 'nested' ? maxRows : null },
    denseBits: denseBits === 'on' || (denseBits === 'auto' && denseBitsAuto(passages.length, denseDim)),
  }, { ...DEFAULT_TARGETS, ...opts.targets });

  const body: Omit<SiteManifest, 'build' | 'createdAt'> = {
    format: 'm3search-site',
    version: 2,
    siteRoot: relUrl(out, site),
    model: info ? {
      id: info.modelId,
      fingerprint: info.fingerprint,
      maxLength: info.maxLength,
      denseDim,
      multiDim: multi === 'none' ? 0 : info.multiDim,
      sparseStyle: info.sparseStyle,
      ...(docOnly ? { query: 'idf' as const, idfFrom: siteTable ? ('site' as const) : ('model' as const) } : {}),
      ...(info.onnxFile ? { onnxFile: info.onnxFile } : {}),
      ...(info.conventions ? { conventions: info.conventions } : {}),
      ...(opts.modelPath ? { path: opts.modelPath } : {}),
      ...(opts.modelPath && opts.modelBytes ? { bytes: opts.modelBytes } : {}),
    } : null,
    chunking: { maxTokens: Number.isFinite(maxTokens) ? maxTokens : DEFAULT_MAX_TOKENS, overlapTokens },
    counts: { pages: pages.length, sections: progress.sections, passages: passages.length, chunkedSections, terms: keyword.build.terms },
    keyword: keyword.manifest,
    shards: written.shards,
    bytes: { ...written.bytes, manifest: 0, total: 0 },
  };
  const build = createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 16);
  const manifest: SiteManifest = { ...body, build, createdAt: new Date().toISOString() };
  let text = JSON.stringify(manifest);
  manifest.bytes.manifest = text.length;
  manifest.bytes.total = Object.entries(manifest.bytes).reduce((s, [k, v]) => (k === 'total' ? s : s + v), 0);
  text = JSON.stringify(manifest);
  // The build being replaced keeps its files until the next build: a page that still holds its
  // manifest reads a consistent (older) index instead of 404s. Anything older goes.
  const replaced = await readManifest(out);
  const keep = new Set(written.files);
  if (replaced) for (const f of await buildFiles(out, replaced)) keep.add(f);
  await writeFile(path.join(out, 'manifest.json.tmp'), text);
  await rename(path.join(out, 'manifest.json.tmp'), path.join(out, 'manifest.json'));
  await removeStale(out, keep);
  emit('write', 1, 1);
  const writeSeconds = (performance.now() - tWrite) / 1000;

  return {
    pages: pages.length,
    skippedPages,
    linkListSections,
    warnings,
    sections: progress.sections,
    passages: passages.length,
    chunkedSections,
    encoded: todo.length,
    reused,
    cached,
    cachedCuts: cuts?.hits ?? 0,
    ...(cache ? { cacheDir: path.dirname(cache.dir) } : {}),
    reshaped,
    truncated,
    bytes: manifest.bytes,
    seconds: (performance.now() - t0) / 1000,
    crawlSeconds,
    keywordSeconds,
    encodeSeconds,
    writeSeconds,
    manifest,
  };
}

/** Analyzes every passage for the keyword index, in the site's language (what the page must repeat: see KeywordManifest). */
async function keywordIndex(
  opts: BuildOptions,
  langs: ReadonlyMap<string, number>,
  pages: readonly { title: string }[],
  passages: readonly Passage[],
): Promise<{ build: KeywordBuild; manifest: KeywordManifest }> {
  let language = opts.language;
  if (!language) {
    let top = 0;
    for (const [l, n] of langs) if (n > top) [language, top] = [l, n];
  }
  // Every 10th passage is plenty to tell a language by its function words.
  language = (language?.trim().toLowerCase().split(/[-_]/)[0] || undefined) ?? detectLanguage(passages.filter((_, i) => i % 10 === 0).map((p) => p.text));
  const wordGrams = opts.keywordGrams ?? (language && STEM_LANGUAGES.includes(language) ? 0 : 4);
  if (!Number.isInteger(wordGrams) || wordGrams < 0) throw new M3SearchError('INVALID_OPTION', 'keywordGrams must be an integer ≥ 0', { keywordGrams: wordGrams });
  const analyzer = new Analyzer({ language, stemmers: await loadStemmers(language), wordGrams });
  const build = analyzeKeywords(
    analyzer,
    passages.map((p) => ({ title: [pages[p.page]?.title, p.heading].filter(Boolean).join(' '), text: p.text })),
    { bm25: KEYWORD_BM25, titleBoost: KEYWORD_TITLE_BOOST, shardBytes: { ...DEFAULT_TARGETS, ...opts.targets }.keywordBytes },
  );
  return {
    build,
    manifest: {
      analyzer: { language: language ?? null, stemmers: [...analyzer.stemmed].sort(), wordGrams },
      k1: KEYWORD_BM25.k1,
      b: KEYWORD_BM25.b,
      titleBoost: KEYWORD_TITLE_BOOST,
    },
  };
}

/** The site root as a URL relative to the index folder (`../` for `<site>/m3search`). */
function relUrl(from: string, to: string): string {
  const rel = path.relative(from, to).split(path.sep).join('/');
  return rel === '' ? './' : `${rel}/`;
}

/** Deletes files under shards/ that `keep` does not name, and the tokenizer/ folder older builds wrote. */
async function removeStale(out: string, keep: ReadonlySet<string>): Promise<void> {
  await rm(path.join(out, 'tokenizer'), { recursive: true, force: true });
  for (const dir of ['shards']) {
    const names = await readdir(path.join(out, dir)).catch(() => [] as string[]);
    for (const name of names) if (!keep.has(`${dir}/${name}`)) await rm(path.join(out, dir, name), { force: true });
  }
}

/** `sparseQuery: 'idf'` without the model's own table: the encoder must carry its tokenizer files and a sparse signal. */
function checkSiteIdf(encoder: Encoder | undefined): TokenizerFiles {
  if (!encoder) throw new M3SearchError('INVALID_OPTION', "sparseQuery 'idf' (--sparse-query idf) needs a model (--model DIR|URL); this index is keyword-only.", { sparseQuery: 'idf' });
  if (encoder.info.sparseStyle === 'none') throw new M3SearchError('INVALID_OPTION', "sparseQuery 'idf' needs a model with a sparse signal (a lexical head or MLM logits); this one has dense only.", { sparseQuery: 'idf' });
  if (!encoder.tokenizerFiles) throw new M3SearchError('INVALID_OPTION', "sparseQuery 'idf': load the encoder with sparseQuery: 'idf' (it then keeps the tokenizer files the pages need).", { sparseQuery: 'idf' });
  return encoder.tokenizerFiles;
}

/** A site-computed table (by id) as buildQueryVocab looks weights up. */
function siteIdfLookup(idf: ReadonlyMap<number, number>): (piece: string, id: number) => number | undefined {
  return (_piece, id) => idf.get(id);
}
