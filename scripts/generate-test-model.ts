// CLI: `tsx scripts/generate-test-model.ts [--force]` — builds the tiny test
// model (if stale) and lists what is on disk.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ensureTestModel, LAYOUTS, MODEL_FILES } from './test-model/index.js';

const force = process.argv.includes('--force');
const started = performance.now();
const model = await ensureTestModel({ force });
const ms = Math.round(performance.now() - started);

const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`.padStart(12);
console.log(`Test model in ${model.root} (${force ? 'regenerated' : 'ensured'} in ${ms} ms)`);
for (const layout of LAYOUTS) {
  let total = 0;
  console.log(`\n${layout}/`);
  for (const f of MODEL_FILES) {
    const size = (await stat(path.join(model.layouts[layout], f))).size;
    total += size;
    console.log(`  ${kb(size)}  ${f}`);
  }
  console.log(`  ${kb(total)}  total`);
}
