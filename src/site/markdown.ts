// Markdown source page → title + sections, for sites indexed from their
// sources. Headings #–#### start sections; anchors are `{#id}` when given,
// else GitHub-style slugs (what most generators produce). Markup is stripped
// to plain text; fenced code keeps its text (it is often what people search).
import type { ExtractedPage, ExtractedSection } from './html.js';

const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;

export function extractMarkdown(source: string, fallbackTitle: string): ExtractedPage {
  let body = source.replace(/\r\n?/g, '\n');
  let title = '';
  const front = /^---\n([\s\S]*?)\n---\n/.exec(body);
  if (front) {
    title = /^title:\s*["']?(.*?)["']?\s*$/m.exec(front[1]!)?.[1] ?? '';
    body = body.slice(front[0].length);
  }
  const sections: ExtractedSection[] = [];
  const slugs = new Map<string, number>();
  let cur: ExtractedSection = { anchor: '', heading: title || fallbackTitle, text: '', points: [], linkChars: 0 };
  let fence: string | null = null;
  const flush = (): void => {
    cur.text = cur.text.replace(/\s+/g, ' ').trim();
    if (cur.text) sections.push(cur);
  };
  for (const line of body.split('\n')) {
    const f = /^\s*(```|~~~)/.exec(line);
    if (f) {
      fence = fence === null ? f[1]! : fence === f[1] ? null : fence;
      continue;
    }
    const h = fence === null ? HEADING.exec(line) : null;
    if (h && h[1]!.length <= 4) {
      flush();
      let text = h[2]!;
      const explicit = /\s*\{#([^}]+)\}$/.exec(text);
      if (explicit) text = text.slice(0, explicit.index);
      const heading = inline(text);
      if (!title && h[1]!.length === 1) title = heading;
      cur = { anchor: explicit?.[1] ?? uniqueSlug(heading, slugs), heading, text: '', points: [], linkChars: 0 };
      continue;
    }
    cur.text += ' ' + (fence === null ? inline(line.replace(/^\s*(>|[-*+]|\d+\.)\s+/, '')) : line);
  }
  flush();
  return { title: title || fallbackTitle, sections, skipped: false };
}

/** Inline markup → text: links and images keep their text, emphasis and code marks go. */
function inline(s: string): string {
  return s
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, ' ')
    .replace(/(\*\*|__|\*|_|`)(?=\S)([^*_`]*?\S)\1/g, '$2')
    .trim();
}

/** GitHub's rule: lowercase, drop punctuation, spaces → '-', repeats get -1, -2… */
export function slugify(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').trim().replace(/\s/g, '-');
}

function uniqueSlug(text: string, seen: Map<string, number>): string {
  const base = slugify(text);
  const n = seen.get(base) ?? 0;
  seen.set(base, n + 1);
  return n === 0 ? base : `${base}-${n}`;
}
