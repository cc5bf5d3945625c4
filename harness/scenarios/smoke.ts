// SPDX-License-Identifier: GPL-2.0-only
/**
 * The boot smoke check: L0 boots L1 with the kernel under test, L1 must
 * offer KVM and vfio-platform, and L1's own QEMU must boot a nested guest
 * (L2) under KVM whose agent reports "up". Prints one JSON line of timings.
 */
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { bootL1 } from '../machines/l1-session.ts';
import { hostL1s, takeL1Slot } from '../machines/l1-slots.ts';
import { harnessKey } from '../machines/ssh.ts';
import { L1 } from '../machines/l1.ts';
import { l2CommandLine } from '../machines/l2-guest.ts';
import { shellQuote } from '../machines/qemu-machine.ts';
import { ConsoleLog, ConsoleWaitError } from '../machines/console.ts';
import { InfrastructureError } from '../lib/errors.ts';
import type { Stack } from '../recipes/stack.ts';
import type { Progress } from '../lib/progress.ts';

export interface SmokeTimings {
  readonly l1_boot_s: number;
  readonly ssh_ready_s: number;
  readonly l2_boot_s: number;
  readonly total_s: number;
}

export interface SmokeOptions {
  readonly stack: Stack;
  readonly cacheRoot: string;
  readonly runDir: string;
}

const round = (s: number) => Math.round(s * 100) / 100;

export async function runSmoke(options: SmokeOptions, progress: Progress): Promise<SmokeTimings> {
  await mkdir(options.runDir, { recursive: true });
  await using _slot = await takeL1Slot(options.cacheRoot, hostL1s(), progress);
  const started = Date.now();
  await using session = await bootL1(
    {
      qemuBinary: options.stack.qemu.binary,
      kernel: options.stack.kernel.image,
      rootImage: options.stack.l1Image.path,
      key: await harnessKey(options.cacheRoot),
      runDir: options.runDir,
    },
    progress,
  );
  const { ssh } = session;
  const l1 = new L1(ssh);
  if (!(await l1.hasKvm()))
    throw new InfrastructureError(
      'L1 has no /dev/kvm: KVM did not initialise ' +
        '(is L0 started with virtualization=on and the kernel built with CONFIG_KVM?)',
    );
  if (!(await l1.hasDriver('vfio-platform')))
    throw new InfrastructureError(
      'vfio-platform is not registered in L1 (/sys/bus/platform/drivers/vfio-platform is missing)',
    );
  progress('L1 has /dev/kvm and vfio-platform; starting an L2 guest under KVM');
  const l2Console = new ConsoleLog('l2', join(options.runDir, 'l2.console.log'));
  const l2Started = Date.now();
  const l2 = await ssh.spawn(shellQuote(l2CommandLine({ memoryMiB: 256, devices: [], extraKernelArgs: [] })), (chunk) =>
    l2Console.push(chunk),
  );
  void l2.done.then((code) => l2Console.close(`L1's QEMU exited (code ${code ?? '?'})`));
  const up = await l2Console
    .waitFor(/\{"event":"up"[^\n]*\}/, { timeoutMs: 180_000, what: 'booting L2' })
    .catch((error: unknown) => {
      l2.close();
      if (error instanceof ConsoleWaitError)
        throw new InfrastructureError(`L2 did not boot: ${error.message.split('\n')[0]}`, error.tail);
      throw error;
    });
  const l2Seconds = (Date.now() - l2Started) / 1000;
  progress(`L2 up after ${l2Seconds.toFixed(1)} s: ${up[0]}`);
  await l2.done;
  return {
    l1_boot_s: round(session.bootSeconds),
    ssh_ready_s: round(session.sshSeconds),
    l2_boot_s: round(l2Seconds),
    total_s: round((Date.now() - started) / 1000),
  };
}
