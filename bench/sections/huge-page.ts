// Huge pages through the site builder (issue #13): `m3search index` on a
// folder holding one generated page (bench/huge-page.ts), each build its own
// process, its peak RSS read by bench/cli-rss.ts, once with default V8 flags and
// once with the heap capped at 320 MB (what test/site/huge-page.test.ts checks:
// default flags let garbage pile up by chance). The baseline is the same CLI
// indexing a one-page tiny site in the same run under the same flags, so
// "growth" is what the page itself costs (the target: ≤ 500 MB at 50 MB).
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BenchContext, BenchRow, BenchSection } from '../section.js';
import { heapCap, runIndexCli } from '../cli-rss.js';
import { writeHugePage, type HugePageShape } from '../huge-page.js';

/** The capped heap of the second build of each case (MB), as the test's. */
const HEAP_MB = 320;

const CASES: { name: string; shape: HugePageShape; mb: number }[] = [
  { name: 'one 600 KB section', shape: 'section', mb: 0.6 },
  { name: 'docs page', shape: 'docs', mb: 5 },
  { name: 'docs page', shape: 'docs', mb: 50 },
  { name: 'one <pre>', shape: 'pre', mb: 50 },
];

export const hugePage: BenchSection = {
  name: 'huge-page',
  title: 'Huge pages: keyword-only `m3search index` of one generated page, peak RSS over a tiny site',
  notes: () => [
    `Each build is \`node [flags] bin/m3search.mjs index <folder> --out <dir> --quiet\` in its own process, twice: default V8 flags, then --max-old-space-size=${HEAP_MB}; peak RSS = its maxRSS.`,
    'Baseline: the same CLI on a one-page site in the same run, under the same flags; growth = peak RSS − baseline. Pages: bench/huge-page.ts (seeded docs HTML with code, tables and non-ASCII text; one long section; one <pre>).',
  ],
  run: async (ctx: BenchContext): Promise<BenchRow[]> => {
    const dir = path.join(os.tmpdir(), `m3search-huge-page-${process.pid}`);
    const rows: BenchRow[] = [];
    try {
      const tiny = path.join(dir, 'tiny');
      await mkdir(tiny, { recursive: true });
      await writeFile(path.join(tiny, 'index.html'), '<html lang="en"><body><main><h1>Tiny</h1><p>One small page.</p></main></body></html>');
      // In a fresh clone the first build also bundles the page script with vite: not part of any row.
      await runIndexCli(ctx.root, tiny, path.join(dir, 'out-warm'));
      const flags = { default: [], [`heap ≤ ${HEAP_MB} MB`]: heapCap(HEAP_MB) };
      const base: Record<string, number> = {};
      for (const [k, [name, nodeFlags]] of Object.entries(flags).entries()) {
        const r = await runIndexCli(ctx.root, tiny, path.join(dir, `out-tiny-${k}`), { nodeFlags });
        if (r.code !== 0) throw new Error(`baseline build failed: ${r.stderr}`);
        base[name] = r.maxRss;
        rows.push({ page: 'tiny site (baseline)', flags: name, MB: 0, 'build s': r.seconds, 'peak RSS MB': r.maxRss / 1e6, 'growth MB': 0, 'growth / page MB': null, note: '' });
      }
      for (const c of ctx.quick ? [{ ...CASES[1]!, mb: 0.5 }] : CASES) {
        ctx.signal?.throwIfAborted();
        ctx.log(`huge-page: ${c.name}, ${c.mb} MB`);
        const site = path.join(dir, `${c.shape}-${c.mb}`);
        await mkdir(site, { recursive: true });
        const bytes = writeHugePage(path.join(site, 'index.html'), { bytes: c.mb * 1e6, shape: c.shape });
        for (const [k, [name, nodeFlags]] of Object.entries(flags).entries()) {
          const out = path.join(dir, `out-${c.shape}-${c.mb}-${k}`);
          const r = await runIndexCli(ctx.root, site, out, { nodeFlags });
          await rm(out, { recursive: true, force: true });
          const ok = r.code === 0;
          const growth = (r.maxRss - base[name]!) / 1e6;
          // A build killed by V8 reports no RSS; its reason is the FATAL ERROR line, not the stack's last frame.
          const lines = r.stderr.trim().split('\n');
          rows.push({
            page: c.name,
            flags: name,
            MB: bytes / 1e6,
            'build s': ok ? r.seconds : null,
            'peak RSS MB': ok ? r.maxRss / 1e6 : null,
            'growth MB': ok ? growth : null,
            'growth / page MB': ok ? growth / (bytes / 1e6) : null,
            note: ok ? '' : `failed: ${(lines.find((l) => /FATAL ERROR|out of memory|Error/.test(l)) ?? lines.pop() ?? '').trim()}`,
          });
        }
        await rm(site, { recursive: true, force: true });
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    return rows;
  },
};

export default hugePage;
