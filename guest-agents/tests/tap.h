/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the host-side unit tests share, in kselftest_harness style: EXPECT
 * records a failure and goes on, ASSERT ends the test. Prints TAP and a
 * "# N passed, M failed" summary; exits non-zero if any test fails.
 */
#ifndef TAP_H
#define TAP_H

#include <stdbool.h>
#include <stdio.h>

static bool test_failed;

static bool check_eq(unsigned long long exp, unsigned long long seen,
		     const char *exp_s, const char *seen_s, int line)
{
	if (exp == seen)
		return true;
	printf("# line %d: %s is 0x%llx, expected %s (0x%llx)\n", line, seen_s, seen, exp_s, exp);
	test_failed = true;
	return false;
}

#define EXPECT_EQ(exp, seen) check_eq((exp), (seen), #exp, #seen, __LINE__)
#define ASSERT_EQ(exp, seen) do { if (!EXPECT_EQ(exp, seen)) return; } while (0)

struct tap_test {
	const char *name;
	void (*fn)(void);
};

static int tap_run(const struct tap_test *tests, unsigned int n)
{
	unsigned int failures = 0;

	printf("TAP version 13\n1..%u\n", n);
	for (unsigned int i = 0; i < n; i++) {
		test_failed = false;
		tests[i].fn();
		failures += test_failed;
		printf("%sok %u %s\n", test_failed ? "not " : "", i + 1, tests[i].name);
	}
	printf("# %u passed, %u failed\n", n - failures, failures);
	return failures ? 1 : 0;
}

#define TAP_MAIN(tests) \
	int main(void) { return tap_run(tests, sizeof(tests) / sizeof(tests[0])); }

#endif
