// SPDX-License-Identifier: GPL-2.0-only
/**
 * L1's SSH server under the harness's own pattern: a channel opened while
 * another channel's command exits. Debian bookworm's dropbear closes such
 * a channel before its command starts ("Unable to exec") or ends the whole
 * connection on an assertion; L1 runs a patched build
 * (images/dropbear/patches/), and this spec holds it to that.
 */
import { expect } from 'chai';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootDefaultL1 } from './stack-fixture.ts';
import type { L1Session } from '../../harness/machines/l1-session.ts';
import { overlappingCommands } from './overlapping-commands.ts';

describe("L1's SSH server (integration)", function () {
  this.timeout(10 * 60 * 1000);
  let session: L1Session;

  before(async () => {
    const runDir = await mkdtemp(join(tmpdir(), 'vfio-reset-ssh-'));
    session = await bootDefaultL1(runDir, { xgmacs: [], traceFile: join(runDir, 'l0-trace.log'), globals: [] });
  });

  after(async () => {
    await session?.[Symbol.asyncDispose]();
  });

  it('keeps the connection and runs every command when channels open as others exit', async () => {
    const outcome = await overlappingCommands(session.ssh);
    expect(outcome.failures, outcome.failures.join('\n')).to.deep.equal([]);
    expect(outcome.ran).to.equal(outcome.asked);
  });
});
