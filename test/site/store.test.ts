// The page's offline copy of a site index (IndexedDB, under fake-indexeddb):
// a new build's files sit beside the old ones until one commit switches over.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { SiteStore } from '../../src/browser/site-store.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined): string | undefined => (b ? new TextDecoder().decode(b) : undefined);

describe('SiteStore', () => {
  it('switches builds atomically and drops only files the new build does not list', async () => {
    const store = (await SiteStore.open())!;
    const idx = 'http://site.test/m3search/';
    await store.putFiles(idx, [['shards/a.1.bin', bytes('a1')], ['shards/b.1.bin', bytes('b1')]]);
    await store.commit(idx, 'build-1', '{"build":"build-1"}', ['shards/a.1.bin', 'shards/b.1.bin']);
    expect(await store.current(idx)).toMatchObject({ build: 'build-1', files: ['shards/a.1.bin', 'shards/b.1.bin'] });

    // Build 2 shares a.1 and replaces b.1: only the new file is downloaded; until the commit, build 1 is whole.
    expect(await store.have(idx, ['shards/a.1.bin', 'shards/b.2.bin'])).toEqual(new Set(['shards/a.1.bin']));
    await store.putFiles(idx, [['shards/b.2.bin', bytes('b2')]]);
    expect((await store.current(idx))?.build).toBe('build-1');
    expect(text(await store.file(idx, 'shards/b.1.bin'))).toBe('b1');

    await store.commit(idx, 'build-2', '{"build":"build-2"}', ['shards/a.1.bin', 'shards/b.2.bin']);
    expect((await store.current(idx))?.build).toBe('build-2');
    expect(text(await store.file(idx, 'shards/a.1.bin'))).toBe('a1');
    expect(text(await store.file(idx, 'shards/b.2.bin'))).toBe('b2');
    expect(await store.file(idx, 'shards/b.1.bin')).toBeUndefined();

    // Another site's copy in the same database is left alone.
    const other = 'http://other.test/m3search/';
    await store.putFiles(other, [['shards/a.1.bin', bytes('x')]]);
    await store.commit(other, 'o', '{}', ['shards/a.1.bin']);
    await store.commit(idx, 'build-3', '{}', []);
    expect(text(await store.file(other, 'shards/a.1.bin'))).toBe('x');
    expect(await store.file(idx, 'shards/a.1.bin')).toBeUndefined();
  });
});
