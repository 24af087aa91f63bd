/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/* UDP (RFC 768): validation, demux to the receiving lcore's socket, and
 * zero-copy send. */

#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include <px_exec.h>
#include <px_sync.h>
#include <px_task.h>

#include "inet_private.h"

#define ICMP_PORT_UNREACH 3

void
udp_input(struct px_netif *nif, struct inet_lcore *lc, struct rte_mbuf *m,
		const struct rte_ipv4_hdr *ip)
{
	const struct rte_udp_hdr *udp;
	struct px_udp_sock *s;
	struct px_udp_addr from;
	uint32_t ulen, plen = rte_pktmbuf_pkt_len(m);

	lc->st.udp_rx++;
	if (unlikely(rte_pktmbuf_data_len(m) < sizeof(*udp))) {
		lc->st.udp_bad_len++;
		goto drop;
	}
	udp = rte_pktmbuf_mtod(m, const struct rte_udp_hdr *);
	ulen = rte_be_to_cpu_16(udp->dgram_len);
	if (unlikely(ulen < sizeof(*udp) || ulen > plen)) {
		lc->st.udp_bad_len++;
		goto drop;
	}
	if (ulen < plen)
		rte_pktmbuf_trim(m, plen - ulen);
	/* RFC 768: a zero checksum means none was computed. */
	if (udp->dgram_cksum != 0 && unlikely(!inet_l4_cksum_verified(m, ip, ulen))) {
		lc->st.udp_bad_checksum++;
		goto drop;
	}
	s = lc->udp[rte_be_to_cpu_16(udp->dst_port)];
	if (unlikely(s == NULL)) {
		lc->st.udp_no_port++;
		/* Back to the Ethernet header for the ICMP quote. */
		rte_pktmbuf_prepend(m, (uint16_t)(sizeof(struct rte_ether_hdr) +
				(uint32_t)(ip->version_ihl & 0xf) * 4));
		icmp_send_unreach(nif, lc, m, ICMP_PORT_UNREACH);
		goto drop;
	}
	from.ip = ip->src_addr;
	from.port = udp->src_port;
	rte_pktmbuf_adj(m, sizeof(*udp));
	lc->st.udp_delivered++;
	s->cb(s, m, &from, s->arg);
	return;
drop:
	rte_pktmbuf_free(m);
}

/* Linux's rule (__udp4_lib_err() without IP_RECVERR): a socket
 * connected to the datagram's destination keeps a hard error (port or
 * protocol unreachable, prohibited: RFC 1122 4.1.3.3 passes them up) for
 * its next call; soft errors, and errors for unconnected sockets (which
 * could not tell which of their peers it concerns), are not reported. A
 * reader waiting on the socket wakes with it. */
void
udp_icmp_err(struct px_netif *nif, struct inet_lcore *lc,
		const struct rte_ipv4_hdr *q, uint8_t type, uint8_t code)
{
	const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)
		((const uint8_t *)q + (q->version_ihl & 0xf) * 4);
	struct px_udp_sock *s = lc->udp[rte_be_to_cpu_16(udp->src_port)];
	int err, hard;

	RTE_SET_USED(nif);
	err = px__icmp_errno(type, code, &hard);
	if (s == NULL || s->q == NULL || s->peer.ip != q->dst_addr ||
			s->peer.port != udp->dst_port || err == 0 || !hard) {
		lc->st.udp_icmp_ignored++;
		return;
	}
	lc->st.udp_icmp_err++;
	s->err = -err;
	px_notify_one(&s->ready);
}

/* The pending error of a task socket, once (as sock_error()). */
static inline int
take_err(struct px_udp_sock *s)
{
	int err = s->err;

	s->err = 0;
	return err;
}

int
px_udp_bind_cb(struct px_netif *nif, uint16_t port, px_udp_recv_cb_t cb,
		void *arg, struct px_udp_sock **out)
{
	struct inet_lcore *lc;
	struct px_udp_sock *s;
	uint16_t hp = rte_be_to_cpu_16(port);

	if (nif == NULL || cb == NULL || out == NULL || port == 0)
		return -EINVAL;
	lc = inet_lcore(nif);
	if (lc == NULL)
		return -EINVAL;
	if (lc->udp[hp] != NULL)
		return -EADDRINUSE;
	s = rte_zmalloc("px_udp_sock", sizeof(*s), 0);
	if (s == NULL)
		return -ENOMEM;
	s->nif = nif;
	s->cb = cb;
	s->arg = arg;
	s->port = port;
	s->lcore_index = (uint16_t)px_exec_index_self();
	lc->udp[hp] = s;
	*out = s;
	return 0;
}

int
px_udp_close(struct px_udp_sock *s)
{
	struct inet_lcore *lc;

	if (s == NULL)
		return -EINVAL;
	lc = inet_lcore(s->nif);
	if (lc == NULL || lc != s->nif->lc[s->lcore_index])
		return -EINVAL;
	lc->udp[rte_be_to_cpu_16(s->port)] = NULL;
	while (s->qlen > 0) {
		rte_pktmbuf_free(s->q[s->qhead].m);
		s->qhead = (s->qhead + 1) & s->qmask;
		s->qlen--;
	}
	rte_free(s->q);
	rte_free(s);
	return 0;
}

int
px_udp_send_mbuf(struct px_udp_sock *s, struct rte_mbuf *m,
		const struct px_udp_addr *to)
{
	struct inet_lcore *lc = inet_lcore(s->nif);
	struct rte_udp_hdr *udp;
	uint32_t len = rte_pktmbuf_pkt_len(m) + sizeof(*udp);

	if (lc == NULL) {
		rte_pktmbuf_free(m);
		return -EINVAL;
	}
	if (len + sizeof(struct rte_ipv4_hdr) > UINT16_MAX) {
		rte_pktmbuf_free(m);
		return -EMSGSIZE;
	}
	udp = (struct rte_udp_hdr *)rte_pktmbuf_prepend(m, sizeof(*udp));
	if (udp == NULL) {
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	udp->src_port = s->port;
	udp->dst_port = to->port;
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)len);
	udp->dgram_cksum = 0; /* filled by ipv4_output() */
	/* Clear offload state left over from reception. */
	m->ol_flags = 0;
	lc->st.udp_tx++;
	return px__inet_output(s->nif, &lc->l4, m, to->ip, IPPROTO_UDP,
			offsetof(struct rte_udp_hdr, dgram_cksum),
			RTE_MBUF_F_TX_UDP_CKSUM, 0);
}

int
px_udp_echo_mbuf(struct px_udp_sock *s, struct rte_mbuf *m,
		const struct px_udp_addr *from)
{
	struct inet_lcore *lc = inet_lcore(s->nif);
	struct rte_udp_hdr *udp;
	uint16_t port;

	if (lc == NULL) {
		rte_pktmbuf_free(m);
		return -EINVAL;
	}
	/* The received header is still in the headroom, right before the
	 * payload: use it if it is intact and this datagram's. */
	if (rte_pktmbuf_headroom(m) < sizeof(*udp) + sizeof(struct rte_ipv4_hdr) +
			sizeof(struct rte_ether_hdr))
		goto slow;
	udp = (struct rte_udp_hdr *)(rte_pktmbuf_mtod(m, char *) - sizeof(*udp));
	if (udp->dst_port != s->port || udp->src_port != from->port ||
			rte_be_to_cpu_16(udp->dgram_len) != rte_pktmbuf_pkt_len(m) +
			sizeof(*udp))
		goto slow;
	rte_pktmbuf_prepend(m, sizeof(*udp));
	/* RFC 768 / RFC 1071: swapping the addresses and the ports leaves
	 * the ones' complement sum, so the checksum, as it was. */
	port = udp->src_port;
	udp->src_port = udp->dst_port;
	udp->dst_port = port;
	m->ol_flags = 0;
	lc->st.udp_tx++;
	return px__inet_output(s->nif, &lc->l4, m, from->ip, IPPROTO_UDP, 0, 0, 0);
slow:
	px_udp_send_mbuf(s, m, from);
	return -EINVAL;
}

/* ---- task sockets ---- */

/* Receive callback of task sockets: queue, and wake a reader. */
static void
task_sock_rx(struct px_udp_sock *s, struct rte_mbuf *m,
		const struct px_udp_addr *from, void *arg)
{
	struct inet_lcore *lc = s->nif->lc[s->lcore_index];

	RTE_SET_USED(arg);
	if (s->peer.ip != 0 && (from->ip != s->peer.ip || from->port != s->peer.port)) {
		lc->st.udp_filtered++;
		rte_pktmbuf_free(m);
		return;
	}
	if (s->qlen > s->qmask) {
		lc->st.udp_rxq_full++;
		rte_pktmbuf_free(m);
		return;
	}
	s->q[(s->qhead + s->qlen) & s->qmask] = (struct udp_rxq_ent){ m, *from };
	s->qlen++;
	px_notify_one(&s->ready);
}

int
px_udp_open(struct px_netif *nif, uint16_t port, uint32_t rxq_len,
		struct px_udp_sock **out)
{
	struct inet_lcore *lc;
	struct px_udp_sock *s;
	uint32_t p;
	int ret;

	if (nif == NULL || out == NULL)
		return -EINVAL;
	if (rxq_len == 0)
		rxq_len = 256;
	if (!rte_is_power_of_2(rxq_len))
		return -EINVAL;
	lc = inet_lcore(nif);
	if (lc == NULL)
		return -EINVAL;
	if (port == 0) {
		/* Ephemeral: the first free port from a rotating start. */
		for (p = 0; p < 16384; p++) {
			uint16_t cand = (uint16_t)(49152 + (lc->port_hint + p) % 16384);

			if (lc->udp[cand] == NULL) {
				port = rte_cpu_to_be_16(cand);
				lc->port_hint = (uint16_t)(lc->port_hint + p + 1);
				break;
			}
		}
		if (port == 0)
			return -EADDRINUSE;
	}
	ret = px_udp_bind_cb(nif, port, task_sock_rx, NULL, &s);
	if (ret < 0)
		return ret;
	s->q = rte_zmalloc("px_udp_rxq", sizeof(*s->q) * rxq_len, 0);
	if (s->q == NULL) {
		px_udp_close(s);
		return -ENOMEM;
	}
	s->qmask = rxq_len - 1;
	px_notify_init(&s->ready);
	*out = s;
	return 0;
}

uint16_t
px_udp_port(const struct px_udp_sock *s)
{
	return s->port;
}

int
px_udp_connect(struct px_udp_sock *s, const struct px_udp_addr *peer)
{
	if (s == NULL || peer == NULL || peer->ip == 0 || peer->port == 0)
		return -EINVAL;
	s->peer = *peer;
	return 0;
}

int
px_udp_recv_mbuf(struct px_udp_sock *s, struct rte_mbuf **m,
		struct px_udp_addr *from, uint64_t timeout_ns)
{
	uint64_t deadline, now;
	int ret;

	if (s == NULL || m == NULL || s->q == NULL ||
			inet_lcore(s->nif) != s->nif->lc[s->lcore_index])
		return -EINVAL;
	deadline = px_deadline(timeout_ns);
	while (s->qlen == 0 || s->err != 0) {
		if (s->err != 0)
			return take_err(s);
		if (timeout_ns == 0)
			return -EAGAIN;
		/* The notify keeps a permit, so a datagram queued between
		 * our check and the wait is not missed. One TSC read: with
		 * two, the deadline could pass between them and the wrapped
		 * difference wait for ever. */
		now = rte_rdtsc();
		ret = px_notify_wait(&s->ready, deadline == UINT64_MAX ?
				PX_TIMEOUT_INF : (deadline > now ?
				px_cycles_to_ns(deadline - now) : 0));
		if (ret == -EAGAIN)
			ret = -ETIMEDOUT;
		if (ret < 0 && s->qlen == 0 && s->err == 0)
			return ret;
	}
	*m = s->q[s->qhead].m;
	if (from != NULL)
		*from = s->q[s->qhead].from;
	s->qhead = (s->qhead + 1) & s->qmask;
	s->qlen--;
	return 0;
}

ssize_t
px_udp_recvfrom(struct px_udp_sock *s, void *buf, size_t len,
		struct px_udp_addr *from, uint64_t timeout_ns)
{
	struct rte_mbuf *m;
	uint32_t n;
	int ret;

	if (buf == NULL && len > 0)
		return -EINVAL;
	ret = px_udp_recv_mbuf(s, &m, from, timeout_ns);
	if (ret < 0)
		return ret;
	n = (uint32_t)RTE_MIN((size_t)rte_pktmbuf_pkt_len(m), len);
	if (n > 0) {
		/* rte_pktmbuf_read() copies only when the data is chained. */
		const void *d = rte_pktmbuf_read(m, 0, n, buf);

		if (d != buf)
			rte_memcpy(buf, d, n);
	}
	rte_pktmbuf_free(m);
	return (ssize_t)n;
}

ssize_t
px_udp_sendto(struct px_udp_sock *s, const void *buf, size_t len,
		const struct px_udp_addr *to)
{
	struct inet_lcore *lc;
	struct rte_mbuf *head, *seg, *prev = NULL;
	size_t off = 0, room, n;
	char *p;
	int ret;

	if (s == NULL || to == NULL || (buf == NULL && len > 0))
		return -EINVAL;
	lc = inet_lcore(s->nif);
	if (lc == NULL)
		return -EINVAL;
	if (s->err != 0)
		return take_err(s);
	if (len > UINT16_MAX - sizeof(struct rte_udp_hdr) - sizeof(struct rte_ipv4_hdr))
		return -EMSGSIZE;
	head = rte_pktmbuf_alloc(s->nif->mp);
	if (head == NULL)
		goto nomem;
	seg = head;
	/* Copy into a chain of segments (large datagrams are fragmented
	 * on the way out). */
	for (;;) {
		room = rte_pktmbuf_tailroom(seg);
		n = RTE_MIN(room, len - off);
		p = rte_pktmbuf_append(seg, (uint16_t)n);
		if (n > 0)
			rte_memcpy(p, (const char *)buf + off, n);
		if (seg != head) {
			prev->next = seg;
			head->nb_segs++;
			head->pkt_len += n;
		}
		off += n;
		if (off == len)
			break;
		prev = seg;
		seg = rte_pktmbuf_alloc(s->nif->mp);
		if (seg == NULL) {
			rte_pktmbuf_free(head);
			goto nomem;
		}
	}
	ret = px_udp_send_mbuf(s, head, to);
	return ret < 0 ? ret : (ssize_t)len;
nomem:
	lc->st.nombuf++;
	return -ENOBUFS;
}

ssize_t
px_udp_send(struct px_udp_sock *s, const void *buf, size_t len)
{
	if (s == NULL)
		return -EINVAL;
	if (s->peer.ip == 0)
		return -ENOTCONN;
	return px_udp_sendto(s, buf, len, &s->peer);
}
