// Seeded generator of one huge documentation page, for the crawler's memory
// bound (issue #13): shared by the `huge-page` bench section and the test that
// indexes a 50 MB page through the CLI. Written to disk in ~1 MB pieces, so the
// generating process never holds the page.
//
// Shapes:
//   docs     what a generated API reference looks like: nav and footer chrome, h2/h3/h4
//            sections with ids and permalink markers, paragraphs with inline code, links and
//            emphasis, code blocks, tables, and non-ASCII text (accents, Cyrillic, CJK, emoji)
//   section  one heading over one long run of paragraphs (a single section of that size)
//   pre      one `<pre>` of code lines (one text node of that size to the parser)
import { closeSync, openSync, writeSync } from 'node:fs';
import { seededRandom } from '../src/eval/random.js';

export type HugePageShape = 'docs' | 'section' | 'pre';

export interface HugePageOptions {
  /** Target size in bytes (the page ends within a few KB past it). */
  bytes: number;
  shape?: HugePageShape;
  seed?: number;
}

const COMMON = (
  'the of and to in is a for that by with as on are be this it or from an at which can not returns value ' +
  'function object module class method argument default if when used use new file list string number type ' +
  'error set name data each may must return call will only see also other used should more than one all'
).split(' ');
const FOREIGN = ['café', 'naïve', 'Größe', 'über', 'élève', 'façade', 'données', 'поиск', 'данные', 'функция', '検索', '文字列', '関数', 'データ', 'ошибка', 'señal', 'año', '🔍', 'Ωmega', 'λambda'];
const SYLLABLES = 'ka lo mi ne ra tu se vi po da re ti ko na mu le si fa go ba ze xo qui ly pha thr str ion ent ate'.split(' ');

/** A vocabulary of `n` pseudo-words (2–4 syllables), so the index sees tens of thousands of distinct terms. */
function vocabulary(random: () => number, n: number): string[] {
  const words = new Set<string>();
  while (words.size < n) {
    const k = 2 + Math.floor(random() * 3);
    let w = '';
    for (let i = 0; i < k; i++) w += SYLLABLES[Math.floor(random() * SYLLABLES.length)]!;
    words.add(w);
  }
  return [...words];
}

class Writer {
  private readonly fd: number;
  private buf = '';
  written = 0;
  constructor(file: string) {
    this.fd = openSync(file, 'w');
  }
  put(s: string): void {
    this.buf += s;
    if (this.buf.length >= 1 << 20) this.flush();
  }
  flush(): void {
    this.written += writeSync(this.fd, this.buf);
    this.buf = '';
  }
  close(): number {
    this.flush();
    closeSync(this.fd);
    return this.written;
  }
  /** Bytes so far, pending included (UTF-8 length of the pending part estimated as its char count). */
  get size(): number {
    return this.written + this.buf.length;
  }
}

/** Writes the page to `file`; returns its size in bytes. */
export function writeHugePage(file: string, opts: HugePageOptions): number {
  const shape = opts.shape ?? 'docs';
  const random = seededRandom(opts.seed ?? 13);
  const vocab = vocabulary(random, 40_000);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  // Zipf-like: a few words very often, most rarely (r³ skews toward the front of the list).
  const word = (): string => {
    const r = random();
    if (r < 0.45) return pick(COMMON);
    if (r < 0.47) return pick(FOREIGN);
    return vocab[Math.floor(vocab.length * random() ** 3)]!;
  };
  const words = (n: number): string => Array.from({ length: n }, word).join(' ');
  const ident = (): string => `${word()}_${word()}`.replace(/[^\w]/g, 'x');
  let serial = 0;
  const paragraph = (): string => {
    const parts: string[] = [];
    const n = 3 + Math.floor(random() * 6);
    for (let i = 0; i < n; i++) {
      const r = random();
      if (r < 0.15) parts.push(`<code class="docutils literal"><span class="pre">${ident()}()</span></code>`);
      else if (r < 0.25) parts.push(`<a class="reference internal" href="#s-${Math.floor(random() * (serial + 1))}">${words(2)}</a>`);
      else if (r < 0.3) parts.push(`<em>${words(2)}</em>`);
      parts.push(words(4 + Math.floor(random() * 12)) + (random() < 0.3 ? '.' : ','));
    }
    return `<p>${parts.join(' ')} &amp; ${word()} &lt;${word()}&gt;.</p>\n`;
  };
  const codeLine = (): string => `    ${ident()} = ${ident()}.${ident()}(${Math.floor(random() * 1000)}, "${word()}")  # ${words(3)}\n`;
  const codeBlock = (): string => {
    let s = '<div class="highlight"><pre><span></span>';
    const n = 3 + Math.floor(random() * 10);
    for (let i = 0; i < n; i++) s += codeLine().replace(/"([^"]*)"/, '<span class="s2">&quot;$1&quot;</span>');
    return `${s}</pre></div>\n`;
  };
  const table = (): string => {
    const rows = 3 + Math.floor(random() * 6);
    let s = '<table class="docutils"><thead><tr><th>Name</th><th>Type</th><th>Description</th></tr></thead><tbody>\n';
    for (let i = 0; i < rows; i++) s += `<tr><td><code>${ident()}</code></td><td>${word()}</td><td>${words(6 + Math.floor(random() * 10))}</td></tr>\n`;
    return `${s}</tbody></table>\n`;
  };

  const out = new Writer(file);
  out.put('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Huge reference — m3search bench</title>\n');
  out.put('<script>var DOCUMENTATION_OPTIONS = { VERSION: "1.0" };</script><style>body { margin: 0 }</style></head>\n<body>\n');
  out.put(`<nav class="sidebar"><ul>${Array.from({ length: 40 }, (_, i) => `<li><a href="#s-${i}">${words(3)}</a></li>`).join('')}</ul></nav>\n`);
  out.put('<div class="document"><div role="main" class="body">\n<section id="huge-reference"><h1>Huge reference<a class="headerlink" href="#huge-reference">¶</a></h1>\n');
  const end = '</section>\n</div></div>\n<footer>© bench · generated page</footer>\n</body></html>\n';
  if (shape === 'pre') {
    out.put('<div class="highlight"><pre>');
    while (out.size < opts.bytes) out.put(codeLine().replace(/</g, '&lt;'));
    out.put('</pre></div>\n');
  } else if (shape === 'section') {
    out.put('<h2 id="one-long-section">One long section</h2>\n');
    while (out.size < opts.bytes) out.put(paragraph());
  } else {
    while (out.size < opts.bytes) {
      const id = `s-${serial++}`;
      const level = serial % 7 === 0 ? 4 : serial % 3 === 0 ? 3 : 2;
      out.put(`<section id="${id}"><h${level}>${words(2 + Math.floor(random() * 4))} <code>${ident()}</code><a class="headerlink" href="#${id}" title="Link">¶</a></h${level}>\n`);
      const blocks = 2 + Math.floor(random() * 6);
      for (let b = 0; b < blocks; b++) {
        const r = random();
        out.put(r < 0.6 ? paragraph() : r < 0.85 ? codeBlock() : table());
      }
      out.put('</section>\n');
    }
  }
  out.put(end);
  return out.close();
}
