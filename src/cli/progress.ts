// One progress line for the CLI. On a terminal it redraws a single line in
// place (carriage return + clear-to-end) and ends it with a newline; when the
// stream is not a terminal (a pipe, a log file, CI) it writes nothing, so logs
// hold only the plain summary lines.

/** The part of a Node write stream the progress line needs. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(chunk: string): unknown;
}

export interface ProgressLineOptions {
  /** Redraws closer together than this are skipped unless forced (default 100 ms). */
  minIntervalMs?: number;
  /** Clock, for tests (default performance.now). */
  now?: () => number;
}

export interface ProgressLine {
  /** True when the stream is a terminal, i.e. when progress is shown at all. */
  readonly live: boolean;
  /** Redraws the line with `text` (throttled; `force` always draws, e.g. the last step). */
  update(text: string, force?: boolean): void;
  /** Ends the line: draws `text` if given, then a newline. Nothing if no line was drawn and no text given. */
  done(text?: string): void;
  /** Prints a full line without mangling the progress line (clears it first; the next update redraws it). */
  log(line: string): void;
}

const CLEAR = '\r\x1b[2K';

export function progressLine(stream: ProgressStream, opts: ProgressLineOptions = {}): ProgressLine {
  const live = stream.isTTY === true;
  const interval = opts.minIntervalMs ?? 100;
  const now = opts.now ?? (() => performance.now());
  let drawn = false;
  let last = -Infinity;
  return {
    live,
    update(text, force = false) {
      if (!live) return;
      const t = now();
      if (!force && drawn && t - last < interval) return;
      last = t;
      stream.write(`${CLEAR}${text}`);
      drawn = true;
    },
    done(text) {
      if (live && text !== undefined) stream.write(`${CLEAR}${text}\n`);
      else if (live && drawn) stream.write('\n');
      drawn = false;
    },
    log(line) {
      stream.write(`${live && drawn ? CLEAR : ''}${line}\n`);
      drawn = false;
    },
  };
}
