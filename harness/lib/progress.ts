// SPDX-License-Identifier: GPL-2.0-only
/**
 * Progress for people and for CI logs. Every message is a line stamped
 * with the time since the command started. On a terminal (and not under
 * CI) a status line below them also shows, live, how long the current step
 * has been running.
 */
const started = Date.now();

export type Progress = (line: string) => void;

const stamp = (at: number) => `[${((at - started) / 1000).toFixed(1).padStart(6)}s]`;

function plainProgress(line: string): void {
  process.stderr.write(`${stamp(Date.now())} ${line}\n`);
}

function liveProgress(): Progress {
  let current = '';
  let since = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const draw = () => {
    const width = process.stderr.columns ?? 80;
    const status = `  ... ${((Date.now() - since) / 1000).toFixed(0)}s in: ${current}`;
    process.stderr.write(`\r\x1b[K\x1b[2m${status.slice(0, width - 1)}\x1b[0m`);
  };
  const settle = () => {
    clearInterval(timer);
    timer = undefined;
    process.stderr.write('\r\x1b[K');
  };
  process.once('exit', settle);
  // A command's own output (stdout, on the same terminal) must not land on the status line.
  const writeStdout = process.stdout.write.bind(process.stdout) as (...args: unknown[]) => boolean;
  process.stdout.write = ((...args: unknown[]) => {
    if (timer !== undefined) settle();
    return writeStdout(...args);
  }) as typeof process.stdout.write;
  return (line) => {
    process.stderr.write(`\r\x1b[K${stamp(Date.now())} ${line}\n`);
    current = line;
    since = Date.now();
    draw();
    if (timer === undefined) {
      timer = setInterval(draw, 500);
      timer.unref();
    }
  };
}

export const stderrProgress: Progress =
  process.stderr.isTTY && process.env['CI'] === undefined ? liveProgress() : plainProgress;
