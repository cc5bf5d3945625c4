// SPDX-License-Identifier: GPL-2.0-only
/*
 * The next user of an XGMAC after xgmac-vfio-driver was killed: tells
 * whether the device still does what the dead driver had set it up for,
 * raising interrupts and writing to the driver's IOVAs, i.e. whether
 * vfio-platform reset it when the driver's files were closed. Everything
 * that could catch the device in the act is in place before the first
 * register read: every IRQ armed, fresh memory mapped at the old IOVAs,
 * filled with the run's canary when given a run id (so that a device
 * still reading there puts it on the wire), zeroed otherwise. Then it only
 * watches, until SIGUSR1 or for at most --window-ms, and never writes a
 * device register, so that whatever it reports is the
 * device's own doing. The harness sends SIGUSR1 once the L0 trace shows
 * enough frames reaching the device (harness/plan/windows.ts).
 *
 * Usage: xgmac-reset-probe --device NAME --iova HEX --window-ms N [--bytes N]
 *                          [--canary-run-id N]
 *
 * The IOVA and the window are the harness's to choose (one definition,
 * harness/scenarios/raw-driver.ts): there are no defaults to drift from it.
 */
#define _GNU_SOURCE /* ppoll */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "agent-lib.h"
#include "canary.h"
#include "changed-ranges.h"
#include "vfio-platform.h"
#include "xgmac-regs.h"
#include "xgmac-ring.h"

#define MAX_RANGES 16
#define HEX_BYTES 256
#define UNMASK_DELAY_MS 10

struct irq {
	uint32_t index;
	bool automasked;
	unsigned long long count;
};

struct probe {
	const char *device;
	uint64_t iova;
	uint64_t bytes;
	uint64_t window_ms;
	bool canary;
	uint32_t canary_run_id;

	struct vfio_platform vfio;
	struct vfio_regs regs;
	unsigned int nirqs;		/* armed ones, in irqs and fds alike */
	struct irq *irqs;
	struct pollfd *fds;
	uint8_t *dma;
	uint8_t *was;			/* what dma held when it was mapped */
};

/* A required option's value before it is parsed. */
#define NOT_GIVEN UINT64_MAX

/* All checked before the device is opened, since opening it already makes the kernel reset it. */
static void parse_args(struct probe *p, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "iova", required_argument, NULL, 'i' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "window-ms", required_argument, NULL, 'w' },
		{ "canary-run-id", required_argument, NULL, 'c' },
		{ 0 }
	};
	uint64_t page = sysconf(_SC_PAGESIZE);
	int c;

	/* getopt's own messages would not be JSON. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': p->device = optarg; break;
		case 'i': p->iova = parse_num(optarg, 16, 0, UINT32_MAX, "arg_iova"); break;
		case 'b': p->bytes = parse_num(optarg, 10, 1, 1ull << 32, "arg_bytes"); break;
		case 'w': p->window_ms = parse_num(optarg, 10, 0, 24 * 3600 * 1000, "arg_window_ms"); break;
		case 'c':
			p->canary_run_id = parse_num(optarg, 0, 0, UINT32_MAX, "arg_canary_run_id");
			p->canary = true;
			break;
		default: agent_fail("args", EINVAL);
		}
	}
	/* The name goes into a sysfs path and into JSON strings unescaped. */
	if (optind != argc || !p->device || !p->device[0] || strpbrk(p->device, "/\"\\"))
		agent_fail("arg_device", EINVAL);
	if (p->iova == NOT_GIVEN)
		agent_fail("arg_iova", EINVAL);
	if (p->window_ms == NOT_GIVEN)
		agent_fail("arg_window_ms", EINVAL);
	if (!p->bytes)
		p->bytes = xgmac_area_bytes(XGMAC_DEFAULT_RING, page);
	/* The IOMMU maps whole pages. */
	if (p->bytes & (page - 1))
		agent_fail("arg_bytes", EINVAL);
	/* The old driver's descriptors hold 32-bit bus addresses: nothing stale can land above 4 GiB. */
	if (p->iova & (page - 1) || p->iova + p->bytes > (1ull << 32))
		agent_fail("iova_range", ERANGE);
}

/* Before any register access, so that an IRQ line the device still holds up is seen at once. */
static void arm_irqs(struct probe *p)
{
	uint32_t n = p->vfio.info.num_irqs;
	char *list;
	size_t len;
	FILE *f;

	p->irqs = calloc(n, sizeof(*p->irqs));
	p->fds = calloc(n, sizeof(*p->fds));
	if (n && (!p->irqs || !p->fds))
		agent_fail("irq_alloc", ENOMEM);
	f = json_text_open(&list, &len);
	for (uint32_t i = 0; i < n; i++) {
		struct vfio_irq_info info = vfio_irq_info(&p->vfio, i);

		if (info.count < 1 || !(info.flags & VFIO_IRQ_INFO_EVENTFD))
			continue;
		p->irqs[p->nirqs] = (struct irq){
			.index = i,
			.automasked = info.flags & VFIO_IRQ_INFO_AUTOMASKED,
		};
		p->fds[p->nirqs] = (struct pollfd){ .fd = vfio_irq_arm(&p->vfio, i), .events = POLLIN };
		fprintf(f, "%s%u", p->nirqs ? "," : "", i);
		p->nirqs++;
	}
	json_text_close(f);
	json_line(EVENT_IRQS_ARMED, "\"indexes\":[%s]", list);
	free(list);
}

static void map_dma(struct probe *p)
{
	p->dma = mmap(NULL, p->bytes, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	p->was = malloc(p->bytes);
	if (p->dma == MAP_FAILED || !p->was)
		agent_fail("dma_alloc", p->dma == MAP_FAILED ? errno : ENOMEM);
	/* Before the device can reach it: from the map on, anything else there is the device's doing. */
	if (p->canary)
		canary_fill(p->dma, p->bytes, p->canary_run_id);
	memcpy(p->was, p->dma, p->bytes);
	vfio_dma_map(&p->vfio, p->dma, p->iova, p->bytes);
	json_line(EVENT_DMA_MAPPED, "\"iova\":\"0x%llx\",\"bytes\":%llu,\"canary\":%s",
		  (unsigned long long)p->iova, (unsigned long long)p->bytes, p->canary ? "true" : "false");
}

/*
 * The reports are stamped on L1's boot clock: the harness reads that clock
 * when it kills user #1, so that these stamps fall on the kill's time base.
 */
static void report_registers(struct probe *p)
{
	uint64_t t = boot_us();
	uint32_t control = vfio_regs_read32(&p->regs, XGMAC_CONTROL);
	uint32_t dma_control = vfio_regs_read32(&p->regs, XGMAC_DMA_CONTROL);
	uint32_t intr_ena = vfio_regs_read32(&p->regs, XGMAC_DMA_INTR_ENA);
	uint32_t status = vfio_regs_read32(&p->regs, XGMAC_DMA_STATUS);
	uint32_t rx_base = vfio_regs_read32(&p->regs, XGMAC_DMA_RX_BASE_ADDR);
	uint32_t cur_rx = vfio_regs_read32(&p->regs, XGMAC_DMA_CUR_RX_DESC);

	json_line(EVENT_REGISTERS, "\"control\":\"0x%08x\",\"dma_control\":\"0x%08x\",\"dma_intr_ena\":\"0x%08x\","
		  "\"dma_status\":\"0x%08x\",\"rx_base\":\"0x%08x\",\"cur_rx_desc\":\"0x%08x\","
		  "\"t_boot_ms\":%llu.%03llu",
		  control, dma_control, intr_ena, status, rx_base, cur_rx,
		  (unsigned long long)(t / 1000), (unsigned long long)(t % 1000));
}

static void on_irq(struct probe *p, struct irq *irq, int fd)
{
	static const struct timespec delay = { 0, UNMASK_DELAY_MS * 1000000L };
	uint64_t events, t;

	agent_check_io(read(fd, &events, sizeof(events)), sizeof(events), "eventfd_read");
	t = boot_us();
	irq->count += events;
	json_line(EVENT_IRQ, "\"index\":%u,\"count\":%llu,\"t_boot_ms\":%llu.%03llu", irq->index, irq->count,
		  (unsigned long long)(t / 1000), (unsigned long long)(t % 1000));
	/*
	 * vfio-platform masked the line when it fired; unmasking fires it again at
	 * once while the device keeps it up, so the count tells a line held up
	 * from one that pulsed, and the delay bounds how fast it grows. Edge IRQs
	 * are never masked and refuse the unmask.
	 */
	if (irq->automasked) {
		nanosleep(&delay, NULL);
		vfio_irq_unmask(&p->vfio, irq->index);
	}
}

static volatile sig_atomic_t window_ended;

static void end_window(int sig)
{
	(void)sig;
	window_ended = 1;
}

/*
 * SIGUSR1 stays blocked but inside ppoll, so that one sent at any moment
 * after this (even before the window opens) ends the window at once
 * instead of slipping in between a check and a wait.
 */
static sigset_t catch_window_end(void)
{
	struct sigaction sa = { .sa_handler = end_window };
	sigset_t block, during_wait;

	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &block, &during_wait))
		agent_fail("sigprocmask", errno);
	if (sigaction(SIGUSR1, &sa, NULL))
		agent_fail("sigaction", errno);
	sigdelset(&during_wait, SIGUSR1);
	return during_wait;
}

static void watch_irqs(struct probe *p, const sigset_t *during_wait)
{
	uint64_t deadline = mono_ms() + p->window_ms;

	for (uint64_t now = mono_ms(); now < deadline && !window_ended; now = mono_ms()) {
		uint64_t left = deadline - now;
		struct timespec ts = { .tv_sec = left / 1000, .tv_nsec = (left % 1000) * 1000000 };
		int n = ppoll(p->fds, p->nirqs, &ts, during_wait);

		if (n < 0 && errno != EINTR)
			agent_fail("poll", errno);
		for (unsigned int i = 0; n > 0 && i < p->nirqs; i++)
			if (p->fds[i].revents & POLLIN)
				on_irq(p, &p->irqs[i], p->fds[i].fd);
	}
}

/* Returns the bytes found changed. */
static size_t report_memory(struct probe *p)
{
	struct changed_range ranges[MAX_RANGES];
	struct changed_scan scan;
	uint8_t *snap = malloc(p->bytes);
	uint64_t t;
	char *list;
	size_t len;
	FILE *f;

	if (!snap)
		agent_fail("snapshot_alloc", ENOMEM);
	/* The device may still be writing: the counts and the bytes shown must be of one instant. */
	t = boot_us();
	memcpy(snap, p->dma, p->bytes);
	scan = changed_ranges(snap, p->was, p->bytes, ranges, MAX_RANGES);

	f = json_text_open(&list, &len);
	for (size_t i = 0; i < scan.nranges && i < MAX_RANGES; i++) {
		size_t shown = ranges[i].len < HEX_BYTES ? ranges[i].len : HEX_BYTES;

		fprintf(f, "%s{\"offset\":%zu,\"len\":%zu,\"hex\":\"", i ? "," : "",
			ranges[i].offset, ranges[i].len);
		for (size_t b = 0; b < shown; b++)
			fprintf(f, "%02x", snap[ranges[i].offset + b]);
		fputs("\"}", f);
	}
	json_text_close(f);
	json_line(EVENT_MEMORY, "\"bytes\":%llu,\"changed_bytes\":%zu,\"ranges_total\":%zu,\"ranges\":[%s],"
		  "\"t_boot_ms\":%llu.%03llu",
		  (unsigned long long)p->bytes, scan.changed_bytes, scan.nranges, list,
		  (unsigned long long)(t / 1000), (unsigned long long)(t % 1000));
	free(list);
	free(snap);
	return scan.changed_bytes;
}

int main(int argc, char **argv)
{
	struct probe p = { .iova = NOT_GIVEN, .window_ms = NOT_GIVEN };
	unsigned long long irq_total = 0;
	sigset_t during_wait;
	size_t changed;

	parse_args(&p, argc, argv);
	during_wait = catch_window_end();
	vfio_platform_open(&p.vfio, p.device);
	vfio_platform_map_regs(&p.vfio, XGMAC_DMA_CUR_RX_DESC + 4, &p.regs);
	arm_irqs(&p);
	map_dma(&p);
	report_registers(&p);
	watch_irqs(&p, &during_wait);
	changed = report_memory(&p);
	for (unsigned int i = 0; i < p.nirqs; i++)
		irq_total += p.irqs[i].count;
	json_line(EVENT_DONE, "\"irq_total\":%llu,\"changed_bytes\":%zu", irq_total, changed);
	/* Exiting closes the VFIO files, which releases the device and its DMA map. */
	return 0;
}
