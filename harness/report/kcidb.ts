// SPDX-License-Identifier: GPL-2.0-only
/**
 * A set of runs as KernelCI results: KCIDB JSON, schema v5.0 (one checkout
 * and one build from the provenance; a test per run and per oracle). A run
 * that decided nothing is never a FAIL: MISS when it never got to the kill
 * (the test did not run), ERROR when it did and its evidence was unusable.
 * Control runs test the harness, not the kernel: their oracles are DONE
 * with the count they saw. The origin is the submitting CI system's name
 * (VFIO_RESET_KCIDB_ORIGIN, default vfio_reset).
 */
import { InputError } from '../lib/errors.ts';
import { sha256 } from '../cache/digest.ts';
import type { CampaignReport, RunRecord } from './report-format.ts';
import type { OracleResult } from '../oracles/finding.ts';
import { unprovenPasses, type UnprovenPass } from '../judge/verdict.ts';

export const KCIDB_VERSION = { major: 5, minor: 0 } as const;
const DEFAULT_ORIGIN = 'vfio_reset';
/** KCIDB keeps no more of a log excerpt. */
const MAX_EXCERPT = 16_384;
/** The root compatible of QEMU's virt board, L1's machine. */
const L1_COMPATIBLE = 'linux,dummy-virt';

export type KcidbStatus = 'FAIL' | 'ERROR' | 'MISS' | 'PASS' | 'DONE' | 'SKIP';

export interface KcidbTest {
  readonly id: string;
  readonly origin: string;
  readonly build_id: string;
  readonly path: string;
  readonly status: KcidbStatus;
  readonly comment: string;
  readonly environment: { readonly comment: string; readonly compatible: readonly string[]; readonly misc: object };
  readonly duration?: number;
  readonly log_excerpt?: string;
  readonly number?: { readonly value: number };
  readonly misc: object;
}

export interface KcidbReport {
  readonly version: typeof KCIDB_VERSION;
  readonly checkouts: ReadonlyArray<Record<string, unknown>>;
  readonly builds: ReadonlyArray<Record<string, unknown>>;
  readonly tests: readonly KcidbTest[];
}

export function kcidbOrigin(env: NodeJS.ProcessEnv = process.env): string {
  const origin = env['VFIO_RESET_KCIDB_ORIGIN'] ?? DEFAULT_ORIGIN;
  if (!/^[a-z0-9_]+$/.test(origin))
    throw new InputError(
      `VFIO_RESET_KCIDB_ORIGIN=${origin} is not a KCIDB origin (lower-case letters, digits and _ only); ` +
        "set it to your CI system's registered origin",
    );
  return origin;
}

/** KCIDB's patchset hash: sha256 over the newline-terminated sha256 of each patch, in order; '' for none. */
function patchsetHash(patches: Record<string, string>): string {
  const digests = Object.keys(patches)
    .sort()
    .map((name) => patches[name]!);
  return digests.length === 0 ? '' : sha256(digests.map((d) => `${d}\n`).join(''));
}

function checkoutOf(report: CampaignReport, origin: string): Record<string, unknown> {
  const k = report.provenance.kernel;
  const source = k.source;
  const common = {
    origin,
    patchset_hash: patchsetHash(k.patches),
    start_time: report.created,
    misc: { kernel_release: k.release, source },
  };
  switch (source.kind) {
    case 'tree':
      return {
        id: `${origin}:${source.revision}${source.dirtyDigest === null ? '' : `+dirty-${source.dirtyDigest}`}`,
        ...common,
        git_commit_hash: source.revision,
        comment: `the kernel tree ${source.dir}${source.dirtyDigest === null ? '' : ' with uncommitted changes'}`,
      };
    case 'debian-package':
      return {
        id: `${origin}:debian-${source.package}-${source.version}`,
        ...common,
        tree_name: 'debian',
        comment: `Debian's ${source.package} ${source.version}`,
      };
    case 'prebuilt-image':
      return {
        id: `${origin}:prebuilt-${source.imageSha256}`,
        ...common,
        comment: `a prebuilt arm64 Image (sha256 ${source.imageSha256})`,
      };
  }
}

/** The test path of a run: vfio.platform.reset.<scenario>.<control>.<traffic pattern>. */
export function runPath(run: RunRecord): string {
  return `vfio.platform.reset.${run.spec.scenario}.${run.spec.control}.${run.spec.pattern}`;
}

function runStatus(run: RunRecord, unproven: UnprovenPass | null): KcidbStatus {
  switch (run.verdict.kind) {
    case 'pass':
      return unproven === null ? 'PASS' : 'SKIP';
    case 'detected':
      return 'PASS';
    case 'regression':
      return 'FAIL';
    case 'not-applicable':
      return 'SKIP';
    case 'invalid':
      // It never reached the kill: the test did not run. Past it, the evidence was unusable.
      return run.killWallClock === null ? 'MISS' : 'ERROR';
  }
}

function excerptOf(run: RunRecord, unproven: UnprovenPass | null): string | undefined {
  const reason = 'reason' in run.verdict ? run.verdict.reason : unproven?.reason;
  if (reason === undefined) return undefined;
  const text = [reason, run.errorTail ?? ''].filter((t) => t !== '').join('\n\n');
  return text.length <= MAX_EXCERPT ? text : text.slice(text.length - MAX_EXCERPT);
}

type TestBase = Omit<KcidbTest, 'id' | 'path' | 'status'>;

/**
 * One oracle of a run: PASS silent, FAIL fired (a run without a control), SKIP silent but proven by no detected
 * control of the set; DONE with its count (a control run).
 */
function oracleTest(
  run: RunRecord,
  o: OracleResult,
  base: TestBase,
  id: string,
  unproven: UnprovenPass | null,
): KcidbTest {
  const control = run.spec.control !== 'none';
  const trusted = unproven === null || !unproven.oracles.includes(o.oracle);
  const status: KcidbStatus = control ? 'DONE' : o.fired ? 'FAIL' : trusted ? 'PASS' : 'SKIP';
  const seen = o.first === null ? o.looked : `${o.first.detail} (${o.first.tRelMs ?? '?'} ms from the kill)`;
  return {
    ...base,
    id,
    path: `${runPath(run)}.${o.oracle}`,
    status,
    comment: `${o.vantage}: ${o.looked}`,
    ...(o.fired ? { log_excerpt: seen } : {}),
    ...(control ? { number: { value: o.count } } : {}),
  };
}

export function kcidbOf(report: CampaignReport, origin: string): KcidbReport {
  const checkout = checkoutOf(report, origin);
  const buildId = `${origin}:kernel-${report.provenance.kernel.cacheKey}`;
  const build = {
    id: buildId,
    origin,
    checkout_id: checkout['id'],
    architecture: 'arm64',
    config_name: `vfio-reset+${Object.keys(report.provenance.kernel.fragments).sort().join('+')}`,
    status: 'PASS',
    misc: { kernel_release: report.provenance.kernel.release, fragments: report.provenance.kernel.fragments },
  };
  const q = report.provenance.l0Qemu;
  const machine = `L1, a Midway-like arm64 virt machine under ${q.version} (TCG)`;
  const unprovenPass = unprovenPasses(report.runs);
  const tests = report.runs.flatMap((run): KcidbTest[] => {
    const unproven = unprovenPass(run);
    const id = `${origin}:${run.spec.seed}`;
    const base: TestBase = {
      origin,
      build_id: buildId,
      comment: '',
      environment: {
        comment: `${machine}, host ${report.provenance.host.hostname}`,
        compatible: [L1_COMPATIBLE],
        misc: { l0_qemu: q, signal: run.spec.signal, repetition: run.spec.repetition },
      },
      misc: { verdict: run.verdict, run_dir: run.dir, harness: report.provenance.harness.revision },
    };
    const excerpt = excerptOf(run, unproven);
    const runTest: KcidbTest = {
      ...base,
      id,
      path: runPath(run),
      status: runStatus(run, unproven),
      comment:
        `${run.spec.scenario}, ${run.spec.control === 'none' ? 'no control' : `control ${run.spec.control}`}, ` +
        `${run.spec.pattern} traffic, user #1 killed with SIG${run.spec.signal}`,
      duration: run.seconds,
      ...(excerpt !== undefined ? { log_excerpt: excerpt } : {}),
    };
    // The oracles of a run that decided nothing are not evidence.
    if (run.verdict.kind === 'invalid' || run.verdict.kind === 'not-applicable') return [runTest];
    return [runTest, ...run.oracles.map((o) => oracleTest(run, o, base, `${id}.${o.oracle}`, unproven))];
  });
  return { version: KCIDB_VERSION, checkouts: [checkout], builds: [build], tests };
}
