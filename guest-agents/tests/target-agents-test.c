// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host-side unit test of target-agents.c with real child processes (sh):
 * an agent's reports are relayed tagged with who wrote them, its last
 * reports before the runner's "exited" (the harness stops reading a user
 * at "exited"), and a harness's word is taken only when it is the one
 * waited for.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "target-agents.h"
#include "tap.h"

static char *relayed;
static size_t relayed_len;

static struct target_link relaying_link(void)
{
	return (struct target_link){ .paced = false, .events = open_memstream(&relayed, &relayed_len) };
}

TEST(last_reports_come_before_exited)
{
	char *argv[] = { "/bin/sh", "-c",
			 "echo '{\"event\":\"opened\"}'; echo '{\"event\":\"memory\",\"changed_bytes\":0}';"
			 " echo '{\"event\":\"done\"}'",
			 NULL };
	struct target_link l = relaying_link();
	struct agent_child c;
	struct agent_child *kids[] = { &c };
	const char *done, *gone;

	agent_start(&l, &c, "user2", argv);
	/* Gone before the runner looks: its reports wait in the pipe when it is reaped. */
	usleep(300 * 1000);
	ASSERT_EQ(true, agent_pump(&l, kids, 1, 5000, agent_exited, &c));
	fflush(l.events);
	done = strstr(relayed, "{\"from\":\"user2\",\"event\":\"done\"}");
	gone = strstr(relayed, "\"event\":\"exited\",\"who\":\"user2\"");
	ASSERT_EQ(true, gone != NULL);
	EXPECT_EQ(true, done != NULL && done < gone);
	EXPECT_EQ(true, c.done && c.memory && c.opened);
	agent_stop(&c);
	fclose(l.events);
	free(relayed);
}

TEST(an_agent_that_cannot_start_reports_why)
{
	char *argv[] = { "/nonexistent/agent", NULL };
	struct target_link l = relaying_link();
	struct agent_child c;
	struct agent_child *kids[] = { &c };

	agent_start(&l, &c, "user1", argv);
	ASSERT_EQ(true, agent_pump(&l, kids, 1, 5000, agent_exited, &c));
	agent_stop(&c);
	fclose(l.events);
	EXPECT_EQ(true, c.failed);
	EXPECT_EQ(true, strstr(c.failure, "\"step\":\"exec\"") != NULL);
	free(relayed);
}

TEST_HARNESS_MAIN
