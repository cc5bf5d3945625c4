// SPDX-License-Identifier: GPL-2.0-only
/**
 * Every external process the harness starts runs in a process group of its
 * own, recorded here, so that no exit path (success, error, timeout, Ctrl-C,
 * SIGTERM, a crash) leaves a QEMU, a make or a helper behind.
 */
import { execa, type Options, type ResultPromise } from 'execa';
import { sleep } from '../lib/time.ts';

const liveGroups = new Set<number>();
let handlersInstalled = false;
/** Set once a stop signal arrived: from then on its handler decides the exit code. */
let stopping = false;

/**
 * Whether the harness is stopping on a signal. Work the stop cuts short
 * fails on its way out (a build step killed by SIGTERM); what it would
 * report must not replace the signal's exit code.
 */
export function stopRequested(): boolean {
  return stopping;
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** Kills every live process group with SIGKILL; safe to call from an 'exit' handler. */
export function killAllGroups(): void {
  for (const pgid of liveGroups) killGroup(pgid, 'SIGKILL');
  liveGroups.clear();
}

export function liveGroupCount(): number {
  return liveGroups.size;
}

const groupAlive = (pgid: number) => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
};

/** How long the groups get to end on SIGTERM before SIGKILL. */
export const STOP_GRACE_MS = 3000;

/**
 * SIGTERM to every live group, then SIGKILL to what is left after
 * `graceMs`. make deletes the target it was writing when it gets SIGTERM,
 * and QEMU exits cleanly; SIGKILL would leave half-written objects in the
 * incremental build trees.
 */
export async function stopAllGroups(graceMs = STOP_GRACE_MS): Promise<void> {
  for (const pgid of liveGroups) killGroup(pgid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && [...liveGroups].some(groupAlive)) await sleep(50);
  killAllGroups();
}

/** Stops every group on exit, signals and crashes; idempotent, and also done by the first startGroup. */
export function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAllGroups);
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    // These replace the loader's (bin/vfio-reset.js), which only exit.
    process.removeAllListeners(signal);
    process.on(signal, () => {
      // A second signal while stopping: no more grace.
      if (stopping) {
        killAllGroups();
        process.exit(code);
      }
      stopping = true;
      process.stderr.write(`\nvfio-reset: ${signal} received, stopping every machine and build\n`);
      void stopAllGroups().then(() => process.exit(code));
    });
  }
  process.on('uncaughtException', (error) => {
    killAllGroups();
    process.stderr.write(`vfio-reset: internal error: ${error.stack ?? String(error)}\n`);
    process.exit(125);
  });
}

export type GroupOptions = Omit<Options, 'detached' | 'cleanup'>;

/**
 * Starts `file` as the leader of a new process group. The group is killed
 * with SIGKILL when the harness exits for any reason, the leader even when
 * the harness itself is SIGKILLed; `stopGroup` ends it earlier.
 */
export function startGroup<O extends GroupOptions>(
  file: string,
  args: readonly string[],
  options: O,
): ResultPromise<O> {
  installExitHandlers();
  // No handler runs when the harness is killed outright (SIGKILL, the OOM killer): then the kernel
  // kills the leader (setpriv sets its parent-death signal, then execs it, keeping its pid).
  const child = execa('setpriv', ['--pdeathsig', 'KILL', '--', file, ...args], {
    ...options,
    detached: true,
    cleanup: false,
  } as O) as unknown as ResultPromise<O>;
  const pid = child.pid;
  if (pid !== undefined) {
    liveGroups.add(pid);
    const forget = () => {
      // The leader is gone, but its children may live on in the group.
      killGroup(pid, 'SIGKILL');
      liveGroups.delete(pid);
    };
    child.then(forget, forget);
  }
  return child;
}

/**
 * Records a process group started elsewhere (node-pty puts its child in a
 * session of its own), so that every exit path kills it too.
 */
export function adoptGroup(pid: number, exited: Promise<unknown>): void {
  installExitHandlers();
  liveGroups.add(pid);
  const forget = () => {
    killGroup(pid, 'SIGKILL');
    liveGroups.delete(pid);
  };
  exited.then(forget, forget);
}

/** Sends `signal` to the whole group led by `pid`. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  if (liveGroups.has(pid)) killGroup(pid, signal);
}
