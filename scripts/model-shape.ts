// CLI: `npm run model:shape [-- --precision fp32,fp16,int8] [--force]` — writes
// the real-size model (BGE-M3's shape, random weights) into
// .cache/model-shape/<precision>/ when missing or stale, then loads each folder
// with the Node encoder and checks a 128-token passage encodes to finite vectors.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { seededRandom } from '../src/eval/random.js';
import { loadModel } from '../src/node/load-model.js';
import type { Precision } from './test-model/graph.js';
import { ensureShapeModel, PRECISIONS, shapePassage } from './test-model/shape.js';

const { values: args } = parseArgs({ options: { precision: { type: 'string' }, force: { type: 'boolean' }, 'no-check': { type: 'boolean' } } });
const precisions = (args.precision?.split(',').map((s) => s.trim()) ?? [...PRECISIONS]) as Precision[];
for (const p of precisions) if (!(PRECISIONS as readonly string[]).includes(p)) throw new Error(`--precision: unknown "${p}" (known: ${PRECISIONS.join(', ')})`);

const log = (m: string) => console.log(m);
const dirs = await ensureShapeModel({ precisions, force: args.force, log });
const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`.padStart(11);

for (const p of precisions) {
  const dir = dirs[p];
  console.log(`\n${p}/ (${dir})`);
  for (const f of [...(await readdir(dir)).filter((f) => f !== 'onnx'), ...(await readdir(path.join(dir, 'onnx'))).map((f) => `onnx/${f}`)].sort()) {
    console.log(`  ${mb((await stat(path.join(dir, f))).size)}  ${f}`);
  }
  if (args['no-check']) continue;
  const t0 = performance.now();
  const encoder = await loadModel(dir);
  const loadS = (performance.now() - t0) / 1000;
  const text = shapePassage(128, seededRandom(7));
  const [out] = await encoder.encode([text]);
  const e = out!;
  const finite = (a: Float32Array) => a.every(Number.isFinite);
  const ok = e.tokens === 128 && finite(e.dense) && finite(e.sparse.weights) && finite(e.multi.data);
  console.log(`  check: loaded in ${loadS.toFixed(1)} s; ${e.tokens} tokens → dense ${e.dense.length}, ${e.sparse.ids.length} sparse terms, ${e.multi.count}×${e.multi.dim} multi; 128 tokens and all finite: ${ok}`);
  await encoder.dispose();
  if (!ok) process.exitCode = 1;
}
