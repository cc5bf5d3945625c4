#!/usr/bin/env node
// SPDX-License-Identifier: GPL-2.0-only
// The package's bin: loads the TypeScript CLI through tsx. A harness that
// cannot load (a dependency missing, a native module built for another
// Node) has decided nothing: it exits 125, so that `git bisect run` skips
// the commit instead of calling it bad.
const UNDECIDED = 125;

// Until the harness installs its own handlers (process/process-groups.ts, which replace these), a signal
// ends it as it would end it later, with 128 + the signal number: nothing has been started yet to stop.
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
]) {
  process.on(signal, () => process.exit(code));
}

try {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../commands/cli.ts');
} catch (error) {
  process.stderr.write(`vfio-reset: could not decide: the harness failed to load: ${error?.stack ?? error}\n`);
  process.stderr.write(
    "vfio-reset: run 'npm ci' (or 'bash images/setup.sh') in the harness's directory to reinstall its dependencies\n",
  );
  process.exit(UNDECIDED);
}
