// `--inject`: adds the script tag and the <m3-search> element to every built
// HTML page, between marker comments so a re-run replaces instead of repeating.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { latin1, utf16Order } from './decode.js';

const START = '<!-- m3search:start -->';
const END = '<!-- m3search:end -->';
const BLOCK = new RegExp(`${START}[\\s\\S]*?${END}(\\r\\n|\\n)?`, 'g');

export interface InjectOptions {
  /** Index folder relative to the site root, e.g. `m3search`. */
  indexDir: string;
  /** Service worker path relative to the site root (offline page reloads), or none. */
  serviceWorker?: string;
  /** With `serviceWorker`: it also keeps the pages visited, so they reload offline (`data-sw-pages`; off by default). */
  serviceWorkerPages?: boolean;
  placeholder?: string;
}

/** The markup for one page at `pageUrl` (site-relative): relative URLs, so any mount path works. */
export function injectionFor(pageUrl: string, opts: InjectOptions): { head: string; body: string } {
  const depth = pageUrl.split('/').length - 1;
  const up = '../'.repeat(depth);
  const idx = `${up}${opts.indexDir.replace(/\/+$/, '')}/`;
  const sw = opts.serviceWorker ? ` data-sw="${escapeAttr(up + opts.serviceWorker)}"${opts.serviceWorkerPages ? ' data-sw-pages' : ''}` : '';
  const head = `${START}<script src="${escapeAttr(`${idx}m3search.js`)}" data-index="${escapeAttr(idx)}"${sw} defer></script>${END}\n`;
  const body = `${START}<m3-search data-m3search-ignore placeholder="${escapeAttr(opts.placeholder ?? 'Search the docs')}"></m3-search>${END}\n`;
  return { head, body };
}

export function injectHtml(html: string, pageUrl: string, opts: InjectOptions): string {
  const { head, body } = injectionFor(pageUrl, opts);
  // The page's own line ending after each block, so a CRLF file stays CRLF.
  const eol = /\r\n/.test(html) ? '\r\n' : '\n';
  const headBlock = head.replace(/\n$/, eol);
  const bodyBlock = body.replace(/\n$/, eol);
  let out = html.replace(BLOCK, '');
  // Functions, not replacement strings: a folder name holding `$&`, `$'` or `$1` is inserted as written.
  if (/<\/head>/i.test(out)) out = out.replace(/<\/head>/i, (m) => `${headBlock}${m}`);
  else if (/<body[^>]*>/i.test(out)) out = out.replace(/<body[^>]*>/i, (m) => `${m}${headBlock}`);
  // Never before a doctype: that would put the page in quirks mode.
  else if (/<(!doctype|html)[^>]*>/i.test(out)) out = out.replace(/<(!doctype|html)[^>]*>/i, (m) => `${m}${headBlock}`);
  else out = headBlock + out;
  out = /<body[^>]*>/i.test(out) ? out.replace(/<body[^>]*>/i, (m) => `${m}${bodyBlock}`) : out + bodyBlock;
  return out;
}

/**
 * `injectHtml` on a file's bytes, whatever its encoding: every byte outside the inserted blocks
 * is kept. The blocks are ASCII (non-ASCII written as character references), so an
 * ASCII-compatible file (UTF-8, windows-1252, Shift_JIS, EUC-*, GBK, Big5…) is edited as one
 * char per byte and a UTF-16 file as one char per code unit: no decode/encode round trip.
 */
export function injectBytes(bytes: Uint8Array, pageUrl: string, opts: InjectOptions): Uint8Array {
  // An empty file is no page to put a search box in (the crawler skipped it too): left as it is.
  if (bytes.every((b) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d)) return bytes;
  const wide = utf16Order(bytes);
  const text = wide ? unitsToString(bytes, wide) : latin1(bytes);
  const next = injectHtml(text, pageUrl, opts);
  if (next === text) return bytes;
  if (!wide) return stringToBytes(next);
  // An odd trailing byte is no code unit: it is carried through as it was.
  const units = stringToUnits(next, wide);
  if (bytes.length % 2 === 0) return units;
  const out = new Uint8Array(units.length + 1);
  out.set(units);
  out[units.length] = bytes[bytes.length - 1]!;
  return out;
}

export async function injectSite(site: string, pages: readonly string[], opts: InjectOptions): Promise<number> {
  let n = 0;
  for (const rel of pages) {
    if (!/\.html?$/i.test(rel)) continue;
    const file = path.join(site, rel);
    const bytes = new Uint8Array(await readFile(file));
    const next = injectBytes(bytes, rel, opts);
    if (next !== bytes) {
      await writeFile(file, next);
      n++;
    }
  }
  return n;
}

function stringToBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function unitsToString(b: Uint8Array, order: 'le' | 'be'): string {
  const units = new Array<number>(b.length >> 1);
  for (let i = 0; i + 1 < b.length; i += 2) units[i >> 1] = order === 'le' ? b[i]! | (b[i + 1]! << 8) : (b[i]! << 8) | b[i + 1]!;
  let s = '';
  for (let at = 0; at < units.length; at += 8192) s += String.fromCharCode(...units.slice(at, at + 8192));
  return s;
}

function stringToUnits(s: string, order: 'le' | 'be'): Uint8Array {
  const out = new Uint8Array(s.length * 2);
  for (let i = 0; i < s.length; i++) {
    const u = s.charCodeAt(i);
    out[2 * i + (order === 'le' ? 0 : 1)] = u & 0xff;
    out[2 * i + (order === 'le' ? 1 : 0)] = u >> 8;
  }
  return out;
}

/** Attribute text, ASCII only: non-ASCII as character references, so the block fits any page encoding. */
function escapeAttr(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/"/g, '&quot;')
    .replace(/</g, '&lt;')
    .replace(/[^\x00-\x7f]/gu, (c) => `&#x${c.codePointAt(0)!.toString(16)};`);
}
