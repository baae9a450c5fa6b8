#!/usr/bin/env node
// The `m3search` command. It runs the compiled JavaScript in dist/node/ (built
// by `npm run build`, shipped in the package). Only in a clone of the
// repository, when dist/node is missing or older than src/, it runs the
// TypeScript sources through tsx (a dev dependency) instead, and says so: the
// clone's tests must exercise the current sources, not a stale build.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const compiled = new URL('../dist/node/cli/main.js', import.meta.url);
const sources = new URL('../src/cli/main.ts', import.meta.url);

/** Newest modification time of the .ts files under a folder. */
function newestTs(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith('.ts')) newest = Math.max(newest, statSync(`${e.parentPath ?? e.path}/${e.name}`).mtimeMs);
  }
  return newest;
}

let entry = compiled;
if (existsSync(sources)) {
  const builtAt = existsSync(compiled) ? statSync(compiled).mtimeMs : 0;
  if (builtAt <= newestTs(`${root}src`)) {
    process.stderr.write(`m3search: ${builtAt ? 'dist/node is older than src/' : 'dist/node is missing'}: running the TypeScript sources through tsx (\`npm run build\` compiles them)\n`);
    const { register } = await import('tsx/esm/api');
    register();
    entry = sources;
  }
} else if (!existsSync(compiled)) {
  process.stderr.write(`m3search: ${fileURLToPath(compiled)} is missing: this installation of m3search is incomplete; reinstall it\n`);
  process.exit(1);
}

const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
