/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The search of a machine's RAM, mapped from /dev/mem, for this run's frame
 * payloads: reports the ranges ("ram"), each payload found ("payload", the
 * first few) and what the scan saw ("scan"). Failures are agent_fail()s.
 */
#ifndef RAM_SCAN_H
#define RAM_SCAN_H

#include <stdint.h>
#include "ram-ranges.h"

void ram_scan(const struct ram_range *ranges, unsigned int n, const uint8_t key[16], uint32_t run_id);

#endif
