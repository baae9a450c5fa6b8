// A plain static file server (no bundler in between), for checking built
// output the way a user's web server would serve it.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Server } from './support.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
};

/** Serves each URL prefix from its folder; `pages` are fixed HTML bodies by path. */
export async function serveStatic(mounts: Record<string, string>, pages: Record<string, string> = {}): Promise<Server> {
  const server = createServer((req, res) => {
    const url = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    if (pages[url] !== undefined) {
      res.setHeader('Content-Type', TYPES['.html']!);
      res.end(pages[url]);
      return;
    }
    const prefix = Object.keys(mounts).find((p) => url.startsWith(p));
    const base = prefix === undefined ? undefined : mounts[prefix]!;
    const file = base === undefined ? undefined : path.resolve(base, url.slice(prefix!.length));
    void (async () => {
      const info = file !== undefined && file.startsWith(base! + path.sep) ? await stat(file).catch(() => undefined) : undefined;
      if (!info?.isFile()) {
        res.statusCode = 404;
        res.end('not found');
        return;
      }
      res.setHeader('Content-Type', TYPES[path.extname(file!)] ?? 'application/octet-stream');
      res.setHeader('Content-Length', String(info.size));
      createReadStream(file!).pipe(res);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
