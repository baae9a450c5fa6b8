// A small hand-written site, indexed by the real CLI, and the <m3-search>
// helpers the runtime tests (CSP, rebuild) drive it with in Chromium.
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { ROOT } from '../e2e/support.js';

export const ARGS = ['--headless=new', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A page with no inline script or style: a strict CSP reports nothing of its own. */
export const htmlPage = (title: string, sections: [id: string, heading: string, text: string][], head = ''): string =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>${head}</head><body><main><h1>${esc(title)}</h1>${sections
    .map(([id, h, p]) => `<section id="${id}"><h2>${esc(h)}</h2><p>${esc(p)}</p></section>`)
    .join('')}</main></body></html>`;

export async function writePages(site: string, pages: Record<string, string>): Promise<void> {
  for (const [rel, html] of Object.entries(pages)) {
    await mkdir(path.dirname(path.join(site, rel)), { recursive: true });
    await writeFile(path.join(site, rel), html);
  }
}

/** `m3search index <site> --out <site>/m3search --inject [extra…]` through the CLI. */
export async function indexWithCli(site: string, model: string, extra: string[] = []): Promise<string> {
  const { stderr } = await promisify(execFile)(process.execPath, [path.join(ROOT, 'bin', 'm3search.mjs'), 'index', site, '--out', path.join(site, 'm3search'), '--model', model, '--inject', ...extra], { cwd: ROOT });
  return stderr;
}

export interface BoxState {
  mode: string;
  query: string;
  status: string;
  titles: string[];
  snippets: string[];
  /** Each hit's link, absolute, in rank order. */
  hrefs: string[];
}

export function boxState(p: Page): Promise<BoxState> {
  return p.evaluate(() => {
    const el = document.querySelector('m3-search') as (HTMLElement & { mode: string }) | null;
    const root = el?.shadowRoot;
    return {
      mode: el?.mode ?? '',
      query: root?.querySelector('ul')?.getAttribute('data-query') ?? '',
      status: root?.querySelector('.status')?.textContent ?? '',
      titles: [...(root?.querySelectorAll('li.hit .title') ?? [])].map((e) => e.textContent ?? ''),
      snippets: [...(root?.querySelectorAll('li.hit .snippet') ?? [])].map((e) => e.textContent ?? ''),
      hrefs: [...(root?.querySelectorAll('li.hit a') ?? [])].map((a) => (a as HTMLAnchorElement).href),
    };
  });
}

/** Types `query` and waits for the list that answers all of it (in `mode`, when given), with at least `min` hits. */
export async function searchBox(p: Page, query: string, mode?: 'keyword' | 'hybrid', min = 1): Promise<BoxState> {
  const input = p.locator('m3-search input');
  await input.fill('');
  await input.pressSequentially(query, { delay: 10 });
  await p.waitForFunction(
    ([q, m, n]) => {
      const el = document.querySelector('m3-search') as (HTMLElement & { mode: string }) | null;
      const ul = el?.shadowRoot?.querySelector('ul');
      return ul?.getAttribute('data-query') === q && (ul?.querySelectorAll('li.hit').length ?? 0) >= n && (!m || el!.mode === m);
    },
    [query, mode, min] as const,
    { timeout: 60_000 },
  );
  return boxState(p);
}
