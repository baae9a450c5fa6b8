// The CLI's progress line: one redrawn line ending in a newline on a terminal,
// nothing at all when stderr is a pipe or a file.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { progressLine, type ProgressStream } from '../../src/cli/progress.js';

function stream(isTTY: boolean): ProgressStream & { out: string } {
  const s = { isTTY, out: '', write: (chunk: string) => void (s.out += chunk) };
  return s;
}

describe('progressLine', () => {
  it('on a terminal redraws one line in place and ends it with a newline', () => {
    const s = stream(true);
    let t = 0;
    const p = progressLine(s, { minIntervalMs: 100, now: () => t });
    p.update('encoding 1/8');
    t = 50;
    p.update('encoding 2/8'); // throttled
    t = 200;
    p.update('encoding 3/8');
    p.update('encoding 8/8', true); // the last step is always drawn
    p.done();
    expect(s.out).toBe('\r\x1b[2Kencoding 1/8\r\x1b[2Kencoding 3/8\r\x1b[2Kencoding 8/8\n');
    // The summary after it starts on its own line (the bug was "encoding 8/8indexed 8 passages").
    p.log('indexed 8 passages');
    expect(s.out.endsWith('encoding 8/8\nindexed 8 passages\n')).toBe(true);
    expect(s.out.split('\n').filter(Boolean)).toHaveLength(2);
  });

  it('clears the progress line before a log line and ends a phase with its final text', () => {
    const s = stream(true);
    const p = progressLine(s);
    p.update('crawl 1/3 files');
    p.log('model loaded');
    p.done('crawl 3/3 files');
    p.done(); // nothing drawn since: no stray newline
    expect(s.out).toBe('\r\x1b[2Kcrawl 1/3 files\r\x1b[2Kmodel loaded\n\r\x1b[2Kcrawl 3/3 files\n');
  });

  it('writes nothing but log lines when the stream is not a terminal', () => {
    const s = stream(false);
    const p = progressLine(s);
    expect(p.live).toBe(false);
    p.update('encoding 1/8');
    p.update('encoding 8/8', true);
    p.done('done');
    p.log('indexed 8 passages');
    expect(s.out).toBe('indexed 8 passages\n');
  });

  it('keeps `m3search search` quiet on a pipe: no carriage returns, the summary on its own line', async () => {
    const { stderr } = await promisify(execFile)(process.execPath, [path.resolve('bin/m3search.mjs'), 'search', '-k', '1', 'token bucket'], { timeout: 120_000 });
    expect(stderr).not.toMatch(/\r|encoding \d/);
    expect(stderr).toMatch(/^indexed \d+ passages in /m);
  });
});
