// npm run bench [-- --quick] [--sections a,b] [--reps N] [--sizes 1000,10000] [--json FILE]
// Runs every registered section (./sections/index.ts), prints one table per
// section and writes everything as JSON. --quick is the CI smoke mode: toy
// sizes, one repetition, a few seconds; it checks the bench still runs, its
// numbers mean nothing.
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatRows } from './format.js';
import type { BenchContext, BenchRow, BenchSection } from './section.js';
import { SECTIONS } from './sections/index.js';

export interface SectionReport {
  name: string;
  title: string;
  notes: string[];
  seconds: number;
  rows: BenchRow[];
}

export interface BenchReport {
  quick: boolean;
  reps: number;
  createdAt: string;
  node: string;
  platform: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  sections: SectionReport[];
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface BenchOptions {
  quick?: boolean;
  reps?: number;
  sizes?: readonly number[];
  /** Section names to run (default: all). */
  only?: readonly string[];
  log?: (message: string) => void;
  /** Called with each finished section (the CLI prints it right away). */
  onSection?: (report: SectionReport) => void;
  signal?: AbortSignal;
}

export async function runBench(opts: BenchOptions = {}): Promise<BenchReport> {
  const quick = opts.quick ?? false;
  const ctx: BenchContext = {
    quick,
    reps: opts.reps ?? (quick ? 1 : 3),
    ...(opts.sizes ? { sizes: opts.sizes } : {}),
    seed: 20_240_601,
    root: ROOT,
    sharedDir: process.env.M3S_SHARED_DIR ?? resolve(ROOT, '..', 'shared'),
    log: opts.log ?? (() => {}),
    signal: opts.signal,
  };
  const unknown = (opts.only ?? []).filter((n) => !SECTIONS.some((s) => s.name === n));
  if (unknown.length > 0) throw new Error(`unknown section(s): ${unknown.join(', ')} (known: ${SECTIONS.map((s) => s.name).join(', ')})`);
  const chosen: BenchSection[] = SECTIONS.filter((s) => !opts.only || opts.only.includes(s.name));
  const sections: SectionReport[] = [];
  for (const section of chosen) {
    opts.signal?.throwIfAborted();
    const t0 = performance.now();
    const rows = await section.run(ctx);
    const report = { name: section.name, title: section.title, notes: section.notes(ctx), seconds: (performance.now() - t0) / 1000, rows };
    sections.push(report);
    opts.onSection?.(report);
  }
  return {
    quick,
    reps: ctx.reps,
    createdAt: new Date().toISOString(),
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    sections,
  };
}

export function formatSection(s: SectionReport): string {
  return [`## ${s.title}  [${s.name}, ${s.seconds.toFixed(1)} s]`, '', formatRows(s.rows), '', ...s.notes.map((n) => `  · ${n}`)].join('\n');
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      sections: { type: 'string' },
      reps: { type: 'string' },
      sizes: { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (args.help) {
    console.log('usage: npm run bench -- [--quick] [--sections latency,encoding,memory,open] [--reps N] [--sizes 1000,10000] [--json FILE]');
    return;
  }
  const reps = args.reps === undefined ? undefined : Number(args.reps);
  if (reps !== undefined && !(Number.isInteger(reps) && reps > 0)) throw new Error(`--reps must be a positive integer, got "${args.reps}"`);
  const sizes = args.sizes?.split(',').map(Number);
  if (sizes?.some((n) => !(Number.isInteger(n) && n > 0))) throw new Error(`--sizes must be positive integers, got "${args.sizes}"`);
  const report = await runBench({
    sizes,
    quick: args.quick,
    reps,
    only: args.sections?.split(',').map((s) => s.trim()).filter(Boolean),
    log: (m) => process.stderr.write(`${m}\n`),
    onSection: (s) => console.log(`\n${formatSection(s)}`),
  });
  const jsonPath = args.json ?? join(ROOT, 'out', 'bench', report.quick ? 'bench-quick.json' : 'bench.json');
  await mkdir(dirname(resolve(jsonPath)), { recursive: true });
  await writeFile(jsonPath, JSON.stringify(report, null, 2) + '\n');
  console.log(`\n${report.cpus} CPUs (${report.cpuModel}), ${report.memoryGiB} GiB, Node ${report.node}; wrote ${jsonPath}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
