// Opens a built index folder from disk (Node tools and tests).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { M3SearchError } from '../core/errors.js';
import type { M3Encoder } from '../model/encoder.js';
import { readManifest } from './previous.js';
import { SiteIndexReader } from './query.js';
import { searchSite, type SiteResults, type SiteSearchOptions } from './search.js';

export async function openIndexDir(dir: string, onRead?: (file: string, bytes: number) => void): Promise<SiteIndexReader> {
  const manifest = await readManifest(dir);
  if (!manifest) throw new M3SearchError('INVALID_INDEX', `${dir} holds no m3search index (manifest.json missing or not version 1).`, { file: path.join(dir, 'manifest.json') });
  return new SiteIndexReader(manifest, async (file) => {
    const b = new Uint8Array(await readFile(path.join(dir, file)));
    onRead?.(file, b.length);
    return b;
  });
}

export async function searchIndexDir(dir: string, query: string, opts: Omit<SiteSearchOptions, 'tokenizer' | 'encoder'> & { encoder: M3Encoder }): Promise<SiteResults> {
  const reader = await openIndexDir(dir);
  const { encoder, ...rest } = opts;
  return searchSite(reader, query, { ...rest, tokenizer: encoder.tokenizer, encoder });
}
