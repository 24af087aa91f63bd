/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/* UDP (RFC 768): validation, demux to the receiving lcore's socket, and
 * zero-copy send. */

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include <px_exec.h>

#include "inet_private.h"

#define ICMP_PORT_UNREACH 3

static int
udp_cksum_ok(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip,
		uint32_t len)
{
	uint16_t raw = 0;
	uint32_t s;

	if (rte_raw_cksum_mbuf(m, 0, len, &raw) < 0)
		return 0;
	s = (uint32_t)raw + rte_ipv4_phdr_cksum(ip, 0);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return s == 0xffff;
}

void
udp_input(struct px_netif *nif, struct inet_lcore *lc, struct rte_mbuf *m,
		const struct rte_ipv4_hdr *ip)
{
	const struct rte_udp_hdr *udp;
	struct px_udp_sock *s;
	struct px_udp_addr from;
	uint32_t ulen, plen = rte_pktmbuf_pkt_len(m);
	uint64_t ck;

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
	ck = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
	if (udp->dgram_cksum != 0 && unlikely(ck == RTE_MBUF_F_RX_L4_CKSUM_BAD ||
			(ck != RTE_MBUF_F_RX_L4_CKSUM_GOOD &&
			 !udp_cksum_ok(m, ip, ulen)))) {
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
	s->lcore_index = (uint16_t)px_exec_index(rte_lcore_id());
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
	return ipv4_output(s->nif, lc, m, to->ip, IPPROTO_UDP);
}
