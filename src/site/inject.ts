// `--inject`: adds the script tag and the <m3-search> element to every built
// HTML page, between marker comments so a re-run replaces instead of repeating.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

const START = '<!-- m3search:start -->';
const END = '<!-- m3search:end -->';
const BLOCK = new RegExp(`${START}[\\s\\S]*?${END}\\n?`, 'g');

export interface InjectOptions {
  /** Index folder relative to the site root, e.g. `m3search`. */
  indexDir: string;
  /** Service worker path relative to the site root (offline page reloads), or none. */
  serviceWorker?: string;
  placeholder?: string;
}

/** The markup for one page at `pageUrl` (site-relative): relative URLs, so any mount path works. */
export function injectionFor(pageUrl: string, opts: InjectOptions): { head: string; body: string } {
  const depth = pageUrl.split('/').length - 1;
  const up = '../'.repeat(depth);
  const idx = `${up}${opts.indexDir.replace(/\/+$/, '')}/`;
  const sw = opts.serviceWorker ? ` data-sw="${escapeAttr(up + opts.serviceWorker)}"` : '';
  const head = `${START}<script src="${escapeAttr(`${idx}m3search.js`)}" data-index="${escapeAttr(idx)}"${sw} defer></script>${END}\n`;
  const body = `${START}<m3-search data-m3search-ignore placeholder="${escapeAttr(opts.placeholder ?? 'Search the docs')}"></m3-search>${END}\n`;
  return { head, body };
}

export function injectHtml(html: string, pageUrl: string, opts: InjectOptions): string {
  const { head, body } = injectionFor(pageUrl, opts);
  let out = html.replace(BLOCK, '');
  // Functions, not replacement strings: a folder name holding `$&`, `$'` or `$1` is inserted as written.
  out = /<\/head>/i.test(out) ? out.replace(/<\/head>/i, (m) => `${head}${m}`) : head + out;
  out = /<body[^>]*>/i.test(out) ? out.replace(/<body[^>]*>/i, (m) => `${m}${body}`) : out + body;
  return out;
}

export async function injectSite(site: string, pages: readonly string[], opts: InjectOptions): Promise<number> {
  let n = 0;
  for (const rel of pages) {
    if (!/\.html?$/i.test(rel)) continue;
    const file = path.join(site, rel);
    const html = await readFile(file, 'utf8');
    const next = injectHtml(html, rel, opts);
    if (next !== html) {
      await writeFile(file, next);
      n++;
    }
  }
  return n;
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}
