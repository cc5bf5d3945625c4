// SPDX-License-Identifier: GPL-2.0-only
#include "target-oracles.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xgmac-regs.h"

static const char *const oracle_names[] = TARGET_ORACLES;
static const char *const must_fire[] = TARGET_MUST_FIRE;

/* The text after "arm-smmu-v3 <device>: ", or NULL for another line. */
static const char *smmu_text(const char *line)
{
	const char *dev = strstr(line, "arm-smmu-v3 ");
	const char *colon = dev ? strstr(dev, ": ") : NULL;

	return colon ? colon + 2 : NULL;
}

static void count_event(struct smmu_log_reader *r, const char *stream)
{
	struct target_evidence *e = r->evidence;

	if (e->smmu_events++ == 0)
		snprintf(e->smmu_first, sizeof(e->smmu_first), "%s %s", r->head, stream);
}

/* An event record's dword line: whitespace, 0x and 16 hex digits, nothing after. */
static bool dword_of(const char *text, unsigned long long *dword)
{
	text += strspn(text, " \t");
	if (strncmp(text, "0x", 2) != 0 || strlen(text + 2) != 16 || strspn(text + 2, "0123456789abcdef") != 16)
		return false;
	*dword = strtoull(text + 2, NULL, 16);
	return true;
}

void target_smmu_line(struct smmu_log_reader *r, const char *line)
{
	const char *text = smmu_text(line);
	unsigned long long dword;

	if (r->head[0]) {
		bool record = text && dword_of(text, &dword);

		if (!record) {
			count_event(r, "stream unknown");
		} else if ((uint32_t)(dword >> 32) == r->sid) {
			char stream[32];

			snprintf(stream, sizeof(stream), "stream 0x%x", r->sid);
			count_event(r, stream);
		}
		r->head[0] = '\0';
		if (record)
			return;
	}
	if (text && strncmp(text, "event 0x", 8) == 0 && strstr(text, " received"))
		snprintf(r->head, sizeof(r->head), "%s", line);
}

void target_smmu_end(struct smmu_log_reader *r)
{
	if (r->head[0])
		count_event(r, "stream unknown");
	r->head[0] = '\0';
}

bool target_must_fire(const char *oracle)
{
	for (size_t i = 0; i < sizeof(must_fire) / sizeof(must_fire[0]); i++)
		if (strcmp(must_fire[i], oracle) == 0)
			return true;
	return false;
}

/* Appends what is wrong with the registers to buf, as user2-oracle.ts words it; returns how many things are. */
static unsigned int quiescence_violations(const struct target_evidence *e, char *buf, size_t len)
{
	unsigned int n = 0;
	size_t used = 0;

#define VIOLATION(cond, fmt, value)                                                                  \
	do {                                                                                         \
		if (cond) {                                                                          \
			if (used < len)                                                              \
				used += snprintf(buf + used, len - used, "%s" fmt " (0x%x)",         \
						 n ? ", " : "", (unsigned int)(value));              \
			n++;                                                                         \
		}                                                                                    \
	} while (0)

	VIOLATION(e->dma_control & XGMAC_DMA_CONTROL_SR, "DMA_CONTROL.SR set", e->dma_control);
	VIOLATION(e->dma_control & XGMAC_DMA_CONTROL_ST, "DMA_CONTROL.ST set", e->dma_control);
	VIOLATION(e->dma_intr_ena != 0, "DMA_INTR_ENA not zero", e->dma_intr_ena);
	VIOLATION(e->control & XGMAC_CONTROL_RE, "MAC CONTROL.RE set", e->control);
	VIOLATION(e->control & XGMAC_CONTROL_TE, "MAC CONTROL.TE set", e->control);
#undef VIOLATION
	return n;
}

static void judge_one(const struct target_evidence *e, struct target_finding *f)
{
	const char *o = f->oracle;

	f->fired = false;
	f->count = 0;
	f->detail[0] = '\0';
	if (strcmp(o, "l1-smmu-events") == 0) {
		f->count = e->smmu_events;
		if (e->smmu_events)
			snprintf(f->detail, sizeof(f->detail), "%s", e->smmu_first);
	} else if (strcmp(o, "l1-vfio-irq-count") == 0) {
		long long before = e->irq_at_release < 0 ? 0 : e->irq_at_release;

		if (e->irq_during >= 0 && e->irq_during > before) {
			f->count = e->irq_during - before;
			snprintf(f->detail, sizeof(f->detail), "interrupt count rose from %lld to %lld", before,
				 e->irq_during);
		}
	} else if (strcmp(o, "user2-registers") == 0) {
		if (e->registers_seen)
			f->count = quiescence_violations(e, f->detail, sizeof(f->detail));
		else
			snprintf(f->detail, sizeof(f->detail), "user #2 reported no registers");
	} else if (strcmp(o, "user2-irqs") == 0) {
		f->count = e->probe_irqs;
		if (e->probe_irqs)
			snprintf(f->detail, sizeof(f->detail), "IRQ index %u fired", e->first_irq_index);
	} else if (strcmp(o, "user2-memory") == 0) {
		f->count = e->changed_bytes;
		if (e->changed_bytes)
			snprintf(f->detail, sizeof(f->detail), "%llu bytes changed", e->changed_bytes);
	} else {
		snprintf(f->detail, sizeof(f->detail), "no rule for this oracle on the target");
	}
	f->fired = f->count > 0;
}

void target_judge(const struct target_evidence *e, struct target_finding out[TARGET_ORACLE_COUNT])
{
	for (size_t i = 0; i < TARGET_ORACLE_COUNT; i++) {
		out[i].oracle = oracle_names[i];
		judge_one(e, &out[i]);
	}
}
