// CLI: `npm run model:wide [-- --force]` — writes the wide test variant
// (./test-model/wide.ts: the tiny encoder, 1024-dim dense and ColBERT heads)
// into .cache/test-model-wide/ and checks its output widths.
import { loadModel } from '../src/node/load-model.js';
import { ensureWideTestModel } from './test-model/wide.js';

const dir = await ensureWideTestModel({ force: process.argv.includes('--force') });
const encoder = await loadModel(dir);
const [e] = await encoder.encode(['a passage about list comprehensions in Python']);
console.log(`${dir}: dense ${e!.dense.length}, multi ${e!.multi.count}×${e!.multi.dim}, ${e!.sparse.ids.length} sparse terms (${encoder.info.modelId})`);
await encoder.dispose();
if (e!.dense.length !== 1024 || e!.multi.dim !== 1024) process.exitCode = 1;
