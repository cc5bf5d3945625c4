// SPDX-License-Identifier: GPL-2.0-only
#include "phys-view.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "agent-lib.h"

void phys_view_open(struct phys_view *v, uint64_t base, uint64_t len, const char *step)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t map_base = base & ~(uint64_t)(page - 1);
	int fd;

	v->map_len = (base - map_base + len + page - 1) & ~(size_t)(page - 1);
	fd = open("/dev/mem", O_RDONLY | O_SYNC | O_CLOEXEC);
	if (fd < 0)
		agent_fail(step, errno);
	v->map = mmap(NULL, v->map_len, PROT_READ, MAP_SHARED, fd, map_base);
	if (v->map == MAP_FAILED)
		agent_fail(step, errno);
	close(fd);
	v->regs = v->map + (base - map_base);
}

/* One plain 32-bit load, which a hypervisor can emulate (no writeback, no pair). */
uint32_t phys_read32(const struct phys_view *v, uint32_t off)
{
	const volatile uint32_t *p = (const volatile uint32_t *)(v->regs + off);
#if defined(__aarch64__)
	uint32_t val;

	__asm__ volatile("ldr %w0, [%1]" : "=r"(val) : "r"(p) : "memory");
	return val;
#else
	return *p;
#endif
}

void phys_view_close(struct phys_view *v)
{
	munmap(v->map, v->map_len);
}
