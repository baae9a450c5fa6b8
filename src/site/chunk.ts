// Splits a section's text into chunks that fit the encoder's token budget,
// with an overlap so a sentence cut at a boundary is whole in one of the two
// chunks. Nothing is dropped: every word lands in at least one chunk (a single
// word longer than the budget is split into pieces that each fit).

export interface Chunk {
  text: string;
  /** Offset of the chunk's first character in the section text. */
  start: number;
  end: number;
}

export interface ChunkOptions {
  /** Most tokens a chunk may have (special tokens and any prefix already subtracted). */
  budget: number;
  /** Tokens repeated from the end of one chunk at the start of the next. */
  overlap: number;
  /** Token count of a text (no special tokens). */
  count: (text: string) => number;
}

interface Span {
  s: number;
  e: number;
  cost: number;
}

export function chunkText(text: string, opts: ChunkOptions): Chunk[] {
  const budget = Math.max(1, Math.floor(opts.budget));
  const overlap = Math.max(0, Math.min(Math.floor(opts.overlap), Math.floor(budget / 2)));
  if (text.trim() === '') return [];

  // Word costs are counted one word at a time (callers memoize: words repeat) and summed as an
  // estimate. Tokenizing long texts is the slow part of a build, so a section that looks small
  // enough is kept whole uncounted; the chunks of a long one are each counted exactly.
  // Words are read as the chunks need them and dropped once behind: a section of any size
  // costs its chunks, not an object per word.
  const spans = new Spans(text, budget, opts.count);
  let estimate = 0;
  let seen = 0;
  while (estimate <= budget * 2 && spans.has(seen)) estimate += spans.at(seen++).cost;
  const whole = !spans.has(seen);
  // The whole text is counted only when it may still fit: counting a 600 KB section at once
  // overflows the tokenizer's stack, and its chunks are counted below anyway.
  if (whole && (estimate <= budget * SURE || (estimate <= budget * 2 && opts.count(text) <= budget))) return [{ text, start: 0, end: text.length }];

  const chunks: Chunk[] = [];
  const slice = (i: number, j: number): Chunk => ({ text: text.slice(spans.at(i).s, spans.at(j - 1).e), start: spans.at(i).s, end: spans.at(j - 1).e });
  let i = 0;
  while (spans.has(i)) {
    let j = i;
    let sum = 0;
    while (spans.has(j) && sum + spans.at(j).cost <= budget) sum += spans.at(j++).cost;
    if (j === i) j = i + 1;
    // Per-word counts estimate the joined text's count: verify, and shrink while it is over.
    let chunk = slice(i, j);
    while (j > i + 1 && opts.count(chunk.text) > budget) chunk = slice(i, --j);
    chunks.push(chunk);
    if (!spans.has(j)) break;
    let k = j;
    let ov = 0;
    while (k - 1 > i && ov + spans.at(k - 1).cost <= overlap) ov += spans.at(--k).cost;
    i = k;
    spans.dropBefore(i);
  }
  return chunks;
}

/** The words of a text as costed spans, read on demand; spans before the chunker's position are let go. */
class Spans {
  private readonly words = /\S+/g;
  private buf: Span[] = [];
  /** Index of buf[0]. */
  private base = 0;
  private done = false;

  constructor(
    private readonly text: string,
    private readonly budget: number,
    private readonly count: (t: string) => number,
  ) {}

  /** Whether span `i` exists (reading words up to it). */
  has(i: number): boolean {
    while (!this.done && i >= this.base + this.buf.length) this.next();
    return i < this.base + this.buf.length;
  }

  /** Span `i`, which `has(i)` returned true for and `dropBefore` has not passed. */
  at(i: number): Span {
    return this.buf[i - this.base]!;
  }

  dropBefore(i: number): void {
    // In batches: shifting the array per chunk would copy the window each time.
    if (i - this.base < 4096) return;
    this.buf = this.buf.slice(i - this.base);
    this.base = i;
  }

  private next(): void {
    const m = this.words.exec(this.text);
    if (!m) {
      this.done = true;
      return;
    }
    const s = m.index;
    const e = s + m[0].length;
    const cost = this.count(m[0]);
    if (cost <= this.budget) this.buf.push({ s, e, cost });
    else for (const piece of splitWord(this.text, s, e, this.budget, this.count)) this.buf.push(piece);
  }
}

/**
 * Below this share of the budget the summed word counts are trusted without counting the joined
 * text: SentencePiece and WordPiece tokenize whitespace-separated words independently, so the sum
 * is exact for them and close for others; anything that still overflows is reported by the
 * encoder's truncation check (the build prints a warning), never cut silently.
 */
const SURE = 0.85;

/** A word too long for one chunk (a hash, a minified line) → consecutive pieces that each fit. */
function splitWord(text: string, s: number, e: number, budget: number, count: (t: string) => number): Span[] {
  const out: Span[] = [];
  let at = s;
  while (at < e) {
    let len = e - at;
    let cost = count(text.slice(at, at + len));
    while (cost > budget && len > 1) {
      len = Math.max(1, Math.floor((len * budget) / cost) - 1);
      cost = count(text.slice(at, at + len));
    }
    // Never split a surrogate pair.
    if (len > 1 && /[\uD800-\uDBFF]/.test(text[at + len - 1]!)) len--;
    out.push({ s: at, e: at + len, cost });
    at += len;
  }
  return out;
}
