/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Checks of the code under test that ends the agent with agent_fail():
 * that code runs in a child process, whose report and exit status are
 * checked, so that the test goes on.
 */
#ifndef AGENT_FAIL_H
#define AGENT_FAIL_H

#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tap.h"

/* Whether fn(ctx) printed exactly the report of a failure of step with err, and exited with status 2. */
static inline bool agent_fails(void (*fn)(void *ctx), void *ctx, const char *step, int err, int line)
{
	char out[512], want[512];
	size_t got = 0;
	int fds[2], status = 0;
	bool ok;
	pid_t pid;
	ssize_t n;

	ASSERT_EQ(0, pipe(fds));
	fflush(stdout);
	pid = fork();
	ASSERT_NE(-1, pid);
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		fn(ctx);
		_exit(0);
	}
	close(fds[1]);
	while (got < sizeof(out) - 1 && (n = read(fds[0], out + got, sizeof(out) - 1 - got)) > 0)
		got += n;
	out[got] = '\0';
	close(fds[0]);
	waitpid(pid, &status, 0);
	snprintf(want, sizeof(want), "{\"event\":\"error\",\"step\":\"%s\",\"errno\":%d,\"message\":\"%s\"}\n", step,
		 err, strerror(err));
	ok = EXPECT_STREQ(want, out);
	ok = EXPECT_EQ(2, WIFEXITED(status) ? WEXITSTATUS(status) : -1) && ok;
	if (!ok)
		printf("# as the failure expected at line %d\n", line);
	return ok;
}

#define EXPECT_AGENT_FAIL(fn, ctx, step, err) agent_fails((fn), (ctx), (step), (err), __LINE__)

#endif
