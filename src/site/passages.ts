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

export function sectionPassages(s: SectionInput, opts: PassageOptions): SectionPassages {
  let prefix = contextPrefix(s.pageTitle, s.heading);
  const room = opts.maxTokens - opts.specialTokens;
  // A prefix may use at most a quarter of the budget; past that it is shortened (the text never is).
  while (prefix && opts.count(prefix) > room / 4) prefix = prefix.slice(0, Math.floor(prefix.length * 0.8));
  const budget = room - (prefix ? opts.count(prefix) + 1 : 0);
  const chunks = chunkText(s.text, { budget, overlap: opts.overlapTokens, count: opts.count });
  const passages = chunks.map((c, i): Passage => ({
    page: s.page,
    // Later chunks of a long section link to the last id before them, when there is one.
    anchor: i === 0 ? s.anchor : (lastPointBefore(s.points, c.start) ?? s.anchor),
    heading: s.heading,
    text: c.text,
    // Joined only when asked for (the encoder's input): a keyword-only build never holds a second copy of every text.
    get encodeText(): string {
      return prefix ? `${prefix}\n${c.text}` : c.text;
    },
    hash: passageHash(c.text, prefix),
  }));
  return { passages, chunked: chunks.length > 1 };
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
