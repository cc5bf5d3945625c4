// SPDX-License-Identifier: GPL-2.0-only
/** What an oracle says about one run: whether it saw the hazard, how much, and the first offending event. */
import type { OracleName, Vantage } from '../plan/oracles.ts';

export interface OracleResult {
  readonly oracle: OracleName;
  /** Which vantage point: L0 (the device's own trace), L1 (the host kernel), user #2 (the next user). */
  readonly vantage: Vantage;
  readonly fired: boolean;
  readonly count: number;
  /** The first offending event, with its time relative to the kill (ms). */
  readonly first: { readonly tRelMs: number | null; readonly detail: string } | null;
  /** One line saying what was looked at, for the report. */
  readonly looked: string;
}

export function silent(oracle: OracleName, vantage: OracleResult['vantage'], looked: string): OracleResult {
  return { oracle, vantage, fired: false, count: 0, first: null, looked };
}

/** A finding: `count` offending events, the first of them with its time from the kill (null: not placed in time). */
export function fired(
  oracle: OracleName,
  vantage: OracleResult['vantage'],
  looked: string,
  count: number,
  first: NonNullable<OracleResult['first']>,
): OracleResult {
  return { oracle, vantage, fired: true, count, first, looked };
}
