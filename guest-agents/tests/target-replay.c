// SPDX-License-Identifier: GPL-2.0-only
/*
 * The on-target runner's judgement of recorded evidence, for the spec that
 * holds it to the harness's judgement of the same run (specs/unit/
 * target-judge.spec.ts): user 2's reports are read as the runner reads a
 * live agent's (agent_read), the kernel's log after the kill line by line
 * as the runner reads /dev/kmsg, and both judged by target_judge.
 *
 *   target-replay SID IRQ_AT_RELEASE IRQ_DURING USER2_JSONL DMESG_AFTER_KILL
 *
 * An IRQ count of -1 is "no descriptor". Prints one JSON line per finding.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "target-agents.h"
#include "target-oracles.h"

static void replay_user2(const char *path, struct target_evidence *e)
{
	struct target_link link = { .paced = false };
	static struct agent_child user2;

	user2.link = &link;
	user2.who = "user2";
	user2.fd = open(path, O_RDONLY);
	if (user2.fd < 0) {
		perror(path);
		exit(2);
	}
	while (user2.fd >= 0)
		agent_read(&user2);
	agent_user2_evidence(&user2, e);
}

/* dmesg's "[ seconds.usec] text" lines: the runner sees the text alone. */
static void replay_log(const char *path, struct smmu_log_reader *r)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t size = 0;
	ssize_t n;

	if (!f) {
		perror(path);
		exit(2);
	}
	while ((n = getline(&line, &size, f)) >= 0) {
		const char *stamp_end = line[0] == '[' ? strchr(line, ']') : NULL;

		if (n > 0 && line[n - 1] == '\n')
			line[n - 1] = '\0';
		target_smmu_line(r, !stamp_end ? line : stamp_end[1] == ' ' ? stamp_end + 2 : stamp_end + 1);
	}
	target_smmu_end(r);
	free(line);
	fclose(f);
}

int main(int argc, char **argv)
{
	struct target_evidence e = { 0 };
	struct smmu_log_reader r = { &e, 0, "" };
	struct target_finding out[TARGET_ORACLE_COUNT];

	if (argc != 6) {
		fprintf(stderr, "usage: %s SID IRQ_AT_RELEASE IRQ_DURING USER2_JSONL DMESG_AFTER_KILL\n", argv[0]);
		return 2;
	}
	r.sid = (uint32_t)strtoul(argv[1], NULL, 0);
	e.irq_at_release = strtoll(argv[2], NULL, 0);
	e.irq_during = strtoll(argv[3], NULL, 0);
	replay_user2(argv[4], &e);
	replay_log(argv[5], &r);
	target_judge(&e, out);
	for (unsigned int i = 0; i < TARGET_ORACLE_COUNT; i++)
		printf("{\"oracle\":\"%s\",\"fired\":%s,\"count\":%llu}\n", out[i].oracle,
		       out[i].fired ? "true" : "false", out[i].count);
	return 0;
}
