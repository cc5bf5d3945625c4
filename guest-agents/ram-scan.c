// SPDX-License-Identifier: GPL-2.0-only
#include "ram-scan.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include "agent-lib.h"
#include "payload-scan.h"

#define MAX_PAYLOAD_LINES 64

struct found {
	uint64_t base;		/* physical address of the range being scanned */
	uint64_t payloads;
	unsigned int lines;
};

static void on_payload(void *ctx, size_t offset, uint32_t seq)
{
	struct found *found = ctx;

	found->payloads++;
	if (found->lines < MAX_PAYLOAD_LINES) {
		found->lines++;
		json_line("payload", "\"phys\":\"0x%llx\",\"seq\":%u",
			  (unsigned long long)(found->base + offset), seq);
	}
}

/*
 * A page of a mapped range that cannot be read ends the probe with a report
 * rather than a bare SIGBUS: the scan never skips what it could not see.
 */
static void on_sigbus(int sig)
{
	static const char line[] = "{\"event\":\"error\",\"step\":\"ram_scan_fault\",\"errno\":14}\n";

	(void)sig;
	if (write(STDOUT_FILENO, line, sizeof(line) - 1) < 0)
		_exit(1);
	_exit(1);
}

/* Returns the bytes of RAM in all. */
static uint64_t report_ranges(const struct ram_range *ranges, unsigned int n)
{
	uint64_t bytes = 0;
	char *text;
	size_t len;
	FILE *f;

	f = json_text_open(&text, &len);
	for (unsigned int i = 0; i < n; i++) {
		fprintf(f, "%s{\"start\":\"0x%llx\",\"bytes\":%llu}", i ? "," : "",
			(unsigned long long)ranges[i].start, (unsigned long long)ranges[i].bytes);
		bytes += ranges[i].bytes;
	}
	json_text_close(f);
	json_line("ram", "\"ranges\":[%s],\"bytes\":%llu", text, (unsigned long long)bytes);
	free(text);
	return bytes;
}

/*
 * Each range is mapped from /dev/mem and searched in place: nothing is
 * copied, so no buffer of the scan's own can show a payload a second time,
 * and the scan reads only the bytes the search looks at. A range that
 * cannot be mapped counts as unreadable, which the harness judges blind.
 */
void ram_scan(const struct ram_range *ranges, unsigned int n, const uint8_t key[16], uint32_t run_id)
{
	struct sigaction sa = { .sa_handler = on_sigbus };
	struct found found = { 0 };
	uint64_t bytes = report_ranges(ranges, n), unreadable = 0;
	double t0;
	int fd;

	if (sigaction(SIGBUS, &sa, NULL))
		agent_fail("sigaction", errno);
	fd = open("/dev/mem", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		agent_fail("ram_devmem", errno);
	t0 = mono_seconds();
	for (unsigned int i = 0; i < n; i++) {
		uint8_t *ram = mmap(NULL, ranges[i].bytes, PROT_READ, MAP_SHARED, fd, ranges[i].start);

		if (ram == MAP_FAILED) {
			unreadable += ranges[i].bytes;
			continue;
		}
		found.base = ranges[i].start;
		payload_scan(ram, ranges[i].bytes, key, run_id, on_payload, &found);
		munmap(ram, ranges[i].bytes);
	}
	close(fd);
	json_line("scan", "\"bytes\":%llu,\"payloads\":%llu,\"seconds\":%.3f,\"unreadable_bytes\":%llu",
		  (unsigned long long)bytes, (unsigned long long)found.payloads, mono_seconds() - t0,
		  (unsigned long long)unreadable);
}
