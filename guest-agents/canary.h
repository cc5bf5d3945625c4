/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The next user's canary (harness/traffic/payload.ts, findCanary): what the
 * reset probe fills its memory with before mapping it at the old IOVAs, so
 * that a device still reading there puts recognisable bytes on the wire,
 * each block saying where in that memory it came from. Pure, for the
 * host-side unit test.
 */
#ifndef CANARY_H
#define CANARY_H

#include <stddef.h>
#include <stdint.h>
#include "contract.h"

/* Fills buf (len a multiple of CANARY_BLOCK_LEN) with run_id's canary blocks, block i at i * CANARY_BLOCK_LEN. */
void canary_fill(uint8_t *buf, size_t len, uint32_t run_id);

#endif
