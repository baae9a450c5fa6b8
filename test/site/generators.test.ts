// The crawler on each docs generator's page markup (Sphinx, MkDocs, Docusaurus, VitePress,
// Starlight): minimal pages written by hand after each generator's default theme, cut down to
// the parts that decide what is read: the content root, the chrome around it, heading permalinks.
// Each test checks the sections (headings and anchors), that the content is all there, and that
// no chrome text got in. Sphinx's real output is checked end to end in sphinx.test.ts.
import { describe, expect, it } from 'vitest';
import { extractHtml, type ExtractedPage } from '../../src/site/html.js';

function words(page: ExtractedPage): string {
  return page.sections.map((s) => `${s.heading} ${s.text}`).join(' ');
}

function expectClean(page: ExtractedPage, kept: string[], gone: string[]): void {
  const all = words(page);
  for (const k of kept) expect(all).toContain(k);
  for (const g of gone) expect(all).not.toContain(g);
  // No zero-width spaces or permalink signs left in a heading.
  for (const s of page.sections) expect(s.heading).not.toMatch(/[\u200b¶#]/u);
}

describe('Sphinx (basic/alabaster theme)', () => {
  const PAGE = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8" /><title>Pruning &#8212; Orchard 1.0 documentation</title>
<script src="_static/doctools.js"></script></head><body>
<div class="document"><div class="documentwrapper"><div class="bodywrapper"><div class="body" role="main">
<section id="pruning"><h1>Pruning<a class="headerlink" href="#pruning" title="Permalink to this heading">¶</a></h1>
<p>Pruning keeps fruiting wood within reach.</p>
<section id="winter-pruning"><h2>Winter pruning<a class="headerlink" href="#winter-pruning" title="Permalink to this heading">¶</a></h2>
<p>Cut back every cane that fruited.</p>
<dl class="py function"><dt class="sig sig-object py" id="prune_cane"><span class="sig-name descname"><span class="pre">prune_cane</span></span>(vine_id)<a class="headerlink" href="#prune_cane" title="Permalink to this definition">¶</a></dt><dd><p>Record a cut.</p></dd></dl>
</section></section>
</div></div></div>
<div class="sphinxsidebar" role="navigation" aria-label="main navigation"><div class="sphinxsidebarwrapper">
<h1 class="logo"><a href="index.html">Orchard</a></h1><h3>Navigation</h3><ul><li><a href="planting.html">Planting</a></li></ul>
<div id="searchbox" role="search"><h3 id="searchlabel">Quick search</h3><form class="search" action="search.html" method="get"><input type="text" name="q" /></form></div>
</div></div></div>
<div class="footer">&#169;2026, m3search tests.</div></body></html>`;

  it('reads div[role=main] only, each section linked to its <section id>, definitions as anchor points', () => {
    const page = extractHtml(PAGE);
    expect(page.title).toBe('Pruning');
    expect(page.sections.map((s) => [s.anchor, s.heading])).toEqual([
      ['pruning', 'Pruning'],
      ['winter-pruning', 'Winter pruning'],
    ]);
    const winter = page.sections[1]!;
    expect(winter.points.map((p) => p.id)).toContain('prune_cane');
    expectClean(page, ['Pruning keeps fruiting wood', 'Cut back every cane', 'prune_cane(vine_id)', 'Record a cut.'], ['Navigation', 'Quick search', 'Planting', '©2026', 'Orchard']);
  });

  it("leaves out the pages Sphinx makes from its index: genindex, domain index, search page", () => {
    const genindex = `<html><body><div class="body" role="main"><h1 id="index">Index</h1>
<div class="genindex-jumpbox"><a href="#P"><strong>P</strong></a></div><h2 id="P">P</h2>
<table style="width: 100%" class="indextable genindextable"><tr><td><ul><li><a href="pruning.html#prune_cane">prune_cane() (built-in function)</a></li></ul></td></tr></table></div></body></html>`;
    const modindex = `<html><body><div class="body" role="main"><h1>Python Module Index</h1>
<table class="indextable modindextable"><tr><td><a href="orchard.html#module-orchard"><code class="xref">orchard</code></a></td></tr></table></div></body></html>`;
    const search = `<html><head><script src="_static/searchtools.js"></script></head><body><div class="body" role="main">
<h1 id="search-documentation">Search</h1><p>Searching for multiple words only shows matches that contain all words.</p>
<form action="" method="get"><input type="text" name="q" /></form><div id="search-results"></div></div></body></html>`;
    for (const html of [genindex, modindex, search]) expect(extractHtml(html)).toMatchObject({ skipped: true, sections: [] });
    // Either half of the search page's signature alone is an ordinary page.
    expect(extractHtml(search.replace('searchtools.js', 'app.js')).skipped).toBe(false);
    expect(extractHtml(search.replace('id="search-results"', 'id="results"')).skipped).toBe(false);
  });
});

describe('MkDocs', () => {
  it('Material theme: main.md-main, sidebars are <nav>, the ¶ headerlink and edit button left out', () => {
    const page = extractHtml(`<!doctype html><html lang="en" class="no-js"><head><title>Install - Orchard</title></head><body dir="ltr">
<header class="md-header" data-md-component="header"><nav class="md-header__inner md-grid"><div class="md-header__title"><span class="md-ellipsis">Orchard</span></div>
<form class="md-search__form"><input type="text" placeholder="Search"></form></nav></header>
<div class="md-container" data-md-component="container"><main class="md-main" data-md-component="main"><div class="md-main__inner md-grid">
<div class="md-sidebar md-sidebar--primary" data-md-component="sidebar" data-md-type="navigation"><div class="md-sidebar__scrollwrap"><div class="md-sidebar__inner">
<nav class="md-nav md-nav--primary" aria-label="Navigation"><label class="md-nav__title">Orchard</label><ul class="md-nav__list"><li class="md-nav__item"><a href="../" class="md-nav__link">Home</a></li></ul></nav></div></div></div>
<div class="md-sidebar md-sidebar--secondary" data-md-component="sidebar" data-md-type="toc"><div class="md-sidebar__scrollwrap"><div class="md-sidebar__inner">
<nav class="md-nav md-nav--secondary" aria-label="Table of contents"><label class="md-nav__title">Table of contents</label><ul><li><a href="#requirements">Requirements</a></li></ul></nav></div></div></div>
<div class="md-content" data-md-component="content"><article class="md-content__inner md-typeset">
<a href="https://example.org/edit/docs/install.md" title="Edit this page" class="md-content__button md-icon"><svg viewBox="0 0 24 24"><path d="M0 0"/></svg></a>
<h1 id="install">Install</h1><p>Install the orchard planner with pip.</p>
<h2 id="requirements">Requirements<a class="headerlink" href="#requirements" title="Permanent link">&para;</a></h2><p>Python 3.9 or later.</p>
<div class="highlight"><pre><span></span><code>pip install orchard-planner</code></pre></div>
</article></div></div>
<button type="button" class="md-top md-icon" data-md-component="top" hidden>Back to top</button></main>
<footer class="md-footer"><nav class="md-footer__inner md-grid" aria-label="Footer"><a href="../" class="md-footer__link"><span class="md-footer__title">Previous</span> Home</a></nav>
<div class="md-copyright">Made with Material for MkDocs</div></footer></div></body></html>`);
    expect(page.title).toBe('Install');
    expect(page.sections.map((s) => [s.anchor, s.heading])).toEqual([
      ['install', 'Install'],
      ['requirements', 'Requirements'],
    ]);
    expectClean(page, ['Install the orchard planner with pip.', 'Python 3.9 or later.', 'pip install orchard-planner'], ['Search', 'Home', 'Table of contents', 'Back to top', 'Previous', 'Made with Material', 'Edit this page']);
  });

  it('mkdocs theme: div[role=main], the sidebar is role=complementary', () => {
    const page = extractHtml(`<!DOCTYPE html><html lang="en"><head><title>Install - Orchard</title></head><body>
<div class="navbar fixed-top navbar-expand-lg navbar-dark bg-primary"><div class="container"><a class="navbar-brand" href="..">Orchard</a></div></div>
<div class="container"><div class="row"><div class="col-md-3"><div class="navbar-light navbar-expand-md bs-sidebar hidden-print affix" role="complementary">
<ul class="nav flex-column"><li class="nav-item"><a href="#requirements" class="nav-link">Sidebar requirements</a></li></ul></div></div>
<div class="col-md-9" role="main"><h1 id="install">Install</h1><p>Install the orchard planner with pip.</p>
<h2 id="requirements">Requirements</h2><p>Python 3.9 or later.</p></div></div></div>
<footer class="col-md-12"><hr><p>Documentation built with MkDocs.</p></footer></body></html>`);
    expect(page.sections.map((s) => [s.anchor, s.heading])).toEqual([
      ['install', 'Install'],
      ['requirements', 'Requirements'],
    ]);
    expectClean(page, ['Install the orchard planner with pip.', 'Python 3.9 or later.'], ['Orchard', 'Sidebar requirements', 'built with MkDocs']);
  });
});

describe('Docusaurus', () => {
  const PAGE = `<!doctype html><html lang="en" dir="ltr" class="docs-wrapper plugin-docs"><head><title>Install | Orchard</title></head><body class="navigation-with-keyboard">
<div id="__docusaurus"><nav aria-label="Main" class="navbar navbar--fixed-top"><a class="navbar__brand" href="/"><b class="navbar__title">Orchard</b></a></nav>
<div class="main-wrapper mainWrapper_z2l0"><div class="docsWrapper_hBAB"><div class="docRoot_UBD9">
<aside class="theme-doc-sidebar-container"><nav aria-label="Docs sidebar" class="menu thin-scrollbar"><ul class="theme-doc-sidebar-menu menu__list"><li><a class="menu__link" href="/docs/intro">Tutorial intro</a></li></ul></nav></aside>
<main class="docMainContainer_TBSr"><div class="container padding-top--md padding-bottom--lg"><div class="row"><div class="col docItemCol_VOVn"><div class="docItemContainer_Djhp">
<article><nav class="theme-doc-breadcrumbs breadcrumbsContainer_Z_bl" aria-label="Breadcrumbs"><ul class="breadcrumbs"><li class="breadcrumbs__item"><span class="breadcrumbs__link">Guides</span></li></ul></nav>
<span class="theme-doc-version-badge badge badge--secondary">Version: 2.0</span>
<div class="tocCollapsible_ETCw theme-doc-toc-mobile tocMobile_ITEo"><button type="button" class="clean-btn tocCollapsibleButton_TO0P">On this page</button></div>
<div class="theme-doc-markdown markdown"><header><h1>Install</h1></header>
<p>Install the orchard planner with npm.</p>
<h2 class="anchor anchorWithStickyNavbar_LWe7" id="requirements">Requirements<a href="#requirements" class="hash-link" aria-label="Direct link to Requirements" title="Direct link to Requirements">\u200b</a></h2>
<p>Node 18 or later.</p>
<div class="language-bash codeBlockContainer_Ckt0 theme-code-block"><div class="codeBlockContent_biex"><pre tabindex="0" class="prism-code language-bash codeBlock_bY9V thin-scrollbar"><code class="codeBlockLines_e6Vv"><span class="token-line">npm install orchard-planner</span></code></pre>
<div class="buttonGroup__atx"><button type="button" aria-label="Copy code to clipboard" title="Copy" class="clean-btn">Copy</button></div></div></div>
</div>
<footer class="theme-doc-footer docusaurus-mt-lg"><div class="row margin-top--sm theme-doc-footer-edit-meta-row"><a href="https://example.org/edit/docs/install.md" target="_blank" class="theme-edit-this-page">Edit this page</a></div></footer></article>
<nav class="pagination-nav docusaurus-mt-lg" aria-label="Docs pages"><a class="pagination-nav__link" href="/docs/intro"><div class="pagination-nav__sublabel">Previous</div><div class="pagination-nav__label">Tutorial intro</div></a></nav>
</div></div>
<div class="col col--3"><div class="tableOfContents_bqdL thin-scrollbar theme-doc-toc-desktop"><ul class="table-of-contents table-of-contents__left-border"><li><a href="#requirements" class="table-of-contents__link toc-highlight">Requirements outline</a></li></ul></div></div>
</div></div></main></div></div></div>
<footer class="footer footer--dark"><div class="footer__copyright">Copyright © 2026 Orchard. Built with Docusaurus.</div></footer></div></body></html>`;

  it('reads .theme-doc-markdown: the h1 in its <header> is the title, the hash-link, TOC column and badge are left out', () => {
    const page = extractHtml(PAGE);
    expect(page.title).toBe('Install');
    expect(page.sections.map((s) => [s.anchor, s.heading])).toEqual([
      ['', 'Install'],
      ['requirements', 'Requirements'],
    ]);
    expectClean(page, ['Install the orchard planner with npm.', 'Node 18 or later.', 'npm install orchard-planner'], ['Orchard', 'Tutorial intro', 'Guides', 'Version: 2.0', 'On this page', 'Copy', 'Edit this page', 'Previous', 'Requirements outline', 'Built with Docusaurus']);
  });

  it('a blog post (no .theme-doc-markdown): <main>, with the post title kept from the article <header>', () => {
    const page = extractHtml(`<html lang="en"><body><nav class="navbar"><a href="/">Orchard</a></nav><div class="main-wrapper"><div class="container margin-vert--lg"><div class="row">
<aside class="col col--3"><nav class="sidebar_re4s" aria-label="Blog recent posts navigation"><div class="sidebarItemTitle_pO2u">Recent posts</div></nav></aside>
<main class="col col--7" itemscope itemtype="https://schema.org/Blog"><article itemprop="blogPost"><header><h1 class="title_f1Hy" itemprop="headline">Harvest report</h1><div class="container_mt6G margin-vert--md"><time datetime="2026-11-02">November 2, 2026</time></div></header>
<div id="__blog-post-container" class="markdown" itemprop="articleBody"><p>The quinces ripened early this year.</p></div>
<footer class="row docusaurus-mt-lg blogPostFooterDetailsFull_mRVl"><a href="/blog/tags/harvest">harvest tag</a></footer></article></main></div></div></div>
<footer class="footer"><div class="footer__copyright">Built with Docusaurus.</div></footer></body></html>`);
    expect(page.title).toBe('Harvest report');
    expectClean(page, ['Harvest report', 'The quinces ripened early this year.'], ['Orchard', 'Recent posts', 'harvest tag', 'Built with Docusaurus']);
  });
});

describe('VitePress', () => {
  it('main.main holds .vp-doc; the header-anchor (a zero-width space) and the outline aside are left out', () => {
    const page = extractHtml(`<!DOCTYPE html><html lang="en-US" dir="ltr"><head><title>Install | Orchard</title></head><body><div id="app"><div class="Layout" data-v-5d98c3a5>
<div class="VPSkipLink"><a class="VPSkipLink visually-hidden" href="#VPContent">Skip to content</a></div>
<header class="VPNav"><div class="VPNavBar"><a class="title" href="/"><span>Orchard</span></a></div></header>
<div class="VPLocalNav"><button class="menu"><span class="menu-text">Menu</span></button><div class="VPLocalNavOutlineDropdown"><button>Return to top</button></div></div>
<aside class="VPSidebar"><nav class="nav" id="VPSidebarNav" aria-labelledby="sidebar-aria-label"><span id="sidebar-aria-label" class="visually-hidden">Sidebar Navigation</span><a class="VPLink link" href="/guide/"><p class="text">Guide home</p></a></nav></aside>
<div class="VPContent has-sidebar" id="VPContent"><div class="VPDoc has-sidebar has-aside"><div class="container">
<div class="aside"><div class="aside-container"><div class="aside-content"><div class="VPDocAside"><nav aria-labelledby="doc-outline-aria-label" class="VPDocAsideOutline"><div class="content"><div class="outline-title" id="doc-outline-aria-label" role="heading" aria-level="2">On this page</div></div></nav></div></div></div></div>
<div class="content"><div class="content-container"><main class="main"><div style="position:relative;" class="vp-doc _guide_install"><div>
<h1 id="install" tabindex="-1">Install <a class="header-anchor" href="#install" aria-label="Permalink to &quot;Install&quot;">\u200b</a></h1>
<p>Install the orchard planner with npm.</p>
<h2 id="requirements" tabindex="-1">Requirements <a class="header-anchor" href="#requirements" aria-label="Permalink to &quot;Requirements&quot;">\u200b</a></h2>
<p>Node 18 or later.</p>
<div class="language-sh vp-adaptive-theme"><button title="Copy Code" class="copy"></button><pre class="shiki"><code><span class="line"><span>npm add orchard-planner</span></span></code></pre></div>
</div></div></main>
<footer class="VPDocFooter"><div class="edit-info"><div class="edit-link"><a class="VPLink link edit-link-button" href="https://example.org/edit">Edit this page</a></div></div><nav class="prev-next"><a class="VPLink link pager-link prev" href="/guide/"><span class="desc">Previous page</span></a></nav></footer>
</div></div></div></div></div>
<footer class="VPFooter"><div class="container"><p class="copyright">Copyright © 2026 Orchard</p></div></footer></div></div></body></html>`);
    expect(page.title).toBe('Install');
    expect(page.sections.map((s) => [s.anchor, s.heading])).toEqual([
      ['install', 'Install'],
      ['requirements', 'Requirements'],
    ]);
    expectClean(page, ['Install the orchard planner with npm.', 'Node 18 or later.', 'npm add orchard-planner'], ['Skip to content', 'Orchard', 'Menu', 'Return to top', 'Guide home', 'On this page', 'Edit this page', 'Previous page', 'Copyright']);
  });
});

describe('Starlight (Astro)', () => {
  it('<main> holds the title panel and .sl-markdown-content; the "Section titled" anchor links are left out', () => {
    const page = extractHtml(`<!DOCTYPE html><html lang="en" dir="ltr" data-theme="dark"><head><title>Install | Orchard</title></head><body>
<a href="#_top" class="sl-skip-link">Skip to content</a><div class="page sl-flex">
<header class="header"><div class="header sl-flex"><div class="title-wrapper sl-flex"><a href="/" class="site-title sl-flex"><span>Orchard</span></a></div>
<site-search class="search"><button data-open-modal aria-label="Search"><span class="sl-hidden md:sl-block">Search</span></button></site-search></div></header>
<nav class="sidebar print:hidden" aria-label="Main"><div id="starlight__sidebar" class="sidebar-pane"><ul class="top-level"><li><a href="/guides/intro/"><span>Guide intro</span></a></li></ul></div></nav>
<div class="main-frame"><div class="lg:sl-flex"><aside class="right-sidebar-container print:hidden"><div class="right-sidebar"><div class="lg:sl-hidden"><mobile-starlight-toc><nav aria-labelledby="starlight__on-this-page--mobile"><span>On this page</span></nav></mobile-starlight-toc></div>
<div class="right-sidebar-panel"><starlight-toc><nav aria-labelledby="starlight__on-this-page"><h2 id="starlight__on-this-page">On this page</h2><ul><li><a href="#_top"><span>Overview</span></a></li></ul></nav></starlight-toc></div></div></aside>
<div class="main-pane"><main data-pagefind-body lang="en" dir="ltr">
<div class="content-panel"><div class="sl-container"><h1 id="_top">Install</h1></div></div>
<div class="content-panel"><div class="sl-container"><div class="sl-markdown-content"><p>Install the orchard planner with npm.</p>
<div class="sl-heading-wrapper level-h2"><h2 id="requirements">Requirements</h2><a class="sl-anchor-link" href="#requirements"><span aria-hidden="true" class="sl-anchor-icon"><svg width="16" height="16" viewBox="0 0 24 24"><path d="M0 0"/></svg></span><span class="sr-only">Section titled “Requirements”</span></a></div>
<p>Node 18 or later.</p>
<div class="expressive-code"><figure class="frame"><pre data-language="sh"><code><div class="ec-line"><div class="code">npm install orchard-planner</div></div></code></pre><div class="copy"><button title="Copy to clipboard" data-copied="Copied!"></button></div></figure></div>
</div>
<footer class="sl-flex"><div class="meta sl-flex"><a href="https://example.org/edit" class="sl-flex print:hidden">Edit page</a></div><div class="pagination-links print:hidden" dir="ltr"><a href="/guides/intro/" rel="prev"><span>Previous<br><span class="link-title">Guide intro</span></span></a></div></footer>
</div></div></main></div></div></div></div></body></html>`);
    expect(page.title).toBe('Install');
    expect(page.sections.map((s) => [s.anchor, s.heading])).toEqual([
      ['_top', 'Install'],
      ['requirements', 'Requirements'],
    ]);
    expect(page.sections[1]!.text).toBe('Node 18 or later. npm install orchard-planner');
    expectClean(page, ['Install the orchard planner with npm.'], ['Skip to content', 'Orchard', 'Search', 'Guide intro', 'On this page', 'Overview', 'Section titled', 'Edit page', 'Previous']);
  });
});
