// Splits a long text into overlapping windows that each fit the model, lazily:
// the text is walked once, a few words at a time, and only the words of the
// window being built are tokenized and held, so a 1 MB document never becomes
// one giant token array.

/** One window of a document: a character range and how many tokens it holds. */
export interface TextWindow {
  /** 0-based window number. */
  index: number;
  /** UTF-16 offsets into the original text. */
  start: number;
  end: number;
  /** Tokens counted for the window (special tokens excluded). */
  tokens: number;
}

export interface WindowSpec {
  /** Tokens per window, special tokens included (e.g. the model's max length). */
  size: number;
  /** Tokens shared by consecutive windows. */
  overlap: number;
}

/** Counts tokens of a short piece of text (no special tokens). */
export type TokenCounter = (text: string) => number;

/** Special tokens the encoder adds around each window ([CLS]/<s> and [SEP]/</s>). */
const SPECIALS = 2;
/** Headroom for pieces that tokenize differently once joined. */
const MARGIN = 2;
/** Words tokenized together (fewer calls, coarser window edges). */
const WORDS_PER_UNIT = 6;
/** Longest run of characters treated as one word (text without spaces: CJK, Thai…). */
const MAX_WORD_CHARS = 24;
/** A unit holds at most this share of a window's characters (a token spans at least one character). */
const UNIT_SHARE = 4;

interface Unit {
  start: number;
  end: number;
  tokens: number;
}

/** Word-ish pieces `[start, end)`: non-space runs with their trailing space, long runs cut. */
function* pieces(text: string, maxChars: number): Generator<[number, number]> {
  const re = /\S+\s*/gy;
  let m: RegExpExecArray | null;
  re.lastIndex = text.length - text.trimStart().length; // leading whitespace belongs to nothing
  while ((m = re.exec(text)) !== null) {
    const end = m.index + m[0].length;
    let s = m.index;
    while (end - s > maxChars) {
      let cut = s + maxChars;
      const c = text.charCodeAt(cut);
      if (c >= 0xdc00 && c <= 0xdfff) cut++; // never split a surrogate pair
      yield [s, cut];
      s = cut;
    }
    if (end > s) yield [s, end];
  }
}

/** Groups pieces into small units and counts each unit's tokens. */
function* units(text: string, count: TokenCounter, budget: number): Generator<Unit> {
  const maxChars = Math.max(2, Math.floor(budget / UNIT_SHARE));
  let start = -1;
  let end = 0;
  let n = 0;
  for (const [s, e] of pieces(text, Math.min(MAX_WORD_CHARS, maxChars))) {
    if (start >= 0 && e - start > maxChars) {
      yield { start, end, tokens: count(text.slice(start, end)) };
      start = -1;
      n = 0;
    }
    if (start < 0) start = s;
    end = e;
    if (++n === WORDS_PER_UNIT) {
      yield { start, end, tokens: count(text.slice(start, end)) };
      start = -1;
      n = 0;
    }
  }
  if (start >= 0) yield { start, end, tokens: count(text.slice(start, end)) };
}

/**
 * Overlapping windows of at most `size` tokens (specials included), walking
 * the text once. A text that fits yields one window covering all of it.
 */
export function* windowText(text: string, count: TokenCounter, spec: WindowSpec): Generator<TextWindow> {
  const budget = windowBudget(spec.size);
  const overlap = Math.max(0, Math.min(spec.overlap, budget - 1));
  const held: Unit[] = [];
  let tokens = 0;
  let index = 0;
  let emittedEnd = -1; // end of the last unit already in an emitted window
  const emit = (): TextWindow => ({ index: index++, start: held[0]!.start, end: held[held.length - 1]!.end, tokens });
  for (const u of units(text, count, budget)) {
    if (held.length > 0 && tokens + u.tokens > budget) {
      const w = emit();
      emittedEnd = w.end;
      yield w;
      // Keep the tail as overlap, but always move forward by at least one unit.
      while (held.length > 1 && tokens > overlap) tokens -= held.shift()!.tokens;
      if (tokens > overlap || tokens + u.tokens > budget) {
        held.length = 0;
        tokens = 0;
      }
    }
    held.push(u);
    tokens += u.tokens;
  }
  if (held.length > 0 && held[held.length - 1]!.end > emittedEnd) yield emit();
}

/** Content tokens one window of `size` holds (room kept for special tokens and a safety margin). */
export function windowBudget(size: number): number {
  return Math.max(1, size - SPECIALS - MARGIN);
}
