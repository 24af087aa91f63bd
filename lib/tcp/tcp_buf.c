/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * The send and receive queues' out-of-line parts (tcp_buf.h has the
 * invariant and the inline ones): appending written data, dropping what
 * the peer acknowledged, attaching send-buffer ranges to segments, and
 * the out-of-order ranges.
 */

#include <errno.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_memcpy.h>

#include "tcp_private.h"

/* ---- segment chains ---- */

/* Drop the first n bytes of chain m (n < its length); returns the new
 * head. */
struct rte_mbuf *
tcp_chain_trim_front(struct rte_mbuf *m, uint32_t n)
{
	struct rte_mbuf *seg;

	while (n >= m->data_len && m->next != NULL) {
		seg = m;
		m = seg->next;
		n -= seg->data_len;
		seg->next = NULL;
		seg->nb_segs = 1;
		rte_pktmbuf_free_seg(seg);
	}
	m->data_off = (uint16_t)(m->data_off + n);
	m->data_len = (uint16_t)(m->data_len - n);
	return m;
}

/* Keep the first keep bytes (> 0) of chain m; returns its last segment. */
struct rte_mbuf *
tcp_chain_keep(struct rte_mbuf *m, uint32_t keep)
{
	struct rte_mbuf *seg = m;

	while (seg->next != NULL && keep > seg->data_len) {
		keep -= seg->data_len;
		seg = seg->next;
	}
	if (keep < seg->data_len)
		seg->data_len = (uint16_t)keep;
	if (seg->next != NULL) {
		struct rte_mbuf *rest = seg->next, *t = NULL;

		seg->next = NULL;
		tcp_chain_free(&rest, &t);
	}
	return seg;
}

/* ---- send queue ---- */

/* Copy up to len bytes into the send buffer; returns the count. */
uint32_t
tcp_sq_append(struct tcp_conn *c, const uint8_t *src, uint32_t len)
{
	struct rte_mbuf *tail, *m;
	uint32_t done = 0, n;

	while (done < len) {
		tail = c->sq_tail;
		if (tail != NULL && RTE_MBUF_DIRECT(tail) &&
				rte_mbuf_refcnt_read(tail) == 1 &&
				rte_pktmbuf_tailroom(tail) > 0) {
			n = RTE_MIN(len - done, (uint32_t)rte_pktmbuf_tailroom(tail));
			rte_memcpy(rte_pktmbuf_mtod_offset(tail, void *, tail->data_len),
					src + done, n);
			tail->data_len = (uint16_t)(tail->data_len + n);
		} else {
			/* Below the pool's reserve, only a connection that
			 * holds little takes more (tcp_mem_level()). */
			if (unlikely(!tcp_mem_allows(c, tcp_mem_level(c->tl)))) {
				c->tl->st.sndbuf_nomem++;
				break;
			}
			m = rte_pktmbuf_alloc(c->tl->mp);
			if (m == NULL) {
				c->tl->st.nombuf++;
				break;
			}
			/* No headroom needed: segments copy out of it. */
			m->data_off = 0;
			tcp_chain_append(&c->sq, &c->sq_tail, m);
			continue;
		}
		done += n;
	}
	c->sq_bytes += done;
	return done;
}

/* Drop acknowledged bytes from the front of the send buffer. */
void
tcp_sq_ack(struct tcp_conn *c, uint32_t bytes)
{
	struct rte_mbuf *m;
	uint32_t n;

	c->sq_bytes -= bytes;
	while (bytes > 0 && c->sq != NULL) {
		m = c->sq;
		n = m->data_len;
		if (c->cur == m)
			c->cur = NULL;
		if (bytes >= n) {
			rte_pktmbuf_free_seg(tcp_chain_pop(&c->sq, &c->sq_tail));
			c->sq_seq += n;
			bytes -= n;
		} else {
			m->data_off = (uint16_t)(m->data_off + bytes);
			m->data_len = (uint16_t)(m->data_len - bytes);
			c->sq_seq += bytes;
			bytes = 0;
		}
	}
}

/* Chain len bytes of the send buffer from seq behind head, as indirect
 * mbufs (one per send-buffer mbuf the range touches). 1 if the range
 * is too fragmented (nothing chained), 0, or -ENOBUFS (head then holds
 * what was chained; the caller frees it). */
int
tcp_sq_attach(struct tcp_conn *c, struct rte_mbuf *head, uint32_t seq,
		uint32_t len)
{
	struct rte_mempool *mp = c->tl->mp;
	struct rte_mbuf *m, *mi, *tail = head;
	uint32_t off, o, n, left, k = 0;

	m = tcp_sq_find(c, seq, &off);
	/* Too many pieces, or a piece of odd length before the last: copied.
	 * After an odd piece the checksum's 16-bit words straddle two
	 * segments, which DPDK 22.11 gets wrong: rte_raw_cksum_mbuf(), and
	 * net_tap's transmit checksum offload (the kernel dropped such
	 * segments: dts test_tcp_zero_copy_odd_pieces). */
	for (left = len, o = off, mi = m; left > 0; mi = mi->next, o = 0) {
		if (++k > TCP_ZC_MAX_SEGS)
			return 1;
		n = RTE_MIN(left, (uint32_t)mi->data_len - o);
		left -= n;
		if ((n & 1) && left > 0)
			return 1;
	}
	while (len > 0) {
		n = RTE_MIN(len, (uint32_t)m->data_len - off);
		mi = rte_pktmbuf_alloc(mp);
		if (unlikely(mi == NULL))
			return -ENOBUFS;
		rte_pktmbuf_attach(mi, m);
		mi->data_off = (uint16_t)(mi->data_off + off);
		mi->data_len = (uint16_t)n;
		mi->pkt_len = n;
		mi->ol_flags &= RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL;
		tail->next = mi;
		tail = mi;
		head->nb_segs++;
		head->pkt_len += n;
		len -= n;
		off = 0;
		m = m->next;
	}
	return 0;
}

/* ---- out-of-order ranges ---- */

/* Move out-of-order data that now fits behind rcv_nxt. */
int
tcp_ooo_pull(struct tcp_conn *c)
{
	struct tcp_ooo_ent e;
	uint32_t d;

	while (c->ooo_cnt > 0 && SEQ_LEQ(c->ooo[0].seq, c->rcv_nxt)) {
		e = c->ooo[0];
		memmove(&c->ooo[0], &c->ooo[1], sizeof(e) * (c->ooo_cnt - 1));
		c->ooo_cnt--;
		c->ooo_bytes -= e.len;
		c->ooo_segs -= e.nseg;
		if (SEQ_LEQ(e.seq + e.len, c->rcv_nxt)) {
			tcp_chain_free(&e.m, &e.tail);
			continue;
		}
		d = c->rcv_nxt - e.seq;
		if (d > 0) {
			e.m = tcp_chain_trim_front(e.m, d);
			if (e.m->next == NULL)
				e.tail = e.m;
		}
		tcp_rq_push(c, e.m, e.tail, e.len - d);
		c->rcv_nxt += e.len - d;
		c->bytes_in += e.len - d;
		c->tl->st.bytes_in += e.len - d;
	}
	if ((c->flags & TF_OOO_FIN) && c->fin_rseq == c->rcv_nxt) {
		c->flags &= ~TF_OOO_FIN;
		return 1;
	}
	return 0;
}

static void
ooo_remove(struct tcp_conn *c, uint32_t i)
{
	memmove(&c->ooo[i], &c->ooo[i + 1], sizeof(c->ooo[0]) * (c->ooo_cnt - i - 1));
	c->ooo_cnt--;
}

/* The mbufs a connection's out-of-order ranges may pin: one per 512
 * bytes of its receive buffer (a window of MSS-536 segments fits), at
 * least 16. Small segments that extend a range are copied into it, so
 * only a peer that sends them backwards, or in many tiny holes, meets
 * this (TCP review A.2: one 2 KiB mbuf per byte otherwise). */
static inline uint32_t
tcp_ooo_cap(const struct tcp_conn *c)
{
	return RTE_MAX(c->rcvbuf / 512, 16u);
}

/* Queue data that starts past rcv_nxt. Entries are the contiguous ranges
 * held (so their number is the number of holes, not of segments); what
 * the queue already holds wins over a new copy. Takes m. */
void
tcp_ooo_insert(struct tcp_conn *c, uint32_t seq, uint32_t len, struct rte_mbuf *m)
{
	struct tcp_lcore *tl = c->tl;
	struct tcp_ooo_ent *p;
	struct rte_mbuf *tail, *s;
	uint32_t i = 0, end = seq + len, pend, max = tl->tn->conf.ooo_max;
	uint32_t nseg = 0;

	while (i < c->ooo_cnt && SEQ_LEQ(c->ooo[i].seq, seq))
		i++;
	if (i > 0) {
		pend = c->ooo[i - 1].seq + c->ooo[i - 1].len;
		if (SEQ_GEQ(pend, end)) {
			c->ooo_last = seq;
			tcp_chain_free(&m, &tail);
			tl->st.dup_data++;
			tcp_dsack_set(c, seq, end);
			return;
		}
		if (SEQ_GT(pend, seq)) {
			tcp_dsack_set(c, seq, pend);
			m = tcp_chain_trim_front(m, pend - seq);
			seq = pend;
			len = end - seq;
		}
	}
	/* Ranges the new data covers go. */
	while (i < c->ooo_cnt && SEQ_LEQ(c->ooo[i].seq + c->ooo[i].len, end)) {
		c->ooo_bytes -= c->ooo[i].len;
		c->ooo_segs -= c->ooo[i].nseg;
		tcp_chain_free(&c->ooo[i].m, &c->ooo[i].tail);
		ooo_remove(c, i);
	}
	if (i < c->ooo_cnt && SEQ_LT(c->ooo[i].seq, end)) {
		len = c->ooo[i].seq - seq;
		tail = tcp_chain_keep(m, len);
	} else {
		tail = tcp_chain_last(m);
	}
	for (s = m; s != NULL; s = s->next)
		nseg++;
	p = i > 0 && c->ooo[i - 1].seq + c->ooo[i - 1].len == seq ?
		&c->ooo[i - 1] : NULL;
	if (p != NULL && nseg == 1 && len <= TCP_COALESCE &&
			RTE_MBUF_DIRECT(p->tail) && rte_mbuf_refcnt_read(p->tail) == 1 &&
			rte_pktmbuf_tailroom(p->tail) >= len) {
		/* A small segment extending a range: copied into its last
		 * mbuf, as the in-order queue does (tcp_rq_push()). */
		rte_memcpy(rte_pktmbuf_mtod_offset(p->tail, void *, p->tail->data_len),
				rte_pktmbuf_mtod(m, void *), len);
		p->tail->data_len = (uint16_t)(p->tail->data_len + len);
		rte_pktmbuf_free_seg(m);
		m = NULL;
		nseg = 0;
	} else if (c->ooo_segs + nseg > tcp_ooo_cap(c) ||
			(p == NULL && !(i < c->ooo_cnt && seq + len == c->ooo[i].seq) &&
			 c->ooo_cnt >= max)) {
		/* Too many mbufs pinned, or holes: the peer sends it again. */
		tl->st.ooo_drop++;
		tcp_chain_free(&m, &tail);
		return;
	}
	c->ooo_bytes += len;
	c->ooo_segs += nseg;
	c->ooo_last = seq;
	c->ooo_in++;
	tl->st.ooo_in++;
	if (p != NULL) {
		/* Extends the range before it (the usual case: the segments
		 * after a hole arriving in order). */
		if (m != NULL) {
			p->tail->next = m;
			p->tail = tail;
		}
		p->len += len;
		p->nseg += nseg;
		if (i < c->ooo_cnt && p->seq + p->len == c->ooo[i].seq) {
			p->tail->next = c->ooo[i].m;
			p->tail = c->ooo[i].tail;
			p->len += c->ooo[i].len;
			p->nseg += c->ooo[i].nseg;
			ooo_remove(c, i);
		}
		return;
	}
	if (i < c->ooo_cnt && seq + len == c->ooo[i].seq) {
		p = &c->ooo[i];
		tail->next = p->m;
		p->m = m;
		p->seq = seq;
		p->len += len;
		p->nseg += nseg;
		return;
	}
	memmove(&c->ooo[i + 1], &c->ooo[i], sizeof(c->ooo[0]) * (c->ooo_cnt - i));
	c->ooo[i] = (struct tcp_ooo_ent){ seq, len, m, tail, nseg };
	c->ooo_cnt++;
}

/* The mbuf pool runs dry: give up the out-of-order data (the peer must
 * keep what it sent until it is acknowledged, RFC 2018 8). */
void
tcp_ooo_purge(struct tcp_conn *c)
{
	uint32_t i;

	c->tl->st.ooo_purged += c->ooo_bytes;
	for (i = 0; i < c->ooo_cnt; i++)
		tcp_chain_free(&c->ooo[i].m, &c->ooo[i].tail);
	c->ooo_cnt = 0;
	c->ooo_bytes = 0;
	c->ooo_segs = 0;
}
