/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#ifndef _PX_XCHAN_H_
#define _PX_XCHAN_H_

/**
 * @file
 * Cross-lcore hand-off: a ring of fixed-size typed messages on rte_ring.
 *
 * Every executor owns one multi-producer, single-consumer xchan (its
 * mailbox, see px_exec.h); this header is the ring itself, usable on its
 * own. Messages are copied into the ring (32 bytes each), so a sender needs
 * no allocation and the receiver owns what it dequeued. Sends are bursts
 * and may be partial: a full ring is back-pressure the caller sees (the
 * count returned), never a silent drop.
 */

#include <stdint.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <px_common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A typed message: a type, the sender lcore, and three payload words. */
struct px_msg {
	uint16_t type;  /**< message type; see px_exec.h for the ranges */
	uint16_t src;   /**< sending lcore id (set by the sender) */
	uint32_t u32;   /**< small payload, e.g. a status */
	uint64_t a;     /**< payload word */
	uint64_t b;     /**< payload word */
	uint64_t c;     /**< payload word */
};

/** Only one thread ever sends on this xchan (single-producer ring). */
#define PX_XCHAN_F_SP 1u
/**
 * Several producers may share a CPU (lcores mapped onto one core, an
 * overcommitted host): use DPDK's RTS (relaxed tail sync) producer mode.
 * In the classic mode a producer preempted between reserving and
 * publishing its slots makes every other producer spin for a whole time
 * slice; RTS producers do not wait for each other, at the price of a
 * second CAS per burst. Ignored with PX_XCHAN_F_SP.
 */
#define PX_XCHAN_F_RTS 2u

/** A cross-lcore message ring. */
struct px_xchan {
	struct rte_ring *ring;  /**< the ring (px_msg elements) */
	/* Back-pressure counters on their own line: producers write them
	 * under pressure, the consumer reads *ring* on every receive. */
	uint64_t full __rte_cache_aligned; /**< messages refused: ring full */
	uint64_t full_events;   /**< send calls that hit a full ring */
} __rte_cache_aligned;

/**
 * Create an xchan.
 *
 * @param name
 *   Unique ring name (rte_ring namespace, at most RTE_RING_NAMESIZE - 1).
 * @param size
 *   Capacity in messages, a power of two.
 * @param socket_id
 *   NUMA socket for the ring memory, or SOCKET_ID_ANY.
 * @param flags
 *   0 (multi-producer), PX_XCHAN_F_SP or PX_XCHAN_F_RTS. The consumer is
 *   always single.
 * @param out
 *   Receives the xchan.
 * @return
 *   - 0 on success.
 *   - -EINVAL on a NULL argument or a size that is not a power of two.
 *   - -EEXIST if a ring with this name exists.
 *   - -ENOMEM if memory is short.
 */
int px_xchan_create(const char *name, unsigned int size, int socket_id,
		unsigned int flags, struct px_xchan **out);

/**
 * Free an xchan and the messages still in it.
 *
 * @param ch
 *   The xchan, or NULL (no-op).
 */
void px_xchan_free(struct px_xchan *ch);

/** Internal: counts back-pressure; out of line to keep the fast path small. */
void px__xchan_note_full(struct px_xchan *ch, unsigned int refused);

/**
 * Send up to *n* messages, in order. The ring keeps the order of one
 * producer's messages.
 *
 * @param ch
 *   The xchan.
 * @param msgs
 *   Messages to copy in.
 * @param n
 *   How many.
 * @return
 *   The number sent (msgs[0..ret)); the caller keeps msgs[ret..n) and
 *   decides whether to retry, wait or give up.
 */
static inline unsigned int
px_xchan_send_burst(struct px_xchan *ch, const struct px_msg *msgs,
		unsigned int n)
{
	unsigned int sent;

	sent = rte_ring_enqueue_burst_elem(ch->ring, msgs, sizeof(*msgs), n, NULL);
	if (unlikely(sent < n))
		px__xchan_note_full(ch, n - sent);
	return sent;
}

/**
 * Receive up to *n* messages (single consumer: only the owner calls this).
 *
 * @param ch
 *   The xchan.
 * @param msgs
 *   Where to copy the messages.
 * @param n
 *   Room in *msgs*.
 * @return
 *   The number received, possibly 0.
 */
static inline unsigned int
px_xchan_recv_burst(struct px_xchan *ch, struct px_msg *msgs, unsigned int n)
{
	return rte_ring_sc_dequeue_burst_elem(ch->ring, msgs, sizeof(*msgs), n,
			NULL);
}

/**
 * Number of messages waiting in the xchan (a snapshot).
 */
static inline unsigned int
px_xchan_count(const struct px_xchan *ch)
{
	return rte_ring_count(ch->ring);
}

#ifdef __cplusplus
}
#endif
#endif /* _PX_XCHAN_H_ */
