// Long-document windows through the IndexedDB-backed search: the browser runs
// the engine's own write path, so a long document is stored as windows in one
// transaction, reopens as one document, and a cancel never leaves half of one.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { PersistentSearch } from '../../src/browser/persistent-search.js';
import { docs, FakeEncoder, uniqueName } from './fake-encoder.js';

/** 600 filler words with one distinctive sentence near the end (far past one 32-token window). */
function longText(): string {
  const words = Array.from({ length: 600 }, (_, i) => `filler${i % 40}`);
  words.splice(560, 0, 'aurora', 'borealis', 'glacier', 'expedition');
  return words.join(' ');
}

describe('persistent index: long documents as windows', () => {
  it('stores every window in one commit, reopens them as one document and finds the far sentence', async () => {
    const name = uniqueName('windows');
    const { search } = await PersistentSearch.open(new FakeEncoder(), { name });
    const rep = await search.add([...docs(5), { id: 'long', text: longText(), title: 'Long' }], { longDocuments: 'windows', windowSize: 32, windowOverlap: 4, batchSize: 8 });
    const windows = rep.windowed!.long!;
    // 604 words, 30 new words per window (32 − 2 special − overlap 4 ≈ 26–30): about twenty windows.
    expect(windows).toBeGreaterThan(15);
    expect(rep).toMatchObject({ added: 6, docCount: 6 });
    expect((await search.counts()).docs).toBe(5 + windows);
    const [hit] = await search.search('aurora borealis glacier expedition', { k: 1, mode: 'sparse' });
    expect(hit!.id).toBe('long');
    expect(hit!.window!.text).toContain('aurora borealis');
    expect(hit!.window!.count).toBe(windows);
    search.close();

    const enc = new FakeEncoder();
    const again = await PersistentSearch.open(enc, { name });
    expect(again.search.size).toBe(6);
    const [same] = await again.search.search('aurora borealis glacier expedition', { k: 1, mode: 'sparse' });
    expect(same).toMatchObject({ id: 'long', score: hit!.score, window: { index: hit!.window!.index, count: windows } });
    // Re-adding the same corpus costs no encoding: the windowed document is unchanged too.
    const before = enc.encoded.length;
    const again2 = await again.search.add([...docs(5), { id: 'long', text: longText(), title: 'Long' }], { longDocuments: 'windows', windowSize: 32, windowOverlap: 4 });
    expect(again2).toMatchObject({ added: 0, updated: 0, unchanged: 6 });
    expect(enc.encoded.length).toBe(before);
    // Shortened to one window: the old windows go in the same transaction as the new entry.
    await again.search.update([{ id: 'long', text: 'aurora only now' }], { longDocuments: 'windows', windowSize: 32 });
    expect(await again.search.counts()).toMatchObject({ docs: 6, dense: 6 });
    expect((await again.search.remove(['long'])).removed).toBe(1);
    expect((await again.search.counts()).docs).toBe(5);
    again.search.close();
  });

  it('a cancel in the middle of a long document stores none of its windows', async () => {
    const name = uniqueName('windows-cancel');
    const { search } = await PersistentSearch.open(new FakeEncoder(), { name });
    await search.add(docs(3));
    const ctl = new AbortController();
    const run = search.add([{ id: 'long', text: longText() }], {
      longDocuments: 'windows',
      windowSize: 32,
      batchSize: 4,
      signal: ctl.signal,
      onProgress: (p) => (p.windows ?? 0) >= 8 && ctl.abort(),
    });
    await expect(run).rejects.toMatchObject({ code: 'ABORTED' });
    expect(search.size).toBe(3);
    expect((await search.counts()).docs).toBe(3);
    search.close();
  });
});
