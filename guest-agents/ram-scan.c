// SPDX-License-Identifier: GPL-2.0-only
#include "ram-scan.h"
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "agent-lib.h"
#include "payload-scan.h"

#define SCAN_CHUNK (1u << 20)
#define MAX_PAYLOAD_LINES 64

struct ram_reader {
	int fd;
	long page;
	uint64_t unreadable;	/* bytes /dev/mem refused, scanned as zeros */
};

/* 0, or -1 with errno set; a read that ends early without an error is EIO. */
static int pread_all(int fd, uint8_t *dst, size_t len, uint64_t pos)
{
	while (len) {
		ssize_t n = pread(fd, dst, len, pos);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!n)
				errno = EIO;
			return -1;
		}
		dst += n;
		pos += n;
		len -= n;
	}
	return 0;
}

/*
 * The scan's read: what is being replaced is zeroed first, so that the scan
 * buffer never holds more than the chunk it is being filled with. /dev/mem
 * fails a whole read (EFAULT) for one page it cannot copy: those pages are
 * read again one at a time, and the ones that still fail are left as zeros.
 */
static int read_ram(void *ctx, uint8_t *dst, uint64_t pos, size_t len)
{
	struct ram_reader *r = ctx;

	memset(dst, 0, len);
	if (!pread_all(r->fd, dst, len, pos))
		return 0;
	if (errno != EFAULT)
		return errno;
	for (size_t off = 0, n; off < len; off += n) {
		n = r->page - (pos + off) % r->page;
		if (n > len - off)
			n = len - off;
		if (!pread_all(r->fd, dst + off, n, pos + off))
			continue;
		if (errno != EFAULT)
			return errno;
		memset(dst + off, 0, n);
		r->unreadable += n;
	}
	return 0;
}

/*
 * The scan buffer is RAM too: when the scan reaches its own pages, they hold
 * what was just read into them, so a payload read from elsewhere shows up
 * there a second time. Knowing its frames (mlocked, which keeps them put
 * unless compaction moves them), such copies are told apart from payloads
 * the device wrote. The kernel's own bounce page in /dev/mem reads can show
 * one the same way, one page after the original: that one is not caught.
 */
struct scan_buffer {
	uint8_t *buf;
	size_t len;
	uint64_t pfn[(SCAN_CHUNK + PAYLOAD_OVERLAP) / 4096 + 2];
	size_t npfn;		/* 0: unknown */
	unsigned int page_shift;
};

static void scan_buffer_init(struct scan_buffer *b, long page)
{
	size_t npages;
	int fd;

	b->len = SCAN_CHUNK + PAYLOAD_OVERLAP;
	b->buf = mmap(NULL, b->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (b->buf == MAP_FAILED)
		agent_fail("scan_buffer", errno);
	b->page_shift = __builtin_ctzl(page);
	b->npfn = 0;
	npages = (b->len + page - 1) / page;
	if (npages > sizeof(b->pfn) / sizeof(b->pfn[0]) || mlock(b->buf, b->len))
		return;
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	/* Bit 63: present; bits 0..54: the frame, shown as 0 without CAP_SYS_ADMIN. */
	if (!pread_all(fd, (uint8_t *)b->pfn, npages * 8, ((uintptr_t)b->buf >> b->page_shift) * 8)) {
		b->npfn = npages;
		for (size_t i = 0; i < npages; i++) {
			if (!(b->pfn[i] >> 63) || !(b->pfn[i] & ((1ull << 55) - 1)))
				b->npfn = 0;
			b->pfn[i] &= (1ull << 55) - 1;
		}
	}
	close(fd);
}

static bool in_scan_buffer(const struct scan_buffer *b, uint64_t phys)
{
	for (size_t i = 0; i < b->npfn; i++)
		if (b->pfn[i] == phys >> b->page_shift)
			return true;
	return false;
}

struct found {
	const struct scan_buffer *buffer;
	uint64_t payloads;
	uint64_t buffer_copies;
	unsigned int lines;
};

static void on_payload(void *ctx, uint64_t phys, uint32_t seq)
{
	struct found *found = ctx;
	bool copy = in_scan_buffer(found->buffer, phys);

	if (copy)
		found->buffer_copies++;
	else
		found->payloads++;
	if (found->lines < MAX_PAYLOAD_LINES) {
		found->lines++;
		json_line("payload", "\"phys\":\"0x%llx\",\"seq\":%u%s", (unsigned long long)phys, seq,
			  copy ? ",\"scan_buffer\":true" : "");
	}
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

void ram_scan(const struct ram_range *ranges, unsigned int n, const uint8_t key[16], uint32_t run_id)
{
	static struct scan_buffer buffer;
	struct found found = { .buffer = &buffer };
	struct ram_reader reader = { .page = sysconf(_SC_PAGESIZE) };
	uint64_t bytes = report_ranges(ranges, n);
	double t0;

	scan_buffer_init(&buffer, reader.page);
	reader.fd = open("/dev/mem", O_RDONLY | O_CLOEXEC);
	if (reader.fd < 0)
		agent_fail("ram_devmem", errno);
	t0 = mono_seconds();
	for (unsigned int i = 0; i < n; i++) {
		uint64_t count;
		int err = payload_scan_stream(ranges[i].start, ranges[i].bytes, buffer.buf, SCAN_CHUNK,
					      read_ram, &reader, key, run_id, on_payload, &found, &count);

		if (err)
			agent_fail("ram_read", err);
	}
	close(reader.fd);
	/* What it last held may be a payload: it goes now, rather than with the process. */
	memset(buffer.buf, 0, buffer.len);
	munmap(buffer.buf, buffer.len);
	json_line("scan", "\"bytes\":%llu,\"payloads\":%llu,\"seconds\":%.3f,\"unreadable_bytes\":%llu,"
		  "\"scan_buffer_copies\":%llu,\"scan_buffer_known\":%s",
		  (unsigned long long)bytes, (unsigned long long)found.payloads, mono_seconds() - t0,
		  (unsigned long long)reader.unreadable, (unsigned long long)found.buffer_copies,
		  buffer.npfn ? "true" : "false");
}
