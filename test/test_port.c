/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * The port layer on net_ring (a PMD whose transmit loops back to its own
 * receive): configure, attach a stack, start, report offloads and link,
 * and carry frames both ways through the executor's hooks.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>

#include <px_exec.h>
#include <px_inet.h>
#include <px_port.h>
#include <px_task.h>

#include "test_exec.h"

static struct px_port *port;
static struct px_netif *nif;

static void *
port_main(void *arg)
{
	struct px_port_stats ps, qs;
	struct px_inet_stats st;
	struct px_port_info pi;

	px_port_info(port, &pi);
	printf("    queues %u rss %u rx_cksum %u tx_cksum %u multi_seg %u link %u\n",
		pi.nb_queues, pi.rss, pi.rx_cksum, pi.tx_cksum, pi.multi_seg,
		pi.link_up);
	T_EQ(pi.nb_queues, 1);
	T_EQ(pi.link_up, 1);
	/* A gratuitous ARP goes out and, looped back, comes in: an ARP
	 * request for our own address, which we answer; the answer loops
	 * back too. */
	T_EQ(px_netif_announce(nif), 0);
	T_EQ(px_sleep_ns(20 * 1000 * 1000), 0);
	px_port_stats_get(port, &ps);
	px_netif_stats(nif, &st);
	T_CHECK(ps.tx >= 2);
	T_CHECK(ps.rx >= 2);
	T_CHECK(st.arp_rx >= 2);
	T_CHECK(st.arp_replies >= 1);
	T_EQ(px_port_queue_stats(port, 0, &qs), 0);
	T_EQ(qs.rx, ps.rx);
	T_EQ(px_port_queue_stats(port, 1, &qs), -EINVAL);
	return arg;
}

static int
test_port_ring(void)
{
	struct px_conf c = { .idle = PX_IDLE_ADAPTIVE };
	struct px_inet_conf ic = { .prefix = 24 };
	void *r = (void *)1;
	int ret;

	ret = px_init(px_test_argc, px_test_argv, &c);
	PX_TEST_ASSERT(ret >= 0, "px_init");
	PX_TEST_ASSERT_EQ(rte_eth_dev_count_avail(), 1, "net_ring0 missing");
	PX_TEST_ASSERT_EQ(px_port_create(RTE_MAX_ETHPORTS, NULL, &port), -ENODEV);
	PX_TEST_ASSERT_OK(px_port_create(0, NULL, &port));
	px_port_mac(port, &ic.mac);
	/* net_ring has no address of its own (all zeroes): give it one. */
	if (rte_is_zero_ether_addr(&ic.mac))
		ic.mac = (struct rte_ether_addr){{ 0x02, 0, 0, 0, 0x5e, 0x01 }};
	ic.ip = inet_addr("10.5.0.2");
	/* The interface claims checksum offload and asks for chains; the
	 * port's attach replaces the claim with what it configured (an
	 * embedder who forgot this got wrong checksums before). */
	ic.tx_cksum = 1;
	ic.tx_zc = PX_INET_TX_ZC_ON;
	PX_TEST_ASSERT_OK(px_netif_create(&ic, px_port_mempool(port),
			px_port_tx_cb(), port, &nif));
	PX_TEST_ASSERT_OK(px_port_attach(port, nif));
	PX_TEST_ASSERT_EQ(px_port_attach(port, nif), -EBUSY);
	{
		const struct px_inet_conf *nc = px_netif_conf(nif);
		struct px_port_info pi;

		px_port_info(port, &pi);
		PX_TEST_ASSERT_EQ(nc->tx_cksum, pi.tx_cksum);
		PX_TEST_ASSERT_EQ(nc->tx_multi_seg, pi.multi_seg);
		/* And the policy: off never chains, auto only with checksums. */
		PX_TEST_ASSERT_OK(px_netif_set_tx_offloads(nif, false, true));
		PX_TEST_ASSERT_EQ(nc->tx_multi_seg, 1);
		PX_TEST_ASSERT_EQ(nc->tx_cksum, 0);
		PX_TEST_ASSERT_EQ(px_netif_set_tx_offloads(NULL, false, false),
				-EINVAL);
		px_port_info(port, &pi);
		PX_TEST_ASSERT_OK(px_netif_set_tx_offloads(nif, pi.tx_cksum,
				pi.multi_seg));
	}
	PX_TEST_ASSERT_OK(px_port_start(port));
	PX_TEST_ASSERT_EQ(px_port_fault_set(port, NULL, NULL), -EBUSY);
	ret = px_run(port_main, NULL, &r);
	px_netif_free(nif);
	px_port_free(port);
	px_fini(true);
	PX_TEST_ASSERT_OK(ret);
	PX_TEST_ASSERT(r == NULL, "port_main failed");
	return TEST_SUCCESS;
}

PX_REGISTER_TEST(port_ring_autotest, 0, test_port_ring);
