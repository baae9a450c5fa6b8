// The README's Node command, run as a user runs it: a JSONL corpus in, a
// ranked table with the three per-signal scores out; typed errors on bad use.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { testModel } from '../helpers/test-model.js';

const run = promisify(execFile);
const TSX = path.resolve('node_modules/.bin/tsx');

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(TSX, ['src/cli/search.ts', ...args], { timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('npm run search', () => {
  it('indexes a JSONL corpus and prints ranked hits with dense, sparse and multi scores', async () => {
    const model = (await testModel()).layouts['hidden-state'];
    const dir = mkdtempSync(path.join(os.tmpdir(), 'm3s-cli-'));
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
});
