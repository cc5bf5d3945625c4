/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What one cycle of the on-target runner established, and its report: a
 * KTAP subtest with a case per step and per oracle (the L0 ones skipped:
 * a host has no trace of the emulated device), and the same cases through
 * LAVA's lava-test-case when LAVA's helpers are on PATH. Whatever kept a
 * case from being decided is LAVA's "unknown" and KTAP's SKIP, never a
 * failure: a failure is a finding about the kernel under test.
 */
#ifndef TARGET_REPORT_H
#define TARGET_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include "ktap.h"
#include "target-oracles.h"

struct target_cycle {
	const char *name;		/* "control.kernel-no-reset", "scenario.raw-driver" */
	bool control;			/* the oracles must fire (TARGET_MUST_FIRE) rather than stay silent */
	char undecided[320];		/* why the cycle could not be decided; "" if it could */
	char bind_refused[1100];	/* what the kernel said when it refused the bind; "" if it did not */
	bool live;			/* user 1 had frames and IRQs */
	unsigned int frames, frames_verified, irqs;
	char open_failure[320];		/* a user's open of the device that failed; "" if none did */
	char release_hang[320];		/* user 1 still in the kernel after the kill: its state; "" if it went */
	double release_ms;		/* how long user 1 took to go after the signal; 0 if never killed */
	bool judged;			/* user 2 reported: findings hold every oracle's */
	struct target_evidence evidence;
	struct target_finding findings[TARGET_ORACLE_COUNT];
};

struct target_reporter {
	FILE *out;
	bool lava;			/* lava-test-case is on PATH */
	const char *signal_name;
};

struct cycle_verdict {
	enum ktap_result result;
	bool undecided;			/* a SKIP for want of evidence (LAVA's "unknown") */
	const char *why;
};

/* One case, in KTAP and, under LAVA, as set.name (set may be NULL); measurement_ms if not negative. */
void report_case(const struct target_reporter *r, struct ktap *k, const char *set, enum ktap_result result,
		 bool undecided, const char *name, const char *why, double measurement_ms);

/* Writes the cycle as a subtest at depth and returns its own result, for the parent's line. */
struct cycle_verdict report_cycle(const struct target_reporter *r, const struct target_cycle *cy, unsigned int depth);

#endif
