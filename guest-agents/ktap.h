/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Writes KTAP (the kernel's Documentation/dev-tools/ktap.rst): a header and
 * plan per (sub)test, one result line per case, subtests indented by four
 * spaces, with the SKIP directive for cases that could not be decided here.
 * Pure (it writes only to the stream it is given), so that it is unit-tested
 * on the host.
 */
#ifndef KTAP_H
#define KTAP_H

#include <stdbool.h>
#include <stdio.h>

enum ktap_result { KTAP_PASS, KTAP_FAIL, KTAP_SKIP };

struct ktap {
	FILE *out;
	unsigned int depth;
	unsigned int done;	/* results written at this level */
};

/* Starts the top level (depth 0) or a subtest (name given) with planned cases. */
void ktap_begin(struct ktap *k, FILE *out, unsigned int depth, const char *subtest, unsigned int planned);

/* A result line; for KTAP_SKIP, why is the reason; else it is diagnostic data, or NULL. */
void ktap_result(struct ktap *k, enum ktap_result result, const char *name, const char *why);

/* A diagnostic line at this level. */
void __attribute__((format(printf, 2, 3))) ktap_diag(struct ktap *k, const char *fmt, ...);

#endif
