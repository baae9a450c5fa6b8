// Huge documents: the time and peak memory of adding one 1, 10 or 50 MB
// document, in truncate and windows mode. Each case runs in its own process
// (bench/huge-doc-case.ts) so one case's heap never inflates another's peak
// RSS. The work is bounded before tokenizing (src/model/encoder.ts): truncate
// reads only the first slices of the text; windows walk it once.
import { execFile } from 'node:child_process';
import path from 'node:path';
import type { BenchContext, BenchRow, BenchSection } from '../section.js';

/** A case that has not finished by then is reported as such (windows over 50 MB take minutes on a small machine). */
const CASE_LIMIT_S = Number(process.env.M3S_HUGE_LIMIT_S ?? 1800);

interface CaseResult {
  chars: number;
  seconds: number;
  windows: number;
  truncated: boolean;
  hits: number;
  peakRssMB: number;
  modelRssMB: number;
}

function runCase(ctx: BenchContext, chars: number, mode: string): Promise<CaseResult | string> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', path.join(ctx.root, 'bench', 'huge-doc-case.ts'), String(chars), mode],
      { cwd: ctx.root, timeout: CASE_LIMIT_S * 1000, maxBuffer: 1 << 20, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        const line = stdout.trim().split('\n').pop() ?? '';
        if (!err && line.startsWith('{')) resolve(JSON.parse(line) as CaseResult);
        else resolve(err?.killed ? `over ${CASE_LIMIT_S} s` : `failed: ${(stderr || String(err)).trim().split('\n').pop()}`);
      },
    );
  });
}

export const hugeDocs: BenchSection = {
  name: 'huge-docs',
  title: 'Huge documents: one 1 / 10 / 50 MB document, truncate vs windows',
  notes: () => [
    'Test model (heads-in-graph) at maxLength 512; windows of 512 tokens, 64 overlap; text = seeded English-like words (~0.2 tokens per character).',
    `Each case is its own node process: "peak RSS" is its maxRSS; "model RSS" is its RSS before add (model loaded, text built); cases over ${CASE_LIMIT_S} s are stopped (M3S_HUGE_LIMIT_S); M3S_HUGE_MB=1,10 picks the sizes.`,
  ],
  run: async (ctx: BenchContext): Promise<BenchRow[]> => {
    const sizes = ctx.quick ? [0.05] : (process.env.M3S_HUGE_MB?.split(',').map(Number) ?? [1, 10, 50]);
    const rows: BenchRow[] = [];
    for (const mode of ['truncate', 'windows']) {
      for (const mb of sizes) {
        ctx.signal?.throwIfAborted();
        ctx.log(`huge-docs: ${mb} MB, ${mode}`);
        const r = await runCase(ctx, Math.round(mb * 1e6), mode);
        if (typeof r === 'string') {
          rows.push({ mode, MB: mb, 'add s': null, 'MB/s': null, windows: null, truncated: null, 'peak RSS MB': null, 'model RSS MB': null, note: r });
          continue;
        }
        rows.push({
          mode,
          MB: mb,
          'add s': r.seconds,
          'MB/s': r.chars / 1e6 / r.seconds,
          windows: r.windows,
          truncated: r.truncated ? 'yes' : 'no',
          'peak RSS MB': r.peakRssMB,
          'model RSS MB': r.modelRssMB,
          note: r.hits > 0 ? '' : 'no hits',
        });
      }
    }
    return rows;
  },
};

export default hugeDocs;
