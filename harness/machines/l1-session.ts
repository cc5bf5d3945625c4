// SPDX-License-Identifier: GPL-2.0-only
/**
 * A booted ARM host: the L0 QEMU running L1, and an SSH session into it.
 * Boot waits name success (L1's init announcing itself) and failure (a
 * panic, QEMU exiting), so a broken kernel fails at once with its console.
 */
import { shortSocketPath } from './socket-path.ts';
import { join } from 'node:path';
import { QemuMachine } from './qemu-machine.ts';
import { L1_SIZE, l1Invocation, type L0Devices } from './l1-host.ts';
import { freeLoopbackPort } from '../lib/free-port.ts';
import { authorizedKeysFile, SshSession, type KeyPair } from './ssh.ts';
import { ConsoleWaitError } from './console.ts';
import { InfrastructureError } from '../lib/errors.ts';
import type { Progress } from '../lib/progress.ts';
import { settlesWithin } from '../lib/time.ts';

export interface L1Options {
  readonly qemuBinary: string;
  readonly kernel: string;
  readonly rootImage: string;
  readonly key: KeyPair;
  readonly runDir: string;
  readonly extraKernelArgs?: readonly string[];
  readonly devices?: L0Devices | null;
  readonly bootTimeoutMs?: number;
  readonly sshTimeoutMs?: number;
}

export const L1_READY = /vfio-reset: L1 ready \(([^)]*)\)/;

/** A booted L1; `await using` powers it off on every way out of the block. */
export interface L1Session extends AsyncDisposable {
  readonly machine: QemuMachine;
  readonly ssh: SshSession;
  /** Seconds from launch to L1's init announcing itself. */
  readonly bootSeconds: number;
  /** Seconds from L1's init announcing itself to a working SSH session. */
  readonly sshSeconds: number;
}

/** Boots L1; when `signal` aborts (the boot is out of time), L1 is stopped and the boot rejects. */
export async function bootL1(options: L1Options, progress: Progress, signal?: AbortSignal): Promise<L1Session> {
  const sshPort = await freeLoopbackPort();
  const machine = new QemuMachine(
    l1Invocation({
      qemuBinary: options.qemuBinary,
      kernel: options.kernel,
      rootImage: options.rootImage,
      ...L1_SIZE,
      sshPort,
      qmpSocket: shortSocketPath('l1-qmp'),
      pidFile: join(options.runDir, 'l1.pid'),
      authorizedKeysFile: await authorizedKeysFile(options.runDir, options.key),
      extraKernelArgs: options.extraKernelArgs ?? [],
      devices: options.devices ?? null,
    }),
    options.runDir,
  );
  const started = Date.now();
  const stopOnAbort = () => void machine.stop(1000);
  signal?.addEventListener('abort', stopOnAbort, { once: true });
  try {
    signal?.throwIfAborted();
    progress('booting L1');
    await machine.launch();
    await machine.console
      .waitFor(L1_READY, { timeoutMs: options.bootTimeoutMs ?? 120_000, what: 'booting L1' })
      .catch((error: unknown) => {
        if (error instanceof ConsoleWaitError)
          throw new InfrastructureError(
            `L1 did not boot: ${error.message.split('\n')[0]}`,
            error.tail,
            join(options.runDir, 'l1.console.log'),
          );
        throw error;
      });
    const booted = Date.now();
    progress(`L1 up after ${((booted - started) / 1000).toFixed(1)} s; connecting over SSH (port ${sshPort})`);
    const ssh = await SshSession.connect(sshPort, options.key, options.sshTimeoutMs ?? 60_000, () =>
      machine.hasExited ? 'L1 exited' : null,
    );
    const session: L1Session = {
      machine,
      ssh,
      bootSeconds: (booted - started) / 1000,
      sshSeconds: (Date.now() - booted) / 1000,
      [Symbol.asyncDispose]: () => shutdownL1(session),
    };
    return session;
  } catch (error) {
    await machine.stop(1000);
    throw error;
  } finally {
    signal?.removeEventListener('abort', stopOnAbort);
  }
}

/** Powers L1 off from inside; falls back to QMP quit and signals. Never throws. */
export async function shutdownL1(session: L1Session): Promise<void> {
  await session.ssh.exec('sync; poweroff -f', 5000).catch(() => {});
  session.ssh.end();
  if (!(await settlesWithin(session.machine.exited, 5000))) await session.machine.stop(2000);
}
