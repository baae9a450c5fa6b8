// Mutation score per folder from Stryker's JSON report:
//   node scripts/mutation-score.mjs [coverage/mutation/mutation.json] [--list] [--min 85]
// --list prints every surviving / uncovered mutant; --min fails (exit 1) when a folder scores lower.
// Score = killed (incl. timeouts) / (killed + survived + no coverage), as
// Stryker counts it; ignored and type-error mutants are left out.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const file = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--min') ?? 'coverage/mutation/mutation.json';
const min = args.includes('--min') ? Number(args[args.indexOf('--min') + 1]) : undefined;
const report = JSON.parse(readFileSync(file, 'utf8'));
const groups = new Map();
const folderOf = (p) => {
  const m = /src\/(core|model|engine|site)\//.exec(p);
  return m ? (m[1] === 'site' ? 'site reader' : m[1]) : 'other';
};
const survivors = [];
for (const [path, { mutants }] of Object.entries(report.files)) {
  const g = groups.get(folderOf(path)) ?? { killed: 0, survived: 0, noCoverage: 0, ignored: 0 };
  for (const m of mutants) {
    if (m.status === 'Killed' || m.status === 'Timeout') g.killed++;
    else if (m.status === 'Survived') g.survived++;
    else if (m.status === 'NoCoverage') g.noCoverage++;
    else if (m.status === 'Ignored') g.ignored++;
    if (m.status === 'Survived' || m.status === 'NoCoverage')
      survivors.push(`${path}:${m.location.start.line}:${m.location.start.column} ${m.status} ${m.mutatorName}${m.replacement !== undefined ? ` → ${JSON.stringify(m.replacement).slice(0, 60)}` : ''}`);
  }
  groups.set(folderOf(path), g);
}
const pct = (g) => (g.killed + g.survived + g.noCoverage ? ((100 * g.killed) / (g.killed + g.survived + g.noCoverage)).toFixed(2) : '-');
console.log('folder        score   killed survived noCoverage ignored');
for (const [name, g] of [...groups].sort()) console.log(`${name.padEnd(13)} ${pct(g).padStart(6)}% ${String(g.killed).padStart(7)} ${String(g.survived).padStart(8)} ${String(g.noCoverage).padStart(10)} ${String(g.ignored).padStart(7)}`);
if (args.includes('--list')) for (const s of survivors) console.log(s);
if (min !== undefined) {
  const low = [...groups].filter(([, g]) => Number(pct(g)) < min);
  if (low.length) {
    console.error(`mutation score below ${min}%: ${low.map(([n, g]) => `${n} ${pct(g)}%`).join(', ')}`);
    process.exit(1);
  }
}
