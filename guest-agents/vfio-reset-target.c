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
 * "end-window") where the harness decides when to go on.
 *
 * Frames must reach the XGMAC from outside: a link partner, or
 * --traffic-from IFACE, which sends this run's frames out of another
 * interface of the host wired to it (frame-sender).
 *
 * Usage: vfio-reset-target [--device NAME] [--signal KILL|SEGV|ABRT|TERM]
 *            [--control both|none|kernel-no-reset] [--key HEX32 --run-id N]
 *            [--traffic-from IFACE] [--agents DIR] [--out DIR]
 *            [--paced --ktap FILE]
 * Exit status: 0 every case decided and passed, 1 a case failed, 2 bad
 * usage, 3 something kept a case from being decided (an infrastructure
 * error, not a finding).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include "agent-lib.h"
#include "json-field.h"
#include "ktap.h"
#include "payload-scan.h"
#include "target-oracles.h"
#include "target-plan.h"
#include "xgmac-regs.h"

#define LINE_MAX_BYTES 16384
#define MAX_HWIRQS 8
#define POLL_SLICE_MS 20
#define FRAME_HEADER_LEN 14

enum outcome { DECIDED, UNDECIDED };

struct options {
	const char *device;
	const char *signal_name;
	int signal;
	const char *control;
	const char *traffic_from;
	const char *agents;
	const char *out;
	const char *ktap_path;
	bool paced;
	bool have_key;
	uint8_t key[16];
	uint32_t run_id;
};

/* A child agent whose stdout is JSON lines. */
struct child {
	const char *who;		/* "user1", "user2", "frames" */
	pid_t pid;
	int fd;				/* its stdout; -1 once at EOF */
	bool exited;
	int status;
	FILE *log;
	char buf[LINE_MAX_BYTES];
	size_t len;
	/* What it reported. */
	unsigned int frames, frames_verified, irqs;
	bool ready, opened, armed, mapped, registers, memory, done, failed;
	char failure[256];
	double control, dma_control, dma_intr_ena;
	unsigned int first_irq_index;
	double changed_bytes;
};

struct runner {
	struct options opt;
	FILE *events;			/* paced: stdout, the JSON lines for the harness */
	char command[64];		/* paced: the harness's last word, "" once consumed */
	char stdin_buf[256];
	size_t stdin_len;
	bool stdin_closed;
	uint32_t hwirqs[MAX_HWIRQS];
	unsigned int nhwirqs;
	bool lava;
	const char *lava_set;
};

static struct runner R;

/* ---- reporting ---- */

static void runner_event(const char *event, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void runner_event(const char *event, const char *fmt, ...)
{
	va_list ap;

	if (!R.events)
		return;
	fprintf(R.events, "{\"from\":\"runner\",\"event\":\"%s\"", event);
	if (fmt && *fmt) {
		putc(',', R.events);
		va_start(ap, fmt);
		vfprintf(R.events, fmt, ap);
		va_end(ap);
	}
	fputs("}\n", R.events);
	fflush(R.events);
}

/* Ends the run for a usage error: one line saying what is wrong and how to fix it. */
static _Noreturn void usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("vfio-reset-target: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see the usage at the top of guest-agents/vfio-reset-target.c)\n", stderr);
	exit(2);
}

static void lava_case(const char *name, const char *result, const char *measurement, const char *units)
{
	char full[256];
	pid_t pid;

	if (!R.lava)
		return;
	snprintf(full, sizeof(full), "%s.%s", R.lava_set ? R.lava_set : "vfio-reset", name);
	pid = fork();
	if (pid == 0) {
		if (measurement)
			execlp("lava-test-case", "lava-test-case", full, "--result", result, "--measurement",
			       measurement, "--units", units, (char *)NULL);
		else
			execlp("lava-test-case", "lava-test-case", full, "--result", result, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

static void lava_set(const char *action, const char *name)
{
	pid_t pid;

	if (!R.lava)
		return;
	pid = fork();
	if (pid == 0) {
		execlp("lava-test-set", "lava-test-set", action, name, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

/* A KTAP case and, under LAVA, the same case; undecided cases are LAVA's "unknown", never a failure. */
static void report_case(struct ktap *k, enum ktap_result r, bool undecided, const char *name, const char *why)
{
	ktap_result(k, r, name, why);
	lava_case(name, r == KTAP_PASS ? "pass" : r == KTAP_FAIL ? "fail" : undecided ? "unknown" : "skip", NULL,
		  NULL);
}

/* ---- files and commands ---- */

static bool read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return false;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return true;
}

static bool write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text);
}

/* Runs a program to its end, its output on stderr; returns its exit status, or -1. */
static int run_program(char *const argv[])
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool on_path(const char *program)
{
	const char *path = getenv("PATH");
	char dir[PATH_MAX];

	for (const char *p = path; p && *p;) {
		size_t n = strcspn(p, ":");

		snprintf(dir, sizeof(dir), "%.*s/%s", (int)n, p, program);
		if (access(dir, X_OK) == 0)
			return true;
		p += n + (p[n] == ':');
	}
	return false;
}

/* ---- the kernel's log ---- */

/* A reader of /dev/kmsg from now on: what the kernel logs after this call. */
static int kmsg_from_now(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* Calls line for each record logged since; records are "prio,seq,usec,flags;text". */
static void kmsg_each(int fd, void (*line)(void *ctx, const char *text), void *ctx)
{
	char rec[8192];

	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		char *text;

		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on with the next */
		if (n <= 0)
			return;
		rec[n] = '\0';
		text = strchr(rec, ';');
		if (!text)
			continue;
		text[strcspn(text, "\n")] = '\0';
		line(ctx, text + 1);
	}
}

struct said {
	char text[1024];
	size_t len;
};

static void keep_vfio_line(void *ctx, const char *text)
{
	struct said *s = ctx;

	if (strcasestr(text, "vfio") || strcasestr(text, "xgmac") || strcasestr(text, "reset"))
		s->len += snprintf(s->text + s->len, s->len < sizeof(s->text) ? sizeof(s->text) - s->len : 0,
				   "%s%s", s->len ? " / " : "", text);
	if (s->len >= sizeof(s->text))
		s->len = sizeof(s->text) - 1;
}

static void count_smmu_event(void *ctx, const char *text)
{
	struct target_evidence *e = ctx;

	if (!target_is_smmu_event(text))
		return;
	if (e->smmu_events++ == 0)
		snprintf(e->smmu_first, sizeof(e->smmu_first), "%s", text);
}

/* ---- the device ---- */

static void device_path(char *buf, size_t size, const char *what)
{
	snprintf(buf, size, "/sys/bus/platform/devices/%s/%s", R.opt.device, what);
}

/* The first platform device whose DT node is compatible with the XGMAC, or NULL. */
static const char *find_device(void)
{
	static char name[NAME_MAX + 1];
	DIR *d = opendir("/sys/bus/platform/devices");
	struct dirent *e;
	const char *found = NULL;

	while (d && !found && (e = readdir(d))) {
		char path[PATH_MAX], list[512];
		ssize_t n;
		int fd;

		snprintf(path, sizeof(path), "/sys/bus/platform/devices/%s/of_node/compatible", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, list, sizeof(list));
		close(fd);
		for (ssize_t at = 0; n > 0 && at < n; at += strnlen(list + at, n - at) + 1)
			if (strncmp(list + at, XGMAC_COMPATIBLE, n - at) == 0) {
				snprintf(name, sizeof(name), "%s", e->d_name);
				found = name;
				break;
			}
	}
	if (d)
		closedir(d);
	return found;
}

/* The device's GIC hwirqs from its DT node's interrupts (3 cells each: SPI or PPI, number, flags). */
static void find_hwirqs(void)
{
	char path[PATH_MAX];
	uint8_t cells[12 * MAX_HWIRQS];
	ssize_t n;
	int fd;

	device_path(path, sizeof(path), "of_node/interrupts");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, cells, sizeof(cells));
	if (fd >= 0)
		close(fd);
	for (ssize_t at = 0; n > 0 && at + 12 <= n && R.nhwirqs < MAX_HWIRQS; at += 12) {
		uint32_t type = (uint32_t)cells[at] << 24 | cells[at + 1] << 16 | cells[at + 2] << 8 | cells[at + 3];
		uint32_t num = (uint32_t)cells[at + 4] << 24 | cells[at + 5] << 16 | cells[at + 6] << 8 | cells[at + 7];

		R.hwirqs[R.nhwirqs++] = num + (type == 0 ? 32 : 16);
	}
}

/*
 * The device's interrupt count: the per-CPU counts of every GIC IRQ
 * descriptor of one of its hwirqs (/sys/kernel/irq/N outlives free_irq,
 * unlike /proc/interrupts); -1 while it has none.
 */
static long long irq_count(void)
{
	DIR *d = opendir("/sys/kernel/irq");
	struct dirent *e;
	long long total = -1;

	while (d && (e = readdir(d))) {
		char path[PATH_MAX], text[4096];
		unsigned long hw;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/irq/%s/hwirq", e->d_name);
		if (!read_text(path, text, sizeof(text)))
			continue;
		hw = strtoul(text, NULL, 10);
		for (unsigned int i = 0; i < R.nhwirqs; i++) {
			if (hw != R.hwirqs[i])
				continue;
			snprintf(path, sizeof(path), "/sys/kernel/irq/%s/chip_name", e->d_name);
			if (!read_text(path, text, sizeof(text)) || strncmp(text, "GIC", 3) != 0)
				continue;
			snprintf(path, sizeof(path), "/sys/kernel/irq/%s/per_cpu_count", e->d_name);
			if (!read_text(path, text, sizeof(text)))
				continue;
			total = total < 0 ? 0 : total;
			for (char *p = text; *p; p += *p == ',')
				total += strtoll(p, &p, 10);
		}
	}
	if (d)
		closedir(d);
	return total;
}

static void driver_of(char *buf, size_t size)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	device_path(path, sizeof(path), "driver");
	n = readlink(path, link, sizeof(link) - 1);
	buf[0] = '\0';
	if (n > 0) {
		link[n] = '\0';
		const char *name = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;

		snprintf(buf, size, "%.*s", (int)strnlen(name, size - 1), name);
	}
}

static void unbind(void)
{
	char driver[NAME_MAX + 1], path[PATH_MAX];

	driver_of(driver, sizeof(driver));
	if (!*driver)
		return;
	snprintf(path, sizeof(path), "/sys/bus/platform/drivers/%s/unbind", driver);
	write_text(path, R.opt.device);
}

/* Binds the device to vfio-platform; false with what the kernel said if it refused. */
static bool bind_vfio(struct said *said)
{
	char driver[NAME_MAX + 1], path[PATH_MAX];
	int kmsg;

	driver_of(driver, sizeof(driver));
	if (strcmp(driver, "vfio-platform") == 0)
		return true;
	unbind();
	kmsg = kmsg_from_now();
	device_path(path, sizeof(path), "driver_override");
	write_text(path, "vfio-platform");
	write_text("/sys/bus/platform/drivers_probe", R.opt.device);
	driver_of(driver, sizeof(driver));
	*said = (struct said){ 0 };
	if (kmsg >= 0) {
		kmsg_each(kmsg, keep_vfio_line, said);
		close(kmsg);
	}
	if (strcmp(driver, "vfio-platform") == 0)
		return true;
	if (!said->len)
		snprintf(said->text, sizeof(said->text), "the kernel logged nothing; the device's driver is %s",
			 *driver ? driver : "none");
	return false;
}

static bool module_loaded(const char *module)
{
	char name[128], path[PATH_MAX];

	snprintf(name, sizeof(name), "%s", module);
	for (char *p = name; *p; p++)
		*p = *p == '-' ? '_' : *p;
	snprintf(path, sizeof(path), "/sys/module/%s/initstate", name);
	return access(path, F_OK) == 0;
}

/* ---- children ---- */

static void child_start(struct child *c, const char *who, char *const argv[])
{
	int fds[2];
	char path[PATH_MAX];

	*c = (struct child){ .who = who, .fd = -1 };
	if (pipe2(fds, O_CLOEXEC) < 0)
		agent_fail("pipe", errno);
	c->pid = fork();
	if (c->pid < 0)
		agent_fail("fork", errno);
	if (c->pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		dup2(fds[1], STDOUT_FILENO);
		execv(argv[0], argv);
		printf("{\"event\":\"error\",\"step\":\"exec\",\"errno\":%d,\"message\":\"%s: %s\"}\n", errno, argv[0],
		       strerror(errno));
		_exit(2);
	}
	close(fds[1]);
	c->fd = fds[0];
	fcntl(c->fd, F_SETFL, O_NONBLOCK);
	if (R.opt.out) {
		snprintf(path, sizeof(path), "%s/%s.jsonl", R.opt.out, who);
		c->log = fopen(path, "a");
	}
	runner_event("started", "\"who\":\"%s\",\"pid\":%d", who, (int)c->pid);
}

static void at_start(void *ctx, size_t offset, uint32_t seq)
{
	(void)seq;
	*(bool *)ctx |= offset == 0;
}

/* Whether frame event line shows this run's payload right after the Ethernet header. */
static bool frame_verified(const char *line)
{
	bool at0 = false;
	const char *hex = strstr(line, "\"head\":\"");
	uint8_t bytes[256];
	size_t n = 0;

	if (!R.opt.have_key || !hex)
		return false;
	for (hex += 8; n < sizeof(bytes) && hex[0] != '"' && hex[0] && hex[1]; hex += 2) {
		char pair[3] = { hex[0], hex[1], 0 };

		bytes[n++] = (uint8_t)strtoul(pair, NULL, 16);
	}
	return n > FRAME_HEADER_LEN &&
	       payload_scan(bytes + FRAME_HEADER_LEN, n - FRAME_HEADER_LEN, R.opt.key, R.opt.run_id, at_start, &at0) &&
	       at0;
}

static void child_line(struct child *c, const char *line)
{
	double v;

	if (c->log) {
		fprintf(c->log, "%s\n", line);
		fflush(c->log);
	}
	if (R.events && line[0] == '{') {
		fprintf(R.events, "{\"from\":\"%s\",%s\n", c->who, line + 1);
		fflush(R.events);
	}
	if (json_event_is(line, "frame")) {
		c->frames++;
		c->frames_verified += frame_verified(line);
	} else if (json_event_is(line, "irq")) {
		if (c->irqs++ == 0 && json_number(line, "index", &v))
			c->first_irq_index = (unsigned int)v;
	} else if (json_event_is(line, "ready")) {
		c->ready = true;
	} else if (json_event_is(line, "opened")) {
		c->opened = true;
	} else if (json_event_is(line, "irqs-armed")) {
		c->armed = true;
	} else if (json_event_is(line, "dma-mapped")) {
		c->mapped = true;
	} else if (json_event_is(line, "registers")) {
		c->registers = json_number(line, "control", &c->control) &&
			       json_number(line, "dma_control", &c->dma_control) &&
			       json_number(line, "dma_intr_ena", &c->dma_intr_ena);
	} else if (json_event_is(line, "memory")) {
		c->memory = json_number(line, "changed_bytes", &c->changed_bytes);
	} else if (json_event_is(line, "done")) {
		c->done = true;
	} else if (json_event_is(line, "error")) {
		c->failed = true;
		snprintf(c->failure, sizeof(c->failure), "%.255s", line);
	}
}

static void child_read(struct child *c)
{
	for (;;) {
		ssize_t n = read(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
		char *nl;

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			close(c->fd);
			c->fd = -1;
			return;
		}
		if (n < 0)
			return;
		c->len += n;
		c->buf[c->len] = '\0';
		while ((nl = strchr(c->buf, '\n'))) {
			*nl = '\0';
			child_line(c, c->buf);
			c->len -= nl + 1 - c->buf;
			memmove(c->buf, nl + 1, c->len + 1);
		}
		if (c->len == sizeof(c->buf) - 1)
			c->len = 0;	/* a line longer than any agent writes: drop it */
	}
}

static void child_reap(struct child *c)
{
	if (c->pid > 0 && !c->exited && waitpid(c->pid, &c->status, WNOHANG) == c->pid)
		c->exited = true;
}

static void stdin_read(void)
{
	ssize_t n = read(STDIN_FILENO, R.stdin_buf + R.stdin_len, sizeof(R.stdin_buf) - 1 - R.stdin_len);
	char *nl;

	if (n <= 0) {
		R.stdin_closed = n == 0 || (errno != EAGAIN && errno != EINTR);
		return;
	}
	R.stdin_len += n;
	R.stdin_buf[R.stdin_len] = '\0';
	if ((nl = strchr(R.stdin_buf, '\n'))) {
		*nl = '\0';
		snprintf(R.command, sizeof(R.command), "%.63s", R.stdin_buf);
		R.stdin_len -= nl + 1 - R.stdin_buf;
		memmove(R.stdin_buf, nl + 1, R.stdin_len + 1);
	}
}

/*
 * Reads the children's reports (and, paced, the harness's words) until
 * done(ctx) holds or timeout_ms passes; returns whether done held.
 */
static bool pump(struct child *const kids[], unsigned int nkids, uint64_t timeout_ms, bool (*done)(void *ctx),
		 void *ctx)
{
	uint64_t deadline = mono_ms() + timeout_ms;

	for (;;) {
		struct pollfd fds[4];
		struct child *of[4];
		unsigned int n = 0;

		for (unsigned int i = 0; i < nkids; i++) {
			child_reap(kids[i]);
			if (kids[i]->fd >= 0) {
				fds[n] = (struct pollfd){ .fd = kids[i]->fd, .events = POLLIN };
				of[n++] = kids[i];
			}
		}
		if (done(ctx))
			return true;
		if (mono_ms() >= deadline)
			return false;
		if (R.opt.paced && !R.stdin_closed) {
			fds[n] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
			of[n++] = NULL;
		}
		if (poll(fds, n, POLL_SLICE_MS) < 0 && errno != EINTR)
			agent_fail("poll", errno);
		for (unsigned int i = 0; i < n; i++) {
			if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (of[i])
				child_read(of[i]);
			else
				stdin_read();
		}
	}
}

static bool never(void *ctx)
{
	(void)ctx;
	return false;
}

static bool child_exited(void *ctx)
{
	return ((struct child *)ctx)->exited;
}

static bool told(void *ctx)
{
	return strcmp(R.command, ctx) == 0 || R.stdin_closed;
}

/*
 * Paced: waits for the harness's word; on its own: the window's bound. The
 * children keep being read meanwhile, so that none blocks on a full pipe.
 */
static bool go_on(const char *word, uint64_t alone_ms, struct child *const kids[], unsigned int nkids)
{
	if (!R.opt.paced) {
		pump(kids, nkids, alone_ms, never, NULL);
		return true;
	}
	runner_event("waiting", "\"for\":\"%s\"", word);
	while (!pump(kids, nkids, 60 * 60 * 1000, told, (void *)word))
		;
	if (R.stdin_closed && strcmp(R.command, word) != 0)
		return false;
	R.command[0] = '\0';
	return true;
}

static void agent_path(char *buf, size_t size, const char *agent)
{
	snprintf(buf, size, "%s/%s", R.opt.agents, agent);
}

/* ---- one cycle ---- */

static bool user1_live(void *ctx)
{
	struct child *c = ctx;

	return c->failed || c->exited ||
	       (c->ready && c->frames >= TARGET_LIVE_FRAMES && c->irqs > 0 &&
		(!R.opt.have_key || c->frames_verified == c->frames));
}

static bool probe_at(void *ctx)
{
	struct child *c = ctx;

	return c->failed || c->exited || c->registers;
}

static bool probe_done(void *ctx)
{
	struct child *c = ctx;

	return c->exited;
}

/* The state of a process that a signal did not end, as /proc shows it. */
static void stuck_state(pid_t pid, char *buf, size_t size)
{
	char path[64], status[2048], wchan[128] = "?";
	const char *state;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	state = read_text(path, status, sizeof(status)) ? strstr(status, "State:") : NULL;
	snprintf(path, sizeof(path), "/proc/%d/wchan", (int)pid);
	read_text(path, wchan, sizeof(wchan));
	snprintf(buf, size, "%.*s wchan: %s", state ? (int)strcspn(state, "\n") : 0, state ? state : "", wchan);
}

/* Why a cycle could not be decided, or "" if it could. */
struct cycle {
	const char *name;		/* "scenario.raw-driver", "control.kernel-no-reset" */
	bool control;
	char undecided[320];
	char bind_refused[1100];
	bool release_hang;
	char release_state[256];
	bool open_failed;
	char open_failure[320];
	unsigned int frames, irqs, frames_verified;
	double release_ms;
	struct target_evidence e;
	struct target_finding f[TARGET_ORACLE_COUNT];
};

static void undecided(struct cycle *cy, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void undecided(struct cycle *cy, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cy->undecided, sizeof(cy->undecided), fmt, ap);
	va_end(ap);
	runner_event("undecided", "\"why\":\"%s\"", cy->undecided);
}

/* An open that failed is the kernel's VFIO path failing the user: a finding, unlike other agent errors. */
static bool failed_open(struct cycle *cy, struct child *c)
{
	if (!c->failed || !strstr(c->failure, "\"step\":\"get_device_fd\""))
		return false;
	cy->open_failed = true;
	snprintf(cy->open_failure, sizeof(cy->open_failure), "%s's open failed: %s", c->who, c->failure);
	return true;
}

static void run_cycle(struct cycle *cy)
{
	char driver[PATH_MAX], probe[PATH_MAX], iova[32], window[32];
	struct child user1, user2;
	struct said said;
	uint64_t killed_at;
	int kmsg = -1;

	snprintf(iova, sizeof(iova), "0x%llx", (unsigned long long)TARGET_IOVA);
	snprintf(window, sizeof(window), "%u", TARGET_WINDOW_MS);
	agent_path(driver, sizeof(driver), "xgmac-vfio-driver");
	agent_path(probe, sizeof(probe), "xgmac-reset-probe");

	if (!bind_vfio(&said)) {
		snprintf(cy->bind_refused, sizeof(cy->bind_refused), "%s", said.text);
		runner_event("bind-refused", "\"kernel_says\":\"%s\"", said.text);
		return;
	}
	runner_event("bound", "\"reset_module_loaded\":%s", module_loaded(TARGET_RESET_MODULE) ? "true" : "false");
	if (!go_on("user1", 0, NULL, 0))
		return undecided(cy, "the harness went away before user #1");

	{
		char *argv[] = { driver, "--device", (char *)R.opt.device, "--iova", iova, NULL };
		struct child *kids[] = { &user1 };

		child_start(&user1, "user1", argv);
		pump(kids, 1, TARGET_OPEN_TIMEOUT_MS + TARGET_LIVE_TIMEOUT_MS, user1_live, &user1);
		cy->frames = user1.frames;
		cy->irqs = user1.irqs;
		cy->frames_verified = user1.frames_verified;
		if (failed_open(cy, &user1))
			return;
		if (!user1_live(&user1) || user1.failed || user1.exited) {
			kill(user1.pid, SIGKILL);
			waitpid(user1.pid, NULL, 0);
			return undecided(cy, "user #1 never had live DMA and IRQs (%u frames, %u IRQs%s): "
					 "do frames reach the XGMAC?", user1.frames, user1.irqs,
					 user1.failed ? ", it failed" : "");
		}
		if (!go_on("kill", 0, kids, 1))
			return undecided(cy, "the harness went away before the kill");
		kmsg = kmsg_from_now();
		runner_event("killing", "\"uptime_s\":%.3f,\"signal\":\"%s\"", boot_us() / 1e6, R.opt.signal_name);
		killed_at = mono_ms();
		kill(user1.pid, R.opt.signal);
		if (!pump(kids, 1, TARGET_RELEASE_TIMEOUT_MS, child_exited, &user1)) {
			stuck_state(user1.pid, cy->release_state, sizeof(cy->release_state));
			cy->release_hang = true;
			runner_event("release-hang", "\"seconds\":%u,\"state\":\"%s\"", TARGET_RELEASE_TIMEOUT_MS / 1000,
				     cy->release_state);
			return;
		}
		cy->release_ms = mono_ms() - killed_at;
		if (user1.fd >= 0)
			close(user1.fd);
		if (user1.log)
			fclose(user1.log);
	}
	cy->e.irq_at_release = irq_count();
	runner_event("user1-gone", "\"irq_count\":%lld", cy->e.irq_at_release);

	if (!go_on("user2", TARGET_QUIET_MS, NULL, 0))
		return undecided(cy, "the harness went away before user #2");
	{
		char *argv[] = { probe, "--device", (char *)R.opt.device, "--iova", iova, "--window-ms", window, NULL };
		struct child *kids[] = { &user2 };

		child_start(&user2, "user2", argv);
		pump(kids, 1, TARGET_OPEN_TIMEOUT_MS + 15000, probe_at, &user2);
		if (failed_open(cy, &user2))
			return;
		if (!user2.registers) {
			kill(user2.pid, SIGKILL);
			waitpid(user2.pid, NULL, 0);
			return undecided(cy, "user #2 reported no registers%s%s", user2.failed ? ": " : "",
					 user2.failed ? user2.failure : "");
		}
		/* The probe ends its own window at --window-ms; paced, the harness ends it sooner. */
		if (!go_on("end-window", TARGET_WINDOW_MS, kids, 1))
			return undecided(cy, "the harness went away during user #2's window");
		cy->e.irq_during = irq_count();
		runner_event("irq-sampled", "\"irq_count\":%lld", cy->e.irq_during);
		kill(user2.pid, SIGUSR1);
		pump(kids, 1, TARGET_WINDOW_MS + 15000, probe_done, &user2);
		if (!user2.exited) {
			kill(user2.pid, SIGKILL);
			waitpid(user2.pid, NULL, 0);
		}
		while (user2.fd >= 0)
			child_read(&user2);
		if (user2.log)
			fclose(user2.log);
		if (!user2.memory || !user2.done)
			return undecided(cy, "user #2 ended without its memory and done reports");
	}
	cy->e.registers_seen = true;
	cy->e.control = (uint32_t)user2.control;
	cy->e.dma_control = (uint32_t)user2.dma_control;
	cy->e.dma_intr_ena = (uint32_t)user2.dma_intr_ena;
	cy->e.probe_irqs = user2.irqs;
	cy->e.first_irq_index = user2.first_irq_index;
	cy->e.changed_bytes = (unsigned long long)user2.changed_bytes;
	if (kmsg >= 0) {
		kmsg_each(kmsg, count_smmu_event, &cy->e);
		close(kmsg);
	}
	target_judge(&cy->e, cy->f);
	for (unsigned int i = 0; i < TARGET_ORACLE_COUNT; i++)
		runner_event("finding", "\"oracle\":\"%s\",\"fired\":%s,\"count\":%llu", cy->f[i].oracle,
			     cy->f[i].fired ? "true" : "false", cy->f[i].count);
}

/* ---- the cycle's verdict, as KTAP ---- */

/* Writes the cycle's cases at depth; returns the cycle's own result. */
static enum ktap_result report_cycle(struct cycle *cy, FILE *out, unsigned int depth)
{
	static const char *const absent[] = TARGET_ABSENT_ORACLES;
	const unsigned int nabsent = sizeof(absent) / sizeof(absent[0]);
	bool decided = !cy->undecided[0], failed = false, missed = false;
	char why[400];
	struct ktap k;

	R.lava_set = cy->name;
	lava_set("start", cy->name);
	ktap_begin(&k, out, depth, cy->name, 3 + TARGET_ORACLE_COUNT + nabsent);
	if (cy->bind_refused[0]) {
		/* Refused for want of a reset function: users can no longer assign the device. */
		bool regression = !cy->control && strcasestr(cy->bind_refused, "no reset function");

		report_case(&k, regression ? KTAP_FAIL : KTAP_SKIP, !regression, "bind", cy->bind_refused);
		failed |= regression;
		decided = regression;
	} else {
		report_case(&k, KTAP_PASS, false, "bind", "vfio-platform holds the device");
	}
	if (cy->bind_refused[0]) {
		report_case(&k, KTAP_SKIP, !failed, "user1-live", "the device was not bound");
	} else if (cy->open_failed) {
		report_case(&k, KTAP_FAIL, false, "user1-live", cy->open_failure);
		failed = true;
	} else {
		snprintf(why, sizeof(why), "%u frames (%u with this run's payload), %u IRQs", cy->frames,
			 cy->frames_verified, cy->irqs);
		report_case(&k, cy->frames >= TARGET_LIVE_FRAMES ? KTAP_PASS : KTAP_SKIP, true, "user1-live",
			    cy->frames >= TARGET_LIVE_FRAMES ? why : cy->undecided);
	}
	if (cy->release_hang) {
		snprintf(why, sizeof(why), "user #1 still in the kernel %u s after SIG%s: %s",
			 TARGET_RELEASE_TIMEOUT_MS / 1000, R.opt.signal_name, cy->release_state);
		report_case(&k, KTAP_FAIL, false, "release", why);
		failed = true;
	} else if (cy->release_ms > 0) {
		snprintf(why, sizeof(why), "user #1 gone %.0f ms after SIG%s", cy->release_ms, R.opt.signal_name);
		report_case(&k, KTAP_PASS, false, "release", why);
	} else {
		report_case(&k, KTAP_SKIP, true, "release", "user #1 was never killed");
	}
	for (unsigned int i = 0; i < TARGET_ORACLE_COUNT; i++) {
		static const char *const names[] = TARGET_ORACLES;
		struct target_finding *f = &cy->f[i];

		if (!decided || failed || cy->release_hang || cy->open_failed || !f->oracle) {
			report_case(&k, KTAP_SKIP, !failed, names[i], failed ? "the cycle failed before" : cy->undecided);
			continue;
		}
		snprintf(why, sizeof(why), "%s%s%s", f->fired ? "fired: " : "silent",
			 f->fired ? f->detail : "", cy->control && !target_must_fire(f->oracle) ? " (not required)" : "");
		if (cy->control) {
			bool miss = target_must_fire(f->oracle) && !f->fired;

			missed |= miss;
			report_case(&k, miss ? KTAP_FAIL : KTAP_PASS, false, f->oracle, why);
		} else {
			failed |= f->fired;
			report_case(&k, f->fired ? KTAP_FAIL : KTAP_PASS, false, f->oracle, why);
		}
	}
	for (unsigned int i = 0; i < nabsent; i++)
		report_case(&k, KTAP_SKIP, false, absent[i], "no L0 vantage here (the emulated device's own trace)");
	lava_set("stop", cy->name);
	R.lava_set = NULL;
	if (cy->control)
		return failed || !decided || cy->undecided[0] ? KTAP_SKIP : missed ? KTAP_FAIL : KTAP_PASS;
	if (failed)
		return KTAP_FAIL;
	return decided && !cy->undecided[0] ? KTAP_PASS : KTAP_SKIP;
}

/* ---- the kernel-side control ---- */

static char module_file[PATH_MAX];

static int find_module_file(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	const char *base = path + ftw->base;
	size_t n = strlen(TARGET_RESET_MODULE);

	(void)st;
	if (type == FTW_F && strncmp(base, TARGET_RESET_MODULE, n) == 0 && strncmp(base + n, ".ko", 3) == 0) {
		snprintf(module_file, sizeof(module_file), "%s", path);
		return 1;
	}
	return 0;
}

/* Takes the device's reset away; "" if done, else why it cannot be here. */
static const char *take_reset_away(char *why, size_t size)
{
	char param[8] = "", modules[PATH_MAX];
	struct utsname u;

	unbind();
	if (!read_text("/sys/module/vfio_platform/parameters/reset_required", param, sizeof(param)) ||
	    param[0] != 'N') {
		char *rm[] = { "modprobe", "-r", "vfio-platform", NULL };
		char *load[] = { "modprobe", "vfio-platform", "reset_required=0", NULL };

		run_program(rm);
		run_program(load);
		if (!read_text("/sys/module/vfio_platform/parameters/reset_required", param, sizeof(param)) ||
		    param[0] != 'N') {
			snprintf(why, size, "vfio_platform.reset_required is not 0 and cannot be changed here: "
				 "boot with vfio_platform.reset_required=0");
			return why;
		}
	}
	uname(&u);
	snprintf(modules, sizeof(modules), "/lib/modules/%s", u.release);
	module_file[0] = '\0';
	nftw(modules, find_module_file, 16, FTW_PHYS);
	if (!module_file[0]) {
		snprintf(why, size, "%s is built in or missing, so it cannot be kept from the device",
			 TARGET_RESET_MODULE);
		return why;
	}
	if (module_loaded(TARGET_RESET_MODULE)) {
		char *rm[] = { "modprobe", "-r", TARGET_RESET_MODULE, NULL };

		run_program(rm);
	}
	/* The module's file reads as empty while the control runs: vfio-platform's request for it fails. */
	if (mount("/dev/null", module_file, NULL, MS_BIND, NULL) < 0 || module_loaded(TARGET_RESET_MODULE)) {
		snprintf(why, size, "%s could not be kept from loading (%s)", TARGET_RESET_MODULE, strerror(errno));
		return why;
	}
	return "";
}

static void give_reset_back(void)
{
	if (module_file[0])
		umount(module_file);
	unbind();
}

/* ---- options ---- */

static const struct {
	const char *name;
	int signal;
} SIGNALS[] = { { "KILL", SIGKILL }, { "SEGV", SIGSEGV }, { "ABRT", SIGABRT }, { "TERM", SIGTERM } };

static void parse_args(int argc, char **argv)
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

	R.opt.signal_name = "KILL";
	R.opt.signal = SIGKILL;
	R.opt.control = "both";
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': R.opt.device = optarg; break;
		case 's':
			R.opt.signal = 0;
			for (size_t i = 0; i < sizeof(SIGNALS) / sizeof(SIGNALS[0]); i++)
				if (strcmp(SIGNALS[i].name, optarg) == 0) {
					R.opt.signal_name = SIGNALS[i].name;
					R.opt.signal = SIGNALS[i].signal;
				}
			if (!R.opt.signal)
				usage_error("--signal %s: not one of KILL, SEGV, ABRT, TERM", optarg);
			break;
		case 'c':
			if (strcmp(optarg, "both") && strcmp(optarg, "none") && strcmp(optarg, "kernel-no-reset"))
				usage_error("--control %s: not one of both, none, kernel-no-reset", optarg);
			R.opt.control = optarg;
			break;
		case 'k':
			if (strlen(optarg) != 32 || strspn(optarg, "0123456789abcdefABCDEF") != 32)
				usage_error("--key %s: give the payload key as 32 hex digits", optarg);
			parse_hex(optarg, R.opt.key, 16, "key");
			R.opt.have_key = true;
			break;
		case 'r':
			R.opt.run_id = (uint32_t)parse_num(optarg, 0, 0, UINT32_MAX, "run_id");
			have_run_id = true;
			break;
		case 't': R.opt.traffic_from = optarg; break;
		case 'a': R.opt.agents = optarg; break;
		case 'o': R.opt.out = optarg; break;
		case 'p': R.opt.paced = true; break;
		case 'K': R.opt.ktap_path = optarg; break;
		default: usage_error("unknown option %s", argv[optind - 1]);
		}
	}
	if (optind != argc)
		usage_error("unexpected argument %s", argv[optind]);
	if (R.opt.have_key != have_run_id)
		usage_error("--key and --run-id go together: give both or neither");
	if (R.opt.paced && (!R.opt.ktap_path || strcmp(R.opt.control, "both") == 0))
		usage_error("--paced runs one cycle for the harness: give --ktap FILE and --control none or "
			    "kernel-no-reset");
	if (!R.opt.agents) {
		snprintf(self_dir, sizeof(self_dir), "%s", argv[0]);
		slash = strrchr(self_dir, '/');
		if (slash)
			*slash = '\0';
		else
			snprintf(self_dir, sizeof(self_dir), ".");
		R.opt.agents = self_dir;
	}
}

int main(int argc, char **argv)
{
	struct cycle control = { .name = "control.kernel-no-reset", .control = true };
	struct cycle scenario = { .name = "scenario.raw-driver" };
	bool run_control, run_scenario;
	struct child frames = { .pid = -1, .fd = -1 };
	enum ktap_result cr = KTAP_SKIP, sr = KTAP_SKIP;
	char control_why[320] = "";
	struct utsname u;
	struct ktap top;
	FILE *out = stdout;

	parse_args(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	if (R.opt.paced) {
		R.events = stdout;
		out = fopen(R.opt.ktap_path, "w");
		if (!out)
			usage_error("--ktap %s: %s", R.opt.ktap_path, strerror(errno));
		fcntl(STDIN_FILENO, F_SETFL, O_NONBLOCK);
	} else {
		R.lava = on_path("lava-test-case");
	}
	if (!R.opt.device && !(R.opt.device = find_device()))
		usage_error("no platform device compatible with %s here: give --device NAME", XGMAC_COMPATIBLE);
	if (R.opt.out && mkdir(R.opt.out, 0755) < 0 && errno != EEXIST)
		usage_error("--out %s: %s", R.opt.out, strerror(errno));
	find_hwirqs();
	run_control = strcmp(R.opt.control, "none") != 0;
	run_scenario = strcmp(R.opt.control, "kernel-no-reset") != 0;
	if (R.opt.traffic_from) {
		char sender[PATH_MAX], key[33], run_id[16], rate[16];
		char *fargv[] = { sender, "--iface", (char *)R.opt.traffic_from, "--key", key, "--run-id", run_id,
				  "--rate", rate, NULL };

		if (!R.opt.have_key) {
			if (getrandom(R.opt.key, sizeof(R.opt.key), 0) != sizeof(R.opt.key) ||
			    getrandom(&R.opt.run_id, sizeof(R.opt.run_id), 0) != sizeof(R.opt.run_id))
				agent_fail("getrandom", errno);
			R.opt.have_key = true;
		}
		for (int i = 0; i < 16; i++)
			snprintf(key + 2 * i, 3, "%02x", R.opt.key[i]);
		snprintf(run_id, sizeof(run_id), "%u", R.opt.run_id);
		snprintf(rate, sizeof(rate), "%u", TARGET_FRAMES_PER_SECOND);
		agent_path(sender, sizeof(sender), "frame-sender");
		child_start(&frames, "frames", fargv);
	}

	uname(&u);
	ktap_begin(&top, out, 0, NULL, run_control + run_scenario);
	ktap_diag(&top, "vfio-reset-target: device %s, kernel %s, user #1 killed with SIG%s", R.opt.device, u.release,
		  R.opt.signal_name);
	if (run_control) {
		/* Paced, the harness has set the control up itself. */
		const char *cannot = R.opt.paced ? "" : take_reset_away(control_why, sizeof(control_why));

		if (*cannot) {
			report_case(&top, KTAP_SKIP, true, control.name, cannot);
		} else {
			run_cycle(&control);
			cr = report_cycle(&control, out, 1);
			report_case(&top, cr, cr == KTAP_SKIP, control.name,
				    cr == KTAP_PASS	  ? "the oracles it must fire fired"
				    : cr == KTAP_FAIL ? "an oracle it must fire stayed silent: this host cannot prove them"
						      : control.undecided[0] ? control.undecided : "undecided");
		}
		if (!R.opt.paced)
			give_reset_back();
	}
	if (run_scenario) {
		run_cycle(&scenario);
		sr = report_cycle(&scenario, out, 1);
		if (sr == KTAP_PASS && run_control && cr != KTAP_PASS)
			report_case(&top, KTAP_SKIP, true, scenario.name,
				    "silent, but no kernel-side control fired on this host: its silence proves nothing");
		else
			report_case(&top, sr, sr == KTAP_SKIP, scenario.name,
				    sr == KTAP_PASS	  ? (run_control ? "silent, and the control fired on this host"
								 : "silent (the harness proves the oracles)")
				    : sr == KTAP_FAIL ? "the device was not reset for its next user"
						      : scenario.undecided);
	}
	if (frames.pid > 0) {
		kill(frames.pid, SIGTERM);
		waitpid(frames.pid, NULL, 0);
	}
	runner_event("done", "\"control\":\"%s\",\"scenario\":\"%s\"",
		     !run_control ? "not run" : cr == KTAP_PASS ? "pass" : cr == KTAP_FAIL ? "fail" : "skip",
		     !run_scenario ? "not run" : sr == KTAP_PASS ? "pass" : sr == KTAP_FAIL ? "fail" : "skip");
	if (out != stdout)
		fclose(out);
	if (sr == KTAP_FAIL || cr == KTAP_FAIL)
		return 1;
	return (run_scenario && sr != KTAP_PASS) || (run_control && cr != KTAP_PASS) ? 3 : 0;
}
