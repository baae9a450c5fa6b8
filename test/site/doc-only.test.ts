// Doc-only ("inference-free") static sites (issue #15): documents encoded by the
// MLM at build time, queries built on the page from the shipped vocabulary.
// - page-side query vectors equal idfQueryVector over the full tokenizer, on the
//   generated test models (Unigram through the tokenizer library, the doc-only
//   WordPiece one through the page's small tokenizer) and on the real
//   bert-base-uncased and bert-base-chinese WordPiece tokenizers with a few
//   hundred real queries and hard strings (words absent from the site included);
// - site scores equal the reference formula computed here, independently: document
//   = max over positions of log(1 + relu(logits)) with the special token ids dropped
//   (every non-padding position pooled, as OpenSearch's doc-only models and SPLADE
//   do); query = idf of its token ids; score = dot product.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEncoder } from '../../src/model/load.js';
import { idfQueryVector, parseIdf } from '../../src/model/splade-query.js';
import { createTokenizer, type JsonObject } from '../../src/model/tokenizer.js';
import type { M3Encoder } from '../../src/model/encoder.js';
import { fsSource } from '../../src/node/fs-source.js';
import { buildSiteIndex } from '../../src/site/build.js';
import { openIndexDir } from '../../src/site/node-reader.js';
import { checkManifest } from '../../src/site/integrity.js';
import { buildQueryVocab, decodeVocabShard, encodeVocabShard, QueryVocabulary, type TokenizerLike } from '../../src/site/query-vocab.js';
import { searchSite } from '../../src/site/search.js';
import type { SiteIndexReader } from '../../src/site/query.js';
import { testModel } from '../helpers/test-model.js';
import { HARD } from './tokenizer-strings.js';
import { SHARED_DIR as SHARED } from '../helpers/shared.js';

const json = (file: string): JsonObject => JSON.parse(readFileSync(file, 'utf8')) as JsonObject;
const pairs = (v: { ids: Uint32Array; weights: Float32Array }): [number, number][] => [...v.ids].map((id, i) => [id, v.weights[i]!]);
const factory = (j: Record<string, unknown>, c: Record<string, unknown>) => new Tokenizer(j as never, c as never) as unknown as TokenizerLike & { model: unknown };

/** Queries that stress segmentation: words absent from any site, accents, CJK, punctuation, a word past WordPiece's 100 characters. */
const ODD = ['Zürich naïve café', 'unbelievably-unforgettable', '東京 検索 データ', 'x'.repeat(120) + ' search', 'C++ & Rust: zero-cost?', 'supercalifragilisticexpialidocious', '  ', 'ÅÄÖ åäö ßẞ', '🙂 emoji 👍🏽', 'hypothalamic-pituitary'];

/** The page side over one tokenizer: vocabulary shards encoded and decoded as a site ships them. */
function pageSide(tokJson: JsonObject, tokConfig: JsonObject, idf: ReadonlyMap<string, number>, postingIds: ReadonlySet<number>, shardBytes: number, create: typeof factory | undefined = factory): { qv: QueryVocabulary; fetched: Set<number>; shards: number } {
  const build = buildQueryVocab(tokJson, tokConfig, idf, postingIds, shardBytes);
  const bytes = build.shards.map(({ shard }) => encodeVocabShard(shard, build.model));
  const fetched = new Set<number>();
  const info = { ...build, firsts: build.shards.map((s) => s.first) };
  const qv = new QueryVocabulary(info, JSON.parse(JSON.stringify(build.tokenizer)), async (i) => (fetched.add(i), decodeVocabShard(bytes[i]!, build.model, build.vocabSize)), create);
  return { qv, fetched, shards: bytes.length };
}

/** BERT WordPiece runs as the page's small tokenizer: a call to the library's factory fails the test. */
const noLibrary = (): never => {
  throw new Error('the tokenizer library was used for a BERT WordPiece tokenizer');
};

/** The reference vector restricted to the pieces with postings (the only ones a site can score). */
function restricted(v: { ids: Uint32Array; weights: Float32Array }, postingIds: ReadonlySet<number>): [number, number][] {
  return pairs(v).filter(([id]) => postingIds.has(id)).map(([id, w]) => [id, Math.fround(w)]);
}

describe('doc-only query side on the page equals idfQueryVector over the full tokenizer', () => {
  const lines = (f: string, n: number) => readFileSync(f, 'utf8').split('\n').filter(Boolean).slice(0, n).map((l) => JSON.parse(l) as { text: string; title?: string });

  /**
   * A real WordPiece tokenizer from ../shared over a "site" of `docs` (its
   * postings: the pieces their text tokenizes to) and a generated idf table
   * (every 11th piece left out, weights spread by id): every query's page-side
   * vector, on one long-lived page and, for every 10th, on a fresh one, equals
   * the full tokenizer's — with the page's small tokenizer, never the library.
   */
  async function wordPieceSite(name: string, docs: { text: string; title?: string }[], queries: string[]): Promise<void> {
    const dir = path.join(SHARED, 'tokenizers', name);
    const tokJson = json(path.join(dir, 'tokenizer.json'));
    const configFile = path.join(dir, 'tokenizer_config.json');
    const tokConfig = existsSync(configFile) ? json(configFile) : {};
    const full = createTokenizer(tokJson, tokConfig);
    const vocab = (tokJson.model as { vocab: Record<string, number> }).vocab;
    const raw: Record<string, number> = {};
    for (const [piece, id] of Object.entries(vocab)) if (id % 11 !== 3) raw[piece] = 0.25 + ((id * 2654435761) % 1000) / 125;
    const idf = parseIdf(raw);
    const postingIds = new Set<number>();
    for (const d of docs) for (const id of full.ids(`${d.title ?? ''} ${d.text}`, { special: false })) if (!full.specialIds.has(id)) postingIds.add(id);
    const { qv, fetched, shards } = pageSide(tokJson, tokConfig, idf, postingIds, 2 << 10, noLibrary);
    let absentWords = 0;
    let perQuery = 0;
    let firstQueries = 0;
    for (const [i, q] of queries.entries()) {
      const want = restricted(idfQueryVector(full, q, idf), postingIds);
      expect(pairs(await qv.vector(q)), q).toEqual(want);
      if (i % 10 === 0) {
        const cold = pageSide(tokJson, tokConfig, idf, postingIds, 2 << 10, noLibrary);
        expect(pairs(await cold.qv.vector(q)), q).toEqual(want);
        perQuery += cold.fetched.size;
        firstQueries++;
      }
      for (const id of full.ids(q, { special: false })) if (!postingIds.has(id)) absentWords++;
    }
    expect(absentWords).toBeGreaterThan(100); // the queries do hold pieces the site lacks
    // A first query reads a small part of the vocabulary (every 10th query, each on a fresh page).
    expect(perQuery / firstQueries).toBeLessThan(shards / 5);
    expect(fetched.size).toBeLessThan(shards);
  }

  it('bert-base-uncased (WordPiece) with 400 real queries, hard strings and a generated idf table', async () => {
    // The "site": 300 SciFact documents. Queries from two collections: most hold words no site document has.
    const docs = lines(path.join(SHARED, 'data', 'scifact', 'corpus.jsonl'), 300);
    const queries = [...lines(path.join(SHARED, 'data', 'scifact', 'queries.jsonl'), 250), ...lines(path.join(SHARED, 'data', 'cranfield', 'queries.jsonl'), 150)].map((q) => q.text);
    queries.push(...ODD, ...HARD);
    expect(queries.length).toBeGreaterThanOrEqual(450);
    await wordPieceSite('bert-base-uncased', docs, queries);
  }, 120_000);

  it('bert-base-chinese (cased WordPiece, one piece per ideograph) with 300 Chinese queries and hard strings', async () => {
    const docs = lines(path.join(SHARED, 'data', 'cmrc2018-retrieval-zh', 'corpus.jsonl'), 200);
    const queries = [...lines(path.join(SHARED, 'data', 'cmrc2018-retrieval-zh', 'queries.jsonl'), 200), ...lines(path.join(SHARED, 'data', 'xquad', 'zh', 'queries.jsonl'), 100)].map((q) => q.text);
    queries.push(...ODD, ...HARD);
    await wordPieceSite('bert-base-chinese', docs, queries);
  }, 120_000);

  it('the generated test models: Unigram (the splade folder) through the library, the doc-only WordPiece one without it', async () => {
    const m = await testModel();
    const corpus = readFileSync(path.resolve(__dirname, '../../public/sample-corpus.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { text: string });
    // Queries: sentences of the other half of the corpus, and odd ones.
    const queries = corpus.slice(corpus.length >> 1).flatMap((d) => d.text.split(/[.!?]\s+/)).filter((s) => s.trim()).slice(0, 200);
    queries.push(...ODD, ...HARD);
    for (const [dir, create] of [[m.layouts.splade, factory], [m.docOnly, noLibrary]] as const) {
      const tokJson = json(path.join(dir, 'tokenizer.json'));
      const tokConfig = json(path.join(dir, 'tokenizer_config.json'));
      const full = createTokenizer(tokJson, tokConfig);
      // The doc-only model's own idf.json; for the Unigram tokenizer, the same kind of table generated here.
      const idf =
        dir === m.docOnly
          ? parseIdf(json(path.join(dir, 'idf.json')))
          : parseIdf(Object.fromEntries((tokJson.model as { vocab: [string, number][] }).vocab.filter((_, i) => i % 13 !== 5).map(([p], i) => [p, 0.5 + (i % 61) / 8])));
      const postingIds = new Set<number>();
      for (const d of corpus.slice(0, corpus.length >> 1)) for (const id of full.ids(d.text, { special: false })) postingIds.add(id);
      const { qv } = pageSide(tokJson, tokConfig, idf, postingIds, 2 << 10, create);
      for (const q of queries) expect(pairs(await qv.vector(q)), `${path.basename(dir)}: ${q}`).toEqual(restricted(idfQueryVector(full, q, idf), postingIds));
    }
  }, 60_000);

  it('refuses a BPE tokenizer (a word is not split by its substrings alone) as MODEL_FILES', () => {
    const bpe = { model: { type: 'BPE', vocab: { a: 0 }, merges: [] } };
    expect(() => buildQueryVocab(bpe, {}, new Map(), new Set(), 1024)).toThrow(expect.objectContaining({ code: 'MODEL_FILES' }));
  });
});

describe('a static site built with a doc-only model', () => {
  let dir: string;
  let encoder: M3Encoder;
  let reader: SiteIndexReader;
  let modelDir: string;
  let docs: { id: string; text: string }[];

  beforeAll(async () => {
    modelDir = (await testModel()).docOnly;
    // The reference formula has no punctuation filter: the build is made without it too.
    encoder = await loadEncoder(fsSource(modelDir), { ort, punctuationFilter: false });
    docs = readFileSync(path.resolve(__dirname, '../../public/sample-corpus.jsonl'), 'utf8').split('\n').filter(Boolean).map((l, i) => ({ id: `d${i}`, text: (JSON.parse(l) as { text: string }).text }));
    dir = await mkdtemp(path.join(os.tmpdir(), 'm3search-doconly-'));
    await buildSiteIndex({ site: dir, out: path.join(dir, 'idx'), encoder, documents: docs, targets: { vocabBytes: 2 << 10 } });
    reader = await openIndexDir(path.join(dir, 'idx'));
  }, 120_000);

  afterAll(async () => {
    await encoder?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('ships no dense or multi-vector shards, and the query vocabulary in shards', async () => {
    const m = reader.manifest;
    expect(m.model).toMatchObject({ query: 'idf', denseDim: 0, multiDim: 0, sparseStyle: 'splade' });
    expect(m.shards.dense.files).toEqual([]);
    expect(m.shards.multi.storage).toBe('none');
    expect(m.shards.vocab!.files.length).toBeGreaterThan(3);
    expect(m.counts.passages).toBe(docs.length);
    const files = await readdir(path.join(dir, 'idx', 'shards'));
    expect(files.some((f) => f.startsWith('dense-') || f.startsWith('multi-'))).toBe(false);
    // The manifest check: a doc-only model without its vocabulary, or a vocabulary on another index, is INVALID_INDEX.
    const { vocab, ...noVocab } = m.shards;
    expect(() => checkManifest({ ...m, shards: noVocab }, 'manifest.json')).toThrow(expect.objectContaining({ code: 'INVALID_INDEX' }));
    expect(() => checkManifest({ ...m, model: { ...m.model!, query: undefined } }, 'manifest.json')).toThrow(expect.objectContaining({ code: 'INVALID_INDEX' }));
    expect(() => checkManifest({ ...m, shards: { ...m.shards, vocab: { ...vocab!, files: [...vocab!.files].reverse() } } }, 'manifest.json')).toThrow(/out of order/);
  });

  it('scores every passage as the reference formula does (document SPLADE-max, query idf, dot product)', async () => {
    const tokJson = json(path.join(modelDir, 'tokenizer.json'));
    const tok = new Tokenizer(tokJson as never, json(path.join(modelDir, 'tokenizer_config.json')) as never);
    // The doc-only test model is WordPiece (piece → id); its unknown token is an added special token.
    const special = new Set((tokJson.added_tokens as { id: number; special: boolean }[]).filter((t) => t.special).map((t) => t.id));
    const pieces: string[] = [];
    for (const [p, id] of Object.entries((tokJson.model as { vocab: Record<string, number> }).vocab)) pieces[id] = p;
    const idf = json(path.join(modelDir, 'idf.json')) as Record<string, number>;
    const session = await ort.InferenceSession.create(path.join(modelDir, reader.manifest.model!.onnxFile!));
    // The per-position MLM logits (the graph's `logits` output is their max over positions, which the
    // encoder reads; the reference pools them itself).
    const logitsName = 'token_logits';
    expect(session.outputNames).toContain(logitsName);
    // Document side, per passage: max over positions, log(1 + relu(x)), special ids dropped.
    const docVec: Map<number, number>[] = [];
    for (const d of docs) {
      const ids = tok.encode(d.text).ids;
      const t = (v: number[]) => new ort.Tensor('int64', BigInt64Array.from(v.map(BigInt)), [1, v.length]);
      const out = await session.run({ input_ids: t(ids), attention_mask: t(ids.map(() => 1)) });
      const logits = out[logitsName]!.data as Float32Array;
      const V = pieces.length;
      const best = new Float64Array(V).fill(-Infinity);
      ids.forEach((_, pos) => {
        for (let v = 0; v < V; v++) best[v] = Math.max(best[v]!, logits[pos * V + v]!);
      });
      const m = new Map<number, number>();
      best.forEach((x, v) => {
        const w = Math.log(1 + Math.max(0, x));
        if (w > 0 && !special.has(v)) m.set(v, w);
      });
      docVec.push(m);
    }
    // The generated model is as sparse as a trained doc-only model (a few hundred ids per passage at most,
    // not thousands): a passage's own tokens and a bounded expansion.
    const l0 = docVec.map((m) => m.size).sort((a, b) => a - b);
    const tokens = docs.map((d) => tok.encode(d.text).ids.length).sort((a, b) => a - b);
    console.log(`doc-only test model: ids per passage p10 ${l0[Math.floor(l0.length * 0.1)]} · median ${l0[l0.length >> 1]} · max ${l0[l0.length - 1]} (${docs.length} passages of median ${tokens[tokens.length >> 1]} tokens)`);
    expect(l0[l0.length >> 1]).toBeGreaterThan(20);
    expect(l0[l0.length - 1]).toBeLessThan(600);
    const queries = ['search engine index', 'capital city of Japan', 'coffee and tea recipes', 'neural ranking of documents', 'water in the summer', 'Tokyo Paris London'];
    let compared = 0;
    for (const q of queries) {
      // Query side: its token ids (specials dropped, once each), weighted by idf.json.
      const qv = new Map<number, number>();
      for (const id of tok.encode(q, { add_special_tokens: false }).ids) if (!special.has(id) && idf[pieces[id]!] !== undefined && idf[pieces[id]!]! > 0) qv.set(id, idf[pieces[id]!]!);
      const ref = docVec.map((dv) => [...qv].reduce((s, [id, w]) => s + w * (dv.get(id) ?? 0), 0));
      const res = await searchSite(reader, q, { mode: 'sparse', k: docs.length, candidates: docs.length });
      const got = new Map(res.hits.map((h) => [h.passage, h.score]));
      ref.forEach((r, p) => {
        // Document weights are stored as float16 (relative error ≤ 2^-11 each).
        const tol = 1e-3 * [...qv].reduce((s, [id, w]) => s + w * (docVec[p]!.get(id) ?? 0), 0) + 1e-6;
        if (r > 0) {
          expect(got.get(p), `${q} / passage ${p}`).toBeDefined();
          expect(Math.abs(got.get(p)! - r), `${q} / passage ${p}`).toBeLessThanOrEqual(tol);
          compared++;
        } else expect(got.has(p)).toBe(false);
      });
    }
    expect(compared).toBeGreaterThan(20);
  }, 120_000);

  it('needs no encoder: a sparse query reads the vocabulary shards its words need and the postings', async () => {
    const read: string[] = [];
    const r = await openIndexDir(path.join(dir, 'idx'), (f) => read.push(f));
    const res = await searchSite(r, 'search engine', { mode: 'sparse' });
    expect(res.hits.length).toBeGreaterThan(0);
    expect(read.some((f) => f.includes('/vocab-'))).toBe(true);
    expect(read.some((f) => f.includes('/qtok.'))).toBe(true);
    const vocabRead = read.filter((f) => f.includes('/vocab-')).length;
    expect(vocabRead).toBeLessThan(r.manifest.shards.vocab!.files.length);
    await expect(searchSite(r, 'search', { mode: 'dense' })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    // The engine surface: a doc-only encoder answers query encodes with the idf vector, no forward pass.
    const passes = encoder.passes;
    const [enc] = await encoder.encode(['search engine'], { kind: 'query' });
    expect(encoder.passes).toBe(passes);
    expect(pairs(enc!.sparse)).toEqual(pairs(idfQueryVector(encoder.tokenizer, 'search engine', encoder.idfQuery!.idf)));
    expect(enc!.dense.length).toBe(0);
  });
});

describe('a SPLADE model encodes in batches whose [B,T,V] logits stay near 32 MB', () => {
  it('cuts batches by batch × length × vocabulary size, unless maxBatchTokens is given', async () => {
    const encoder = await loadEncoder(fsSource((await testModel()).docOnly), { ort });
    try {
      const text = readFileSync(path.resolve(__dirname, '../../public/sample-corpus.jsonl'), 'utf8').split('\n').filter(Boolean).slice(0, 3).map((l) => (JSON.parse(l) as { text: string }).text).join(' ');
      const len = encoder.tokenizer.ids(text).length;
      const perBatch = Math.max(1, Math.floor((1 << 23) / encoder.info.vocabSize / len));
      expect(perBatch).toBeLessThan(4); // the cap, not the 16-text default, decides here
      const texts = [text, `${text} a`, `${text} b`, `${text} c`];
      let passes = encoder.passes;
      const capped = await encoder.encode(texts, { kind: 'passage' });
      expect(encoder.passes - passes).toBe(Math.ceil(texts.length / perBatch));
      passes = encoder.passes;
      const wide = await encoder.encode(texts, { kind: 'passage', maxBatchTokens: 16384 });
      expect(encoder.passes - passes).toBe(1);
      // The same vectors either way (padding never reaches a passage's pooled logits).
      for (let i = 0; i < texts.length; i++) {
        expect([...capped[i]!.sparse.ids]).toEqual([...wide[i]!.sparse.ids]);
        capped[i]!.sparse.weights.forEach((w, j) => expect(Math.abs(w - wide[i]!.sparse.weights[j]!)).toBeLessThan(1e-4));
      }
    } finally {
      await encoder.dispose();
    }
  }, 60_000);
});

describe('vocabulary shards', () => {
  const tokJson = { model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', vocab: { '[UNK]': 0, run: 1, '##ning': 2, '##s': 3, walk: 4 } }, added_tokens: [{ id: 0, content: '[UNK]', special: true }] };

  it('round-trips pieces, scores and weights; only pieces with postings carry id and idf', () => {
    const b = buildQueryVocab(tokJson, {}, new Map([['run', 2], ['##ning', 1.5], ['walk', 3]]), new Set([1, 2]), 4);
    expect(b.weighted).toBe(2); // walk has an idf but no postings
    const all = b.shards.flatMap(({ shard }) => decodeVocabShard(encodeVocabShard(shard, b.model), b.model, b.vocabSize).entries);
    expect(all.map((e) => e.piece)).toEqual(['##ning', '##s', '[UNK]', 'run', 'walk']);
    expect(all.filter((e) => e.weighted).map((e) => [e.piece, e.weighted!.id, e.weighted!.weight])).toEqual([['##ning', 2, 1.5], ['run', 1, 2]]);
    expect(b.shards[0]!.first).toBe('');
    for (let i = 1; i < b.shards.length; i++) expect(b.shards[i]!.first > b.shards[i - 1]!.first).toBe(true);
  });

  it('refuses damaged shards: pieces out of order, ids past the vocabulary, non-positive weights', () => {
    const enc = (entries: { piece: string; weighted?: { id: number; weight: number } }[]) => encodeVocabShard({ shard: 0, entries }, 'WordPiece');
    expect(() => decodeVocabShard(enc([{ piece: 'b' }, { piece: 'a' }]), 'WordPiece', 10)).toThrow(/out of order/);
    expect(() => decodeVocabShard(enc([{ piece: 'a', weighted: { id: 12, weight: 1 } }]), 'WordPiece', 10)).toThrow(/id 12/);
    expect(() => decodeVocabShard(enc([{ piece: 'a', weighted: { id: 1, weight: 0 } }]), 'WordPiece', 10)).toThrow(/weight/);
    const ok = enc([{ piece: 'a' }]);
    expect(() => decodeVocabShard(ok.subarray(0, ok.length - 4), 'WordPiece', 10)).toThrow();
  });
});
