// SPDX-License-Identifier: GPL-2.0-only
/*
 * The L1 half of the raw-driver reset scenario as one self-contained test
 * for any arm64 Linux host that runs the kernel under test and has an XGMAC:
 * bind the device to vfio-platform, run user #1 (xgmac-vfio-driver) until
 * frames and IRQs flow, kill it with a real signal, keep a quiet window,
 * hand the device to user #2 (xgmac-reset-probe), and judge what the host
 * kernel and user #2 saw (target-oracles.h). Output is KTAP, and one
 * lava-test-case line per case when LAVA's helpers are on PATH.
 *
 * On its own it runs two cycles: first the kernel-side control (the reset
 * taken away: vfio_platform.reset_required=0 and the reset module kept from
 * loading), which must make the oracles fire, then the scenario. A silent
 * scenario passes only if the control fired on this host: otherwise its
 * silence proves nothing, and the scenario is skipped.
 *
 * With --paced it runs one cycle for the harness, which adds the emulated
 * device's trace and the controls around it: every report of the agents
 * and of the runner goes to stdout as a JSON line tagged "from", and the
 * runner waits on stdin for the harness's word ("user1", "kill", "user2",
 * "end-window", "collect") where the harness decides when to go on, the
 * kernel's log after the kill relayed for the harness to judge too.
 *
 * Frames must reach the XGMAC from outside: a link partner, or
 * --traffic-from IFACE, which sends this run's frames out of another
 * interface of the host wired to it (frame-sender).
 *
 * Usage: vfio-reset-target [--device NAME] [--signal KILL|SEGV|ABRT|TERM]
 *            [--control both|none|kernel-no-reset] [--key HEX32 --run-id N]
 *            [--traffic-from IFACE] [--agents DIR] [--out DIR]
 *            [--paced --ktap FILE]
 * Exit status, the harness's own (contract.h): 0 every case decided and
 * passed, 1 a case failed, 2 bad usage, 125 something kept a case from
 * being decided (an infrastructure error, not a finding), as git bisect
 * run reads it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include "agent-lib.h"
#include "ktap.h"
#include "target-agents.h"
#include "target-host.h"
#include "target-oracles.h"
#include "target-plan.h"
#include "target-report.h"
#include "xgmac-regs.h"

struct options {
	const char *device;
	const char *signal_name;
	int signal;
	const char *control;		/* both, none, kernel-no-reset */
	const char *traffic_from;
	const char *agents;
	const char *ktap_path;
};

/* What one cycle works with. */
struct runner {
	const struct options *opt;
	struct target_link *link;
	struct host_device device;
};

/* Ends the run for a usage error: one line saying what is wrong and how to fix it. */
static _Noreturn void __attribute__((format(printf, 1, 2))) usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("vfio-reset-target: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see the usage at the top of guest-agents/vfio-reset-target.c)\n", stderr);
	exit(EXIT_USAGE);
}

/* s as the inside of a JSON string: the kernel's words may hold quotes and backslashes. */
static const char *json_inner(const char *s)
{
	static char buf[2048];
	size_t n = 0;

	for (; *s && n + 7 < sizeof(buf); s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			n += snprintf(buf + n, sizeof(buf) - n, "\\%c", c);
		else if (c < 0x20)
			n += snprintf(buf + n, sizeof(buf) - n, "\\u%04x", c);
		else
			buf[n++] = c;
	}
	buf[n] = '\0';
	return buf;
}

static void __attribute__((format(printf, 3, 4))) undecided(struct runner *r, struct target_cycle *cy,
								   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cy->undecided, sizeof(cy->undecided), fmt, ap);
	va_end(ap);
	link_event(r->link, EVENT_UNDECIDED, "\"why\":\"%s\"", json_inner(cy->undecided));
}

/* An open that failed is the kernel's VFIO path failing the user: a finding, unlike other agent errors. */
static bool failed_open(struct target_cycle *cy, const struct agent_child *c)
{
	if (!c->failed || !strstr(c->failure, "\"step\":\"get_device_fd\""))
		return false;
	snprintf(cy->open_failure, sizeof(cy->open_failure), "%s's open failed: %.256s", c->who, c->failure);
	return true;
}

static bool user1_live(void *ctx)
{
	const struct agent_child *c = ctx;

	return c->ready && c->frames >= TARGET_LIVE_FRAMES && c->irqs > 0 &&
	       (!c->link->have_key || c->frames_verified == c->frames);
}

static bool user1_ready(void *ctx)
{
	const struct agent_child *c = ctx;

	return c->failed || c->exited || c->ready;
}

static bool user1_settled(void *ctx)
{
	const struct agent_child *c = ctx;

	return c->failed || c->exited || user1_live(ctx);
}

static bool probe_at_registers(void *ctx)
{
	const struct agent_child *c = ctx;

	return c->failed || c->exited || c->registers;
}

struct kernel_log {
	struct runner *runner;
	struct smmu_log_reader smmu;
};

/* A line the kernel logged after the kill: read for SMMU events, and (paced) relayed as dmesg prints it. */
static void after_kill(void *ctx, unsigned long long usec, const char *text)
{
	struct kernel_log *log = ctx;

	link_event(log->runner->link, EVENT_KMSG, "\"line\":\"[%5llu.%06llu] %s\"", usec / 1000000, usec % 1000000,
		   json_inner(text));
	target_smmu_line(&log->smmu, text);
}

/* The run's payload key and id as an agent's --key/--tx-key and --run-id/--tx-run-id take them. */
static void key_args(const struct target_link *l, char key[33], char run_id[16])
{
	for (unsigned int i = 0; i < sizeof(l->key); i++)
		snprintf(key + 2 * i, 3, "%02x", l->key[i]);
	snprintf(run_id, 16, "%u", l->run_id);
}

static void agent_path(const struct runner *r, char *buf, size_t size, const char *agent)
{
	snprintf(buf, size, "%s/%s", r->opt->agents, agent);
}

/* User 1 from its start to its end by the run's signal; false if the cycle ends there. */
static bool run_user1(struct runner *r, struct target_cycle *cy, int *kmsg)
{
	char driver[PATH_MAX], iova[32], key[33], run_id[16];
	char *argv[] = { driver, "--device", (char *)r->device.name, "--iova", iova,
			 "--tx-key", key, "--tx-run-id", run_id, NULL };
	struct agent_child user1;
	struct agent_child *kids[] = { &user1 };
	uint64_t killed_at;

	snprintf(iova, sizeof(iova), "0x%llx", (unsigned long long)TARGET_IOVA);
	/* With the run's key, user 1 transmits the run's frames all its life; without, it only receives. */
	if (r->link->have_key)
		key_args(r->link, key, run_id);
	else
		argv[5] = NULL;
	agent_path(r, driver, sizeof(driver), "xgmac-vfio-driver");
	agent_start(r->link, &user1, FROM_USER1, argv);
	/* As long as the harness gives it: the open (the kernel's reset among it), then the frames once ready. */
	if (agent_pump(r->link, kids, 1, TARGET_OPEN_TIMEOUT_MS, user1_ready, &user1))
		agent_pump(r->link, kids, 1, TARGET_LIVE_TIMEOUT_MS, user1_settled, &user1);
	cy->frames = user1.frames;
	cy->irqs = user1.irqs;
	cy->frames_verified = user1.frames_verified;
	cy->live = user1_live(&user1) && !user1.failed && !user1.exited;
	if (!cy->live) {
		agent_stop(&user1);
		if (!failed_open(cy, &user1))
			undecided(r, cy,
				  "user 1 never had live DMA and IRQs (%u frames, %u IRQs%s): do frames reach it?",
				  user1.frames, user1.irqs, user1.failed ? ", it failed" : "");
		return false;
	}
	if (!agent_go_on(r->link, WORD_KILL, 0, kids, 1)) {
		agent_stop(&user1);
		undecided(r, cy, "the harness went away before the kill");
		return false;
	}
	*kmsg = host_kmsg_from_now();
	/* The log's own time of the kill: its times are placed from this line, never from uptime_s. */
	host_kmsg_note("<6>vfio-reset: SIG%s to pid %d", r->opt->signal_name, (int)user1.pid);
	link_event(r->link, EVENT_KILLING, "\"uptime_s\":%.3f,\"signal\":\"%s\"", boot_us() / 1e6, r->opt->signal_name);
	killed_at = mono_ms();
	kill(user1.pid, r->opt->signal);
	if (!agent_pump(r->link, kids, 1, TARGET_RELEASE_TIMEOUT_MS, agent_exited, &user1)) {
		/* Stuck in the kernel: it cannot be reaped, and the device stays held. */
		host_stuck_state(user1.pid, cy->release_hang, sizeof(cy->release_hang));
		link_event(r->link, EVENT_RELEASE_HANG, "\"seconds\":%u,\"state\":\"%s\"",
			   TARGET_RELEASE_TIMEOUT_MS / 1000, json_inner(cy->release_hang));
		return false;
	}
	cy->release_ms = mono_ms() - killed_at;
	agent_stop(&user1);
	return true;
}

/* User 2 from its start to its report; false if the cycle ends there. */
static bool run_user2(struct runner *r, struct target_cycle *cy)
{
	char probe[PATH_MAX], iova[32], window[32], run_id[16];
	char *argv[] = { probe, "--device", (char *)r->device.name, "--iova", iova, "--window-ms", window,
			 "--canary-run-id", run_id, NULL };
	struct agent_child user2;
	struct agent_child *kids[] = { &user2 };

	snprintf(iova, sizeof(iova), "0x%llx", (unsigned long long)TARGET_IOVA);
	snprintf(window, sizeof(window), "%u", TARGET_WINDOW_MS);
	/* The run's canary in user 2's memory: a device still reading the old IOVAs sends it. */
	if (r->link->have_key)
		snprintf(run_id, sizeof(run_id), "%u", r->link->run_id);
	else
		argv[7] = NULL;
	agent_path(r, probe, sizeof(probe), "xgmac-reset-probe");
	agent_start(r->link, &user2, FROM_USER2, argv);
	agent_pump(r->link, kids, 1, TARGET_OPEN_TIMEOUT_MS + 15000, probe_at_registers, &user2);
	if (!user2.registers) {
		agent_stop(&user2);
		if (!failed_open(cy, &user2))
			undecided(r, cy, "user 2 reported no registers%s%.256s", user2.failed ? ": " : "",
				  user2.failed ? user2.failure : "");
		return false;
	}
	/* The probe ends its own window at --window-ms; paced, the harness ends it once the L0 trace suffices. */
	if (!agent_go_on(r->link, WORD_END_WINDOW, TARGET_WINDOW_MS, kids, 1)) {
		agent_stop(&user2);
		undecided(r, cy, "the harness went away during user 2's window");
		return false;
	}
	cy->evidence.irq_during = host_irq_count(&r->device);
	link_event(r->link, EVENT_IRQ_SAMPLED, "\"irq_count\":%lld", cy->evidence.irq_during);
	kill(user2.pid, SIGUSR1);
	agent_pump(r->link, kids, 1, TARGET_WINDOW_MS + 15000, agent_exited, &user2);
	agent_stop(&user2);
	if (!user2.memory || !user2.done) {
		undecided(r, cy, "user 2 ended without its memory and done reports");
		return false;
	}
	agent_user2_evidence(&user2, &cy->evidence);
	return true;
}

/* One cycle: the bind, user 1, the kill, the quiet window, user 2, the judgement. */
static void run_cycle(struct runner *r, struct target_cycle *cy)
{
	char said[1024];
	int kmsg = -1;

	if (!host_bind_vfio(&r->device, said, sizeof(said))) {
		snprintf(cy->bind_refused, sizeof(cy->bind_refused), "%s", said);
		link_event(r->link, EVENT_BIND_REFUSED, "\"kernel_says\":\"%s\"", json_inner(said));
		return;
	}
	link_event(r->link, EVENT_BOUND, "\"reset_module_loaded\":%s",
		   host_module_loaded(TARGET_RESET_MODULE) ? "true" : "false");
	if (!agent_go_on(r->link, WORD_USER1, 0, NULL, 0))
		return undecided(r, cy, "the harness went away before user 1");
	if (!run_user1(r, cy, &kmsg))
		goto out;
	cy->evidence.irq_at_release = host_irq_count(&r->device);
	link_event(r->link, EVENT_USER1_GONE, "\"irq_count\":%lld", cy->evidence.irq_at_release);
	if (!agent_go_on(r->link, WORD_USER2, TARGET_QUIET_MS, NULL, 0)) {
		undecided(r, cy, "the harness went away before user 2");
		goto out;
	}
	if (!run_user2(r, cy))
		goto out;
	/* Paced, the harness has stopped the frames first: the log then covers the whole span the harness judges. */
	if (!agent_go_on(r->link, WORD_COLLECT, 0, NULL, 0)) {
		undecided(r, cy, "the harness went away before the kernel's log was read");
		goto out;
	}
	if (kmsg >= 0) {
		struct kernel_log log = { r, { &cy->evidence, XGMAC_SID_BASE, "" } };

		host_kmsg_each(kmsg, after_kill, &log);
		target_smmu_end(&log.smmu);
	}
	target_judge(&cy->evidence, cy->findings);
	cy->judged = true;
	for (unsigned int i = 0; i < TARGET_ORACLE_COUNT; i++)
		link_event(r->link, EVENT_FINDING, "\"oracle\":\"%s\",\"fired\":%s,\"count\":%llu",
			   cy->findings[i].oracle, cy->findings[i].fired ? "true" : "false", cy->findings[i].count);
out:
	if (kmsg >= 0)
		close(kmsg);
}

static const struct {
	const char *name;
	int signal;
} SIGNALS[] = { { "KILL", SIGKILL }, { "SEGV", SIGSEGV }, { "ABRT", SIGABRT }, { "TERM", SIGTERM } };

static void parse_args(struct options *o, struct target_link *l, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },  { "signal", required_argument, NULL, 's' },
		{ "control", required_argument, NULL, 'c' }, { "key", required_argument, NULL, 'k' },
		{ "run-id", required_argument, NULL, 'r' },  { "traffic-from", required_argument, NULL, 't' },
		{ "agents", required_argument, NULL, 'a' },  { "out", required_argument, NULL, 'o' },
		{ "paced", no_argument, NULL, 'p' },	     { "ktap", required_argument, NULL, 'K' },
		{ 0 }
	};
	static char self_dir[PATH_MAX];
	bool have_run_id = false;
	char *slash;
	int c;

	o->signal_name = "KILL";
	o->signal = SIGKILL;
	o->control = "both";
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': o->device = optarg; break;
		case 's':
			o->signal = 0;
			for (size_t i = 0; i < sizeof(SIGNALS) / sizeof(SIGNALS[0]); i++)
				if (strcmp(SIGNALS[i].name, optarg) == 0) {
					o->signal_name = SIGNALS[i].name;
					o->signal = SIGNALS[i].signal;
				}
			if (!o->signal)
				usage_error("--signal %s: not one of KILL, SEGV, ABRT, TERM", optarg);
			break;
		case 'c':
			if (strcmp(optarg, "both") && strcmp(optarg, "none") && strcmp(optarg, "kernel-no-reset"))
				usage_error("--control %s: not one of both, none, kernel-no-reset", optarg);
			o->control = optarg;
			break;
		case 'k':
			if (strlen(optarg) != 32 || strspn(optarg, "0123456789abcdefABCDEF") != 32)
				usage_error("--key %s: give the payload key as 32 hex digits", optarg);
			parse_hex(optarg, l->key, 16, "key");
			l->have_key = true;
			break;
		case 'r':
			l->run_id = (uint32_t)parse_num(optarg, 0, 0, UINT32_MAX, "run_id");
			have_run_id = true;
			break;
		case 't': o->traffic_from = optarg; break;
		case 'a': o->agents = optarg; break;
		case 'o': l->out = optarg; break;
		case 'p': l->paced = true; break;
		case 'K': o->ktap_path = optarg; break;
		default: usage_error("unknown option %s", argv[optind - 1]);
		}
	}
	if (optind != argc)
		usage_error("unexpected argument %s", argv[optind]);
	if (l->have_key != have_run_id)
		usage_error("--key and --run-id go together: give both or neither");
	if (l->paced && (!o->ktap_path || strcmp(o->control, "both") == 0))
		usage_error("--paced runs one cycle for the harness: give --ktap FILE and --control none or "
			    "kernel-no-reset");
	if (!o->agents) {
		snprintf(self_dir, sizeof(self_dir), "%s", argv[0]);
		slash = strrchr(self_dir, '/');
		if (slash)
			*slash = '\0';
		else
			snprintf(self_dir, sizeof(self_dir), ".");
		o->agents = self_dir;
	}
}

static const char *verdict_name(enum ktap_result result)
{
	return result == KTAP_PASS ? "pass" : result == KTAP_FAIL ? "fail" : "skip";
}

/* Sends the run's frames out of a NIC wired to the XGMAC, under a key of the runner's own unless given one. */
static void start_frames(struct runner *r, struct agent_child *frames)
{
	char sender[PATH_MAX], key[33], run_id[16], rate[16];
	char *argv[] = { sender, "--iface", (char *)r->opt->traffic_from, "--key", key, "--run-id", run_id,
			 "--rate", rate, NULL };
	struct target_link *l = r->link;

	if (!l->have_key) {
		if (getrandom(l->key, sizeof(l->key), 0) != sizeof(l->key) ||
		    getrandom(&l->run_id, sizeof(l->run_id), 0) != sizeof(l->run_id))
			agent_fail("getrandom", errno);
		l->have_key = true;
	}
	key_args(l, key, run_id);
	snprintf(rate, sizeof(rate), "%u", TARGET_FRAMES_PER_SECOND);
	agent_path(r, sender, sizeof(sender), "frame-sender");
	agent_start(l, frames, FROM_FRAMES, argv);
}

int main(int argc, char **argv)
{
	struct options opt = { 0 };
	struct target_link link = { 0 };
	struct runner r = { .opt = &opt, .link = &link };
	struct target_cycle control = { .name = "control.kernel-no-reset", .control = true };
	struct target_cycle scenario = { .name = "scenario.raw-driver" };
	struct target_reporter rep = { .out = stdout };
	struct cycle_verdict cv = { KTAP_SKIP, true, "not run" }, sv = { KTAP_SKIP, true, "not run" };
	struct agent_child frames = { .pid = -1, .fd = -1 };
	bool run_control, run_scenario;
	struct utsname u;
	struct ktap top;

	parse_args(&opt, &link, argc, argv);
	signal(SIGPIPE, SIG_IGN);
	if (link.paced) {
		link.events = stdout;
		rep.out = fopen(opt.ktap_path, "w");
		if (!rep.out)
			usage_error("--ktap %s: %s", opt.ktap_path, strerror(errno));
		fcntl(STDIN_FILENO, F_SETFL, O_NONBLOCK);
	} else {
		rep.lava = host_on_path("lava-test-case");
	}
	rep.signal_name = opt.signal_name;
	if (!opt.device && !(opt.device = host_find_device(XGMAC_COMPATIBLE)))
		usage_error("no platform device compatible with %s here: give --device NAME", XGMAC_COMPATIBLE);
	if (link.out && mkdir(link.out, 0755) < 0 && errno != EEXIST)
		usage_error("--out %s: %s", link.out, strerror(errno));
	r.device.name = opt.device;
	host_find_irqs(&r.device);
	run_control = strcmp(opt.control, "none") != 0;
	run_scenario = strcmp(opt.control, "kernel-no-reset") != 0;
	if (opt.traffic_from)
		start_frames(&r, &frames);

	uname(&u);
	ktap_begin(&top, rep.out, 0, NULL, run_control + run_scenario);
	ktap_diag(&top, "vfio-reset-target: device %s, kernel %s, user 1 killed with SIG%s", opt.device, u.release,
		  opt.signal_name);
	if (run_control) {
		/* Paced, the harness has set the control up itself. */
		char why[320];
		const char *cannot = link.paced ? "" : host_take_reset_away(&r.device, why, sizeof(why));

		if (*cannot) {
			cv = (struct cycle_verdict){ KTAP_SKIP, true, cannot };
		} else {
			run_cycle(&r, &control);
			cv = report_cycle(&rep, &control, 1);
		}
		report_case(&rep, &top, NULL, cv.result, cv.undecided, control.name, cv.why, -1);
		if (!link.paced)
			host_give_reset_back(&r.device);
	}
	if (run_scenario) {
		run_cycle(&r, &scenario);
		sv = report_cycle(&rep, &scenario, 1);
		/* Paced, the harness proves the oracles with its controls; alone, only a control fired here does. */
		if (sv.result == KTAP_PASS && !link.paced && cv.result != KTAP_PASS)
			sv = (struct cycle_verdict){ KTAP_SKIP, true,
						     "silent, but no kernel-side control fired on this host: "
						     "its silence proves nothing" };
		else if (sv.result == KTAP_PASS)
			sv.why = link.paced ? "silent (the harness proves the oracles)"
					    : "silent, and the control fired on this host";
		report_case(&rep, &top, NULL, sv.result, sv.undecided, scenario.name, sv.why, -1);
	}
	if (frames.pid > 0) {
		kill(frames.pid, SIGTERM);
		waitpid(frames.pid, NULL, 0);
		frames.exited = true;
		agent_stop(&frames);
	}
	link_event(&link, EVENT_DONE, "\"control\":\"%s\",\"scenario\":\"%s\"",
		   run_control ? verdict_name(cv.result) : "not run",
		   run_scenario ? verdict_name(sv.result) : "not run");
	if (rep.out != stdout)
		fclose(rep.out);
	if (sv.result == KTAP_FAIL || cv.result == KTAP_FAIL)
		return EXIT_REGRESSION;
	return (run_scenario && sv.result != KTAP_PASS) || (run_control && cv.result != KTAP_PASS) ? EXIT_UNDECIDED
												 : EXIT_GOOD;
}
