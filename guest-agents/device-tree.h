/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The device tree as the kernel shows it (/proc/device-tree): a directory
 * per node, a file per property, cells big-endian. Every reader takes the
 * tree's root directory, so that a test can build a tree of its own. Node
 * paths are relative to that root: "" is the root node, then "/a@1/b".
 * A tree that cannot be read is a failure (agent_fail) of step
 * "device_tree" or "device_tree_property".
 */
#ifndef DEVICE_TREE_H
#define DEVICE_TREE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Longer than any property the agents read. */
#define DT_PROP_MAX 1024

uint32_t dt_be32(const uint8_t *p);

/* A number of cells (at most 2) as one value, as in reg. */
uint64_t dt_read_cells(const uint8_t *p, uint32_t cells);

/* Property name of node into buf: its length, or -1 with errno set (ENOENT: the node has no such property). */
ssize_t dt_read_prop(const char *root, const char *node, const char *name, void *buf, size_t size);

/* A u32 property, or dflt if the node has none. */
uint32_t dt_read_u32(const char *root, const char *node, const char *name, uint32_t dflt);

/* Whether a string list of len bytes (as compatible) holds s. */
bool dt_has_string(const char *list, size_t len, const char *s);

/*
 * The nodes whose compatible list holds compatible (exactly), in the order
 * of the directories: how many there are, of which the first max are stored.
 */
unsigned int dt_find_compatible(const char *root, const char *compatible, char (*nodes)[PATH_MAX], unsigned int max);

/*
 * The machine's RAM as its memory node (device_type "memory") gives it: the
 * number of ranges in its reg (0: no memory node), the first in base and
 * size. More than one memory node is a failure of step device_tree_memory.
 */
unsigned int dt_memory(const char *root, uint64_t *base, uint64_t *size);

/* The node's path as the kernel writes it: "/" for the root. */
const char *dt_node_name(const char *node);

/* Turns node into its parent's path; the root stays the root. */
void dt_parent(char *node);

/* The phandle of node's interrupt parent, inherited down the tree; 0 if it has none. */
uint32_t dt_interrupt_parent(const char *root, const char *node);

/* The node's phandle, 0 if it has none. */
uint32_t dt_phandle(const char *root, const char *node);

/*
 * The CPU's physical address and size of node's first reg entry: its
 * address translated up through each bus's ranges (an empty ranges maps
 * one to one); ends the agent when a bus has no ranges or none covers it.
 */
void dt_reg(const char *root, const char *node, uint64_t *base, uint64_t *size);

#endif
