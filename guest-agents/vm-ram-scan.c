// SPDX-License-Identifier: GPL-2.0-only
/*
 * Reads a paused VM's RAM from the host, through the shared file that backs
 * it, and reports where this run's frame payloads lie in it, as guest-
 * physical addresses. Run while the VM has not executed a single
 * instruction, so that nothing but a DMA write can have put a payload
 * there, and nothing of the guest can have overwritten one yet.
 *
 *   vm-ram-scan FILE GPA_BASE KEY RUN_ID
 *
 * FILE backs the VM's RAM from guest-physical GPA_BASE on (hex); KEY is the
 * run's 32 hex digits, RUN_ID its decimal u32. Reports "stale-payload" for
 * each payload found (the first MAX_LISTED), then "ram-snapshot".
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "agent-lib.h"
#include "payload-scan.h"

/* More than the device can write with the descriptors it holds; the count says if there were more. */
#define MAX_LISTED 4096

struct found {
	uint64_t gpa_base;
	uint64_t payloads;
};

static void on_payload(void *ctx, size_t offset, uint32_t seq)
{
	struct found *found = ctx;

	if (found->payloads++ < MAX_LISTED)
		json_line(EVENT_STALE_PAYLOAD, "\"gpa\":\"0x%llx\",\"seq\":%u",
			  (unsigned long long)(found->gpa_base + offset), seq);
}

/* A page that cannot be read ends the scan with a report, never with a scan that skipped it. */
static void on_sigbus(int sig)
{
	static const char line[] = "{\"event\":\"" EVENT_ERROR "\",\"step\":\"ram_scan_fault\",\"errno\":14}\n";

	(void)sig;
	if (write(STDOUT_FILENO, line, sizeof(line) - 1) < 0)
		_exit(2);
	_exit(2);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_sigbus };
	struct found found = { 0 };
	uint8_t key[16];
	uint32_t run_id;
	struct stat st;
	uint64_t t0;
	uint8_t *ram;
	int fd;

	if (argc != 5)
		agent_fail("usage", EINVAL);
	found.gpa_base = parse_num(argv[2], 16, 0, UINT64_MAX, "gpa_base");
	parse_hex(argv[3], key, sizeof(key), "key");
	run_id = parse_num(argv[4], 10, 0, UINT32_MAX, "run_id");
	if (sigaction(SIGBUS, &sa, NULL))
		agent_fail("sigaction", errno);
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		agent_fail("ram_file", errno);
	if (fstat(fd, &st))
		agent_fail("ram_file_stat", errno);
	if (st.st_size <= 0)
		agent_fail("ram_file_size", ENODATA);
	t0 = boot_us();
	ram = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (ram == MAP_FAILED)
		agent_fail("ram_map", errno);
	payload_scan(ram, st.st_size, key, run_id, on_payload, &found);
	munmap(ram, st.st_size);
	close(fd);
	json_line(EVENT_RAM_SNAPSHOT,
		  "\"gpa_base\":\"0x%llx\",\"bytes\":%llu,\"payloads\":%llu,\"listed\":%llu,"
		  "\"t_boot_ms\":%.3f,\"seconds\":%.3f",
		  (unsigned long long)found.gpa_base, (unsigned long long)st.st_size,
		  (unsigned long long)found.payloads,
		  (unsigned long long)(found.payloads < MAX_LISTED ? found.payloads : MAX_LISTED), t0 / 1000.0,
		  (boot_us() - t0) / 1e6);
	return 0;
}
