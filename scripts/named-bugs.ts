// The deliberate bugs of issue #18, put back one at a time into a scratch copy
// of this checkout, each against the tests that should catch it. A bug that
// leaves its tests green is a hole in the suite: the script exits 1.
//
//   npm run mutation:named                  # every bug (≈ 10 min: Chromium suites)
//   npm run mutation:named -- snippet-html  # the named ones
//
// The copy is the working tree as it is (tracked files), with node_modules
// and the generated test model linked, so the checkout itself is never edited.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface NamedBug {
  /** Short id, for the command line. */
  name: string;
  /** What the bug does, as the issue names it. */
  what: string;
  file: string;
  /** Exact text → replacement; every one must occur in `file` exactly once. */
  edits: ReadonlyArray<readonly [string, string]>;
  /** Test files that must fail with the bug in. */
  tests: readonly string[];
}

const BUGS: readonly NamedBug[] = [
  {
    name: 'sparse-last-weight',
    what: 'sparse max-pooling keeps the last weight of a repeated token id, not the largest',
    file: 'src/model/heads.ts',
    edits: [['if (prev === undefined || w > prev) best.set(id, w);', 'best.set(id, w);']],
    tests: ['test/model/heads.test.ts', 'test/model/encoder.test.ts'],
  },
  {
    name: 'snippet-html',
    what: 'snippet text of <m3-search> parsed as HTML (innerHTML) instead of set as text',
    file: 'src/element/element.ts',
    edits: [
      ['if (s > at) snip.append(document.createTextNode(h.snippet.text.slice(at, s)));', "if (s > at) snip.insertAdjacentHTML('beforeend', h.snippet.text.slice(at, s));"],
      ['mark.textContent = h.snippet.text.slice(s, e);', 'mark.innerHTML = h.snippet.text.slice(s, e);'],
      ["if (at < h.snippet.text.length) snip.append(document.createTextNode(h.snippet.text.slice(at)));", "if (at < h.snippet.text.length) snip.insertAdjacentHTML('beforeend', h.snippet.text.slice(at));"],
    ],
    tests: ['test/site/element-safety.test.ts'],
  },
  {
    name: 'hybrid-weights-swapped',
    what: 'hybrid weights swapped (dense ↔ sparse) under every surface, the static site included',
    file: 'src/core/types.ts',
    edits: [['{ dense: 0.4, sparse: 0.2, multi: 0.4 }', '{ dense: 0.2, sparse: 0.4, multi: 0.4 }']],
    tests: ['test/site/ranking.test.ts'],
  },
  {
    name: 'links-bypass-safehref',
    what: 'hit links of <m3-search> taken from the index as they are (no safeHref: relative links 404, javascript: runs)',
    file: 'src/element/element.ts',
    edits: [
      ['const href = safeHref(h.url, this.siteRoot);', 'const href = h.url;'],
      ['const href = safeHref(hit.url, this.siteRoot);', 'const href = hit.url;'],
    ],
    tests: ['test/site/element-safety.test.ts'],
  },
  {
    name: 'demo-mode-sparse',
    what: "the demo's mode switch forced to sparse",
    file: 'src/demo/main.ts',
    edits: [['const m = mode();', "const m: DemoMode = 'sparse';"]],
    tests: ['test/e2e/demo.test.ts'],
  },
  {
    name: 'offline-not-stored',
    what: 'the service worker stores nothing, so offline search has nothing to answer from',
    file: 'src/element/sw.ts',
    edits: [['    await cache.put(req, res);\n', '    void cache;\n']],
    tests: ['test/site/sw.test.ts'],
  },
  {
    name: 'batch-not-atomic',
    what: 'an IndexedDB write that fails half-way is not aborted: part of the group is committed',
    file: 'src/browser/store.ts',
    edits: [['      abortQuietly(tx);\n      await pending.settled();\n      throw storageError(e, what);', '      await pending.settled();\n      throw storageError(e, what);']],
    tests: ['test/browser/store.test.ts'],
  },
  {
    name: 'int8-scale',
    what: 'int8 rows quantized with scale maxabs/128 instead of maxabs/127',
    file: 'src/core/quantize.ts',
    edits: [['const scale = m / 127;', 'const scale = m / 128;']],
    tests: ['test/core/dense-matrix.test.ts', 'test/core/quantize.test.ts'],
  },
  {
    name: 'dense-mode-ranks-sparse',
    what: 'dense mode ranks by the sparse signal',
    file: 'src/core/rank.ts',
    edits: [["      o.mode === 'dense'\n", "      o.mode === 'sparse'\n"]],
    tests: ['test/engine/engine-logic.test.ts'],
  },
  {
    name: 'rrf-off-by-one',
    what: 'reciprocal-rank fusion counts ranks from 0 + 1 twice (w / (k + r + 1))',
    file: 'src/core/fusion.ts',
    edits: [['s += w[sig] / (rrfK + r);', 's += w[sig] / (rrfK + r + 1);']],
    tests: ['test/engine/engine-logic.test.ts'],
  },
  {
    name: 'cancel-after-encode-ignored',
    what: 'a cancel that arrives while a group is being encoded still commits the group',
    file: 'src/engine/engine.ts',
    edits: [['    throwIfAborted(opts.signal);\n    return encoded;', '    return encoded;']],
    tests: ['test/engine/engine-logic.test.ts'],
  },
];

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function scratchCopy(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'm3s-named-'));
  const files = spawnSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).stdout.split('\0').filter(Boolean);
  for (const f of files) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    try {
      cpSync(path.join(ROOT, f), path.join(dir, f));
    } catch {
      // A tracked file deleted in the working tree stays deleted.
    }
  }
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  mkdirSync(path.join(dir, '.cache'));
  symlinkSync(path.join(ROOT, '.cache', 'test-model'), path.join(dir, '.cache', 'test-model'));
  return dir;
}

function apply(dir: string, bug: NamedBug): string {
  const file = path.join(dir, bug.file);
  const original = readFileSync(file, 'utf8');
  let text = original;
  for (const [from, to] of bug.edits) {
    const n = text.split(from).length - 1;
    if (n !== 1) throw new Error(`${bug.name}: expected the text once in ${bug.file}, found it ${n} times: ${JSON.stringify(from)}`);
    text = text.replace(from, () => to);
  }
  writeFileSync(file, text);
  return original;
}

/** The names of the failing tests (vitest's JSON report), or null when the run itself broke. */
function failingTests(dir: string, tests: readonly string[]): { failed: string[]; passed: number } | null {
  const out = path.join(dir, '.named-bugs.json');
  rmSync(out, { force: true });
  spawnSync('npx', ['vitest', 'run', ...tests, '--reporter=json', `--outputFile=${out}`], { cwd: dir, stdio: 'ignore', env: process.env });
  try {
    const report = JSON.parse(readFileSync(out, 'utf8')) as { testResults: { assertionResults: { fullName: string; status: string }[] }[] };
    const all = report.testResults.flatMap((f) => f.assertionResults);
    return { failed: all.filter((t) => t.status === 'failed').map((t) => t.fullName), passed: all.filter((t) => t.status === 'passed').length };
  } catch {
    return null;
  }
}

const only = process.argv.slice(2);
const unknown = only.filter((n) => !BUGS.some((b) => b.name === n));
if (unknown.length) {
  console.error(`unknown bug(s): ${unknown.join(', ')}; known: ${BUGS.map((b) => b.name).join(', ')}`);
  process.exit(2);
}
const dir = scratchCopy();
let missed = 0;
try {
  // Baseline first: the tests must pass without any bug, or a "catch" means nothing.
  const all = [...new Set(BUGS.filter((b) => !only.length || only.includes(b.name)).flatMap((b) => b.tests))];
  const base = failingTests(dir, all);
  if (!base || base.failed.length) {
    console.error(`baseline: ${base ? `failing without any bug: ${base.failed.join('; ')}` : 'the test run broke'}`);
    process.exit(1);
  }
  console.log(`baseline: ${base.passed} tests pass in ${all.length} files\n`);
  console.log('| bug | caught | by (first failing tests) |\n|---|---|---|');
  for (const bug of BUGS) {
    if (only.length && !only.includes(bug.name)) continue;
    const original = apply(dir, bug);
    try {
      const r = failingTests(dir, bug.tests);
      const caught = r !== null && r.failed.length > 0;
      if (!caught) missed++;
      const by = r === null ? 'run broke (counts as not caught)' : r.failed.slice(0, 3).join('; ') + (r.failed.length > 3 ? ` (+${r.failed.length - 3})` : '');
      console.log(`| ${bug.name}: ${bug.what} | ${caught ? 'yes' : '**NO**'} | ${by || '—'} |`);
    } finally {
      writeFileSync(path.join(dir, bug.file), original);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(missed ? `\n${missed} bug(s) not caught` : '\nevery bug caught');
process.exit(missed ? 1 : 0);
