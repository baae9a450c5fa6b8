// The `m3search` command: one entry, one parser, four subcommands.
// bin/m3search.mjs calls main() from the compiled copy (dist/node/cli/main.js),
// or from this file through tsx in a clone whose dist/ is missing or stale.
import { isM3SearchError } from '../core/errors.js';
import { HelpRequested, type Command } from './args.js';
import { searchCommand } from './search.js';
import { indexCommand, queryCommand, serveCommand } from './site.js';

const COMMANDS: readonly Command[] = [indexCommand, serveCommand, queryCommand, searchCommand];

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'usage: m3search <command> [options]',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    ...COMMANDS.map((c) => `  ${c.usage}`),
    '',
    '`m3search <command> --help` prints one command\'s options.',
  ].join('\n');
}

/** Runs one command line; resolves to the exit status (0 ok, 1 failed, 2 bad usage). */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    console.error(`m3search: unknown command '${name}' (commands: ${COMMANDS.map((c) => c.name).join(', ')})\n\n${usage()}`);
    return 2;
  }
  try {
    await command.run(rest);
    return 0;
  } catch (e) {
    if (e instanceof HelpRequested) {
      console.log(e.usage);
      return 0;
    }
    if (isM3SearchError(e)) {
      console.error(`m3search ${name}: ${e.code}: ${e.message}`);
      return e.code === 'INVALID_OPTION' || e.code === 'EMPTY_QUERY' ? 2 : 1;
    }
    console.error(`m3search ${name}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return 1;
  }
}
