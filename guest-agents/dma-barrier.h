/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Memory barriers between the CPU and a DMA-capable device sharing memory,
 * as Linux's dma_rmb()/dma_wmb() on arm64: the device is in the outer
 * shareable domain, so the inner shareable barriers of C11 fences are not
 * enough there. Other architectures only build the host-side unit test,
 * whose device is simulated by the same thread: a compiler barrier suffices.
 */
#ifndef DMA_BARRIER_H
#define DMA_BARRIER_H

#if defined(__aarch64__)
#define dma_rmb() __asm__ volatile("dmb oshld" ::: "memory")
#define dma_wmb() __asm__ volatile("dmb oshst" ::: "memory")
#else
#define dma_rmb() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#define dma_wmb() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#endif

#endif
