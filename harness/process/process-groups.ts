// SPDX-License-Identifier: GPL-2.0-only
/**
 * Every external process the harness starts runs in a process group of its
 * own, recorded here, so that no exit path (success, error, timeout, Ctrl-C,
 * SIGTERM, a crash) leaves a QEMU, a make or a helper behind. Where the
 * host allows it they also run in the invocation's cgroup, and the groups
 * are recorded in the live registry, so that even a harness killed
 * outright leaves nothing for the next one to trip over.
 */
import { execa, type Options, type ResultPromise } from 'execa';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot } from '../lib/paths.ts';
import { sleep } from '../lib/time.ts';
import { cgroupEntryArgv, createInvocationCgroup, joinCgroup, killCgroup } from './invocation-cgroup.ts';
import { LiveRegistry } from './live-registry.ts';
import { groupExists, identityOf, type ProcessIdentity } from './process-identity.ts';

/** Live groups by id (the leader's pid), with the leader's identity when it could be read. */
const liveGroups = new Map<number, ProcessIdentity | null>();
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

interface Invocation {
  readonly registry: LiveRegistry;
  readonly self: ProcessIdentity | null;
  readonly cgroup: string | null;
}
let invocation: Invocation | null = null;

/** Records the live groups; a registry that cannot be written (a full disk) must not stop the work. */
function recordLive(): void {
  if (invocation?.self == null) return;
  try {
    invocation.registry.record({
      harness: invocation.self,
      cgroup: invocation.cgroup,
      groups: [...liveGroups.values()].filter((g) => g !== null),
    });
  } catch {
    // The parent-death signal and this process's own handlers still cover it.
  }
}

/** Sweeps what dead invocations left, then sets up this one's registry record and cgroup. */
function startInvocation(): void {
  const registry = new LiveRegistry(join(cacheRoot(), 'live'));
  const swept = registry.sweep();
  if (swept.groups + swept.cgroupProcesses > 0)
    process.stderr.write(
      `vfio-reset: killed ${swept.groups} process groups and ${swept.cgroupProcesses} processes in cgroups ` +
        `left by ${swept.invocations} harness invocations that died\n`,
    );
  invocation = { registry, self: identityOf(process.pid), cgroup: createInvocationCgroup(process.pid) };
  recordLive();
}

/** Kills every live process group with SIGKILL; safe to call from an 'exit' handler. */
export function killAllGroups(): void {
  for (const pgid of liveGroups.keys()) killGroup(pgid, 'SIGKILL');
  liveGroups.clear();
}

/**
 * The last of the 'exit' handler: whatever is left in the cgroup dies, and the record goes, unless the cgroup
 * outlives this process (its killed children are reaped only once it has exited): the next sweep removes it.
 */
function endInvocation(): void {
  killAllGroups();
  if (invocation === null) return;
  const { cgroup, registry, self } = invocation;
  try {
    if (cgroup !== null) killCgroup(cgroup);
    if (cgroup !== null && self !== null && existsSync(cgroup)) registry.record({ harness: self, cgroup, groups: [] });
    else registry.remove(process.pid);
  } catch {
    // A registry that cannot be written (a full disk): the cgroup's processes are dead already.
  }
}

export function liveGroupCount(): number {
  return liveGroups.size;
}

/** How long the groups get to end on SIGTERM before SIGKILL. */
export const STOP_GRACE_MS = 3000;

/**
 * SIGTERM to every live group, then SIGKILL to what is left after
 * `graceMs`. make deletes the target it was writing when it gets SIGTERM,
 * and QEMU exits cleanly; SIGKILL would leave half-written objects in the
 * incremental build trees.
 */
export async function stopAllGroups(graceMs = STOP_GRACE_MS): Promise<void> {
  for (const pgid of liveGroups.keys()) killGroup(pgid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && [...liveGroups.keys()].some(groupExists)) await sleep(50);
  killAllGroups();
}

/** Stops every group on exit, signals and crashes; idempotent, and also done by the first startGroup. */
export function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  startInvocation();
  process.on('exit', endInvocation);
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
  credentials: { readonly uid: number; readonly gid: number } | null = null,
): ResultPromise<O> {
  installExitHandlers();
  // No handler runs when the harness is killed outright (SIGKILL, the OOM killer): then the kernel
  // kills the leader (setpriv sets its parent-death signal, after any change of user, then execs it,
  // keeping its pid).
  const user =
    credentials === null
      ? []
      : ['--reuid', String(credentials.uid), '--regid', String(credentials.gid), '--clear-groups'];
  const argv = ['setpriv', '--pdeathsig', 'KILL', ...user, '--', file, ...args];
  const [command, ...rest] = invocation?.cgroup != null ? cgroupEntryArgv(invocation.cgroup, argv) : argv;
  const child = execa(command!, rest, {
    ...options,
    detached: true,
    cleanup: false,
  } as O) as unknown as ResultPromise<O>;
  if (child.pid !== undefined) track(child.pid, child);
  return child;
}

/**
 * Records a process group started elsewhere (node-pty puts its child in a
 * session of its own), so that every exit path kills it too.
 */
export function adoptGroup(pid: number, exited: Promise<unknown>): void {
  installExitHandlers();
  if (invocation?.cgroup != null) joinCgroup(invocation.cgroup, pid);
  track(pid, exited);
}

function track(pid: number, exited: Promise<unknown>): void {
  liveGroups.set(pid, identityOf(pid));
  recordLive();
  const forget = () => {
    // The leader is gone, but its children may live on in the group.
    killGroup(pid, 'SIGKILL');
    liveGroups.delete(pid);
    recordLive();
  };
  exited.then(forget, forget);
}

/** Sends `signal` to the whole group led by `pid`. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  if (liveGroups.has(pid)) killGroup(pid, signal);
}
