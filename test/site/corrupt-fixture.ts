// A small static index with many shard files of every kind (the fake encoder,
// no ONNX), for tests that damage shards and manifests.
import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { rng } from '../core/helpers.js';
import { buildSiteIndex } from '../../src/site/build.js';
import type { SiteManifest } from '../../src/site/types.js';
import { fakeEncoder, type FakeEncoder } from './fake-encoder.js';

const WORDS = 'timeout cache server request parse json socket thread buffer stream file path encode decode queue retry proxy token index query shard table vector'.split(' ');

export interface CorruptFixture {
  dir: string;
  /** The index folder. */
  out: string;
  manifest: SiteManifest;
  encoder: FakeEncoder;
  /** Every file of the index (relative names) with its clean bytes. */
  files: Map<string, Uint8Array>;
  queries: string[];
}

export async function buildCorruptFixture(opts: { pages?: number; multi?: 'nested' | 'all'; multiStorage?: 'int8' | 'float16'; seed?: number } = {}): Promise<CorruptFixture> {
  const r = rng(opts.seed ?? 12);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'm3search-corrupt-'));
  const site = path.join(dir, 'site');
  await mkdir(site);
  const text = (n: number): string => Array.from({ length: n }, () => WORDS[Math.floor(r() * WORDS.length)]).join(' ');
  for (let p = 0; p < (opts.pages ?? 24); p++) {
    const sections = Array.from({ length: 2 + Math.floor(r() * 3) }, (_, s) => `<section id="s${s}"><h2>${text(2)}</h2><p>${text(8 + Math.floor(r() * 30))}</p></section>`);
    await writeFile(path.join(site, `page${String(p).padStart(2, '0')}.html`), `<html><head><title>Page ${p}</title></head><body><main><h1>Page ${p}</h1>${sections.join('')}</main></body></html>`);
  }
  const out = path.join(dir, 'index');
  const encoder = fakeEncoder({ maxLength: 32 });
  // Small targets: several files of every kind, so a damaged file is one of many.
  const { manifest } = await buildSiteIndex({
    site,
    out,
    encoder,
    multi: opts.multi ?? 'nested',
    multiStorage: opts.multiStorage ?? 'int8',
    maxTokens: 24,
    targets: { denseBytes: 512, postingsPerShard: 120, multiBytes: 1024, metaBytes: 1500 },
  });
  const files = new Map<string, Uint8Array>();
  for (const e of await readdir(out, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const rel = path.relative(out, path.join(e.parentPath, e.name)).split(path.sep).join('/');
    files.set(rel, new Uint8Array(await readFile(path.join(out, rel))));
  }
  return { dir, out, manifest, encoder, files, queries: ['request timeout', 'json parse error', 'socket buffer stream', 'shard index vector table'] };
}
