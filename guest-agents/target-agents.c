// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE
#include "target-agents.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "agent-lib.h"
#include "json-field.h"
#include "payload-scan.h"

#define POLL_SLICE_MS 20

void link_event(struct target_link *l, const char *event, const char *fmt, ...)
{
	va_list ap;

	if (!l->events)
		return;
	fprintf(l->events, "{\"from\":\"" FROM_RUNNER "\",\"event\":\"%s\"", event);
	if (fmt && *fmt) {
		putc(',', l->events);
		va_start(ap, fmt);
		vfprintf(l->events, fmt, ap);
		va_end(ap);
	}
	fputs("}\n", l->events);
	fflush(l->events);
}

void agent_start(struct target_link *l, struct agent_child *c, const char *who, char *const argv[])
{
	int fds[2];
	char path[PATH_MAX];

	*c = (struct agent_child){ .link = l, .who = who, .fd = -1 };
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
		printf("{\"event\":\"" EVENT_ERROR "\",\"step\":\"exec\",\"errno\":%d,\"message\":\"%s: %s\"}\n",
		       errno, argv[0], strerror(errno));
		_exit(2);
	}
	close(fds[1]);
	c->fd = fds[0];
	fcntl(c->fd, F_SETFL, O_NONBLOCK);
	if (c->link->out) {
		snprintf(path, sizeof(path), "%s/%s.jsonl", c->link->out, who);
		c->log = fopen(path, "a");
	}
	link_event(l, EVENT_STARTED, "\"who\":\"%s\",\"pid\":%d", who, (int)c->pid);
}

static void at_start(void *ctx, size_t offset, uint32_t seq)
{
	(void)seq;
	*(bool *)ctx |= offset == 0;
}

/* Whether frame event line shows this run's payload right after the Ethernet header. */
static bool frame_verified(const struct agent_child *c, const char *line)
{
	bool at0 = false;
	const char *hex = strstr(line, "\"head\":\"");
	uint8_t bytes[256];
	size_t n = 0;

	if (!c->link->have_key || !hex)
		return false;
	for (hex += 8; n < sizeof(bytes) && hex[0] != '"' && hex[0] && hex[1]; hex += 2) {
		char pair[3] = { hex[0], hex[1], 0 };

		bytes[n++] = (uint8_t)strtoul(pair, NULL, 16);
	}
	return n > FRAME_HEADER_LEN &&
	       payload_scan(bytes + FRAME_HEADER_LEN, n - FRAME_HEADER_LEN, c->link->key, c->link->run_id, at_start,
			    &at0) &&
	       at0;
}

static void child_line(struct agent_child *c, const char *line)
{
	double v;

	if (c->log) {
		fprintf(c->log, "%s\n", line);
		fflush(c->log);
	}
	if (c->link->events && line[0] == '{') {
		fprintf(c->link->events, "{\"from\":\"%s\",%s\n", c->who, line + 1);
		fflush(c->link->events);
	}
	if (json_event_is(line, EVENT_FRAME)) {
		c->frames++;
		c->frames_verified += frame_verified(c, line);
	} else if (json_event_is(line, EVENT_IRQ)) {
		if (c->irqs++ == 0 && json_number(line, "index", &v))
			c->first_irq_index = (unsigned int)v;
	} else if (json_event_is(line, EVENT_READY)) {
		c->ready = true;
	} else if (json_event_is(line, EVENT_OPENED)) {
		c->opened = true;
	} else if (json_event_is(line, EVENT_IRQS_ARMED)) {
		c->armed = true;
	} else if (json_event_is(line, EVENT_DMA_MAPPED)) {
		c->mapped = true;
	} else if (json_event_is(line, EVENT_REGISTERS)) {
		c->registers = json_number(line, "control", &c->control) &&
			       json_number(line, "dma_control", &c->dma_control) &&
			       json_number(line, "dma_intr_ena", &c->dma_intr_ena);
	} else if (json_event_is(line, EVENT_MEMORY)) {
		c->memory = json_number(line, "changed_bytes", &c->changed_bytes);
	} else if (json_event_is(line, EVENT_DONE)) {
		c->done = true;
	} else if (json_event_is(line, EVENT_ERROR)) {
		c->failed = true;
		snprintf(c->failure, sizeof(c->failure), "%.255s", line);
	}
}

void agent_user2_evidence(const struct agent_child *user2, struct target_evidence *e)
{
	e->registers_seen = true;
	e->control = (uint32_t)user2->control;
	e->dma_control = (uint32_t)user2->dma_control;
	e->dma_intr_ena = (uint32_t)user2->dma_intr_ena;
	e->probe_irqs = user2->irqs;
	e->first_irq_index = user2->first_irq_index;
	e->changed_bytes = (unsigned long long)user2->changed_bytes;
}

void agent_read(struct agent_child *c)
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

/* Relays "exited" after every report the agent wrote: whoever reads the relay sees its last words first. */
static void exited(struct agent_child *c)
{
	c->exited = true;
	if (c->fd >= 0)
		agent_read(c);
	link_event(c->link, EVENT_EXITED, "\"who\":\"%s\",\"status\":%d,\"signal\":%d", c->who,
		   WIFEXITED(c->status) ? WEXITSTATUS(c->status) : -1,
		   WIFSIGNALED(c->status) ? WTERMSIG(c->status) : 0);
}

static void agent_reap(struct agent_child *c)
{
	if (c->pid > 0 && !c->exited && waitpid(c->pid, &c->status, WNOHANG) == c->pid)
		exited(c);
}

static void input_read(struct target_link *l)
{
	ssize_t n = read(STDIN_FILENO, l->input + l->input_len, sizeof(l->input) - 1 - l->input_len);
	char *nl;

	if (n <= 0) {
		l->input_closed = n == 0 || (errno != EAGAIN && errno != EINTR);
		return;
	}
	l->input_len += n;
	l->input[l->input_len] = '\0';
	if ((nl = strchr(l->input, '\n'))) {
		*nl = '\0';
		snprintf(l->word, sizeof(l->word), "%.63s", l->input);
		l->input_len -= nl + 1 - l->input;
		memmove(l->input, nl + 1, l->input_len + 1);
	}
}

/*
 * Reads the children's reports (and, paced, the harness's words) until
 * done(ctx) holds or timeout_ms passes; returns whether done held.
 */
bool agent_pump(struct target_link *l, struct agent_child *const kids[], unsigned int nkids, uint64_t timeout_ms,
		bool (*done)(void *ctx), void *ctx)
{
	uint64_t deadline = mono_ms() + timeout_ms;

	for (;;) {
		struct pollfd fds[4];
		struct agent_child *of[4];
		unsigned int n = 0;

		for (unsigned int i = 0; i < nkids; i++) {
			agent_reap(kids[i]);
			if (kids[i]->fd >= 0) {
				fds[n] = (struct pollfd){ .fd = kids[i]->fd, .events = POLLIN };
				of[n++] = kids[i];
			}
		}
		if (done(ctx))
			return true;
		if (mono_ms() >= deadline)
			return false;
		if (l->paced && !l->input_closed) {
			fds[n] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
			of[n++] = NULL;
		}
		if (poll(fds, n, POLL_SLICE_MS) < 0 && errno != EINTR)
			agent_fail("poll", errno);
		for (unsigned int i = 0; i < n; i++) {
			if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (of[i])
				agent_read(of[i]);
			else
				input_read(l);
		}
	}
}

static bool never(void *ctx)
{
	(void)ctx;
	return false;
}

bool agent_exited(void *ctx)
{
	return ((struct agent_child *)ctx)->exited;
}

struct waiting {
	struct target_link *link;
	const char *word;
};

static bool told(void *ctx)
{
	struct waiting *w = ctx;

	return strcmp(w->link->word, w->word) == 0 || w->link->input_closed;
}

/*
 * Paced: waits for the harness's word; on its own: the window's bound. The
 * children keep being read meanwhile, so that none blocks on a full pipe.
 */
bool agent_go_on(struct target_link *l, const char *word, uint64_t alone_ms, struct agent_child *const kids[],
		 unsigned int nkids)
{
	struct waiting w = { l, word };

	if (!l->paced) {
		agent_pump(l, kids, nkids, alone_ms, never, NULL);
		return true;
	}
	link_event(l, EVENT_WAITING, "\"for\":\"%s\"", word);
	while (!agent_pump(l, kids, nkids, 60 * 60 * 1000, told, &w))
		;
	if (l->input_closed && strcmp(l->word, word) != 0)
		return false;
	l->word[0] = '\0';
	return true;
}


void agent_stop(struct agent_child *c)
{
	if (c->pid > 0 && !c->exited) {
		kill(c->pid, SIGKILL);
		if (waitpid(c->pid, &c->status, 0) == c->pid)
			exited(c);
	}
	/* Gone: what is left in its pipe ends at EOF (or EAGAIN, if something else holds the pipe). */
	if (c->fd >= 0)
		agent_read(c);
	if (c->log) {
		fclose(c->log);
		c->log = NULL;
	}
}
