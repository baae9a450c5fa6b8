// Small statistics and timing helpers shared by the sections.
import os from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';

/** Linear-interpolated percentile (p in [0, 100]) of unsorted samples; NaN for none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const s = [...samples].sort((a, b) => a - b);
  const pos = ((s.length - 1) * p) / 100;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

/** Milliseconds taken by `fn` (awaited). */
export async function timeMs(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/**
 * Runs a per-query timing pass up to `reps` times (fewer when past
 * `budgetMs`) and reports the median over the repetitions of each
 * repetition's p50 and p95 (so one noisy repetition does not decide the figure).
 */
export async function latency(
  reps: number,
  pass: () => Promise<number[]>,
  budgetMs = Infinity,
): Promise<{ p50: number; p95: number; reps: number }> {
  const runs = await repeat(reps, budgetMs, pass);
  return {
    p50: median(runs.map((ms) => percentile(ms, 50))),
    p95: median(runs.map((ms) => percentile(ms, 95))),
    reps: runs.length,
  };
}

/** a / b, or null when either is missing or b is 0 (printed as "–"). */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a == null || b == null || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  return a / b;
}

/** The machine's load averages (1 / 5 / 15 min), for a section's notes: single timed passes are read against them. */
export function loadAverage(): string {
  return os.loadavg().map((l) => l.toFixed(1)).join(' / ');
}

/** Lets the event loop breathe between long synchronous stretches (progress output, abort). */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

let collect: (() => void) | undefined;

/** A full garbage collection (exposed through the v8 flag at first use), so heap deltas mean something. */
export function gc(): void {
  if (!collect) {
    v8.setFlagsFromString('--expose-gc');
    collect = vm.runInNewContext('gc') as () => void;
  }
  collect();
}

/** Time budget for repetitions: at least one, then more only while under `budgetMs` in all. */
export async function repeat<T>(reps: number, budgetMs: number, once: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) {
    if (r > 0 && performance.now() - t0 > budgetMs) break;
    out.push(await once());
  }
  return out;
}
