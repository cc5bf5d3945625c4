// SPDX-License-Identifier: GPL-2.0-only
/** `vfio-reset smoke`: boot L1 and a nested L2 guest, print phase timings as one JSON line. */
import { CacheStore } from '../cache/store.ts';
import { cacheRoot } from '../lib/paths.ts';
import { buildStack } from '../recipes/stack.ts';
import { runSmoke } from '../scenarios/smoke.ts';
import { stderrProgress } from '../lib/progress.ts';
import { EXIT } from '../lib/exit-codes.ts';
import { artifactDir, kernelRequestOf, KERNEL_OPTIONS, KERNEL_OPTIONS_HELP, defineCommand } from './command.ts';

export const smokeCommand = defineCommand({
  name: 'smoke',
  summary: 'build what is missing, boot L1 and a nested L2 guest, print phase timings as JSON',
  usage: `usage: vfio-reset smoke [options]

Boots L1 with the kernel under test, checks /dev/kvm and vfio-platform, boots
an L2 guest under L1's KVM and prints {"l1_boot_s","ssh_ready_s","l2_boot_s","total_s"}.

${KERNEL_OPTIONS_HELP}
`,
  options: KERNEL_OPTIONS,
  async run({ values }) {
    const store = new CacheStore(cacheRoot());
    // Bad kernel options fail here, before anything is printed or built.
    const kernel = await kernelRequestOf(values);
    const runDir = await artifactDir(values.output, 'smoke');
    stderrProgress(`artifacts: ${runDir}`);
    const stack = await buildStack(store, { kernel, qemu: values.qemu }, stderrProgress);
    const timings = await runSmoke({ stack, cacheRoot: store.root, runDir }, stderrProgress);
    process.stdout.write(`${JSON.stringify(timings)}\n`);
    return EXIT.good;
  },
});
