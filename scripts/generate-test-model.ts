// CLI: `tsx scripts/generate-test-model.ts [--force]` — builds the tiny test
// model (if stale) and lists what is on disk.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ensureTestModel, EXTERNAL_DIR, EXTERNAL_FILES, LAYOUTS, MODEL_FILES } from './test-model/index.js';

const force = process.argv.includes('--force');
const started = performance.now();
const model = await ensureTestModel({ force });
const ms = Math.round(performance.now() - started);

const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`.padStart(12);
console.log(`Test model in ${model.root} (${force ? 'regenerated' : 'ensured'} in ${ms} ms)`);
const folders: [string, string, readonly string[]][] = [...LAYOUTS.map((l) => [l, model.layouts[l], MODEL_FILES] as [string, string, readonly string[]]), [EXTERNAL_DIR, model.externalData, EXTERNAL_FILES]];
for (const [name, dir, files] of folders) {
  let total = 0;
  console.log(`\n${name}/`);
  for (const f of files) {
    const size = (await stat(path.join(dir, f))).size;
    total += size;
    console.log(`  ${kb(size)}  ${f}`);
  }
  console.log(`  ${kb(total)}  total`);
}
