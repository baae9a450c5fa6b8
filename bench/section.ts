// The contract between the bench runner and its sections. A section measures
// one thing and returns plain rows; the runner prints them as a table and
// writes them to JSON. Adding a section = one file in ./sections and one line
// in ./sections/index.ts.

/** One table cell: numbers are printed with sensible precision, null as "–". */
export type Cell = string | number | null;

/** One table row; columns are the union of the rows' keys, in first-seen order. */
export type BenchRow = Record<string, Cell>;

export interface BenchContext {
  /** CI smoke mode: tiny sizes and shapes, one repetition, a few seconds in all. */
  quick: boolean;
  /** Repetitions of each measurement; sections report the median over them. */
  reps: number;
  /** Override of the passage counts that scaling sections sweep (`--sizes`). */
  sizes?: readonly number[];
  /** Seed for every synthetic generator, so runs are comparable. */
  seed: number;
  /** Repository root (for .cache/test-model, public/). */
  root: string;
  /** ../shared (real tokenizers); may not exist, sections must fall back. */
  sharedDir: string;
  /** Progress lines (stderr), never part of the table. */
  log(message: string): void;
  signal?: AbortSignal;
}

export interface BenchSection {
  /** Short id used by `--sections` and as the JSON key. */
  name: string;
  /** Table heading. */
  title: string;
  /** How the numbers were taken; printed under the table and kept in the JSON. */
  notes(ctx: BenchContext): string[];
  run(ctx: BenchContext): Promise<BenchRow[]>;
}
