// Pages in the encodings real sites have, and pages that cannot be read: the
// crawler decodes what the page declares and the build skips, by name, what it
// cannot read, instead of garbling titles or aborting.
import { mkdtemp, rm, writeFile, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSiteIndex, type BuildReport } from '../../src/site/build.js';
import { readPage } from '../../src/site/crawl.js';
import { decodeHtml } from '../../src/site/decode.js';
import { openIndexDir } from '../../src/site/node-reader.js';
import { searchSite } from '../../src/site/search.js';
import { chunkText } from '../../src/site/chunk.js';
import { injectBytes } from '../../src/site/inject.js';
import { fakeEncoder } from './fake-encoder.js';

/** Latin-1 bytes of an ASCII/Latin-1 string (each char ≤ U+00FF → one byte). */
const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const ascii = (s: string): number[] => [...latin1(s)];
// "検索エンジン" in Shift_JIS (Python: '検索エンジン'.encode('shift_jis')).
const SJIS_KENSAKU_ENGINE = [140, 159, 141, 245, 131, 71, 131, 147, 131, 87, 131, 147];

function utf16(s: string, order: 'le' | 'be', bom: boolean): Uint8Array {
  const le = Buffer.from((bom ? '\ufeff' : '') + s, 'utf16le');
  if (order === 'le') return new Uint8Array(le);
  const be = new Uint8Array(le.length);
  for (let i = 0; i < le.length; i += 2) [be[i], be[i + 1]] = [le[i + 1]!, le[i]!];
  return be;
}

const PAGE = (head: string, title: string, body: string): string =>
  `<html><head>${head}<title>${title}</title></head><body><main><h1>${title}</h1><h2 id="s">Section</h2><p>${body}</p></main></body></html>`;

describe('decodeHtml', () => {
  it('reads the charset a page declares, a BOM before it, UTF-16 by its zero bytes', () => {
    const meta = decodeHtml(latin1(PAGE('<meta charset="iso-8859-1">', 'Crème brûlée', 'café')));
    expect(meta).toMatchObject({ encoding: 'windows-1252', source: 'meta' });
    expect(meta.text).toContain('<title>Crème brûlée</title>');

    // windows-1252 bytes 0x93/0x94 are curly quotes and 0x80 the euro sign (not C1 controls).
    const equiv = decodeHtml(Uint8Array.from([
      ...ascii('<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252"></head><body>'),
      0x93, ...ascii('price'), 0x94, 0x20, 0x80, ...ascii('5</body></html>'),
    ]));
    expect(equiv.encoding).toBe('windows-1252');
    expect(equiv.text).toContain('\u201cprice\u201d \u20ac5');

    const sjis = decodeHtml(Uint8Array.from([...ascii('<html><head><meta charset="Shift_JIS"></head><body><p>'), ...SJIS_KENSAKU_ENGINE, ...ascii('</p></body></html>')]));
    expect(sjis.encoding).toBe('shift_jis');
    expect(sjis.text).toContain('<p>検索エンジン</p>');

    const html = PAGE('', 'Ünïcödé', '検索');
    expect(decodeHtml(utf16(html, 'le', true))).toEqual({ text: html, encoding: 'utf-16le', source: 'bom' });
    expect(decodeHtml(utf16(html, 'be', true))).toEqual({ text: html, encoding: 'utf-16be', source: 'bom' });
    expect(decodeHtml(utf16(html, 'le', false))).toMatchObject({ text: html, encoding: 'utf-16le', source: 'sniffed' });
    expect(decodeHtml(utf16(html, 'be', false))).toMatchObject({ text: html, encoding: 'utf-16be', source: 'sniffed' });

    // A UTF-8 BOM wins over a contradicting declaration; no declaration → UTF-8.
    const bomFirst = decodeHtml(Uint8Array.from([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(PAGE('<meta charset="iso-8859-1">', 'é', 'x'))]));
    expect(bomFirst).toMatchObject({ encoding: 'utf-8', source: 'bom' });
    expect(bomFirst.text).toContain('<title>é</title>');
    expect(decodeHtml(new TextEncoder().encode(PAGE('', 'é', 'x')))).toMatchObject({ encoding: 'utf-8', source: 'default' });

    // A declaration inside a comment is not one; an unknown label is named.
    expect(decodeHtml(latin1('<!-- <meta charset="iso-8859-1"> --><p>x</p>')).source).toBe('default');
    expect(decodeHtml(latin1('<meta charset="klingon-8"><p>x</p>'))).toMatchObject({ encoding: 'utf-8', unknownLabel: 'klingon-8' });
    // Declared UTF-16 in ASCII bytes is read as UTF-8 (as browsers do).
    expect(decodeHtml(latin1('<meta charset="utf-16"><p>plain</p>'))).toMatchObject({ encoding: 'utf-8', text: '<meta charset="utf-16"><p>plain</p>' });
  });
});

describe('crawling odd pages', () => {
  let site: string;
  let report: BuildReport;
  const encoder = fakeEncoder({ maxLength: 64 });

  beforeAll(async () => {
    site = await mkdtemp(path.join(os.tmpdir(), 'm3search-enc-'));
    await writeFile(path.join(site, 'latin1.html'), latin1(PAGE('<meta charset="iso-8859-1">', 'Crème brûlée', 'Caramelised sugar over a custard')));
    await writeFile(path.join(site, 'sjis.html'), Uint8Array.from([
      ...ascii('<html><head><meta http-equiv="Content-Type" content="text/html;charset=shift_jis"><title>JP</title></head><body><main><h1>JP</h1><p>'),
      ...SJIS_KENSAKU_ENGINE,
      ...ascii('</p></main></body></html>'),
    ]));
    await writeFile(path.join(site, 'utf16.html'), utf16(PAGE('', 'Wide page', 'Encoded in sixteen bits'), 'le', true));
    await writeFile(path.join(site, 'empty.html'), new Uint8Array(0));
    await writeFile(path.join(site, 'heading-script.html'), PAGE('', 'Scripted', 'text').replace('<h2 id="s">Section</h2>', '<h2 id="s">Setup<script>var leaked = 1</script><style>.leak{}</style></h2>'));
    await symlink(path.join(site, 'missing-target.html'), path.join(site, 'broken.html'));
    report = await buildSiteIndex({ site, out: path.join(site, 'm3search'), encoder });
  });

  afterAll(async () => {
    await rm(site, { recursive: true, force: true });
  });

  it('indexes every readable page in its own encoding and names the ones it skipped', async () => {
    expect(report.pages).toBe(4);
    expect(report.skippedPages).toBe(2);
    expect(report.warnings.map((w) => w.file).sort()).toEqual(['broken.html', 'empty.html']);
    expect(report.warnings.find((w) => w.file === 'broken.html')!.message).toMatch(/could not be read: .*ENOENT/);
    expect(report.warnings.find((w) => w.file === 'empty.html')!.message).toBe('is empty');

    const reader = await openIndexDir(path.join(site, 'm3search'));
    const find = async (q: string) => (await searchSite(reader, q, { mode: 'keyword', k: 3 })).hits;
    expect((await find('brûlée'))[0]).toMatchObject({ url: 'latin1.html#s', title: 'Crème brûlée' });
    expect((await find('検索エンジン'))[0]).toMatchObject({ url: 'sjis.html', title: 'JP' });
    expect((await find('sixteen'))[0]).toMatchObject({ url: 'utf16.html#s', title: 'Wide page' });
  });

  it('keeps script and style text out of headings', async () => {
    const page = await readPage(site, 'heading-script.html');
    expect(page.sections.map((s) => s.heading)).toEqual(['Setup']);
    expect(page.encoding).toBe('utf-8');
  });
});

describe('a huge section', () => {
  it('is chunked without tokenizing it whole (a whole-text count would overflow the tokenizer)', () => {
    const words = Array.from({ length: 120_000 }, (_, i) => `w${i % 97}`);
    const text = words.join(' ');
    let longest = 0;
    const chunks = chunkText(text, {
      budget: 500,
      overlap: 50,
      count: (t) => {
        longest = Math.max(longest, t.length);
        return t.split(/\s+/).filter(Boolean).length;
      },
    });
    expect(longest).toBeLessThan(20_000);
    expect(chunks.length).toBeGreaterThan(240);
    expect(chunks[0]!.start).toBe(0);
    expect(chunks.at(-1)!.end).toBe(text.length);
    for (const c of chunks) expect(c.text.split(' ').length).toBeLessThanOrEqual(500);
  });
});

describe('injectBytes', () => {
  const opts = { indexDir: 'm3search', serviceWorker: 'm3search-sw.js', placeholder: 'Chercher — 検索' };
  const START = '<!-- m3search:start -->';
  const END = '<!-- m3search:end -->';

  /** The bytes with every injected block (and the line ending after it) cut out, found by byte search. */
  function stripBlocks(out: Uint8Array, enc: (s: string) => Uint8Array): Uint8Array {
    const find = (needle: Uint8Array, from: number): number => {
      outer: for (let i = from; i + needle.length <= out.length; i++) {
        for (let j = 0; j < needle.length; j++) if (out[i + j] !== needle[j]) continue outer;
        return i;
      }
      return -1;
    };
    const [start, end, crlf, lf] = [enc(START), enc(END), enc('\r\n'), enc('\n')];
    const kept: number[] = [];
    let at = 0;
    for (let s = find(start, 0); s >= 0; s = find(start, at)) {
      kept.push(...out.subarray(at, s));
      let e = find(end, s) + end.length;
      const eol = [crlf, lf].find((x) => x.every((b, k) => out[e + k] === b));
      e += eol?.length ?? 0;
      at = e;
    }
    kept.push(...out.subarray(at));
    return Uint8Array.from(kept);
  }

  const cases: { name: string; bytes: Uint8Array; enc: (s: string) => Uint8Array; decodeAs: string; expectText: string }[] = [
    {
      name: 'Latin-1',
      bytes: latin1('<!DOCTYPE html>\n<html><head><meta charset="iso-8859-1"><title>Crème brûlée</title></head><body class="x"><p>Été</p></body></html>\n'),
      enc: latin1, decodeAs: 'windows-1252', expectText: 'Crème brûlée',
    },
    {
      name: 'Shift_JIS',
      bytes: Uint8Array.from([...ascii('<html><head><meta charset="shift_jis"></head><body><p>'), ...SJIS_KENSAKU_ENGINE, ...ascii('</p></body></html>')]),
      enc: latin1, decodeAs: 'shift_jis', expectText: '検索エンジン',
    },
    {
      name: 'CRLF UTF-8',
      bytes: new TextEncoder().encode('<html>\r\n<head>\r\n<title>Ünï</title>\r\n</head>\r\n<body>\r\n<p>x</p>\r\n</body>\r\n</html>\r\n'),
      enc: latin1, decodeAs: 'utf-8', expectText: 'Ünï',
    },
    { name: 'UTF-16LE with BOM', bytes: utf16('<html><head><title>Wïde</title></head><body><p>x</p></body></html>', 'le', true), enc: (s) => utf16(s, 'le', false), decodeAs: 'utf-16le', expectText: 'Wïde' },
    { name: 'UTF-16BE with BOM', bytes: utf16('<html><head><title>Wïde</title></head><body><p>x</p></body></html>', 'be', true), enc: (s) => utf16(s, 'be', false), decodeAs: 'utf-16be', expectText: 'Wïde' },
  ];

  for (const c of cases) {
    it(`keeps every byte of a ${c.name} page outside the inserted blocks, and a re-run changes nothing`, () => {
      const out = injectBytes(c.bytes, 'guide/page.html', opts);
      expect(out.length).toBeGreaterThan(c.bytes.length);
      expect(stripBlocks(out, c.enc)).toEqual(c.bytes);
      expect(injectBytes(out, 'guide/page.html', opts)).toEqual(out);
      const text = new TextDecoder(c.decodeAs).decode(out);
      expect(text).toContain(c.expectText);
      expect(text).toContain('<script src="../m3search/m3search.js" data-index="../m3search/" data-sw="../m3search-sw.js" defer></script>');
      // Non-ASCII option text travels as character references, valid in any encoding.
      expect(text).toContain('placeholder="Chercher &#x2014; &#x691c;&#x7d22;"');
      if (c.name.startsWith('CRLF')) expect(text).not.toMatch(/[^\r]\n/);
    });
  }

  it('leaves an empty or blank file as it is', () => {
    for (const bytes of [new Uint8Array(0), latin1(' \r\n\t')]) expect(injectBytes(bytes, 'a.html', opts)).toBe(bytes);
  });

  it('never puts the script before a doctype when the page has no </head>', () => {
    const out = new TextDecoder().decode(injectBytes(new TextEncoder().encode('<!DOCTYPE html><p>bare</p>'), 'a.html', { indexDir: 'm3search' }));
    expect(out.startsWith('<!DOCTYPE html><!-- m3search:start --><script src="m3search/m3search.js"')).toBe(true);
    expect(out.endsWith('</m3-search><!-- m3search:end -->\n')).toBe(true);
  });
});
