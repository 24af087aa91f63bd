/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#ifndef _TEST_CAPTURE_H_
#define _TEST_CAPTURE_H_

/*
 * A transmit callback for px_netif_create() that keeps what the stack
 * sends, for the unit tests that check the stack's answers frame by
 * frame: cap[0..ncap) in the order sent (at most CAP; the rest the
 * stack frees and counts as refused), cap_clear() frees them. One set
 * per test file that includes this, or one for several files: each
 * defines TEST_CAPTURE_SHARED before including it, and one of them
 * TEST_CAPTURE_DEFINE too (the set lives there).
 */

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_mbuf.h>

#define CAP 1024

#if defined(TEST_CAPTURE_DEFINE)
#define TEST_CAP_STORAGE
#elif defined(TEST_CAPTURE_SHARED)
#define TEST_CAP_STORAGE extern
#else
#define TEST_CAP_STORAGE static
#endif

TEST_CAP_STORAGE struct rte_mbuf *cap[CAP];
TEST_CAP_STORAGE uint64_t cap_tsc[CAP]; /* when each was sent (TSC) */
TEST_CAP_STORAGE unsigned int ncap;

static inline uint16_t
capture_tx(void *ctx, struct rte_mbuf **pkts, uint16_t n)
{
	uint64_t now = rte_rdtsc();
	uint16_t i;

	RTE_SET_USED(ctx);
	for (i = 0; i < n && ncap < CAP; i++) {
		cap_tsc[ncap] = now;
		cap[ncap++] = pkts[i];
	}
	return i;
}

static inline void
cap_clear(void)
{
	rte_pktmbuf_free_bulk(cap, ncap);
	ncap = 0;
}

#endif /* _TEST_CAPTURE_H_ */
