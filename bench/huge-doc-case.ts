// One huge-document case, run as its own process by the huge-docs section so
// its peak RSS (maxRSS) is its own: node --import tsx bench/huge-doc-case.ts <chars> <truncate|windows>
// Prints one JSON line: seconds to add, windows, truncated, peak RSS in MB,
// and the RSS before add (model loaded, text built: the baseline the add grows from).
import { M3Search } from '../src/engine/engine.js';
import { loadModel } from '../src/node/load-model.js';
import { ensureTestModel } from '../scripts/test-model/index.js';

const chars = Number(process.argv[2]);
const mode = process.argv[3] === 'windows' ? 'windows' : 'truncate';
const encoder = await loadModel((await ensureTestModel()).layouts['heads-in-graph'], { maxLength: 512 });
// English-like words with some variety (a seeded LCG over a small word list), built in 1 MB pieces.
const words = 'the of search engine document query vector model ranking result river bank quick brown fox jumps over lazy dog seven wizards judge boxing tokens window overlap'.split(' ');
let seed = 12345;
const parts: string[] = [];
let piece = '';
let total = 0;
while (total < chars) {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  const w = words[seed % words.length]!;
  piece += seed % 17 === 0 ? `${w}. ` : `${w} `;
  if (piece.length >= 1 << 20) {
    parts.push(piece);
    total += piece.length;
    piece = '';
  }
  if (total + piece.length >= chars) break;
}
parts.push(piece);
const text = parts.join('').slice(0, chars);
const baseRss = process.memoryUsage().rss;
const engine = new M3Search(encoder, { multi: 'float16' }, { longDocuments: mode, windowSize: 512, windowOverlap: 64 });
const t0 = performance.now();
const report = await engine.add([{ id: 'huge', text }], { batchSize: 16 });
const seconds = (performance.now() - t0) / 1000;
const hits = await engine.search('quick brown fox', { k: 3 });
console.log(
  JSON.stringify({
    chars: text.length,
    mode,
    seconds,
    windows: report.windowed?.huge ?? 1,
    truncated: report.truncated.length > 0,
    hits: hits.length,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    modelRssMB: baseRss / 1e6,
  }),
);
await encoder.dispose();
