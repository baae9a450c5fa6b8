// Huge pages through the site builder (issue #13): `m3search index` on a
// folder holding one generated page (bench/huge-page.ts), each build its own
// process with default V8 flags, its peak RSS read by bench/cli-rss.ts. The
// baseline is the same CLI indexing a one-page tiny site in the same run, so
// "growth" is what the page itself costs (the target: ≤ 500 MB at 50 MB).
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BenchContext, BenchRow, BenchSection } from '../section.js';
import { runIndexCli } from '../cli-rss.js';
import { writeHugePage, type HugePageShape } from '../huge-page.js';

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
    'Each build is `node bin/m3search.mjs index <folder> --out <dir> --quiet` in its own process, default V8 flags; peak RSS = its maxRSS.',
    'Baseline: the same CLI on a one-page site in the same run; growth = peak RSS − baseline. Pages: bench/huge-page.ts (seeded docs HTML with code, tables and non-ASCII text; one long section; one <pre>).',
  ],
  run: async (ctx: BenchContext): Promise<BenchRow[]> => {
    const dir = path.join(os.tmpdir(), `m3search-huge-page-${process.pid}`);
    const rows: BenchRow[] = [];
    try {
      const tiny = path.join(dir, 'tiny');
      await mkdir(tiny, { recursive: true });
      await writeFile(path.join(tiny, 'index.html'), '<html lang="en"><body><main><h1>Tiny</h1><p>One small page.</p></main></body></html>');
      const base = await runIndexCli(ctx.root, tiny, path.join(dir, 'out-tiny'));
      if (base.code !== 0) throw new Error(`baseline build failed: ${base.stderr}`);
      rows.push({ page: 'tiny site (baseline)', MB: 0, 'build s': base.seconds, 'peak RSS MB': base.maxRss / 1e6, 'growth MB': 0, 'growth / page MB': null, note: '' });
      for (const c of ctx.quick ? [{ ...CASES[1]!, mb: 0.5 }] : CASES) {
        ctx.signal?.throwIfAborted();
        ctx.log(`huge-page: ${c.name}, ${c.mb} MB`);
        const site = path.join(dir, `${c.shape}-${c.mb}`);
        await mkdir(site, { recursive: true });
        const bytes = writeHugePage(path.join(site, 'index.html'), { bytes: c.mb * 1e6, shape: c.shape });
        const r = await runIndexCli(ctx.root, site, path.join(site, 'm3search'));
        await rm(site, { recursive: true, force: true });
        const growth = (r.maxRss - base.maxRss) / 1e6;
        rows.push({
          page: c.name,
          MB: bytes / 1e6,
          'build s': r.code === 0 ? r.seconds : null,
          'peak RSS MB': r.maxRss / 1e6,
          'growth MB': growth,
          'growth / page MB': growth / (bytes / 1e6),
          note: r.code === 0 ? '' : `failed: ${r.stderr.trim().split('\n').pop()}`,
        });
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    return rows;
  },
};

export default hugePage;
