// SPDX-License-Identifier: GPL-2.0-only
/**
 * The LAVA jobs `vfio-reset lava-jobs` writes: valid in strict mode for
 * LAVA's own job schema (Debian's lava-common, lava-schema.py, which
 * rejects a broken job: shown here too), with a timeout per action inside
 * the job's, and a test definition whose shell steps parse and whose
 * runner is an agent the project builds.
 */
import { expect } from 'chai';
import { execa } from 'execa';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { toYaml, type YamlValue } from '../../harness/lib/yaml-text.ts';
import {
  boardJob,
  DEFAULT_PARAMS,
  LAVA_TIMEOUTS,
  qemuJob,
  testDefinition,
  type LavaArtifacts,
  type LavaBoard,
} from '../../harness/labs/lava-jobs.ts';
import { AGENT_DIR } from '../../harness/recipes/agents.ts';

/** Debian's python3: another python3 on PATH may lack lava_common. */
const PYTHON = '/usr/bin/python3';
const VALIDATOR = '/usr/share/lava-common/lava-schema.py';

const artifacts: LavaArtifacts = {
  kernelRelease: '6.12.95-vfio-reset',
  kernelUrl: 'https://lab.example/vfio-reset/Image',
  modulesUrl: 'https://lab.example/vfio-reset/modules.tar.gz',
  rootfsUrl: 'https://lab.example/vfio-reset/rootfs.ext4',
  agentsUrl: 'https://lab.example/vfio-reset/agents.tar.gz',
};
const board: LavaBoard = {
  deviceType: 'arm64-board-with-xgmac',
  dtbUrl: 'https://lab.example/dtbs/board.dtb',
  nfsrootfsUrl: 'https://lab.example/rootfs/debian-bookworm-arm64.tar.xz',
  trafficFrom: 'eth1',
  prompt: 'root@',
};

type Job = { actions: Array<Record<string, { timeout?: { minutes: number } } & Record<string, unknown>>> } & Record<
  string,
  unknown
>;

describe('LAVA jobs (lava-jobs)', function () {
  this.timeout(60_000);
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vfio-reset-lava-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function validate(name: string, job: YamlValue): Promise<{ ok: boolean; said: string }> {
    const file = join(dir, name);
    await writeFile(file, toYaml(job));
    const r = await execa(PYTHON, [VALIDATOR, 'job', '--strict', file], { reject: false, all: true });
    return { ok: r.exitCode === 0 && !/invalid/.test(r.all ?? ''), said: r.all ?? '' };
  }

  const jobs: Record<string, Job> = {
    'the emulated host (qemu)': qemuJob(artifacts, 'KILL') as Job,
    'a real board (tftp, u-boot)': boardJob(artifacts, board, 'SEGV') as Job,
  };

  for (const [what, job] of Object.entries(jobs)) {
    it(`writes a job for ${what} that LAVA's schema accepts in strict mode`, async () => {
      const r = await validate(`${String(job['device_type'])}.yaml`, job as unknown as YamlValue);
      expect(r.ok, r.said).to.equal(true);
    });

    it(`gives every action of ${what} a timeout within the job's`, () => {
      expect(job.actions.map((a) => Object.keys(a)[0])).to.deep.equal(['deploy', 'boot', 'test']);
      for (const action of job.actions) {
        const minutes = Object.values(action)[0]!.timeout?.minutes;
        expect(minutes, JSON.stringify(action).slice(0, 80)).to.be.a('number');
        expect(minutes).to.be.at.most(LAVA_TIMEOUTS.job);
      }
    });
  }

  it('has a validator that fails: an unknown boot method, an action outliving the job', async () => {
    const broken = structuredClone(jobs['the emulated host (qemu)']!);
    (broken.actions[1]!['boot'] as Record<string, unknown>)['method'] = 'qemu-but-not-really';
    const unknown = await validate('unknown-boot.yaml', broken as YamlValue);
    expect(unknown.ok).to.equal(false);
    expect(unknown.said).to.match(/invalid job definition/);
    const long = structuredClone(jobs['the emulated host (qemu)']!);
    long.actions[2]!['test']!.timeout = { minutes: LAVA_TIMEOUTS.job + 1 };
    const outlives = await validate('long-test.yaml', long as YamlValue);
    expect(outlives.ok).to.equal(false);
    expect(outlives.said).to.match(/larger than job timeout/);
  });

  it('boots the emulated host with the XGMAC wired to a NIC of its own, the kernel ready for the control', () => {
    const job = jobs['the emulated host (qemu)']!;
    const context = job['context'] as { extra_options: string[] };
    expect(context.extra_options).to.include('-device xgmac,netdev=xgmac0,mac=52:54:00:12:34:00,x-instance=0');
    expect(context.extra_options.filter((o) => o.startsWith('-netdev hubport,'))).to.have.length(2);
    const deploy = job.actions[0]!['deploy'] as unknown as { images: { kernel: { image_arg: string } } };
    expect(deploy.images.kernel.image_arg).to.include('vfio_platform.reset_required=0');
  });

  it('raises what the runner could not decide under set -e (as LAVA runs steps), and no more', async () => {
    // A runner and LAVA's helpers that only say how they were called: the steps' logic, not the runner's.
    const bin = join(dir, 'bin');
    await execa('mkdir', ['-p', bin]);
    const fake = (name: string, body: string) =>
      writeFile(join(bin, name), `#!/bin/sh\necho "${name} $*" >> "${dir}/calls"\n${body}\n`, { mode: 0o755 });
    await fake('lava-test-raise', 'exit 1');
    const definition = parse(toYaml(testDefinition({ ...DEFAULT_PARAMS, AGENTS: bin }))) as {
      run: { steps: string[] };
      params: Record<string, string>;
    };
    const params = Object.entries(definition.params).map(([k, v]) => `${k}='${v}'`);
    const script = join(dir, 'run.sh');
    await writeFile(script, ['set -e', ...params, ...definition.run.steps, 'echo "end of steps"'].join('\n'));
    for (const [exit, raised] of [
      [0, false],
      [1, false],
      [2, true],
      [125, true],
    ] as const) {
      await rm(join(dir, 'calls'), { force: true });
      await fake('vfio-reset-target', `exit ${exit}`);
      const r = await execa('sh', [script], {
        reject: false,
        all: true,
        env: { PATH: `${bin}:${process.env['PATH']}` },
      });
      const calls = await readFile(join(dir, 'calls'), 'utf8');
      expect(calls, `runner exit ${exit}`).to.match(
        /^vfio-reset-target --signal KILL --out \/tmp\/vfio-reset-target$/m,
      );
      expect(
        /lava-test-raise vfio-reset-target could not decide/.test(calls),
        `runner exit ${exit}: ${calls}`,
      ).to.equal(raised);
      expect(r.exitCode === 0 && (r.all ?? '').includes('end of steps'), `runner exit ${exit}`).to.equal(!raised);
    }
  });

  it('writes a test definition whose steps are one POSIX shell script running an agent we build', async () => {
    const definition = parse(toYaml(testDefinition())) as { run: { steps: string[] }; params: Record<string, string> };
    const script = join(dir, 'steps.sh');
    await writeFile(script, `${definition.run.steps.join('\n')}\n`);
    const syntax = await execa('sh', ['-n', script], { reject: false, all: true });
    expect(syntax.exitCode, syntax.all).to.equal(0);
    const makefile = await readFile(join(AGENT_DIR, 'Makefile'), 'utf8');
    expect(/^AGENTS := (.*)$/m.exec(makefile)![1]!.split(/\s+/)).to.include('vfio-reset-target');
    expect(definition.run.steps.join('\n')).to.match(/"\$AGENTS\/vfio-reset-target" --signal "\$SIGNAL"/);
    // Whatever the runner could not decide ends the job Incomplete, never as a failed test.
    expect(definition.run.steps.join('\n')).to.match(/case \$status in 0\|1\) ;; \*\) lava-test-raise/);
    const boardDefinition = (
      jobs['a real board (tftp, u-boot)']!.actions[2]!['test'] as unknown as {
        definitions: Array<{ repository: { params: Record<string, string> } }>;
      }
    ).definitions[0]!.repository.params;
    expect(boardDefinition).to.include({ AGENTS_URL: artifacts.agentsUrl, TRAFFIC_FROM: 'eth1', SIGNAL: 'SEGV' });
  });
});
