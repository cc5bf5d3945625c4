// SPDX-License-Identifier: GPL-2.0-only
/*
 * First process of a nested guest (L2) given an XGMAC that another VM used
 * until it was killed: reports, before anything in this guest drives the
 * device, whether the device still raises its interrupts (pending or active
 * at the GIC distributor), and what its quiescence registers hold, as this
 * guest sees them through the passthrough. It only reads: the device tree,
 * and the distributor's and the XGMAC's registers through /dev/mem (plain
 * loads, no register read here has a side effect). It also says where its
 * RAM is, as the device tree has it.
 * (This guest's RAM was searched for stale DMA from the host before the
 * guest ran: guest-agents/vm-ram-scan.c.)
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "agent-lib.h"
#include "device-tree.h"
#include "gic.h"
#include "phys-view.h"
#include "xgmac-regs.h"

#define MAX_DEVICES 4

struct nodes {
	const char *root;
	char xgmac[MAX_DEVICES][PATH_MAX];
	unsigned int nxgmac;
	char gic[PATH_MAX];
};

/* A platform device, as sysfs shows it. */
struct platform_device {
	char name[NAME_MAX + 1];	/* "": none */
	bool bound;
	char driver[PATH_MAX];
};

static void find_nodes(struct nodes *n)
{
	unsigned int ngic;

	n->root = access("/proc/device-tree", R_OK) == 0 ? "/proc/device-tree" : "/sys/firmware/devicetree/base";
	n->nxgmac = dt_find_compatible(n->root, XGMAC_COMPATIBLE, n->xgmac, MAX_DEVICES);
	ngic = dt_find_compatible(n->root, GIC_COMPATIBLE, &n->gic, 1);
	if (!n->nxgmac)
		agent_fail("find_device", ENODEV);
	if (n->nxgmac > MAX_DEVICES)
		agent_fail("find_device", E2BIG);
	if (ngic != 1)
		agent_fail("find_gic", ngic ? E2BIG : ENODEV);
}

/* The platform device made from the node (by its of_node link, or by name), and the driver bound to it. */
static void find_platform_device(const char *root, const char *node, struct platform_device *dev)
{
	static const char devices[] = "/sys/bus/platform/devices";
	char node_real[PATH_MAX], path[PATH_MAX], link[PATH_MAX], real[PATH_MAX];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "%s%s", root, node);
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
		if (!dev->name[0])
			snprintf(dev->name, sizeof(dev->name), "%s", e->d_name);
		snprintf(path, sizeof(path), "%s/%s/driver", devices, e->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0) {
			if (errno != ENOENT)
				agent_fail("platform_driver", errno);
			continue;
		}
		link[n] = '\0';
		dev->bound = true;
		snprintf(dev->driver, sizeof(dev->driver), "%s", strrchr(link, '/') ? strrchr(link, '/') + 1 : link);
	}
	closedir(d);
}

/* The registers that say whether the device is quiescent, read before any driver here touches it. */
static void report_registers(const char *root, const char *node)
{
	struct phys_view v;
	uint64_t base, size;
	char *text;
	size_t len;
	FILE *f;

	dt_reg(root, node, &base, &size);
	if (size < XGMAC_DMA_CUR_RX_DESC + 4)
		agent_fail("device_reg", EINVAL);
	phys_view_open(&v, base, XGMAC_DMA_CUR_RX_DESC + 4, "device_mmap");
	f = json_text_open(&text, &len);
	fputs("\"node\":", f);
	json_string(f, dt_node_name(node));
	fprintf(f, ",\"base\":\"0x%llx\",\"control\":\"0x%08x\",\"dma_control\":\"0x%08x\","
		"\"dma_intr_ena\":\"0x%08x\",\"dma_status\":\"0x%08x\"",
		(unsigned long long)base, phys_read32(&v, XGMAC_CONTROL), phys_read32(&v, XGMAC_DMA_CONTROL),
		phys_read32(&v, XGMAC_DMA_INTR_ENA), phys_read32(&v, XGMAC_DMA_STATUS));
	phys_view_close(&v);
	json_text_close(f);
	json_line(EVENT_REGISTERS, "%s", text);
	free(text);
}

/* Adds the device's SPIs to spis. */
static void report_device(const struct nodes *nodes, const char *node, struct gic_spis *spis)
{
	struct platform_device dev = { .name = "" };
	unsigned int first = spis->n;
	char *text;
	size_t len;
	FILE *f;

	gic_read_spis(nodes->root, nodes->gic, node, spis);
	find_platform_device(nodes->root, node, &dev);
	f = json_text_open(&text, &len);
	fputs("\"node\":", f);
	json_string(f, dt_node_name(node));
	fputs(",\"platform_device\":", f);
	json_string(f, dev.name[0] ? dev.name : NULL);
	fputs(",\"spis\":[", f);
	for (unsigned int i = first; i < spis->n; i++)
		fprintf(f, "%s%u", i > first ? "," : "", spis->spi[i]);
	fprintf(f, "],\"driver_bound\":%s,\"driver\":", dev.bound ? "true" : "false");
	json_string(f, dev.bound ? dev.driver : NULL);
	json_text_close(f);
	json_line(EVENT_DEVICE, "%s", text);
	free(text);
	/* Unclaimed, its registers are this probe's to read; a driver bound here would have changed them. */
	if (dev.name[0] && !dev.bound)
		report_registers(nodes->root, node);
}

/* The guest's RAM as its device tree gives it: the host's search of that RAM must have covered it all. */
static void report_memory(const struct nodes *nodes)
{
	uint64_t base = 0, size = 0;
	unsigned int ranges = dt_memory(nodes->root, &base, &size);

	if (ranges != 1)
		agent_fail("find_memory", ranges ? E2BIG : ENODEV);
	json_line(EVENT_MEMORY, "\"base\":\"0x%llx\",\"bytes\":%llu", (unsigned long long)base,
		  (unsigned long long)size);
}

int main(void)
{
	static struct nodes nodes;
	struct gic_spis spis = { .n = 0 };

	json_line(EVENT_PROBE_START, "\"uptime_s\":%.3f", uptime_seconds());
	find_nodes(&nodes);
	report_memory(&nodes);
	for (unsigned int i = 0; i < nodes.nxgmac; i++)
		report_device(&nodes, nodes.xgmac[i], &spis);
	gic_report(nodes.root, nodes.gic, &spis);
	json_line(EVENT_PROBE_DONE, NULL);
	return 0;
}
