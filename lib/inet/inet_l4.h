/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#ifndef _INET_L4_H_
#define _INET_L4_H_

/**
 * @file
 * The inet layer's face to the transport protocols above it, and all a
 * protocol library (lib/tcp) may use of it: it includes this header,
 * never inet_private.h, and inet names no protocol above it.
 *
 * A protocol registers, per interface, the IP protocol number it takes,
 * its input and burst-end hooks and its context: one for the interface
 * and one per lcore (an lcore's is handed to its hooks, so the fast path
 * looks nothing up). It reads the interface through the accessors below
 * and sends through px__inet_output(). This is the protocol tier of the
 * library, as DPDK's driver headers are ethdev's (not installed: the
 * protocols are built in this tree).
 *
 * The px__ names are internal but cross a library boundary, so they stay
 * visible in the archives (buildtools/localize.sh keeps px_* global and
 * makes everything else local).
 */

#include <errno.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <px_inet.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Protocols one interface can carry besides UDP and ICMP. */
#define PX__INET_L4_MAX 4

/**
 * The part of an interface's state on one lcore that protocols read; the
 * head of inet's own per-lcore block.
 */
struct px__inet_l4_lcore {
	/** TSC at the last input burst or tick: reading the TSC costs
	 *  ~10 ns here, too much per packet. */
	uint64_t now;
};

/**
 * A protocol's hooks. Both run on the lcore whose *lctx* they get, inside
 * px_netif_input() (or the mailbox handler of a steered packet).
 */
struct px__inet_l4_ops {
	const char *name;  /**< for logs */
	uint8_t proto;     /**< IP protocol number, not UDP or ICMP */
	/** The header starts with 16-bit source and destination ports:
	 *  software steering hashes the 4-tuple (else the addresses). */
	uint8_t ports;
	/** A datagram for the protocol: m's data starts at its header, ip
	 *  is the IPv4 header it came in (reassembled if it was
	 *  fragmented). Takes m. */
	void (*input)(struct px_netif *nif, void *lctx, struct rte_mbuf *m,
			const struct rte_ipv4_hdr *ip);
	/** After each burst of input on the lcore (batched ACKs, callbacks);
	 *  may be NULL. */
	void (*burst_end)(struct px_netif *nif, void *lctx);
	/** An ICMP error (RFC 792; RFC 1122 4.2.3.9) about a datagram we
	 *  sent: *quoted* is its IPv4 header, whose source is ours, followed
	 *  by at least 8 bytes of its payload (the ports and, for TCP, the
	 *  sequence number); *type* and *code* are the ICMP message's, *info*
	 *  the second word of its header in host order (for fragmentation
	 *  needed, RFC 1191, the next-hop MTU is its low 16 bits). On the
	 *  lcore that owns the flow, for a protocol with ports. May be
	 *  NULL. */
	void (*err)(struct px_netif *nif, void *lctx,
			const struct rte_ipv4_hdr *quoted, uint8_t type,
			uint8_t code, uint32_t info);
};

/**
 * Register a protocol on an interface (control path, no lcore in the
 * stack). *ops* must outlive the registration.
 *
 * @param ctx
 *   The protocol's interface-wide state (px__inet_l4_ctx()).
 * @param lctx
 *   Its state on each lcore, px__inet_nb_lcores() entries, by executor
 *   index (handed to the hooks, px__inet_l4_lctx()).
 * @return
 *   - 0 on success.
 *   - -EINVAL on a NULL argument, no input hook, or UDP/ICMP.
 *   - -EEXIST if the protocol number is taken.
 *   - -ENOSPC past PX__INET_L4_MAX protocols.
 */
int px__inet_l4_register(struct px_netif *nif, const struct px__inet_l4_ops *ops,
		void *ctx, void *const *lctx);

/**
 * Remove a protocol (control path): its hooks are not called after this
 * returns, and its contexts are the caller's again.
 */
void px__inet_l4_unregister(struct px_netif *nif, uint8_t proto);

/** The interface-wide context of *proto*, or NULL if not registered. */
void *px__inet_l4_ctx(const struct px_netif *nif, uint8_t proto);

/**
 * The calling lcore's context of *proto*, or NULL if not registered or
 * off the interface's lcores.
 */
void *px__inet_l4_lctx(const struct px_netif *nif, uint8_t proto);

/**
 * The interface's state on the executor of *index* (< px__inet_nb_lcores()),
 * for px__inet_output() and the clock; stable for the interface's life.
 */
struct px__inet_l4_lcore *px__inet_l4_lcore(const struct px_netif *nif,
		unsigned int index);

/** The pool the interface allocates from (the port's). */
struct rte_mempool *px__inet_mempool(const struct px_netif *nif);

/** Executors the interface has state on (all of the runtime's). */
unsigned int px__inet_nb_lcores(const struct px_netif *nif);

/**
 * The interface a telemetry request names (*params* "" or "N"), or NULL;
 * call with px_tel_lock() held.
 */
struct px_netif *px__inet_tel_netif(const char *params);

/**
 * Send a datagram on the lcore *lc* belongs to (px__inet_l4_lcore()):
 * prepend IPv4 and Ethernet, fill the L4 checksum (or leave it to the
 * port's offload), route, resolve, fragment past the MTU. m's data starts
 * at the L4 header, with headroom for both headers. Takes m.
 *
 * @param proto
 *   IP protocol number of the header.
 * @param ckoff
 *   Offset of the 16-bit checksum in the L4 header, filled here with the
 *   pseudo header included; 0 if the caller filled it (or there is none).
 * @param ol
 *   RTE_MBUF_F_TX_*_CKSUM asking the port for that checksum when it
 *   offloads (px_inet_conf.tx_cksum).
 * @param flags
 *   PX__INET_OUT_DF: set Don't Fragment (RFC 1191: TCP's path MTU
 *   discovery) and never fragment; a datagram larger than the MTU is
 *   refused. Without it DF is clear, and what is larger than the MTU is
 *   fragmented. PX__INET_OUT_ECT0: the ECN field says ECT(0) (RFC 3168:
 *   the sender takes congestion marks).
 * @return
 *   - 0 if sent or queued behind ARP.
 *   - -EMSGSIZE past 64 KiB, or past the MTU with *df*; -EHOSTUNREACH
 *     without a route, -ENOBUFS without headroom or mbufs (m is freed
 *     in every case).
 */
#define PX__INET_OUT_DF   1u
#define PX__INET_OUT_ECT0 2u
int px__inet_output(struct px_netif *nif, struct px__inet_l4_lcore *lc,
		struct rte_mbuf *m, uint32_t dst, uint8_t proto, uint32_t ckoff,
		uint64_t ol, unsigned int flags);

/**
 * The errno a socket reports for an ICMP error, as Linux converts them
 * (its icmp_err_convert[], from the RFC 1122 3.2.2.1 codes): destination
 * unreachable (type 3) by code, time exceeded (type 11) as
 * EHOSTUNREACH. *hard* receives whether the error is a hard one (the
 * destination says no: port or protocol unreachable, administratively
 * prohibited, unknown) rather than a soft one a later retry may not
 * meet (net or host unreachable, fragmentation needed, time exceeded).
 * Returns 0 for a type or code that carries no error.
 */
static inline int
px__icmp_errno(uint8_t type, uint8_t code, int *hard)
{
	static const struct {
		uint8_t err;
		uint8_t hard;
	} unreach[16] = {
		{ ENETUNREACH, 0 }, { EHOSTUNREACH, 0 }, { ENOPROTOOPT, 1 },
		{ ECONNREFUSED, 1 }, { EMSGSIZE, 0 }, { EOPNOTSUPP, 0 },
		{ ENETUNREACH, 1 }, { EHOSTDOWN, 1 }, { ENONET, 1 },
		{ ENETUNREACH, 1 }, { EHOSTUNREACH, 1 }, { ENETUNREACH, 0 },
		{ EHOSTUNREACH, 0 }, { EHOSTUNREACH, 1 }, { EHOSTUNREACH, 1 },
		{ EHOSTUNREACH, 1 },
	};

	*hard = 0;
	if (type == 11)
		return EHOSTUNREACH;
	if (type != 3 || code > 15)
		return 0;
	*hard = unreach[code].hard;
	return unreach[code].err;
}

/* ---- checksums (RFC 1071), for protocols that verify their own ---- */

/**
 * The raw Internet checksum sum of *len* bytes at *buf*: 16-bit words as
 * they lie in memory, an odd last byte padded with zero, folded to 16
 * bits (exactly what rte_raw_cksum() returns, several times faster over
 * a payload: 64-bit sums, AVX2 where the CPU has it; cksum.c).
 */
uint16_t px__inet_cksum(const void *buf, uint32_t len);

/**
 * px__inet_cksum() over *len* bytes of chain *m* from offset *off* into
 * *raw* (as rte_raw_cksum_mbuf()). Returns 0, or -EINVAL if the chain
 * holds fewer bytes.
 */
int px__inet_cksum_mbuf(const struct rte_mbuf *m, uint32_t off, uint32_t len,
		uint16_t *raw);

/**
 * px__inet_cksum() for a flat range, with short ones (headers, small
 * messages: under 128 bytes) summed inline by DPDK's rte_raw_cksum()
 * (right for a flat buffer), which is cheaper there than a call.
 */
static inline uint16_t
px__inet_cksum_flat(const void *buf, uint32_t len)
{
	return len < 128 ? rte_raw_cksum(buf, len) : px__inet_cksum(buf, len);
}

/**
 * Tests: use the vector sum if *on* is 1 (and the CPU has it), the
 * portable one if 0, and say which was in use (1: vector).
 */
int px__inet_cksum_simd(int on);

/** Fold a 32-bit ones' complement accumulator to 16 bits. */
static inline uint16_t
inet_cksum_fold(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/**
 * The pseudo-header sum (RFC 768, RFC 9293 3.1) of a segment of *l4len*
 * bytes, from the header's fields (no on-stack pseudo header to read
 * back), in host order.
 */
static inline uint32_t
inet_phdr_sum(const struct rte_ipv4_hdr *ip, uint32_t l4len)
{
	uint32_t src = rte_be_to_cpu_32(ip->src_addr);
	uint32_t dst = rte_be_to_cpu_32(ip->dst_addr);

	return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) +
		ip->next_proto_id + l4len;
}

/**
 * Is the checksum of m (data at the L4 header, *len* bytes, pseudo
 * header included) right? *ip* is the IPv4 header it came in.
 */
static inline int
inet_l4_cksum_ok(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip,
		uint32_t len)
{
	uint16_t raw = 0;

	if (likely(m->nb_segs == 1))
		raw = px__inet_cksum_flat(rte_pktmbuf_mtod(m, const void *), len);
	else if (px__inet_cksum_mbuf(m, 0, len, &raw) < 0)
		return 0;
	/* px__inet_cksum() sums words as read from memory; inet_phdr_sum()
	 * sums the fields' values: one byte swap puts both in the same
	 * order (RFC 1071 2(B): the sum is byte-order independent). */
	return inet_cksum_fold((uint32_t)raw +
			rte_cpu_to_be_16(inet_cksum_fold(inet_phdr_sum(ip, len)))) ==
		0xffff;
}

/**
 * Is the L4 checksum of m (data at the L4 header, *len* bytes) to be
 * trusted? What the port said decides first: GOOD, and NONE ("the
 * checksum in the packet is not correct, but the L4 data integrity is
 * verified": a virtio peer's partial checksum), are good, BAD is bad;
 * UNKNOWN (or no offload) is checked in software.
 */
static inline int
inet_l4_cksum_verified(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip,
		uint32_t len)
{
	uint64_t ck = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;

	if (likely(ck == RTE_MBUF_F_RX_L4_CKSUM_GOOD || ck == RTE_MBUF_F_RX_L4_CKSUM_NONE))
		return 1;
	if (ck == RTE_MBUF_F_RX_L4_CKSUM_BAD)
		return 0;
	return inet_l4_cksum_ok(m, ip, len);
}

#ifdef __cplusplus
}
#endif
#endif /* _INET_L4_H_ */
