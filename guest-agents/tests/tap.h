/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the host-side unit tests share, after the kernel's kselftest_harness.h.
 *
 * TEST(name) { ... } defines a test. A fixture is a struct set up before
 * each of its tests and torn down after, even when the test ended early:
 *
 *	FIXTURE(tree) { char root[64]; };
 *	FIXTURE_SETUP(tree) { ... self->root ... }
 *	FIXTURE_TEARDOWN(tree) { ... }
 *	TEST_F(tree, name) { ... self->root ... }
 *
 * The fixture starts zeroed, so that a teardown can tell how far its setup
 * got. EXPECT_* record a failure and go on; ASSERT_* end the test there, and
 * so does SKIP(fmt, ...), which reports the test as skipped, for the reason
 * given. Tests run in the order they are defined.
 *
 * Each test runs in a child process of its own, so that one that crashes,
 * aborts, exits or runs longer than TAP_TIMEOUT_S (then it is killed) fails
 * alone and the others still run. Prints TAP, then a summary line
 * "# N passed, M failed, K skipped"; the program exits non-zero if any test
 * failed. TEST_HARNESS_MAIN is the program's main.
 */
#ifndef TAP_H
#define TAP_H

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define TAP_TIMEOUT_S 10

struct tap_test {
	const char *name;
	void (*fn)(void);
	unsigned int timeout_s;		/* 0: TAP_TIMEOUT_S */
	int line;			/* where it is defined: tests run in that order */
	struct tap_test *next;
};

enum tap_result { TAP_PASS, TAP_FAIL, TAP_SKIP };

/* What a test's process tells the harness; in memory shared with it, since the process may not end well. */
struct tap_shared {
	bool done;			/* the test returned or ended early, rather than exiting */
	bool failed;
	bool skipped;
	char reason[256];		/* why it was skipped */
};

static struct tap_test *tap_tests;
static struct tap_shared *tap_shared;
static jmp_buf tap_bail_env;
static pid_t tap_child_pid;
static volatile sig_atomic_t tap_timed_out;

static void tap_register(struct tap_test *t)
{
	struct tap_test **at = &tap_tests;

	/* Constructors may run in either order. */
	while (*at && (*at)->line < t->line)
		at = &(*at)->next;
	t->next = *at;
	*at = t;
}

#define TAP_REGISTER(id, test_name, fn) \
	static struct tap_test tap_##id = { test_name, fn, 0, __LINE__, NULL }; \
	static void __attribute__((constructor)) tap_register_##id(void) \
	{ \
		tap_register(&tap_##id); \
	}

#define TEST(name) \
	static void name(void); \
	TAP_REGISTER(name, #name, name) \
	static void name(void)

/* Declares setup and teardown, which every fixture has, so that they may come after its tests. */
#define FIXTURE(f) \
	struct f##_fixture; \
	static void f##_setup(struct f##_fixture *self); \
	static void f##_teardown(struct f##_fixture *self); \
	struct f##_fixture
#define FIXTURE_SETUP(f) static void f##_setup(struct f##_fixture __attribute__((unused)) *self)
#define FIXTURE_TEARDOWN(f) static void f##_teardown(struct f##_fixture __attribute__((unused)) *self)

/*
 * The fixture is static, as a local's value after longjmp() would be
 * indeterminate; each test runs in a fresh process, where it is still zero.
 */
#define TEST_F(f, name) \
	static void f##_##name(struct f##_fixture *self); \
	static void f##_##name##_run(void) \
	{ \
		static struct f##_fixture self; \
		if (!setjmp(tap_bail_env)) { \
			f##_setup(&self); \
			f##_##name(&self); \
		} \
		if (!setjmp(tap_bail_env)) \
			f##_teardown(&self); \
	} \
	TAP_REGISTER(f##_##name, #f "." #name, f##_##name##_run) \
	static void f##_##name(struct f##_fixture __attribute__((unused)) *self)

static inline _Noreturn void tap_bail(void)
{
	longjmp(tap_bail_env, 1);
}

/* Records a failed check at line and starts its diagnostic, which the caller ends. */
static inline void tap_failed_at(int line)
{
	tap_shared->failed = true;
	printf("# line %d: ", line);
}

static inline bool tap_check_eq(unsigned long long exp, unsigned long long seen, const char *exp_s,
				const char *seen_s, int line)
{
	if (exp == seen)
		return true;
	tap_failed_at(line);
	printf("%s is 0x%llx, expected %s (0x%llx)\n", seen_s, seen, exp_s, exp);
	return false;
}

static inline bool tap_check_ne(unsigned long long other, unsigned long long seen, const char *other_s,
				const char *seen_s, int line)
{
	if (other != seen)
		return true;
	tap_failed_at(line);
	printf("%s is 0x%llx, expected anything but %s\n", seen_s, seen, other_s);
	return false;
}

/* On one line, so that a string holding TAP cannot pass for the harness's own. */
static inline void tap_print_str(const char *s)
{
	if (!s) {
		fputs("NULL", stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static inline bool tap_check_streq(const char *exp, const char *seen, const char *exp_s, const char *seen_s,
				   int line)
{
	if (exp && seen ? !strcmp(exp, seen) : exp == seen)
		return true;
	tap_failed_at(line);
	printf("%s is ", seen_s);
	tap_print_str(seen);
	printf(", expected %s (", exp_s);
	tap_print_str(exp);
	puts(")");
	return false;
}

/* Each stringifies its own arguments: through another macro, they would be macro-expanded first. */
#define EXPECT_EQ(exp, seen) tap_check_eq((exp), (seen), #exp, #seen, __LINE__)
#define EXPECT_NE(other, seen) tap_check_ne((other), (seen), #other, #seen, __LINE__)
#define EXPECT_STREQ(exp, seen) tap_check_streq((exp), (seen), #exp, #seen, __LINE__)
#define ASSERT_EQ(exp, seen) do { if (!tap_check_eq((exp), (seen), #exp, #seen, __LINE__)) tap_bail(); } while (0)
#define ASSERT_NE(other, seen) do { if (!tap_check_ne((other), (seen), #other, #seen, __LINE__)) tap_bail(); } while (0)
#define ASSERT_STREQ(exp, seen) \
	do { if (!tap_check_streq((exp), (seen), #exp, #seen, __LINE__)) tap_bail(); } while (0)

static inline _Noreturn void __attribute__((format(printf, 1, 2))) tap_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tap_shared->reason, sizeof(tap_shared->reason), fmt, ap);
	va_end(ap);
	tap_shared->skipped = true;
	tap_bail();
}

#define SKIP(...) tap_skip(__VA_ARGS__)

static _Noreturn void tap_child(const struct tap_test *t)
{
	/* Its own group, so that a timeout kills whatever it started too. */
	setpgid(0, 0);
	signal(SIGALRM, SIG_DFL);
	if (!setjmp(tap_bail_env))
		t->fn();
	tap_shared->done = true;
	fflush(stdout);
	_exit(0);
}

static void tap_on_alarm(int sig)
{
	(void)sig;
	tap_timed_out = 1;
	kill(-tap_child_pid, SIGKILL);
}

/* Runs t in a child process: whether the process ended by itself, rather than by a crash, exit or timeout. */
static bool tap_run_child(const struct tap_test *t)
{
	struct sigaction on_alarm = { .sa_handler = tap_on_alarm };
	unsigned int timeout = t->timeout_s ? t->timeout_s : TAP_TIMEOUT_S;
	int status;

	memset(tap_shared, 0, sizeof(*tap_shared));
	tap_timed_out = 0;
	fflush(stdout);
	tap_child_pid = fork();
	if (tap_child_pid < 0) {
		printf("# %s: fork: %s\n", t->name, strerror(errno));
		return false;
	}
	if (tap_child_pid == 0)
		tap_child(t);
	/* As the child does: whichever runs first, the group exists before the alarm. */
	setpgid(tap_child_pid, tap_child_pid);
	sigaction(SIGALRM, &on_alarm, NULL);
	alarm(timeout);
	while (waitpid(tap_child_pid, &status, 0) < 0 && errno == EINTR)
		;
	alarm(0);
	if (tap_timed_out)
		printf("# %s: timeout, killed after %u s\n", t->name, timeout);
	else if (WIFSIGNALED(status))
		printf("# %s: killed by signal %d (%s)\n", t->name, WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (!tap_shared->done)
		printf("# %s: exited with status %d before its end\n", t->name, WEXITSTATUS(status));
	else
		return true;
	return false;
}

/* Runs test number n, prints its TAP line. */
static enum tap_result tap_run_one(const struct tap_test *t, unsigned int n)
{
	enum tap_result result;

	if (!tap_run_child(t) || tap_shared->failed)
		result = TAP_FAIL;
	else
		result = tap_shared->skipped ? TAP_SKIP : TAP_PASS;
	printf("%sok %u %s", result == TAP_FAIL ? "not " : "", n, t->name);
	if (result == TAP_SKIP)
		printf(" # SKIP %s", tap_shared->reason);
	putchar('\n');
	return result;
}

static int tap_main(void)
{
	unsigned int count[3] = { 0 }, n = 0, i = 0;

	/* Whole lines reach the output before a test's process dies. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	tap_shared = mmap(NULL, sizeof(*tap_shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (tap_shared == MAP_FAILED) {
		printf("Bail out! mmap: %s\n", strerror(errno));
		return 1;
	}
	for (const struct tap_test *t = tap_tests; t; t = t->next)
		n++;
	printf("TAP version 13\n1..%u\n", n);
	for (const struct tap_test *t = tap_tests; t; t = t->next)
		count[tap_run_one(t, ++i)]++;
	printf("# %u passed, %u failed, %u skipped\n", count[TAP_PASS], count[TAP_FAIL], count[TAP_SKIP]);
	return count[TAP_FAIL] ? 1 : 0;
}

#define TEST_HARNESS_MAIN \
	int main(void) \
	{ \
		return tap_main(); \
	}

#endif
