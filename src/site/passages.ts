// Sections → passages: each section is chunked to the encoder's budget, and
// every chunk carries the page title and heading as context (they are what
// people search for, and they make a chunk meaningful on its own).
import { createHash } from 'node:crypto';
import { chunkText } from './chunk.js';
import type { AnchorPoint } from './html.js';
import type { Passage } from './types.js';

export interface PassageOptions {
  /** Tokens per encoder input, special tokens included. */
  maxTokens: number;
  overlapTokens: number;
  /** Token count of a text without special tokens. */
  count: (text: string) => number;
  /** How many special tokens the encoder adds ([CLS]/[SEP]: 2). */
  specialTokens: number;
}

export interface SectionInput {
  page: number;
  pageTitle: string;
  anchor: string;
  heading: string;
  text: string;
  points: AnchorPoint[];
}

export interface SectionPassages {
  passages: Passage[];
  /** The section needed more than one chunk. */
  chunked: boolean;
}

export function contextPrefix(pageTitle: string, heading: string): string {
  return !heading || heading === pageTitle ? pageTitle : pageTitle ? `${pageTitle} — ${heading}` : heading;
}

/**
 * Where a section is cut: the context prefix's length (it is shortened when
 * long) and each chunk's [start, end) in the section text. The tokenizer's
 * whole share of the work; `passagesOf` turns it into passages.
 */
export interface SectionCut {
  prefixLength: number;
  chunks: [start: number, end: number][];
}

export function sectionPassages(s: SectionInput, opts: PassageOptions): SectionPassages {
  return passagesOf(s, cutSection(s, opts));
}

export function cutSection(s: SectionInput, opts: PassageOptions): SectionCut {
  let prefix = contextPrefix(s.pageTitle, s.heading);
  const room = opts.maxTokens - opts.specialTokens;
  // A prefix may use at most a quarter of the budget; past that it is shortened (the text never is).
  while (prefix && opts.count(prefix) > room / 4) prefix = prefix.slice(0, Math.floor(prefix.length * 0.8));
  const budget = room - (prefix ? opts.count(prefix) + 1 : 0);
  const chunks = chunkText(s.text, { budget, overlap: opts.overlapTokens, count: opts.count });
  return { prefixLength: prefix.length, chunks: chunks.map((c) => [c.start, c.end]) };
}

/** The passages of a section cut as `cut` says (no tokenizer: a cut read back from the cache gives the same passages). */
export function passagesOf(s: SectionInput, cut: SectionCut): SectionPassages {
  const prefix = contextPrefix(s.pageTitle, s.heading).slice(0, cut.prefixLength);
  const passages = cut.chunks.map(([start, end], i): Passage => {
    const text = s.text.slice(start, end);
    return {
      page: s.page,
      // Later chunks of a long section link to the last id before them, when there is one.
      anchor: i === 0 ? s.anchor : (lastPointBefore(s.points, start) ?? s.anchor),
      heading: s.heading,
      text,
      // Joined only when asked for (the encoder's input): a keyword-only build never holds a second copy of every text.
      get encodeText(): string {
        return prefix ? `${prefix}\n${text}` : text;
      },
      hash: passageHash(text, prefix),
    };
  });
  return { passages, chunked: cut.chunks.length > 1 };
}

/** Whether `cut` can be a cut of `s` (offsets ascending inside the text, prefix no longer than the full one): a cached cut is checked before use. */
export function cutFits(s: Pick<SectionInput, 'pageTitle' | 'heading' | 'text'>, cut: SectionCut): boolean {
  if (!Number.isInteger(cut.prefixLength) || cut.prefixLength < 0 || cut.prefixLength > contextPrefix(s.pageTitle, s.heading).length) return false;
  if (!Array.isArray(cut.chunks) || (cut.chunks.length === 0) !== (s.text.trim() === '')) return false;
  let last = -1;
  for (const c of cut.chunks) {
    if (!Array.isArray(c) || c.length !== 2 || !Number.isInteger(c[0]) || !Number.isInteger(c[1])) return false;
    const [a, b] = c;
    if (a <= last || b > s.text.length || a >= b) return false;
    last = a;
  }
  return true;
}

function lastPointBefore(points: readonly AnchorPoint[], offset: number): string | undefined {
  let found: string | undefined;
  for (const p of points) {
    if (p.offset > offset) break;
    found = p.id;
  }
  return found;
}

/**
 * 12 hex chars (48 bits) of SHA-256 of the encoder's input (`prefix`, a newline, `text`; or
 * `text` alone): at 10⁵ passages the odds of any collision are ~10⁻⁵. Hashed in parts, the
 * same digest without joining them (the newline between keeps the UTF-8 bytes the same).
 */
export function passageHash(text: string, prefix = ''): string {
  const h = createHash('sha256');
  if (prefix) h.update(prefix).update('\n');
  return h.update(text).digest('hex').slice(0, 12);
}
