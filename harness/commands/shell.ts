// SPDX-License-Identifier: GPL-2.0-only
/**
 * `vfio-reset shell`: boots L1 (with one XGMAC, as the scenarios do) and
 * attaches its serial console to this terminal through node-pty, for
 * manual debugging. Ctrl-] detaches and stops the machine.
 */
import { shortSocketPath } from '../machines/socket-path.ts';
import type { ParseArgsConfig } from 'node:util';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CacheStore } from '../cache/store.ts';
import { cacheRoot } from '../lib/paths.ts';
import { buildStack } from '../recipes/stack.ts';
import { authorizedKeysFile, harnessKey } from '../machines/ssh.ts';
import { freeLoopbackPort } from '../lib/free-port.ts';
import { L1_SIZE, l1Invocation } from '../machines/l1-host.ts';
import { shellQuote } from '../machines/qemu-machine.ts';
import { adoptGroup } from '../process/process-groups.ts';
import { FrameSource } from '../traffic/frame-source.ts';
import { payloadKey } from '../traffic/payload.ts';
import { stderrProgress } from '../lib/progress.ts';
import { EXIT } from '../lib/exit-codes.ts';
import { InputError } from '../lib/errors.ts';
import { artifactDir, kernelRequestOf, KERNEL_OPTIONS, KERNEL_OPTIONS_HELP, defineCommand } from './command.ts';
import { INSTANCE, xgmacMac } from '../plan/layout.ts';

const OPTIONS = { ...KERNEL_OPTIONS, append: { type: 'string' } } as const satisfies ParseArgsConfig['options'];
const DETACH = '\x1d';

export const shellCommand = defineCommand({
  name: 'shell',
  summary: 'boot L1 and attach its serial console here (Ctrl-] to leave)',
  usage: `usage: vfio-reset shell [options]

Boots L1 as the scenarios do (one XGMAC behind the SMMUv3, its L0 trace in the
artifact directory) and attaches its serial console to this terminal. Also
prints the SSH command for a second terminal. Ctrl-] leaves and stops L1.

  --append ARGS       extra kernel parameters for L1
${KERNEL_OPTIONS_HELP}
`,
  options: OPTIONS,
  async run({ values }) {
    if (!process.stdin.isTTY) throw new InputError('shell needs a terminal on standard input; run it interactively');
    const store = new CacheStore(cacheRoot());
    // Bad kernel options fail here, before anything is printed or built.
    const kernel = await kernelRequestOf(values);
    const stack = await buildStack(store, { kernel, qemu: values.qemu }, stderrProgress);
    const runDir = await artifactDir(values.output, 'shell');
    await mkdir(runDir, { recursive: true });
    const key = await harnessKey(store.root);
    const source = await FrameSource.open(payloadKey('shell'));
    const sshPort = await freeLoopbackPort();
    const invocation = l1Invocation({
      qemuBinary: stack.qemu.binary,
      kernel: stack.kernel.image,
      rootImage: stack.l1Image.path,
      ...L1_SIZE,
      sshPort,
      qmpSocket: shortSocketPath('l1-qmp'),
      pidFile: join(runDir, 'l1.pid'),
      authorizedKeysFile: await authorizedKeysFile(runDir, key),
      extraKernelArgs: values.append?.split(' ').filter((a) => a !== '') ?? [],
      devices: {
        xgmacs: [{ link: source.link, mac: xgmacMac(INSTANCE) }],
        traceFile: join(runDir, 'l0-trace.log'),
        globals: [],
      },
    });
    const sshLine = `ssh -p ${sshPort} -i ${join(store.root, 'ssh', 'id_ed25519')} root@127.0.0.1`;
    process.stderr.write(`${shellQuote([invocation.binary, ...invocation.args])}\n\n${sshLine}\nCtrl-] leaves.\n\n`);
    // Loaded here only: a native addon that no longer matches this Node must not break the other commands.
    const { spawn } = await import('node-pty');
    const pty = spawn(invocation.binary, [...invocation.args], {
      name: 'xterm',
      cols: process.stdout.columns ?? 80,
      rows: process.stdout.rows ?? 24,
      cwd: runDir,
      env: process.env as Record<string, string>,
    });
    const exited = new Promise<number>((resolve) => pty.onExit(({ exitCode }) => resolve(exitCode)));
    adoptGroup(pty.pid, exited);
    pty.onData((data) => process.stdout.write(data));
    process.stdin.setRawMode(true);
    process.stdin.resume();
    process.stdin.on('data', (data: Buffer) => {
      if (data.includes(DETACH)) pty.kill('SIGTERM');
      else pty.write(data.toString('binary'));
    });
    await exited;
    process.stdin.setRawMode(false);
    process.stdin.pause();
    source.close();
    process.stderr.write(`\nL1 stopped; artifacts: ${runDir}\n`);
    return EXIT.good;
  },
});
