// Built HTML page → title + sections, streamed (no DOM). Only the page's body content is read
// ([data-m3search-body], else a generator's known content container, else main /
// [role=main] / article / body); chrome such as nav, the page's header (not an
// article's), footer, aside, scripts and [data-m3search-ignore] is skipped.
// Each h1–h4 starts a section that links to the heading's id or, failing that,
// the nearest enclosing id (Sphinx puts ids on <section>).
import { Parser } from 'htmlparser2';
import type { Section } from './types.js';

/** An id inside a section's text: lets a long section's later chunks link closer than the heading. */
export interface AnchorPoint {
  offset: number;
  id: string;
}

export interface ExtractedSection extends Section {
  points: AnchorPoint[];
  /** Characters of the text that are link text (inside <a href>): a section of mostly links is a table of contents or an index. */
  linkChars: number;
}

export interface ExtractedPage {
  title: string;
  sections: ExtractedSection[];
  /**
   * Page not indexed: it asked (`<meta name="m3search" content="noindex">` or `data-m3search-ignore`
   * on <body>), or a generator made it from its index (Sphinx's genindex, domain index, search page).
   */
  skipped: boolean;
  /** `<html lang>`, when set. */
  lang?: string;
}

const SKIP = new Set(['NAV', 'FOOTER', 'ASIDE', 'SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'SVG', 'FORM', 'BUTTON', 'SELECT', 'TEXTAREA', 'IFRAME', 'M3-SEARCH', 'HEAD']);
const BLOCK = new Set([
  'P', 'DIV', 'SECTION', 'ARTICLE', 'MAIN', 'LI', 'UL', 'OL', 'DL', 'DT', 'DD', 'PRE', 'TABLE', 'THEAD', 'TBODY', 'TR', 'TD', 'TH',
  'BLOCKQUOTE', 'BR', 'HR', 'FIGURE', 'FIGCAPTION', 'DETAILS', 'SUMMARY', 'H5', 'H6', 'CAPTION', 'ADDRESS',
]);
const HEADING = /^H([1-4])$/;
/**
 * Permalink markers next to headings ("¶", "#", a zero-width space, Starlight's "Section titled …"):
 * not content. Sphinx and MkDocs `headerlink`, anchor.js, Docusaurus `hash-link`, VitePress
 * `header-anchor`, Starlight `sl-anchor-link`.
 */
const PERMALINK = /\bheaderlink\b|\banchor(js)?-link\b|\bhash-link\b|\bheader-anchor\b|\bsl-anchor-link\b/;
/**
 * A <header> inside one of these is that section's header (it holds the title: Docusaurus puts the
 * page's h1 in `article header`), not the page banner: the HTML-AAM rule for the `banner` role.
 */
const SECTIONING = new Set(['ARTICLE', 'ASIDE', 'MAIN', 'NAV', 'SECTION']);
/**
 * Content containers of generators whose <main> also holds chrome that is not marked as such:
 * Docusaurus puts the desktop table of contents (a plain div of links) and the version badge
 * in <main>, the page's text in `.theme-doc-markdown`.
 */
const KNOWN_ROOT = /\btheme-doc-markdown\b/;
/**
 * Pages a generator makes from its index rather than from content: Sphinx's general and domain
 * indexes (`table.genindextable` / `.modindextable`) and its search page (`#search-results`
 * filled by `searchtools.js`). As results they only point at the pages that answer.
 */
const GENERATED_INDEX = /\b(gen|mod)indextable\b/;

/** Which elements are the page's content: the first rule that matches anything wins. */
type RootRule = 'marked' | 'known' | 'main' | 'role' | 'article' | 'body' | 'document';

interface Survey {
  rule: RootRule;
  lang?: string;
  skipped: boolean;
  titleTag: string;
}

/** Pass 1: the attributes that decide what pass 2 reads (no text kept, no tree built). */
function survey(): { parser: Parser; result: () => Survey } {
  const seen = new Set<RootRule>();
  let lang: string | undefined;
  let skipped = false;
  let inTitle = 0;
  let titleTag = '';
  let sawTitle = false;
  let searchResults = false;
  let searchScript = false;
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (name === 'html' && attrs.lang && lang === undefined) lang = attrs.lang;
        if ('data-m3search-body' in attrs) seen.add('marked');
        if (KNOWN_ROOT.test(attrs.class ?? '')) seen.add('known');
        if (name === 'table' && GENERATED_INDEX.test(attrs.class ?? '')) skipped = true;
        if (attrs.id === 'search-results') searchResults = true;
        if (name === 'script' && /(^|\/)searchtools\.js(\?|$)/.test(attrs.src ?? '')) searchScript = true;
        if (name === 'main') seen.add('main');
        if (attrs.role === 'main') seen.add('role');
        if (name === 'article') seen.add('article');
        if (name === 'body') {
          seen.add('body');
          if ('data-m3search-ignore' in attrs) skipped = true;
        }
        if (name === 'meta' && attrs.name === 'm3search' && attrs.content?.includes('noindex')) skipped = true;
        if (name === 'title' && !sawTitle) inTitle++;
      },
      ontext(t) {
        if (inTitle > 0) titleTag += t;
      },
      onclosetag(name) {
        if (name === 'title' && inTitle > 0) {
          inTitle--;
          sawTitle = true;
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  const result = (): Survey => {
    const rule = (['marked', 'known', 'main', 'role', 'article', 'body'] as const).find((r) => seen.has(r)) ?? 'document';
    return { rule, lang, skipped: skipped || (searchResults && searchScript), titleTag };
  };
  return { parser, result };
}

interface Frame {
  tag: string;
  id: string;
  /** This element starts skipped chrome (a SKIP tag, data-m3search-ignore, a permalink marker). */
  skip: boolean;
  /** This element is one of the page's content roots. */
  root: boolean;
  /** A block element inside the content: words on either side do not run together. */
  block: boolean;
  /** The h1–h4 whose text is being captured. */
  heading: boolean;
  /** A link (<a href>) inside the content. */
  link?: boolean;
}

/** A page's whole text → title + sections. */
export function extractHtml(html: string): ExtractedPage {
  const pass1 = survey();
  pass1.parser.end(html);
  const s = pass1.result();
  if (s.skipped) return { title: '', sections: [], skipped: true, lang: s.lang };
  const pass2 = extract(s);
  pass2.parser.end(html);
  return pass2.result();
}

/**
 * The same as `extractHtml` for a page read piece by piece: `read()` yields its text from the
 * start each time it is called (twice: once per pass). A page of any size then costs the text
 * kept, never the whole file as bytes and as a string at once. htmlparser2 gives the same events
 * for pieces as for the whole text, except that a text node may arrive split, which every
 * handler here accumulates.
 */
export async function extractHtmlStream(read: () => AsyncIterable<string>): Promise<ExtractedPage> {
  const pass1 = survey();
  for await (const piece of read()) pass1.parser.write(piece);
  pass1.parser.end();
  const s = pass1.result();
  if (s.skipped) return { title: '', sections: [], skipped: true, lang: s.lang };
  const pass2 = extract(s);
  for await (const piece of read()) pass2.parser.write(piece);
  pass2.parser.end();
  return pass2.result();
}

/**
 * Pass 2 streams the page through htmlparser2's tokenizer (no DOM: a page of
 * any size costs its text, not a tree of objects) and keeps the text of the
 * content roots, sections cut at h1–h4.
 */
function extract({ rule, lang, titleTag }: Survey): { parser: Parser; result: () => ExtractedPage } {
  const builder = new SectionBuilder();
  const stack: Frame[] = [];
  let rootDepth = rule === 'document' ? 1 : 0;
  let rootsLeft = rule === 'marked' ? Infinity : 1;
  let skipDepth = 0;
  let linkDepth = 0;
  let title = '';
  let heading: { text: string; own: string; inner: string; outer: string; skipDepth: number } | undefined;
  const isRoot = (name: string, attrs: Record<string, string>): boolean => {
    switch (rule) {
      case 'marked':
        return 'data-m3search-body' in attrs;
      case 'known':
        return KNOWN_ROOT.test(attrs.class ?? '');
      case 'main':
        return name === 'main';
      case 'role':
        return attrs.role === 'main';
      case 'article':
        return name === 'article';
      case 'body':
        return name === 'body';
      default:
        return false;
    }
  };
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        const tag = name.toUpperCase();
        const frame: Frame = { tag, id: attrs.id ?? '', skip: false, root: false, block: false, heading: false };
        stack.push(frame);
        if (rootDepth === 0) {
          if (rootsLeft > 0 && isRoot(name, attrs)) {
            frame.root = true;
            rootDepth++;
            rootsLeft--;
          }
          return;
        }
        const chrome = SKIP.has(tag) || (tag === 'HEADER' && !inSectioning(stack)) || 'data-m3search-ignore' in attrs || PERMALINK.test(attrs.class ?? '');
        if (heading) {
          // Inside a heading: chrome is left out of its text; the first id (or a[name]) inside is its anchor.
          if (chrome) {
            frame.skip = true;
            heading.skipDepth++;
          } else if (!heading.inner) heading.inner = attrs.id || (tag === 'A' ? (attrs.name ?? '') : '');
          return;
        }
        if (skipDepth > 0 || chrome) {
          if (chrome) {
            frame.skip = true;
            skipDepth++;
          }
          return;
        }
        if (HEADING.test(tag)) {
          frame.heading = true;
          let outer = '';
          // Up to the content root only: an id outside it is a wrapper of the whole page (Docusaurus's #__docusaurus).
          for (let i = stack.length - 2; i >= 0 && !outer; i--) {
            outer = stack[i]!.id;
            if (stack[i]!.root) break;
          }
          heading = { text: '', own: frame.id, inner: '', outer, skipDepth: 0 };
          return;
        }
        if (frame.id) builder.point(frame.id);
        if (tag === 'A' && attrs.href !== undefined) {
          frame.link = true;
          linkDepth++;
        }
        if (BLOCK.has(tag)) {
          frame.block = true;
          builder.space();
        }
      },
      ontext(t) {
        if (rootDepth === 0) return;
        if (heading) {
          if (heading.skipDepth === 0) heading.text += t;
        } else if (skipDepth === 0) builder.text(t, linkDepth > 0);
      },
      onclosetag() {
        const frame = stack.pop();
        if (!frame) return;
        if (frame.skip) {
          if (heading && !frame.heading) heading.skipDepth--;
          else skipDepth--;
        }
        if (frame.heading && heading) {
          const text = clean(heading.text).replace(/\s*[¶#🔗]+$/u, '');
          if (!title && frame.tag === 'H1') title = text;
          builder.heading(text, heading.own || heading.inner || heading.outer);
          heading = undefined;
        }
        if (frame.block) builder.space();
        if (frame.link) linkDepth--;
        if (frame.root) rootDepth--;
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  const result = (): ExtractedPage => {
    title ||= clean(titleTag);
    return { title, sections: builder.finish(title), skipped: false, lang };
  };
  return { parser, result };
}

/**
 * A section that is a list of links (a table of contents, a generated index):
 * at least 300 characters, 60% or more of them link text. On the Python docs
 * these measure 0.77–0.91 and content sections at most 0.41; as search results
 * they crowd out the pages they link to.
 */
export function isLinkList(s: Pick<ExtractedSection, 'text' | 'linkChars'>): boolean {
  return s.text.length >= 300 && s.linkChars >= 0.6 * s.text.length;
}

/** Whether the element just opened (the stack's top) is inside sectioning content. */
function inSectioning(stack: readonly Frame[]): boolean {
  for (let i = stack.length - 2; i >= 0; i--) if (SECTIONING.has(stack[i]!.tag)) return true;
  return false;
}

function clean(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** Accumulates text with whitespace collapsed as it goes, so anchor offsets stay exact. */
class SectionBuilder {
  private readonly sections: ExtractedSection[] = [];
  private pendingSpace = false;

  /** Text before the first heading belongs to the page: its heading is the page title, known at the end. */
  private readonly lead: ExtractedSection = { anchor: '', heading: '', text: '', points: [], linkChars: 0 };
  private cur = this.lead;

  text(s: string, link = false): void {
    // One regex pass per text node (not a split into words): a 50 MB page makes no garbage per word.
    const collapsed = s.replace(/\s+/g, ' ');
    const lead = collapsed.charCodeAt(0) === 32;
    const trail = collapsed.length > 1 && collapsed.charCodeAt(collapsed.length - 1) === 32;
    const core = collapsed.slice(lead ? 1 : 0, trail ? -1 : undefined);
    if (core === '' || core === ' ') {
      if (collapsed !== '') this.pendingSpace = true;
      return;
    }
    if ((lead || this.pendingSpace) && this.cur.text !== '') this.cur.text += ' ';
    this.cur.text += core;
    this.pendingSpace = trail;
    if (link) {
      let spaces = 0;
      for (let i = core.indexOf(' '); i >= 0; i = core.indexOf(' ', i + 1)) spaces++;
      this.cur.linkChars += core.length - spaces;
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
    this.cur = { anchor, heading: text, text: '', points: [], linkChars: 0 };
  }

  private flush(): void {
    if (this.cur.text.trim() !== '') this.sections.push(this.cur);
    this.pendingSpace = false;
  }

  finish(pageTitle: string): ExtractedSection[] {
    this.flush();
    this.lead.heading = pageTitle;
    return this.sections;
  }
}
