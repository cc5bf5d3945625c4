// SPDX-License-Identifier: GPL-2.0-only
/* Host-side unit test of agent-lib.c: the agents' report lines, JSON strings and parameter parsing. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include "agent-fail.h"
#include "agent-lib.h"
#include "tap.h"

/* s as json_string() writes it. */
static const char *as_json(const char *s)
{
	static char *text;
	size_t len;
	FILE *f;

	free(text);
	f = json_text_open(&text, &len);
	json_string(f, s);
	json_text_close(f);
	return text;
}

TEST(json_strings)
{
	EXPECT_STREQ("\"/soc/xgmac@c000000\"", as_json("/soc/xgmac@c000000"));
	EXPECT_STREQ("\"\"", as_json(""));
	EXPECT_STREQ("null", as_json(NULL));
	EXPECT_STREQ("\"a\\\"b\\\\c\"", as_json("a\"b\\c"));
	EXPECT_STREQ("\"\\u000a\\u0001\\u001f \"", as_json("\n\x01\x1f "));
	/* UTF-8 and DEL go through as they are. */
	EXPECT_STREQ("\"\xc3\xa9\x7f\"", as_json("\xc3\xa9\x7f"));
}

static const char *arg;

static void parse_hex_arg(void *out)
{
	parse_hex(arg, out, 4, "arg_key");
}

static void parse_dec_arg(void *ctx)
{
	(void)ctx;
	parse_num(arg, 10, 1, 1000, "arg_n");
}

static void parse_iova_arg(void *ctx)
{
	(void)ctx;
	parse_num(arg, 16, 0, UINT32_MAX, "arg_iova");
}

TEST(hex_bytes)
{
	static const char *const bad[] = { "0aff10e", "0aff10e9a", "0aff10eg", "", " aff10e9", "0x0aff10" };
	uint8_t out[5] = { 0 };

	parse_hex("0aFf10e9", out, 4, "arg_key");
	EXPECT_EQ(0x0a, out[0]);
	EXPECT_EQ(0xff, out[1]);
	EXPECT_EQ(0x10, out[2]);
	EXPECT_EQ(0xe9, out[3]);
	EXPECT_EQ(0, out[4]);
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		arg = bad[i];
		if (!EXPECT_AGENT_FAIL(parse_hex_arg, out, "arg_key", EINVAL))
			printf("# for \"%s\"\n", arg);
	}
}

TEST(numbers)
{
	static const char *const bad[] = { "0", "1001", "", "12a", "1 " };

	EXPECT_EQ(0x1000, parse_num("0x1000", 16, 0, UINT32_MAX, "arg_iova"));
	EXPECT_EQ(0x1000, parse_num("1000", 16, 0, UINT32_MAX, "arg_iova"));
	EXPECT_EQ(1, parse_num("1", 10, 1, 1000, "arg_n"));
	EXPECT_EQ(1000, parse_num("1000", 10, 1, 1000, "arg_n"));
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		arg = bad[i];
		if (!EXPECT_AGENT_FAIL(parse_dec_arg, NULL, "arg_n", EINVAL))
			printf("# for \"%s\"\n", arg);
	}
	arg = "99999999999999999999999";
	EXPECT_AGENT_FAIL(parse_dec_arg, NULL, "arg_n", ERANGE);
	/* Nothing is not 0. */
	arg = "";
	EXPECT_AGENT_FAIL(parse_iova_arg, NULL, "arg_iova", EINVAL);
	arg = "0x100000000";
	EXPECT_AGENT_FAIL(parse_iova_arg, NULL, "arg_iova", EINVAL);
}

static void short_read(void *ctx)
{
	(void)ctx;
	agent_check_io(3, 8, "eventfd_read");
}

static void failed_read(void *ctx)
{
	(void)ctx;
	errno = EBADF;
	agent_check_io(-1, 8, "eventfd_read");
}

TEST(io_checks)
{
	agent_check_io(8, 8, "eventfd_read");
	EXPECT_AGENT_FAIL(short_read, NULL, "eventfd_read", EIO);
	EXPECT_AGENT_FAIL(failed_read, NULL, "eventfd_read", EBADF);
}

static _Noreturn void report(void)
{
	json_line("probe-start", "\"uptime_s\":%.3f", 1.5);
	json_line("probe-done", NULL);
	agent_fail("done", ENODEV);
}

/* What agent_fails() takes for granted: the lines json_line() and agent_fail() print, flushed before exit. */
TEST(report_lines)
{
	char out[512];
	size_t got = 0;
	int fds[2];
	ssize_t n;
	pid_t pid;

	ASSERT_EQ(0, pipe(fds));
	pid = fork();
	ASSERT_NE(-1, pid);
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		report();
	}
	close(fds[1]);
	while (got < sizeof(out) - 1 && (n = read(fds[0], out + got, sizeof(out) - 1 - got)) > 0)
		got += n;
	out[got] = '\0';
	close(fds[0]);
	waitpid(pid, NULL, 0);
	EXPECT_STREQ("{\"event\":\"probe-start\",\"uptime_s\":1.500}\n"
		     "{\"event\":\"probe-done\"}\n"
		     "{\"event\":\"error\",\"step\":\"done\",\"errno\":19,\"message\":\"No such device\"}\n", out);
}

TEST(clocks_go_forward)
{
	uint64_t ms = mono_ms(), us = boot_us();
	double s = mono_seconds();

	usleep(20000);
	EXPECT_EQ(true, mono_ms() >= ms + 20);
	EXPECT_EQ(true, boot_us() >= us + 20000);
	EXPECT_EQ(true, mono_seconds() >= s + 0.02);
	EXPECT_EQ(true, uptime_seconds() > 0);
}

TEST_HARNESS_MAIN
