// The one argument parser every subcommand uses: node:util's parseArgs in
// strict mode, with its errors and every value check turned into a typed
// INVALID_OPTION error that names the option.
import { parseArgs } from 'node:util';
import { M3SearchError } from '../core/errors.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
}

export type OptionSpecs = Record<string, OptionSpec>;

/** Parsed values: strings for string options, booleans for flags, undefined when absent. */
export type Values<S extends OptionSpecs> = { [K in keyof S]?: S[K]['type'] extends 'boolean' ? boolean : string };

export interface Parsed<S extends OptionSpecs> {
  values: Values<S>;
  positionals: string[];
}

export interface Command {
  name: string;
  /** One line for `m3search --help`. */
  summary: string;
  /** The full usage block for `m3search <name> --help`. */
  usage: string;
  run(args: string[]): Promise<void>;
}

/** Thrown for `--help`: the CLI prints the usage and exits 0. */
export class HelpRequested extends Error {
  constructor(readonly usage: string) {
    super('help');
  }
}

export function parse<S extends OptionSpecs>(args: string[], options: S, usage: string): Parsed<S> {
  if (args.includes('--help') || args.includes('-h')) throw new HelpRequested(usage);
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values: values as Values<S>, positionals };
  } catch (e) {
    // parseArgs throws TypeErrors (unknown option, missing value); keep its message, add the usage.
    throw new M3SearchError('INVALID_OPTION', `${(e as Error).message}\n${usage}`);
  }
}

export function intOption(value: string | undefined, name: string, min = 1): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new M3SearchError('INVALID_OPTION', `--${name} must be an integer ≥ ${min}, not '${value}'.`, { option: name, value });
  return n;
}

export function choiceOption<T extends string>(value: string | undefined, name: string, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new M3SearchError('INVALID_OPTION', `--${name} must be ${allowed.join(', ')}; got '${value}'.`, { option: name, value, allowed });
  }
  return value as T;
}
