// SPDX-License-Identifier: GPL-2.0-only
/**
 * A nested guest (L2) that L1's QEMU started paused (-S), seen from L1
 * before it runs: its QEMU over QMP (through the SSH connection, to L1's
 * loopback) and its RAM through the shared file that backs it. Once QMP
 * says "prelaunch", QEMU is past machine creation, reset and ROM loading,
 * and a passed-through device's DMA mappings of the guest's RAM are in
 * place, so a stale DMA write from then on lands in that RAM, where the
 * scan finds it before anything of the guest could overwrite it.
 */
import { join } from 'node:path';
import { L1_PATHS } from '../plan/layout.ts';
import { InfrastructureError } from '../lib/errors.ts';
import { sleep } from '../lib/time.ts';
import type { AgentEvent } from '../evidence/agent-reports.ts';
import type { PayloadKey } from '../traffic/payload.ts';
import { QmpClient } from './qmp.ts';
import { RemoteAgent } from './remote-process.ts';
import type { SshSession } from './ssh.ts';
import type { L2Inspection } from './l2-guest.ts';

/** How often QMP is tried while L1's QEMU is still creating the machine. */
const QMP_RETRY_MS = 50;

/** The L1 agent that searches the paused guest's RAM file. */
const RAM_SCAN_AGENT = join(L1_PATHS.agents, 'vm-ram-scan');

export class PausedL2 {
  private constructor(
    private readonly ssh: SshSession,
    private readonly inspection: L2Inspection,
    private readonly qmp: QmpClient,
  ) {}

  /**
   * Waits until the guest's QEMU answers QMP and says it is paused before
   * its first instruction; `gone` says why to stop waiting (its QEMU exited).
   */
  static async attach(
    ssh: SshSession,
    inspection: L2Inspection,
    gone: () => string | null,
    timeoutMs: number,
  ): Promise<PausedL2> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const why = gone();
      if (why !== null) throw new InfrastructureError(`the paused guest's QEMU ${why} before QMP answered`);
      const qmp = await ssh
        .forwardToLoopback(inspection.qmpPort)
        .then((stream) => QmpClient.over(stream, `L1's 127.0.0.1:${inspection.qmpPort}`, 5000))
        .catch(() => null);
      if (qmp !== null) {
        const status = (await qmp.execute('query-status')) as { status?: unknown };
        if (status.status !== 'prelaunch') {
          qmp.close();
          throw new InfrastructureError(`the guest's QEMU is ${String(status.status)}, not paused before its start`);
        }
        return new PausedL2(ssh, inspection, qmp);
      }
      if (Date.now() >= deadline)
        throw new InfrastructureError(`the paused guest's QMP did not answer within ${timeoutMs / 1000} s`);
      await sleep(QMP_RETRY_MS);
    }
  }

  /** Searches the guest's RAM for the run's payloads; the agent's reports, as it sent them. */
  async scanRam(key: PayloadKey, logPath: string, timeoutMs: number): Promise<readonly AgentEvent[]> {
    const command = [
      RAM_SCAN_AGENT,
      this.inspection.ramFile,
      `0x${this.inspection.ramBase.toString(16)}`,
      key.key.toString('hex'),
      String(key.runId),
    ].join(' ');
    const scan = await RemoteAgent.start("VM #2's RAM scan", this.ssh, command, logPath);
    await scan.waitUntil(() => scan.exited, timeoutMs, 'end of the scan');
    return scan.events;
  }

  /** Lets the guest run. */
  async cont(): Promise<void> {
    await this.qmp.execute('cont');
  }

  close(): void {
    this.qmp.close();
  }
}
