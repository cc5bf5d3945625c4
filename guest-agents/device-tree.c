// SPDX-License-Identifier: GPL-2.0-only
#include "device-tree.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "agent-lib.h"

uint32_t dt_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

uint64_t dt_read_cells(const uint8_t *p, uint32_t cells)
{
	uint64_t v = 0;

	for (uint32_t i = 0; i < cells; i++)
		v = v << 32 | dt_be32(p + 4 * i);
	return v;
}

ssize_t dt_read_prop(const char *root, const char *node, const char *name, void *buf, size_t size)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	if (snprintf(path, sizeof(path), "%s%s/%s", root, node, name) >= (int)sizeof(path))
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

uint32_t dt_read_u32(const char *root, const char *node, const char *name, uint32_t dflt)
{
	uint8_t v[8];
	ssize_t n = dt_read_prop(root, node, name, v, sizeof(v));

	if (n < 0 && errno == ENOENT)
		return dflt;
	if (n != 4)
		agent_fail("device_tree_property", n < 0 ? errno : EINVAL);
	return dt_be32(v);
}

bool dt_has_string(const char *list, size_t len, const char *s)
{
	size_t slen = strlen(s);

	for (size_t at = 0; at < len; at += strnlen(list + at, len - at) + 1)
		if (len - at > slen && !memcmp(list + at, s, slen + 1))
			return true;
	return false;
}

struct search {
	const char *root;
	const char *prop;
	const char *value;
	char (*nodes)[PATH_MAX];
	unsigned int max, n;
};

static bool is_dir(DIR *d, const struct dirent *e)
{
	struct stat st;

	if (e->d_type != DT_UNKNOWN)
		return e->d_type == DT_DIR;
	return !fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) && S_ISDIR(st.st_mode);
}

/* node is a PATH_MAX buffer holding the node's path, node_len long; subnodes are appended to it in turn. */
static void walk(struct search *s, char *node, size_t node_len)
{
	char path[PATH_MAX], list[DT_PROP_MAX];
	ssize_t n = dt_read_prop(s->root, node, s->prop, list, sizeof(list));
	struct dirent *e;
	DIR *d;

	if (n > 0 && dt_has_string(list, n, s->value)) {
		if (s->n < s->max)
			strcpy(s->nodes[s->n], node);
		s->n++;
	}
	snprintf(path, sizeof(path), "%s%s", s->root, node);
	d = opendir(path);
	if (!d)
		agent_fail("device_tree", errno);
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);

		/* Node names never start with a dot: this skips only "." and "..". */
		if (e->d_name[0] == '.' || !is_dir(d, e))
			continue;
		if (node_len + 1 + len >= PATH_MAX)
			agent_fail("device_tree", ENAMETOOLONG);
		node[node_len] = '/';
		memcpy(node + node_len + 1, e->d_name, len + 1);
		walk(s, node, node_len + 1 + len);
		node[node_len] = '\0';
	}
	closedir(d);
}

static unsigned int find(const char *root, const char *prop, const char *value, char (*nodes)[PATH_MAX],
			 unsigned int max)
{
	struct search s = { root, prop, value, nodes, max, 0 };
	char node[PATH_MAX] = "";

	walk(&s, node, 0);
	return s.n;
}

unsigned int dt_find_compatible(const char *root, const char *compatible, char (*nodes)[PATH_MAX], unsigned int max)
{
	return find(root, "compatible", compatible, nodes, max);
}

unsigned int dt_memory(const char *root, uint64_t *base, uint64_t *size)
{
	char node[1][PATH_MAX];
	uint8_t reg[DT_PROP_MAX];
	uint32_t ac = dt_read_u32(root, "", "#address-cells", 2), sc = dt_read_u32(root, "", "#size-cells", 1);
	unsigned int nodes = find(root, "device_type", "memory", node, 1), ranges = 0;
	ssize_t n;

	if (!nodes)
		return 0;
	if (nodes > 1)
		agent_fail("device_tree_memory", E2BIG);
	n = dt_read_prop(root, node[0], "reg", reg, sizeof(reg));
	if (ac < 1 || ac > 2 || sc < 1 || sc > 2 || n <= 0 || n % (4 * (ac + sc)))
		agent_fail("device_tree_property", n < 0 ? errno : EINVAL);
	ranges = n / (4 * (ac + sc));
	*base = dt_read_cells(reg, ac);
	*size = dt_read_cells(reg + 4 * ac, sc);
	return ranges;
}

const char *dt_node_name(const char *node)
{
	return node[0] ? node : "/";
}

void dt_parent(char *node)
{
	char *slash = strrchr(node, '/');

	if (slash)
		*slash = '\0';
}

uint32_t dt_interrupt_parent(const char *root, const char *node)
{
	char rel[PATH_MAX];

	strcpy(rel, node);
	for (;;) {
		uint32_t phandle = dt_read_u32(root, rel, "interrupt-parent", 0);

		if (phandle || !rel[0])
			return phandle;
		dt_parent(rel);
	}
}

/* Old trees name it linux,phandle. */
uint32_t dt_phandle(const char *root, const char *node)
{
	uint32_t phandle = dt_read_u32(root, node, "phandle", 0);

	return phandle ? phandle : dt_read_u32(root, node, "linux,phandle", 0);
}

/* The #address-cells or #size-cells of bus (the root's defaults when absent), 1 or 2 as this reader takes them. */
static uint32_t cells_of(const char *root, const char *bus, const char *name, uint32_t dflt)
{
	uint32_t cells = dt_read_u32(root, bus, name, dflt);

	if (cells < 1 || cells > 2)
		agent_fail("dt_reg_cells", ENOTSUP);
	return cells;
}

void dt_reg(const char *root, const char *node, uint64_t *base, uint64_t *size)
{
	char bus[PATH_MAX];
	uint8_t prop[DT_PROP_MAX];
	uint32_t ac, sc;
	uint64_t addr;
	ssize_t n;

	strcpy(bus, node);
	dt_parent(bus);
	ac = cells_of(root, bus, "#address-cells", 2);
	sc = cells_of(root, bus, "#size-cells", 1);
	n = dt_read_prop(root, node, "reg", prop, sizeof(prop));
	if (n < 0)
		agent_fail("dt_reg", errno);
	if ((size_t)n < 4 * (ac + sc))
		agent_fail("dt_reg", EINVAL);
	addr = dt_read_cells(prop, ac);
	*size = dt_read_cells(prop + 4 * ac, sc);
	/* Up to the root: each bus's ranges maps its children's addresses into its own parent's. */
	while (bus[0]) {
		char up[PATH_MAX];
		uint32_t pac, entry;
		bool mapped = false;

		strcpy(up, bus);
		dt_parent(up);
		pac = cells_of(root, up, "#address-cells", 2);
		n = dt_read_prop(root, bus, "ranges", prop, sizeof(prop));
		if (n < 0)
			agent_fail("dt_reg_translation", ENOTSUP);
		entry = 4 * (ac + pac + sc);
		mapped = n == 0;
		for (size_t at = 0; !mapped && at + entry <= (size_t)n; at += entry) {
			uint64_t child = dt_read_cells(prop + at, ac);
			uint64_t parent = dt_read_cells(prop + at + 4 * ac, pac);
			uint64_t len = dt_read_cells(prop + at + 4 * (ac + pac), sc);

			if (addr >= child && addr - child < len) {
				addr = parent + (addr - child);
				mapped = true;
			}
		}
		if (!mapped)
			agent_fail("dt_reg_translation", ERANGE);
		ac = pac;
		sc = cells_of(root, up, "#size-cells", 1);
		strcpy(bus, up);
	}
	*base = addr;
}
