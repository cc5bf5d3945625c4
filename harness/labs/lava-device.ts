// SPDX-License-Identifier: GPL-2.0-only
/**
 * The LAVA QEMU device the emulated-host job runs on, as lava-server's
 * qemu.jinja2 renders it for that job's context, with the project's L0
 * QEMU as its command: what `lava-run --device` takes on a machine with no
 * LAVA server (lava-run renders nothing itself). A lab renders its own.
 * Its one departure from the template: no `-net nic` (user networking for
 * the lab's use), which needs an option ROM this QEMU does not ship and
 * the test does not need.
 */
import type { YamlValue } from '../lib/yaml-text.ts';
import { QEMU_CONTEXT } from './lava-jobs.ts';

export function localQemuDevice(qemuBinary: string): YamlValue {
  const c = QEMU_CONTEXT;
  return {
    constants: {
      posix: {
        lava_test_sh_cmd: '/bin/sh',
        lava_test_results_dir: '/lava-%s',
        lava_test_shell_file: '~/.bashrc',
      },
      'shutdown-message': 'The system is going down for reboot NOW',
      'kernel-start-message': 'Linux version [0-9]',
      'default-shell-prompt': 'lava-test: # ',
      spawn_maxread: '4092',
      failure_retry: 1,
      boot_retry: null,
    },
    parameters: { pass: null },
    available_architectures: ['arm64', 'aarch64'],
    actions: {
      deploy: {
        connections: { serial: null },
        methods: { image: { parameters: { guest: { size: 512, interface: 'virtio', driveid: 'lavatest' } } } },
      },
      boot: {
        connections: { serial: null },
        methods: {
          minimal: null,
          qemu: {
            parameters: {
              command: qemuBinary,
              options: [`-cpu ${c.cpu}`, `-machine ${c.machine}`, '-nographic', `-m ${c.memory}`, '-monitor none'],
              extra: [...c.extra_options],
            },
          },
        },
      },
    },
    timeouts: {
      actions: {
        'apply-overlay-image': { minutes: 2 },
        'download-retry': { minutes: 5 },
        'http-download': { minutes: 5 },
        'lava-test-shell': { minutes: 3 },
        'power-off': { seconds: 10 },
        'auto-login-action': { minutes: 2 },
        'boot-qemu-image': { minutes: 2 },
        'boot-image-retry': { minutes: 2 },
      },
      connections: { 'auto-login-action': { minutes: 2 }, 'lava-test-shell': { seconds: 10 } },
    },
  };
}
