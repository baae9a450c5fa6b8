// Seeded, bounded fuzzing of bad documents, queries and options against the
// engine with the generated test model (issue #12, "A robustness suite in CI").
// Every case must end in a typed M3SearchError or valid results: never a raw
// TypeError/RangeError, a crash or a hang. The run logs one line the README's
// Reliability section quotes:
//   robustness inputs: N cases, X typed errors, Y results, 0 problems
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isM3SearchError } from '../../src/core/errors.js';
import type { Doc, Hit } from '../../src/core/types.js';
import { M3Search, type AddOptions, type AddReport, type EngineOptions, type EngineSearchOptions } from '../../src/engine/engine.js';
import type { M3Encoder } from '../../src/model/encoder.js';
import { seededRandom as rng } from '../../src/eval/robustness.js';
import { loadModel } from '../../src/node/load-model.js';
import { testModel } from '../helpers/test-model.js';

const SEED = Number(process.env.M3S_FUZZ_SEED ?? 20_261_130);
const CASES = Number(process.env.M3S_FUZZ_CASES ?? 300);
/** A case still running after this is a hang. */
const CASE_TIMEOUT_MS = 20_000;

type Rand = ReturnType<typeof rng>;
const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

const WORDS = 'search engine document query vector river bank quick brown fox model ranking token window café naïve 東京 検索 서울 القاهرة Москва'.split(' ');

/** Code points from the corners of Unicode: controls, marks, RTL, CJK, emoji, private use, noncharacters, lone surrogates. */
function oddChar(r: Rand): string {
  switch (int(r, 0, 11)) {
    case 0:
      return String.fromCharCode(int(r, 0, 31)); // C0 controls, NUL included
    case 1:
      return String.fromCharCode(int(r, 0x7f, 0x9f)); // DEL and C1 controls
    case 2:
      return String.fromCharCode(int(r, 0x300, 0x36f)); // combining marks
    case 3:
      return String.fromCharCode(int(r, 0xd800, 0xdfff)); // a lone surrogate
    case 4:
      return pick(r, ['\u200b', '\u200d', '\u200e', '\u202e', '\u2066', '\ufeff', '\u00ad', '\u2028', '\u3000', '\u034f']);
    case 5:
      return String.fromCodePoint(int(r, 0x1f300, 0x1faff)); // emoji
    case 6:
      return String.fromCodePoint(int(r, 0xe000, 0xf8ff)); // private use
    case 7:
      return pick(r, ['\ufffe', '\uffff', '\ufffd', String.fromCodePoint(0x10ffff), String.fromCodePoint(0xe0001)]);
    case 8:
      return String.fromCharCode(int(r, 0x4e00, 0x9fff)); // CJK
    case 9:
      return String.fromCharCode(int(r, 0x590, 0x6ff)); // Hebrew, Arabic
    case 10:
      return String.fromCodePoint(int(r, 0x20000, 0x2a6df)); // CJK extension B (astral)
    default:
      return String.fromCharCode(int(r, 0x20, 0x7e));
  }
}

function words(r: Rand, n: number): string {
  return Array.from({ length: n }, () => pick(r, WORDS)).join(' ');
}

/** A text of one of many odd kinds; `huge` allows megabytes. */
function oddText(r: Rand, huge: boolean): unknown {
  switch (int(r, 0, huge ? 15 : 13)) {
    case 0:
      return '';
    case 1:
      return pick(r, [' ', '\n\t  \r\n', '\u3000\u00a0', ' '.repeat(int(r, 1, 5000))]);
    case 2:
      return words(r, int(r, 1, 40));
    case 3:
      return Array.from({ length: int(r, 1, 300) }, () => oddChar(r)).join('');
    case 4:
      return `${words(r, 3)} ${Array.from({ length: int(r, 1, 50) }, () => oddChar(r)).join('')} ${words(r, 3)}`;
    case 5:
      return `a${'\u0301'.repeat(int(r, 31, 6000))} ${words(r, 2)}`; // Zalgo
    case 6:
      return String.fromCharCode(int(r, 0xd800, 0xdbff)).repeat(int(r, 1, 2000)); // lone high surrogates only
    case 7:
      return 'x'.repeat(int(r, 100, 30_000)); // one long word
    case 8:
      return '\u0000'.repeat(int(r, 1, 3000)) + words(r, 2);
    case 9:
      return pick(r, [42, null, undefined, {}, ['text'], true, Symbol('t'), 10n, () => 'text', new String('boxed')]);
    case 10:
      return `${words(r, 5)}${' '.repeat(int(r, 1000, 60_000))}${words(r, 5)}`;
    case 11:
      return Array.from({ length: int(r, 100, 3000) }, () => `${pick(r, WORDS)}${oddChar(r)}`).join('');
    case 12:
      return '😀'.repeat(int(r, 1, 20_000));
    case 13:
      return `${words(r, 2)}\ud800${words(r, 2)}\udfff`;
    case 14:
      return `${words(r, 30)} `.repeat(int(r, 2_000, 12_000)); // 0.5–3 MB of prose
    default:
      return String.fromCodePoint(int(r, 0x20000, 0x2a6df)).repeat(int(r, 100_000, 600_000)); // astral, no spaces
  }
}

/** An odd text that is still a valid document text (a string, not blank). */
function cleanText(r: Rand, huge: boolean): string {
  for (;;) {
    const t = oddText(r, huge);
    if (typeof t === 'string' && t.trim() !== '') return t;
  }
}

function oddMeta(r: Rand): unknown {
  switch (int(r, 0, 9)) {
    case 0:
      return undefined;
    case 1:
      return { tag: words(r, 2), n: int(r, 0, 9) };
    case 2:
      return JSON.parse('{"__proto__": {"x": 1}, "constructor": "c"}') as unknown;
    case 3: {
      let v: Record<string, unknown> = {};
      for (let i = int(r, 50, 200_000); i > 0; i--) v = { a: v };
      return v;
    }
    case 4: {
      const c: Record<string, unknown> = { a: 1 };
      c.self = c;
      return c;
    }
    case 5:
      return { bad: pick(r, [NaN, Infinity, () => 1, Symbol('s'), 1n, new Date(0), new Map()]) };
    case 6:
      return pick(r, [null, 'meta', 7, [1, 2]]);
    case 7:
      return { [oddChar(r)]: oddChar(r), '': '' };
    case 8:
      return Object.create(null) as unknown;
    default:
      return { list: Array.from({ length: int(r, 0, 2000) }, (_, i) => i) };
  }
}

function oddDoc(r: Rand, i: number, huge: boolean): unknown {
  if (r() < 0.04) return pick(r, [null, 'doc', 3, [], undefined]);
  const doc: Record<string, unknown> = {
    id: r() < 0.08 ? pick(r, ['', 5, null, undefined, 'x'.repeat(10_000), '\ud800']) : `d${i}-${int(r, 0, 3)}`,
    text: r() < 0.75 ? oddText(r, huge) : words(r, int(r, 1, 20)),
  };
  if (r() < 0.2) doc.title = pick(r, ['t', 5, null, '\u0000', 'x'.repeat(5000)]);
  if (r() < 0.1) doc.url = pick(r, ['https://x', 5, {}]);
  if (r() < 0.35) doc.meta = oddMeta(r);
  return doc;
}

function oddNumber(r: Rand): unknown {
  return pick(r, [0, -1, 1.5, NaN, Infinity, -Infinity, '3', null, 1e9, 2 ** 53, 1, 2, 16, 64, 100, 512]);
}

function oddAddOptions(r: Rand): unknown {
  if (r() < 0.05) return pick(r, [null, 'opts', 5]);
  const o: Record<string, unknown> = {};
  if (r() < 0.3) o.batchSize = oddNumber(r);
  if (r() < 0.3) o.longDocuments = pick(r, ['truncate', 'windows', 'windows', 'bogus', 1, null]);
  if (r() < 0.2) o.windowSize = oddNumber(r);
  if (r() < 0.2) o.windowOverlap = oddNumber(r);
  return o;
}

function oddSearchOptions(r: Rand): unknown {
  if (r() < 0.1) return pick(r, [null, undefined, 'opts', 5, []]);
  const o: Record<string, unknown> = {};
  if (r() < 0.3) o.k = pick(r, [0, -1, 1.5, NaN, '5', 1, 3, 1e6, null]);
  if (r() < 0.2) o.mode = pick(r, ['dense', 'sparse', 'multi', 'hybrid', 'bogus', 7]);
  if (r() < 0.3) {
    o.weights = pick(r, [
      { dense: 0, sparse: 0, multi: 0 },
      { dense: -1, sparse: -1, multi: -1 },
      { dense: NaN },
      { dense: '1' },
      { dense: 1, sparse: -0.5 },
      null,
      'heavy',
      { dense: Infinity },
      {},
    ]);
  }
  if (r() < 0.2) o.fusion = pick(r, ['weighted', 'rrf', 'bogus']);
  if (r() < 0.15) o.candidates = oddNumber(r);
  if (r() < 0.1) o.rrfK = pick(r, [-1, 0, 60, NaN, 'x']);
  if (r() < 0.1) o.filter = pick(r, [() => true, () => false, 'yes', (d: Doc) => d.id.startsWith('d1')]);
  if (r() < 0.1) o.multiVectorBudget = oddNumber(r);
  if (r() < 0.1) o.aggregate = pick(r, ['max', { decay: 2 }, { windows: 0 }, 'mean', { decay: 0.5, windows: 2 }]);
  if (r() < 0.1) o.coarseBudget = oddNumber(r);
  return o;
}

function validReport(rep: AddReport, engine: M3Search, n: number): string | undefined {
  if (typeof rep !== 'object' || rep === null) return 'add() resolved without a report';
  if (rep.added + rep.updated + rep.unchanged !== n) return `report counts ${rep.added}+${rep.updated}+${rep.unchanged} ≠ ${n} documents`;
  if (rep.docCount !== engine.size) return `docCount ${rep.docCount} ≠ engine.size ${engine.size}`;
  if (!Array.isArray(rep.truncated) || rep.truncated.some((id) => typeof id !== 'string')) return 'truncated is not a list of ids';
  return undefined;
}

function validHits(hits: Hit[]): string | undefined {
  if (!Array.isArray(hits)) return 'search() did not return an array';
  for (const h of hits) {
    if (typeof h.id !== 'string' || h.doc?.id !== h.id) return `hit without a matching id: ${String(h.id)}`;
    if (!Number.isFinite(h.score)) return `hit ${h.id} has score ${h.score}`;
  }
  return undefined;
}

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`HANG: ${what} still running after ${CASE_TIMEOUT_MS} ms`)), CASE_TIMEOUT_MS);
  });
  return Promise.race([p, hang]).finally(() => clearTimeout(timer));
}

function describeValue(v: unknown): string {
  if (typeof v === 'string') return v.length > 40 ? `string(${v.length}) ${JSON.stringify(v.slice(0, 40))}…` : JSON.stringify(v);
  try {
    const s = JSON.stringify(v, (_, x: unknown) => (typeof x === 'bigint' ? `${x}n` : typeof x === 'string' && x.length > 40 ? `string(${x.length})` : x));
    return (s ?? String(v)).slice(0, 200);
  } catch {
    return Object.prototype.toString.call(v);
  }
}

let encoder: M3Encoder;
beforeAll(async () => {
  // A short max length keeps each forward pass cheap; the bounds scale with it.
  encoder = await loadModel((await testModel()).layouts['heads-in-graph'], { maxLength: 128 });
});
afterAll(() => encoder.dispose());

describe('robustness: bad documents, queries and options', () => {
  it(`${CASES} seeded cases end in a typed error or valid results`, { timeout: 240_000 }, async () => {
    const r = rng(SEED);
    const counts = { cases: 0, typed: 0, results: 0 };
    const byCode = new Map<string, number>();
    const problems: string[] = [];
    const started = performance.now();

    // One engine indexed with ordinary documents answers the query cases.
    const base = new M3Search(encoder, {}, { longDocuments: 'windows', windowSize: 64, windowOverlap: 8 });
    await base.add([
      ...Array.from({ length: 12 }, (_, i) => ({ id: `base${i}`, text: words(r, 8 + i * 3), meta: { i } })),
      { id: 'long', text: words(r, 400) },
    ]);

    for (let c = 0; c < CASES; c++) {
      const kind = pick(r, ['add', 'add', 'query', 'query', 'engine'] as const);
      const huge = r() < 0.08;
      // Half the cases keep a valid shape (string texts, ordinary options) so odd Unicode reaches the model.
      const clean = r() < 0.5;
      let what = '';
      try {
        let problem: string | undefined;
        if (kind === 'add') {
          const n = int(r, 1, 3);
          const list = Array.from({ length: n }, (_, i) => (clean ? { id: `c${i}`, text: `${words(r, 2)} ${cleanText(r, huge)}` } : oddDoc(r, i, huge)));
          const opts = clean ? {} : oddAddOptions(r);
          // Windowing megabytes through the model is minutes of work (bench/sections/huge-docs.ts), not a fuzz case.
          if (huge && typeof opts === 'object' && opts !== null) (opts as Record<string, unknown>).longDocuments = 'truncate';
          what = `add(${describeValue(list)}, ${describeValue(opts)})`;
          const engine = new M3Search(encoder, {}, r() < 0.3 ? { longDocuments: 'windows', windowSize: 64 } : {});
          const rep = await withTimeout(engine.add(list as Doc[], opts as AddOptions), what);
          problem = validReport(rep, engine, n);
          if (problem === undefined && engine.size > 0) problem = validHits(await withTimeout(engine.search('search engine'), `${what} then search`));
        } else if (kind === 'query') {
          const q = clean ? `${words(r, 1)} ${cleanText(r, false).slice(0, 2000)}` : r() < 0.85 ? oddText(r, huge) : words(r, int(r, 1, 6));
          const opts = clean ? pick(r, [{}, { mode: 'sparse' }, { fusion: 'rrf' }, { k: 3 }, { mode: 'multi' }]) : oddSearchOptions(r);
          what = `search(${describeValue(q)}, ${describeValue(opts)})`;
          problem = validHits(await withTimeout(base.search(q as string, opts as EngineSearchOptions), what));
        } else {
          const opts: Record<string, unknown> = {};
          if (r() < 0.5) opts.maxDocumentChars = oddNumber(r);
          if (r() < 0.5) opts.maxQueryChars = oddNumber(r);
          if (r() < 0.3) opts.longDocuments = pick(r, ['windows', 'bogus']);
          if (r() < 0.3) opts.windowSize = oddNumber(r);
          what = `new M3Search(${describeValue(opts)})`;
          const engine = new M3Search(encoder, {}, opts as EngineOptions);
          const text = words(r, int(r, 1, 50));
          await withTimeout(engine.add([{ id: 'e', text }]), `${what}.add`);
          problem = validHits(await withTimeout(engine.search(words(r, 2)), `${what}.search`));
        }
        if (problem !== undefined) problems.push(`case ${c}: ${what}: ${problem}`);
        else counts.results++;
      } catch (e) {
        if (isM3SearchError(e)) {
          counts.typed++;
          byCode.set(e.code, (byCode.get(e.code) ?? 0) + 1);
        } else problems.push(`case ${c}: ${what}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
      }
      counts.cases++;
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const codes = [...byCode].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
    console.log(`robustness inputs: ${counts.cases} cases, ${counts.typed} typed errors, ${counts.results} results, ${problems.length} problems (seed ${SEED}, ${seconds} s; ${codes})`);
    expect(problems).toEqual([]);
    expect(counts.typed).toBeGreaterThan(0);
    expect(counts.results).toBeGreaterThan(0);
  });
});
