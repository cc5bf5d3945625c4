// SPDX-License-Identifier: GPL-2.0-only
/*
 * First process of a nested guest (L2) given an XGMAC that another VM used
 * until it was killed: reports, before anything in this guest drives the
 * device, whether the device still raises its interrupts (pending or active
 * at the GIC distributor) and whether its DMA put this run's frame payloads
 * into this guest's RAM, which only a device left running can have done.
 * It only reads: the device tree, the distributor's registers and RAM,
 * through /dev/mem; never a register of the XGMAC.
 *
 * Parameters, on the kernel command line:
 *   vfio_reset.key=<32 hex digits> vfio_reset.runid=<decimal u32>
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "agent-lib.h"
#include "payload-scan.h"
#include "xgmac-regs.h"

#define GIC_COMPATIBLE "arm,gic-v3"
#define MAX_DEVICES 4
#define MAX_SPIS 32
#define PROP_MAX 1024

#define GICD_TYPER 0x004
#define GICD_ISENABLER 0x100
#define GICD_ISPENDR 0x200
#define GICD_ISACTIVER 0x300
#define GICD_REGS_END 0x380	/* past the last ISACTIVER */
#define GIC_SPI_BASE 32
#define GIC_MAX_INTID 1020	/* 1020..1023 are special */

#define SCAN_CHUNK (1u << 20)
#define MAX_PAYLOAD_LINES 64
#define MAX_RAM_RANGES 64

struct params {
	uint8_t key[16];
	uint32_t run_id;
};

/* Paths of nodes are relative to the tree's root directory: "" is the root, then "/a@1/b". */
struct dt {
	const char *root;
	char xgmac[MAX_DEVICES][PATH_MAX];
	unsigned int nxgmac;
	char gic[PATH_MAX];
	unsigned int ngic;
};

struct ram_range {
	uint64_t start, bytes;
};

/* ---- parameters ---- */

static uint32_t parse_run_id(const char *s)
{
	/* parse_num alone would take a sign or blanks. */
	if (!isdigit((unsigned char)s[0]))
		agent_fail("cmdline_runid", EINVAL);
	return parse_num(s, 10, 0, UINT32_MAX, "cmdline_runid");
}

/* As the kernel does for its own parameters, the last of several settings counts. */
static void parse_cmdline(struct params *p)
{
	const char *key = NULL, *run_id = NULL;
	char line[8192], *save, *tok;
	size_t n;
	FILE *f = fopen("/proc/cmdline", "r");

	if (!f)
		agent_fail("cmdline", errno);
	n = fread(line, 1, sizeof(line) - 1, f);
	if (ferror(f))
		agent_fail("cmdline", EIO);
	fclose(f);
	line[n] = '\0';
	for (tok = strtok_r(line, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
		if (!strncmp(tok, "vfio_reset.key=", 15))
			key = tok + 15;
		else if (!strncmp(tok, "vfio_reset.runid=", 17))
			run_id = tok + 17;
	}
	if (!key)
		agent_fail("cmdline_key", ENOENT);
	if (!run_id)
		agent_fail("cmdline_runid", ENOENT);
	parse_hex(key, p->key, sizeof(p->key), "cmdline_key");
	p->run_id = parse_run_id(run_id);
}

/* ---- device tree ---- */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Property name of node rel: its length, or -1 with errno set (ENOENT: the node has no such property). */
static ssize_t read_prop(const struct dt *dt, const char *rel, const char *name, void *buf, size_t size)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	if (snprintf(path, sizeof(path), "%s%s/%s", dt->root, rel, name) >= (int)sizeof(path))
		agent_fail("device_tree", ENAMETOOLONG);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size);
	close(fd);
	/* Filling buf may have cut it short: none we read is anywhere near that long. */
	if (n == (ssize_t)size)
		agent_fail("device_tree_property", EOVERFLOW);
	return n;
}

/* A u32 property, or dflt if the node has none. */
static uint32_t read_u32_prop(const struct dt *dt, const char *rel, const char *name, uint32_t dflt)
{
	uint8_t v[8];
	ssize_t n = read_prop(dt, rel, name, v, sizeof(v));

	if (n < 0 && errno == ENOENT)
		return dflt;
	if (n != 4)
		agent_fail("device_tree_property", n < 0 ? errno : EINVAL);
	return be32(v);
}

/* Whether a string list (as compatible) holds s. */
static bool has_string(const char *list, size_t len, const char *s)
{
	size_t slen = strlen(s);

	for (size_t at = 0; at < len; at += strnlen(list + at, len - at) + 1)
		if (len - at > slen && !memcmp(list + at, s, slen + 1))
			return true;
	return false;
}

static bool is_dir(DIR *d, const struct dirent *e)
{
	struct stat st;

	if (e->d_type != DT_UNKNOWN)
		return e->d_type == DT_DIR;
	return !fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) && S_ISDIR(st.st_mode);
}

/* Nodes are directories, properties files; rel is a PATH_MAX buffer holding the node's path. */
static void dt_walk(struct dt *dt, char *rel, size_t rel_len)
{
	char path[PATH_MAX], compat[PROP_MAX];
	ssize_t n = read_prop(dt, rel, "compatible", compat, sizeof(compat));
	struct dirent *e;
	DIR *d;

	if (n > 0 && has_string(compat, n, XGMAC_COMPATIBLE)) {
		if (dt->nxgmac < MAX_DEVICES)
			strcpy(dt->xgmac[dt->nxgmac], rel);
		dt->nxgmac++;
	}
	/* Exact: "arm,gic-v3-its" is the ITS under it. */
	if (n > 0 && has_string(compat, n, GIC_COMPATIBLE)) {
		if (!dt->ngic)
			strcpy(dt->gic, rel);
		dt->ngic++;
	}
	snprintf(path, sizeof(path), "%s%s", dt->root, rel);
	d = opendir(path);
	if (!d)
		agent_fail("device_tree", errno);
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);

		/* Node names never start with a dot: this skips only "." and "..". */
		if (e->d_name[0] == '.' || !is_dir(d, e))
			continue;
		if (rel_len + 1 + len >= PATH_MAX)
			agent_fail("device_tree", ENAMETOOLONG);
		rel[rel_len] = '/';
		memcpy(rel + rel_len + 1, e->d_name, len + 1);
		dt_walk(dt, rel, rel_len + 1 + len);
		rel[rel_len] = '\0';
	}
	closedir(d);
}

static void find_nodes(struct dt *dt)
{
	static char rel[PATH_MAX];

	dt->root = access("/proc/device-tree", R_OK) == 0 ? "/proc/device-tree" : "/sys/firmware/devicetree/base";
	rel[0] = '\0';
	dt_walk(dt, rel, 0);
	if (!dt->nxgmac)
		agent_fail("find_device", ENODEV);
	if (dt->nxgmac > MAX_DEVICES)
		agent_fail("find_device", E2BIG);
	if (dt->ngic != 1)
		agent_fail("find_gic", dt->ngic ? E2BIG : ENODEV);
}

/* The node's path as the kernel writes it: "/" for the root. */
static const char *node_name(const char *rel)
{
	return rel[0] ? rel : "/";
}

static void parent_of(char *rel)
{
	char *slash = strrchr(rel, '/');

	if (slash)
		*slash = '\0';
}

/* Interrupt parents are inherited down the tree. Returns its phandle, 0 if there is none. */
static uint32_t interrupt_parent(const struct dt *dt, const char *node)
{
	char rel[PATH_MAX];

	strcpy(rel, node);
	for (;;) {
		uint32_t phandle = read_u32_prop(dt, rel, "interrupt-parent", 0);

		if (phandle || !rel[0])
			return phandle;
		parent_of(rel);
	}
}

static uint32_t phandle_of(const struct dt *dt, const char *rel)
{
	uint32_t phandle = read_u32_prop(dt, rel, "phandle", 0);

	return phandle ? phandle : read_u32_prop(dt, rel, "linux,phandle", 0);
}

/* ---- the device ---- */

struct spis {
	uint32_t spi[MAX_SPIS];
	unsigned int n;
};

/* The SPIs of node, whose interrupt parent must be the GIC, whose specifier is <type number flags ...>. */
static void read_spis(const struct dt *dt, const char *node, struct spis *spis, FILE *list)
{
	uint32_t gic_phandle = phandle_of(dt, dt->gic);
	uint32_t cells = read_u32_prop(dt, dt->gic, "#interrupt-cells", 0);
	uint8_t prop[PROP_MAX];
	ssize_t n;
	bool first = true;

	if (!gic_phandle || interrupt_parent(dt, node) != gic_phandle)
		agent_fail("device_interrupt_parent", ENOTSUP);
	if (cells < 3)
		agent_fail("gic_interrupt_cells", ENOTSUP);
	n = read_prop(dt, node, "interrupts", prop, sizeof(prop));
	if (n < 0)
		agent_fail("device_interrupts", errno);
	if (n % (4 * cells))
		agent_fail("device_interrupts", EINVAL);
	for (ssize_t at = 0; at < n; at += 4 * cells) {
		uint32_t type = be32(prop + at), number = be32(prop + at + 4);

		/* 0: SPI; the others (PPI, extended ranges) are not the device's lines on virt. */
		if (type != 0)
			continue;
		if (number >= GIC_MAX_INTID - GIC_SPI_BASE)
			agent_fail("device_interrupts", ERANGE);
		if (spis->n >= MAX_SPIS)
			agent_fail("device_interrupts", E2BIG);
		spis->spi[spis->n++] = number;
		fprintf(list, "%s%u", first ? "" : ",", number);
		first = false;
	}
}

/* The platform device made from the node (by its of_node link, or by name), and whether a driver has it. */
static void report_device(const struct dt *dt, const char *node, struct spis *spis)
{
	static const char devices[] = "/sys/bus/platform/devices";
	char node_real[PATH_MAX], path[PATH_MAX], link[PATH_MAX], real[PATH_MAX];
	char name[NAME_MAX + 1] = "", driver[PATH_MAX] = "";
	bool bound = false;
	char *text, *spi_list;
	size_t len, spi_len;
	struct dirent *e;
	FILE *f;
	DIR *d;

	f = json_text_open(&spi_list, &spi_len);
	read_spis(dt, node, spis, f);
	json_text_close(f);

	snprintf(path, sizeof(path), "%s%s", dt->root, node);
	if (!realpath(path, node_real))
		agent_fail("device_node", errno);
	d = opendir(devices);
	if (!d)
		agent_fail("platform_devices", errno);
	while ((e = readdir(d))) {
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		/* By name only for a device not made from the device tree. */
		snprintf(path, sizeof(path), "%s/%s/of_node", devices, e->d_name);
		if (realpath(path, real) ? strcmp(real, node_real) != 0 : !strstr(e->d_name, "xgmac"))
			continue;
		if (!name[0])
			snprintf(name, sizeof(name), "%s", e->d_name);
		snprintf(path, sizeof(path), "%s/%s/driver", devices, e->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0) {
			if (errno != ENOENT)
				agent_fail("platform_driver", errno);
			continue;
		}
		link[n] = '\0';
		bound = true;
		snprintf(driver, sizeof(driver), "%s", strrchr(link, '/') ? strrchr(link, '/') + 1 : link);
	}
	closedir(d);

	f = json_text_open(&text, &len);
	fputs("\"node\":", f);
	json_string(f, node_name(node));
	fputs(",\"platform_device\":", f);
	json_string(f, name[0] ? name : NULL);
	fprintf(f, ",\"spis\":[%s],\"driver_bound\":%s,\"driver\":", spi_list, bound ? "true" : "false");
	json_string(f, bound ? driver : NULL);
	json_text_close(f);
	json_line("device", "%s", text);
	free(text);
	free(spi_list);
}

/* ---- GIC distributor ---- */

static uint64_t read_cells(const uint8_t *p, uint32_t cells)
{
	uint64_t v = 0;

	for (uint32_t i = 0; i < cells; i++)
		v = v << 32 | be32(p + 4 * i);
	return v;
}

/*
 * The first reg entry of the GIC node: the distributor. Its address is in
 * the parent's address space, which is the CPU's only if every node between
 * has an empty ranges (identity); on virt the GIC sits under the root.
 */
static void gic_distributor(const struct dt *dt, uint64_t *base, uint64_t *size)
{
	char parent[PATH_MAX];
	uint8_t reg[PROP_MAX];
	uint32_t ac, sc;
	ssize_t n;

	strcpy(parent, dt->gic);
	parent_of(parent);
	ac = read_u32_prop(dt, parent, "#address-cells", 2);
	sc = read_u32_prop(dt, parent, "#size-cells", 1);
	if (ac < 1 || ac > 2 || sc < 1 || sc > 2)
		agent_fail("gic_reg", ENOTSUP);
	n = read_prop(dt, dt->gic, "reg", reg, sizeof(reg));
	if (n < 0)
		agent_fail("gic_reg", errno);
	if ((size_t)n < 4 * (ac + sc))
		agent_fail("gic_reg", EINVAL);
	*base = read_cells(reg, ac);
	*size = read_cells(reg + 4 * ac, sc);
	for (char *rel = parent; rel[0]; parent_of(rel)) {
		uint8_t ranges[PROP_MAX];

		if (read_prop(dt, rel, "ranges", ranges, sizeof(ranges)) != 0)
			agent_fail("gic_reg_translation", ENOTSUP);
	}
}

/* One plain 32-bit load, which a hypervisor can emulate (no writeback, no pair). */
static uint32_t mmio_read32(const volatile uint8_t *base, uint32_t off)
{
	const volatile uint32_t *p = (const volatile uint32_t *)(base + off);
#if defined(__aarch64__)
	uint32_t v;

	__asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(p) : "memory");
	return v;
#else
	return *p;
#endif
}

static bool bit(const uint32_t *regs, uint32_t intid)
{
	return regs[intid / 32] >> (intid % 32) & 1;
}

static void list_set_bits(FILE *f, const uint32_t *regs, uint32_t lines)
{
	bool first = true;

	for (uint32_t intid = 0; intid < lines; intid++) {
		if (!bit(regs, intid))
			continue;
		fprintf(f, "%s%u", first ? "" : ",", intid);
		first = false;
	}
}

/*
 * The pending and active state of every interrupt the distributor has, read
 * in one go. With affinity routing (always on for a guest's GICv3 under KVM),
 * SGIs and PPIs (0..31) are the redistributors': those bits read as zero here.
 */
static void report_gic(const struct dt *dt, const struct spis *spis)
{
	uint32_t pending[32], active[32], enabled[32], typer, lines;
	long page = sysconf(_SC_PAGESIZE);
	uint64_t base, size, map_base;
	size_t map_len;
	uint8_t *map;
	char *text;
	size_t len;
	FILE *f;
	int fd;

	gic_distributor(dt, &base, &size);
	if (size < GICD_REGS_END)
		agent_fail("gic_reg", EINVAL);
	map_base = base & ~(uint64_t)(page - 1);
	map_len = (base - map_base + GICD_REGS_END + page - 1) & ~(size_t)(page - 1);
	fd = open("/dev/mem", O_RDONLY | O_SYNC | O_CLOEXEC);
	if (fd < 0)
		agent_fail("gic_devmem", errno);
	map = mmap(NULL, map_len, PROT_READ, MAP_SHARED, fd, map_base);
	if (map == MAP_FAILED)
		agent_fail("gic_mmap", errno);
	close(fd);

	typer = mmio_read32(map + (base - map_base), GICD_TYPER);
	lines = ((typer & 0x1f) + 1) * 32;
	if (lines > GIC_MAX_INTID)
		lines = GIC_MAX_INTID;
	memset(pending, 0, sizeof(pending));
	memset(active, 0, sizeof(active));
	memset(enabled, 0, sizeof(enabled));
	for (uint32_t i = 0; i < (lines + 31) / 32; i++) {
		pending[i] = mmio_read32(map + (base - map_base), GICD_ISPENDR + 4 * i);
		active[i] = mmio_read32(map + (base - map_base), GICD_ISACTIVER + 4 * i);
		enabled[i] = mmio_read32(map + (base - map_base), GICD_ISENABLER + 4 * i);
	}
	munmap(map, map_len);

	f = json_text_open(&text, &len);
	fprintf(f, "\"base\":\"0x%llx\",\"lines\":%u,\"pending\":[", (unsigned long long)base, lines);
	list_set_bits(f, pending, lines);
	fputs("],\"active\":[", f);
	list_set_bits(f, active, lines);
	fputs("],\"spis\":[", f);
	for (unsigned int i = 0; i < spis->n; i++) {
		uint32_t intid = GIC_SPI_BASE + spis->spi[i];

		fprintf(f, "%s{\"spi\":%u,\"intid\":%u,\"pending\":%s,\"active\":%s,\"enabled\":%s}",
			i ? "," : "", spis->spi[i], intid,
			bit(pending, intid) ? "true" : "false", bit(active, intid) ? "true" : "false",
			bit(enabled, intid) ? "true" : "false");
	}
	fputc(']', f);
	json_text_close(f);
	json_line("gic", "%s", text);
	free(text);
}

/* ---- RAM ---- */

/* The top-level System RAM entries of /proc/iomem, adjacent ones merged. */
static unsigned int ram_ranges(struct ram_range *r)
{
	char *line = NULL;
	size_t cap = 0;
	unsigned int n = 0;
	FILE *f = fopen("/proc/iomem", "r");

	if (!f)
		agent_fail("iomem", errno);
	while (getline(&line, &cap, f) > 0) {
		unsigned long long start, end;
		int name_at = 0;

		/* Children are indented. */
		if (sscanf(line, "%llx-%llx : %n", &start, &end, &name_at) != 2 || !name_at ||
		    strcmp(line + name_at, "System RAM\n"))
			continue;
		/* What a process without CAP_SYS_ADMIN sees. */
		if (!start && !end)
			agent_fail("iomem", EPERM);
		if (end < start)
			agent_fail("iomem", EINVAL);
		if (n && r[n - 1].start + r[n - 1].bytes == start) {
			r[n - 1].bytes += end - start + 1;
			continue;
		}
		if (n == MAX_RAM_RANGES)
			agent_fail("iomem", E2BIG);
		r[n++] = (struct ram_range){ start, end - start + 1 };
	}
	free(line);
	fclose(f);
	if (!n)
		agent_fail("iomem", ENOENT);
	return n;
}

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

struct ram_scan {
	const struct scan_buffer *buffer;
	uint64_t payloads;
	uint64_t buffer_copies;
	unsigned int lines;
};

static void on_payload(void *ctx, uint64_t phys, uint32_t seq)
{
	struct ram_scan *s = ctx;
	bool copy = in_scan_buffer(s->buffer, phys);

	if (copy)
		s->buffer_copies++;
	else
		s->payloads++;
	if (s->lines < MAX_PAYLOAD_LINES) {
		s->lines++;
		json_line("payload", "\"phys\":\"0x%llx\",\"seq\":%u%s", (unsigned long long)phys, seq,
			  copy ? ",\"scan_buffer\":true" : "");
	}
}

static void scan_ram(const struct params *p)
{
	struct ram_range ranges[MAX_RAM_RANGES];
	static struct scan_buffer buffer;
	struct ram_scan scan = { .buffer = &buffer };
	struct ram_reader reader = { .page = sysconf(_SC_PAGESIZE) };
	unsigned int n = ram_ranges(ranges);
	uint64_t bytes = 0;
	double t0;
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

	scan_buffer_init(&buffer, reader.page);
	reader.fd = open("/dev/mem", O_RDONLY | O_CLOEXEC);
	if (reader.fd < 0)
		agent_fail("ram_devmem", errno);
	t0 = mono_seconds();
	for (unsigned int i = 0; i < n; i++) {
		uint64_t count;
		int err = payload_scan_stream(ranges[i].start, ranges[i].bytes, buffer.buf, SCAN_CHUNK,
					      read_ram, &reader, p->key, p->run_id, on_payload, &scan, &count);

		if (err)
			agent_fail("ram_read", err);
	}
	close(reader.fd);
	/* What it last held may be a payload: it goes now, rather than with the process. */
	memset(buffer.buf, 0, buffer.len);
	munmap(buffer.buf, buffer.len);
	json_line("scan", "\"bytes\":%llu,\"payloads\":%llu,\"seconds\":%.3f,\"unreadable_bytes\":%llu,"
		  "\"scan_buffer_copies\":%llu,\"scan_buffer_known\":%s",
		  (unsigned long long)bytes, (unsigned long long)scan.payloads, mono_seconds() - t0,
		  (unsigned long long)reader.unreadable, (unsigned long long)scan.buffer_copies,
		  buffer.npfn ? "true" : "false");
}

int main(void)
{
	static struct dt dt;
	struct params p;
	struct spis spis = { .n = 0 };

	json_line("probe-start", "\"uptime_s\":%.3f", uptime_seconds());
	parse_cmdline(&p);
	find_nodes(&dt);
	for (unsigned int i = 0; i < dt.nxgmac; i++)
		report_device(&dt, dt.xgmac[i], &spis);
	report_gic(&dt, &spis);
	scan_ram(&p);
	json_line("probe-done", NULL);
	return 0;
}
