/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#ifndef _PX_INET_H_
#define _PX_INET_H_

/**
 * @file
 * The IPv4 stack up to UDP: Ethernet demux, ARP, IPv4, ICMP and UDP
 * sockets, on top of a network interface (px_netif) that a port driver
 * feeds (px_netif_input()) and drains (the tx callback).
 *
 * State is per executor lcore: each lcore has its own ARP cache, UDP port
 * table and counters, and processes the packets its own rx queue (or the
 * software steering stage) gives it. Nothing on this path allocates with
 * malloc or takes a lock; received mbufs are handed to the application as
 * they arrived.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Addresses of one interface; IPv4 values in network byte order. */
struct px_inet_conf {
	struct rte_ether_addr mac; /**< our MAC */
	uint32_t ip;               /**< our address */
	uint8_t prefix;            /**< subnet prefix length, 1..32 */
	uint32_t gw;               /**< default gateway, 0 for none */
	uint16_t mtu;              /**< IP MTU, 0 = 1500 */
	uint32_t arp_timeout_ms;   /**< ARP cache entry lifetime, 0 = 60000 */
	uint32_t icmp_rate;        /**< ICMP errors per second per lcore, 0 = 100 */
	uint32_t frag_timeout_ms;  /**< reassembly timeout, 0 = 2000 */
	uint32_t frag_max;         /**< datagrams in reassembly per lcore; 0 =
	                                as many as keep the worst case (each
	                                holding RTE_LIBRTE_IP_FRAG_MAX_FRAG
	                                mbufs) within 1/8 of the pool over
	                                all lcores, at most 1024 (63 per
	                                lcore for one lcore and 4095 mbufs) */
	/** The port computes IPv4, UDP and TCP checksums on transmit; 0:
	 *  the stack computes them. What the transmit path can do is its
	 *  business: px_port_attach() sets this (px_netif_set_tx_offloads()),
	 *  and an embedder with its own transmit path calls that. */
	uint32_t tx_cksum;
	/** The transmit path takes chained mbufs, and they are used: TCP then
	 *  sends payloads of 512 bytes or more as references to its send
	 *  buffer's mbufs behind a header mbuf, not as copies; 0: it copies.
	 *  Set with tx_cksum, from tx_zc. */
	uint32_t tx_multi_seg;
	/** Whether to transmit by reference where chains are accepted:
	 *  PX_INET_TX_ZC_AUTO (0) only where checksums are offloaded too
	 *  (in software the CPU reads every byte anyway, and copying was
	 *  measured faster), _ON, _OFF. */
	uint32_t tx_zc;
};

/** px_inet_conf.tx_zc values. */
enum px_inet_tx_zc {
	PX_INET_TX_ZC_AUTO = 0,
	PX_INET_TX_ZC_ON,
	PX_INET_TX_ZC_OFF,
};

/** Per-lcore counters; every dropped packet is counted under one reason. */
struct px_inet_stats {
	/* Ethernet */
	uint64_t eth_rx;            /**< frames received */
	uint64_t eth_runt;          /**< shorter than an Ethernet header */
	uint64_t eth_not_ours;      /**< unicast to another MAC */
	uint64_t eth_vlan;          /**< VLAN-tagged (not supported) */
	uint64_t eth_bad_ethertype; /**< neither IPv4 nor ARP */
	/* ARP */
	uint64_t arp_rx;            /**< ARP packets received */
	uint64_t arp_bad;           /**< malformed ARP */
	uint64_t arp_not_ours;      /**< for another address */
	uint64_t arp_replies;       /**< replies we sent */
	uint64_t arp_requests;      /**< requests we sent */
	uint64_t arp_learned;       /**< cache entries added or refreshed */
	uint64_t arp_pending_drop;  /**< packets dropped waiting for ARP */
	uint64_t arp_unresolved;    /**< resolutions that timed out */
	/* IPv4 */
	uint64_t ip_rx;             /**< IPv4 packets received */
	uint64_t ip_runt;           /**< shorter than an IPv4 header */
	uint64_t ip_bad_version;    /**< version not 4 */
	uint64_t ip_bad_ihl;        /**< header length < 20 or past the packet */
	uint64_t ip_bad_len;        /**< total length inconsistent with the frame */
	uint64_t ip_bad_checksum;   /**< header checksum wrong */
	uint64_t ip_ttl_zero;       /**< TTL 0 on arrival (delivered, RFC 1122 3.2.1.7) */
	uint64_t ip_options;        /**< header with options (skipped) */
	uint64_t ip_not_ours;       /**< for another address */
	uint64_t ip_bad_src;        /**< source not a unicast address of
	                                 another host: broadcast, multicast,
	                                 0, loopback, class E or ours
	                                 (RFC 1122 3.2.1.3) */
	uint64_t ip_frags;          /**< fragments received */
	uint64_t ip_reassembled;    /**< datagrams reassembled */
	uint64_t ip_frag_drop;      /**< fragments dropped: overlap, too many, timeout, table full */
	uint64_t ip_frag_tx;        /**< fragments sent */
	uint64_t ip_bad_proto;      /**< protocol we do not serve */
	uint64_t ip_no_route;       /**< output without a route */
	uint64_t ip_tx;             /**< packets sent */
	uint64_t ip_tx_drop;        /**< packets the port refused */
	uint64_t ip_tx_too_big;     /**< not sent: over 64 KiB, or over the
	                                 MTU with DF (a transport's bug) */
	/* ICMP */
	uint64_t icmp_rx;           /**< ICMP messages received */
	uint64_t icmp_bad;          /**< too short or bad checksum */
	uint64_t icmp_echo_replies; /**< echo replies sent */
	uint64_t icmp_unreach_sent; /**< destination unreachable sent */
	uint64_t icmp_ratelimited;  /**< errors not sent: rate limit */
	uint64_t icmp_other;        /**< other types, ignored */
	uint64_t icmp_errors_rx;    /**< destination unreachable and time
	                                 exceeded received (to the transport
	                                 that sent the datagram) */
	uint64_t icmp_bcast_ignored;/**< echo requests to a broadcast address,
	                                 not answered (no smurf amplifier) */
	/* UDP */
	uint64_t udp_rx;            /**< datagrams received */
	uint64_t udp_bad_len;       /**< length field inconsistent */
	uint64_t udp_bad_checksum;  /**< checksum wrong */
	uint64_t udp_no_port;       /**< no socket bound */
	uint64_t udp_delivered;     /**< handed to a socket */
	uint64_t udp_tx;            /**< datagrams sent */
	uint64_t udp_rxq_full;      /**< dropped: a task socket's queue was full */
	uint64_t udp_filtered;      /**< dropped: not from a connected peer */
	uint64_t udp_icmp_err;      /**< ICMP errors a connected socket reports
	                                 on its next call (hard errors, as
	                                 Linux without IP_RECVERR) */
	uint64_t udp_icmp_ignored;  /**< ICMP errors about UDP not reported:
	                                 no socket, not connected, another
	                                 peer, a soft error, a callback socket */
	/* buffers */
	uint64_t nombuf;            /**< mbuf allocation failures */
	/* software steering */
	uint64_t steer_out;         /**< packets handed to their owner lcore */
	uint64_t steer_in;          /**< packets received from another lcore */
	uint64_t steer_drop;        /**< hand-offs refused: owner's mailbox full */
};

/** The port driver's transmit: takes what it can, returns how many. The
 *  stack frees (and counts) what it did not take. */
typedef uint16_t (*px_netif_tx_cb_t)(void *ctx, struct rte_mbuf **pkts,
		uint16_t n);

struct px_netif;

/**
 * Create an interface.
 *
 * @param conf
 *   Addresses; copied.
 * @param mp
 *   Pool for the packets the stack makes (ARP, ICMP errors).
 * @param tx
 *   Transmit callback, called on the lcore that sends.
 * @param tx_ctx
 *   Its context.
 * @param out
 *   Receives the interface.
 * @return
 *   - 0 on success.
 *   - -EINVAL on a bad address, prefix or NULL argument, or without a
 *     runtime (px_init()).
 *   - -ENOMEM if memory is short.
 */
int px_netif_create(const struct px_inet_conf *conf, struct rte_mempool *mp,
		px_netif_tx_cb_t tx, void *tx_ctx, struct px_netif **out);

/**
 * Say what the interface's transmit path offloads (control path, before
 * traffic): px_port_attach() calls it with what the port configured, so
 * the stack's checksums can never be out of step with the port. An
 * embedder whose own code transmits calls it for that code. Sets
 * tx_cksum, and tx_multi_seg from *multi_seg* and the tx_zc policy.
 *
 * @param cksum
 *   The path computes IPv4, UDP and TCP checksums (given the
 *   RTE_MBUF_F_TX_* flags and the pseudo-header sum in the field).
 * @param multi_seg
 *   The path transmits chained mbufs.
 * @return
 *   0, or -EINVAL if *nif* is NULL.
 */
int px_netif_set_tx_offloads(struct px_netif *nif, bool cksum, bool multi_seg);

/**
 * The interface's settings, defaults and offloads filled in; valid as long
 * as the interface.
 */
const struct px_inet_conf *px_netif_conf(const struct px_netif *nif);

/**
 * Free an interface and its per-lcore state (queued packets are freed).
 * No lcore may be using it.
 */
void px_netif_free(struct px_netif *nif);

/**
 * Process a burst of received frames on the calling lcore. Takes
 * ownership of every mbuf. With several executors, an IPv4 packet of a
 * flow another lcore owns (px_flow_owner()) is handed to that lcore through
 * its mailbox (software steering, for ports without RSS or whose RSS
 * cannot be trusted, such as net_tap); ARP and malformed frames are
 * handled where they arrive, and ARP learning is shared with every lcore.
 */
void px_netif_input(struct px_netif *nif, struct rte_mbuf **pkts, uint16_t n);

/**
 * Send a gratuitous ARP (an ARP request for our own address) so neighbours
 * learn or refresh our MAC.
 *
 * @return
 *   0, -ENOBUFS without an mbuf, -EIO if the port refused it.
 */
int px_netif_announce(struct px_netif *nif);

/** The Toeplitz key of the software flow steering (the common 40-byte
 *  default key); the port layer programs it into NICs that do RSS, so the
 *  hardware and the software pick the same lcore. */
extern const uint8_t px_rss_key[40];

/**
 * The executor index (0..px_exec_count()-1) that owns a flow: the Toeplitz
 * hash of the received packet's (source, destination, source port,
 * destination port), through a 128-entry redirection table spread over the
 * executors, as a NIC's RSS does. Ports are 0 for packets without them.
 * Active opens use it to pick a source port whose replies land on the
 * calling lcore.
 *
 * @param sip, dip, sport, dport
 *   As seen in a received packet, network byte order.
 * @param n
 *   Number of executors sharing the flows.
 * @return
 *   The owner's index, < n (0 when n is 0).
 */
unsigned int px_flow_owner(uint32_t sip, uint32_t dip, uint16_t sport,
		uint16_t dport, unsigned int n);

/**
 * Read one executor's counters.
 *
 * @param nif
 *   The interface.
 * @param lcore_id
 *   The executor's lcore.
 * @param out
 *   Receives the counters.
 * @return
 *   0, or -EINVAL if *lcore_id* has no executor.
 */
int px_netif_stats_lcore(const struct px_netif *nif, unsigned int lcore_id,
		struct px_inet_stats *out);

/**
 * Periodic work of the calling lcore (ARP retries and expiry); the port
 * layer calls it from its flush hook, so applications need not.
 *
 * @param now
 *   TSC time.
 */
void px_netif_tick(struct px_netif *nif, uint64_t now);

/**
 * Add up the counters of every lcore.
 *
 * @param nif
 *   The interface.
 * @param out
 *   Receives the sums.
 */
void px_netif_stats(const struct px_netif *nif, struct px_inet_stats *out);

/**
 * Print the summed counters, one "block.name=value" line each (the format
 * the dts suite parses).
 *
 * @param nif
 *   The interface.
 * @param f
 *   Where to print.
 * @param json
 *   true: JSON members instead, one object per layer
 *   (`"eth": {"rx": 1, ...}, "arp": {...}`), for the caller to wrap in
 *   braces with its own members.
 */
void px_netif_stats_print(const struct px_netif *nif, FILE *f, bool json);

/**
 * The counters' names ("block.name"), in the order of struct
 * px_inet_stats's fields, for px_counters_print() and other renderings.
 *
 * @param n
 *   Receives the count, PX_COUNTERS_N(struct px_inet_stats).
 */
const char *const *px_netif_stats_names(unsigned int *n);

/* ---- UDP ---- */

/** A UDP endpoint; addresses in network byte order. */
struct px_udp_addr {
	uint32_t ip;
	uint16_t port;
};

struct px_udp_sock;

/**
 * Datagram callback: *m* holds the payload only (data_off past the
 * headers, which stay in the headroom); the callback owns it and must free
 * it or send it on (px_udp_send_mbuf() reuses it without a copy).
 */
typedef void (*px_udp_recv_cb_t)(struct px_udp_sock *s, struct rte_mbuf *m,
		const struct px_udp_addr *from, void *arg);

/**
 * Bind a UDP port on the calling lcore with a receive callback (the event
 * API: no task per socket). Each lcore may bind the same port; a datagram
 * goes to the socket of the lcore that receives it.
 *
 * @param nif
 *   The interface.
 * @param port
 *   Local port, network byte order, not 0.
 * @param cb
 *   Receive callback.
 * @param arg
 *   Its argument.
 * @param out
 *   Receives the socket.
 * @return
 *   - 0 on success.
 *   - -EINVAL on a NULL argument, port 0, or off an executor lcore.
 *   - -EADDRINUSE if this lcore already has that port bound.
 *   - -ENOMEM if memory is short.
 */
int px_udp_bind_cb(struct px_netif *nif, uint16_t port, px_udp_recv_cb_t cb,
		void *arg, struct px_udp_sock **out);

/**
 * Close a socket bound on the calling lcore (callback or task socket; no
 * task may be waiting on it). Queued datagrams are freed.
 *
 * @return
 *   0, or -EINVAL if *s* is NULL or belongs to another lcore.
 */
int px_udp_close(struct px_udp_sock *s);

/**
 * Send the payload in *m* (zero copy: the headers go into its headroom)
 * to *to*. Takes ownership of *m* whatever the outcome.
 *
 * @return
 *   - 0 when handed to the port (or queued behind an ARP resolution).
 *   - -EMSGSIZE if the datagram needs more than RTE_LIBRTE_IP_FRAG_MAX_FRAG
 *     fragments (larger ones are fragmented to the MTU).
 *   - -ENOBUFS if *m* lacks headroom for the headers.
 *   - -EHOSTUNREACH without a route to *to*.
 *   - -EIO if the port refused it.
 */
int px_udp_send_mbuf(struct px_udp_sock *s, struct rte_mbuf *m,
		const struct px_udp_addr *to);

/**
 * Send a received datagram straight back to its sender (a reflector's
 * fast path): *m* is the payload mbuf a receive callback or
 * px_udp_recv_mbuf() gave, with its payload and the headers in its
 * headroom untouched. The reply reuses the datagram's UDP checksum
 * (swapping addresses and ports leaves a ones' complement sum unchanged),
 * so no byte of the payload is read. Takes ownership of *m*.
 *
 * @return
 *   - 0 when handed to the port (or queued behind ARP).
 *   - -EINVAL if the headers in the headroom are not this datagram's
 *     (they were overwritten, or *m* was not received on *s*): *m* is
 *     sent with px_udp_send_mbuf() instead.
 *   - the errors of px_udp_send_mbuf().
 */
int px_udp_echo_mbuf(struct px_udp_sock *s, struct rte_mbuf *m,
		const struct px_udp_addr *from);

/* ---- UDP, task API ---- */

/**
 * Open a UDP socket for tasks on the calling lcore: datagrams are queued
 * (at most *rxq_len*; more are dropped and counted) until a task reads
 * them with px_udp_recvfrom() or px_udp_recv_mbuf(). Close with
 * px_udp_close().
 *
 * @param nif
 *   The interface.
 * @param port
 *   Local port, network byte order; 0 picks a free ephemeral port
 *   (49152-65535).
 * @param rxq_len
 *   Receive queue length, a power of two; 0 = 256.
 * @param out
 *   Receives the socket.
 * @return
 *   - 0 on success.
 *   - -EINVAL on a bad argument or off an executor lcore.
 *   - -EADDRINUSE if the port is taken on this lcore (or none is free).
 *   - -ENOMEM if memory is short.
 */
int px_udp_open(struct px_netif *nif, uint16_t port, uint32_t rxq_len,
		struct px_udp_sock **out);

/**
 * The socket's local port (network byte order).
 */
uint16_t px_udp_port(const struct px_udp_sock *s);

/**
 * Set the default destination for px_udp_send() and keep only datagrams
 * from it. A connected task socket also learns of ICMP errors about its
 * datagrams to that peer, as a connected Linux socket does: a hard one
 * (port or protocol unreachable, administratively prohibited) is
 * returned, once, by the next px_udp_recvfrom(), px_udp_recv_mbuf(),
 * px_udp_sendto() or px_udp_send() (-ECONNREFUSED for a port
 * unreachable), and wakes a waiting reader; soft ones (net or host
 * unreachable, time exceeded) are counted only (udp.icmp_ignored).
 *
 * @return
 *   0, or -EINVAL.
 */
int px_udp_connect(struct px_udp_sock *s, const struct px_udp_addr *peer);

/**
 * Receive one datagram, copying its payload (a longer one is truncated to
 * *len*, like recvfrom() without MSG_TRUNC). Parks the task while the
 * queue is empty.
 *
 * @param s
 *   A socket from px_udp_open().
 * @param buf
 *   Where to copy.
 * @param len
 *   Room in *buf*.
 * @param from
 *   Receives the sender, or NULL.
 * @param timeout_ns
 *   How long to wait (PX_TIMEOUT_INF, or 0 to poll).
 * @return
 *   - the number of bytes copied (>= 0).
 *   - -EAGAIN (timeout 0) or -ETIMEDOUT when nothing came.
 *   - -ECANCELED if the task was cancelled.
 *   - -EINVAL on a callback socket or from another lcore; -EDEADLK
 *     outside a task when it would wait.
 *   - an ICMP error a connected socket received (-ECONNREFUSED, ...:
 *     see px_udp_connect()), before any queued datagram.
 */
ssize_t px_udp_recvfrom(struct px_udp_sock *s, void *buf, size_t len,
		struct px_udp_addr *from, uint64_t timeout_ns);

/**
 * Receive one datagram without copying: *m* holds the payload (the caller
 * owns it). Waits as px_udp_recvfrom().
 *
 * @return
 *   0, or the errors of px_udp_recvfrom().
 */
int px_udp_recv_mbuf(struct px_udp_sock *s, struct rte_mbuf **m,
		struct px_udp_addr *from, uint64_t timeout_ns);

/**
 * Send *len* bytes (copied into mbufs from the interface's pool).
 *
 * @return
 *   - *len* on success.
 *   - -ENOBUFS without mbufs; the errors of px_udp_send_mbuf().
 *   - a pending ICMP error (px_udp_connect()); nothing is sent then.
 */
ssize_t px_udp_sendto(struct px_udp_sock *s, const void *buf, size_t len,
		const struct px_udp_addr *to);

/**
 * Send to the connected peer (see px_udp_connect()).
 *
 * @return
 *   As px_udp_sendto(); -ENOTCONN if not connected.
 */
ssize_t px_udp_send(struct px_udp_sock *s, const void *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* _PX_INET_H_ */
