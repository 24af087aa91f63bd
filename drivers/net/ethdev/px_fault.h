/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#ifndef _PX_FAULT_H_
#define _PX_FAULT_H_

/**
 * @file
 * Seeded fault injection for a port direction: drop, duplicate, corrupt,
 * delay and reorder packets at configured rates, so tests (and users)
 * reproduce a lossy link deterministically. Off by default and free when
 * off: the port checks one flag per burst.
 *
 * Rates are in parts per million. A delayed or reordered packet waits in
 * a bounded delay line (PX_FAULT_QUEUE packets; overflow is dropped and
 * counted) and is released by later calls. Given the same seed and the
 * same packet sequence, the same packets are dropped, duplicated and
 * corrupted.
 */

#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Packets one direction can hold in its delay line. */
#define PX_FAULT_QUEUE 4096

/** Faults of one direction. */
struct px_fault_conf {
	uint32_t drop_ppm;     /**< packets dropped */
	uint32_t dup_ppm;      /**< packets sent twice */
	uint32_t corrupt_ppm;  /**< packets with one bit flipped past the
	                            Ethernet header */
	uint32_t reorder_ppm;  /**< packets held back (delay + reorder_us) so
	                            later ones overtake them */
	uint32_t delay_us;     /**< added to every packet */
	uint32_t reorder_us;   /**< extra hold of a reordered packet: 0 = 1000 */
	uint64_t seed;         /**< PRNG seed; 0 = a fixed default */
};

/** Counters of one direction. */
struct px_fault_stats {
	uint64_t seen;         /**< packets that went through */
	uint64_t dropped;
	uint64_t duplicated;
	uint64_t corrupted;
	uint64_t reordered;
	uint64_t delayed;      /**< packets that waited in the delay line */
	uint64_t overflow;     /**< dropped: the delay line was full */
	uint64_t nombuf;       /**< duplicates not made: no mbuf */
};

/**
 * The names of struct px_fault_stats's counters, in field order (for
 * px_counters_print()).
 *
 * @param n
 *   Receives the count, PX_COUNTERS_N(struct px_fault_stats).
 */
const char *const *px_fault_stats_names(unsigned int *n);

struct px_fault;

/**
 * Create a fault stage for one direction.
 *
 * @param conf
 *   Rates; copied.
 * @param mp
 *   Pool for duplicates.
 * @param out
 *   Receives the stage.
 * @return
 *   0, -EINVAL on a rate above 1000000 or NULL argument, -ENOMEM.
 */
int px_fault_create(const struct px_fault_conf *conf, struct rte_mempool *mp,
		struct px_fault **out);

/**
 * Free a stage and the packets in its delay line.
 */
void px_fault_free(struct px_fault *f);

/**
 * Pass a burst through the stage. Takes every packet of *in*; writes the
 * packets to send on now (survivors, duplicates, and delayed packets that
 * are due) to *out*. Call it also with n = 0 to release due packets.
 *
 * @param f
 *   The stage (one lcore at a time).
 * @param in
 *   Packets in.
 * @param n
 *   How many.
 * @param out
 *   Room for at least 2 * n + 64 packets.
 * @param now
 *   TSC time.
 * @return
 *   The number of packets written to *out*.
 */
unsigned int px_fault_process(struct px_fault *f, struct rte_mbuf **in,
		unsigned int n, struct rte_mbuf **out, uint64_t now);

/**
 * Read the counters.
 */
void px_fault_stats_get(const struct px_fault *f, struct px_fault_stats *out);

/**
 * Parse "drop=1%,dup=0.5%,corrupt=0.1%,reorder=10%,delay=25ms,hold=1ms"
 * (rates in % or ppm with a "ppm" suffix; times in us or ms) into *conf*
 * (fields not named keep their value).
 *
 * @return
 *   0, or -EINVAL naming nothing valid.
 */
int px_fault_parse(const char *spec, struct px_fault_conf *conf);

#ifdef __cplusplus
}
#endif
#endif /* _PX_FAULT_H_ */
