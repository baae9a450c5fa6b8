// A judged collection for the quality columns of the multi-budget, sparse-l0
// sections: Cranfield from ../shared when present (never in quick mode, which
// must take seconds), else the sample corpus with each passage's first words
// as its query (so the sections still run where ../shared is missing).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Doc } from '../src/core/types.js';
import { loadBeir } from '../src/eval/beir.js';
import type { Judgments } from '../src/eval/metrics.js';
import { docText } from '../src/eval/run.js';
import type { BenchContext } from './section.js';

export interface Judged {
  name: string;
  corpus: Doc[];
  queries: { id: string; text: string }[];
  qrels: ReadonlyMap<string, Judgments>;
}

export async function judgedCollection(ctx: BenchContext): Promise<Judged> {
  const dir = path.join(ctx.sharedDir, 'data', 'cranfield');
  // Quick (CI smoke) mode: the small sample corpus, whatever is installed.
  if (!ctx.quick && existsSync(dir)) {
    const data = await loadBeir({ data: dir });
    // Cranfield has a few empty records; the encoder refuses empty text.
    return { name: data.name, corpus: data.corpus.filter((d) => docText(d).trim() !== ''), queries: data.queries, qrels: data.qrels };
  }
  const corpus = sampleCorpus(ctx).slice(0, ctx.quick ? 24 : undefined);
  const queries = corpus.filter((_, i) => i % 3 === 0).map((d) => ({ id: `q-${d.id}`, text: d.text.split(/\s+/).slice(0, 8).join(' ') }));
  const qrels = new Map(queries.map((q) => [q.id, new Map([[q.id.slice(2), 1]])] as const));
  return { name: 'sample corpus (self-queries)', corpus, queries, qrels };
}

export function sampleCorpus(ctx: BenchContext): Doc[] {
  return readFileSync(path.join(ctx.root, 'public', 'sample-corpus.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Doc);
}
