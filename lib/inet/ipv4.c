/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * IPv4 input validation (RFC 791, RFC 1122 3.2.1), output with a route of
 * one subnet plus a default gateway, and ICMP (RFC 792): echo reply and
 * rate-limited destination unreachable.
 */

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_jhash.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "inet_private.h"

#define IP_DEFTTL 64

/* Ones' complement sum of [off, off+len) of m, plus extra, folded. */
static uint16_t
sum_mbuf(const struct rte_mbuf *m, uint32_t off, uint32_t len, uint32_t extra)
{
	uint16_t raw = 0;

	if (likely(off + len <= m->data_len))
		raw = px__inet_cksum_flat(rte_pktmbuf_mtod_offset(m, const void *,
				off), len);
	else if (px__inet_cksum_mbuf(m, off, len, &raw) < 0)
		return 0;
	return inet_cksum_fold((uint32_t)raw + extra);
}

/* An ICMP error (m at its Ethernet header, the ICMP message at off, len
 * bytes, checksum verified) about one of our datagrams: to the protocol
 * that sent it, on the lcore that owns its flow (RFC 1122 3.2.2: passed
 * to the transport; RFC 5927: the transport checks it). Takes m. */
static void
icmp_error_input(struct px_netif *nif, struct inet_lcore *lc, struct rte_mbuf *m,
		const struct rte_ipv4_hdr *ip, uint32_t off, uint32_t len)
{
	const struct rte_icmp_hdr *icmp = rte_pktmbuf_mtod_offset(m,
			const struct rte_icmp_hdr *, off);
	const struct rte_ipv4_hdr *q = (const struct rte_ipv4_hdr *)(icmp + 1);
	const uint16_t *ports;
	uint32_t qhl, slot, info;
	unsigned int owner;

	lc->st.icmp_errors_rx++;
	qhl = len >= sizeof(*icmp) + sizeof(*q) ? (uint32_t)(q->version_ihl & 0xf) * 4 : 0;
	/* The quote: a whole IPv4 header of ours and 8 bytes after it,
	 * in the first segment (RFC 792). */
	if (qhl < sizeof(*q) || (q->version_ihl >> 4) != 4 ||
			len < sizeof(*icmp) + qhl + 8 ||
			rte_pktmbuf_data_len(m) < off + sizeof(*icmp) + qhl + 8 ||
			q->src_addr != nif->conf.ip || ip->dst_addr != nif->conf.ip) {
		lc->st.icmp_bad++;
		goto drop;
	}
	slot = nif->l4_slot[q->next_proto_id];
	if (q->next_proto_id != IPPROTO_UDP &&
			(slot == 0 || nif->l4[slot - 1].ops->err == NULL)) {
		lc->st.icmp_other++;
		goto drop;
	}
	if (nif->n_lcores > 1 && nif->l4_ports[q->next_proto_id]) {
		/* Our datagram went src -> dst; the flow's packets come in
		 * dst -> src, and are owned where those hash. */
		ports = (const uint16_t *)((const uint8_t *)q + qhl);
		owner = px_flow_owner(q->dst_addr, q->src_addr, ports[1], ports[0],
				nif->n_lcores);
		if (owner != (unsigned int)px_exec_index_self()) {
			if (px_msg_send((unsigned int)px_exec_lcore(owner),
					INET_MSG_RX_L3, 0, (uint64_t)(uintptr_t)m,
					(uint64_t)(uintptr_t)nif, 0) == 0) {
				lc->st.steer_out++;
			} else {
				lc->st.steer_drop++;
				rte_pktmbuf_free(m);
			}
			return;
		}
	}
	/* The second word of the header: for fragmentation needed, the
	 * next-hop MTU in its low half (RFC 1191 4). */
	info = (uint32_t)rte_be_to_cpu_16(icmp->icmp_ident) << 16 |
		rte_be_to_cpu_16(icmp->icmp_seq_nb);
	if (q->next_proto_id == IPPROTO_UDP)
		udp_icmp_err(nif, lc, q, icmp->icmp_type, icmp->icmp_code);
	else
		nif->l4[slot - 1].ops->err(nif, lc->l4_lctx[slot - 1], q,
				icmp->icmp_type, icmp->icmp_code, info);
drop:
	rte_pktmbuf_free(m);
}

static void
icmp_input(struct px_netif *nif, struct inet_lcore *lc, struct rte_mbuf *m,
		struct rte_ipv4_hdr *ip, uint32_t ihl)
{
	uint32_t off = sizeof(struct rte_ether_hdr) + ihl;
	uint32_t len = rte_be_to_cpu_16(ip->total_length) - ihl;
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_icmp_hdr *icmp;

	lc->st.icmp_rx++;
	if (len < sizeof(*icmp) || rte_pktmbuf_data_len(m) < off + sizeof(*icmp) ||
			sum_mbuf(m, off, len, 0) != 0xffff) {
		lc->st.icmp_bad++;
		goto drop;
	}
	icmp = rte_pktmbuf_mtod_offset(m, struct rte_icmp_hdr *, off);
	if (icmp->icmp_type == 3 /* destination unreachable */ ||
			icmp->icmp_type == 11 /* time exceeded */) {
		icmp_error_input(nif, lc, m, ip, off, len);
		return;
	}
	if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0) {
		lc->st.icmp_other++;
		goto drop;
	}
	/* RFC 1122 3.2.2.6 lets a host ignore an echo to a broadcast
	 * address; answering makes us an amplifier (smurf), so we do not
	 * (Linux's icmp_echo_ignore_broadcasts). */
	if (ip->dst_addr != nif->conf.ip) {
		lc->st.icmp_bcast_ignored++;
		goto drop;
	}
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	icmp->icmp_cksum = 0;
	icmp->icmp_cksum = (uint16_t)~sum_mbuf(m, off, len, 0);
	if (unlikely(len + ihl > nif->conf.mtu)) {
		/* A reassembled echo: the reply goes out in fragments. */
		uint32_t src = ip->src_addr;

		rte_pktmbuf_adj(m, (uint16_t)off);
		m->ol_flags = 0;
		lc->st.icmp_echo_replies++;
		px__inet_output(nif, &lc->l4, m, src, IPPROTO_ICMP, 0, 0, 0);
		return;
	}
	ip->dst_addr = ip->src_addr;
	ip->src_addr = nif->conf.ip;
	ip->time_to_live = IP_DEFTTL;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(&nif->conf.mac, &eth->src_addr);
	lc->st.icmp_echo_replies++;
	inet_xmit(nif, lc, &m, 1);
	return;
drop:
	rte_pktmbuf_free(m);
}

void
ipv4_input(struct px_netif *nif, struct inet_lcore *lc, struct rte_mbuf *m)
{
	const uint32_t l2 = sizeof(struct rte_ether_hdr);
	struct rte_ipv4_hdr *ip;
	uint32_t ihl, tot, plen;
	uint64_t ck;

	lc->st.ip_rx++;
	plen = rte_pktmbuf_pkt_len(m) - l2;
	/* The whole header must sit in the first segment. */
	if (unlikely(rte_pktmbuf_data_len(m) < l2 + sizeof(*ip))) {
		lc->st.ip_runt++;
		goto drop;
	}
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, l2);
	/* RFC 1122 3.2.1.1: silently discard a version other than 4. */
	if (unlikely((ip->version_ihl >> 4) != 4)) {
		lc->st.ip_bad_version++;
		goto drop;
	}
	ihl = (uint32_t)(ip->version_ihl & 0xf) * 4;
	if (unlikely(ihl < sizeof(*ip) || l2 + ihl > rte_pktmbuf_data_len(m))) {
		lc->st.ip_bad_ihl++;
		goto drop;
	}
	tot = rte_be_to_cpu_16(ip->total_length);
	if (unlikely(tot < ihl || tot > plen)) {
		lc->st.ip_bad_len++;
		goto drop;
	}
	/* RFC 1122 3.2.1.2: verify the checksum (the NIC may have). */
	/* NONE: the field is not right but the header was verified. */
	ck = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	if (unlikely(ck == RTE_MBUF_F_RX_IP_CKSUM_BAD ||
			(ck == RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN &&
			 rte_raw_cksum(ip, ihl) != 0xffff))) {
		lc->st.ip_bad_checksum++;
		goto drop;
	}
	if (unlikely(!ip_is_local(nif, ip->dst_addr))) {
		lc->st.ip_not_ours++;
		goto drop;
	}
	if (unlikely(!ip_src_valid(nif, ip->src_addr))) {
		lc->st.ip_bad_src++;
		goto drop;
	}
	/* RFC 1122 3.2.1.7: a host must not discard a datagram for having a
	 * low TTL; counted, delivered. */
	if (unlikely(ip->time_to_live == 0))
		lc->st.ip_ttl_zero++;
	/* RFC 1122 3.2.1.8: options we do not act on are skipped (the
	 * payload starts at ihl). */
	if (unlikely(ihl > sizeof(*ip)))
		lc->st.ip_options++;
	/* Ethernet pads short frames: the IP length is the truth. */
	if (plen > tot)
		rte_pktmbuf_trim(m, plen - tot);
	if (unlikely(rte_ipv4_frag_pkt_is_fragmented(ip))) {
		/* RFC 791 / RFC 815: rte_ip_frag holds the pieces (bounded
		 * table, timeout) and gives back the whole datagram. */
		lc->st.ip_frags++;
		m->l2_len = l2;
		m->l3_len = ihl;
		m = rte_ipv4_frag_reassemble_packet(lc->frag, &lc->dr, m,
				rte_rdtsc(), ip);
		if (m == NULL)
			return; /* held, or dropped into the death row */
		lc->st.ip_reassembled++;
		/* The first fragment's header heads the datagram: its
		 * length, not the last one's, says where L4 begins (RFC 791
		 * 3.2: options not copied make them differ). What the port
		 * said of a fragment's L4 checksum says nothing of the
		 * datagram's. */
		ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, l2);
		ihl = (uint32_t)(ip->version_ihl & 0xf) * 4;
		m->ol_flags &= ~RTE_MBUF_F_RX_L4_CKSUM_MASK;
		/* The pieces met where the addresses hash; the datagram
		 * belongs where its ports do (TCP review A.5: elsewhere a
		 * live connection is unknown and gets reset). */
		if (nif->n_lcores > 1 && ipv4_resteer(nif, lc, m, ip, ihl))
			return;
	}
	ipv4_deliver(nif, lc, m, ip, ihl);
	return;
drop:
	rte_pktmbuf_free(m);
}

int
ipv4_resteer(struct px_netif *nif, struct inet_lcore *lc, struct rte_mbuf *m,
		const struct rte_ipv4_hdr *ip, uint32_t ihl)
{
	const uint32_t l2 = sizeof(struct rte_ether_hdr);
	const uint16_t *ports;
	unsigned int owner;
	uint16_t buf[2];

	if (!nif->l4_ports[ip->next_proto_id] ||
			rte_be_to_cpu_16(ip->total_length) < ihl + 4)
		return 0;
	/* The ports may sit in the second segment of the chain (then they
	 * are copied to buf). */
	ports = rte_pktmbuf_read(m, l2 + ihl, sizeof(buf), buf);
	if (ports == NULL)
		return 0;
	owner = px_flow_owner(ip->src_addr, ip->dst_addr, ports[0], ports[1],
			nif->n_lcores);
	if (owner == (unsigned int)px_exec_index_self())
		return 0;
	if (px_msg_send((unsigned int)px_exec_lcore(owner), INET_MSG_RX_L3, 0,
			(uint64_t)(uintptr_t)m, (uint64_t)(uintptr_t)nif, 0) == 0) {
		lc->st.steer_out++;
	} else {
		lc->st.steer_drop++;
		rte_pktmbuf_free(m);
	}
	return 1;
}

void
ipv4_deliver(struct px_netif *nif, struct inet_lcore *lc, struct rte_mbuf *m,
		struct rte_ipv4_hdr *ip, uint32_t ihl)
{
	const uint32_t l2 = sizeof(struct rte_ether_hdr);
	uint32_t slot;

	switch (ip->next_proto_id) {
	case IPPROTO_ICMP:
		icmp_input(nif, lc, m, ip, ihl);
		return;
	case IPPROTO_UDP:
		rte_pktmbuf_adj(m, (uint16_t)(l2 + ihl));
		udp_input(nif, lc, m, ip);
		return;
	default:
		/* A protocol registered above this library (inet_l4.h). */
		slot = nif->l4_slot[ip->next_proto_id];
		if (slot == 0) {
			lc->st.ip_bad_proto++;
			goto drop;
		}
		rte_pktmbuf_adj(m, (uint16_t)(l2 + ihl));
		nif->l4[slot - 1].ops->input(nif, lc->l4_lctx[slot - 1], m, ip);
		return;
	}
drop:
	rte_pktmbuf_free(m);
}

/* RFC 1071 checksum of an option-less header we are writing, summed from
 * its field values rather than read back from memory (a read right after
 * the stores stalls on store forwarding: it was a third of this path). */
static inline uint16_t
hdr_cksum(const struct rte_ipv4_hdr *ip)
{
	uint32_t src = rte_be_to_cpu_32(ip->src_addr);
	uint32_t dst = rte_be_to_cpu_32(ip->dst_addr);
	uint32_t s;

	s = ((uint32_t)ip->version_ihl << 8 | ip->type_of_service) +
		rte_be_to_cpu_16(ip->total_length) +
		rte_be_to_cpu_16(ip->packet_id) +
		rte_be_to_cpu_16(ip->fragment_offset) +
		((uint32_t)ip->time_to_live << 8 | ip->next_proto_id) +
		(src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff);
	return rte_cpu_to_be_16((uint16_t)~inet_cksum_fold(s));
}

void
ipv4_frag_reap(struct inet_lcore *lc)
{
	lc->st.ip_frag_drop += lc->dr.cnt;
	rte_ip_frag_free_death_row(&lc->dr, 3);
}

/* m (data at the IPv4 header) is larger than the MTU: send it in
 * fragments (RFC 791 3.2). */
static int
ipv4_fragment(struct px_netif *nif, struct inet_lcore *lc, struct rte_mbuf *m,
		uint32_t nexthop)
{
	struct rte_mbuf *frags[RTE_LIBRTE_IP_FRAG_MAX_FRAG];
	uint32_t need = (rte_pktmbuf_pkt_len(m) - sizeof(struct rte_ipv4_hdr) +
			nif->conf.mtu - sizeof(struct rte_ipv4_hdr) - 1) /
		((nif->conf.mtu - sizeof(struct rte_ipv4_hdr)) & ~7u);
	int32_t i, n;

	/* All fragments or none: half a datagram queued behind ARP is a
	 * datagram lost. The caller sees -ENOBUFS and may retry. */
	if (!arp_room(nif, lc, nexthop, need)) {
		lc->st.arp_pending_drop++;
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	n = rte_ipv4_fragment_packet(m, frags, RTE_DIM(frags), nif->conf.mtu,
			nif->mp, nif->mp);
	rte_pktmbuf_free(m);
	if (n < 0) {
		if (n == -ENOMEM)
			lc->st.nombuf++;
		return n == -ENOMEM ? -ENOBUFS : -EMSGSIZE;
	}
	for (i = 0; i < n; i++) {
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(frags[i], struct rte_ipv4_hdr *);

		/* The library leaves the header checksum to the caller. */
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		if (rte_pktmbuf_prepend(frags[i], sizeof(struct rte_ether_hdr)) == NULL) {
			rte_pktmbuf_free(frags[i]);
			continue;
		}
		frags[i]->ol_flags = 0;
		lc->st.ip_frag_tx++;
		arp_output(nif, lc, frags[i], nexthop);
	}
	return 0;
}

int
px__inet_output(struct px_netif *nif, struct px__inet_l4_lcore *l4,
		struct rte_mbuf *m, uint32_t dst, uint8_t proto, uint32_t ckoff,
		uint64_t ol, unsigned int flags)
{
	/* l4 heads struct inet_lcore */
	struct inet_lcore *lc = container_of(l4, struct inet_lcore, l4);
	struct rte_ipv4_hdr *ip;
	uint32_t nexthop, len = rte_pktmbuf_pkt_len(m) + sizeof(*ip);
	uint16_t ck;
	int df = (flags & PX__INET_OUT_DF) != 0;

	if (unlikely(len > nif->conf.mtu) && (df || len > UINT16_MAX)) {
		lc->st.ip_tx_too_big++;
		rte_pktmbuf_free(m);
		return -EMSGSIZE;
	}
	if ((dst & nif->mask) == (nif->conf.ip & nif->mask) ||
			dst == RTE_BE32(0xffffffff))
		nexthop = dst;
	else if (nif->conf.gw != 0)
		nexthop = nif->conf.gw;
	else {
		lc->st.ip_no_route++;
		rte_pktmbuf_free(m);
		return -EHOSTUNREACH;
	}
	/* Room for the Ethernet header too, checked before writing. */
	if (rte_pktmbuf_headroom(m) < sizeof(*ip) + sizeof(struct rte_ether_hdr)) {
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	ip = (struct rte_ipv4_hdr *)rte_pktmbuf_prepend(m, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = (flags & PX__INET_OUT_ECT0) ? 2 : 0; /* ECT(0) */
	ip->total_length = rte_cpu_to_be_16((uint16_t)len);
	ip->packet_id = rte_cpu_to_be_16(lc->ip_ids[rte_jhash_1word(dst,
			lc->id_seed) & (IP_ID_BUCKETS - 1)]++);
	/* DF for TCP (its path MTU discovery, RFC 1191); the others are
	 * fragmented here when too big, and by routers on the way. */
	ip->fragment_offset = df ? RTE_BE16(RTE_IPV4_HDR_DF_FLAG) : 0;
	ip->time_to_live = IP_DEFTTL;
	ip->next_proto_id = proto;
	ip->src_addr = nif->conf.ip;
	ip->dst_addr = dst;
	if (nif->conf.tx_cksum && len <= nif->conf.mtu) {
		/* The port fills them: IP always, the L4 one unless already
		 * valid (the field gets the pseudo-header sum, as the offload
		 * expects). */
		m->l2_len = sizeof(struct rte_ether_hdr);
		m->l3_len = sizeof(*ip);
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
		ip->hdr_checksum = 0;
		if (ckoff != 0) {
			m->ol_flags |= ol;
			*(uint16_t *)((char *)(ip + 1) + ckoff) = rte_cpu_to_be_16(
					inet_cksum_fold(inet_phdr_sum(ip,
							len - sizeof(*ip))));
		}
		rte_pktmbuf_prepend(m, sizeof(struct rte_ether_hdr));
		return arp_output(nif, lc, m, nexthop);
	}
	ip->hdr_checksum = hdr_cksum(ip);
	if (ckoff != 0) {
		uint16_t *f = (uint16_t *)((char *)(ip + 1) + ckoff);

		*f = 0;
		ck = (uint16_t)~sum_mbuf(m, sizeof(*ip), len - sizeof(*ip),
				rte_cpu_to_be_16(inet_cksum_fold(inet_phdr_sum(ip,
						len - sizeof(*ip)))));
		/* RFC 768: UDP sends a computed zero as all ones (zero means
		 * no checksum); other protocols have no such escape. */
		*f = ck == 0 && proto == IPPROTO_UDP ? 0xffff : ck;
	}
	if (len > nif->conf.mtu)
		return ipv4_fragment(nif, lc, m, nexthop);
	rte_pktmbuf_prepend(m, sizeof(struct rte_ether_hdr));
	return arp_output(nif, lc, m, nexthop);
}

/* Token bucket: icmp_rate errors per second per lcore, bursts of as
 * many (RFC 1812 4.3.2.8 asks for a limit). */
static int
icmp_allow(struct px_netif *nif, struct inet_lcore *lc)
{
	uint64_t now = rte_rdtsc(), hz = rte_get_tsc_hz();
	uint64_t add = (now - lc->icmp_last) * nif->conf.icmp_rate / hz;

	if (add > 0) {
		lc->icmp_tokens = RTE_MIN(lc->icmp_tokens + add,
				(uint64_t)nif->conf.icmp_rate);
		lc->icmp_last = now;
	}
	if (lc->icmp_tokens == 0)
		return 0;
	lc->icmp_tokens--;
	return 1;
}

void
icmp_send_unreach(struct px_netif *nif, struct inet_lcore *lc,
		struct rte_mbuf *orig, uint8_t code)
{
	const struct rte_ipv4_hdr *oip = rte_pktmbuf_mtod_offset(orig,
			const struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
	uint32_t ihl = (uint32_t)(oip->version_ihl & 0xf) * 4;
	uint32_t qlen = RTE_MIN(rte_be_to_cpu_16(oip->total_length), ihl + 8);
	struct rte_icmp_hdr *icmp;
	struct rte_mbuf *m;

	/* RFC 1122 3.2.2: never about a broadcast. */
	if (oip->dst_addr != nif->conf.ip)
		return;
	if (!icmp_allow(nif, lc)) {
		lc->st.icmp_ratelimited++;
		return;
	}
	m = rte_pktmbuf_alloc(nif->mp);
	if (m == NULL) {
		lc->st.nombuf++;
		return;
	}
	icmp = (struct rte_icmp_hdr *)rte_pktmbuf_append(m,
			(uint16_t)(sizeof(*icmp) + qlen));
	if (icmp == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	memset(icmp, 0, sizeof(*icmp));
	icmp->icmp_type = 3 /* destination unreachable */;
	icmp->icmp_code = code;
	/* RFC 792: the original header and its first 8 data bytes. */
	rte_memcpy(icmp + 1, oip, qlen);
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, sizeof(*icmp) + qlen);
	lc->st.icmp_unreach_sent++;
	px__inet_output(nif, &lc->l4, m, oip->src_addr, IPPROTO_ICMP, 0, 0, 0);
}
