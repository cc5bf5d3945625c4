// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE
#include "target-report.h"
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "target-plan.h"

static void lava(const struct target_reporter *r, char *const argv[])
{
	pid_t pid;

	if (!r->lava)
		return;
	fflush(r->out);
	pid = fork();
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

void report_case(const struct target_reporter *r, struct ktap *k, const char *set, enum ktap_result result,
		 bool undecided, const char *name, const char *why, double measurement_ms)
{
	const char *verdict = result == KTAP_PASS   ? "pass"
			      : result == KTAP_FAIL ? "fail"
			      : undecided	    ? "unknown"
						    : "skip";
	char full[256], measurement[32];
	char *plain[] = { "lava-test-case", full, "--result", (char *)verdict, NULL };
	char *measured[] = { "lava-test-case", full, "--result", (char *)verdict, "--measurement", measurement,
			     "--units", "ms", NULL };

	ktap_result(k, result, name, why);
	snprintf(full, sizeof(full), "%s%s%s", set ? set : "", set ? "." : "", name);
	snprintf(measurement, sizeof(measurement), "%.0f", measurement_ms);
	lava(r, measurement_ms >= 0 ? measured : plain);
}

/* The L0 oracles, which need the emulated device's trace: named so that the report says they were absent. */
static void report_absent(const struct target_reporter *r, struct ktap *k, const char *set)
{
	static const char *const absent[] = TARGET_ABSENT_ORACLES;

	for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
		report_case(r, k, set, KTAP_SKIP, false, absent[i], "no L0 vantage here (the emulated device's trace)",
			    -1);
}

/* The steps before the oracles: whether the kernel's VFIO path failed a user (a finding) or the cycle stopped. */
static bool report_steps(const struct target_reporter *r, struct ktap *k, const struct target_cycle *cy)
{
	bool failed = false;
	char why[400];

	if (cy->bind_refused[0]) {
		/* Refused for want of a reset function: users can no longer assign the device. */
		failed = !cy->control && strcasestr(cy->bind_refused, "no reset function");
		report_case(r, k, cy->name, failed ? KTAP_FAIL : KTAP_SKIP, !failed, "bind", cy->bind_refused, -1);
		report_case(r, k, cy->name, KTAP_SKIP, !failed, "user1-live", "the device was not bound", -1);
		report_case(r, k, cy->name, KTAP_SKIP, !failed, "release", "the device was not bound", -1);
		return failed;
	}
	report_case(r, k, cy->name, KTAP_PASS, false, "bind", "vfio-platform holds the device", -1);
	snprintf(why, sizeof(why), "%u frames (%u with this run's payload), %u IRQs", cy->frames, cy->frames_verified,
		 cy->irqs);
	if (cy->open_failure[0] && !cy->live) {
		failed = true;
		report_case(r, k, cy->name, KTAP_FAIL, false, "user1-live", cy->open_failure, -1);
	} else {
		report_case(r, k, cy->name, cy->live ? KTAP_PASS : KTAP_SKIP, true, "user1-live",
			    cy->live ? why : cy->undecided, -1);
	}
	if (cy->release_hang[0]) {
		failed = true;
		snprintf(why, sizeof(why), "user 1 still in the kernel %u s after SIG%s: %s",
			 TARGET_RELEASE_TIMEOUT_MS / 1000, r->signal_name, cy->release_hang);
		report_case(r, k, cy->name, KTAP_FAIL, false, "release", why, -1);
	} else if (cy->release_ms > 0) {
		snprintf(why, sizeof(why), "user 1 gone %.0f ms after SIG%s", cy->release_ms, r->signal_name);
		report_case(r, k, cy->name, KTAP_PASS, false, "release", why, cy->release_ms);
	} else {
		report_case(r, k, cy->name, KTAP_SKIP, !failed, "release", "user 1 was never killed", -1);
	}
	return failed;
}

struct cycle_verdict report_cycle(const struct target_reporter *r, const struct target_cycle *cy, unsigned int depth)
{
	static const char *const names[] = TARGET_ORACLES;
	bool failed, fired = false, missed = false;
	char why[400];
	struct ktap k;

	lava(r, (char *[]){ "lava-test-set", "start", (char *)cy->name, NULL });
	ktap_begin(&k, r->out, depth, cy->name, 3 + TARGET_ORACLE_COUNT + TARGET_ABSENT_COUNT);
	failed = report_steps(r, &k, cy);
	/* Failing a user at the open, or later a second user's open, ends the cycle too. */
	failed |= cy->open_failure[0] != '\0';
	for (unsigned int i = 0; i < TARGET_ORACLE_COUNT; i++) {
		const struct target_finding *f = &cy->findings[i];
		bool must = target_must_fire(names[i]), bad;

		if (!cy->judged) {
			report_case(r, &k, cy->name, KTAP_SKIP, !failed, names[i],
				    failed ? "the cycle failed before user 2 reported" : cy->undecided, -1);
			continue;
		}
		snprintf(why, sizeof(why), "%s%s%s", f->fired ? "fired: " : "silent", f->fired ? f->detail : "",
			 cy->control && !must ? " (not required)" : "");
		bad = cy->control ? must && !f->fired : f->fired;
		fired |= f->fired;
		missed |= cy->control && must && !f->fired;
		report_case(r, &k, cy->name, bad ? KTAP_FAIL : KTAP_PASS, false, names[i], why, -1);
	}
	report_absent(r, &k, cy->name);
	lava(r, (char *[]){ "lava-test-set", "stop", (char *)cy->name, NULL });
	if (failed)
		return (struct cycle_verdict){ KTAP_FAIL, false, "the kernel's VFIO path failed a user" };
	if (!cy->judged)
		return (struct cycle_verdict){ KTAP_SKIP, true, cy->undecided[0] ? cy->undecided : "undecided" };
	if (cy->control && missed)
		return (struct cycle_verdict){ KTAP_FAIL, false, "an oracle it must fire stayed silent here" };
	if (cy->control)
		return (struct cycle_verdict){ KTAP_PASS, false, "the oracles it must fire fired" };
	return fired ? (struct cycle_verdict){ KTAP_FAIL, false, "the device was not reset for its next user" }
		     : (struct cycle_verdict){ KTAP_PASS, false, "silent" };
}
