// SPDX-License-Identifier: GPL-2.0-only
/**
 * The whole stack for real: the kernel built from kernel-config/, L1 booted
 * by L0 QEMU, an L2 guest under L1's KVM. Also proves that Ctrl-C during a
 * boot leaves no QEMU behind.
 */
import { expect } from 'chai';
import { execa } from 'execa';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../harness/lib/paths.ts';

const CLI = join(repoRoot, 'harness', 'bin', 'vfio-reset.js');

/** Pids of QEMU processes whose command line mentions `needle`. */
async function qemuPidsMentioning(needle: string): Promise<number[]> {
  const { stdout } = await execa('ps', ['-eo', 'pid=,args='], { reject: false });
  return stdout
    .split('\n')
    .filter((l) => l.includes('qemu-system-aarch64') && l.includes(needle))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}

describe('smoke: L0 -> L1 -> L2 boot (integration)', function () {
  // A cold run builds the kernel (~7 min on 2 cores); warm runs take seconds.
  this.timeout(60 * 60 * 1000);

  it('boots L1 with KVM and vfio-platform, boots L2 under KVM, and prints phase timings', async () => {
    const output = await mkdtemp(join(tmpdir(), 'vfio-reset-smoke-'));
    const result = await execa('node', [CLI, 'smoke', '--output', output], { reject: false, stderr: 'inherit' });
    expect(result.exitCode, result.stdout).to.equal(0);
    const timings = JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}') as Record<string, number>;
    for (const phase of ['l1_boot_s', 'ssh_ready_s', 'l2_boot_s', 'total_s']) {
      expect(timings[phase], phase).to.be.a('number').and.to.be.greaterThan(0);
    }
    const l1Console = await readFile(join(output, 'l1.console.log'), 'utf8');
    expect(l1Console).to.match(/vfio-reset: L1 ready/);
    expect(l1Console).to.match(/kvm \[\d+\]: .*(VHE|nVHE|Hyp)/i);
    const l2Console = await readFile(join(output, 'l2.console.log'), 'utf8');
    expect(l2Console).to.match(/"event":"up"/);
    expect(await readFile(join(output, 'l1.cmdline'), 'utf8')).to.include('virtualization=on');
    expect(await qemuPidsMentioning(output)).to.deep.equal([]);
  });

  it('leaves no QEMU behind when interrupted with SIGINT during the L1 boot', async () => {
    const output = await mkdtemp(join(tmpdir(), 'vfio-reset-sigint-'));
    const child = execa('node', [CLI, 'smoke', '--output', output], { reject: false });
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the harness never started booting L1:\n${stderr}`)),
        10 * 60 * 1000,
      );
      child.stderr?.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/booting L1/.test(stderr)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    // Let QEMU really start before the interrupt.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await qemuPidsMentioning(output)).to.have.length(1);
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).to.equal(130);
    expect(await qemuPidsMentioning(output)).to.deep.equal([]);
  });
});
