/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The on-target runner's agents (the users of the device, the frame
 * sender), each a child process whose stdout is JSON lines, and its link to
 * the harness when paced: every report goes to stdout tagged "from", and
 * the runner waits on stdin for the harness's words. The children are read
 * all the time the runner waits, so that none blocks on a full pipe.
 */
#ifndef TARGET_AGENTS_H
#define TARGET_AGENTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "contract.h"
#include "target-oracles.h"

#define AGENT_LINE_MAX 16384

struct target_link {
	bool paced;			/* the harness paces the runner through stdin */
	FILE *events;			/* paced: where every report goes, tagged "from"; else NULL */
	const char *out;		/* a directory for each agent's log, or NULL */
	bool have_key;			/* the run's payload key is known: user 1's frames are checked with it */
	uint8_t key[16];
	uint32_t run_id;
	/* The harness's last word, "" once taken; its input as it arrives. */
	char word[64];
	char input[256];
	size_t input_len;
	bool input_closed;
};

/* One agent, and what the runner learned from its reports. */
struct agent_child {
	struct target_link *link;
	const char *who;		/* "user1", "user2", "frames": the tag of its reports */
	pid_t pid;
	int fd;				/* its stdout; -1 once at EOF */
	bool exited;
	int status;
	FILE *log;
	char buf[AGENT_LINE_MAX];
	size_t len;
	unsigned int frames, frames_verified, irqs;
	bool ready, opened, armed, mapped, registers, memory, done, failed;
	char failure[256];		/* its "error" report */
	double control, dma_control, dma_intr_ena;
	unsigned int first_irq_index;
	double changed_bytes;
};

/* A report of the runner's own: {"from":"runner","event":event,<fields>}; nothing unless paced. */
void link_event(struct target_link *l, const char *event, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

void agent_start(struct target_link *l, struct agent_child *c, const char *who, char *const argv[]);

/* Reads what the agent printed so far (all of it once it has exited). */
void agent_read(struct agent_child *c);

/* Reads the agents' reports (paced, the harness's words too) until done(ctx) or timeout_ms; whether done held. */
bool agent_pump(struct target_link *l, struct agent_child *const kids[], unsigned int nkids, uint64_t timeout_ms,
		bool (*done)(void *ctx), void *ctx);

/* Ends the agent if it has not ended (SIGKILL), reads the rest of its reports and closes its log. */
void agent_stop(struct agent_child *c);

/* What user 2's reports give the judgement (target_judge), as the runner takes them once user 2 is done. */
void agent_user2_evidence(const struct agent_child *user2, struct target_evidence *e);

/* For agent_pump: whether the agent (ctx) has exited. */
bool agent_exited(void *ctx);

/*
 * Paced: waits for the harness's word (false if the harness went away);
 * alone: lets alone_ms pass. The agents are read meanwhile either way.
 */
bool agent_go_on(struct target_link *l, const char *word, uint64_t alone_ms, struct agent_child *const kids[],
		 unsigned int nkids);

#endif
