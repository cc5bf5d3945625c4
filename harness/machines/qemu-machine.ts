// SPDX-License-Identifier: GPL-2.0-only
/**
 * One QEMU process: launched from a command line built elsewhere, in a
 * process group of its own, its serial console on stdio captured from the
 * first byte, QMP on a unix socket, stopped cleanly or killed.
 */
import { settlesWithin } from '../lib/time.ts';
import { existsSync } from 'node:fs';
import { appendFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pRetry, { AbortError } from 'p-retry';
import { ConsoleLog } from './console.ts';
import { QmpClient } from './qmp.ts';
import { signalGroup, startGroup } from '../process/process-groups.ts';
import { InfrastructureError, lastLines } from '../lib/errors.ts';

export interface QemuInvocation {
  readonly name: string;
  readonly binary: string;
  readonly args: readonly string[];
  /** The QMP socket the args tell QEMU to listen on. */
  readonly qmpSocket: string;
}

export type Exit = { readonly code: number | undefined; readonly signal: string | undefined };

export function shellQuote(args: readonly string[]): string {
  return args.map((a) => (/^[A-Za-z0-9_/.,:=@+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export class QemuMachine {
  readonly console: ConsoleLog;
  private stderrText = '';
  private pid: number | undefined;
  private exitPromise: Promise<Exit> | undefined;
  private exitValue: Exit | undefined;
  qmp: QmpClient | undefined;

  constructor(
    readonly invocation: QemuInvocation,
    readonly runDir: string,
  ) {
    this.console = new ConsoleLog(invocation.name, join(runDir, `${invocation.name}.console.log`));
  }

  get exited(): Promise<Exit> {
    if (this.exitPromise === undefined) throw new Error(`${this.invocation.name} was never launched`);
    return this.exitPromise;
  }

  get hasExited(): boolean {
    return this.exitValue !== undefined;
  }

  get stderr(): string {
    return this.stderrText;
  }

  async launch(): Promise<void> {
    const { name, binary, args } = this.invocation;
    await writeFile(join(this.runDir, `${name}.cmdline`), `${shellQuote([binary, ...args])}\n`);
    const stderrLog = join(this.runDir, `${name}.stderr.log`);
    const child = startGroup(binary, args, {
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
      reject: false,
      buffer: false,
    });
    this.pid = child.pid;
    child.stdout?.on('data', (chunk: Buffer) => this.console.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrText += chunk.toString();
      void appendFile(stderrLog, chunk);
    });
    this.exitPromise = child.then(async (r) => {
      this.exitValue = { code: r.exitCode, signal: r.signal };
      await rm(this.invocation.qmpSocket, { force: true });
      this.console.close(`QEMU exited (${r.signal ?? `code ${r.exitCode}`})`);
      this.qmp?.close();
      return this.exitValue;
    });
    await this.connectQmp();
  }

  private async connectQmp(): Promise<void> {
    const { name, qmpSocket } = this.invocation;
    this.qmp = await pRetry(
      async () => {
        if (this.hasExited) throw new AbortError(this.launchFailure());
        if (!existsSync(qmpSocket)) throw new Error(`${qmpSocket} does not exist yet`);
        return QmpClient.connect(qmpSocket);
      },
      { retries: 50, minTimeout: 100, maxTimeout: 200, factor: 1 },
    ).catch((error: Error) => {
      throw error instanceof InfrastructureError
        ? error
        : new InfrastructureError(`${name}: QMP did not come up: ${error.message}`, lastLines(this.stderrText, 20));
    });
  }

  private launchFailure(): InfrastructureError {
    const { name, binary } = this.invocation;
    const why = lastLines(this.stderrText, 5).trim() || `exit ${this.exitValue?.code ?? '?'}`;
    return new InfrastructureError(`${name}: ${binary} exited at start: ${why}`, lastLines(this.stderrText, 20));
  }

  /** Sends `signal` to QEMU's process group. */
  signal(signal: NodeJS.Signals): void {
    if (this.pid !== undefined && !this.hasExited) signalGroup(this.pid, signal);
  }

  /**
   * Stops the machine: QMP quit, then SIGTERM, then SIGKILL, each given
   * `graceMs` to take effect. Never throws; resolves once QEMU is gone.
   */
  async stop(graceMs = 5000): Promise<Exit> {
    if (this.pid === undefined || this.exitPromise === undefined) return { code: undefined, signal: undefined };
    const within = (ms: number) => settlesWithin(this.exitPromise!, ms);
    if (!this.hasExited) {
      this.qmp?.execute('quit').catch(() => {});
      if (!(await within(graceMs))) {
        this.signal('SIGTERM');
        if (!(await within(graceMs))) this.signal('SIGKILL');
      }
    }
    return this.exitPromise;
  }
}
