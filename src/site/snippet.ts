// Snippets: the window of a passage that holds the most query terms, with the
// matched ranges returned as offsets, so the page builds <mark> elements from
// text nodes and never parses index text as HTML.

export interface Snippet {
  text: string;
  /** [start, end) ranges of `text` to highlight, ascending, non-overlapping. */
  marks: [number, number][];
}

/** Query words worth highlighting: lowercased, deduplicated, single Latin letters dropped. */
export function queryTerms(query: string): string[] {
  const words = query.toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? [];
  return [...new Set(words.filter((w) => w.length > 1 || /[^\x00-\x7f]/.test(w)))];
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Matches of any term at a word start (so "path" marks "pathlib", not "xpath"). */
export function findMatches(text: string, terms: readonly string[]): [number, number][] {
  if (terms.length === 0) return [];
  const re = new RegExp(`(?<![\\p{L}\\p{N}_])(?:${[...terms].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|')})`, 'giu');
  const out: [number, number][] = [];
  for (const m of text.matchAll(re)) if (m[0].length) out.push([m.index!, m.index! + m[0].length]);
  return out;
}

export function makeSnippet(text: string, terms: readonly string[], maxLength = 200): Snippet {
  const matches = findMatches(text, terms);
  if (text.length <= maxLength) return { text, marks: matches };
  // Best window: the most distinct terms, then the most matches, earliest first.
  let bestStart = 0;
  let bestKey = -1;
  for (const [s] of matches.length ? matches : [[0, 0] as [number, number]]) {
    const start = Math.max(0, s - Math.floor(maxLength / 4));
    const inside = matches.filter(([a, b]) => a >= start && b <= start + maxLength);
    const distinct = new Set(inside.map(([a, b]) => text.slice(a, b).toLowerCase())).size;
    const key = distinct * 1000 + inside.length;
    if (key > bestKey) {
      bestKey = key;
      bestStart = start;
    }
  }
  let start = bestStart;
  let end = Math.min(text.length, start + maxLength);
  // Snap to word boundaries.
  if (start > 0) {
    const sp = text.indexOf(' ', start);
    if (sp !== -1 && sp < start + 20) start = sp + 1;
  }
  if (end < text.length) {
    const sp = text.lastIndexOf(' ', end);
    if (sp > end - 20) end = sp;
  }
  const pre = start > 0 ? '… ' : '';
  const post = end < text.length ? ' …' : '';
  const body = text.slice(start, end);
  const marks = matches
    .filter(([a, b]) => a >= start && b <= end)
    .map(([a, b]): [number, number] => [a - start + pre.length, b - start + pre.length]);
  return { text: pre + body + post, marks };
}
