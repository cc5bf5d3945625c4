// SPDX-License-Identifier: GPL-2.0-only
/**
 * The LAVA job for the emulated host, run by LAVA's own dispatcher
 * (lava-run, Debian's lava-dispatcher) as a lab would run it: the jobs and
 * files written by `vfio-reset lava-jobs`, the project's L0 QEMU as the
 * QEMU device, the on-target test reporting through lava-test-case. And the
 * lab's view of an infrastructure fault: no frame reaches the XGMAC, so
 * the job ends Incomplete with no failed test. Both jobs run at once, as
 * two lab devices would, each holding one of the host's L1 slots.
 */
import { expect } from 'chai';
import { execa } from 'execa';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { defaultStack, store } from './stack-fixture.ts';
import { lavaDispatcher, type LavaDispatcher } from './lava-dispatcher.ts';
import { repoRoot } from '../../harness/lib/paths.ts';
import { LAVA_FILES } from '../../harness/commands/lava-jobs.ts';
import { TARGET_ORACLES } from '../../harness/plan/target-plan.ts';
import { EXIT } from '../../harness/lib/exit-codes.ts';
import { hostL1s, takeL1Slot } from '../../harness/machines/l1-slots.ts';

interface LavaResult {
  readonly case: string;
  readonly definition: string;
  readonly result: string;
  readonly error_type?: string;
}

type LavaRun = { readonly code: number | undefined; readonly log: string; readonly results: readonly LavaResult[] };

/** LAVA's name for the job's first test definition. */
const DEFINITION = '0_vfio-platform-reset';

describe('the emulated-host LAVA job under lava-run (integration)', function () {
  this.timeout(20 * 60 * 1000);
  let dir: string;
  let dispatcher: LavaDispatcher;
  let wired: Promise<LavaRun>;
  let unwired: Promise<LavaRun>;

  before(async () => {
    await defaultStack();
    dir = await mkdtemp(join(tmpdir(), 'vfio-reset-lava-run-'));
    const written = await execa('node', [join(repoRoot, 'harness/bin/vfio-reset.js'), 'lava-jobs', '--output', dir], {
      reject: false,
      all: true,
    });
    expect(written.exitCode, written.all).to.equal(0);
    dispatcher = await lavaDispatcher();
    wired = lavaRun('wired', join(dir, LAVA_FILES.localDevice));
    unwired = unwiredDevice().then((device) => lavaRun('unwired', device));
    // Each is awaited by its own test; a rejection before then is not unhandled.
    for (const run of [wired, unwired]) run.catch(() => {});
  });

  /** The device with the NIC L1 sends from on a hub of its own: the XGMAC hears nothing. */
  async function unwiredDevice(): Promise<string> {
    const device = parse(await readFile(join(dir, LAVA_FILES.localDevice), 'utf8')) as {
      actions: { boot: { methods: { qemu: { parameters: { extra: string[] } } } } };
    };
    const qemu = device.actions.boot.methods.qemu.parameters;
    qemu.extra = qemu.extra.map((o) => o.replace('hubport,id=wire0,hubid=0', 'hubport,id=wire0,hubid=1'));
    expect(qemu.extra).to.include('-netdev hubport,id=wire0,hubid=1');
    const file = join(dir, 'lava-device-unwired.yaml');
    await writeFile(file, JSON.stringify(device));
    return file;
  }

  /** lava-run on the QEMU job with `device`; its log kept as lava-run-<name>.log. */
  async function lavaRun(name: string, device: string): Promise<LavaRun> {
    await using _slot = await takeL1Slot(store.root, hostL1s(), (line) => process.stderr.write(`${line}\n`));
    const jobId = `${process.pid}${name === 'wired' ? 1 : 2}`;
    const run = await execa(
      '/usr/bin/python3',
      [
        dispatcher.lavaRun,
        '--job-id',
        jobId,
        '--output-dir',
        join(dir, `lava-${name}`),
        '--device',
        device,
        join(dir, LAVA_FILES.qemuJob),
      ],
      { env: { ...process.env, ...dispatcher.env }, reject: false, all: true, timeout: 15 * 60 * 1000 },
    );
    await writeFile(join(dir, `lava-run-${name}.log`), run.all ?? '');
    // lava-run logs to stderr, a YAML flow mapping a line (its results tag some values "!").
    const lines = (run.all ?? '')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => parse(l) as { lvl: string; msg: unknown });
    const results = lines.filter((l) => l.lvl === 'results').map((l) => l.msg as LavaResult);
    return { code: run.exitCode, log: run.all ?? '', results };
  }

  it('completes: the control fired, the scenario passed, every case reported to LAVA', async () => {
    const run = await wired;
    expect(run.code, run.log.slice(-3000)).to.equal(0);
    expect(run.log).to.include('Job finished correctly');
    const ours = new Map(run.results.filter((r) => r.definition === DEFINITION).map((r) => [r.case, r.result]));
    expect(ours.get('control.kernel-no-reset'), run.log.slice(-3000)).to.equal('pass');
    expect(ours.get('scenario.raw-driver')).to.equal('pass');
    const oracles = TARGET_ORACLES;
    for (const cycle of ['control.kernel-no-reset', 'scenario.raw-driver']) {
      for (const step of ['bind', 'user1-live', 'release', ...oracles.applied])
        expect(ours.get(`${cycle}.${step}`), `${cycle}.${step}`).to.equal('pass');
      for (const o of oracles.absent) expect(ours.get(`${cycle}.${o}`), `${cycle}.${o}`).to.equal('skip');
    }
    expect(run.results.find((r) => r.case === 'job')?.result).to.equal('pass');
  });

  it('ends Incomplete, never with a failed test, when no frame reaches the XGMAC', async () => {
    const run = await unwired;
    expect(run.log).to.match(new RegExp(`vfio-reset-target could not decide \\(exit ${EXIT.undecided}\\)`));
    const job = run.results.find((r) => r.case === 'job');
    expect(job?.result, run.log.slice(-3000)).to.equal('fail');
    expect(job?.error_type).to.equal('Test');
    const ours = run.results.filter((r) => r.definition === DEFINITION);
    expect(ours.filter((r) => r.result === 'fail').map((r) => r.case)).to.deep.equal([]);
    expect(ours.find((r) => r.case === 'control.kernel-no-reset.user1-live')?.result).to.equal('unknown');
  });
});
