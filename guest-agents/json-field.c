// SPDX-License-Identifier: GPL-2.0-only
#include "json-field.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool json_event_is(const char *line, const char *event)
{
	static const char prefix[] = "{\"event\":\"";
	size_t n = strlen(event);

	return strncmp(line, prefix, sizeof(prefix) - 1) == 0 &&
	       strncmp(line + sizeof(prefix) - 1, event, n) == 0 && line[sizeof(prefix) - 1 + n] == '"';
}

bool json_number(const char *line, const char *name, double *out)
{
	char key[64];
	const char *at;
	char *end;
	bool quoted;

	if ((size_t)snprintf(key, sizeof(key), "\"%s\":", name) >= sizeof(key))
		return false;
	at = strstr(line, key);
	if (!at)
		return false;
	at += strlen(key);
	quoted = *at == '"';
	at += quoted;
	if (quoted && at[0] == '0' && (at[1] == 'x' || at[1] == 'X'))
		*out = (double)strtoull(at, &end, 16);
	else
		*out = strtod(at, &end);
	if (end == at)
		return false;
	return quoted ? *end == '"' : (*end == ',' || *end == '}');
}
