// Runs one section file on its own (before/without the full bench runner):
//   npx tsx bench/standalone.ts bench/sections/multi-budget.ts [--quick]
// Prints the rows as a table and as JSON.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchContext, BenchSection } from './section.js';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
if (!file) throw new Error('usage: tsx bench/standalone.ts <section file> [--quick]');
const mod = (await import(pathToFileURL(path.resolve(file)).href)) as Record<string, unknown>;
// The default export, else the file's one exported section.
const isSection = (v: unknown): v is BenchSection => typeof v === 'object' && v !== null && 'run' in v && 'title' in v;
const section = isSection(mod.default) ? mod.default : Object.values(mod).find(isSection);
if (!section) throw new Error(`${file} exports no bench section`);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const ctx: BenchContext = {
  quick: args.includes('--quick'),
  reps: args.includes('--quick') ? 1 : 3,
  seed: 42,
  root,
  sharedDir: process.env.M3S_SHARED_DIR ?? path.resolve(root, '..', 'shared'),
  log: (m) => console.error(m),
};
const rows = await section.run(ctx);
console.log(`## ${section.title}`);
console.table(rows);
for (const n of section.notes(ctx)) console.log(`- ${n}`);
console.log(JSON.stringify(rows));
