// Bytes per passage for each representation and storage: what the index
// holds in memory (its own accounting, SearchIndex.stats) and what it stores
// (the StoredRecord buffers that go to IndexedDB, and the whole snapshot),
// plus the measured heap growth of each engine for the same passages.
import { save } from '@orama/orama';
import { SearchIndex } from '../../src/core/search-index.js';
import type { IndexOptions } from '../../src/core/types.js';
import type { BenchRow, BenchSection } from '../section.js';
import { gc, ratio, tick } from '../stats.js';
import { FULL_SHAPES, QUICK_SHAPES, syntheticCorpus, type SyntheticCorpus } from '../synthetic.js';
import { benchTokenizer, buildLexical, buildMiniSearch, buildOrama, cachedTokenIds } from '../texts.js';

const CONFIGS: readonly { label: string; opts: Required<IndexOptions> }[] = [
  { label: 'dense float32 · multi float32', opts: { dense: 'float32', multi: 'float32' } as Required<IndexOptions> },
  { label: 'dense float32 · multi float16 (default)', opts: { dense: 'float32', multi: 'float16' } as Required<IndexOptions> },
  { label: 'dense int8 · multi int8', opts: { dense: 'int8', multi: 'int8' } as Required<IndexOptions> },
];

/**
 * JS heap + memory outside it now, after full collections. `external`
 * includes ArrayBuffer backing stores and WebAssembly memories (where the
 * dense matrix lives); they are released after the collection that finds them
 * dead, so collect, yield, collect again before reading.
 */
async function heapBytes(): Promise<number> {
  gc();
  await tick();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

async function measured<T>(build: () => T | Promise<T>): Promise<{ value: T; bytes: number }> {
  const before = await heapBytes();
  const value = await build();
  return { value, bytes: (await heapBytes()) - before };
}

export const memorySection: BenchSection = {
  name: 'memory',
  title: 'Memory and stored bytes per passage, per representation',
  notes(ctx) {
    const s = ctx.quick ? QUICK_SHAPES : FULL_SHAPES;
    return [
      `${ctx.quick ? 50 : 1000} synthetic passages: dense ${s.denseDim}-d, one sparse weight per distinct word (≈ 60 at full shapes), ${s.multiCount} × ${s.multiDim} token vectors, ${s.words[0]}-${s.words[1]} words of text.`,
      '"memory" = the index\'s own accounting of live vector bytes (SearchIndex.stats().bytes); "stored" = the StoredRecord buffers a passage is persisted as (IndexedDB), int8 scales included; "snapshot" = SearchIndex.serialize() / passages; "heap" = measured growth of JS heap + external memory (ArrayBuffers, WebAssembly memories) after GC while building (includes growth slack of the pools and the documents).',
      '"vs float32" compares a representation with its float32 storage; for whole indexes it compares with the float32/float32 index. Baselines index the same texts (no vectors): their stored form is their own serialization (MiniSearch toJSON, Orama save, our LexicalIndex.serialize).',
    ];
  },
  async run(ctx) {
    const size = ctx.quick ? 50 : 1000;
    const shapes = ctx.quick ? QUICK_SHAPES : FULL_SHAPES;
    ctx.log(`memory: generating ${size} passages`);
    const corpus = syntheticCorpus({ size, queries: 1, shapes, seed: ctx.seed, withMulti: true });
    const rows: BenchRow[] = [];
    const perRep: Record<string, { memory: number; stored: number }> = {};
    const whole: BenchRow[] = [];
    let f32Snapshot = 0;
    for (const c of CONFIGS) {
      ctx.log(`memory: ${c.label}`);
      const { value: index, bytes: heap } = await measured(() => build(corpus, c.opts));
      const stats = index.stats();
      const stored = { dense: 0, sparse: 0, multi: 0 };
      for (const id of index.ids()) {
        const r = index.toRecord(id)!;
        stored.dense += r.dense.byteLength + (r.denseScale !== undefined ? 4 : 0);
        stored.sparse += r.sparseIds.byteLength + r.sparseWeights.byteLength;
        stored.multi += r.multi.byteLength + (r.multiScales?.byteLength ?? 0);
      }
      perRep[`dense ${c.opts.dense}`] = { memory: stats.bytes.dense / size, stored: stored.dense / size };
      perRep['sparse float32'] = { memory: stats.bytes.sparse / size, stored: stored.sparse / size };
      perRep[`multi ${c.opts.multi}`] = { memory: stats.bytes.multi / size, stored: stored.multi / size };
      perRep['document (text + id)'] = { memory: stats.bytes.docs / size, stored: stats.bytes.docs / size };
      const snapshot = index.serialize().byteLength / size;
      if (c.opts.dense === 'float32' && c.opts.multi === 'float32') {
        f32Snapshot = snapshot;
      }
      whole.push({
        what: `whole index: ${c.label}`,
        'memory B/passage': stats.bytes.total / size,
        'stored B/passage': snapshot,
        'heap B/passage': heap / size,
        'vs float32': ratio(snapshot, f32Snapshot),
      });
    }
    const order = ['dense float32', 'dense int8', 'sparse float32', 'multi float32', 'multi float16', 'multi int8', 'document (text + id)'];
    const entries = Object.entries(perRep).sort(([a], [b]) => order.indexOf(a) - order.indexOf(b));
    for (const [what, v] of entries) {
      const [kind] = what.split(' ');
      const f32 = perRep[`${kind} float32`];
      rows.push({ what, 'memory B/passage': v.memory, 'stored B/passage': v.stored, 'heap B/passage': null, 'vs float32': f32 && f32 !== v ? ratio(v.stored, f32.stored) : null });
    }
    rows.push(...whole);

    ctx.log('memory: baselines');
    const { tokenizer } = await benchTokenizer(ctx);
    const tokenIds = cachedTokenIds(tokenizer);
    for (const d of corpus.docs) tokenIds(d.text); // fill the word cache first: it is bench scaffolding, not index memory
    const lexical = await measured(() => buildLexical(corpus.docs, tokenIds));
    rows.push({ what: 'lexical (ours, BM25 over token ids)', 'memory B/passage': null, 'stored B/passage': lexical.value.serialize().byteLength / size, 'heap B/passage': lexical.bytes / size, 'vs float32': null });
    const ms = await measured(() => buildMiniSearch(corpus.docs));
    rows.push({ what: 'minisearch', 'memory B/passage': null, 'stored B/passage': Buffer.byteLength(JSON.stringify(ms.value)) / size, 'heap B/passage': ms.bytes / size, 'vs float32': null });
    const orama = await measured(() => buildOrama(corpus.docs));
    rows.push({ what: 'orama', 'memory B/passage': null, 'stored B/passage': Buffer.byteLength(JSON.stringify(save(orama.value))) / size, 'heap B/passage': orama.bytes / size, 'vs float32': null });
    return rows;
  },
};

function build(corpus: SyntheticCorpus, opts: IndexOptions): SearchIndex {
  const index = new SearchIndex(opts);
  corpus.docs.forEach((d, i) => index.add(d, corpus.encoded[i]!));
  return index;
}
