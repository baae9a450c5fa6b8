// Where each section was cut, kept between builds beside the encode cache:
// with a model, cutting sections into passages means counting tokens with the
// model's tokenizer, the slow part of a build once encoding is cached. One
// file per model folder, rewritten by each build with that build's sections
// (so it never grows past one site's), keyed by the SHA-256 of the section's
// title, heading and text; it holds the cutting settings and ends with a
// checksum, and a cut is checked against its section before use (cutFits).
import { createHash, randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CacheWarning } from './encode-cache.js';
import { cutFits, type SectionCut, type SectionInput } from './passages.js';

const FILE = 'chunks.json';
const VERSION = 1;

/** What decides a cut besides the section: the token budget, the overlap and the special tokens (the tokenizer is the model folder's). */
export interface CutSettings {
  maxTokens: number;
  overlapTokens: number;
  specialTokens: number;
}

interface CutFile {
  format: 'm3search-chunk-cache';
  version: number;
  settings: CutSettings;
  sections: Record<string, [prefixLength: number, ...offsets: number[]]>;
}

export class ChunkCache {
  hits = 0;
  readonly warnings: CacheWarning[] = [];
  private readonly next = new Map<string, SectionCut>();

  private constructor(
    private readonly file: string,
    private readonly settings: CutSettings,
    private readonly known: Map<string, SectionCut>,
  ) {}

  /** Reads `dir`/chunks.json unless `read` is false (a missing file or other settings: empty; a damaged one: empty, with a warning). */
  static async open(dir: string, settings: CutSettings, read = true): Promise<ChunkCache> {
    const file = path.join(dir, FILE);
    const known = new Map<string, SectionCut>();
    const cache = new ChunkCache(file, settings, known);
    const bytes = read ? await readFile(file).catch(() => undefined) : undefined;
    if (!bytes) return cache;
    try {
      const text = bytes.toString('utf8').trimEnd();
      const nl = text.lastIndexOf('\n');
      const body = text.slice(0, nl);
      if (nl < 0 || createHash('sha256').update(body).digest('hex') !== text.slice(nl + 1).trim()) throw new Error('checksum mismatch');
      const f = JSON.parse(body) as CutFile;
      if (f.format !== 'm3search-chunk-cache' || f.version !== VERSION) throw new Error('not a chunk cache of this version');
      if (JSON.stringify(f.settings) !== JSON.stringify(settings)) return cache; // other settings: every section is cut again
      for (const [key, [prefixLength, ...offsets]] of Object.entries(f.sections)) {
        const chunks: [number, number][] = [];
        for (let i = 0; i + 1 < offsets.length; i += 2) chunks.push([offsets[i]!, offsets[i + 1]!]);
        known.set(key, { prefixLength, chunks });
      }
    } catch (e) {
      cache.warnings.push({ file, message: `unreadable chunk cache, ignored (sections are cut again): ${(e as Error).message}` });
    }
    return cache;
  }

  static key(s: Pick<SectionInput, 'pageTitle' | 'heading' | 'text'>): string {
    return createHash('sha256').update(JSON.stringify([s.pageTitle, s.heading, s.text])).digest('hex');
  }

  /** The section's cut from an earlier build, if it fits the section; else `cut()` (and it is kept for the next build). */
  cut(s: SectionInput, cut: () => SectionCut): SectionCut {
    const key = ChunkCache.key(s);
    let c = this.next.get(key) ?? this.known.get(key);
    if (c && cutFits(s, c)) this.hits++;
    else c = cut();
    this.next.set(key, c);
    return c;
  }

  /** Writes this build's cuts (whole file, then renamed into place); a failure is a warning. */
  async save(): Promise<void> {
    const sections: CutFile['sections'] = {};
    for (const [key, c] of this.next) sections[key] = [c.prefixLength, ...c.chunks.flat()];
    const body = JSON.stringify({ format: 'm3search-chunk-cache', version: VERSION, settings: this.settings, sections } satisfies CutFile);
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, `${body}\n${createHash('sha256').update(body).digest('hex')}\n`);
      await rename(tmp, this.file);
    } catch (e) {
      this.warnings.push({ file: this.file, message: `the chunk cache cannot be written (${(e as Error)?.message ?? String(e)})` });
    }
  }
}
