/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Builds the run's frames (harness/traffic/payload.ts, layout in
 * payload-scan.h) on the host under test itself, for frame-sender: the same
 * bytes as the harness's frame source sends. Pure, so that it is unit-tested
 * on the host against the harness's own frames.
 */
#ifndef PAYLOAD_BUILD_H
#define PAYLOAD_BUILD_H

#include <stdint.h>
#include "payload-scan.h"

#define FRAME_LEN (FRAME_HEADER_LEN + PAYLOAD_LEN)

/* Payload seq of run_id under key. */
void payload_build(uint8_t out[PAYLOAD_LEN], const uint8_t key[16], uint32_t run_id, uint32_t seq);

/* A broadcast Ethernet frame from the harness's source MAC carrying payload seq. */
void frame_build(uint8_t out[FRAME_LEN], const uint8_t key[16], uint32_t run_id, uint32_t seq);

#endif
