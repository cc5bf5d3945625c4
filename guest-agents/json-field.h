/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reads the few fields the on-target runner needs out of the agents' own
 * JSON lines (agent-lib.h's json_line: flat objects, the event first).
 * Not a JSON parser: it knows only what the agents print. Pure, so that it
 * is unit-tested on the host.
 */
#ifndef JSON_FIELD_H
#define JSON_FIELD_H

#include <stdbool.h>

/* Whether line is the report named event: {"event":"<event>", ...}. */
bool json_event_is(const char *line, const char *event);

/*
 * The number in member name of line, written as a JSON number or as a
 * string of one ("0x1f", "12"); false if the member is missing or holds
 * anything else.
 */
bool json_number(const char *line, const char *name, double *out);

#endif
