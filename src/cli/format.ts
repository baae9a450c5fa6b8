// Renders hits as a fixed-width table for terminals.
import { SIGNALS } from '../core/fusion.js';
import type { Hit } from '../core/types.js';

export function formatHits(hits: readonly Hit[]): string {
  const rows = hits.map((h, i) => [
    String(i + 1),
    h.score.toFixed(4),
    ...SIGNALS.map((s) => (h.signals[s] ? `${h.signals[s]!.score.toFixed(4)} (#${h.signals[s]!.rank})` : '-')),
    h.id,
    (h.doc.title ?? h.doc.text).slice(0, 60).replace(/\s+/g, ' '),
  ]);
  return table(['#', 'score', 'dense', 'sparse', 'multi', 'id', 'title'], rows);
}

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => [...(r[c] ?? '')].length)));
  const line = (cells: string[]) => cells.map((x, c) => x.padEnd(widths[c]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
