/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#ifndef _INET_PRIVATE_H_
#define _INET_PRIVATE_H_

#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_mbuf.h>

#include <px_common.h>
#include <px_exec.h>
#include <px_sync.h>

#include "px_inet.h"

#define ARP_SLOTS 256          /* per-lcore cache, open addressing */
#define ARP_PENDING 16         /* packets held per unresolved address */
#define ARP_RETRY_MS 200
#define ARP_TRIES 5
#define UDP_PORTS 65536

enum arp_state {
	ARP_FREE = 0,
	ARP_INCOMPLETE,        /* request sent, packets pending */
	ARP_REACHABLE,
};

struct arp_entry {
	uint32_t ip;           /* network order; 0 = free */
	uint8_t state;
	uint8_t tries;
	uint16_t npending;
	struct rte_ether_addr mac;
	uint64_t expire;       /* TSC: REACHABLE until, INCOMPLETE next retry */
	struct rte_mbuf *pending[ARP_PENDING];
};

struct udp_rxq_ent {
	struct rte_mbuf *m;
	struct px_udp_addr from;
};

struct px_udp_sock {
	struct px_netif *nif;
	px_udp_recv_cb_t cb;
	void *arg;
	uint16_t port;         /* network order */
	uint16_t lcore_index;
	/* task sockets: a bounded queue and a notify to park on */
	struct px_udp_addr peer; /* connected peer, ip 0 = none */
	uint32_t qmask, qhead, qlen;
	struct px_notify ready;
	struct udp_rxq_ent *q;
};

/* Everything one lcore owns of an interface. */
struct inet_lcore {
	struct px_inet_stats st;
	struct arp_entry arp[ARP_SLOTS];
	uint32_t arp_used;
	uint64_t now;          /* TSC at the last input burst or tick: reading
	                          the TSC costs ~10 ns here, too much per packet */
	uint64_t next_tick;
	/* ICMP error token bucket */
	uint64_t icmp_tokens;
	uint64_t icmp_last;
	uint16_t ip_id;
	struct px_udp_sock **udp; /* [UDP_PORTS], by host-order port */
	struct rte_ip_frag_tbl *frag;    /* reassembly, bounded */
	struct rte_ip_frag_death_row dr; /* mbufs the frag library let go */
	void *tcp;             /* struct tcp_lcore */
} __rte_cache_aligned;

struct px_netif;
/* The TCP layer's entry points, set by px_tcp_attach() (lib/tcp sits
 * above this library). m's data starts at the TCP header. */
typedef void (*inet_l4_input_t)(struct px_netif *nif, struct inet_lcore *lc,
		struct rte_mbuf *m, const struct rte_ipv4_hdr *ip);
typedef void (*inet_burst_end_t)(struct px_netif *nif, struct inet_lcore *lc);

struct px_netif {
	struct px_inet_conf conf;
	inet_l4_input_t tcp_input;
	inet_burst_end_t tcp_burst_end; /* after each input burst (ACK batching) */
	void *tcp;              /* struct tcp_netif */
	uint32_t mask;          /* network order */
	uint32_t bcast;         /* subnet broadcast, network order */
	struct rte_mempool *mp;
	px_netif_tx_cb_t tx;
	void *tx_ctx;
	uint64_t arp_timeout;   /* cycles */
	uint64_t arp_retry;     /* cycles */
	uint32_t n_lcores;
	struct inet_lcore *lc[PX_MAX_LCORES];
};

/* The calling lcore's state, or NULL off the runtime's lcores. */
struct inet_lcore *inet_lcore(const struct px_netif *nif);

/* netif.c: hand frames to the port, freeing and counting what it refuses. */
void inet_xmit(struct px_netif *nif, struct inet_lcore *lc,
		struct rte_mbuf **pkts, uint16_t n);

/* Mailbox types of the stack. */
#define INET_MSG_RX  (PX_MSG_LIB_BASE + 0) /* a: mbuf, b: nif */
/* Interfaces telemetry sees (/pollux/inet,N and the TCP endpoints). */
#define INET_TEL_MAX 8
/* The interface telemetry parameter *params* names ("" or "N"), or NULL;
 * call with px_tel_lock() held. */
struct px_netif *inet_tel_netif(const char *params);
#define INET_MSG_ARP (PX_MSG_LIB_BASE + 1) /* a: nif, b: ip, c: mac */

/* arp.c */
void arp_input(struct px_netif *nif, struct inet_lcore *lc, struct rte_mbuf *m);
/* Fill the Ethernet header of m (data at the Ethernet header) for next hop
 * ip and send it, or queue it behind an ARP request. Takes m. */
int arp_output(struct px_netif *nif, struct inet_lcore *lc, struct rte_mbuf *m,
		uint32_t nexthop);
/* create: add the entry if absent; share: tell the other lcores when the
 * entry is new or its MAC changed. */
/* Can n packets for nexthop go out or wait for ARP without a drop? Starts
 * the resolution if needed. */
int arp_room(struct px_netif *nif, struct inet_lcore *lc, uint32_t nexthop,
		unsigned int n);
void arp_learn(struct px_netif *nif, struct inet_lcore *lc, uint32_t ip,
		const struct rte_ether_addr *mac, int create, int share);
void arp_msg(const struct px_msg *m, void *ctx);
void arp_tick(struct px_netif *nif, struct inet_lcore *lc, uint64_t now);
void arp_flush_all(struct inet_lcore *lc);

/* ipv4.c */
void ipv4_input(struct px_netif *nif, struct inet_lcore *lc, struct rte_mbuf *m);
/* m's data starts at the L4 header; prepend IPv4 + Ethernet and send. */
int ipv4_output(struct px_netif *nif, struct inet_lcore *lc, struct rte_mbuf *m,
		uint32_t dst, uint8_t proto);
/* The same, with the L4 checksum already valid (nothing to compute). */
int ipv4_output_ck(struct px_netif *nif, struct inet_lcore *lc,
		struct rte_mbuf *m, uint32_t dst, uint8_t proto, int l4_done);
/* Free what reassembly dropped, counting it. */
void ipv4_frag_reap(struct inet_lcore *lc);
void icmp_send_unreach(struct px_netif *nif, struct inet_lcore *lc,
		struct rte_mbuf *orig, uint8_t code);

/* udp.c: m's data starts at the UDP header; ip is the IPv4 header. */
void udp_input(struct px_netif *nif, struct inet_lcore *lc, struct rte_mbuf *m,
		const struct rte_ipv4_hdr *ip);

/* The pseudo-header sum (RFC 768) of a UDP/TCP segment of l4len bytes,
 * from the header's fields (no on-stack pseudo header to read back). */
static inline uint32_t
phdr_sum(const struct rte_ipv4_hdr *ip, uint32_t l4len)
{
	uint32_t src = rte_be_to_cpu_32(ip->src_addr);
	uint32_t dst = rte_be_to_cpu_32(ip->dst_addr);

	return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) +
		ip->next_proto_id + l4len;
}

/* Fold a 32-bit ones' complement accumulator to 16 bits. */
static inline uint16_t
fold16(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* Is the UDP/TCP checksum of m (data at the L4 header, len bytes) right?
 * ip is the IPv4 header it came in. */
static inline int
l4_cksum_ok(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip,
		uint32_t len)
{
	uint16_t raw = 0;

	if (likely(m->nb_segs == 1))
		raw = rte_raw_cksum(rte_pktmbuf_mtod(m, const void *), len);
	else if (rte_raw_cksum_mbuf(m, 0, len, &raw) < 0)
		return 0;
	/* rte_raw_cksum() sums words as read from memory; phdr_sum() sums
	 * the fields' values: one byte swap puts both in the same order
	 * (RFC 1071 2(B): the sum is byte-order independent). */
	return fold16((uint32_t)raw +
			rte_cpu_to_be_16(fold16(phdr_sum(ip, len)))) == 0xffff;
}

static inline int
ip_is_local(const struct px_netif *nif, uint32_t dst)
{
	return dst == nif->conf.ip || dst == nif->bcast || dst == RTE_BE32(0xffffffff);
}

#endif /* _INET_PRIVATE_H_ */
