// Opens a built index folder from disk (Node tools and tests).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { M3Encoder } from '../model/encoder.js';
import { readManifest } from './previous.js';
import { SiteIndexReader, type SiteMode } from './query.js';
import { searchSite, type SiteResults } from './search.js';

export async function openIndexDir(dir: string, onRead?: (file: string, bytes: number) => void): Promise<SiteIndexReader> {
  const manifest = await readManifest(dir);
  if (!manifest) throw new Error(`${dir} holds no m3search index (manifest.json missing or not version 1)`);
  return new SiteIndexReader(manifest, async (file) => {
    const b = new Uint8Array(await readFile(path.join(dir, file)));
    onRead?.(file, b.length);
    return b;
  });
}

export async function searchIndexDir(dir: string, query: string, opts: { encoder: M3Encoder; mode: SiteMode; k?: number; multiBudget?: number }): Promise<SiteResults> {
  const reader = await openIndexDir(dir);
  return searchSite(reader, query, { mode: opts.mode, k: opts.k, tokenizer: opts.encoder.tokenizer, encoder: opts.encoder, multiBudget: opts.multiBudget });
}
