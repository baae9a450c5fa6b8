// A tiny static file server for trying an indexed site locally (and for the
// end-to-end tests). Serves the right MIME types for .wasm and .mjs, which
// WebAssembly streaming compilation and module workers insist on.
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { M3SearchError } from '../core/errors.js';
import { decodeHtml } from './decode.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.onnx': 'application/octet-stream',
  '.bin': 'application/octet-stream',
  '.pf_meta': 'application/octet-stream',
};

export interface StaticServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface ServeOptions {
  /** Called for every file sent (site-relative path, bytes): lets tools count what a page downloads. */
  onServe?: (pathname: string, bytes: number) => void;
  /**
   * Send COOP same-origin + COEP require-corp (default true): the page becomes
   * cross-origin isolated, so ONNX Runtime may use several WASM threads.
   * Cross-origin images, scripts and iframes then need CORP or CORS headers.
   */
  isolate?: boolean;
}

/** The headers that make a page cross-origin isolated (SharedArrayBuffer, hence WASM threads). */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
});

const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * Whether a path names its content: index files (`shards/<kind>-<i>.<10 hex>.bin`,
 * `shards/multi-table.<10 hex>.json`: src/site/FORMAT.md) and the page bundle's
 * lazy chunks (`m3search-<name>-<8-character hash>.js`, vite.script.config.ts).
 * `manifest.json`, `m3search.js`, `m3search-worker.js`, ONNX Runtime's files and
 * the model keep their names across builds: those are revalidated.
 */
export function contentHashed(pathname: string): boolean {
  return /\/shards\/[^/]+\.[0-9a-f]{10}\.(bin|json)$/.test(pathname) || /\/m3search-[\w.-]+-[\w-]{8}\.js$/.test(pathname);
}

/** A conditional GET the file still satisfies (If-None-Match wins over If-Modified-Since, as RFC 9110 says). */
function notModified(headers: http.IncomingHttpHeaders, etag: string, mtimeMs: number): boolean {
  const match = headers['if-none-match'];
  if (match !== undefined) return match.split(',').some((t) => t.trim() === etag || t.trim() === '*');
  const since = headers['if-modified-since'];
  return since !== undefined && Math.floor(mtimeMs / 1000) * 1000 <= Date.parse(since);
}

/**
 * An HTML page's type with the charset the page itself declares (BOM, meta, UTF-16 zeros), as
 * the crawler reads it: a fixed `charset=utf-8` header would override a Latin-1 page's meta.
 */
async function htmlType(file: string): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const head = new Uint8Array(1024);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return `text/html; charset=${decodeHtml(head.subarray(0, bytesRead)).encoding}`;
  } finally {
    await handle.close();
  }
}

/** `file` is `base` or below it (a path separator after the prefix, not just the same characters). */
function inside(base: string, file: string): boolean {
  const rel = path.relative(base, file);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

function listenError(e: NodeJS.ErrnoException, port: number, host: string): Error {
  const where = `${host}:${port}`;
  if (e.code === 'EADDRINUSE') return new M3SearchError('INVALID_OPTION', `Port ${port} on ${host} is already in use: stop the other server or pick another port with --port N (0 picks a free one).`, { port, host, errno: e.code });
  if (e.code === 'EACCES') return new M3SearchError('INVALID_OPTION', `Not allowed to listen on ${where} (ports below 1024 need privileges): pick another with --port N.`, { port, host, errno: e.code });
  if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') return new M3SearchError('INVALID_OPTION', `Cannot listen on ${where}: ${host} is not an address of this machine (--host).`, { port, host, errno: e.code });
  return new M3SearchError('INVALID_OPTION', `Cannot listen on ${where}: ${e.message}`, { port, host, errno: e.code });
}

export async function serveStatic(root: string, port = 0, host = '127.0.0.1', opts: ServeOptions = {}): Promise<StaticServer> {
  const base = path.resolve(root);
  const info = await stat(base).catch(() => undefined);
  if (!info?.isDirectory()) throw new M3SearchError('INVALID_OPTION', `${base} ${info ? 'is a file, not a folder' : 'does not exist'}: nothing to serve.`, { root: base });
  const isolation = opts.isolate === false ? {} : ISOLATION_HEADERS;
  const server = http.createServer(async (req, res) => {
    for (const [k, v] of Object.entries(isolation)) res.setHeader(k, v);
    try {
      const url = new URL(req.url ?? '/', 'http://x');
      let pathname: string;
      try {
        pathname = decodeURIComponent(url.pathname);
      } catch {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('bad request');
        return;
      }
      // `%2f..` decodes to a parent step the URL parser never saw: only paths that stay inside the root are served.
      // (A bare startsWith(base) let /site-pristine pass for a root /site.)
      let file = path.join(base, pathname);
      if (!inside(base, file) || pathname.includes('\0')) {
        res.writeHead(403, { 'content-type': 'text/plain' }).end('forbidden');
        return;
      }
      let info = await stat(file).catch(() => undefined);
      if (info?.isDirectory()) {
        file = path.join(file, 'index.html');
        info = await stat(file).catch(() => undefined);
      }
      if (!info?.isFile()) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      const ext = path.extname(file).toLowerCase();
      // Validators on every file, so a revisit costs a 304 instead of ONNX Runtime's wasm again; a
      // file named by its content's hash never changes under that name, so it is kept without asking.
      // (A page still learns of a rebuild: manifest.json is revalidated, and a file two builds old
      // that it never cached is a 404, src/site/FORMAT.md.)
      const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
      const lastModified = new Date(Math.floor(info.mtimeMs / 1000) * 1000).toUTCString();
      const caching = { 'cache-control': contentHashed(url.pathname) ? IMMUTABLE : 'no-cache', etag, 'last-modified': lastModified };
      if (notModified(req.headers, etag, info.mtimeMs)) {
        res.writeHead(304, caching).end();
        return;
      }
      res.writeHead(200, {
        'content-type': ext === '.html' || ext === '.htm' ? await htmlType(file) : (TYPES[ext] ?? 'application/octet-stream'),
        'content-length': info.size,
        ...caching,
      });
      if (req.method === 'HEAD') res.end();
      else {
        opts.onServe?.(url.pathname, info.size);
        createReadStream(file).pipe(res);
      }
    } catch {
      res.writeHead(500).end();
    }
  });
  // Keep-alive sockets would hold close() open; tests stop servers to simulate being offline.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    // Without a listener a busy port is an unhandled 'error' event: a stack trace instead of a message.
    server.once('error', (e: NodeJS.ErrnoException) => reject(listenError(e, port, host)));
    server.listen(port, host, resolve);
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${actual}/`,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
