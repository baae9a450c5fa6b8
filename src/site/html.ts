// Built HTML page → title + sections. Only the page's body content is read
// ([data-m3search-body], else main / [role=main] / article / body); chrome such
// as nav, header, footer, aside, scripts and [data-m3search-ignore] is skipped.
// Each h1–h4 starts a section that links to the heading's id or, failing that,
// the nearest enclosing id (Sphinx puts ids on <section>).
import { parseHTML } from 'linkedom';
import type { Section } from './types.js';

/** An id inside a section's text: lets a long section's later chunks link closer than the heading. */
export interface AnchorPoint {
  offset: number;
  id: string;
}

export interface ExtractedSection extends Section {
  points: AnchorPoint[];
}

export interface ExtractedPage {
  title: string;
  sections: ExtractedSection[];
  /** Page asked not to be indexed (`<meta name="m3search" content="noindex">` or `data-m3search-ignore` on <body>). */
  skipped: boolean;
  /** `<html lang>`, when set. */
  lang?: string;
}

const SKIP = new Set(['NAV', 'HEADER', 'FOOTER', 'ASIDE', 'SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'SVG', 'FORM', 'BUTTON', 'SELECT', 'TEXTAREA', 'IFRAME', 'M3-SEARCH', 'HEAD']);
const BLOCK = new Set([
  'P', 'DIV', 'SECTION', 'ARTICLE', 'MAIN', 'LI', 'UL', 'OL', 'DL', 'DT', 'DD', 'PRE', 'TABLE', 'THEAD', 'TBODY', 'TR', 'TD', 'TH',
  'BLOCKQUOTE', 'BR', 'HR', 'FIGURE', 'FIGCAPTION', 'DETAILS', 'SUMMARY', 'H5', 'H6', 'CAPTION', 'ADDRESS',
]);
const HEADING = /^H([1-4])$/;
/** Sphinx/MkDocs/anchor.js permalink markers ("¶", "#"): not content. */
const PERMALINK = /\bheaderlink\b|\banchor(js)?-link\b/;

// Minimal structural types over linkedom's DOM (its own typings are loose).
interface El {
  nodeType: number;
  tagName: string;
  id: string;
  parentElement: El | null;
  childNodes: ArrayLike<El & { nodeValue: string | null }>;
  textContent: string | null;
  hasAttribute(name: string): boolean;
  getAttribute(name: string): string | null;
  querySelector(sel: string): El | null;
  querySelectorAll(sel: string): ArrayLike<El>;
}

export function extractHtml(html: string): ExtractedPage {
  const { document } = parseHTML(html) as unknown as { document: El & { title: string; body: El | null } };
  const lang = document.querySelector('html')?.getAttribute('lang') || undefined;
  const meta = document.querySelector('meta[name="m3search"]');
  const body = document.body ?? document;
  if (meta?.getAttribute('content')?.includes('noindex') || body.hasAttribute('data-m3search-ignore')) {
    return { title: '', sections: [], skipped: true, lang };
  }
  const marked = Array.from(document.querySelectorAll('[data-m3search-body]'));
  const roots = marked.length ? marked : [document.querySelector('main') ?? document.querySelector('[role="main"]') ?? document.querySelector('article') ?? body];

  const h1 = roots.map((r) => r.querySelector('h1')).find((h) => h && !ignored(h, roots));
  const title = (h1 ? headingText(h1) : '') || clean(document.querySelector('title')?.textContent ?? '');

  const builder = new SectionBuilder(title);
  for (const root of roots) walk(root, builder);
  return { title, sections: builder.finish(), skipped: false, lang };
}

/** True when `el` sits in skipped chrome (between it and one of the roots). */
function ignored(el: El, roots: El[]): boolean {
  for (let e: El | null = el; e && !roots.includes(e); e = e.parentElement) {
    if (SKIP.has(e.tagName.toUpperCase()) || e.hasAttribute('data-m3search-ignore')) return true;
  }
  return false;
}

function walk(node: El, b: SectionBuilder): void {
  for (const child of Array.from(node.childNodes)) {
    if (child.nodeType === 3) {
      b.text(child.nodeValue ?? '');
      continue;
    }
    if (child.nodeType !== 1) continue;
    const tag = child.tagName.toUpperCase();
    if (SKIP.has(tag) || child.hasAttribute('data-m3search-ignore') || PERMALINK.test(child.getAttribute('class') ?? '')) continue;
    const h = HEADING.exec(tag);
    if (h) {
      b.heading(headingText(child), headingAnchor(child));
      continue;
    }
    if (child.id) b.point(child.id);
    const block = BLOCK.has(tag);
    if (block) b.space();
    walk(child, b);
    if (block) b.space();
  }
}

/** Heading text without Sphinx/MkDocs permalink markers ("¶", "#", "🔗") or script/style contents. */
function headingText(h: El): string {
  let text = '';
  const visit = (n: El & { nodeValue: string | null }): void => {
    if (n.nodeType === 3) text += n.nodeValue ?? '';
    else if (n.nodeType === 1 && !SKIP.has(n.tagName.toUpperCase()) && !PERMALINK.test(n.getAttribute('class') ?? '') && !n.hasAttribute('data-m3search-ignore')) {
      for (const c of Array.from(n.childNodes)) visit(c);
    }
  };
  for (const c of Array.from(h.childNodes)) visit(c);
  return clean(text).replace(/\s*[¶#🔗]+$/u, '');
}

/** The heading's own id, an id inside it, the nearest enclosing id, or a just-before empty anchor. */
function headingAnchor(h: El): string {
  if (h.id) return h.id;
  const inner = h.querySelector('[id]') ?? h.querySelector('a[name]');
  if (inner) return inner.id || inner.getAttribute('name') || '';
  for (let e = h.parentElement; e; e = e.parentElement) if (e.id) return e.id;
  return '';
}

function clean(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** Accumulates text with whitespace collapsed as it goes, so anchor offsets stay exact. */
class SectionBuilder {
  private readonly sections: ExtractedSection[] = [];
  private cur: ExtractedSection;
  private pendingSpace = false;

  constructor(pageTitle: string) {
    this.cur = { anchor: '', heading: pageTitle, text: '', points: [] };
  }

  text(s: string): void {
    for (const part of s.split(/(\s+)/)) {
      if (part === '') continue;
      if (/^\s+$/.test(part)) {
        this.pendingSpace = true;
        continue;
      }
      if (this.pendingSpace && this.cur.text !== '') this.cur.text += ' ';
      this.pendingSpace = false;
      this.cur.text += part;
    }
  }

  space(): void {
    this.pendingSpace = true;
  }

  point(id: string): void {
    const offset = this.cur.text.length + (this.pendingSpace && this.cur.text ? 1 : 0);
    this.cur.points.push({ offset, id });
  }

  heading(text: string, anchor: string): void {
    this.flush();
    this.cur = { anchor, heading: text, text: '', points: [] };
  }

  private flush(): void {
    if (this.cur.text.trim() !== '') this.sections.push(this.cur);
    this.pendingSpace = false;
  }

  finish(): ExtractedSection[] {
    this.flush();
    return this.sections;
  }
}
