/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The oracles of the raw-driver scenario that a host under test can apply
 * to itself, without the emulated device's trace: the host kernel's view
 * (SMMU events it logged after the kill, the device's interrupt count while
 * the next user holds it without enabling it) and the next user's (the
 * registers, its eventfds and its fresh memory as it found them). The same
 * rules as harness/oracles/l1-oracle.ts and user2-oracle.ts; which oracles
 * there are comes from the harness (target-plan.h), and every run of the
 * harness compares the two judgements. Pure, so that it is unit-tested on
 * the host.
 */
#ifndef TARGET_ORACLES_H
#define TARGET_ORACLES_H

#include <stdbool.h>
#include <stdint.h>
#include "target-plan.h"

/* What the runner gathered in one cycle, after user #2 ended. */
struct target_evidence {
	unsigned int smmu_events;	/* arm-smmu-v3 events of the device's stream logged after the kill */
	char smmu_first[160];		/* the first of them */
	long long irq_at_release;	/* the device's interrupt count at user #1's release; -1: no descriptor */
	long long irq_during;		/* ... while user #2 held it; -1: no descriptor */
	bool registers_seen;
	uint32_t control, dma_control, dma_intr_ena;
	unsigned int probe_irqs;	/* interrupts on user #2's eventfds */
	unsigned int first_irq_index;
	unsigned long long changed_bytes;	/* in user #2's fresh memory */
};

struct target_finding {
	const char *oracle;
	bool fired;
	unsigned long long count;
	char detail[200];
};

/*
 * The SMMUv3 events of one stream in the kernel's log, read line by line as
 * l1-oracle.ts reads them: 6.1 and 6.12 log "event 0xNN received:", then
 * the record's dwords one per line, the first with the stream ID in bits
 * 63:32. An event whose record the log lost counts: it may be the device's.
 */
struct smmu_log_reader {
	struct target_evidence *evidence;	/* counted into */
	uint32_t sid;
	char head[120];				/* an event whose record is still to come; empty if none */
};

void target_smmu_line(struct smmu_log_reader *r, const char *line);
/* After the log's last line. */
void target_smmu_end(struct smmu_log_reader *r);

/* The findings of every oracle in TARGET_ORACLES, in that order. */
void target_judge(const struct target_evidence *e, struct target_finding out[TARGET_ORACLE_COUNT]);

/* Whether oracle must fire under the kernel-side control (TARGET_MUST_FIRE). */
bool target_must_fire(const char *oracle);

#endif
