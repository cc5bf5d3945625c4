// SPDX-License-Identifier: GPL-2.0-only
/** The next user's read of the device's quiescence registers, before it enables anything: what the reset left. */
import { quiescenceViolations, type XgmacRegisterState } from '../devices/xgmac.ts';
import { fired, silent, type OracleResult } from './finding.ts';

/** `tRelMs`: when the read was made, relative to the kill. */
export function registersOracle(state: XgmacRegisterState, tRelMs: number | null, looked: string): OracleResult {
  const violations = quiescenceViolations(state);
  return violations.length === 0
    ? silent('user2-registers', 'user2', looked)
    : fired('user2-registers', 'user2', looked, violations.length, { tRelMs, detail: violations.join(', ') });
}
