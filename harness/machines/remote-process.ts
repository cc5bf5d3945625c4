// SPDX-License-Identifier: GPL-2.0-only
/**
 * A process started in L1 over SSH whose stdout is JSON lines (the agents),
 * with its L1 pid so that it can be killed with a real signal. Every line
 * is stamped with the harness's wall clock when it arrived.
 */
import type { AgentEvent } from '../evidence/agent-reports.ts';
import { createWriteStream } from 'node:fs';
import type { SshSession } from './ssh.ts';
import { InfrastructureError } from '../lib/errors.ts';
import { withDeadline } from '../lib/time.ts';
import type { AgentEventName } from '../plan/contract.ts';

export class RemoteAgent {
  readonly events: AgentEvent[] = [];
  readonly otherOutput: string[] = [];
  private pending = '';
  private listeners = new Set<() => void>();
  private exitCode: number | null | undefined;
  private writeInput: (text: string) => void = () => {};
  pid: number | undefined;

  private constructor(
    readonly name: string,
    private readonly ssh: SshSession,
    logPath: string,
  ) {
    this.log = createWriteStream(logPath, { flags: 'a' });
  }

  private readonly log: ReturnType<typeof createWriteStream>;

  /** Starts `command` in L1; resolves once its pid is known. */
  static async start(name: string, ssh: SshSession, command: string, logPath: string): Promise<RemoteAgent> {
    const agent = new RemoteAgent(name, ssh, logPath);
    const handle = await ssh.spawn(`echo "pid $$"; exec ${command}`, (chunk) => agent.receive(chunk));
    agent.writeInput = handle.write;
    void handle.done.then((code) => {
      agent.exitCode = code;
      agent.notify();
      agent.log.end();
    });
    await agent.waitUntil(() => agent.pid !== undefined, 10_000, 'its pid');
    return agent;
  }

  private receive(chunk: string): void {
    this.log.write(chunk);
    this.pending += chunk;
    const lines = this.pending.split('\n');
    this.pending = lines.pop() ?? '';
    const now = Date.now();
    for (const line of lines) {
      const pid = /^pid (\d+)$/.exec(line.trim());
      if (pid && this.pid === undefined) {
        this.pid = Number(pid[1]);
        continue;
      }
      if (line.startsWith('{')) {
        try {
          this.events.push({ ...(JSON.parse(line) as { event: string }), receivedAt: now });
          continue;
        } catch {
          // Not JSON after all: keep it as other output.
        }
      }
      if (line.trim() !== '') this.otherOutput.push(line);
    }
    this.notify();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  /** Writes `line` to the agent's standard input. */
  send(line: string): void {
    this.writeInput(`${line}\n`);
  }

  /** Calls `listener` whenever the agent printed something or exited; the returned function ends that. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get exited(): boolean {
    return this.exitCode !== undefined;
  }

  /** Resolves when `predicate` holds; rejects on timeout or if the agent exits first. */
  waitUntil(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const timedOut = () =>
      new InfrastructureError(`${this.name}: no ${what} within ${timeoutMs / 1000} s`, this.tail());
    return withDeadline(
      timeoutMs,
      timedOut,
      (signal) =>
        new Promise((resolve, reject) => {
          const check = () => {
            if (predicate()) {
              this.listeners.delete(check);
              resolve();
            } else if (this.exited) {
              this.listeners.delete(check);
              reject(
                new InfrastructureError(`${this.name} exited (code ${this.exitCode}) before ${what}`, this.tail()),
              );
            }
          };
          signal.addEventListener('abort', () => this.listeners.delete(check), { once: true });
          this.listeners.add(check);
          check();
        }),
    );
  }

  /** Waits for the first event named `name` (after `from` events) and returns it. */
  async waitForEvent(name: AgentEventName, timeoutMs: number, from = 0): Promise<AgentEvent> {
    await this.waitUntil(() => this.events.slice(from).some((e) => e.event === name), timeoutMs, `"${name}" report`);
    return this.events.slice(from).find((e) => e.event === name)!;
  }

  ofEvent(name: AgentEventName): AgentEvent[] {
    return this.events.filter((e) => e.event === name);
  }

  tail(lines = 20): string {
    return [...this.events.slice(-lines).map((e) => JSON.stringify(e)), ...this.otherOutput.slice(-lines)].join('\n');
  }

  /** Sends `signal` to the agent in L1 and goes on: one that has exited meanwhile is no error. */
  async signal(signal: 'USR1'): Promise<void> {
    if (this.pid === undefined) throw new Error(`${this.name} has no pid`);
    await this.ssh.exec(`kill -${signal} ${this.pid} 2>/dev/null || true`, 10_000);
  }

  /**
   * Sends `signal` to the agent in L1 (a real kill(2) there); resolves once
   * the agent is gone, with L1's boot clock (/proc/uptime, s) read right
   * before the kill: the sync point that puts L1's own stamps on the kill's
   * time base. The kill is noted in L1's kernel log too, for the log's own
   * clock. A process that does not go is stuck in L1's kernel.
   */
  async kill(signal: 'KILL' | 'SEGV' | 'ABRT' | 'TERM', timeoutMs = 10_000): Promise<{ readonly l1UptimeS: number }> {
    if (this.pid === undefined) throw new Error(`${this.name} has no pid`);
    const note = `<6>vfio-reset: SIG${signal} to pid ${this.pid}`;
    const said = (
      await this.ssh.check(
        `cut -d' ' -f1 /proc/uptime; echo '${note}' 2>/dev/null >/dev/kmsg; kill -${signal} ${this.pid}`,
      )
    ).trim();
    const l1UptimeS = Number(said);
    if (!/^\d+\.\d+$/.test(said))
      throw new InfrastructureError(`L1's /proc/uptime said ${JSON.stringify(said)} at the kill`);
    try {
      await this.waitUntil(() => this.exited, timeoutMs, 'exit after the kill');
    } catch (error) {
      if (this.exited) throw error;
      const state = await this.ssh
        .exec(`grep '^State:' /proc/${this.pid}/status; echo "wchan: $(cat /proc/${this.pid}/wchan)"`, 5000)
        .catch(() => null);
      throw new ProcessStuck(
        `${this.name} still exists ${timeoutMs / 1000} s after SIG${signal}`,
        timeoutMs / 1000,
        state?.stdout.trim().replace(/\s+/g, ' ') ?? 'L1 did not answer',
      );
    }
    return { l1UptimeS };
  }
}

/** A process that a signal did not end: it is stuck in L1's kernel. */
export class ProcessStuck extends Error {
  override readonly name = 'ProcessStuck';
  constructor(
    message: string,
    readonly seconds: number,
    /** Its state as L1's /proc shows it. */
    readonly state: string,
  ) {
    super(message);
  }
}
