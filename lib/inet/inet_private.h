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

#include "inet_l4.h"
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
	int err;               /* an ICMP error for the next call, -errno */
	uint32_t qmask, qhead, qlen;
	struct px_notify ready;
	struct udp_rxq_ent *q;
};

/* IP IDs (RFC 6864, RFC 7739): a counter per destination hash bucket,
 * each starting at random, so the IDs one host sees say nothing of our
 * traffic to others (no idle-scan zombie) and do not wrap at our total
 * packet rate. */
#define IP_ID_BUCKETS 256

/* Everything one lcore owns of an interface. */
struct inet_lcore {
	struct px__inet_l4_lcore l4; /* what protocols read (inet_l4.h) */
	void *l4_lctx[PX__INET_L4_MAX]; /* each protocol's state here */
	struct px_inet_stats st;
	struct arp_entry arp[ARP_SLOTS];
	uint32_t arp_used;
	uint64_t next_tick;
	/* ICMP error token bucket */
	uint64_t icmp_tokens;
	uint64_t icmp_last;
	uint16_t port_hint;     /* where the next ephemeral UDP port search starts */
	uint32_t id_seed;       /* ip_ids[]' hash key, random */
	uint16_t ip_ids[IP_ID_BUCKETS]; /* IP ID counters by destination hash */
	struct px_udp_sock **udp; /* [UDP_PORTS], by host-order port */
	struct rte_ip_frag_tbl *frag;    /* reassembly, bounded */
	struct rte_ip_frag_death_row dr; /* mbufs the frag library let go */
} __rte_cache_aligned;

/* A registered protocol (inet_l4.h). */
struct inet_l4 {
	const struct px__inet_l4_ops *ops; /* NULL: free slot */
	void *ctx;
};

struct px_netif {
	struct px_inet_conf conf;
	/* IP protocol -> 1 + its slot in l4[]; 0: none registered */
	uint8_t l4_slot[256];
	/* IP protocols whose headers start with ports (UDP and registered
	 * ones that say so): steering hashes their 4-tuple */
	uint8_t l4_ports[256];
	struct inet_l4 l4[PX__INET_L4_MAX];
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
#define INET_MSG_ARP (PX_MSG_LIB_BASE + 1) /* a: nif, b: ip, c: mac */
#define INET_MSG_RX_L3 (PX_MSG_LIB_BASE + 2) /* a: mbuf (a datagram checked
                                               and reassembled), b: nif */

/* netif.c: the protocols' burst-end hooks, after each input burst. */
void inet_l4_burst_end(struct px_netif *nif, struct inet_lcore *lc);

/* arp.c */
void arp_input(struct px_netif *nif, struct inet_lcore *lc, struct rte_mbuf *m);
/* Fill the Ethernet header of m (data at the Ethernet header) for next hop
 * ip and send it, or queue it behind an ARP request. Takes m. */
int arp_output(struct px_netif *nif, struct inet_lcore *lc, struct rte_mbuf *m,
		uint32_t nexthop);
/* Can n packets for nexthop go out or wait for ARP without a drop? Starts
 * the resolution if needed. */
int arp_room(struct px_netif *nif, struct inet_lcore *lc, uint32_t nexthop,
		unsigned int n);
/* create: add the entry if absent; share: tell the other lcores when the
 * entry is new or its MAC changed. */
void arp_learn(struct px_netif *nif, struct inet_lcore *lc, uint32_t ip,
		const struct rte_ether_addr *mac, int create, int share);
void arp_msg(const struct px_msg *m, void *ctx);
void arp_tick(struct px_netif *nif, struct inet_lcore *lc, uint64_t now);
void arp_flush_all(struct inet_lcore *lc);

/* ipv4.c */
void ipv4_input(struct px_netif *nif, struct inet_lcore *lc, struct rte_mbuf *m);
/* A checked datagram (m at its Ethernet header) to its protocol. */
void ipv4_deliver(struct px_netif *nif, struct inet_lcore *lc,
		struct rte_mbuf *m, struct rte_ipv4_hdr *ip, uint32_t ihl);
/* A reassembled datagram whose ports hash to another lcore: posted to
 * that lcore's mailbox (INET_MSG_RX_L3). Returns 1 if it went (or was
 * dropped, counted), 0 if it is this lcore's. */
int ipv4_resteer(struct px_netif *nif, struct inet_lcore *lc,
		struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, uint32_t ihl);
/* Output: px__inet_output() (inet_l4.h), for ICMP and UDP too. */
/* Free what reassembly dropped, counting it. */
void ipv4_frag_reap(struct inet_lcore *lc);
void icmp_send_unreach(struct px_netif *nif, struct inet_lcore *lc,
		struct rte_mbuf *orig, uint8_t code);

/* udp.c: m's data starts at the UDP header; ip is the IPv4 header. */
/* An ICMP error quoting a datagram we sent from a UDP port (q: its IP
 * header, 8 bytes of UDP after it), on the lcore that owns the flow. */
void udp_icmp_err(struct px_netif *nif, struct inet_lcore *lc,
		const struct rte_ipv4_hdr *q, uint8_t type, uint8_t code);
void udp_input(struct px_netif *nif, struct inet_lcore *lc, struct rte_mbuf *m,
		const struct rte_ipv4_hdr *ip);

static inline int
ip_is_local(const struct px_netif *nif, uint32_t dst)
{
	return dst == nif->conf.ip || dst == nif->bcast || dst == RTE_BE32(0xffffffff);
}

/* RFC 1122 3.2.1.3: may a datagram come from src? Not from 0, a
 * broadcast (limited or our subnet's), multicast or class E (224/3),
 * loopback (127/8), nor from our own address arriving on the wire
 * (Linux calls these martians; a spoofed SYN from our own address and
 * port, LAND, would connect us to ourselves). */
static inline int
ip_src_valid(const struct px_netif *nif, uint32_t src)
{
	uint32_t h = rte_be_to_cpu_32(src);

	return h != 0 && (h >> 24) != 127 && (h >> 29) != 7 &&
		src != nif->bcast && src != nif->conf.ip;
}

/* The library's log type "pollux.inet" (netif.c, px_log.h). */
extern int px_logtype_inet;

#endif /* _INET_PRIVATE_H_ */
