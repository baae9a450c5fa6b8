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

/**
 * Node flags that cap the build's V8 heap at `mb` MB: a build whose live memory
 * outgrows it dies out of memory. With default flags on a machine with GBs free,
 * V8 lets garbage pile up to several times the live heap before collecting, so
 * the same build peaks anywhere from ~620 MB to ~1.2 GB run to run; under a cap
 * it collects before growing past it, and the peak says what the build holds.
 */
export function heapCap(mb: number): string[] {
  return [`--max-old-space-size=${mb}`];
}

/**
 * `node [...nodeFlags] bin/m3search.mjs index <site> --out <out> --quiet [...args]`;
 * no flags but `nodeFlags` (NODE_OPTIONS cleared).
 */
export async function runIndexCli(
  root: string,
  site: string,
  out: string,
  opts: { args?: readonly string[]; nodeFlags?: readonly string[]; timeoutMs?: number } = {},
): Promise<CliRun> {
  const { args = [], nodeFlags = [], timeoutMs = 900_000 } = opts;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'm3search-rss-'));
  const rssFile = path.join(dir, 'rss');
  const t0 = performance.now();
  try {
    const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [...nodeFlags, '--import', path.join(root, 'bench', 'report-rss.mjs'), path.join(root, 'bin', 'm3search.mjs'), 'index', site, '--out', out, '--quiet', ...args],
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
