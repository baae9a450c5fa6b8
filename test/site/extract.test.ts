// HTML and Markdown extraction, section splitting, chunking and passages.
import { describe, expect, it } from 'vitest';
import { chunkText } from '../../src/site/chunk.js';
import { extractHtml, isLinkList } from '../../src/site/html.js';
import { injectHtml } from '../../src/site/inject.js';
import { extractMarkdown } from '../../src/site/markdown.js';
import { sectionPassages } from '../../src/site/passages.js';

const PAGE = `<!doctype html><html lang="en"><head><title>Guide — Site</title><script>var x = "script text";</script></head>
<body>
  <header><a href="/">Site header</a></header>
  <nav><a href="/a">Navigation link</a></nav>
  <div role="main">
    <section id="intro">
      <h1>Guide<a class="headerlink" href="#intro">¶</a></h1>
      <p>Opening words about caching.</p>
      <div data-m3search-ignore><p>Edit this page on GitHub</p></div>
      <section id="install">
        <h2>Install it</h2>
        <p>Run the <code>installer</code> once.</p>
        <dl><dt id="opt-fast">--fast</dt><dd>Skips the checks.</dd></dl>
      </section>
      <h3 id="faq">FAQ</h3>
      <p>Questions and answers.</p>
    </section>
  </div>
  <aside>Sidebar text</aside>
  <footer>Copyright footer</footer>
</body></html>`;

describe('extractHtml', () => {
  const page = extractHtml(PAGE);
  const all = page.sections.map((s) => `${s.heading} ${s.text}`).join(' ');

  it('splits the page into sections at headings, keeping each anchor', () => {
    expect(page.title).toBe('Guide');
    expect(page.lang).toBe('en');
    expect(page.sections.map((s) => [s.anchor, s.heading])).toEqual([
      ['intro', 'Guide'],
      ['install', 'Install it'],
      ['faq', 'FAQ'],
    ]);
    expect(page.sections[0]!.text).toBe('Opening words about caching.');
    expect(page.sections[1]!.text).toBe('Run the installer once. --fast Skips the checks.');
  });

  it('skips nav, header, footer, aside, scripts, permalink marks and data-m3search-ignore', () => {
    // Not vacuous: the main content is all there (an empty extraction would pass the checks below).
    for (const kept of ['Opening words about caching.', 'Run the installer once.', 'Skips the checks.', 'Questions and answers.']) expect(all).toContain(kept);
    for (const gone of ['Site header', 'Navigation link', 'Sidebar text', 'Copyright footer', 'script text', 'Edit this page', '¶']) {
      expect(all).not.toContain(gone);
    }
  });

  it('records ids inside a section so later chunks can link closer', () => {
    const install = page.sections[1]!;
    const point = install.points.find((p) => p.id === 'opt-fast');
    expect(point).toBeDefined();
    expect(install.text.slice(point!.offset)).toMatch(/^--fast/);
  });

  it('honours data-m3search-body and page-level opt-outs', () => {
    const marked = extractHtml('<html><body><p>outside</p><article data-m3search-body><h2 id="x">Only</h2><p>inside</p></article></body></html>');
    expect(marked.sections).toEqual([expect.objectContaining({ anchor: 'x', heading: 'Only', text: 'inside' })]);
    expect(extractHtml('<html><head><meta name="m3search" content="noindex"></head><body><p>x</p></body></html>').skipped).toBe(true);
    expect(extractHtml('<html><body data-m3search-ignore><p>x</p></body></html>').skipped).toBe(true);
  });
});

describe('extractMarkdown', () => {
  it('reads front-matter titles, heading slugs and explicit ids; fenced code keeps its text', () => {
    const md = extractMarkdown('---\ntitle: "The Title"\n---\nIntro **bold** [link](x.md).\n\n## Set up {#setup}\ntext\n\n## Set up\n```\n# not a heading\n```\n', 'file');
    expect(md.title).toBe('The Title');
    expect(md.sections.map((s) => [s.anchor, s.heading, s.text])).toEqual([
      ['', 'The Title', 'Intro bold link.'],
      ['setup', 'Set up', 'text'],
      ['set-up', 'Set up', '# not a heading'],
    ]);
  });
});

const countWords = (t: string): number => (t.match(/\S+/g) ?? []).length;

describe('chunkText', () => {
  const text = Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ');

  it('keeps a text that fits whole', () => {
    expect(chunkText('a b c', { budget: 5, overlap: 1, count: countWords })).toEqual([{ text: 'a b c', start: 0, end: 5 }]);
    expect(chunkText('   ', { budget: 5, overlap: 1, count: countWords })).toEqual([]);
  });

  it('cuts to the budget with the requested overlap and drops no word', () => {
    const chunks = chunkText(text, { budget: 20, overlap: 5, count: countWords });
    for (const c of chunks) {
      expect(countWords(c.text)).toBeLessThanOrEqual(20);
      expect(text.slice(c.start, c.end)).toBe(c.text);
    }
    for (let i = 1; i < chunks.length; i++) {
      const prev = chunks[i - 1]!.text.split(' ');
      expect(chunks[i]!.text.split(' ').slice(0, 5)).toEqual(prev.slice(-5));
    }
    const covered = new Set(chunks.flatMap((c) => c.text.split(' ')));
    expect(covered.size).toBe(100);
  });

  it('splits a single word longer than the budget into pieces that fit', () => {
    const perChar = (t: string): number => t.replace(/\s/g, '').length;
    const long = 'x'.repeat(25);
    const chunks = chunkText(`a ${long} b`, { budget: 10, overlap: 0, count: perChar });
    expect(chunks.every((c) => perChar(c.text) <= 10)).toBe(true);
    expect(chunks.map((c) => c.text.replace(/\s/g, '')).join('')).toBe(`a${long}b`);
  });

  it('verifies the joined count when word counts underestimate it', () => {
    // A tokenizer that charges one extra token per space: per-word sums are too low.
    const spaced = (t: string): number => countWords(t) + (t.match(/ /g) ?? []).length;
    const chunks = chunkText(text, { budget: 20, overlap: 2, count: spaced });
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) expect(spaced(c.text)).toBeLessThanOrEqual(20);
  });
});

describe('sectionPassages', () => {
  it('prefixes page title and heading, links later chunks to the nearest id, and hashes what is encoded', () => {
    const body = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
    const offset = body.indexOf('word40');
    const { passages, chunked } = sectionPassages(
      { page: 3, pageTitle: 'Page', anchor: 'sec', heading: 'Heading', text: body, points: [{ offset, id: 'deep' }] },
      { maxTokens: 24, overlapTokens: 4, count: countWords, specialTokens: 2 },
    );
    expect(chunked).toBe(true);
    expect(passages[0]!.anchor).toBe('sec');
    expect(passages[0]!.encodeText.startsWith('Page — Heading\n')).toBe(true);
    for (const p of passages) expect(countWords(p.encodeText)).toBeLessThanOrEqual(22);
    const after = passages.find((p) => body.indexOf(p.text) > offset);
    expect(after?.anchor).toBe('deep');
    expect(new Set(passages.map((p) => p.hash)).size).toBe(passages.length);
    expect(passages.every((p) => /^[0-9a-f]{12}$/.test(p.hash))).toBe(true);
  });
});

describe('injectHtml', () => {
  it('adds the tag with page-relative URLs, and a re-run replaces instead of repeating', () => {
    const html = '<html><head><title>t</title></head><body class="x"><p>hi</p></body></html>';
    const once = injectHtml(html, 'library/os.html', { indexDir: 'm3search', serviceWorker: 'm3search-sw.js' });
    expect(once).toContain('<script src="../m3search/m3search.js" data-index="../m3search/" data-sw="../m3search-sw.js" defer></script>');
    expect(once).toMatch(/<body class="x"><!-- m3search:start --><m3-search data-m3search-ignore/);
    expect(injectHtml(once, 'library/os.html', { indexDir: 'm3search', serviceWorker: 'm3search-sw.js' })).toBe(once);
  });
});

describe('injectHtml with special replacement patterns in the folder name', () => {
  it("inserts an index folder named with $&, $' and $1 literally", () => {
    const html = '<html><head><title>t</title></head><body><p>hi</p></body></html>';
    for (const indexDir of ["a$&b", "s$'x", 'x$`y', 'g$1$$']) {
      const out = injectHtml(html, 'page.html', { indexDir });
      const attr = indexDir.replace(/&/g, '&amp;');
      expect(out).toContain(`<script src="${attr}/m3search.js" data-index="${attr}/" defer></script><!-- m3search:end -->\n</head>`);
      // The page around the tag is untouched: one head, one body, and a re-run is stable.
      expect(out.match(/<\/head>/g)).toHaveLength(1);
      expect(out.match(/<title>t<\/title>/g)).toHaveLength(1);
      expect(injectHtml(out, 'page.html', { indexDir })).toBe(out);
    }
  });
});

describe('link lists', () => {
  const li = (n: number) => Array.from({ length: n }, (_, i) => `<li><a href="p${i}.html">Chapter number ${i} of the guide</a></li>`).join('');
  it('counts link text per section; a long section of mostly links is a link list, prose with links is not', () => {
    const page = extractHtml(
      `<main><h1>Guide</h1><h2 id="toc">Contents</h2><ul>${li(20)}</ul><h2 id="prose">Prose</h2><p>${'Plain words about the topic, with one <a href="x.html">link</a> in them. '.repeat(10)}</p><h2 id="short">See also</h2><p><a href="y.html">Another page</a></p></main>`,
    );
    const byAnchor = new Map(page.sections.map((s) => [s.anchor, s]));
    expect(byAnchor.get('toc')!.linkChars).toBe(byAnchor.get('toc')!.text.replace(/ /g, '').length);
    expect(isLinkList(byAnchor.get('toc')!)).toBe(true);
    expect(byAnchor.get('prose')!.linkChars).toBe('link'.length * 10);
    expect(isLinkList(byAnchor.get('prose')!)).toBe(false);
    // Short: all links but under 300 characters, kept.
    expect(isLinkList(byAnchor.get('short')!)).toBe(false);
    // An <a> without href (a named anchor) is not a link.
    expect(extractHtml('<main><p><a name="x">named</a> and text</p></main>').sections[0]!.linkChars).toBe(0);
  });
});
