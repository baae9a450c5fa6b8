// Peak RSS and load time of our Node loader on one model folder, in a process
// of its own, by path (what loadModel does with a folder: onnxruntime-node
// reads the graph and its side files itself) or as bytes (a source that only
// reads files — how a folder loaded before, and how a URL still loads: ONNX
// Runtime copies the bytes it is handed). Prints one JSON line.
//
//   NODE_OPTIONS=--max-old-space-size=8192 npx tsx bench/load-rss.ts .cache/model-shape/fp32 path|bytes
import os from 'node:os';
import * as ort from 'onnxruntime-node';
import type { OrtRuntime } from '../src/model/encoder.js';
import { loadEncoder } from '../src/model/load.js';
import { fsSource } from '../src/node/fs-source.js';

const [dir, mode] = process.argv.slice(2);
if (dir === undefined || (mode !== 'path' && mode !== 'bytes')) throw new Error('usage: load-rss.ts <model folder> path|bytes');
const folder = fsSource(dir);
const source = mode === 'path' ? folder : { location: folder.location, read: folder.read };
const t0 = performance.now();
const enc = await loadEncoder(source, { ort: ort as unknown as OrtRuntime, dtype: 'fp32', sessionOptions: { executionProviders: ['cpu'], intraOpNumThreads: os.availableParallelism() } });
const loadS = (performance.now() - t0) / 1000;
console.log(
  JSON.stringify({ dir, mode, onnxFile: enc.info.onnxFile, loadS: +loadS.toFixed(1), rssLoadedMB: Math.round(process.memoryUsage().rss / 2 ** 20), peakMB: Math.round(process.resourceUsage().maxRSS / 1024), fingerprint: enc.info.fingerprint }),
);
await enc.dispose();
