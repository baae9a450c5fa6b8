// Opens a built index folder from disk (Node tools and tests).
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { M3SearchError } from '../core/errors.js';
import { checkManifest, verifyManifestBuild } from './integrity.js';
import { SiteIndexReader } from './query.js';
import { searchSite, type SiteResults, type SiteSearchOptions } from './search.js';

/**
 * The index in `dir`: its manifest checked (shape and build hash) before
 * anything is read from it; every shard is checked as it is read (see
 * SiteIndexReader). Any problem is INVALID_INDEX naming the file.
 */
export async function openIndexDir(dir: string, onRead?: (file: string, bytes: number) => void): Promise<SiteIndexReader> {
  const file = path.join(dir, 'manifest.json');
  const info = await stat(dir).catch(() => undefined);
  if (!info) throw new M3SearchError('INVALID_INDEX', `${dir} does not exist: give the folder \`m3search index\` wrote (e.g. <site>/m3search).`, { file, reason: 'missing' });
  if (!info.isDirectory()) {
    const hint = /\.jsonl?$/i.test(dir)
      ? ' It looks like a JSONL corpus: search it with `m3search search --docs FILE "query"`, or build a static index of it with `m3search index <dir> --docs FILE`.'
      : ' Give the folder `m3search index` wrote (e.g. <site>/m3search).';
    throw new M3SearchError('INVALID_INDEX', `${dir} is a file, not an index folder.${hint}`, { file: dir, reason: 'missing' });
  }
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) throw new M3SearchError('INVALID_INDEX', `${dir} holds no m3search index (manifest.json missing).`, { file, reason: 'missing' });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new M3SearchError('INVALID_INDEX', `${file} is not valid JSON: ${(e as Error).message}`, { file, reason: 'decode' });
  }
  const manifest = checkManifest(json, file);
  await verifyManifestBuild(manifest, file);
  return new SiteIndexReader(manifest, async (name) => {
    const b = new Uint8Array(await readFile(path.join(dir, name)));
    onRead?.(name, b.length);
    return b;
  });
}

/** One query against the index in `dir` (the keyword mode needs no encoder). */
export async function searchIndexDir(dir: string, query: string, opts: SiteSearchOptions): Promise<SiteResults> {
  return searchSite(await openIndexDir(dir), query, opts);
}
