// SPDX-License-Identifier: GPL-2.0-only
/**
 * Everything one reset cycle gathered, as it was gathered: the machine
 * work is done by the cycle, the verdict by `judgeRun` from this record
 * and the run directory's logs alone, so that a run can be judged again
 * from its artifacts (and the rules tested on recorded runs).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentEvent } from '../evidence/agent-reports.ts';
import type { RunSpec } from '../plan/run-spec.ts';
import { parseTrace, type TraceEvent } from '../trace/l0-trace.ts';
import type { WireFrame } from '../traffic/frame-source.ts';
import { fromPcap } from '../traffic/pcap.ts';

export const EVIDENCE_FORMAT = 'vfio-reset-evidence/1';

export type BindOutcome =
  | { readonly bound: true; readonly resetModuleLoaded: boolean }
  | {
      readonly bound: false;
      readonly kernelSays: string;
      readonly resetModuleShipped: boolean;
      readonly kernelRelease: string;
    };

/**
 * How a cycle ended early. The kernel's VFIO path failing a user
 * (an open that fails or hangs, a release that hangs) is named; anything
 * else is an error of the run, whose meaning depends on when it came and
 * on what L1's console says.
 */
export type CycleFailure =
  | { readonly kind: 'open-failed'; readonly user: string; readonly step: string; readonly message: string }
  | { readonly kind: 'open-hang'; readonly user: string; readonly seconds: number }
  | { readonly kind: 'release-hang'; readonly seconds: number; readonly state: string }
  | { readonly kind: 'error'; readonly phase: string; readonly message: string; readonly tail: string | null };

export interface User1Evidence {
  readonly frames: number;
  readonly irqs: number;
  /** Frames whose run-keyed payload user #1 showed us; null when user #1 cannot show payloads (a VM). */
  readonly payloadsVerified: number | null;
  readonly live: boolean;
}

export interface CycleEvidence {
  readonly format: typeof EVIDENCE_FORMAT;
  readonly spec: RunSpec;
  /** Harness wall-clock ms (the L0 trace's clock) when the run started and ended. */
  readonly startedAt: number;
  readonly endedAt: number;
  /** Named instants, harness wall-clock ms: kill, user1-exit, traffic-resumed, user2-done... */
  readonly marks: Readonly<Record<string, number>>;
  readonly phases: ReadonlyArray<{ readonly name: string; readonly seconds: number }>;
  readonly bind: BindOutcome | null;
  readonly user1: User1Evidence | null;
  /** L1's boot clock (/proc/uptime, s) read right before kill(2): the sync point of L1's clock. */
  readonly l1UptimeAtKillS: number | null;
  /** The device's interrupt count in L1 at user #1's release, and while user #2 held it. */
  readonly irqCounts: { readonly atRelease: number | null; readonly during: number | null } | null;
  /** User #2's reports, each stamped with the harness's clock when it arrived. */
  readonly user2: readonly AgentEvent[] | null;
  readonly failure: CycleFailure | null;
  readonly notes: readonly string[];
}

/** The logs `judgeRun` reads besides the record; null where the run never produced them. */
export interface CycleLogs {
  readonly trace: readonly TraceEvent[] | null;
  /** L1's console from the bind on. */
  readonly consoleAfterBind: string | null;
  readonly dmesgAfterKill: readonly string[] | null;
  /** The frames the device sent, as the harness at the other end of its link received them. */
  readonly wire: readonly WireFrame[] | null;
}

export const EVIDENCE_FILES = {
  record: 'evidence.json',
  trace: 'l0-trace.log',
  consoleAfterBind: 'l1.console-after-bind.log',
  dmesgAfterKill: 'dmesg-after-kill.txt',
  wire: 'wire.pcap',
} as const;

/** A log's bytes, or null where the run never wrote it. */
const readIfThere = (path: string): Promise<Buffer | null> =>
  readFile(path).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? null : Promise.reject(error)));

/** Writes a run's record where loadEvidence reads it; the cycle writes the logs as it goes, under EVIDENCE_FILES. */
export async function writeEvidence(dir: string, evidence: CycleEvidence): Promise<void> {
  await writeFile(join(dir, EVIDENCE_FILES.record), `${JSON.stringify(evidence, null, 2)}\n`);
}

/**
 * The record and logs of a run directory. A trace that does not parse is returned as the error, for the judge to
 * name.
 */
export async function loadEvidence(dir: string): Promise<{ evidence: CycleEvidence; logs: CycleLogs | Error }> {
  const evidence = JSON.parse(await readFile(join(dir, EVIDENCE_FILES.record), 'utf8')) as CycleEvidence;
  if (evidence.format !== EVIDENCE_FORMAT)
    throw new Error(`${join(dir, EVIDENCE_FILES.record)} is not ${EVIDENCE_FORMAT}`);
  const [trace, console, dmesg, wire] = await Promise.all(
    [EVIDENCE_FILES.trace, EVIDENCE_FILES.consoleAfterBind, EVIDENCE_FILES.dmesgAfterKill, EVIDENCE_FILES.wire].map(
      (f) => readIfThere(join(dir, f)),
    ),
  );
  try {
    return {
      evidence,
      logs: {
        trace: trace == null ? null : parseTrace(trace.toString('utf8')),
        consoleAfterBind: console?.toString('utf8') ?? null,
        dmesgAfterKill:
          dmesg == null
            ? null
            : dmesg
                .toString('utf8')
                .split('\n')
                .filter((l) => l !== ''),
        wire: wire == null ? null : fromPcap(wire),
      },
    };
  } catch (error) {
    return { evidence, logs: error as Error };
  }
}
