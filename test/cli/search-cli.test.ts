// `m3search search` (`npm run search` in a clone), run as a user runs it: a
// JSONL corpus in, a ranked table with the three per-signal scores out; typed
// errors on bad use.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testModel } from '../helpers/test-model.js';

const run = promisify(execFile);
const BIN = path.resolve('bin/m3search.mjs');

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, 'search', ...args], { timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('m3search search', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'm3s-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('indexes a JSONL corpus and prints ranked hits with dense, sparse and multi scores', async () => {
    const model = (await testModel()).layouts['hidden-state'];
    const docs = path.join(dir, 'docs.jsonl');
    const lines = [
      { id: 'cats', title: 'Cats', text: 'Cats sleep most of the day and purr when content.' },
      { id: 'rust', title: 'Rust', text: 'The borrow checker enforces ownership rules at compile time.' },
      { _id: 'tea', title: 'Tea', text: 'Green tea is steeped at a lower temperature than black tea.' },
    ];
    writeFileSync(docs, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const { code, stdout, stderr } = await cli(['--model', model, '--docs', docs, '-k', '2', 'borrow checker ownership']);
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/indexed 3 passages/);
    const rows = stdout.trim().split('\n');
    expect(rows[0]).toMatch(/dense\s+sparse\s+multi/);
    const hitRows = rows.filter((r) => /^\d+\s/.test(r));
    expect(hitRows).toHaveLength(2);
    expect(hitRows[0]).toContain('rust');
  });

  it('fails with a typed message on a missing model folder', async () => {
    const { code, stderr } = await cli(['--model', '/nonexistent/model', 'hello']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/MODEL_FILES/);
  });

  it('rejects a bad option value with INVALID_OPTION naming the option, before loading anything', async () => {
    const { code, stderr } = await cli(['--model', '/nonexistent/model', '--mode', 'fuzzy', 'hello']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/INVALID_OPTION: --mode must be keyword, dense, sparse, multi, hybrid; got 'fuzzy'/);
  });

  it('reports a corpus line that is not JSON with its file and line number', async () => {
    const docs = path.join(dir, 'bad.jsonl');
    writeFileSync(docs, '{"id":"a","text":"fine"}\n{not json}\n');
    const { code, stderr } = await cli(['--docs', docs, 'hello']);
    expect(code).toBe(1);
    expect(stderr).toContain(`INVALID_DOCUMENT: ${docs}:2 is not JSON`);
  });
});
