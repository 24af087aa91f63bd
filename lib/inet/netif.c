/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/* rte_ip_frag_table_del_expired_entries() is experimental in 22.11. */
#define ALLOW_EXPERIMENTAL_API

#include <errno.h>
#include <netinet/in.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_random.h>
#include <rte_thash.h>

#include <px_counters.h>
#include <px_exec.h>
#include <px_log.h>
#include <px_tel.h>

#include "inet_private.h"

PX_LOG_REGISTER(inet);

static void rx_msg(const struct px_msg *msg, void *ctx);
static void rx_l3_msg(const struct px_msg *msg, void *ctx);

struct inet_lcore *
inet_lcore(const struct px_netif *nif)
{
	int idx = px_exec_index_self();

	return idx >= 0 && (uint32_t)idx < nif->n_lcores ? nif->lc[idx] : NULL;
}

/* ---- the protocols above (inet_l4.h) ---- */

int
px__inet_l4_register(struct px_netif *nif, const struct px__inet_l4_ops *ops,
		void *ctx, void *const *lctx)
{
	uint32_t i, s;

	if (nif == NULL || ops == NULL || ops->input == NULL || lctx == NULL ||
			ops->proto == IPPROTO_UDP || ops->proto == IPPROTO_ICMP)
		return -EINVAL;
	if (nif->l4_slot[ops->proto] != 0)
		return -EEXIST;
	for (s = 0; s < PX__INET_L4_MAX && nif->l4[s].ops != NULL; s++)
		;
	if (s == PX__INET_L4_MAX)
		return -ENOSPC;
	for (i = 0; i < nif->n_lcores; i++)
		nif->lc[i]->l4_lctx[s] = lctx[i];
	nif->l4[s].ctx = ctx;
	nif->l4[s].ops = ops;
	nif->l4_ports[ops->proto] = ops->ports;
	nif->l4_slot[ops->proto] = (uint8_t)(s + 1);
	return 0;
}

void
px__inet_l4_unregister(struct px_netif *nif, uint8_t proto)
{
	uint32_t i, s;

	if (nif == NULL || nif->l4_slot[proto] == 0)
		return;
	s = nif->l4_slot[proto] - 1u;
	nif->l4_slot[proto] = 0;
	nif->l4_ports[proto] = 0;
	nif->l4[s].ops = NULL;
	nif->l4[s].ctx = NULL;
	for (i = 0; i < nif->n_lcores; i++)
		nif->lc[i]->l4_lctx[s] = NULL;
}

void *
px__inet_l4_ctx(const struct px_netif *nif, uint8_t proto)
{
	uint32_t s = nif != NULL ? nif->l4_slot[proto] : 0;

	return s != 0 ? nif->l4[s - 1].ctx : NULL;
}

void *
px__inet_l4_lctx(const struct px_netif *nif, uint8_t proto)
{
	uint32_t s = nif != NULL ? nif->l4_slot[proto] : 0;
	struct inet_lcore *lc;

	if (s == 0 || (lc = inet_lcore(nif)) == NULL)
		return NULL;
	return lc->l4_lctx[s - 1];
}

struct px__inet_l4_lcore *
px__inet_l4_lcore(const struct px_netif *nif, unsigned int index)
{
	return index < nif->n_lcores ? &nif->lc[index]->l4 : NULL;
}

const struct px_inet_conf *
px_netif_conf(const struct px_netif *nif)
{
	return &nif->conf;
}

int
px_netif_set_tx_offloads(struct px_netif *nif, bool cksum, bool multi_seg)
{
	if (nif == NULL)
		return -EINVAL;
	nif->conf.tx_cksum = cksum;
	nif->conf.tx_multi_seg = nif->conf.tx_zc == PX_INET_TX_ZC_ON ? multi_seg :
		nif->conf.tx_zc == PX_INET_TX_ZC_OFF ? 0 : (multi_seg && cksum);
	return 0;
}

struct rte_mempool *
px__inet_mempool(const struct px_netif *nif)
{
	return nif->mp;
}

unsigned int
px__inet_nb_lcores(const struct px_netif *nif)
{
	return nif->n_lcores;
}

void
inet_l4_burst_end(struct px_netif *nif, struct inet_lcore *lc)
{
	uint32_t s;

	for (s = 0; s < PX__INET_L4_MAX; s++)
		if (nif->l4[s].ops != NULL && nif->l4[s].ops->burst_end != NULL)
			nif->l4[s].ops->burst_end(nif, lc->l4_lctx[s]);
}

/* ---- telemetry: /pollux/inet ---- */

/* Interfaces telemetry can see. */
static struct px_tel_objs tel_nifs;

struct px_netif *
px__inet_tel_netif(const char *params)
{
	return px_tel_obj_get(&tel_nifs, params);
}

static int tel_inet(const char *cmd, const char *params, struct rte_tel_data *d);

static void
tel_add(struct px_netif *nif)
{
	px_tel_register("/pollux/inet", tel_inet,
		"Ethernet, ARP, IPv4, ICMP and UDP counters of an interface. "
		"Parameter: interface index (default 0).");
	px_tel_obj_add(&tel_nifs, nif);
}

int
px_netif_create(const struct px_inet_conf *conf, struct rte_mempool *mp,
		px_netif_tx_cb_t tx, void *tx_ctx, struct px_netif **out)
{
	struct px_netif *nif;
	uint32_t i, p, n = px_exec_count();
	uint64_t ms = rte_get_tsc_hz() / 1000;

	if (conf == NULL || mp == NULL || tx == NULL || out == NULL || n == 0 ||
			conf->tx_zc > PX_INET_TX_ZC_OFF ||
			conf->prefix == 0 || conf->prefix > 32 || conf->ip == 0 ||
			rte_is_zero_ether_addr(&conf->mac) ||
			!rte_is_unicast_ether_addr(&conf->mac))
		return -EINVAL;
	nif = rte_zmalloc("px_netif", sizeof(*nif), RTE_CACHE_LINE_SIZE);
	if (nif == NULL)
		return -ENOMEM;
	nif->conf = *conf;
	if (nif->conf.mtu == 0)
		nif->conf.mtu = RTE_ETHER_MTU;
	if (nif->conf.arp_timeout_ms == 0)
		nif->conf.arp_timeout_ms = 60000;
	if (nif->conf.icmp_rate == 0)
		nif->conf.icmp_rate = 100;
	if (nif->conf.frag_timeout_ms == 0)
		nif->conf.frag_timeout_ms = 2000;
	if (nif->conf.frag_max == 0)
		/* TCP review A.3: incomplete datagrams (an attacker's
		 * tiny fragments) may hold at most 1/8 of the pool, over
		 * all lcores, however they arrive: RX refill and TCP's
		 * reserve keep the rest. */
		nif->conf.frag_max = RTE_MIN(1024u, RTE_MAX(1u, mp->size /
				(8u * RTE_LIBRTE_IP_FRAG_MAX_FRAG * n)));
	nif->mask = rte_cpu_to_be_32(conf->prefix == 32 ? UINT32_MAX :
			~(UINT32_MAX >> conf->prefix));
	/* RFC 3021: a /31 (and a /32) has no directed broadcast. */
	nif->bcast = conf->prefix >= 31 ? RTE_BE32(0xffffffff) :
		(conf->ip & nif->mask) | ~nif->mask;
	nif->mp = mp;
	nif->tx = tx;
	nif->tx_ctx = tx_ctx;
	nif->arp_timeout = ms * nif->conf.arp_timeout_ms;
	nif->arp_retry = ms * ARP_RETRY_MS;
	nif->n_lcores = n;
	nif->l4_ports[IPPROTO_UDP] = 1;
	/* Control path, idempotent: the stack's mailbox handlers. */
	if (px_msg_register(INET_MSG_RX, rx_msg, NULL) != 0 ||
			px_msg_register(INET_MSG_RX_L3, rx_l3_msg, NULL) != 0 ||
			px_msg_register(INET_MSG_ARP, arp_msg, NULL) != 0) {
		rte_free(nif);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		int socket = (int)rte_lcore_to_socket_id((unsigned int)px_exec_lcore(i));

		nif->lc[i] = rte_zmalloc_socket("px_inet_lcore", sizeof(*nif->lc[i]),
				RTE_CACHE_LINE_SIZE, socket);
		if (nif->lc[i] == NULL)
			goto err;
		nif->lc[i]->udp = rte_zmalloc_socket("px_udp_ports",
				sizeof(struct px_udp_sock *) * UDP_PORTS, 0, socket);
		if (nif->lc[i]->udp == NULL)
			goto err;
		nif->lc[i]->icmp_tokens = nif->conf.icmp_rate;
		nif->lc[i]->id_seed = (uint32_t)rte_rand();
		nif->lc[i]->port_hint = (uint16_t)rte_rand();
		for (p = 0; p < IP_ID_BUCKETS; p++)
			nif->lc[i]->ip_ids[p] = (uint16_t)rte_rand();
		/* Reassembly memory is bounded by frag_max datagrams of at
		 * most RTE_LIBRTE_IP_FRAG_MAX_FRAG fragments each. The
		 * library logs each table at INFO under USER1: keep start-up
		 * quiet unless the user raised that type themselves. */
		{
			int lvl = rte_log_get_level(RTE_LOGTYPE_USER1);

			if (lvl > (int)RTE_LOG_NOTICE)
				rte_log_set_level(RTE_LOGTYPE_USER1, RTE_LOG_NOTICE);
			nif->lc[i]->frag = rte_ip_frag_table_create(
					RTE_MAX(nif->conf.frag_max / 4, 1u), 4,
					nif->conf.frag_max,
					ms * nif->conf.frag_timeout_ms, socket);
			if (lvl >= 0)
				rte_log_set_level(RTE_LOGTYPE_USER1, (uint32_t)lvl);
		}
		if (nif->lc[i]->frag == NULL)
			goto err;
	}
	tel_add(nif);
	*out = nif;
	return 0;
err:
	px_netif_free(nif);
	return -ENOMEM;
}

void
px_netif_free(struct px_netif *nif)
{
	uint32_t i, p;

	if (nif == NULL)
		return;
	px_tel_obj_del(&tel_nifs, nif);
	for (i = 0; i < nif->n_lcores; i++) {
		if (nif->lc[i] == NULL)
			continue;
		arp_flush_all(nif->lc[i]);
		if (nif->lc[i]->frag != NULL)
			rte_ip_frag_table_destroy(nif->lc[i]->frag);
		ipv4_frag_reap(nif->lc[i]);
		if (nif->lc[i]->udp != NULL)
			for (p = 0; p < UDP_PORTS; p++)
				rte_free(nif->lc[i]->udp[p]);
		rte_free(nif->lc[i]->udp);
		rte_free(nif->lc[i]);
	}
	rte_free(nif);
}

void
inet_xmit(struct px_netif *nif, struct inet_lcore *lc, struct rte_mbuf **pkts,
		uint16_t n)
{
	uint16_t sent = nif->tx(nif->tx_ctx, pkts, n);

	lc->st.ip_tx += sent;
	if (unlikely(sent < n)) {
		lc->st.ip_tx_drop += n - sent;
		rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
	}
}

/* One frame, on the lcore that owns it. */
static inline void
input_one(struct px_netif *nif, struct inet_lcore *lc, struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth;
	uint16_t type;

	lc->st.eth_rx++;
	if (unlikely(rte_pktmbuf_data_len(m) < sizeof(*eth))) {
		lc->st.eth_runt++;
		rte_pktmbuf_free(m);
		return;
	}
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (unlikely(!rte_is_same_ether_addr(&eth->dst_addr, &nif->conf.mac) &&
			!rte_is_broadcast_ether_addr(&eth->dst_addr))) {
		lc->st.eth_not_ours++;
		rte_pktmbuf_free(m);
		return;
	}
	type = eth->ether_type;
	if (likely(type == RTE_BE16(RTE_ETHER_TYPE_IPV4))) {
		ipv4_input(nif, lc, m);
	} else if (type == RTE_BE16(RTE_ETHER_TYPE_ARP)) {
		arp_input(nif, lc, m);
	} else if (type == RTE_BE16(RTE_ETHER_TYPE_VLAN) ||
			type == RTE_BE16(RTE_ETHER_TYPE_QINQ)) {
		lc->st.eth_vlan++;
		rte_pktmbuf_free(m);
	} else {
		lc->st.eth_bad_ethertype++;
		rte_pktmbuf_free(m);
	}
}

const uint8_t px_rss_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2,
	0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
	0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4,
	0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
	0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

unsigned int
px_flow_owner(uint32_t sip, uint32_t dip, uint16_t sport, uint16_t dport,
		unsigned int n)
{
	struct rte_ipv4_tuple t;
	uint32_t h;

	if (n <= 1)
		return 0;
	t.src_addr = rte_be_to_cpu_32(sip);
	t.dst_addr = rte_be_to_cpu_32(dip);
	t.sport = rte_be_to_cpu_16(sport);
	t.dport = rte_be_to_cpu_16(dport);
	h = rte_softrss((uint32_t *)&t, (sport | dport) != 0 ?
			RTE_THASH_V4_L4_LEN : RTE_THASH_V4_L3_LEN, px_rss_key);
	/* A 128-entry redirection table filled round robin, as NICs do. */
	return (h & 127) % n;
}

/* The lcore index that owns this frame; self for anything not IPv4 or
 * too broken to hash (it is counted where it lands). */
static unsigned int
steer(const struct px_netif *nif, const struct rte_mbuf *m, unsigned int self)
{
	const uint32_t l2 = sizeof(struct rte_ether_hdr);
	const struct rte_ether_hdr *eth;
	const struct rte_ipv4_hdr *ip;
	const uint16_t *ports;
	uint16_t sport = 0, dport = 0;
	uint32_t ihl;

	if (rte_pktmbuf_data_len(m) < l2 + sizeof(*ip))
		return self;
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4))
		return self;
	ip = (const struct rte_ipv4_hdr *)(eth + 1);
	ihl = (uint32_t)(ip->version_ihl & 0xf) * 4;
	if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip))
		return self;
	/* Fragments hash on addresses only, so all pieces of a datagram
	 * meet on one lcore for reassembly. */
	if (!rte_ipv4_frag_pkt_is_fragmented(ip) &&
			nif->l4_ports[ip->next_proto_id] &&
			rte_pktmbuf_data_len(m) >= l2 + ihl + 4) {
		ports = rte_pktmbuf_mtod_offset(m, const uint16_t *, l2 + ihl);
		sport = ports[0];
		dport = ports[1];
	}
	return px_flow_owner(ip->src_addr, ip->dst_addr, sport, dport,
			nif->n_lcores);
}

/* A packet another lcore received for us. */
static void
rx_msg(const struct px_msg *msg, void *ctx)
{
	struct px_netif *nif = (struct px_netif *)(uintptr_t)msg->b;
	struct rte_mbuf *m = (struct rte_mbuf *)(uintptr_t)msg->a;
	struct inet_lcore *lc = inet_lcore(nif);

	RTE_SET_USED(ctx);
	if (unlikely(lc == NULL)) {
		rte_pktmbuf_free(m);
		return;
	}
	lc->st.steer_in++;
	input_one(nif, lc, m);
	if (lc->dr.cnt > 0)
		ipv4_frag_reap(lc);
	inet_l4_burst_end(nif, lc);
}

/* A reassembled datagram another lcore re-steered to us by its ports. */
static void
rx_l3_msg(const struct px_msg *msg, void *ctx)
{
	struct px_netif *nif = (struct px_netif *)(uintptr_t)msg->b;
	struct rte_mbuf *m = (struct rte_mbuf *)(uintptr_t)msg->a;
	struct inet_lcore *lc = inet_lcore(nif);
	struct rte_ipv4_hdr *ip;

	RTE_SET_USED(ctx);
	if (unlikely(lc == NULL)) {
		rte_pktmbuf_free(m);
		return;
	}
	lc->st.steer_in++;
	lc->l4.now = rte_rdtsc();
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *,
			sizeof(struct rte_ether_hdr));
	ipv4_deliver(nif, lc, m, ip, (uint32_t)(ip->version_ihl & 0xf) * 4);
	inet_l4_burst_end(nif, lc);
}

void
px_netif_input(struct px_netif *nif, struct rte_mbuf **pkts, uint16_t n)
{
	struct inet_lcore *lc = inet_lcore(nif);
	unsigned int self, owner;
	struct rte_mbuf *m;
	uint16_t i;

	if (unlikely(lc == NULL)) {
		rte_pktmbuf_free_bulk(pkts, n);
		return;
	}
	self = (unsigned int)px_exec_index_self();
	lc->l4.now = rte_rdtsc();
	for (i = 0; i < n; i++) {
		m = pkts[i];
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		if (nif->n_lcores > 1) {
			owner = steer(nif, m, self);
			if (owner != self) {
				/* Software steering: the owner's mailbox. The
				 * ring's release/acquire hands the mbuf over. */
				if (px_msg_send((unsigned int)px_exec_lcore(owner),
						INET_MSG_RX, 0, (uint64_t)(uintptr_t)m,
						(uint64_t)(uintptr_t)nif, 0) == 0) {
					lc->st.steer_out++;
				} else {
					lc->st.steer_drop++;
					rte_pktmbuf_free(m);
				}
				continue;
			}
		}
		input_one(nif, lc, m);
	}
	if (lc->dr.cnt > 0)
		ipv4_frag_reap(lc);
	inet_l4_burst_end(nif, lc);
}

int
px_netif_stats_lcore(const struct px_netif *nif, unsigned int lcore_id,
		struct px_inet_stats *out)
{
	int index = px_exec_index(lcore_id);

	if (nif == NULL || out == NULL || index < 0 ||
			(unsigned int)index >= nif->n_lcores)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	px_counters_add((uint64_t *)out, (const uint64_t *)&nif->lc[index]->st,
			PX_COUNTERS_N(*out));
	return 0;
}

void
px_netif_tick(struct px_netif *nif, uint64_t now)
{
	struct inet_lcore *lc = inet_lcore(nif);

	if (lc == NULL)
		return;
	lc->l4.now = now;
	if (now < lc->next_tick)
		return;
	lc->next_tick = now + rte_get_tsc_hz() / 100; /* every 10 ms */
	arp_tick(nif, lc, now);
	rte_ip_frag_table_del_expired_entries(lc->frag, &lc->dr, now);
	if (lc->dr.cnt > 0)
		ipv4_frag_reap(lc);
}

void
px_netif_stats(const struct px_netif *nif, struct px_inet_stats *out)
{
	uint32_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < nif->n_lcores; i++)
		px_counters_add((uint64_t *)out, (const uint64_t *)&nif->lc[i]->st,
				PX_COUNTERS_N(*out));
}

/* Counter names, "block.name", in struct order. */
static const char *const stat_names[] = {
	"eth.rx", "eth.runt", "eth.not_ours", "eth.vlan", "eth.bad_ethertype",
	"arp.rx", "arp.bad", "arp.not_ours", "arp.replies", "arp.requests",
	"arp.learned", "arp.pending_drop", "arp.unresolved",
	"ip.rx", "ip.runt", "ip.bad_version", "ip.bad_ihl", "ip.bad_len",
	"ip.bad_checksum", "ip.ttl_zero", "ip.options", "ip.not_ours", "ip.bad_src",
	"ip.frags", "ip.reassembled", "ip.frag_drop", "ip.frag_tx", "ip.bad_proto", "ip.no_route", "ip.tx", "ip.tx_drop", "ip.tx_too_big",
	"icmp.rx", "icmp.bad", "icmp.echo_replies", "icmp.unreach_sent",
	"icmp.ratelimited", "icmp.other", "icmp.errors_rx", "icmp.bcast_ignored",
	"udp.rx", "udp.bad_len", "udp.bad_checksum", "udp.no_port",
	"udp.delivered", "udp.tx", "udp.rxq_full", "udp.filtered",
	"udp.icmp_err", "udp.icmp_ignored",
	"buf.nombuf",
	"steer.out", "steer.in", "steer.drop",
};

_Static_assert(sizeof(stat_names) / sizeof(stat_names[0]) ==
		sizeof(struct px_inet_stats) / sizeof(uint64_t),
		"stat_names must list every px_inet_stats counter");

static int
tel_inet(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct px_inet_stats s;
	struct px_netif *nif;

	(void)cmd;
	px_tel_lock();
	nif = px__inet_tel_netif(params);
	if (nif == NULL) {
		px_tel_unlock();
		return -EINVAL;
	}
	px_netif_stats(nif, &s);
	px_tel_unlock();
	return px_tel_counters(d, stat_names, (const uint64_t *)&s,
			PX_ARRAY_SIZE(stat_names));
}

const char *const *
px_netif_stats_names(unsigned int *n)
{
	if (n != NULL)
		*n = PX_ARRAY_SIZE(stat_names);
	return stat_names;
}

void
px_netif_stats_print(const struct px_netif *nif, FILE *f, bool json)
{
	struct px_inet_stats s;

	px_netif_stats(nif, &s);
	px_counters_print(f, NULL, stat_names, (const uint64_t *)&s,
			PX_ARRAY_SIZE(stat_names), json, NULL);
}
