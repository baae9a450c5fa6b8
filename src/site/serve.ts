// A tiny static file server for trying an indexed site locally (and for the
// end-to-end tests). Serves the right MIME types for .wasm and .mjs, which
// WebAssembly streaming compilation and module workers insist on.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

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
}

export async function serveStatic(root: string, port = 0, host = '127.0.0.1', opts: ServeOptions = {}): Promise<StaticServer> {
  const base = path.resolve(root);
  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://x');
      let file = path.join(base, decodeURIComponent(url.pathname));
      if (!file.startsWith(base)) {
        res.writeHead(403).end();
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
      res.writeHead(200, {
        'content-type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
        'content-length': info.size,
        'cache-control': 'no-cache',
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
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
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
