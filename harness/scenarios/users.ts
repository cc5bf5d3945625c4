// SPDX-License-Identifier: GPL-2.0-only
/**
 * What a scenario plugs into the cycle: who user #1 and user #2 are. The
 * cycle gives them a `UserEnv` once L1 is up and the hooks user #2 needs to
 * pace the traffic and the window; they give back what they saw.
 */
import type { BindResult, L1 } from '../machines/l1.ts';
import type { SshSession, KeyPair } from '../machines/ssh.ts';
import type { AgentEvent } from '../evidence/agent-reports.ts';
import type { User1Evidence } from '../judge/evidence.ts';
import type { KillSignal, RunSpec } from '../plan/run-spec.ts';
import type { Stack } from '../recipes/stack.ts';
import type { Progress } from '../lib/progress.ts';
import type { PayloadKey } from '../traffic/payload.ts';
import type { WindowEnd } from './evidence-window.ts';
import type { Timeline } from './timeline.ts';

/** What the campaign gives one run. */
export interface RunContext {
  readonly stack: Stack;
  readonly sshKey: KeyPair;
  readonly dir: string;
  readonly spec: RunSpec;
  readonly progress: Progress;
}

/** What a scenario's users get to work with once L1 is up. */
export interface UserEnv {
  readonly ssh: SshSession;
  readonly l1: L1;
  readonly device: string;
  readonly key: PayloadKey;
  readonly dir: string;
  readonly timeline: Timeline;
  readonly progress: Progress;
  readonly id: string;
}

export interface User1 {
  readonly evidence: User1Evidence;
  /** Kills user #1 with a real signal; resolves once it is gone, with L1's clock at the kill. */
  kill(signal: KillSignal): Promise<{ readonly l1UptimeS: number }>;
  /** The device's interrupt count in L1 once user #1 is gone (null: no IRQ descriptor). */
  irqCountAtRelease(): Promise<number | null>;
}

/** What user #2 may call on the cycle while it runs. */
export interface User2Hooks {
  /** The device's interrupt count in L1, sampled while user #2 holds it without enabling it. */
  sampleIrqCount(): Promise<number | null>;
  /** User #2 is ready to see stale DMA (its memory is mapped): frames flow again in the silent pattern. */
  resumeTraffic(): void;
  /** User #2 is done: no more frames. */
  stopTraffic(): void;
  /** Resolves once the evidence since `openedAt` (wall clock, ms) suffices to end user #2's window. */
  keepWindowOpen(openedAt: number): Promise<WindowEnd>;
}

export interface User2Run {
  readonly events: readonly AgentEvent[];
  readonly irqCountDuring: number | null;
  /** L1's kernel log from the kill on (dmesg's lines), if the scenario read it itself; else the cycle reads it. */
  readonly kernelLogAfterKill?: readonly string[];
}

export interface ScenarioUsers {
  /** Binds the device to vfio-platform for this run's users: what the kernel said if it refused. */
  bind(env: UserEnv): Promise<BindResult>;
  startUser1(env: UserEnv): Promise<User1>;
  /** Runs user #2 to the end; the cycle stops the traffic afterwards. */
  runUser2(env: UserEnv, hooks: User2Hooks): Promise<User2Run>;
}
