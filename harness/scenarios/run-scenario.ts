// SPDX-License-Identifier: GPL-2.0-only
/** One run of a scenario: its record's users (plan/scenarios.ts) through the shared cycle. */
import type { RunResult } from '../judge/run-result.ts';
import type { ScenarioName } from '../plan/run-spec.ts';
import { runCycle } from './cycle.ts';
import { rawDriverUsers } from './raw-driver.ts';
import type { RunContext, ScenarioUsers } from './users.ts';
import { VM_USERS } from './vm.ts';

/** Who the users of each scenario are, for one run (a scenario's users may keep state of their own for it). */
const USERS: Readonly<Record<ScenarioName, (ctx: RunContext) => ScenarioUsers>> = {
  'raw-driver': rawDriverUsers,
  vm: () => VM_USERS,
};

export function runScenario(ctx: RunContext): Promise<RunResult> {
  return runCycle(ctx, USERS[ctx.spec.scenario]);
}
