// Long documents: streamed overlapping windows, window hits folded back into
// document hits with the best window as snippet, persistence of windowed
// documents, and a 1 MB document indexed window batch by window batch.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SearchIndex } from '../../src/core/search-index.js';
import type { Doc } from '../../src/core/types.js';
import type { Encoder } from '../../src/core/encoder.js';
import { M3Search, type AddProgress } from '../../src/engine/engine.js';
import { windowText } from '../../src/engine/windows.js';
import type { M3Encoder } from '../../src/model/encoder.js';
import { loadModel } from '../../src/node/load-model.js';
import { testModel } from '../helpers/test-model.js';

const CORPUS: Doc[] = readFileSync(path.resolve('public/sample-corpus.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as Doc);
const ENGLISH = CORPUS.filter((d) => d.id.startsWith('en-'));
// Words of the test vocabulary that occur nowhere in the sample corpus.
const NEEDLE = 'The boat museum kept gold from the farm beside a football recipe.';
const QUERY = 'boat museum gold farm football recipe';
const WINDOW = 256;

let encoder: M3Encoder;
const count = (t: string): number => encoder.tokenizer.ids(t, { special: false }).length;

/** English filler (corpus texts in turn) until `tokens` tokens, then the needle, then more filler. */
function haystack(tokensBefore: number, tokensAfter: number): { text: string; needleAt: number } {
  const parts: string[] = [];
  let n = 0;
  for (let i = 0; n < tokensBefore; i++) {
    const t = ENGLISH[i % ENGLISH.length]!.text;
    parts.push(t);
    n += count(t) + 1;
  }
  const before = parts.join('\n');
  const after: string[] = [];
  n = 0;
  for (let i = 7; n < tokensAfter; i++) {
    const t = ENGLISH[i % ENGLISH.length]!.text;
    after.push(t);
    n += count(t) + 1;
  }
  return { text: `${before}\n${NEEDLE}\n${after.join('\n')}`, needleAt: before.length + 1 };
}

beforeAll(async () => {
  // The generated model takes 8192 tokens (absolute positions up to 8194); a 512-token
  // limit stands in for a real model's window and keeps the test fast.
  encoder = await loadModel((await testModel()).layouts['heads-in-graph'], { maxLength: 512 });
});

describe('windowText', () => {
  it('covers the text with overlapping windows that fit the model', () => {
    const { text } = haystack(3000, 200);
    const windows = [...windowText(text, count, { size: WINDOW, overlap: 32 })];
    expect(windows.length).toBeGreaterThan(10);
    expect(windows[0]!.start).toBe(0);
    expect(windows[windows.length - 1]!.end).toBe(text.length);
    for (let i = 0; i < windows.length; i++) {
      const w = windows[i]!;
      expect(w.index).toBe(i);
      expect(count(text.slice(w.start, w.end)) + 2).toBeLessThanOrEqual(WINDOW);
      if (i > 0) {
        const prev = windows[i - 1]!;
        expect(w.start).toBeGreaterThan(prev.start); // always moves forward
        expect(w.start).toBeLessThan(prev.end); // and overlaps the previous window
      }
    }
    expect([...windowText('short text here', count, { size: WINDOW, overlap: 32 })]).toHaveLength(1);
    // Text without spaces (Japanese) is still cut into windows.
    const ja = CORPUS.filter((d) => d.id.startsWith('ja-')).map((d) => d.text).join('').repeat(3);
    const jw = [...windowText(ja, count, { size: 64, overlap: 8 })];
    expect(jw.length).toBeGreaterThan(3);
    for (const w of jw) expect(count(ja.slice(w.start, w.end)) + 2).toBeLessThanOrEqual(64);
  });
});

describe('long documents in the engine', () => {
  const others = CORPUS.slice(0, 30);
  let long: { text: string; needleAt: number };

  beforeAll(() => {
    long = haystack(7000, 800);
  });

  it('finds a document whose only relevant sentence sits at token ~7,000; truncation does not', async () => {
    expect(count(long.text.slice(0, long.needleAt))).toBeGreaterThan(6900);
    const doc: Doc = { id: 'long-1', text: long.text, title: 'A long report', meta: { kind: 'report' } };

    const truncating = new M3Search(encoder);
    const tr = await truncating.add([...others, doc]);
    expect(tr.truncated).toContain('long-1');
    const miss = await truncating.search(QUERY, { k: 5, mode: 'sparse' });
    // The needle's words occur in no other document, so once long-1 is cut nothing matches at all (an
    // exact empty list, not "absent from a list that may be empty"); long-1 itself is indexed: it is in
    // the complete dense list.
    expect(miss).toEqual([]);
    expect((await truncating.search(QUERY, { k: truncating.size, mode: 'dense' })).map((h) => h.id)).toContain('long-1');

    const engine = new M3Search(encoder, {}, { longDocuments: 'windows', windowSize: WINDOW });
    const report = await engine.add([...others, doc]);
    expect(report.truncated).toEqual([]);
    expect(report.windowed!['long-1']).toBeGreaterThan(25);
    expect(engine.size).toBe(31);
    for (const mode of ['sparse', 'hybrid'] as const) {
      const [top] = await engine.search(QUERY, { k: 5, mode });
      expect(top!.id, mode).toBe('long-1');
      expect(top!.doc.meta).toEqual({ kind: 'report' });
      expect(top!.doc.title).toBe('A long report');
      const w = top!.window!;
      expect(w.count).toBe(report.windowed!['long-1']);
      expect(w.text).toContain(NEEDLE);
      expect(w.start).toBeLessThanOrEqual(long.needleAt);
      expect(w.end).toBeGreaterThan(long.needleAt + NEEDLE.length - 1);
      expect(long.text.slice(w.start, w.end)).toBe(w.text);
    }
    // One hit per document, never one per window.
    const hits = await engine.search('npm install package', { k: 10 });
    expect(new Set(hits.map((h) => h.id)).size).toBe(hits.length);
    // A filter sees the document, not the window.
    const filtered = await engine.search(QUERY, { k: 3, filter: (d) => d.meta?.kind !== 'report' });
    expect(filtered).toHaveLength(3);
    expect(filtered.map((h) => h.id)).not.toContain('long-1');
    // Decayed aggregation still ranks it first and adds the next windows' evidence.
    const [agg] = await engine.search(QUERY, { k: 3, mode: 'sparse', aggregate: { decay: 0.5, windows: 3 } });
    expect(agg!.id).toBe('long-1');

    // Reopened from a snapshot, the windows still fold into their document.
    const reopened = new M3Search(encoder, SearchIndex.deserialize(engine.index.serialize()));
    expect(reopened.size).toBe(31);
    expect((await reopened.search(QUERY, { k: 1, mode: 'sparse' }))[0]!.id).toBe('long-1');

    // Update replaces every window; remove drops them all.
    await reopened.update([{ id: 'long-1', text: 'A short replacement about tea and coffee.' }]);
    expect(reopened.size).toBe(31);
    // The replacement no longer holds the needle: nothing matches it, while long-1 is still indexed.
    expect(await reopened.search(QUERY, { k: 5, mode: 'sparse' })).toEqual([]);
    expect((await reopened.search(QUERY, { k: reopened.size, mode: 'dense' })).map((h) => h.id)).toContain('long-1');
    expect((await reopened.remove('long-1')).removed).toBe(1);
    expect(reopened.has('long-1')).toBe(false);
    expect(reopened.size).toBe(30);
    expect((await engine.remove('long-1')).removed).toBe(1);
    expect(engine.index.size).toBe(30);
  });

  it('rolls back a cancelled windowed add and rejects bad window options', async () => {
    const engine = new M3Search(encoder, {}, { longDocuments: 'windows', windowSize: WINDOW });
    await engine.add(others.slice(0, 3));
    const ctl = new AbortController();
    const run = engine.add([{ id: 'big', text: long.text }], { onProgress: (p) => (p.windows ?? 0) >= 8 && ctl.abort(), signal: ctl.signal });
    await expect(run).rejects.toMatchObject({ code: 'ABORTED' });
    expect(engine.index.size).toBe(3);
    expect(engine.has('big')).toBe(false);
    await expect(engine.add([{ id: 'x', text: 'hello' }], { windowSize: 4096 })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await expect(engine.add([{ id: 'x', text: 'hello' }], { windowOverlap: 200 })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });

  it('indexes a 1 MB document in streamed window batches, with progress', async () => {
    const parts: string[] = [];
    let size = 0;
    for (let i = 0; size < 1_000_000; i++) {
      const t = i === 1200 ? NEEDLE : ENGLISH[i % ENGLISH.length]!.text;
      parts.push(t);
      size += t.length + 1;
    }
    const text = parts.join('\n');
    // The real tokenizer cuts the windows; a cheap stand-in encoder (sparse = the window's own
    // token ids) keeps CI fast — the real model's window path is covered by the test above.
    // It spies: no call may see more than one batch of windows, or a huge string.
    let biggestCall = 0;
    let longestText = 0;
    let longestTokenized = 0;
    const ids = (t: string, o?: { special?: boolean }): number[] => {
      longestTokenized = Math.max(longestTokenized, t.length);
      return encoder.tokenizer.ids(t, o);
    };
    const spy: Encoder = {
      tokenizer: { ids, specialIds: encoder.tokenizer.specialIds },
      info: { ...encoder.info, maxLength: 512 },
      encode: async (texts) => {
        biggestCall = Math.max(biggestCall, texts.length);
        return texts.map((t) => {
          longestText = Math.max(longestText, t.length);
          const own = [...new Set(encoder.tokenizer.ids(t, { special: false }))].sort((a, b) => a - b);
          const dense = new Float32Array(8).fill(Math.SQRT1_2 / 2);
          const multi = { data: new Float32Array(8).fill(Math.SQRT1_2 / 2), count: 1, dim: 8 };
          return { dense, sparse: { ids: Uint32Array.from(own), weights: new Float32Array(own.length).fill(1) }, multi, tokens: own.length + 2, truncated: false };
        });
      },
    };
    const engine = new M3Search(spy, { multi: 'int8' }, { longDocuments: 'windows' });
    const progress: AddProgress[] = [];
    const heapBefore = process.memoryUsage().heapUsed;
    const report = await engine.add([{ id: 'huge', text }], { batchSize: 16, onProgress: (p) => progress.push(p) });
    const windows = report.windowed!.huge!;
    expect(windows).toBeGreaterThan(300);
    expect(biggestCall).toBeLessThanOrEqual(16);
    expect(longestText).toBeLessThan(8_000);
    expect(longestTokenized).toBeLessThan(8_000);
    expect(progress.length).toBeGreaterThan(windows / 16);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.chars!).toBeGreaterThanOrEqual(progress[i - 1]!.chars!);
    expect(progress[progress.length - 1]).toMatchObject({ done: 1, total: 1, windows, chars: text.length, charsTotal: text.length });
    // Window texts overlap, so the index holds a bit more than the text; nowhere near a blow-up.
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(400e6);
    const [top] = await engine.search(QUERY, { k: 1, mode: 'sparse' });
    expect(top!.id).toBe('huge');
    expect(top!.window!.text).toContain(NEEDLE);
  }, 120_000);
});
