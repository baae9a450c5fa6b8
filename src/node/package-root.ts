// Where the m3search package lives on disk, found the same way from the
// TypeScript sources (src/node/) and from the compiled JS (dist/node/node/):
// the nearest folder above this file whose package.json is m3search's.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'm3search') return dir;
      } catch {
        // Not JSON we can read: keep walking up.
      }
    }
    if (path.dirname(dir) === dir) throw new Error(`m3search: no m3search package.json above ${from}`);
  }
}

export const PACKAGE_ROOT = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));

/**
 * True in a clone of the repository (the sources and the vite configs are
 * there), false in the published package, which ships only dist/, bin/ and
 * the README. Dev-only conveniences (building the page script, the generated
 * test model) key off this.
 */
export function isSourceCheckout(): boolean {
  return existsSync(path.join(PACKAGE_ROOT, 'vite.script.config.ts')) && existsSync(path.join(PACKAGE_ROOT, 'src', 'element'));
}

/** The generated tiny test model (`npm run model:test`), in a clone only. */
export const TEST_MODEL_DIR = path.join(PACKAGE_ROOT, '.cache', 'test-model', 'heads-in-graph');
