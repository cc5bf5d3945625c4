// SPDX-License-Identifier: GPL-2.0-only
/* Host-side unit test of ktap.c: the lines of Documentation/dev-tools/ktap.rst, written to a memory stream. */
#include <stdlib.h>
#include <string.h>
#include "ktap.h"
#include "tap.h"

static char *text;
static size_t len;

TEST(nested_results_and_directives)
{
	FILE *f = open_memstream(&text, &len);
	struct ktap top, sub;

	ktap_begin(&top, f, 0, NULL, 1);
	ktap_begin(&sub, f, 1, "scenario.raw-driver", 3);
	ktap_result(&sub, KTAP_PASS, "bind", NULL);
	ktap_result(&sub, KTAP_FAIL, "user2-irqs", "fired: IRQ index 0 fired");
	ktap_result(&sub, KTAP_SKIP, "l0-smmu-faults", "no L0 vantage here");
	ktap_diag(&sub, "a note");
	ktap_result(&top, KTAP_FAIL, "scenario.raw-driver", NULL);
	fclose(f);
	EXPECT_STREQ("KTAP version 1\n"
		     "1..1\n"
		     "    KTAP version 1\n"
		     "    # Subtest: scenario.raw-driver\n"
		     "    1..3\n"
		     "    ok 1 bind\n"
		     "    not ok 2 user2-irqs # fired: IRQ index 0 fired\n"
		     "    ok 3 l0-smmu-faults # SKIP no L0 vantage here\n"
		     "    # a note\n"
		     "not ok 1 scenario.raw-driver\n",
		     text);
	free(text);
}

TEST(no_hash_or_newline_inside_a_line)
{
	FILE *f = open_memstream(&text, &len);
	struct ktap k = { .out = f };

	ktap_result(&k, KTAP_SKIP, "a#b", "why\n# not a directive");
	fclose(f);
	EXPECT_STREQ("ok 1 a_b # SKIP why _ not a directive\n", text);
	free(text);
}

TEST_HARNESS_MAIN
