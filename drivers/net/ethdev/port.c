/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include <px_exec.h>
#include <px_log.h>

#include "px_port.h"

#define RX_BURST 32
#define TXBUF 256
#define TX_RETRIES 8

struct px_port {
	uint16_t port_id;
	uint16_t queue_lcore;      /* the lcore that owns queue 0 */
	struct rte_mempool *mp;
	struct px_netif *nif;
	struct rte_ether_addr mac;
	uint32_t link_wait_ms;
	int started;
	struct px_fault *frx, *ftx; /* fault injection, NULL when off */
	/* owned by queue_lcore */
	uint16_t ntx;
	struct rte_mbuf *txbuf[TXBUF];
	struct px_port_stats st;
} __rte_cache_aligned;

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
	p->queue_lcore = (uint16_t)px_exec_lcore(0);
	p->link_wait_ms = c.link_wait_ms;
	snprintf(name, sizeof(name), "px_mp_%u", port_id);
	p->mp = rte_pktmbuf_pool_create(name, c.nb_mbufs, 256, 0,
			RTE_MBUF_DEFAULT_BUF_SIZE, socket);
	if (p->mp == NULL) {
		ret = -rte_errno;
		PX_LOG(ERR, core, "port %u: mbuf pool: %s", port_id,
			rte_strerror(rte_errno));
		goto err_free;
	}
	memset(&ec, 0, sizeof(ec));
	/* Checksum verification on receive where the PMD can; the stack
	 * checks in software when the mbuf flags say "unknown". */
	ec.rxmode.offloads = info.rx_offload_capa &
		(RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM);
	ret = rte_eth_dev_configure(port_id, 1, 1, &ec);
	if (ret < 0)
		goto err_pool;
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &c.nb_rxd, &c.nb_txd);
	if (ret < 0)
		goto err_pool;
	ret = rte_eth_rx_queue_setup(port_id, 0, c.nb_rxd, (unsigned int)socket,
			NULL, p->mp);
	if (ret < 0)
		goto err_pool;
	ret = rte_eth_tx_queue_setup(port_id, 0, c.nb_txd, (unsigned int)socket,
			NULL);
	if (ret < 0)
		goto err_pool;
	ret = rte_eth_macaddr_get(port_id, &p->mac);
	if (ret < 0)
		goto err_pool;
	*out = p;
	return 0;
err_pool:
	PX_LOG(ERR, core, "port %u: configure: %s", port_id, strerror(-ret));
	rte_mempool_free(p->mp);
err_free:
	rte_free(p);
	return ret;
}

void
px_port_mac(const struct px_port *p, struct rte_ether_addr *mac)
{
	*mac = p->mac;
}

struct rte_mempool *
px_port_mempool(const struct px_port *p)
{
	return p->mp;
}

static unsigned int
tx_flush(struct px_port *p)
{
	struct rte_mbuf *faulted[2 * TXBUF + 64], **pkts = p->txbuf;
	uint16_t sent = 0, n = p->ntx, k;
	unsigned int tries = 0;

	if (unlikely(p->ftx != NULL)) {
		n = (uint16_t)px_fault_process(p->ftx, p->txbuf, n, faulted,
				rte_rdtsc());
		pkts = faulted;
	}
	while (sent < n) {
		k = rte_eth_tx_burst(p->port_id, 0, &pkts[sent], n - sent);
		sent += k;
		if (sent < n && ++tries > TX_RETRIES)
			break;
		if (k == 0)
			p->st.tx_retry++;
	}
	p->st.tx += sent;
	if (sent < n) {
		p->st.tx_drop += n - sent;
		rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
	}
	p->ntx = 0;
	return n;
}

static uint16_t
port_tx(void *ctx, struct rte_mbuf **pkts, uint16_t n)
{
	struct px_port *p = ctx;
	uint16_t i;

	/* One queue, owned by one lcore: others cannot send yet. */
	if (unlikely(rte_lcore_id() != p->queue_lcore)) {
		p->st.tx_foreign += n; /* TODO(px): per-lcore tx queues */
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (p->ntx == TXBUF)
			tx_flush(p);
		p->txbuf[p->ntx++] = pkts[i];
	}
	return n;
}

px_netif_tx_cb_t
px_port_tx_cb(void)
{
	return port_tx;
}

static unsigned int
port_poll(void *ctx)
{
	struct px_port *p = ctx;
	struct rte_mbuf *pkts[RX_BURST], *faulted[2 * RX_BURST + 64];
	uint16_t n;

	n = rte_eth_rx_burst(p->port_id, 0, pkts, RX_BURST);
	p->st.rx += n;
	if (unlikely(p->frx != NULL)) {
		/* Called on empty polls too: delayed packets fall due. */
		n = (uint16_t)px_fault_process(p->frx, pkts, n, faulted, rte_rdtsc());
		if (n > 0)
			px_netif_input(p->nif, faulted, n);
		return n;
	}
	if (n == 0)
		return 0;
	px_netif_input(p->nif, pkts, n);
	return n;
}

static unsigned int
port_flush(void *ctx)
{
	struct px_port *p = ctx;

	px_netif_tick(p->nif, rte_rdtsc());
	/* With tx faults, flush even when empty: delayed packets fall due. */
	return p->ntx > 0 || unlikely(p->ftx != NULL) ? tx_flush(p) : 0;
}

int
px_port_fault_set(struct px_port *p, const struct px_fault_conf *rx,
		const struct px_fault_conf *tx)
{
	int ret;

	if (p == NULL)
		return -EINVAL;
	if (p->started)
		return -EBUSY;
	px_fault_free(p->frx);
	px_fault_free(p->ftx);
	p->frx = p->ftx = NULL;
	if (rx != NULL) {
		ret = px_fault_create(rx, p->mp, &p->frx);
		if (ret < 0)
			return ret;
	}
	if (tx != NULL) {
		ret = px_fault_create(tx, p->mp, &p->ftx);
		if (ret < 0) {
			px_fault_free(p->frx);
			p->frx = NULL;
			return ret;
		}
	}
	return 0;
}

void
px_port_fault_stats(const struct px_port *p, struct px_fault_stats *rx,
		struct px_fault_stats *tx)
{
	memset(rx, 0, sizeof(*rx));
	memset(tx, 0, sizeof(*tx));
	if (p->frx != NULL)
		px_fault_stats_get(p->frx, rx);
	if (p->ftx != NULL)
		px_fault_stats_get(p->ftx, tx);
}

int
px_port_attach(struct px_port *p, struct px_netif *nif)
{
	int ret;

	if (p == NULL || nif == NULL)
		return -EINVAL;
	if (p->nif != NULL)
		return -EBUSY;
	p->nif = nif;
	ret = px_exec_hook_add(p->queue_lcore, false, port_poll, p);
	if (ret == 0)
		ret = px_exec_hook_add(p->queue_lcore, true, port_flush, p);
	if (ret < 0)
		p->nif = NULL;
	return ret;
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
				link.link_status == RTE_ETH_LINK_UP)
			return 0;
		rte_delay_ms(10);
	} while (rte_rdtsc() < end);
	return -ETIMEDOUT;
}

void
px_port_stats_get(const struct px_port *p, struct px_port_stats *out)
{
	struct rte_eth_stats es;

	*out = p->st;
	if (rte_eth_stats_get(p->port_id, &es) == 0)
		out->rx_drop = es.imissed + es.rx_nombuf;
}

void
px_port_free(struct px_port *p)
{
	if (p == NULL)
		return;
	if (p->ntx > 0)
		rte_pktmbuf_free_bulk(p->txbuf, p->ntx);
	if (p->started)
		rte_eth_dev_stop(p->port_id);
	px_fault_free(p->frx);
	px_fault_free(p->ftx);
	rte_eth_dev_close(p->port_id);
	rte_mempool_free(p->mp);
	rte_free(p);
}
