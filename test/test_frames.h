/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#ifndef _TEST_FRAMES_H_
#define _TEST_FRAMES_H_

/*
 * Hand-made TCP frames for the unit tests that play a peer: Ethernet,
 * IPv4 (no options) and TCP with the given fields, options and payload,
 * checksums right.
 */

#include <stdint.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

struct tframe_tcp {
	struct rte_ether_addr src_mac, dst_mac;
	uint32_t src, dst;          /* network order */
	uint16_t sport, dport;      /* network order */
	uint32_t seq, ack;          /* host order */
	uint8_t flags;
	uint16_t wnd;
	const uint8_t *opts;        /* a multiple of 4 bytes, at most 40 */
	uint8_t optlen;
	const void *data;
	uint16_t len;
};

/* The frame f describes, from mp; NULL if the pool is empty. */
static inline struct rte_mbuf *
tframe_tcp(struct rte_mempool *mp, const struct tframe_tcp *f)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint16_t len = (uint16_t)(sizeof(struct rte_ipv4_hdr) +
			sizeof(struct rte_tcp_hdr) + f->optlen + f->len);
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;

	if (m == NULL)
		return NULL;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m,
			(uint16_t)(sizeof(*eth) + len));
	if (eth == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	eth->dst_addr = f->dst_mac;
	eth->src_addr = f->src_mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(len);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = f->src;
	ip->dst_addr = f->dst;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	th = (struct rte_tcp_hdr *)(ip + 1);
	memset(th, 0, sizeof(*th));
	th->src_port = f->sport;
	th->dst_port = f->dport;
	th->sent_seq = rte_cpu_to_be_32(f->seq);
	th->recv_ack = rte_cpu_to_be_32(f->ack);
	th->data_off = (uint8_t)(((sizeof(*th) + f->optlen) / 4) << 4);
	th->tcp_flags = f->flags;
	th->rx_win = rte_cpu_to_be_16(f->wnd);
	if (f->optlen > 0)
		memcpy(th + 1, f->opts, f->optlen);
	if (f->len > 0)
		memcpy((uint8_t *)(th + 1) + f->optlen, f->data, f->len);
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	return m;
}

#endif /* _TEST_FRAMES_H_ */
