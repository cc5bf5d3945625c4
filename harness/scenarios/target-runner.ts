// SPDX-License-Identifier: GPL-2.0-only
/**
 * The on-target runner (guest-agents/vfio-reset-target) as the harness
 * drives it in L1 with --paced: one process for the scenario's whole L1
 * half, whose stdout multiplexes its own reports and its users' (tagged
 * "from"), and which waits on stdin for the harness's word where the harness
 * decides when to go on (it alone sees the L0 trace). Each user's reports
 * are also written to its own log, as when the harness ran the users itself.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ProcessStuck, RemoteAgent } from '../machines/remote-process.ts';
import { L1_PATHS } from '../plan/layout.ts';
import type { AgentEvent } from '../evidence/agent-reports.ts';
import type { PayloadKey } from '../traffic/payload.ts';
import { InfrastructureError } from '../lib/errors.ts';
import type { SshSession } from '../machines/ssh.ts';
import type { Control, KillSignal } from '../plan/run-spec.ts';
import { TARGET_CONTROL } from '../plan/target-plan.ts';
import type { AgentEventName, ReportSource, RunnerEventName, RunnerWord } from '../plan/contract.ts';

export type TargetUser = Extract<ReportSource, 'user1' | 'user2'>;

/** Where the runner writes its KTAP in L1 (tmpfs), fetched into the run directory as TARGET_FILES.ktap. */
const KTAP_IN_L1 = '/tmp/vfio-reset-target.ktap';

export const TARGET_FILES = {
  /** Everything the runner printed, as it arrived. */
  stream: 'target.jsonl',
  /** Its own verdict of the cycle's L1 half. */
  ktap: 'target.ktap',
} as const;

/** One user's reports as the runner relayed them: what the harness would have read from the user directly. */
export interface UserView {
  readonly name: string;
  readonly events: readonly AgentEvent[];
  readonly exited: boolean;
  waitForEvent(name: AgentEventName, timeoutMs: number): Promise<AgentEvent>;
  waitUntil(predicate: () => boolean, timeoutMs: number, what: string): Promise<void>;
  tail(): string;
}

/** What the runner found for one oracle: compared with the harness's own judgement of the same run. */
export interface TargetFinding {
  readonly oracle: string;
  readonly fired: boolean;
  readonly count: number;
}

export interface TargetRunnerOptions {
  readonly ssh: SshSession;
  readonly device: string;
  readonly dir: string;
  readonly signal: KillSignal;
  readonly control: Control;
  readonly key: PayloadKey;
}

const USER_NAMES: Readonly<Record<TargetUser, string>> = {
  user1: 'user #1 (xgmac-vfio-driver)',
  user2: 'user #2 (xgmac-reset-probe)',
};

/** The agent's event without the runner's tag: the record keeps the user's reports as the user wrote them. */
function untagged(event: AgentEvent): AgentEvent {
  const { from: _from, ...rest } = event;
  return rest as AgentEvent;
}

export class TargetRunner {
  private readonly users: Record<TargetUser, AgentEvent[]> = { user1: [], user2: [] };
  private readonly logs: Record<TargetUser, WriteStream>;
  private seen = 0;

  private constructor(
    private readonly agent: RemoteAgent,
    private readonly options: TargetRunnerOptions,
  ) {
    this.logs = {
      user1: createWriteStream(join(options.dir, 'user1.jsonl'), { flags: 'a' }),
      user2: createWriteStream(join(options.dir, 'user2.jsonl'), { flags: 'a' }),
    };
    const unsubscribe = agent.subscribe(() => {
      this.demultiplex();
      if (!agent.exited) return;
      unsubscribe();
      for (const log of Object.values(this.logs)) log.end();
    });
  }

  /** Starts the runner; it binds the device at once and reports "bound" or "bind-refused". */
  static async start(options: TargetRunnerOptions): Promise<TargetRunner> {
    const { key } = options;
    const command =
      `${L1_PATHS.agents}/vfio-reset-target --paced --device ${options.device} --signal ${options.signal} ` +
      `--control ${options.control === TARGET_CONTROL ? TARGET_CONTROL : 'none'} ` +
      `--key ${key.key.toString('hex')} --run-id ${key.runId} --ktap ${KTAP_IN_L1}`;
    const agent = await RemoteAgent.start(
      'vfio-reset-target',
      options.ssh,
      command,
      join(options.dir, TARGET_FILES.stream),
    );
    return new TargetRunner(agent, options);
  }

  private demultiplex(): void {
    for (; this.seen < this.agent.events.length; this.seen++) {
      const event = this.agent.events[this.seen]!;
      const from = event['from'];
      if (from !== 'user1' && from !== 'user2') continue;
      const own = untagged(event);
      this.users[from].push(own);
      const { receivedAt: _receivedAt, ...printed } = own;
      this.logs[from].write(`${JSON.stringify(printed)}\n`);
    }
  }

  /** The runner's own reports. */
  private ofRunner(name: RunnerEventName): AgentEvent[] {
    return this.agent.events.filter((e) => e['from'] === 'runner' && e.event === name);
  }

  /** Waits for the runner's first report named one of `names`. */
  async runnerSays(names: readonly RunnerEventName[], timeoutMs: number): Promise<AgentEvent> {
    const found = () => names.flatMap((n) => this.ofRunner(n))[0];
    await this.agent.waitUntil(() => found() !== undefined, timeoutMs, `"${names.join('" or "')}" report`);
    return found()!;
  }

  say(word: RunnerWord): void {
    this.agent.send(word);
  }

  view(user: TargetUser): UserView {
    const events = this.users[user];
    const exited = () => this.agent.exited || this.ofRunner('exited').some((e) => e['who'] === user);
    const view: UserView = {
      name: USER_NAMES[user],
      events,
      get exited() {
        return exited();
      },
      waitUntil: async (predicate, timeoutMs, what) => {
        await this.agent.waitUntil(() => predicate() || exited(), timeoutMs, what);
        if (!predicate()) throw new InfrastructureError(`${USER_NAMES[user]} exited before ${what}`, view.tail());
      },
      waitForEvent: async (name, timeoutMs) => {
        await view.waitUntil(() => events.some((e) => e.event === name), timeoutMs, `"${name}" report`);
        return events.find((e) => e.event === name)!;
      },
      tail: () => [...events.slice(-20).map((e) => JSON.stringify(e)), this.agent.tail()].join('\n'),
    };
    return view;
  }

  /**
   * Has user #1 killed with the run's signal; resolves once it is gone, with
   * L1's boot clock right before the kill. A user #1 the signal did not end
   * is stuck in L1's kernel.
   */
  async kill(signal: KillSignal, timeoutMs: number): Promise<{ readonly l1UptimeS: number }> {
    if (signal !== this.options.signal)
      throw new Error(`the runner kills with SIG${this.options.signal}, not SIG${signal}`);
    this.say('kill');
    const killing = await this.runnerSays(['killing'], 15_000);
    const gone = await this.runnerSays(['user1-gone', 'release-hang'], timeoutMs + 15_000);
    if (gone.event === 'release-hang') {
      const seconds = Number(gone['seconds']);
      throw new ProcessStuck(
        `${USER_NAMES.user1} still exists ${seconds} s after SIG${signal}`,
        seconds,
        String(gone['state']),
      );
    }
    return { l1UptimeS: Number(killing['uptime_s']) };
  }

  /** The device's interrupt count the runner read at user #1's release (null: no IRQ descriptor). */
  irqCountAtRelease(): number | null {
    return countOf(this.ofRunner('user1-gone')[0]);
  }

  /** Ends user #2's window: the runner samples the interrupt count, then tells the probe to report. */
  async endWindow(): Promise<number | null> {
    this.say('end-window');
    return countOf(await this.runnerSays(['irq-sampled'], 15_000));
  }

  /**
   * Once the frames have stopped: the runner reads L1's kernel log from the
   * kill on and judges; resolves at its end with its findings and that log
   * (as dmesg prints it), its KTAP fetched into the run directory.
   */
  async finish(
    timeoutMs: number,
  ): Promise<{ readonly findings: readonly TargetFinding[]; readonly kernelLog: readonly string[] }> {
    this.say('collect');
    await this.runnerSays(['done'], timeoutMs);
    await this.agent.waitUntil(() => this.agent.exited, 10_000, 'exit');
    await writeFile(join(this.options.dir, TARGET_FILES.ktap), await this.options.ssh.check(`cat ${KTAP_IN_L1}`));
    const findings = this.ofRunner('finding').map((e) => ({
      oracle: String(e['oracle']),
      fired: e['fired'] === true,
      count: Number(e['count']),
    }));
    return { findings, kernelLog: this.ofRunner('kmsg').map((e) => String(e['line'])) };
  }
}

function countOf(event: AgentEvent | undefined): number | null {
  const count = Number(event?.['irq_count']);
  return Number.isInteger(count) && count >= 0 ? count : null;
}
