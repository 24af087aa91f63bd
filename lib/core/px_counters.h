/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#ifndef _PX_COUNTERS_H_
#define _PX_COUNTERS_H_

/**
 * @file
 * Counter sets, the one way every Pollux library sums and shows its
 * counters (as DPDK's xstats are names plus values). A set is an array of
 * uint64_t counters, laid out as a struct of them (px_tcp_stats,
 * px_inet_stats, ...), and a table of as many names: "name", or
 * "block.name" to group them (blocks contiguous). Each library gives its
 * table (px_tcp_stats_names(), px_netif_stats_names(), ...); these helpers
 * sum per-lcore copies, print them as text or JSON, and px_tel_counters()
 * renders them for telemetry. Control path.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Counters in a struct made only of uint64_t fields. */
#define PX_COUNTERS_N(type_) (sizeof(type_) / sizeof(uint64_t))

/**
 * Add *n* counters that their owner lcore keeps updating (read with
 * relaxed loads: each is exact, the set is not a snapshot) to *dst*.
 */
void px_counters_add(uint64_t *dst, const uint64_t *src, unsigned int n);

/**
 * Print a set. Text: one "prefix.name=value" line per counter
 * ("name=value" when *prefix* is NULL). JSON: members of an object the
 * caller has opened, each "block.name" nested as "block": {"name": v},
 * the whole set inside "prefix": {...} when *prefix* is not NULL.
 *
 * @param first
 *   JSON only (may be NULL for text): true if no member of the enclosing
 *   object has been written yet, so no ", " goes first; set to false.
 */
void px_counters_print(FILE *f, const char *prefix, const char *const *names,
		const uint64_t *v, unsigned int n, bool json, bool *first);

#ifdef __cplusplus
}
#endif
#endif /* _PX_COUNTERS_H_ */
