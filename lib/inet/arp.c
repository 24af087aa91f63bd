/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * ARP (RFC 826) with a per-lcore cache: open addressing on the IPv4
 * address, a bounded queue of packets per unresolved address, retries and
 * expiry driven by px_netif_tick(). An entry that is used after 3/4 of its
 * lifetime is refreshed with a new request while it stays usable.
 */

#include <errno.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_hash_crc.h>
#include <rte_mbuf.h>

#include "inet_private.h"

static uint32_t
slot_of(uint32_t ip)
{
	return rte_hash_crc_4byte(ip, 0) % ARP_SLOTS;
}

static struct arp_entry *
arp_find(struct inet_lcore *lc, uint32_t ip)
{
	uint32_t i, s = slot_of(ip);

	for (i = 0; i < ARP_SLOTS; i++) {
		struct arp_entry *e = &lc->arp[(s + i) % ARP_SLOTS];

		if (e->ip == ip)
			return e;
		if (e->state == ARP_FREE && e->ip == 0)
			return NULL;
	}
	return NULL;
}

static void
entry_drop_pending(struct inet_lcore *lc, struct arp_entry *e)
{
	if (e->npending == 0)
		return;
	lc->st.arp_pending_drop += e->npending;
	rte_pktmbuf_free_bulk(e->pending, e->npending);
	e->npending = 0;
}

/* Take a slot for ip (the table is small: when full, reuse the slot of
 * the home position, dropping what it held). */
static struct arp_entry *
arp_alloc(struct inet_lcore *lc, uint32_t ip)
{
	uint32_t i, s = slot_of(ip);
	struct arp_entry *e;

	for (i = 0; i < ARP_SLOTS; i++) {
		e = &lc->arp[(s + i) % ARP_SLOTS];
		if (e->ip == 0 || e->state == ARP_FREE) {
			memset(e, 0, offsetof(struct arp_entry, pending));
			e->ip = ip;
			lc->arp_used++;
			return e;
		}
	}
	e = &lc->arp[s];
	entry_drop_pending(lc, e);
	memset(e, 0, offsetof(struct arp_entry, pending));
	e->ip = ip;
	return e;
}

static struct rte_mbuf *
arp_build(struct px_netif *nif, struct inet_lcore *lc, uint16_t op,
		const struct rte_ether_addr *eth_dst, const struct rte_ether_addr *tha,
		uint32_t tip)
{
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *arp;
	struct rte_mbuf *m;

	m = rte_pktmbuf_alloc(nif->mp);
	if (m == NULL) {
		lc->st.nombuf++;
		return NULL;
	}
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) + sizeof(*arp));
	if (eth == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	arp = (struct rte_arp_hdr *)(eth + 1);
	rte_ether_addr_copy(eth_dst, &eth->dst_addr);
	rte_ether_addr_copy(&nif->conf.mac, &eth->src_addr);
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(op);
	rte_ether_addr_copy(&nif->conf.mac, &arp->arp_data.arp_sha);
	arp->arp_data.arp_sip = nif->conf.ip;
	rte_ether_addr_copy(tha, &arp->arp_data.arp_tha);
	arp->arp_data.arp_tip = tip;
	return m;
}

static void
arp_request(struct px_netif *nif, struct inet_lcore *lc, uint32_t tip)
{
	static const struct rte_ether_addr bcast = {
		.addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	static const struct rte_ether_addr zero = { .addr_bytes = { 0 } };
	struct rte_mbuf *m = arp_build(nif, lc, RTE_ARP_OP_REQUEST, &bcast, &zero, tip);

	if (m == NULL)
		return;
	lc->st.arp_requests++;
	inet_xmit(nif, lc, &m, 1);
}

int
px_netif_announce(struct px_netif *nif)
{
	static const struct rte_ether_addr bcast = {
		.addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	struct inet_lcore *lc = inet_lcore(nif);
	struct rte_mbuf *m;
	uint64_t drops;

	if (lc == NULL)
		return -EINVAL;
	/* Gratuitous ARP: a request for our own address (RFC 5227 2.3). */
	m = arp_build(nif, lc, RTE_ARP_OP_REQUEST, &bcast, &bcast, nif->conf.ip);
	if (m == NULL)
		return -ENOBUFS;
	lc->st.arp_requests++;
	drops = lc->st.ip_tx_drop;
	inet_xmit(nif, lc, &m, 1);
	return lc->st.ip_tx_drop == drops ? 0 : -EIO;
}

/* Send what waited for this entry. */
static void
entry_flush(struct px_netif *nif, struct inet_lcore *lc, struct arp_entry *e)
{
	struct rte_ether_hdr *eth;
	uint16_t i;

	for (i = 0; i < e->npending; i++) {
		eth = rte_pktmbuf_mtod(e->pending[i], struct rte_ether_hdr *);
		rte_ether_addr_copy(&e->mac, &eth->dst_addr);
	}
	if (e->npending > 0)
		inet_xmit(nif, lc, e->pending, e->npending);
	e->npending = 0;
}

/* Tell the other lcores about a new or changed neighbour (each lcore has
 * its own cache, and replies to a request one lcore sent may arrive on
 * another). */
static void
arp_share(struct px_netif *nif, uint32_t ip, const struct rte_ether_addr *mac)
{
	struct inet_lcore *self = inet_lcore(nif);
	uint64_t packed = 0;
	uint32_t i;

	memcpy(&packed, mac, RTE_ETHER_ADDR_LEN);
	for (i = 0; i < nif->n_lcores; i++) {
		if (nif->lc[i] == self)
			continue;
		if (px_msg_send((unsigned int)px_exec_lcore(i), INET_MSG_ARP, 0,
				(uint64_t)(uintptr_t)nif, ip, packed) != 0)
			self->st.steer_drop++;
	}
}

void
arp_msg(const struct px_msg *m, void *ctx)
{
	struct px_netif *nif = (struct px_netif *)(uintptr_t)m->a;
	struct inet_lcore *lc = inet_lcore(nif);
	struct rte_ether_addr mac;

	RTE_SET_USED(ctx);
	if (lc == NULL)
		return;
	memcpy(&mac, &m->c, RTE_ETHER_ADDR_LEN);
	arp_learn(nif, lc, (uint32_t)m->b, &mac, 1, 0);
}

void
arp_learn(struct px_netif *nif, struct inet_lcore *lc, uint32_t ip,
		const struct rte_ether_addr *mac, int create, int share)
{
	struct arp_entry *e = arp_find(lc, ip);
	int changed;

	if (e == NULL || e->state == ARP_FREE) {
		if (e == NULL && !create)
			return;
		if (e == NULL)
			e = arp_alloc(lc, ip);
		changed = 1;
	} else {
		changed = e->state != ARP_REACHABLE ||
			!rte_is_same_ether_addr(&e->mac, mac);
	}
	rte_ether_addr_copy(mac, &e->mac);
	e->state = ARP_REACHABLE;
	e->tries = 0;
	e->expire = rte_rdtsc() + nif->arp_timeout;
	lc->st.arp_learned++;
	entry_flush(nif, lc, e);
	if (share && changed && nif->n_lcores > 1)
		arp_share(nif, ip, mac);
}

void
arp_input(struct px_netif *nif, struct inet_lcore *lc, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *arp;
	uint32_t sip, tip;
	int for_us;

	lc->st.arp_rx++;
	if (rte_pktmbuf_data_len(m) < sizeof(*eth) + sizeof(*arp)) {
		lc->st.arp_bad++;
		goto drop;
	}
	arp = (struct rte_arp_hdr *)(eth + 1);
	if (arp->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
			arp->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
			arp->arp_hlen != RTE_ETHER_ADDR_LEN || arp->arp_plen != 4 ||
			!rte_is_unicast_ether_addr(&arp->arp_data.arp_sha)) {
		lc->st.arp_bad++;
		goto drop;
	}
	sip = arp->arp_data.arp_sip;
	tip = arp->arp_data.arp_tip;
	for_us = tip == nif->conf.ip;
	/* RFC 826 "packet reception": merge the sender if we know it, add it
	 * if the packet is for us. Only neighbours in our subnet. */
	if (sip != 0 && (sip & nif->mask) == (nif->conf.ip & nif->mask) &&
			sip != nif->conf.ip)
		arp_learn(nif, lc, sip, &arp->arp_data.arp_sha, for_us, 1);
	if (!for_us) {
		lc->st.arp_not_ours++;
		goto drop;
	}
	if (arp->arp_opcode != RTE_BE16(RTE_ARP_OP_REQUEST))
		goto drop; /* a reply to us: learned above */
	/* Answer in place: swap into a reply. */
	arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	rte_ether_addr_copy(&arp->arp_data.arp_sha, &arp->arp_data.arp_tha);
	arp->arp_data.arp_tip = sip;
	rte_ether_addr_copy(&nif->conf.mac, &arp->arp_data.arp_sha);
	arp->arp_data.arp_sip = nif->conf.ip;
	rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(&nif->conf.mac, &eth->src_addr);
	/* Trim any Ethernet padding the request carried. */
	rte_pktmbuf_trim(m, rte_pktmbuf_pkt_len(m) - sizeof(*eth) - sizeof(*arp));
	lc->st.arp_replies++;
	inet_xmit(nif, lc, &m, 1);
	return;
drop:
	rte_pktmbuf_free(m);
}

/* Begin resolving nexthop: an INCOMPLETE entry and a first request. */
static struct arp_entry *
arp_start(struct px_netif *nif, struct inet_lcore *lc, struct arp_entry *e,
		uint32_t nexthop, uint64_t now)
{
	if (e == NULL)
		e = arp_alloc(lc, nexthop);
	e->state = ARP_INCOMPLETE;
	e->tries = 1;
	e->expire = now + nif->arp_retry;
	arp_request(nif, lc, nexthop);
	return e;
}

int
arp_room(struct px_netif *nif, struct inet_lcore *lc, uint32_t nexthop,
		unsigned int n)
{
	struct arp_entry *e;

	if (nexthop == nif->bcast || nexthop == RTE_BE32(0xffffffff))
		return 1;
	e = arp_find(lc, nexthop);
	if (e != NULL && e->state == ARP_REACHABLE)
		return 1;
	if (e == NULL || e->state == ARP_FREE)
		e = arp_start(nif, lc, e, nexthop, rte_rdtsc());
	return e->npending + n <= ARP_PENDING;
}

int
arp_output(struct px_netif *nif, struct inet_lcore *lc, struct rte_mbuf *m,
		uint32_t nexthop)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct arp_entry *e;
	uint64_t now;

	rte_ether_addr_copy(&nif->conf.mac, &eth->src_addr);
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	if (nexthop == nif->bcast || nexthop == RTE_BE32(0xffffffff)) {
		memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr));
		inet_xmit(nif, lc, &m, 1);
		return 0;
	}
	e = arp_find(lc, nexthop);
	/* At most one loop iteration old: fine for refresh decisions. */
	now = lc->l4.now != 0 ? lc->l4.now : rte_rdtsc();
	if (likely(e != NULL && e->state == ARP_REACHABLE)) {
		rte_ether_addr_copy(&e->mac, &eth->dst_addr);
		/* Refresh ahead of expiry while the entry is in use. */
		if (unlikely(now + nif->arp_timeout / 4 > e->expire) && e->tries == 0) {
			e->tries = 1;
			arp_request(nif, lc, nexthop);
		}
		inet_xmit(nif, lc, &m, 1);
		return 0;
	}
	if (e == NULL || e->state == ARP_FREE)
		e = arp_start(nif, lc, e, nexthop, now);
	if (e->npending == ARP_PENDING) {
		/* Bounded: the oldest waits longest, drop the newest. */
		lc->st.arp_pending_drop++;
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	e->pending[e->npending++] = m;
	return 0;
}

void
arp_tick(struct px_netif *nif, struct inet_lcore *lc, uint64_t now)
{
	struct arp_entry *e;
	uint32_t i;

	if (lc->arp_used == 0)
		return;
	for (i = 0; i < ARP_SLOTS; i++) {
		e = &lc->arp[i];
		if (e->state == ARP_FREE || now < e->expire)
			continue;
		if (e->state == ARP_INCOMPLETE && e->tries < ARP_TRIES) {
			e->tries++;
			e->expire = now + nif->arp_retry;
			arp_request(nif, lc, e->ip);
			continue;
		}
		if (e->state == ARP_INCOMPLETE)
			lc->st.arp_unresolved++;
		entry_drop_pending(lc, e);
		/* Keep ip set to a tombstone value so probing continues past
		 * this slot; FREE with ip != 0 marks a reusable hole. */
		e->state = ARP_FREE;
	}
}

void
arp_flush_all(struct inet_lcore *lc)
{
	uint32_t i;

	for (i = 0; i < ARP_SLOTS; i++)
		entry_drop_pending(lc, &lc->arp[i]);
}
