// The one `m3search` command as the clone runs it (bin/m3search.mjs): one
// --help listing every subcommand, usage errors with exit status 2, and
// `serve` answering over http.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = path.resolve('bin/m3search.mjs');

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('m3search (one CLI)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'm3s-cli-main-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('--help lists the four subcommands with their usage', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(0);
    for (const name of ['index', 'serve', 'query', 'search']) expect(stdout).toMatch(new RegExp(`^  ${name}\\s+\\S`, 'm'));
    expect(stdout).toContain('m3search index <site-dir>');
    expect(stdout).toContain('--docs FILE.jsonl');
  });

  it('`<command> --help` prints only that command', async () => {
    const { code, stdout } = await cli(['query', '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^m3search query <index-dir>/);
    expect(stdout).not.toContain('--docs');
  });

  it('an unknown command or option is a usage error (exit 2) that names it', async () => {
    const unknown = await cli(['reindex']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'reindex'");
    const option = await cli(['index', dir, '--frobnicate']);
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/INVALID_OPTION: Unknown option '--frobnicate'/);
    const value = await cli(['index', dir, '--multi-vectors', '0']);
    expect(value.code).toBe(2);
    expect(value.stderr).toContain("INVALID_OPTION: --multi-vectors must be an integer ≥ 1, not '0'");
  });

  it('an encode cache that would be deployed, or --no-cache with --cache-dir, is refused before any model loads', async () => {
    const inside = await cli(['index', dir, '--model', path.join(dir, 'no-such-model'), '--cache-dir', path.join(dir, 'cache')]);
    expect(inside.code).toBe(2);
    expect(inside.stderr).toContain(`INVALID_OPTION: The encode cache ${path.join(dir, 'cache')} would be inside the site folder ${dir}`);
    const both = await cli(['index', dir, '--no-cache', '--cache-dir', path.join(os.tmpdir(), 'c')]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('INVALID_OPTION: --no-cache and --cache-dir contradict each other');
  });

  it('`query` on a folder that holds no index fails with a message naming the folder', async () => {
    const { code, stderr } = await cli(['query', dir, '--mode', 'keyword', 'anything']);
    expect(code).toBe(1);
    expect(stderr).toContain(dir);
  });

  it('`serve` serves a folder until stopped', async () => {
    await writeFile(path.join(dir, 'hello.html'), '<p>hello</p>');
    const child = spawn(process.execPath, [BIN, 'serve', dir, '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let err = '';
        child.stderr.on('data', (d: Buffer) => {
          err += d.toString();
          const m = /serving .* at (http:\/\/\S+?) \(/.exec(err);
          if (m) resolve(m[1]!);
        });
        child.on('exit', (code) => reject(new Error(`serve exited (${code}): ${err}`)));
      });
      const res = await fetch(new URL('hello.html', url.endsWith('/') ? url : `${url}/`));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await res.text()).toBe('<p>hello</p>');
    } finally {
      child.kill();
    }
  });
});
