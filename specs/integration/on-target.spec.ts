// SPDX-License-Identifier: GPL-2.0-only
/**
 * The on-target runner on its own, in a real L1 as on a board with no
 * harness around it: the XGMAC wired to a NIC of L1's (one QEMU hub, as a
 * loopback cable), the runner sending its own frames out of that NIC, the
 * kernel-side control set up by the runner itself, KTAP on stdout.
 */
import { expect } from 'chai';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootDefaultL1 } from './stack-fixture.ts';
import type { L1Session } from '../../harness/machines/l1-session.ts';
import { wiredNicMac } from '../../harness/machines/l1-host.ts';
import { XGMAC_PROFILE } from '../../harness/devices/xgmac.ts';
import { L1_PATHS } from '../../harness/plan/layout.ts';
import { TARGET_ORACLES } from '../../harness/plan/target-plan.ts';
import { EXIT } from '../../harness/lib/exit-codes.ts';

/** The result lines of one KTAP level: name to "ok", "not ok" or "skip". */
function results(ktap: string, indent: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of ktap.split('\n')) {
    const m = new RegExp(`^${indent}(ok|not ok) \\d+ (\\S+)( # SKIP)?`).exec(line);
    if (m !== null) out.set(m[2]!, m[3] !== undefined ? 'skip' : m[1]!);
  }
  return out;
}

/** The cases of subtest `name` in a KTAP document. */
function subtest(ktap: string, name: string): Map<string, string> {
  const at = ktap.indexOf(`    # Subtest: ${name}\n`);
  expect(at, `subtest ${name} in:\n${ktap}`).to.be.greaterThan(-1);
  const end = ktap.indexOf('\n', ktap.indexOf(`\nok `, at) + 1);
  return results(ktap.slice(at, end === -1 ? undefined : end), '    ');
}

describe('the on-target runner on its own in L1 (integration)', function () {
  this.timeout(20 * 60 * 1000);
  let runDir: string;
  let session: L1Session;
  let nic: string;

  before(async () => {
    runDir = await mkdtemp(join(tmpdir(), 'vfio-reset-on-target-'));
    // As a lab boots the kernel under test for the control: vfio-platform may then bind without a reset.
    session = await bootDefaultL1(
      runDir,
      {
        xgmacs: [{ link: 'l1-nic', mac: '52:54:00:12:34:00' }],
        traceFile: join(runDir, 'l0-trace.log'),
        // The model as a lab's emulated host runs it (harness/labs/lava-jobs.ts): its engines as in every run.
        globals: XGMAC_PROFILE.l0Globals,
      },
      ['vfio_platform.reset_required=0'],
    );
    nic = (await session.ssh.check(`grep -l ${wiredNicMac(0)} /sys/class/net/*/address | cut -d/ -f5`)).trim();
  });

  after(async () => {
    await session?.[Symbol.asyncDispose]();
  });

  it('proves its oracles with the control, then passes the scenario, in KTAP', async () => {
    const run = await session.ssh.exec(
      `${L1_PATHS.agents}/vfio-reset-target --traffic-from ${nic} --out /tmp/on-target`,
      300_000,
    );
    await writeFile(join(runDir, 'target.ktap'), run.stdout);
    expect(run.code, `${run.stdout}\n${run.stderr}`).to.equal(EXIT.good);
    expect(run.stdout.split('\n')[0]).to.equal('KTAP version 1');
    expect([...results(run.stdout, '').entries()]).to.deep.equal([
      ['control.kernel-no-reset', 'ok'],
      ['scenario.raw-driver', 'ok'],
    ]);
    const oracles = TARGET_ORACLES;
    const control = subtest(run.stdout, 'control.kernel-no-reset');
    for (const o of oracles.mustFire) expect(control.get(o), `${o} under the control`).to.equal('ok');
    expect(run.stdout).to.match(/ok \d+ user2-irqs # fired/);
    const scenario = subtest(run.stdout, 'scenario.raw-driver');
    for (const o of oracles.applied) expect(scenario.get(o), `${o} in the scenario`).to.equal('ok');
    for (const o of oracles.absent) expect(scenario.get(o), `${o}, absent here`).to.equal('skip');
    // The runner's frames, not the harness's: user #1 saw them with the runner's own key.
    expect(run.stdout).to.match(/ok 2 user1-live # (\d+) frames \(\1 with this run's payload\)/);
    expect(await session.ssh.check('ls /tmp/on-target')).to.match(/user1\.jsonl[\s\S]*user2\.jsonl/);
  });

  it('does not count a silent scenario as a pass without a control fired on the same host', async () => {
    const run = await session.ssh.exec(
      `${L1_PATHS.agents}/vfio-reset-target --traffic-from ${nic} --control none`,
      300_000,
    );
    expect(run.code, run.stdout).to.equal(EXIT.undecided);
    expect(run.stdout).to.match(/^ok 1 scenario\.raw-driver # SKIP silent, but no kernel-side control fired/m);
  });

  it('says what is wrong with bad usage in one line, exit 2 (usage), before touching the device', async () => {
    const run = await session.ssh.exec(`${L1_PATHS.agents}/vfio-reset-target --signal HUP`, 30_000);
    expect(run.code).to.equal(EXIT.usage);
    expect(run.stderr.trim().split('\n')).to.have.length(1);
    expect(run.stderr).to.match(/--signal HUP: not one of KILL, SEGV, ABRT, TERM/);
  });
});
