/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * libFuzzer target: TCP segments against an established connection (and
 * its listener). Each input first opens a connection from a new peer
 * port with a well-formed handshake (its options picked by the first
 * byte), then is read as records, each one segment on that connection:
 *
 *   flags(1) dseq(2) dack(2) wnd(2) optlen(1) opts(optlen) plen(1)
 *   payload(plen) read(1)
 *
 * with sequence and acknowledgment numbers relative to the connection's
 * (so most land near the window, where the interesting code is). After
 * each record the application may read (last byte, bit 0) and write
 * 3000 bytes (bit 1, so data is in flight). With bit 2 the record is an
 * ICMP error instead, quoting a segment of ours near the last one sent
 * (dseq from it): destination unreachable if flags bit 0 (else time
 * exceeded), code flags >> 4, next-hop MTU wnd (PMTUD, RFC 5927
 * checks). With bit 3 the segment's IP header says CE (RFC 3168).
 * With bit 4 the SACK blocks among the options are relative to the
 * connection's first data byte too (the sender's scoreboard and RACK).
 * With bit 5 the segment waits and goes in one burst with the next
 * records' up to the first without bit 5, or with SYN or RST (receive
 * coalescing, GRO).
 * Records stop once the connection is reset. At the end the connection
 * is aborted and every mbuf must be back in the pool. The stack runs
 * with ECN: a first byte with bit 2 makes the handshake's SYN ask for
 * it (ECE and CWR). It runs with Fast Open too: with bit 3 the SYN
 * carries the cookie of an earlier SYN-ACK and 4 bytes of data (or,
 * before any, asks for a cookie).
 */

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include <px_exec.h>
#include <px_inet.h>
#include <px_tcp.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct px_tcp_listener *lst;
static unsigned int baseline;
static uint32_t our_ip, peer_ip;
static uint32_t last_seq, last_ack;
static uint8_t last_flags;
static uint16_t port_ctr;
static uint8_t inject_tos; /* the IP TOS byte of the next segment */
static int batching;       /* inject() queues for batch_input() */
static struct rte_mbuf *batch[16];
static uint16_t nbatch;

/* What inject() queued, as one burst. */
static void
batch_input(void)
{
	batching = 0;
	if (nbatch > 0)
		px_netif_input(fuzz_nif, batch, nbatch);
	nbatch = 0;
}
static uint8_t tfo_cookie[8]; /* the Fast Open cookie last given ... */
static int have_cookie;       /* ... if any */

static const struct rte_ether_addr our_mac = {{ 0x02, 0, 0, 0, 0, 0x02 }};
static const struct rte_ether_addr peer_mac = {{ 0x02, 0, 0, 0, 0, 0x01 }};

/* Keep the Fast Open cookie a SYN-ACK carries. */
static void
tfo_note(const struct rte_tcp_hdr *th)
{
	const uint8_t *o = (const uint8_t *)(th + 1);
	uint32_t len = (uint32_t)(th->data_off >> 4) * 4 - sizeof(*th), i = 0;

	if ((th->tcp_flags & 0x12) != 0x12)
		return;
	while (i + 1 < len && o[i] != 0) {
		if (o[i] == 1) {
			i++;
			continue;
		}
		if (o[i + 1] < 2 || i + o[i + 1] > len)
			return;
		if (o[i] == 34 && o[i + 1] == 10) {
			memcpy(tfo_cookie, o + i + 2, 8);
			have_cookie = 1;
		}
		i += o[i + 1];
	}
}

/* Transmit: remember the last TCP segment's numbers, free everything. */
static uint16_t
capture_tx(void *ctx, struct rte_mbuf **pkts, uint16_t n)
{
	const struct rte_ipv4_hdr *ip;
	const struct rte_tcp_hdr *th;
	uint16_t i;

	(void)ctx;
	for (i = 0; i < n; i++) {
		ip = rte_pktmbuf_mtod_offset(pkts[i], const struct rte_ipv4_hdr *,
				sizeof(struct rte_ether_hdr));
		if (rte_pktmbuf_data_len(pkts[i]) >= sizeof(struct rte_ether_hdr) +
				sizeof(*ip) + sizeof(*th) &&
				ip->next_proto_id == IPPROTO_TCP) {
			th = (const struct rte_tcp_hdr *)(ip + 1);
			last_seq = ntohl(th->sent_seq);
			last_ack = ntohl(th->recv_ack);
			last_flags = th->tcp_flags;
			tfo_note(th);
		}
	}
	rte_pktmbuf_free_bulk(pkts, n);
	return n;
}

static void
setup(void)
{
	struct px_inet_conf c = { .mac = our_mac, .prefix = 24 };
	struct px_tcp_conf tc = { .max_conns = 256,
		.flags = PX_TCP_CONF_F_ECN | PX_TCP_CONF_F_FASTOPEN };
	struct rte_mbuf *m;

	fuzz_runtime_init("fuzz_tcp");
	fuzz_mp = rte_pktmbuf_pool_create("fuzz_tcp", 4095, 0, 0,
			RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	our_ip = inet_addr("10.1.0.2");
	peer_ip = inet_addr("10.1.0.1");
	c.ip = our_ip;
	if (fuzz_mp == NULL || px_netif_create(&c, fuzz_mp, capture_tx, NULL, &fuzz_nif) != 0 ||
			px_tcp_attach(fuzz_nif, &tc) != 0 ||
			px_tcp_listen(fuzz_nif, htons(7), 64, &lst) != 0)
		abort();
	/* Learn the peer's MAC once, so replies are not held behind ARP. */
	m = rte_pktmbuf_alloc(fuzz_mp);
	if (m == NULL)
		abort();
	{
		struct rte_ether_hdr *eth = (struct rte_ether_hdr *)
			rte_pktmbuf_append(m, sizeof(*eth) + sizeof(struct rte_arp_hdr));
		struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);

		eth->dst_addr = our_mac;
		eth->src_addr = peer_mac;
		eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
		arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
		arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
		arp->arp_hlen = RTE_ETHER_ADDR_LEN;
		arp->arp_plen = 4;
		arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
		arp->arp_data.arp_sha = peer_mac;
		arp->arp_data.arp_sip = peer_ip;
		memset(&arp->arp_data.arp_tha, 0, sizeof(arp->arp_data.arp_tha));
		arp->arp_data.arp_tip = our_ip;
	}
	px_netif_input(fuzz_nif, &m, 1);
	baseline = rte_mempool_in_use_count(fuzz_mp);
}

/* Send one segment from the peer. opts are raw option bytes (padded with
 * end-of-list to a multiple of 4, at most 40). */
static void
inject(uint16_t sport, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd,
		const uint8_t *opts, uint32_t olen, const uint8_t *pl, uint32_t plen)
{
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;
	struct rte_mbuf *m;
	uint32_t ol = (olen + 3) & ~3u, len = sizeof(*ip) + sizeof(*th) + ol + plen;

	m = rte_pktmbuf_alloc(fuzz_mp);
	if (m == NULL)
		abort();
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, (uint16_t)(sizeof(*eth) + len));
	if (eth == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	eth->dst_addr = our_mac;
	eth->src_addr = peer_mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = inject_tos;
	ip->total_length = htons((uint16_t)len);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = peer_ip;
	ip->dst_addr = our_ip;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	th = (struct rte_tcp_hdr *)(ip + 1);
	memset(th, 0, sizeof(*th) + ol);
	th->src_port = htons(sport);
	th->dst_port = htons(7);
	th->sent_seq = htonl(seq);
	th->recv_ack = htonl(ack);
	th->data_off = (uint8_t)(((sizeof(*th) + ol) / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = htons(wnd);
	if (olen > 0)
		memcpy(th + 1, opts, olen);
	if (plen > 0)
		memcpy((uint8_t *)(th + 1) + ol, pl, plen);
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	if (batching && nbatch < RTE_DIM(batch)) {
		batch[nbatch++] = m;
		return;
	}
	px_netif_input(fuzz_nif, &m, 1);
}

/* An ICMP error from a router on the way about a segment of ours to the
 * peer (sport) with sequence number seq. */
static void
inject_icmp(uint16_t sport, uint32_t seq, uint8_t type, uint8_t code,
		uint16_t mtu, uint16_t qlen)
{
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip, *q;
	struct rte_icmp_hdr *icmp;
	struct rte_tcp_hdr *th;
	struct rte_mbuf *m;
	uint32_t len = sizeof(*ip) + sizeof(*icmp) + sizeof(*q) + 8;

	m = rte_pktmbuf_alloc(fuzz_mp);
	if (m == NULL)
		abort();
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, (uint16_t)(sizeof(*eth) + len));
	eth->dst_addr = our_mac;
	eth->src_addr = peer_mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	memset(ip, 0, len);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = htons((uint16_t)len);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_ICMP;
	ip->src_addr = peer_ip;
	ip->dst_addr = our_ip;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	icmp = (struct rte_icmp_hdr *)(ip + 1);
	icmp->icmp_type = type;
	icmp->icmp_code = code;
	icmp->icmp_seq_nb = htons(mtu);
	q = (struct rte_ipv4_hdr *)(icmp + 1);
	q->version_ihl = RTE_IPV4_VHL_DEF;
	q->total_length = htons(qlen);
	q->time_to_live = 64;
	q->next_proto_id = IPPROTO_TCP;
	q->src_addr = our_ip;
	q->dst_addr = peer_ip;
	th = (struct rte_tcp_hdr *)(q + 1);
	th->src_port = htons(7);
	th->dst_port = htons(sport);
	th->sent_seq = htonl(seq);
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, len - sizeof(*ip));
	px_netif_input(fuzz_nif, &m, 1);
}

/* Add base to the numbers of every SACK option in opts (as far as the
 * options are well formed). */
static void
sack_relative(uint8_t *opts, uint32_t olen, uint32_t base)
{
	uint32_t i = 0, k, v;

	while (i < olen && opts[i] != 0) {
		if (opts[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= olen || opts[i + 1] < 2 || i + opts[i + 1] > olen)
			return;
		if (opts[i] == 5)
			for (k = i + 2; k + 4 <= i + opts[i + 1]; k += 4) {
				memcpy(&v, opts + k, 4);
				v = htonl(ntohl(v) + base);
				memcpy(opts + k, &v, 4);
			}
		i += opts[i + 1];
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t syn_opts[] = {
		2, 4, 0x05, 0xb4,           /* MSS 1460 */
		4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, /* SACK-perm, TS 1 */
		1, 3, 3, 7,                 /* WS 7 */
	};
	static uint8_t buf[65536];
	uint8_t so[40];
	struct px_tcp_conn *c = NULL;
	uint32_t iss, base = 1000, off = 0, olen, plen, solen, sdlen = 0;
	uint16_t sport;
	uint8_t sel, act;

	if (fuzz_nif == NULL)
		setup();
	if (size < 1)
		return 0;
	sport = (uint16_t)(1024 + port_ctr++ % 60000);
	sel = data[0];
	off = 1;
	/* Handshake: SYN with all, some or none of the options. */
	last_flags = 0;
	inject_tos = 0;
	solen = (sel & 1) ? sizeof(syn_opts) : (sel & 2) ? 4 : 0;
	memcpy(so, syn_opts, solen);
	if (sel & 8) {
		so[solen++] = 1;
		so[solen++] = 1;
		so[solen++] = 34;
		so[solen++] = have_cookie ? 10 : 2;
		if (have_cookie) {
			memcpy(so + solen, tfo_cookie, 8);
			solen += 8;
			sdlen = 4;
		}
	}
	inject(sport, base, 0, (sel & 4) ? 0xc2 : 0x02, 65535, so, solen,
			(const uint8_t *)"tfo!", sdlen);
	if (sdlen > 0 && last_ack == base + 1 + sdlen)
		base += sdlen; /* taken: the peer goes on after it */
	if ((last_flags & 0x3f) != 0x12) {
		/* A SYN to a listener must get a SYN-ACK. */
		px_tcp_stats_print(fuzz_nif, stderr, false);
		abort();
	}
	iss = last_seq;
	{
		static const uint8_t ts[] = { 1, 1, 8, 10, 0, 0, 0, 2, 0, 0, 0, 0 };

		inject(sport, base + 1, iss + 1, 0x10, 512, ts,
				(sel & 1) ? sizeof(ts) : 0, NULL, 0);
	}
	if (px_tcp_accept(lst, &c, 0) != 0)
		abort();
	/* The records. */
	while (off + 9 <= size) {
		uint8_t flags = data[off];
		int16_t dseq = (int16_t)(data[off + 1] << 8 | data[off + 2]);
		int16_t dack = (int16_t)(data[off + 3] << 8 | data[off + 4]);
		uint16_t wnd = (uint16_t)(data[off + 5] << 8 | data[off + 6]);

		olen = RTE_MIN((uint32_t)data[off + 7], 40u);
		off += 8;
		if (off + olen + 1 > size)
			break;
		memcpy(buf, data + off, olen);
		off += olen;
		plen = data[off++];
		if (off + plen > size)
			plen = (uint32_t)(size - off);
		act = off + plen < size ? data[off + plen] : 0;
		if (act & 4)
			inject_icmp(sport, last_seq + (uint32_t)(int32_t)dseq,
					(flags & 1) ? 3 : 11, flags >> 4, wnd,
					(uint16_t)(40 + plen * 6));
		else {
			inject_tos = (act & 8) ? 3 : 2; /* CE, else ECT(0) */
			if (act & 16)
				sack_relative(buf, olen, iss + 1);
			batching = 1; /* queued, then in with those before */
			inject(sport, base + 1 + (uint32_t)(int32_t)dseq,
					iss + 1 + (uint32_t)(int32_t)dack, flags, wnd,
					buf, olen, data + off, plen);
			/* A RST or SYN goes in at once with those before it:
			 * the reset check below must see the connection end
			 * before a later SYN could open another on the tuple. */
			if (!(act & 32) || (flags & 0x06))
				batch_input();
		}
		off += plen;
		if (off < size)
			off++;
		if (act & 1)
			px_tcp_read(c, buf, sizeof(buf), 0);
		if (act & 2)
			px_tcp_write(c, buf, 3000, 0);
		/* Reset: a later SYN on the tuple would open a half-open
		 * connection that only a timer (not run here) would end. */
		{
			struct px_tcp_info inf;

			if (px_tcp_info(c, &inf) == 0 && inf.state == PX_TCP_CLOSED)
				break;
		}
	}
	batch_input();
	px_tcp_abort(c);
	if (rte_mempool_in_use_count(fuzz_mp) != baseline) {
		fprintf(stderr, "mbuf leak: %u in use, baseline %u\n",
			rte_mempool_in_use_count(fuzz_mp), baseline);
		abort();
	}
	return 0;
}
