// Index open time from the serialized form: SearchIndex.deserialize (the
// snapshot of src/core/snapshot.ts) against the text engines reloading their
// own serializations of the same passages. Reading the bytes is not timed
// (the browser helper measures IndexedDB separately).
import { create, load, save } from '@orama/orama';
import MiniSearch from 'minisearch';
import { LexicalIndex } from '../../src/core/lexical-index.js';
import { SearchIndex } from '../../src/core/search-index.js';
import type { BenchContext, BenchRow, BenchSection } from '../section.js';
import { gc, median, ratio, repeat } from '../stats.js';
import { FULL_SHAPES, QUICK_SHAPES, syntheticCorpus } from '../synthetic.js';
import { benchTokenizer, buildLexical, buildMiniSearch, buildOrama, cachedTokenIds, ORAMA_SCHEMA } from '../texts.js';

interface Case {
  passages: number;
  withMulti: boolean;
}

const cases = (quick: boolean): Case[] =>
  quick
    ? [{ passages: 50, withMulti: true }, { passages: 200, withMulti: false }]
    : [{ passages: 1_000, withMulti: true }, { passages: 10_000, withMulti: false }];

export const openSection: BenchSection = {
  name: 'open',
  title: 'Index open time from its serialized form (bytes already in memory)',
  notes(ctx) {
    const [a, b] = cases(ctx.quick);
    return [
      `${a!.passages.toLocaleString('en-US')} passages with token vectors (dense float32, multi float16: the defaults) and ${b!.passages.toLocaleString('en-US')} without (dense + sparse only; token vectors at 10k would be 3 GB); median over up to ${ctx.reps} repetitions.`,
      'Ours: SearchIndex.deserialize(bytes) (validates and rebuilds the inverted index) and LexicalIndex.deserialize; MiniSearch.loadJSON(string) and Orama load(JSON.parse(string)) on their own serializations of the same texts. "vs minisearch" = our time / MiniSearch\'s at the same size.',
    ];
  },
  async run(ctx) {
    const shapes = ctx.quick ? QUICK_SHAPES : FULL_SHAPES;
    const { tokenizer } = await benchTokenizer(ctx);
    const rows: BenchRow[] = [];
    for (const c of cases(ctx.quick)) {
      ctx.log(`open: ${c.passages} passages`);
      const corpus = syntheticCorpus({ size: c.passages, queries: 1, shapes, seed: ctx.seed + 7, withMulti: c.withMulti });
      const sized: BenchRow[] = [];
      const add = (what: string, bytes: number, ms: number): void => {
        sized.push({ passages: c.passages, what, MB: bytes / 1e6, 'open ms': ms, 'MB/s': bytes / 1e6 / (ms / 1000) });
      };

      let index: SearchIndex | undefined = new SearchIndex();
      corpus.docs.forEach((d, i) => index!.add(d, corpus.encoded[i]!));
      const snapshot = index.serialize();
      index = undefined;
      gc();
      add(`SearchIndex.deserialize (${c.withMulti ? 'dense + sparse + multi' : 'dense + sparse'})`, snapshot.byteLength, await openMs(ctx, () => SearchIndex.deserialize(snapshot)));

      const lexical = buildLexical(corpus.docs, cachedTokenIds(tokenizer)).serialize();
      add('LexicalIndex.deserialize (ours, tokenizer-only)', lexical.byteLength, await openMs(ctx, () => LexicalIndex.deserialize(lexical)));

      const msJson = JSON.stringify(buildMiniSearch(corpus.docs));
      add('MiniSearch.loadJSON', Buffer.byteLength(msJson), await openMs(ctx, () => MiniSearch.loadJSON(msJson, { fields: ['text'] })));

      const oramaJson = JSON.stringify(save(await buildOrama(corpus.docs)));
      add('Orama load', Buffer.byteLength(oramaJson), await openMs(ctx, () => load(create({ schema: ORAMA_SCHEMA }), JSON.parse(oramaJson) as Parameters<typeof load>[1])));
      gc();

      const mini = sized.find((r) => String(r.what).startsWith('MiniSearch'))!['open ms'] as number;
      for (const r of sized) r['vs minisearch'] = String(r.what).startsWith('MiniSearch') ? null : ratio(r['open ms'] as number, mini);
      rows.push(...sized);
    }
    return rows;
  },
};

async function openMs(ctx: BenchContext, open: () => unknown): Promise<number> {
  const times = await repeat(ctx.reps, ctx.quick ? 5_000 : 30_000, async () => {
    const t0 = performance.now();
    await open();
    return performance.now() - t0;
  });
  return median(times);
}
