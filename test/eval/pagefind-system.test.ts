// Pagefind as an eval system: the real indexer and runtime (skipped where the
// binary or Chromium is missing).
import { afterAll, describe, expect, it } from 'vitest';
import { docFileName, docIdOfUrl, pagefindAvailable, pagefindSystem } from '../../src/eval/pagefind-system.js';

const DOCS = [
  { id: 'a/1', title: 'Volcanoes', text: 'Magma rises through the crust and erupts as lava.' },
  { id: 'b 2', title: 'Gardening', text: 'Tomatoes need sunlight, water and patience.' },
  { id: 'c?3', title: 'Sailing', text: 'A sloop carries one mast and a jib on the bowsprit.' },
  { id: 'd#4', title: 'Baking', text: 'Sourdough bread rises slowly with wild yeast.' },
  { id: 'é5', title: 'Chess', text: 'The knight moves in an L shape across the board.' },
];

describe('pagefind ids', () => {
  it('maps any id to a file name and back from its URL', () => {
    for (const d of DOCS) {
      expect(docIdOfUrl(`/${docFileName(d.id)}`)).toBe(d.id);
      expect(docIdOfUrl(`/${docFileName(d.id).replace(/\.html$/, '')}`)).toBe(d.id);
    }
  });
});

describe.skipIf(!pagefindAvailable())('pagefindSystem', () => {
  const system = pagefindSystem();
  afterAll(() => system.close());

  it('ranks the document holding a distinctive word first, and finds nothing for nonsense', async () => {
    await system.index(DOCS);
    expect(await system.search('bowsprit', 10)).toEqual(['c?3']);
    expect((await system.search('sourdough', 10))[0]).toBe('d#4');
    expect(await system.search('qxzvwjk', 10)).toEqual([]);
    await system.prepareQueries!(['knight', 'tomatoes']);
    expect((await system.search('knight', 10))[0]).toBe('é5');
    expect((await system.indexBytes()) > 0).toBe(true);
  }, 60_000);
});
