// Finds a site's pages (built HTML, and Markdown sources when asked) and reads
// each into title + sections. Node only.
import { open, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { htmlDecoder, PRESCAN_BYTES, sniffHtmlEncoding } from './decode.js';
import { extractHtmlStream, type ExtractedPage } from './html.js';
import { extractMarkdown } from './markdown.js';

export interface CrawlOptions {
  /** Folders (relative to the root) never entered, e.g. the index's own output folder. */
  exclude?: readonly string[];
  /** Also read *.md / *.markdown (linked as the same path with `.html`). */
  markdown?: boolean;
  /** Index only the first N pages in path order (for trials). */
  limit?: number;
  /** Only pages whose `<html lang>` starts with one of these (pages without lang are kept). */
  lang?: readonly string[];
  /** Index sections that are lists of links too (tables of contents, generated indexes: see `isLinkList`). Default false. */
  linkLists?: boolean;
}

export interface CrawledPage extends ExtractedPage {
  /** Site-relative URL, forward slashes. */
  url: string;
  file: string;
  /** The encoding the file was read in (`utf-8`, `windows-1252`, `shift_jis`, `utf-16le`…). */
  encoding: string;
  /** Something the reader had to guess or work around, worth a warning naming the file. */
  warning?: string;
}

const HTML = /\.html?$/i;
const MD = /\.(md|markdown)$/i;

/** Page files under `root`, site-relative with forward slashes, sorted so builds are reproducible. */
export async function listPages(root: string, opts: CrawlOptions = {}): Promise<string[]> {
  const exclude = new Set((opts.exclude ?? []).map((e) => e.replace(/\\/g, '/').replace(/\/+$/, '')));
  const out: string[] = [];
  const visit = async (dir: string): Promise<void> => {
    const entries = await readdir(path.join(root, dir), { withFileTypes: true });
    for (const e of entries) {
      const rel = dir ? `${dir}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!exclude.has(rel) && e.name !== 'node_modules' && !e.name.startsWith('.')) await visit(rel);
      } else if (HTML.test(e.name) || (opts.markdown && MD.test(e.name))) out.push(rel);
    }
  };
  await visit('');
  out.sort();
  return opts.limit !== undefined ? out.slice(0, opts.limit) : out;
}

/** Bytes read (and decoded, and parsed) at a time: a page of any size costs about this much besides the text kept. */
const PIECE_BYTES = 1 << 20;

/** Reads one page in its declared encoding. Throws on a file that cannot be read (the build skips it with a warning). */
export async function readPage(root: string, rel: string): Promise<CrawledPage> {
  const file = path.join(root, rel);
  if (MD.test(rel)) {
    const bytes = await readFile(file);
    const url = rel.replace(MD, '.html');
    const source = new TextDecoder('utf-8').decode(bytes);
    return { ...extractMarkdown(source, path.basename(rel).replace(MD, '')), url, file: rel, encoding: 'utf-8' };
  }
  // Streamed, never read whole: the file is read twice (once per parsing pass), a piece at a time.
  const handle = await open(file);
  try {
    const head = new Uint8Array(PRESCAN_BYTES);
    const { bytesRead } = await handle.read(head, 0, PRESCAN_BYTES, 0);
    const how = sniffHtmlEncoding(head.subarray(0, bytesRead));
    let text = false;
    const read = async function* (): AsyncIterable<string> {
      const decode = htmlDecoder(how.encoding);
      const buf = new Uint8Array(PIECE_BYTES);
      for (let at = how.bomLength; ; ) {
        const { bytesRead: n } = await handle.read(buf, 0, PIECE_BYTES, at);
        at += n;
        const piece = decode(buf.subarray(0, n), n > 0);
        if (!text && /\S/.test(piece)) text = true;
        if (piece) yield piece;
        if (n === 0) return;
      }
    };
    const page = await extractHtmlStream(read);
    const warning = how.unknownLabel ? `declares the unknown charset "${how.unknownLabel}"; read as UTF-8` : undefined;
    // An empty (or whitespace-only) file is a page with nothing to index, not an error.
    if (!text) return { title: '', sections: [], skipped: true, url: rel, file: rel, encoding: how.encoding, warning: 'is empty' };
    return { ...page, url: rel, file: rel, encoding: how.encoding, warning };
  } finally {
    await handle.close();
  }
}
