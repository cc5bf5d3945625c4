/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Device trees for the tests of the readers of device-tree.h: a directory
 * per node and a file per property, as /proc/device-tree shows them, in a
 * temporary directory of their own. A step that fails ends the test.
 */
#ifndef FAKE_DT_H
#define FAKE_DT_H

#include <fcntl.h>
#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tap.h"

/* A string list property's value and length: "a\0b" is the list of a and b, each NUL-terminated. */
#define DT_STRINGS(s) s, sizeof(s)

/* Makes an empty tree, whose root directory goes into root (PATH_MAX bytes). */
static inline void fake_dt_create(char *root)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(root, PATH_MAX, "%s/fake-dt-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	ASSERT_NE(0, (uintptr_t)mkdtemp(root));
}

/* Adds a node; its parent must be there. */
static inline void fake_dt_node(const char *root, const char *node)
{
	char path[PATH_MAX];

	ASSERT_EQ(1, snprintf(path, sizeof(path), "%s%s", root, node) < (int)sizeof(path));
	ASSERT_EQ(0, mkdir(path, 0755));
}

static inline void fake_dt_prop(const char *root, const char *node, const char *name, const void *val, size_t len)
{
	char path[PATH_MAX];
	int fd;

	ASSERT_EQ(1, snprintf(path, sizeof(path), "%s%s/%s", root, node, name) < (int)sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ASSERT_NE(-1, fd);
	ASSERT_EQ(len, write(fd, val, len));
	close(fd);
}

/* A property of n big-endian cells, given as unsigned ints. */
static inline void fake_dt_cells(const char *root, const char *node, const char *name, unsigned int n, ...)
{
	uint8_t val[64];
	va_list ap;

	ASSERT_EQ(1, 4 * n <= sizeof(val));
	va_start(ap, n);
	for (unsigned int i = 0; i < n; i++) {
		uint32_t v = va_arg(ap, unsigned int);

		val[4 * i] = v >> 24;
		val[4 * i + 1] = v >> 16;
		val[4 * i + 2] = v >> 8;
		val[4 * i + 3] = v;
	}
	va_end(ap);
	fake_dt_prop(root, node, name, val, 4 * n);
}

/* Removes path and, if it is a directory, all under it; 0 or -1. */
static inline int fake_dt_remove(const char *path)
{
	char sub[PATH_MAX];
	struct dirent *e;
	struct stat st;
	int ret = 0;
	DIR *d;

	if (lstat(path, &st))
		return -1;
	if (S_ISDIR(st.st_mode)) {
		d = opendir(path);
		if (!d)
			return -1;
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
			    (snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name) >= (int)sizeof(sub) ||
			     fake_dt_remove(sub)))
				ret = -1;
		closedir(d);
	}
	return remove(path) ? -1 : ret;
}

/* Removes the tree, if it was made. */
static inline void fake_dt_destroy(const char *root)
{
	if (root[0])
		EXPECT_EQ(0, fake_dt_remove(root));
}

#endif
