/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Finds the run's frame payloads (harness/traffic/payload.ts) in memory: a
 * payload is recognised where the magic, the run id and the SipHash check
 * under the run's key all match; the filler is not needed, so that a frame
 * cut short still counts. Pure, so that it is unit-tested on the host.
 *
 * Payload layout, little endian:
 *   0..7    "vfioRST1"
 *   8..11   run id
 *   12..15  seq
 *   16..23  siphash24(key, bytes 8..15)
 *   24..127 filler: siphash24(key, run id || seq || i) for i = 0, 1, ...
 */
#ifndef PAYLOAD_SCAN_H
#define PAYLOAD_SCAN_H

#include <stddef.h>
#include <stdint.h>

/* PAYLOAD_MAGIC, PAYLOAD_LEN, PAYLOAD_RECOGNISED_LEN: the harness's, generated. */
#include "contract.h"
/*
 * Calls found (if not NULL) for each payload of run_id under key that starts
 * in buf[0, len) and whose recognised bytes all lie there, in increasing
 * offset order; returns how many there are.
 */
size_t payload_scan(const uint8_t *buf, size_t len, const uint8_t key[16], uint32_t run_id,
		    void (*found)(void *ctx, size_t offset, uint32_t seq), void *ctx);

#endif
