// SPDX-License-Identifier: GPL-2.0-only
/*
 * The harness of tap.h checked by its own tests: tests that pass, fail,
 * crash, hang, exit or skip are run as subjects of a harness run of their
 * own, whose result and TAP output must be exactly what a reader of the
 * output relies on.
 */
#include <signal.h>
#include <stdlib.h>
#include "tap.h"

#define OUT_MAX 1024

/* ---- subjects: run by the tests below, not registered ---- */

static void passes(void)
{
	EXPECT_EQ(1, 1);
	EXPECT_NE(1, 2);
	EXPECT_STREQ("a", "a");
	EXPECT_STREQ(NULL, NULL);
}

static const int fails_at = __LINE__ + 3;
static void fails(void)
{
	EXPECT_EQ(1, 2);
	EXPECT_NE(3, 1 + 2);
	EXPECT_STREQ("a", "b");
	EXPECT_STREQ("a", NULL);
	EXPECT_STREQ("a", "ok 1\n\"\\");
	printf("# went on\n");
}

static const int asserts_at = __LINE__ + 3;
static void asserts(void)
{
	ASSERT_STREQ("a", "b");
	printf("# went on\n");
}

static void crashes(void)
{
	raise(SIGSEGV);
}

static void aborts(void)
{
	abort();
}

static void hangs(void)
{
	for (;;)
		pause();
}

static void exits(void)
{
	exit(0);
}

static void skips(void)
{
	SKIP("no %s here", "device");
	printf("# went on\n");
}

static void fails_then_skips(void)
{
	EXPECT_EQ(1, 2);
	SKIP("too late");
}

/* Set when the test of the fixture below is a subject: makes it end early. */
static bool bail;
static const int bail_at = __LINE__ + 19;

FIXTURE(steps) {
	int done;
};

FIXTURE_SETUP(steps)
{
	printf("# setup after %d steps\n", self->done);
	self->done++;
}

FIXTURE_TEARDOWN(steps)
{
	printf("# teardown after %d steps\n", self->done);
}

TEST_F(steps, run_between_setup_and_teardown)
{
	ASSERT_EQ(false, bail);
	self->done++;
}

/* ---- tests ---- */

/* Runs fn as test 1 of a harness run of its own; its TAP output goes to out. */
static enum tap_result run_subject(void (*fn)(void), const char *name, unsigned int timeout_s, char *out)
{
	struct tap_test t = { name, fn, timeout_s, 0, NULL };
	struct tap_shared *mine = tap_shared;
	FILE *capture = tmpfile();
	int saved = dup(STDOUT_FILENO);
	enum tap_result result;
	size_t n;

	ASSERT_EQ(true, capture != NULL);
	ASSERT_NE(-1, saved);
	tap_shared = mmap(NULL, sizeof(*tap_shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_EQ(true, tap_shared != MAP_FAILED);
	fflush(stdout);
	dup2(fileno(capture), STDOUT_FILENO);
	result = tap_run_one(&t, 1);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	munmap(tap_shared, sizeof(*tap_shared));
	tap_shared = mine;
	rewind(capture);
	n = fread(out, 1, OUT_MAX - 1, capture);
	out[n] = '\0';
	fclose(capture);
	return result;
}

TEST(passing)
{
	char out[OUT_MAX];

	EXPECT_EQ(TAP_PASS, run_subject(passes, "passes", 0, out));
	EXPECT_STREQ("ok 1 passes\n", out);
}

TEST(expect_records_and_goes_on)
{
	char out[OUT_MAX], want[OUT_MAX];

	snprintf(want, sizeof(want),
		 "# line %d: 2 is 0x2, expected 1 (0x1)\n"
		 "# line %d: 1 + 2 is 0x3, expected anything but 3\n"
		 "# line %d: \"b\" is \"b\", expected \"a\" (\"a\")\n"
		 "# line %d: NULL is NULL, expected \"a\" (\"a\")\n"
		 "# line %d: \"ok 1\\n\\\"\\\\\" is \"ok 1\\n\\\"\\\\\", expected \"a\" (\"a\")\n"
		 "# went on\n"
		 "not ok 1 fails\n", fails_at, fails_at + 1, fails_at + 2, fails_at + 3, fails_at + 4);
	EXPECT_EQ(TAP_FAIL, run_subject(fails, "fails", 0, out));
	EXPECT_STREQ(want, out);
}

TEST(assert_ends_the_test)
{
	char out[OUT_MAX], want[OUT_MAX];

	snprintf(want, sizeof(want), "# line %d: \"b\" is \"b\", expected \"a\" (\"a\")\nnot ok 1 asserts\n",
		 asserts_at);
	EXPECT_EQ(TAP_FAIL, run_subject(asserts, "asserts", 0, out));
	EXPECT_STREQ(want, out);
}

TEST(crash_fails_the_test)
{
	char out[OUT_MAX], want[OUT_MAX];

	snprintf(want, sizeof(want), "# crashes: killed by signal %d (%s)\nnot ok 1 crashes\n", SIGSEGV,
		 strsignal(SIGSEGV));
	EXPECT_EQ(TAP_FAIL, run_subject(crashes, "crashes", 0, out));
	EXPECT_STREQ(want, out);
	snprintf(want, sizeof(want), "# aborts: killed by signal %d (%s)\nnot ok 1 aborts\n", SIGABRT,
		 strsignal(SIGABRT));
	EXPECT_EQ(TAP_FAIL, run_subject(aborts, "aborts", 0, out));
	EXPECT_STREQ(want, out);
}

TEST(hang_is_killed_at_its_timeout)
{
	char out[OUT_MAX];

	EXPECT_EQ(TAP_FAIL, run_subject(hangs, "hangs", 1, out));
	EXPECT_STREQ("# hangs: timeout, killed after 1 s\nnot ok 1 hangs\n", out);
}

TEST(exit_fails_the_test)
{
	char out[OUT_MAX];

	EXPECT_EQ(TAP_FAIL, run_subject(exits, "exits", 0, out));
	EXPECT_STREQ("# exits: exited with status 0 before its end\nnot ok 1 exits\n", out);
}

TEST(skip_ends_the_test_with_its_reason)
{
	char out[OUT_MAX];

	EXPECT_EQ(TAP_SKIP, run_subject(skips, "skips", 0, out));
	EXPECT_STREQ("ok 1 skips # SKIP no device here\n", out);
}

TEST(failure_before_skip_counts)
{
	char out[OUT_MAX];

	EXPECT_EQ(TAP_FAIL, run_subject(fails_then_skips, "fails_then_skips", 0, out));
	EXPECT_STREQ("not ok 1 fails_then_skips\n", out + strcspn(out, "\n") + 1);
}

TEST(teardown_runs_after_an_assert)
{
	char out[OUT_MAX], want[OUT_MAX];

	snprintf(want, sizeof(want),
		 "# setup after 0 steps\n"
		 "# line %d: bail is 0x1, expected false (0x0)\n"
		 "# teardown after 1 steps\n"
		 "not ok 1 steps.run_between_setup_and_teardown\n", bail_at);
	bail = true;
	EXPECT_EQ(TAP_FAIL, run_subject(tap_steps_run_between_setup_and_teardown.fn,
					tap_steps_run_between_setup_and_teardown.name, 0, out));
	EXPECT_STREQ(want, out);
}

TEST_HARNESS_MAIN
