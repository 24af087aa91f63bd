/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include <px_counters.h>
#include <px_exec.h>
#include <px_log.h>
#include <px_tel.h>

#include "capture.h"
#include "px_port.h"

PX_LOG_REGISTER(port);

#define RX_BURST 32
#define TXBUF 256
#define TX_RETRIES 8
#define PORT_MSG_TX (PX_MSG_LIB_BASE + 8) /* a: mbuf, b: queue */

struct px_port;

/* One rx/tx queue pair, owned by one executor: nothing here is shared. */
struct port_queue {
	struct px_port *p;
	uint16_t qid;
	uint16_t lcore_id;
	uint16_t ntx;
	struct px_fault *frx, *ftx; /* fault injection, NULL when off */
	struct px_port_stats st;
	struct rte_mbuf *txbuf[TXBUF];
} __rte_cache_aligned;

struct px_port {
	uint16_t port_id;
	uint16_t nb_q;             /* queue pairs: min(executors, PMD limits) */
	int rss;                   /* the PMD spreads flows with our key */
	uint64_t rx_offloads;      /* enabled */
	uint64_t tx_offloads;      /* enabled */
	uint64_t tx_capa;          /* possible */
	struct rte_mempool *mp;
	struct px_netif *nif;
	struct rte_ether_addr mac;
	uint32_t link_wait_ms;
	int started;
	int closed;  /* px_port_close() ran */
	struct px_capture *cap;    /* pcapng capture, NULL when off */
	struct port_queue *q;      /* [nb_q] */
	struct port_queue *by_index[PX_MAX_LCORES]; /* executor -> its queue or NULL */
} __rte_cache_aligned;

/* ---- telemetry: /pollux/port ---- */

/* Ports telemetry can see. */
static struct px_tel_objs tel_ports;

static int
tel_port(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static const char *const names[] = {
		"rx", "tx", "rx_drop", "tx_drop", "tx_retry", "mbuf_in_use",
		"mbuf_size", "port_id",
	};
	struct px_port_stats ps;
	struct px_port *p;
	uint64_t v[PX_ARRAY_SIZE(names)];

	(void)cmd;
	px_tel_lock();
	p = px_tel_obj_get(&tel_ports, params);
	if (p == NULL) {
		px_tel_unlock();
		return -EINVAL;
	}
	px_port_stats_get(p, &ps);
	v[0] = ps.rx;
	v[1] = ps.tx;
	v[2] = ps.rx_drop;
	v[3] = ps.tx_drop;
	v[4] = ps.tx_retry;
	v[5] = rte_mempool_in_use_count(p->mp);
	v[6] = p->mp->size;
	v[7] = p->port_id;
	px_tel_unlock();
	return px_tel_counters(d, names, v, PX_ARRAY_SIZE(names));
}

static void
tel_add(struct px_port *p)
{
	px_tel_register("/pollux/port", tel_port,
		"Port counters and its mbuf pool's use. Parameter: Pollux port "
		"index, in creation order (default 0).");
	px_tel_obj_add(&tel_ports, p);
}

int
px_port_create(uint16_t port_id, const struct px_port_conf *conf,
		struct px_port **out)
{
	struct rte_eth_conf ec;
	struct rte_eth_dev_info info;
	struct px_port_conf c = { 0 };
	char name[RTE_MEMPOOL_NAMESIZE];
	struct px_port *p;
	int ret, socket;
	uint16_t q;

	if (out == NULL || px_exec_count() == 0)
		return -EINVAL;
	if (!rte_eth_dev_is_valid_port(port_id))
		return -ENODEV;
	if (conf != NULL)
		c = *conf;
	if (c.nb_mbufs == 0)
		c.nb_mbufs = 8191;
	if (c.nb_rxd == 0)
		c.nb_rxd = 1024;
	if (c.nb_txd == 0)
		c.nb_txd = 1024;
	if (c.link_wait_ms == 0)
		c.link_wait_ms = 3000;
	ret = rte_eth_dev_info_get(port_id, &info);
	if (ret < 0)
		return ret;
	socket = rte_eth_dev_socket_id(port_id);
	if (socket < 0)
		socket = (int)rte_socket_id();
	p = rte_zmalloc_socket("px_port", sizeof(*p), RTE_CACHE_LINE_SIZE, socket);
	if (p == NULL)
		return -ENOMEM;
	p->port_id = port_id;
	p->link_wait_ms = c.link_wait_ms;
	/* net_memif connects as many queue pairs as the client has, and
	 * DPDK 22.11's server side then uses its unconnected queues all the
	 * same (drops, or rings it does not own): one pair on both ends
	 * unless the application sets a count, the same on both. */
	if (c.nb_queues == 0 && info.driver_name != NULL &&
			strcmp(info.driver_name, "net_memif") == 0)
		c.nb_queues = 1;
	p->nb_q = (uint16_t)RTE_MIN(c.nb_queues != 0 ?
			RTE_MIN(c.nb_queues, px_exec_count()) : px_exec_count(),
			(unsigned int)RTE_MIN(info.max_rx_queues, info.max_tx_queues));
	if (p->nb_q == 0)
		p->nb_q = 1;
	p->q = rte_zmalloc_socket("px_port_q", sizeof(*p->q) * p->nb_q,
			RTE_CACHE_LINE_SIZE, socket);
	if (p->q == NULL) {
		rte_free(p);
		return -ENOMEM;
	}
	snprintf(name, sizeof(name), "px_mp_%u", port_id);
	p->mp = rte_pktmbuf_pool_create(name, c.nb_mbufs, 256, 0,
			RTE_MBUF_DEFAULT_BUF_SIZE, socket);
	if (p->mp == NULL) {
		ret = -rte_errno;
		PX_LOG(ERR, port, "port %u: mbuf pool: %s", port_id,
			rte_strerror(rte_errno));
		goto err_free;
	}
	memset(&ec, 0, sizeof(ec));
	/* Checksum verification on receive where the PMD can; the stack
	 * checks in software when the mbuf flags say "unknown". */
	ec.rxmode.offloads = info.rx_offload_capa &
		(RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM);
	/* Transmit: checksums (the stack fills them in software where the
	 * PMD cannot) and chained mbufs (fragments, large datagrams). */
	ec.txmode.offloads = info.tx_offload_capa &
		(RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM |
		 RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_MULTI_SEGS);
	p->rx_offloads = ec.rxmode.offloads;
	p->tx_offloads = ec.txmode.offloads;
	p->tx_capa = info.tx_offload_capa;
	/* RSS with the stack's Toeplitz key, so the NIC and the software
	 * steering agree on each flow's lcore. PMDs that take the settings
	 * but cannot apply them (net_tap here) are harmless: the stack
	 * re-steers in software anyway. */
	if (p->nb_q > 1 && info.flow_type_rss_offloads != 0 &&
			info.hash_key_size == sizeof(px_rss_key)) {
		ec.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		ec.rx_adv_conf.rss_conf.rss_key = (uint8_t *)(uintptr_t)px_rss_key;
		ec.rx_adv_conf.rss_conf.rss_key_len = sizeof(px_rss_key);
		ec.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads &
			(RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_UDP |
			 RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_FRAG_IPV4);
		p->rss = 1;
	}
	ret = rte_eth_dev_configure(port_id, p->nb_q, p->nb_q, &ec);
	if (ret < 0 && p->rss) {
		ec.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
		memset(&ec.rx_adv_conf, 0, sizeof(ec.rx_adv_conf));
		p->rss = 0;
		ret = rte_eth_dev_configure(port_id, p->nb_q, p->nb_q, &ec);
	}
	if (ret < 0)
		goto err_pool;
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &c.nb_rxd, &c.nb_txd);
	if (ret < 0)
		goto err_pool;
	for (q = 0; q < p->nb_q; q++) {
		ret = rte_eth_rx_queue_setup(port_id, q, c.nb_rxd,
				(unsigned int)socket, NULL, p->mp);
		if (ret < 0)
			goto err_pool;
		ret = rte_eth_tx_queue_setup(port_id, q, c.nb_txd,
				(unsigned int)socket, NULL);
		if (ret < 0)
			goto err_pool;
		/* Queue q belongs to executor q. */
		p->q[q].p = p;
		p->q[q].qid = q;
		p->q[q].lcore_id = (uint16_t)px_exec_lcore(q);
		p->by_index[q] = &p->q[q];
	}
	ret = rte_eth_macaddr_get(port_id, &p->mac);
	if (ret < 0)
		goto err_pool;
	tel_add(p);
	*out = p;
	return 0;
err_pool:
	PX_LOG(ERR, port, "port %u: configure: %s", port_id, strerror(-ret));
	rte_mempool_free(p->mp);
err_free:
	rte_free(p->q);
	rte_free(p);
	return ret;
}

void
px_port_info(const struct px_port *p, struct px_port_info *out)
{
	const uint64_t rxc = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
	/* The stack asks for all three or none (px_inet_conf.tx_cksum):
	 * TCP checksums are never left to a port that was not asked for
	 * them. */
	const uint64_t txc = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM |
		RTE_ETH_TX_OFFLOAD_UDP_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
	struct rte_eth_link link;

	memset(out, 0, sizeof(*out));
	out->nb_queues = p->nb_q;
	out->rss = (uint8_t)p->rss;
	out->rx_cksum = (p->rx_offloads & rxc) == rxc;
	out->tx_cksum = (p->tx_offloads & txc) == txc;
	out->multi_seg = (p->tx_offloads & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) != 0;
	out->tso = (p->tx_capa & RTE_ETH_TX_OFFLOAD_TCP_TSO) != 0;
	if (rte_eth_link_get_nowait(p->port_id, &link) == 0) {
		out->link_up = link.link_status == RTE_ETH_LINK_UP;
		out->link_speed = link.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN ?
			0 : link.link_speed;
	}
}

int
px_port_queue_stats(const struct px_port *p, uint16_t qid,
		struct px_port_stats *out)
{
	const struct px_port_stats *s;

	if (p == NULL || out == NULL || qid >= p->nb_q)
		return -EINVAL;
	s = &p->q[qid].st;
	memset(out, 0, sizeof(*out));
	out->rx = __atomic_load_n(&s->rx, __ATOMIC_RELAXED);
	out->tx = __atomic_load_n(&s->tx, __ATOMIC_RELAXED);
	out->tx_drop = __atomic_load_n(&s->tx_drop, __ATOMIC_RELAXED);
	out->tx_retry = __atomic_load_n(&s->tx_retry, __ATOMIC_RELAXED);
	return 0;
}

void
px_port_mac(const struct px_port *p, struct rte_ether_addr *mac)
{
	/* Live: the application may have set another address since. */
	if (rte_eth_macaddr_get(p->port_id, mac) != 0)
		*mac = p->mac;
}

struct rte_mempool *
px_port_mempool(const struct px_port *p)
{
	return p->mp;
}

static unsigned int
tx_flush(struct port_queue *q)
{
	struct rte_mbuf *faulted[2 * TXBUF + 64], **pkts = q->txbuf;
	uint16_t sent = 0, n = q->ntx, k;
	unsigned int tries = 0;

	if (unlikely(q->ftx != NULL)) {
		n = (uint16_t)px_fault_process(q->ftx, q->txbuf, n, faulted,
				rte_rdtsc());
		pkts = faulted;
	}
	if (unlikely(q->p->cap != NULL) && n > 0)
		capture_burst(q->p->cap, q->p->port_id, q->qid, pkts, n, CAP_OUT);
	while (sent < n) {
		k = rte_eth_tx_burst(q->p->port_id, q->qid, &pkts[sent], n - sent);
		sent += k;
		if (sent < n && ++tries > TX_RETRIES)
			break;
		if (k == 0)
			q->st.tx_retry++;
	}
	q->st.tx += sent;
	if (sent < n) {
		q->st.tx_drop += n - sent;
		rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
	}
	q->ntx = 0;
	return n;
}

static inline void
txq_put(struct port_queue *q, struct rte_mbuf *m)
{
	if (q->ntx == TXBUF)
		tx_flush(q);
	q->txbuf[q->ntx++] = m;
}

/* A packet from an executor without a queue of its own. */
static void
tx_msg(const struct px_msg *msg, void *ctx)
{
	struct port_queue *q = (struct port_queue *)(uintptr_t)msg->b;

	RTE_SET_USED(ctx);
	txq_put(q, (struct rte_mbuf *)(uintptr_t)msg->a);
}

static uint16_t
port_tx(void *ctx, struct rte_mbuf **pkts, uint16_t n)
{
	struct px_port *p = ctx;
	int idx = px_exec_index_self();
	struct port_queue *q, *owner;
	uint16_t i;

	if (unlikely(idx < 0))
		return 0;
	q = p->by_index[idx];
	if (likely(q != NULL)) {
		for (i = 0; i < n; i++)
			txq_put(q, pkts[i]);
		return n;
	}
	/* More executors than queues: hand the packet to a queue's owner
	 * (queues are not shared: no lock). */
	owner = &p->q[(unsigned int)idx % p->nb_q];
	for (i = 0; i < n; i++) {
		if (px_msg_send(owner->lcore_id, PORT_MSG_TX, 0,
				(uint64_t)(uintptr_t)pkts[i], (uint64_t)(uintptr_t)owner,
				0) != 0)
			break;
	}
	return i;
}

px_netif_tx_cb_t
px_port_tx_cb(void)
{
	return port_tx;
}

static unsigned int
port_poll(void *ctx)
{
	struct port_queue *q = ctx;
	struct rte_mbuf *pkts[RX_BURST], *faulted[2 * RX_BURST + 64];
	uint16_t n;

	n = rte_eth_rx_burst(q->p->port_id, q->qid, pkts, RX_BURST);
	q->st.rx += n;
	if (unlikely(q->p->cap != NULL) && n > 0)
		capture_burst(q->p->cap, q->p->port_id, q->qid, pkts, n, CAP_IN);
	if (unlikely(q->frx != NULL)) {
		/* Called on empty polls too: delayed packets fall due. */
		n = (uint16_t)px_fault_process(q->frx, pkts, n, faulted, rte_rdtsc());
		if (n > 0)
			px_netif_input(q->p->nif, faulted, n);
		return n;
	}
	if (n == 0)
		return 0;
	px_netif_input(q->p->nif, pkts, n);
	return n;
}

static unsigned int
port_flush(void *ctx)
{
	struct port_queue *q = ctx;

	px_netif_tick(q->p->nif, rte_rdtsc());
	/* With tx faults, flush even when empty: delayed packets fall due. */
	return q->ntx > 0 || unlikely(q->ftx != NULL) ? tx_flush(q) : 0;
}

/* Executors without a queue still run the stack's timers. */
static unsigned int
tick_only(void *ctx)
{
	struct px_port *p = ctx;

	px_netif_tick(p->nif, rte_rdtsc());
	return 0;
}

int
px_port_fault_set(struct px_port *p, const struct px_fault_conf *rx,
		const struct px_fault_conf *tx)
{
	struct px_fault_conf c;
	uint16_t i;
	int ret;

	if (p == NULL)
		return -EINVAL;
	if (p->started)
		return -EBUSY;
	for (i = 0; i < p->nb_q; i++) {
		struct port_queue *q = &p->q[i];

		px_fault_free(q->frx);
		px_fault_free(q->ftx);
		q->frx = q->ftx = NULL;
		/* One stage per queue (each owned by one lcore); queue i
		 * gets seed + i so the queues do not move in lockstep. */
		if (rx != NULL) {
			c = *rx;
			c.seed += i;
			ret = px_fault_create(&c, p->mp, &q->frx);
			if (ret < 0)
				return ret;
		}
		if (tx != NULL) {
			c = *tx;
			c.seed += i;
			ret = px_fault_create(&c, p->mp, &q->ftx);
			if (ret < 0)
				return ret;
		}
	}
	return 0;
}

static void
fault_add(struct px_fault_stats *sum, const struct px_fault *f)
{
	struct px_fault_stats s;

	if (f == NULL)
		return;
	px_fault_stats_get(f, &s);
	sum->seen += s.seen;
	sum->dropped += s.dropped;
	sum->duplicated += s.duplicated;
	sum->corrupted += s.corrupted;
	sum->reordered += s.reordered;
	sum->delayed += s.delayed;
	sum->overflow += s.overflow;
	sum->nombuf += s.nombuf;
}

void
px_port_fault_stats(const struct px_port *p, struct px_fault_stats *rx,
		struct px_fault_stats *tx)
{
	uint16_t i;

	memset(rx, 0, sizeof(*rx));
	memset(tx, 0, sizeof(*tx));
	for (i = 0; i < p->nb_q; i++) {
		fault_add(rx, p->q[i].frx);
		fault_add(tx, p->q[i].ftx);
	}
}

int
px_port_attach(struct px_port *p, struct px_netif *nif)
{
	struct px_port_info pi;
	unsigned int i;
	int ret;

	if (p == NULL || nif == NULL)
		return -EINVAL;
	if (p->nif != NULL)
		return -EBUSY;
	ret = px_msg_register(PORT_MSG_TX, tx_msg, NULL);
	if (ret < 0)
		return ret;
	/* The interface's checksums and chains follow what this port was
	 * configured with, whatever its px_inet_conf said. */
	px_port_info(p, &pi);
	px_netif_set_tx_offloads(nif, pi.tx_cksum, pi.multi_seg);
	p->nif = nif;
	for (i = 0; i < px_exec_count(); i++) {
		unsigned int lcore = (unsigned int)px_exec_lcore(i);

		if (i < p->nb_q) {
			ret = px_exec_hook_add(lcore, false, port_poll, &p->q[i]);
			if (ret == 0)
				ret = px_exec_hook_add(lcore, true, port_flush, &p->q[i]);
		} else {
			ret = px_exec_hook_add(lcore, true, tick_only, p);
		}
		if (ret < 0) {
			/* TODO(px): hooks cannot be removed yet; the port
			 * stays half attached until px_fini(). */
			return ret;
		}
	}
	return 0;
}

int
px_port_start(struct px_port *p)
{
	struct rte_eth_link link;
	uint64_t end;
	int ret;

	ret = rte_eth_dev_start(p->port_id);
	if (ret < 0)
		return ret;
	p->started = 1;
	end = rte_rdtsc() + rte_get_tsc_hz() / 1000 * p->link_wait_ms;
	do {
		if (rte_eth_link_get_nowait(p->port_id, &link) == 0 &&
				link.link_status == RTE_ETH_LINK_UP) {
			PX_LOG(INFO, port, "port %u: link up, %u Mb/s", p->port_id,
				link.link_speed);
			return 0;
		}
		rte_delay_ms(10);
	} while (rte_rdtsc() < end);
	PX_LOG(WARNING, port, "port %u: link still down after %u ms",
		p->port_id, p->link_wait_ms);
	return -ETIMEDOUT;
}

static const char *const port_stat_names[] = {
	"rx", "tx", "rx_drop", "tx_drop", "tx_retry", "captured", "capture_drop",
};

_Static_assert(PX_ARRAY_SIZE(port_stat_names) ==
		PX_COUNTERS_N(struct px_port_stats),
		"port_stat_names must list every px_port_stats counter");

const char *const *
px_port_stats_names(unsigned int *n)
{
	if (n != NULL)
		*n = PX_ARRAY_SIZE(port_stat_names);
	return port_stat_names;
}

void
px_port_stats_get(const struct px_port *p, struct px_port_stats *out)
{
	struct rte_eth_stats es;
	uint16_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < p->nb_q; i++) {
		const struct px_port_stats *s = &p->q[i].st;

		out->rx += __atomic_load_n(&s->rx, __ATOMIC_RELAXED);
		out->tx += __atomic_load_n(&s->tx, __ATOMIC_RELAXED);
		out->tx_drop += __atomic_load_n(&s->tx_drop, __ATOMIC_RELAXED);
		out->tx_retry += __atomic_load_n(&s->tx_retry, __ATOMIC_RELAXED);
	}
	if (!p->closed && rte_eth_stats_get(p->port_id, &es) == 0)
		out->rx_drop = es.imissed + es.rx_nombuf;
	capture_counts(p->cap, &out->captured, &out->capture_drop);
}

int
px_port_capture(struct px_port *p, const char *path, uint32_t snaplen)
{
	if (p == NULL || path == NULL || p->closed)
		return -EINVAL;
	if (p->cap != NULL)
		return -EBUSY;
	if (snaplen == 0)
		snaplen = UINT16_MAX;
	return capture_open(p->port_id, path, snaplen, &p->cap);
}

void
px_port_close(struct px_port *p)
{
	uint16_t i;

	if (p == NULL || p->closed)
		return;
	px_tel_obj_del(&tel_ports, p);
	/* Whatever was sent up to now is in the file before it closes. */
	capture_close(p->cap);
	p->cap = NULL;
	for (i = 0; i < p->nb_q; i++) {
		if (p->q[i].ntx > 0)
			rte_pktmbuf_free_bulk(p->q[i].txbuf, p->q[i].ntx);
		p->q[i].ntx = 0;
		px_fault_free(p->q[i].frx);
		px_fault_free(p->q[i].ftx);
		p->q[i].frx = p->q[i].ftx = NULL;
	}
	if (p->started)
		rte_eth_dev_stop(p->port_id);
	p->started = 0;
	rte_eth_dev_close(p->port_id);
	p->closed = 1;
	PX_LOG(INFO, port, "port %u: closed, %u mbuf(s) still in use",
		p->port_id, rte_mempool_in_use_count(p->mp));
}

void
px_port_free(struct px_port *p)
{
	if (p == NULL)
		return;
	px_port_close(p);
	rte_mempool_free(p->mp);
	rte_free(p->q);
	rte_free(p);
}
