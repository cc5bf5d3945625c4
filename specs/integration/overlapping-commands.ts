// SPDX-License-Identifier: GPL-2.0-only
/**
 * L1 commands in overlapping waves, so that channels open while others'
 * commands exit: what the harness does whenever an agent ends and the next
 * command follows at once.
 */
import type { SshSession } from '../../harness/machines/ssh.ts';

export interface Overlap {
  readonly asked: number;
  readonly ran: number;
  /** Each command that did not run, with why; stops at the first connection lost. */
  readonly failures: readonly string[];
}

export async function overlappingCommands(ssh: SshSession, waves = 60, width = 12): Promise<Overlap> {
  let asked = 0;
  let ran = 0;
  const failures: string[] = [];
  for (let wave = 0; wave < waves && failures.length === 0; wave++) {
    asked += width;
    // Staggered exits: the later commands of a wave open their channels while the first ones end.
    const results = await Promise.allSettled(
      Array.from({ length: width }, (_, i) => ssh.exec(`usleep ${i * 3000}`, 30_000)),
    );
    for (const r of results) {
      if (r.status === 'fulfilled' && r.value.code === 0) ran++;
      else
        failures.push(
          `wave ${wave}: ${r.status === 'rejected' ? (r.reason as Error).message : `exit ${r.value.code}`}`,
        );
    }
  }
  return { asked, ran, failures };
}
