/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_mempool.h>

#include "net.h"

int
app_first_port(const char *app, uint16_t *port_id)
{
	uint16_t p;

	RTE_ETH_FOREACH_DEV(p) {
		*port_id = p;
		return 0;
	}
	fprintf(stderr, "%s: no DPDK port; add one, e.g. "
		"--vdev=net_tap0,iface=px0\n", app);
	return -ENODEV;
}

int
app_net_open(struct app_net_conf *c, struct app_net *n)
{
	struct px_port_conf pc = { 0 };
	struct px_port_info pi;
	int ret;

	n->port = NULL;
	n->nif = NULL;
	n->log = c->log != NULL ? c->log : stdout;
	pc.nb_mbufs = c->mbufs;
	pc.nb_queues = c->queues;
	ret = px_port_create(c->port_id, &pc, &n->port);
	if (ret < 0) {
		fprintf(stderr, "%s: port %u: %s\n", c->app, c->port_id,
			strerror(-ret));
		return ret;
	}
	if (c->have_mac) {
		ret = rte_eth_dev_default_mac_addr_set(c->port_id, &c->inet.mac);
		if (ret < 0) {
			fprintf(stderr, "%s: port %u cannot take --mac: %s\n",
				c->app, c->port_id, strerror(-ret));
			goto err;
		}
	}
	px_port_mac(n->port, &c->inet.mac);
	ret = px_netif_create(&c->inet, px_port_mempool(n->port), px_port_tx_cb(),
			n->port, &n->nif);
	if (ret == 0)
		ret = px_tcp_attach(n->nif, c->tcp);
	if (ret == 0)
		ret = px_port_attach(n->port, n->nif);
	if (ret == 0) {
		px_port_info(n->port, &pi);
		fprintf(n->log, "%s: port %u: %u queue pair(s), rss %s, checksum offload "
			"rx %s tx %s, multi-segment tx %s, zero-copy tcp tx %s\n",
			c->app, c->port_id, pi.nb_queues, pi.rss ? "on" : "off",
			pi.rx_cksum ? "on" : "off",
			pi.tx_cksum ? "on" : "off (software)",
			pi.multi_seg ? "on" : "off",
			px_netif_conf(n->nif)->tx_multi_seg ? "on" : "off");
	}
	if (ret == 0 && c->pcap != NULL)
		ret = px_port_capture(n->port, c->pcap, 0);
	if (ret == 0 && (c->fault_rx != NULL || c->fault_tx != NULL))
		ret = px_port_fault_set(n->port, c->fault_rx, c->fault_tx);
	if (ret == 0) {
		ret = px_port_start(n->port);
		if (ret == -ETIMEDOUT) {
			fprintf(stderr, "%s: port %u: link still down, going on\n",
				c->app, c->port_id);
			ret = 0;
		}
	}
	if (ret == 0)
		return 0;
	fprintf(stderr, "%s: port %u: setup failed: %s\n", c->app, c->port_id,
		strerror(-ret));
err:
	px_tcp_detach(n->nif);
	px_netif_free(n->nif);
	px_port_free(n->port);
	n->nif = NULL;
	n->port = NULL;
	return ret;
}

unsigned int
app_net_close(struct app_net *n)
{
	unsigned int leaked;

	/* The interface first: packets waiting on ARP go back to the
	 * port's pool before the pool goes. With everything closed, an
	 * mbuf still in use is a leak. */
	px_tcp_detach(n->nif);
	px_netif_free(n->nif);
	px_port_close(n->port);
	leaked = rte_mempool_in_use_count(px_port_mempool(n->port));
	fprintf(n->log, "mbuf.leaked=%u\n", leaked);
	fflush(n->log);
	px_port_free(n->port);
	n->nif = NULL;
	n->port = NULL;
	return leaked;
}
