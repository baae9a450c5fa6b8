// Bytes of the doc-only query-side vocabulary (src/site/query-vocab.ts) with the real
// bert-base-uncased tokenizer over SciFact: all shards, and what a first query reads
// (cold, gzip sizes), per shard target. `npx tsx scripts/doc-only-vocab-bytes.ts`
// (needs ../shared: tokenizers/bert-base-uncased and data/scifact). The idf table is generated.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { createTokenizer } from '../src/model/tokenizer.js';
import { parseIdf } from '../src/model/splade-query.js';
import { buildQueryVocab, encodeVocabShard, QueryVocabulary } from '../src/site/query-vocab.js';
const S = process.env.M3S_SHARED_DIR ?? path.resolve(import.meta.dirname, '../../shared');
const dir = path.join(S, 'tokenizers/bert-base-uncased');
const tj = JSON.parse(readFileSync(path.join(dir, 'tokenizer.json'), 'utf8'));
const tc = JSON.parse(readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8'));
const full = createTokenizer(tj, tc);
const raw: Record<string, number> = {};
for (const [p, id] of Object.entries(tj.model.vocab as Record<string, number>)) raw[p] = 1 + (id % 7);
const idf = parseIdf(raw);
const lines = (f: string, n: number) => readFileSync(f, 'utf8').split('\n').filter(Boolean).slice(0, n).map((l) => JSON.parse(l));
const docs = lines(path.join(S, 'data/scifact/corpus.jsonl'), 5183);
const post = new Set<number>();
for (const d of docs) for (const id of full.ids(`${d.title} ${d.text}`, { special: false })) post.add(id);
const queries = lines(path.join(S, 'data/scifact/queries.jsonl'), 200).map((q) => q.text as string);
const two = queries.map((q) => q.split(/\s+/).slice(0, 2).join(' '));
console.log('scifact: 5,183 docs; pieces with postings', post.size, 'of', Object.keys(tj.model.vocab).length, '; full tokenizer.json gz KiB', (gzipSync(readFileSync(path.join(dir, 'tokenizer.json')), { level: 9 }).length / 1024).toFixed(1));
console.log('| shard target | shards | vocab gz KiB (all) | 2-word query KiB | whole claim (~12 words) KiB |');
for (const kb of [1, 2, 4, 8]) {
  const b = buildQueryVocab(tj, tc, idf, post, kb << 10);
  const gz = b.shards.map(({ shard }) => gzipSync(encodeVocabShard(shard, b.model), { level: 9 }).length);
  const tok = gzipSync(new TextEncoder().encode(JSON.stringify(b.tokenizer)), { level: 9 }).length;
  const measure = async (qs: string[]) => {
    let sum = 0;
    for (const q of qs) {
      const qv = new QueryVocabulary({ ...b, firsts: b.shards.map((s) => s.first) }, b.tokenizer, async (i) => ((sum += gz[i]!), b.shards[i]!.shard)); // BERT WordPiece: the page's own tokenizer, no library
      await qv.vector(q);
      sum += tok;
    }
    return sum / qs.length / 1024;
  };
  console.log(`| ${kb} KiB | ${gz.length} | ${((gz.reduce((a, c) => a + c, 0) + tok) / 1024).toFixed(1)} | ${(await measure(two)).toFixed(1)} | ${(await measure(queries)).toFixed(1)} |`);
}
