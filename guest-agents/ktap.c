// SPDX-License-Identifier: GPL-2.0-only
#include "ktap.h"
#include <stdarg.h>

static void indent(const struct ktap *k)
{
	for (unsigned int i = 0; i < k->depth; i++)
		fputs("    ", k->out);
}

void ktap_begin(struct ktap *k, FILE *out, unsigned int depth, const char *subtest, unsigned int planned)
{
	*k = (struct ktap){ .out = out, .depth = depth };
	indent(k);
	fputs("KTAP version 1\n", out);
	if (subtest) {
		indent(k);
		fprintf(out, "# Subtest: %s\n", subtest);
	}
	indent(k);
	fprintf(out, "1..%u\n", planned);
	fflush(out);
}

/* '#' would start a directive and a newline a new line: neither may appear inside a description or a reason. */
static void put_clean(FILE *out, const char *s)
{
	for (; *s; s++)
		putc(*s == '#' ? '_' : *s == '\n' ? ' ' : *s, out);
}

void ktap_result(struct ktap *k, enum ktap_result result, const char *name, const char *why)
{
	indent(k);
	fprintf(k->out, "%s %u ", result == KTAP_FAIL ? "not ok" : "ok", ++k->done);
	put_clean(k->out, name);
	if (result == KTAP_SKIP || (why && *why)) {
		fputs(result == KTAP_SKIP ? " # SKIP " : " # ", k->out);
		put_clean(k->out, why ? why : "");
	}
	putc('\n', k->out);
	fflush(k->out);
}

void ktap_diag(struct ktap *k, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	indent(k);
	fputs("# ", k->out);
	put_clean(k->out, line);
	putc('\n', k->out);
	fflush(k->out);
}
