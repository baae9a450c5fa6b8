// Runs `m3search index` as its own process and reads its peak RSS (maxRSS, via
// bench/report-rss.mjs): the build's memory is the CLI's, not the runner's.
// Shared by the `huge-page` bench section and test/site/huge-page.test.ts.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface CliRun {
  /** Exit status (0: built). */
  code: number;
  /** The process's peak resident set size in bytes (0 when it did not report). */
  maxRss: number;
  seconds: number;
  stderr: string;
}

/** `node bin/m3search.mjs index <site> --out <out> --quiet [...args]`, default V8 flags. */
export async function runIndexCli(root: string, site: string, out: string, args: readonly string[] = [], timeoutMs = 900_000): Promise<CliRun> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'm3search-rss-'));
  const rssFile = path.join(dir, 'rss');
  const t0 = performance.now();
  try {
    const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', path.join(root, 'bench', 'report-rss.mjs'), path.join(root, 'bin', 'm3search.mjs'), 'index', site, '--out', out, '--quiet', ...args],
        // NODE_OPTIONS cleared: the build runs with the flags a user's would (vitest and `npm run bench` set their own).
        { cwd: root, timeout: timeoutMs, maxBuffer: 16 << 20, killSignal: 'SIGKILL', env: { ...process.env, NODE_OPTIONS: '', M3S_RSS_FILE: rssFile } },
        (err, _stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr }),
      );
    });
    const seconds = (performance.now() - t0) / 1000;
    const maxRss = Number(await readFile(rssFile, 'utf8').catch(() => '0'));
    return { code, maxRss, seconds, stderr };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
