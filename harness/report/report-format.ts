// SPDX-License-Identifier: GPL-2.0-only
/**
 * report.json, the published record of a set of runs: its format is owned
 * here and versioned by REPORT_FORMAT. It is written from the engine's
 * results by one mapping (runRecordOf), so that a change inside the engine
 * cannot change the report without a change here, and it is validated
 * field by field when read (merge), so that a torn or foreign file is
 * refused by name instead of merged.
 */
import type { RunResult } from '../judge/run-result.ts';
import { CONTROLS, KILL_SIGNALS, SCENARIOS, TRAFFIC_PATTERNS, type RunSpec } from '../plan/run-spec.ts';
import { ORACLE_NAMES, VANTAGES } from '../plan/oracles.ts';
import { KILL_STATES, type KillState } from '../plan/kill-states.ts';
import type { OracleResult } from '../oracles/finding.ts';
import type { Verdict } from '../judge/verdict.ts';
import type { Provenance } from './provenance.ts';
import {
  arrayField,
  booleanField,
  field,
  FieldError,
  numberField,
  objectField,
  oneOfField,
  stringField,
  type Fields,
} from '../lib/fields.ts';

/**
 * 2: runs have a traffic pattern, verdicts may be not-applicable, every run has its evidence.json.
 * 3: runs name the device's states at the kill.
 */
export const REPORT_FORMAT = 'vfio-reset-report/3';

export interface RunRecord {
  readonly id: string;
  readonly spec: RunSpec;
  readonly verdict: Verdict;
  readonly oracles: readonly OracleResult[];
  /** What user #1 did before the kill; null if it never came up. */
  readonly user1: {
    readonly frames: number;
    readonly irqs: number;
    readonly payloadsVerified: number | null;
    readonly live: boolean;
  } | null;
  /** Instants relative to the kill (ms). */
  readonly timeline: Readonly<Record<string, number>>;
  /** Wall-clock ms of the kill (the L0 trace's clock), null if the run never got there. */
  readonly killWallClock: number | null;
  /** The device's states at the kill, from the L0 trace (plan/kill-states.ts); null without a kill or a trace. */
  readonly killStates: readonly KillState[] | null;
  readonly phases: ReadonlyArray<{ readonly name: string; readonly seconds: number }>;
  /** The run's artifact directory. */
  readonly dir: string;
  readonly seconds: number;
  readonly notes: readonly string[];
  /** For a run that failed on the way or crashed the kernel: the lines that show why. */
  readonly errorTail: string | null;
}

export interface CampaignReport {
  readonly format: typeof REPORT_FORMAT;
  readonly created: string;
  /** What was asked (a campaign request, or the shards a merge took); recorded, not interpreted. */
  readonly request: Fields;
  /** The cycle's windows and timeouts, recorded so that a run can be compared with another. */
  readonly timing: Fields;
  readonly provenance: Provenance;
  readonly exitCode: number;
  readonly runs: readonly RunRecord[];
}

export function runRecordOf(result: RunResult): RunRecord {
  return {
    id: result.id,
    spec: result.spec,
    verdict: result.verdict,
    oracles: result.oracles,
    user1: result.user1,
    timeline: result.timeline,
    killWallClock: result.killWallClock,
    killStates: result.killStates,
    phases: result.phases,
    dir: result.dir,
    seconds: result.seconds,
    notes: result.notes,
    errorTail: result.errorTail,
  };
}

const VERDICTS_WITH_REASON = ['regression', 'not-applicable', 'invalid'] as const;

function nullable<T>(object: Fields, where: string, name: string, read: () => T): T | null {
  return field(object, where, name) === null ? null : read();
}

function stringList(object: Fields, where: string, name: string): string[] {
  const raw = field(object, where, name);
  if (!Array.isArray(raw) || raw.some((s) => typeof s !== 'string'))
    throw new FieldError(`${where}: field ${name} is not a list of strings`);
  return raw as string[];
}

function decodeSpec(s: Fields, where: string): RunSpec {
  return {
    scenario: oneOfField(s, where, 'scenario', SCENARIOS),
    control: oneOfField(s, where, 'control', ['none', ...CONTROLS] as const),
    signal: oneOfField(s, where, 'signal', KILL_SIGNALS),
    pattern: oneOfField(s, where, 'pattern', TRAFFIC_PATTERNS),
    ...(s['killAt'] !== undefined ? { killAt: oneOfField(s, where, 'killAt', KILL_STATES) } : {}),
    seed: stringField(s, where, 'seed'),
    repetition: numberField(s, where, 'repetition'),
  };
}

function decodeVerdict(v: Fields, where: string): Verdict {
  const kind = oneOfField(v, where, 'kind', ['pass', 'detected', ...VERDICTS_WITH_REASON] as const);
  if (kind === 'pass' || kind === 'detected') return { kind };
  return { kind, reason: stringField(v, where, 'reason') };
}

function decodeOracle(o: Fields, where: string): OracleResult {
  return {
    oracle: oneOfField(o, where, 'oracle', ORACLE_NAMES),
    vantage: oneOfField(o, where, 'vantage', VANTAGES),
    fired: booleanField(o, where, 'fired'),
    count: numberField(o, where, 'count'),
    first: nullable(o, where, 'first', () => {
      const f = objectField(o, where, 'first');
      return {
        tRelMs: nullable(f, `${where} first`, 'tRelMs', () => numberField(f, `${where} first`, 'tRelMs')),
        detail: stringField(f, `${where} first`, 'detail'),
      };
    }),
    looked: stringField(o, where, 'looked'),
  };
}

function decodeRun(r: Fields, index: number): RunRecord {
  const where = `run ${index + 1}`;
  const user1 = nullable(r, where, 'user1', () => {
    const u = objectField(r, where, 'user1');
    const uw = `${where} user1`;
    return {
      frames: numberField(u, uw, 'frames'),
      irqs: numberField(u, uw, 'irqs'),
      payloadsVerified: nullable(u, uw, 'payloadsVerified', () => numberField(u, uw, 'payloadsVerified')),
      live: booleanField(u, uw, 'live'),
    };
  });
  const timeline = objectField(r, where, 'timeline');
  return {
    id: stringField(r, where, 'id'),
    spec: decodeSpec(objectField(r, where, 'spec'), `${where} spec`),
    verdict: decodeVerdict(objectField(r, where, 'verdict'), `${where} verdict`),
    oracles: arrayField(r, where, 'oracles').map((o, i) => decodeOracle(o, `${where} oracle ${i + 1}`)),
    user1,
    timeline: Object.fromEntries(Object.keys(timeline).map((k) => [k, numberField(timeline, `${where} timeline`, k)])),
    killWallClock: nullable(r, where, 'killWallClock', () => numberField(r, where, 'killWallClock')),
    killStates: nullable(r, where, 'killStates', () =>
      stringList(r, where, 'killStates').map((s) => {
        if (!(KILL_STATES as readonly string[]).includes(s))
          throw new FieldError(`${where}: killStates has ${JSON.stringify(s)}, not one of ${KILL_STATES.join(', ')}`);
        return s as KillState;
      }),
    ),
    phases: arrayField(r, where, 'phases').map((p) => ({
      name: stringField(p, `${where} phase`, 'name'),
      seconds: numberField(p, `${where} phase`, 'seconds'),
    })),
    dir: stringField(r, where, 'dir'),
    seconds: numberField(r, where, 'seconds'),
    notes: stringList(r, where, 'notes'),
    errorTail: nullable(r, where, 'errorTail', () => stringField(r, where, 'errorTail')),
  };
}

/** A report.json read back; throws FieldError naming the first field that is missing or malformed. */
export function decodeReport(json: unknown): CampaignReport {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new FieldError('not a JSON object');
  const report = json as Fields;
  const format = stringField(report, 'the report', 'format');
  if (format !== REPORT_FORMAT) throw new FieldError(`it is a ${format} report, not ${REPORT_FORMAT}`);
  const provenance = objectField(report, 'the report', 'provenance');
  for (const part of ['harness', 'host', 'l0Qemu', 'kernel', 'images']) objectField(provenance, 'provenance', part);
  return {
    format: REPORT_FORMAT,
    created: stringField(report, 'the report', 'created'),
    request: objectField(report, 'the report', 'request'),
    timing: objectField(report, 'the report', 'timing'),
    // Its parts are checked above; within them it is a record of the stack, compared whole by merge.
    provenance: provenance as unknown as Provenance,
    exitCode: numberField(report, 'the report', 'exitCode'),
    runs: arrayField(report, 'the report', 'runs').map(decodeRun),
  };
}
