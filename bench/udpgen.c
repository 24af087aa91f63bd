/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * px-udpgen: a closed-loop UDP generator straight on rte_ethdev, the one
 * generator bench/compare udp points at both reflectors (pollux-echo, and
 * dpdk-testpmd in macswap mode). It keeps --window frames in flight, counts
 * every frame that comes back carrying one of its sequence numbers
 * (whatever its headers: macswap leaves the IP and ports as they were,
 * the echo app swaps them), and prints the rate.
 *
 *   px-udpgen [EAL args] -- --src IP --dst IP [--port P] [--size N]
 *             [--window N] [--seconds S]
 *
 * It first asks for the server's MAC with ARP (so the echo app learns
 * ours), then sends to the broadcast MAC if nobody answered (testpmd
 * does not answer ARP and forwards anything).
 */

#include <arpa/inet.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#define BURST 32
#define HDRS (sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) + \
	sizeof(struct rte_udp_hdr))
#define MAGIC 0x7078676e75ull /* "pxgnu": marks our frames */

static struct {
	uint32_t src, dst;
	uint16_t port;
	uint32_t size, window;
	double seconds;
} o = { .port = 7, .size = 64, .window = 256, .seconds = 5 };

static struct rte_ether_addr our_mac, dst_mac;

static struct rte_mbuf *
make_frame(struct rte_mempool *mp, uint64_t seq)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	uint64_t *pl;
	uint32_t plen = o.size < 16 ? 16 : o.size;

	if (m == NULL)
		return NULL;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, (uint16_t)(HDRS + plen));
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	udp = (struct rte_udp_hdr *)(ip + 1);
	pl = (uint64_t *)(udp + 1);
	eth->dst_addr = dst_mac;
	eth->src_addr = our_mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = htons((uint16_t)(sizeof(*ip) + sizeof(*udp) + plen));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = o.src;
	ip->dst_addr = o.dst;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = htons((uint16_t)(10000 + (seq & 1023)));
	udp->dst_port = htons(o.port);
	udp->dgram_len = htons((uint16_t)(sizeof(*udp) + plen));
	memset(pl, 0, plen);
	pl[0] = MAGIC;
	pl[1] = seq;
	udp->dgram_cksum = 0;
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	return m;
}

/* Ask for the server's MAC; answer its ARP requests meanwhile. */
static void
arp_exchange(uint16_t port, struct rte_mempool *mp)
{
	struct rte_mbuf *m, *rx[BURST];
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *arp;
	uint64_t end = rte_rdtsc() + rte_get_tsc_hz();
	uint16_t n, i;
	int tries;

	memset(&dst_mac, 0xff, sizeof(dst_mac));
	for (tries = 0; tries < 5 && rte_rdtsc() < end; tries++) {
		m = rte_pktmbuf_alloc(mp);
		if (m == NULL)
			return;
		eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) + sizeof(*arp));
		arp = (struct rte_arp_hdr *)(eth + 1);
		memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr));
		eth->src_addr = our_mac;
		eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
		arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
		arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
		arp->arp_hlen = 6;
		arp->arp_plen = 4;
		arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
		arp->arp_data.arp_sha = our_mac;
		arp->arp_data.arp_sip = o.src;
		memset(&arp->arp_data.arp_tha, 0, 6);
		arp->arp_data.arp_tip = o.dst;
		if (rte_eth_tx_burst(port, 0, &m, 1) != 1)
			rte_pktmbuf_free(m);
		rte_delay_ms(100);
		n = rte_eth_rx_burst(port, 0, rx, BURST);
		for (i = 0; i < n; i++) {
			eth = rte_pktmbuf_mtod(rx[i], struct rte_ether_hdr *);
			arp = (struct rte_arp_hdr *)(eth + 1);
			if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP) &&
					arp->arp_opcode == RTE_BE16(RTE_ARP_OP_REPLY) &&
					arp->arp_data.arp_sip == o.dst) {
				dst_mac = arp->arp_data.arp_sha;
				tries = 100;
			}
		}
		rte_pktmbuf_free_bulk(rx, n);
	}
}

static int
parse(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "src", 1, NULL, 's' }, { "dst", 1, NULL, 'd' },
		{ "port", 1, NULL, 'p' }, { "size", 1, NULL, 'z' },
		{ "window", 1, NULL, 'w' }, { "seconds", 1, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's': o.src = inet_addr(optarg); break;
		case 'd': o.dst = inet_addr(optarg); break;
		case 'p': o.port = (uint16_t)atoi(optarg); break;
		case 'z': o.size = (uint32_t)atoi(optarg); break;
		case 'w': o.window = (uint32_t)atoi(optarg); break;
		case 't': o.seconds = atof(optarg); break;
		default: return -1;
		}
	}
	if (o.src == 0 || o.dst == 0 || o.window == 0 || o.size > 1400 ||
			o.seconds <= 0) {
		fprintf(stderr, "px-udpgen: need --src and --dst; --size <= 1400\n");
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct rte_eth_conf ec = { 0 };
	struct rte_mempool *mp;
	struct rte_mbuf *tx[BURST], *rx[BURST];
	uint64_t sent = 0, got = 0, lost = 0, other = 0, seq, t0, end, hz, last_rx;
	uint16_t port = 0, n, i, k;
	const uint64_t *pl;
	int ret;

	ret = rte_eal_init(argc, argv);
	if (ret < 0)
		return 1;
	if (parse(argc - ret, argv + ret) < 0 || rte_eth_dev_count_avail() == 0)
		return 2;
	mp = rte_pktmbuf_pool_create("udpgen", 16383, 256, 0,
			RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (mp == NULL || rte_eth_dev_configure(port, 1, 1, &ec) < 0 ||
			rte_eth_rx_queue_setup(port, 0, 1024, rte_socket_id(), NULL, mp) < 0 ||
			rte_eth_tx_queue_setup(port, 0, 1024, rte_socket_id(), NULL) < 0 ||
			rte_eth_dev_start(port) < 0) {
		fprintf(stderr, "px-udpgen: port setup failed\n");
		return 1;
	}
	rte_eth_macaddr_get(port, &our_mac);
	hz = rte_get_tsc_hz();
	/* Wait (bounded) for the memif link. */
	end = rte_rdtsc() + 10 * hz;
	for (;;) {
		struct rte_eth_link l;

		if (rte_eth_link_get_nowait(port, &l) == 0 && l.link_status)
			break;
		if (rte_rdtsc() > end) {
			fprintf(stderr, "px-udpgen: link down\n");
			return 1;
		}
		rte_delay_ms(10);
	}
	arp_exchange(port, mp);
	t0 = last_rx = rte_rdtsc();
	end = t0 + (uint64_t)(o.seconds * (double)hz);
	while (rte_rdtsc() < end) {
		/* Lost frames would close the window for good: reopen it
		 * after 10 ms without an answer. */
		if (sent - got - lost >= o.window && rte_rdtsc() - last_rx > hz / 100)
			lost = sent - got;
		k = 0;
		while (k < BURST && sent + k - got - lost < o.window) {
			tx[k] = make_frame(mp, sent + k);
			if (tx[k] == NULL)
				break;
			k++;
		}
		n = k ? rte_eth_tx_burst(port, 0, tx, k) : 0;
		if (n < k)
			rte_pktmbuf_free_bulk(&tx[n], k - n);
		sent += n;
		n = rte_eth_rx_burst(port, 0, rx, BURST);
		for (i = 0; i < n; i++) {
			pl = rte_pktmbuf_mtod_offset(rx[i], const uint64_t *, HDRS);
			if (rte_pktmbuf_data_len(rx[i]) >= HDRS + 16 &&
					pl[0] == MAGIC && (seq = pl[1]) < sent)
				got++;
			else
				other++;
		}
		if (n > 0) {
			last_rx = rte_rdtsc();
			rte_pktmbuf_free_bulk(rx, n);
		}
	}
	printf("udpgen: sent=%" PRIu64 " received=%" PRIu64 " other=%" PRIu64
		" seconds=%.2f pps=%.0f\n", sent, got, other,
		(double)(rte_rdtsc() - t0) / hz, (double)got * hz / (double)(rte_rdtsc() - t0));
	rte_eth_dev_stop(port);
	rte_eal_cleanup();
	return 0;
}
