/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * libFuzzer target: arbitrary frames into px_netif_input(), the whole
 * receive path (Ethernet, ARP, IPv4, ICMP, UDP and a UDP echo socket).
 * Build with -Dfuzz=true and clang; run as
 *   fuzz_netif -max_total_time=60 test/fuzz/corpus/netif
 * Besides crashes and sanitizer reports it checks that every mbuf comes
 * back: the pool's in-use count must return to its baseline after each
 * input.
 */

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_mbuf.h>

#include <px_exec.h>
#include <px_inet.h>
#include <px_tcp.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned int baseline;
static uint64_t fake_now;

static uint16_t
drop_tx(void *ctx, struct rte_mbuf **pkts, uint16_t n)
{
	(void)ctx;
	rte_pktmbuf_free_bulk(pkts, n);
	return n;
}

static void
echo(struct px_udp_sock *s, struct rte_mbuf *m, const struct px_udp_addr *from,
		void *arg)
{
	(void)arg;
	/* The reflector path reads the headers left in the headroom: fuzz it. */
	px_udp_echo_mbuf(s, m, from);
}

static void
setup(void)
{
	struct px_inet_conf c = {
		.mac = {{ 0x02, 0, 0, 0, 0, 0x02 }},
		.prefix = 24,
	};
	struct px_tcp_conf tc = { .max_conns = 64 };
	struct px_tcp_listener *l;
	struct px_udp_sock *s;

	fuzz_runtime_init("fuzz_netif");
	fuzz_mp = rte_pktmbuf_pool_create("fuzz", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
			SOCKET_ID_ANY);
	c.ip = inet_addr("10.1.0.2");
	if (fuzz_mp == NULL || px_netif_create(&c, fuzz_mp, drop_tx, NULL, &fuzz_nif) != 0 ||
			px_udp_bind_cb(fuzz_nif, htons(7), echo, NULL, &s) != 0 ||
			px_tcp_attach(fuzz_nif, &tc) != 0 ||
			px_tcp_listen(fuzz_nif, htons(7), 16, &l) != 0)
		abort();
	baseline = rte_mempool_in_use_count(fuzz_mp);
	fake_now = rte_rdtsc();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rte_mbuf *m;
	char *p;

	if (fuzz_nif == NULL)
		setup();
	if (size > 2048)
		return 0;
	m = rte_pktmbuf_alloc(fuzz_mp);
	if (m == NULL)
		abort();
	p = rte_pktmbuf_append(m, (uint16_t)size);
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return 0;
	}
	memcpy(p, data, size);
	px_netif_input(fuzz_nif, &m, 1);
	/* Packets waiting on ARP are the only ones the stack may hold; a
	 * simulated second per input retires unanswered entries after their
	 * retries, so what it holds stays bounded. */
	fake_now += rte_get_tsc_hz();
	px_netif_tick(fuzz_nif, fake_now);
	if (rte_mempool_in_use_count(fuzz_mp) > baseline + 6 * 16) {
		fprintf(stderr, "mbuf leak: %u in use, baseline %u\n",
			rte_mempool_in_use_count(fuzz_mp), baseline);
		abort();
	}
	return 0;
}
