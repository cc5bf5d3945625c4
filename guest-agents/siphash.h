/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * SipHash-2-4 (Aumasson and Bernstein), the keyed check value of the run's
 * frame payloads; the same function as harness/traffic/siphash.ts.
 */
#ifndef SIPHASH_H
#define SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/* SipHash-2-4 of the len bytes at msg under a 16-byte key, read little endian as the reference does. */
uint64_t siphash24(const uint8_t key[16], const void *msg, size_t len);

#endif
