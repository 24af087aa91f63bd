/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#ifndef _TCP_BUF_H_
#define _TCP_BUF_H_

/*
 * A connection's send and receive queues, all in one place (the inline
 * fast-path helpers here, the rest in tcp_buf.c). Included at the end of
 * tcp_private.h, whose struct tcp_conn it works on.
 *
 * The invariant: each queue is a chain of single mbuf segments linked by
 * ->next (a head's nb_segs and pkt_len are not kept; only the segments'
 * data_len count). The send queue (sq .. sq_tail) holds sq_bytes from
 * sequence number sq_seq: unacknowledged, then unsent; cur/cur_seq is a
 * lookup cursor into it. The receive queue (rq .. rq_tail) holds
 * rq_bytes received in order and not read; out-of-order data waits in
 * ooo[], ooo_cnt sorted contiguous ranges of ooo_bytes. Memory is bounded
 * by the byte counts and by copying small segments behind the previous
 * one (TCP_COALESCE).
 */

#include <stdint.h>

#include <rte_mbuf.h>

struct tcp_conn;

/* ---- segment chains ---- */

/* Append segment chain m (data only) to a queue. */
static inline void
tcp_chain_append(struct rte_mbuf **head, struct rte_mbuf **tail,
		struct rte_mbuf *m)
{
	struct rte_mbuf *last = m;

	while (last->next != NULL)
		last = last->next;
	if (*head == NULL)
		*head = m;
	else
		(*tail)->next = m;
	*tail = last;
}

/* Free every segment of a queue. */
static inline void
tcp_chain_free(struct rte_mbuf **head, struct rte_mbuf **tail)
{
	struct rte_mbuf *m = *head, *n;

	while (m != NULL) {
		n = m->next;
		m->next = NULL;
		m->nb_segs = 1;
		rte_pktmbuf_free_seg(m);
		m = n;
	}
	*head = NULL;
	*tail = NULL;
}

/* Unlink and return the first segment of a queue. */
static inline struct rte_mbuf *
tcp_chain_pop(struct rte_mbuf **head, struct rte_mbuf **tail)
{
	struct rte_mbuf *m = *head;

	*head = m->next;
	if (*head == NULL)
		*tail = NULL;
	m->next = NULL;
	m->nb_segs = 1;
	m->pkt_len = m->data_len;
	return m;
}

/* The last segment of chain m. */
static inline struct rte_mbuf *
tcp_chain_last(struct rte_mbuf *m)
{
	while (m->next != NULL)
		m = m->next;
	return m;
}


/* tcp_buf.c: drop the first n bytes of chain m (n < its length), giving
 * the new head; keep the first keep (> 0) bytes, giving the last segment. */
struct rte_mbuf *tcp_chain_trim_front(struct rte_mbuf *m, uint32_t n);
struct rte_mbuf *tcp_chain_keep(struct rte_mbuf *m, uint32_t keep);

/* ---- send queue ---- */

/* Payloads from this size are attached rather than copied: below it a
 * copy costs less than the extra mbuf and segment. */
#define TCP_ZC_MIN 512
/* A payload spread over more send-buffer mbufs than this is copied (a
 * long chain of small writes would exceed what a PMD gathers). */
#define TCP_ZC_MAX_SEGS 8

/* Find the segment holding seq; *off gets the offset in it. The cursor
 * makes in-order walks O(1). */
static inline struct rte_mbuf *
tcp_sq_find(struct tcp_conn *c, uint32_t seq, uint32_t *off)
{
	struct rte_mbuf *m;
	uint32_t s;

	if (c->cur != NULL && SEQ_GEQ(seq, c->cur_seq)) {
		m = c->cur;
		s = c->cur_seq;
	} else {
		m = c->sq;
		s = c->sq_seq;
	}
	while (m->next != NULL && SEQ_GEQ(seq, s + m->data_len)) {
		s += m->data_len;
		m = m->next;
	}
	c->cur = m;
	c->cur_seq = s;
	*off = seq - s;
	return m;
}

/* Copy len bytes of the send buffer starting at seq to dst. */
static inline void
tcp_sq_copy(struct tcp_conn *c, uint32_t seq, uint32_t len, uint8_t *dst)
{
	uint32_t off, n;
	struct rte_mbuf *m = tcp_sq_find(c, seq, &off);

	while (len > 0) {
		n = RTE_MIN(len, (uint32_t)m->data_len - off);
		rte_memcpy(dst, rte_pktmbuf_mtod_offset(m, uint8_t *, off), n);
		dst += n;
		len -= n;
		off = 0;
		m = m->next;
	}
}

/* tcp_buf.c: copy up to len bytes in (returns the count: short when the
 * pool is); drop acknowledged bytes from the front; chain len bytes from
 * seq behind head as indirect mbufs (1: too fragmented, nothing chained;
 * 0; -ENOBUFS, head holding what was chained). */
uint32_t tcp_sq_append(struct tcp_conn *c, const uint8_t *src, uint32_t len);
void tcp_sq_ack(struct tcp_conn *c, uint32_t bytes);
int tcp_sq_attach(struct tcp_conn *c, struct rte_mbuf *head, uint32_t seq,
		uint32_t len);

/* ---- receive queue ---- */

/* Append in-order payload (chain m .. tail, len bytes) to the receive
 * queue. */
static inline void
tcp_rq_push(struct tcp_conn *c, struct rte_mbuf *m, struct rte_mbuf *tail,
		uint32_t len)
{
	struct rte_mbuf *last = c->rq_tail;

	/* A small segment is copied behind the previous one: a 2 KiB mbuf
	 * per byte of a chatty peer would waste the pool. */
	if (last != NULL && len <= TCP_COALESCE && m->next == NULL &&
			RTE_MBUF_DIRECT(last) && rte_mbuf_refcnt_read(last) == 1 &&
			rte_pktmbuf_tailroom(last) >= len) {
		rte_memcpy(rte_pktmbuf_mtod_offset(last, void *, last->data_len),
				rte_pktmbuf_mtod(m, void *), len);
		last->data_len = (uint16_t)(last->data_len + len);
		rte_pktmbuf_free_seg(m);
	} else {
		if (c->rq == NULL)
			c->rq = m;
		else
			last->next = m;
		c->rq_tail = tail;
	}
	c->rq_bytes += len;
}


/* tcp_buf.c: queue data that starts past rcv_nxt (takes m); move what now
 * fits behind rcv_nxt to the receive queue (1 if a FIN that came early is
 * now in order: the caller processes it); give everything up when the
 * pool runs dry. */
void tcp_ooo_insert(struct tcp_conn *c, uint32_t seq, uint32_t len,
		struct rte_mbuf *m);
int tcp_ooo_pull(struct tcp_conn *c);
void tcp_ooo_purge(struct tcp_conn *c);

#endif /* _TCP_BUF_H_ */
