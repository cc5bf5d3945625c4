// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host-side unit test of target-oracles.c: every oracle the harness names
 * for the host (target-plan.h) has a rule here, each stays silent on a
 * device that was reset and fires on one left running, as
 * harness/oracles/l1-oracle.ts and user2-oracle.ts decide.
 */
#include <string.h>
#include "target-oracles.h"
#include "tap.h"
#include "xgmac-regs.h"

static const struct target_evidence reset_device = {
	.irq_at_release = 40,
	.irq_during = 40,
	.registers_seen = true,
};

static struct target_evidence left_running(void)
{
	struct target_evidence e = {
		.smmu_events = 3,
		.irq_at_release = 40,
		.irq_during = 95,
		.registers_seen = true,
		.control = XGMAC_CONTROL_RE | XGMAC_CONTROL_TE,
		.dma_control = XGMAC_DMA_CONTROL_SR | XGMAC_DMA_CONTROL_ST,
		.dma_intr_ena = 0x1a041,
		.probe_irqs = 2,
		.first_irq_index = 0,
		.changed_bytes = 1024,
	};

	strcpy(e.smmu_first, "arm-smmu-v3 9050000.smmuv3: event 0x10 received:");
	return e;
}

static const struct target_finding *find(const struct target_finding *f, const char *oracle)
{
	for (unsigned int i = 0; i < TARGET_ORACLE_COUNT; i++)
		if (strcmp(f[i].oracle, oracle) == 0)
			return &f[i];
	return NULL;
}

TEST(every_named_oracle_has_a_rule_in_order)
{
	static const char *const names[] = TARGET_ORACLES;
	struct target_finding f[TARGET_ORACLE_COUNT];

	target_judge(&reset_device, f);
	for (unsigned int i = 0; i < TARGET_ORACLE_COUNT; i++) {
		EXPECT_STREQ(names[i], f[i].oracle);
		EXPECT_EQ(false, strstr(f[i].detail, "no rule") != NULL);
	}
}

TEST(silent_on_a_reset_device)
{
	struct target_finding f[TARGET_ORACLE_COUNT];

	target_judge(&reset_device, f);
	for (unsigned int i = 0; i < TARGET_ORACLE_COUNT; i++)
		if (!EXPECT_EQ(false, f[i].fired))
			printf("# %s: %s\n", f[i].oracle, f[i].detail);
}

TEST(every_oracle_fires_on_a_device_left_running)
{
	struct target_evidence e = left_running();
	struct target_finding f[TARGET_ORACLE_COUNT];

	target_judge(&e, f);
	for (unsigned int i = 0; i < TARGET_ORACLE_COUNT; i++)
		if (!EXPECT_EQ(true, f[i].fired))
			printf("# %s stayed silent\n", f[i].oracle);
	EXPECT_EQ(3, find(f, "l1-smmu-events")->count);
	EXPECT_EQ(55, find(f, "l1-vfio-irq-count")->count);
	EXPECT_EQ(5, find(f, "user2-registers")->count);
	EXPECT_STREQ("interrupt count rose from 40 to 95", find(f, "l1-vfio-irq-count")->detail);
	EXPECT_EQ(1024, find(f, "user2-memory")->count);
}

TEST(irq_count_without_a_descriptor_is_silent)
{
	struct target_evidence e = reset_device;
	struct target_finding f[TARGET_ORACLE_COUNT];

	e.irq_at_release = -1;
	e.irq_during = -1;
	target_judge(&e, f);
	EXPECT_EQ(false, find(f, "l1-vfio-irq-count")->fired);
	e.irq_during = 7;
	target_judge(&e, f);
	EXPECT_EQ(7, find(f, "l1-vfio-irq-count")->count);
}

/* Feeds an SMMU event as 6.1 and 6.12 log it (from their runs), its first dword naming stream sid. */
static void log_event(struct smmu_log_reader *r, const char *first_dword)
{
	target_smmu_line(r, "arm-smmu-v3 9050000.smmuv3: event 0x10 received:");
	target_smmu_line(r, first_dword);
	target_smmu_line(r, "arm-smmu-v3 9050000.smmuv3: \t0x0000020000000000");
	target_smmu_line(r, "arm-smmu-v3 9050000.smmuv3: \t0x0000000010002800");
	target_smmu_line(r, "arm-smmu-v3 9050000.smmuv3: \t0x0000000000000000");
}

TEST(smmu_events_of_the_device_stream_as_l1_oracle_ts_counts_them)
{
	struct target_evidence e = { 0 };
	struct smmu_log_reader r = { &e, XGMAC_SID_BASE, "" };

	target_smmu_line(&r, "arm-smmu-v3 9050000.smmuv3: ias 44-bit, oas 44-bit");
	log_event(&r, "arm-smmu-v3 9050000.smmuv3: \t0x0000000800000010");
	EXPECT_EQ(0, e.smmu_events);
	log_event(&r, "arm-smmu-v3 9050000.smmuv3: \t0x0000ff0000000010");
	log_event(&r, "arm-smmu-v3 9050000.smmuv3: \t0x0000ff0000000010");
	target_smmu_end(&r);
	EXPECT_EQ(2, e.smmu_events);
	EXPECT_STREQ("arm-smmu-v3 9050000.smmuv3: event 0x10 received: stream 0xff00", e.smmu_first);
}

TEST(smmu_event_whose_record_the_log_lost_counts)
{
	struct target_evidence e = { 0 };
	struct smmu_log_reader r = { &e, XGMAC_SID_BASE, "" };

	target_smmu_line(&r, "arm-smmu-v3 9050000.smmuv3: event 0x10 received:");
	target_smmu_line(&r, "arm-smmu-v3 9050000.smmuv3: event 0x10 received:");
	target_smmu_end(&r);
	EXPECT_EQ(2, e.smmu_events);
	EXPECT_STREQ("arm-smmu-v3 9050000.smmuv3: event 0x10 received: stream unknown", e.smmu_first);
}

TEST(must_fire_is_the_harness_list)
{
	static const char *const must[] = TARGET_MUST_FIRE;

	for (unsigned int i = 0; i < sizeof(must) / sizeof(must[0]); i++)
		EXPECT_EQ(true, target_must_fire(must[i]));
	EXPECT_EQ(false, target_must_fire("l0-smmu-faults"));
}

TEST_HARNESS_MAIN
