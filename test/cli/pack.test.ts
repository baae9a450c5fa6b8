// The package as published: `npm pack` (its prepack builds dist/), the tarball
// installed into an empty folder with production dependencies only and no
// network (from the local npm cache), then `npx m3search index` on 20 pages of
// Debian's Python docs and `npx m3search query` on the result. Proves the bin
// runs compiled JS without tsx or vite, and that the subpath exports resolve.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testModel } from '../helpers/test-model.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const PY_DOCS = process.env.M3S_PYDOCS ?? '/usr/share/doc/python3.11/html';
const PAGES = [
  ...['appetite', 'classes', 'controlflow', 'datastructures', 'errors', 'floatingpoint', 'index', 'inputoutput', 'interpreter', 'introduction', 'modules', 'stdlib', 'stdlib2', 'venv', 'whatnow'].map((p) => `tutorial/${p}.html`),
  ...['csv', 'json', 'pathlib', 'shutil', 'zipfile'].map((p) => `library/${p}.html`),
];

const exec = promisify(execFile);

/**
 * The child npm must not inherit the settings of an enclosing `npm test`
 * (its package, lifecycle and local prefix), or it would act on the repository.
 */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_(package_|lifecycle_|command$|config_local_prefix$)|^INIT_CWD$/.test(k)) continue;
    env[k] = v;
  }
  return env;
}

async function sh(cmd: string, args: string[], cwd: string, timeout = 300_000): Promise<{ stdout: string; stderr: string }> {
  try {
    return await exec(cmd, args, { cwd, env: cleanEnv(), timeout, maxBuffer: 64 << 20 });
  } catch (e) {
    const err = e as Error & { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  }
}

/**
 * A lockfile for the consumer folder, from the repository's: the tarball plus
 * every non-dev entry. npm's cache holds the tarballs `npm ci` fetched but not
 * the registry metadata a lockless install resolves versions with, so this is
 * what lets `npm install --offline` work.
 */
async function consumerLock(tarball: string): Promise<{ pkg: object; lock: object }> {
  const repoLock = JSON.parse(await readFile(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const manifest = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  const dependencies = { m3search: `file:${tarball}` };
  const packages: Record<string, unknown> = {
    '': { name: 'm3search-pack-test', dependencies },
    'node_modules/m3search': {
      version: manifest.version,
      resolved: `file:${tarball}`,
      license: manifest.license,
      dependencies: manifest.dependencies,
      optionalDependencies: manifest.optionalDependencies,
      bin: manifest.bin,
      engines: manifest.engines,
    },
  };
  for (const [key, entry] of Object.entries(repoLock.packages)) if (key && !entry.dev) packages[key] = entry;
  return {
    pkg: { name: 'm3search-pack-test', private: true, type: 'module', dependencies },
    lock: { name: 'm3search-pack-test', lockfileVersion: 3, requires: true, packages },
  };
}

describe('the packed package (npm pack → offline install → npx m3search)', () => {
  let tmp: string;
  let app: string;
  let site: string;
  let model: string;
  let packed: { filename: string; size: number; files: { path: string }[] };
  let indexLog = '';

  const m3search = (args: string[]) => sh('npx', ['--offline', '--no', 'm3search', ...args], app);

  beforeAll(async () => {
    model = (await testModel()).layouts['heads-in-graph'];
    tmp = await mkdtemp(path.join(os.tmpdir(), 'm3search-pack-'));

    // Pack a copy of the working tree, so the build cannot race other suites over the clone's dist/.
    const stage = path.join(tmp, 'repo');
    // What git tracks or would add (not node_modules, dist/ — prepack rebuilds it — or other ignored state).
    const { stdout: listed } = await sh('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], ROOT);
    for (const rel of listed.split('\0').filter(Boolean)) {
      await mkdir(path.dirname(path.join(stage, rel)), { recursive: true });
      // A tracked file deleted in the working tree is not part of it.
      await cp(path.join(ROOT, rel), path.join(stage, rel)).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e;
      });
    }
    await symlink(path.join(ROOT, 'node_modules'), path.join(stage, 'node_modules'), 'dir');
    const { stdout } = await sh('npm', ['pack', '--json', '--pack-destination', tmp], stage, 600_000);
    // prepack's build logs precede npm's JSON report on stdout.
    packed = (JSON.parse(stdout.slice(stdout.lastIndexOf('\n[') + 1)) as (typeof packed)[])[0]!;

    app = path.join(tmp, 'app');
    await mkdir(app);
    await cp(path.join(tmp, packed.filename), path.join(app, packed.filename));
    // onnxruntime-node's postinstall would otherwise try to download GPU binaries.
    await writeFile(path.join(app, '.npmrc'), 'onnxruntime-node-install=skip\nfund=false\naudit=false\n');
    const { pkg, lock } = await consumerLock(packed.filename);
    await writeFile(path.join(app, 'package.json'), JSON.stringify(pkg, null, 2));
    await writeFile(path.join(app, 'package-lock.json'), JSON.stringify(lock, null, 2));
    await sh('npm', ['install', '--omit=dev', '--offline', '--no-audit', '--no-fund'], app);

    site = path.join(tmp, 'site');
    for (const p of PAGES) {
      await mkdir(path.dirname(path.join(site, p)), { recursive: true });
      await cp(path.join(PY_DOCS, p), path.join(site, p)).catch((e: Error) => {
        throw new Error(`${PY_DOCS}/${p} is missing (apt-get install python3.11-doc; .ci/run does): ${e.message}`);
      });
    }
    indexLog = (await m3search(['index', site, '--out', path.join(site, 'm3search'), '--model', model, '--quiet'])).stderr;
  }, 900_000);

  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('ships the compiled JS, the types and both bundles, and no TypeScript sources', () => {
    const files = new Set(packed.files.map((f) => f.path));
    for (const f of ['bin/m3search.mjs', 'dist/node/cli/main.js', 'dist/node/engine/index.js', 'dist/node/engine/index.d.ts', 'dist/node/site/index.js', 'dist/node/site/index.d.ts', 'dist/lib/index.js', 'dist/types/browser/index.d.ts', 'dist/types/site/element-entry.d.ts', 'dist/m3search-script/m3search.js', 'dist/m3search-script/m3search-worker.js', 'README.md', 'package.json']) {
      expect(files, f).toContain(f);
    }
    expect([...files].filter((f) => /^(src|test|scripts|workers)\//.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts')))).toEqual([]);
  });

  it('installs without the dev tools the clone uses (tsx, vite, typescript)', async () => {
    for (const dev of ['tsx', 'vite', 'typescript']) {
      await expect(stat(path.join(app, 'node_modules', dev)), dev).rejects.toThrow();
    }
    await expect(stat(path.join(app, 'node_modules', 'm3search', 'src'))).rejects.toThrow();
  });

  it('`npx m3search index` builds the index with the shipped page script', async () => {
    expect(indexLog).not.toMatch(/tsx|vite/);
    expect(indexLog).toMatch(new RegExp(`indexed ${PAGES.length} pages \\(0 skipped\\) · \\d+ sections · \\d+ passages`));
    const out = path.join(site, 'm3search');
    const written = await readdir(out);
    for (const f of ['manifest.json', 'm3search.js', 'm3search-worker.js', 'ort-wasm-simd-threaded.asyncify.wasm', 'shards']) expect(written, f).toContain(f);
    // One ONNX Runtime build serves WebGPU and WASM alike: no second wasm.
    expect(written.filter((f) => /^ort-wasm.*\.wasm$/.test(f))).toEqual(['ort-wasm-simd-threaded.asyncify.wasm']);
    const manifest = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8')) as { counts: { pages: number } };
    expect(manifest.counts.pages).toBe(PAGES.length);
    expect((await readdir(path.join(out, 'shards'))).length).toBeGreaterThan(0);
  });

  it('`npx m3search query` finds the zipfile page for a keyword query, in both modes', async () => {
    const urls = (stdout: string) => [...stdout.matchAll(/^\s*\d+\. [\d.]+ {2}(\S+)$/gm)].map((m) => m[1]!);
    const lexical = urls((await m3search(['query', path.join(site, 'm3search'), '--model', model, '--mode', 'keyword', '-k', '5', 'zipfile archive'])).stdout);
    expect(lexical).toHaveLength(5);
    expect(lexical[0]).toMatch(/^library\/zipfile\.html#/);
    const hybrid = urls((await m3search(['query', path.join(site, 'm3search'), '--model', model, '-k', '5', 'zipfile archive'])).stdout);
    expect(hybrid.length).toBeGreaterThan(0);
    expect(hybrid.some((u) => u.startsWith('library/zipfile.html#'))).toBe(true);
  });

  it('resolves every subpath export from the installed package', async () => {
    const probe = `
      const engine = await import('m3search/engine');
      const site = await import('m3search/site');
      const out = {
        engine: [typeof engine.M3Search, typeof engine.loadModel, typeof engine.M3SearchError],
        site: [typeof site.indexSite, typeof site.buildSiteIndex, typeof site.searchIndexDir, typeof site.openIndexDir],
        element: import.meta.resolve('m3search/element'),
        browser: import.meta.resolve('m3search'),
      };
      console.log(JSON.stringify(out));`;
    const { stdout } = await sh(process.execPath, ['--input-type=module', '-e', probe], app);
    const got = JSON.parse(stdout) as { engine: string[]; site: string[]; element: string; browser: string };
    expect(got.engine).toEqual(['function', 'function', 'function']);
    expect(got.site).toEqual(['function', 'function', 'function', 'function']);
    expect(got.element).toMatch(/node_modules\/m3search\/dist\/m3search-script\/m3search\.js$/);
    expect(got.browser).toMatch(/node_modules\/m3search\/dist\/lib\/index\.js$/);
    expect((await stat(new URL(got.element))).size).toBeGreaterThan(0);
  });

  it('types every subpath export for a strict NodeNext consumer (no implicit any)', async () => {
    const probe = `import { createSearch, type Hit } from 'm3search';
import { M3Search, loadModel, M3SearchError, type Doc } from 'm3search/engine';
import { indexSite, searchIndexDir, type IndexSiteReport, type SiteHit } from 'm3search/site';
import type { M3SearchElement } from 'm3search/element';
// @ts-expect-error: the entries are typed, so a name they do not export is an error (it would be 'any' untyped).
import { notExported } from 'm3search/engine';
export async function probe(): Promise<[Hit[], SiteHit[], IndexSiteReport, M3SearchElement | null, unknown]> {
  const docs: Doc[] = [{ id: 'a', text: 'x' }];
  const search = await createSearch({ model: '/m/', name: 'n' });
  const engine = new M3Search(await loadModel('m'));
  await engine.add(docs);
  const report = await indexSite({ site: 's', model: 'm', inject: true });
  const { hits } = await searchIndexDir('d', 'q', { encoder: await loadModel('m'), mode: 'keyword' });
  // @ts-expect-error: a hit's score is a number.
  const wrong: string = hits[0]!.score;
  return [await search.search('q'), hits, report, document.querySelector('m3-search') as M3SearchElement | null, [wrong, notExported, M3SearchError]];
}
`;
    await writeFile(path.join(app, 'probe.ts'), probe);
    const tsconfig = { compilerOptions: { noEmit: true, strict: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022', 'DOM', 'DOM.Iterable'], skipLibCheck: false, types: [] }, files: ['probe.ts'] };
    await writeFile(path.join(app, 'tsconfig.json'), JSON.stringify(tsconfig));
    // The repository's TypeScript: the consumer folder has production dependencies only.
    await sh(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], app);
  });

  // Last: it breaks the installed copy on purpose.
  it('without its prebuilt page script, the installed `index` fails with NOT_READY instead of reaching for vite', async () => {
    await rm(path.join(app, 'node_modules', 'm3search', 'dist', 'm3search-script', 'm3search.js'));
    const err = await m3search(['index', site, '--out', path.join(tmp, 'again'), '--model', model, '--quiet']).then(
      () => undefined,
      (e: Error) => e.message,
    );
    expect(err).toMatch(/NOT_READY: the page script bundle .*m3search-script\/m3search\.js is missing from the installed package/);
    await expect(stat(path.join(tmp, 'again', 'manifest.json'))).rejects.toThrow();
  });
});

