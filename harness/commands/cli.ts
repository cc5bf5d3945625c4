// SPDX-License-Identifier: GPL-2.0-only
/**
 * `vfio-reset`: the command line. Each command parses its options, runs and
 * returns one exit code; errors are one line naming what is wrong and how to
 * fix it, followed by the log tail where there is one. Nothing is left
 * running on any exit path.
 */
import { InfrastructureError, InputError, noSpaceLine } from '../lib/errors.ts';
import { cacheRoot } from '../lib/paths.ts';
import { EXIT } from '../lib/exit-codes.ts';
import { installExitHandlers, killAllGroups, stopRequested } from '../process/process-groups.ts';
import { COMMANDS } from './commands.ts';

const USAGE = `usage: vfio-reset <command> [options]

commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(8)} ${c.summary}`).join('\n')}

'vfio-reset <command> --help' for a command's options.
`;

function isParseArgsError(error: unknown): error is Error {
  return (
    error instanceof TypeError &&
    'code' in error &&
    String((error as { code: unknown }).code).startsWith('ERR_PARSE_ARGS')
  );
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help') {
    process.stdout.write(USAGE);
    return name === undefined ? EXIT.usage : EXIT.good;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    process.stderr.write(`vfio-reset: unknown command '${name}'; run 'vfio-reset --help' for the list\n`);
    return EXIT.usage;
  }
  const inputExit = command.inputErrorExit ?? EXIT.usage;
  try {
    return await command.main(rest);
  } catch (error) {
    if (stopRequested()) return EXIT.undecided;
    if (error instanceof InputError) {
      process.stderr.write(`vfio-reset: error: ${error.message}\n`);
      return inputExit;
    }
    if (isParseArgsError(error)) {
      process.stderr.write(`vfio-reset: ${error.message}; run 'vfio-reset ${name} --help'\n`);
      return inputExit;
    }
    if (error instanceof InfrastructureError) {
      process.stderr.write(`vfio-reset: could not decide: ${error.message}\n`);
      if (error.tail !== '') process.stderr.write(`--- tail ---\n${error.tail}\n`);
      return EXIT.undecided;
    }
    const full = noSpaceLine(error, cacheRoot());
    if (full !== null) {
      process.stderr.write(`vfio-reset: could not decide: ${full}\n`);
      return EXIT.undecided;
    }
    process.stderr.write(`vfio-reset: internal error: ${(error as Error).stack ?? String(error)}\n`);
    return EXIT.undecided;
  }
}

installExitHandlers();
const code = await main(process.argv.slice(2));
// Stopping on a signal: its handler exits with 128 + N once every group is stopped, whatever main made of
// the work the stop cut short (the soak saw a build step killed by SIGTERM turn a 143 into a 125).
if (stopRequested()) await new Promise(() => {});
killAllGroups();
process.exit(code);
