// Shared by the data-corruption robustness suites: seeded damage (byte flips,
// truncations) and the one verdict every case must reach — a typed error, or
// results identical to the clean index. Anything else (a different ranking, an
// untyped throw, a hang) is a problem, listed with the case that caused it.
import { isDeepStrictEqual } from 'node:util';
import { isM3SearchError } from '../../src/core/errors.js';

export type Rng = () => number;

export interface Tally {
  name: string;
  cases: number;
  typed: number;
  identical: number;
  problems: string[];
  /** Typed errors by code (e.g. INVALID_INDEX, CORRUPT_RECORD). */
  codes: Record<string, number>;
}

export function tally(name: string): Tally {
  return { name, cases: 0, typed: 0, identical: 0, problems: [], codes: {} };
}

/** One line a run prints (and the README quotes). */
export function summary(t: Tally): string {
  const codes = Object.entries(t.codes).map(([c, n]) => `${c} ${n}`).join(', ');
  return `robustness ${t.name}: ${t.cases} cases, ${t.typed} typed errors${codes ? ` (${codes})` : ''}, ${t.identical} identical, ${t.problems.length} problems`;
}

/** What a damaged run ended in. `typed` carries the error code; `result` is compared with the clean one. */
export type Outcome = { typed: string } | { result: unknown };

const HANG_MS = 10_000;

/**
 * Runs one case: `run` either throws (a typed M3SearchError counts, anything
 * else is a problem), reports a typed outcome itself (a record skipped with
 * CORRUPT_RECORD), or returns results that must equal `clean` exactly.
 */
export async function judge(t: Tally, label: string, clean: unknown, run: () => Promise<Outcome>): Promise<void> {
  t.cases++;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<'hang'>((resolve) => (timer = setTimeout(() => resolve('hang'), HANG_MS)));
  try {
    const out = await Promise.race([run(), hang]);
    if (out === 'hang') t.problems.push(`${label}: no answer within ${HANG_MS} ms`);
    else if ('typed' in out) count(t, out.typed);
    else if (isDeepStrictEqual(out.result, clean)) t.identical++;
    else t.problems.push(`${label}: loaded, but the results differ from the clean index`);
  } catch (e) {
    if (isM3SearchError(e)) count(t, e.code);
    else t.problems.push(`${label}: untyped ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  } finally {
    clearTimeout(timer);
  }
}

function count(t: Tally, code: string): void {
  t.typed++;
  t.codes[code] = (t.codes[code] ?? 0) + 1;
}

export interface Damage {
  bytes: Uint8Array;
  what: string;
}

/** A copy of `bytes` with 1–3 random bytes XORed (never a no-op), or cut at a random length. */
export function damage(r: Rng, bytes: Uint8Array, truncateShare = 0.3): Damage {
  if (bytes.length > 1 && r() < truncateShare) {
    const n = Math.floor(r() * bytes.length);
    return { bytes: bytes.slice(0, n), what: `cut to ${n} of ${bytes.length} bytes` };
  }
  const out = bytes.slice();
  const flips = 1 + Math.floor(r() * 3);
  const at: number[] = [];
  for (let i = 0; i < flips; i++) {
    const p = Math.floor(r() * out.length);
    out[p] = out[p]! ^ (1 + Math.floor(r() * 255));
    at.push(p);
  }
  // Two flips of one byte can cancel: make sure something changed.
  if (out.every((b, i) => b === bytes[i])) out[at[0]!] = out[at[0]!]! ^ 0x10;
  return { bytes: out, what: `bytes ${at.join(',')} of ${bytes.length} flipped` };
}

export function pick<T>(r: Rng, items: readonly T[]): T {
  return items[Math.floor(r() * items.length)]!;
}
