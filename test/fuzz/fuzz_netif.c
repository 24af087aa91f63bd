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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct rte_mempool *mp;
static struct px_netif *nif;
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

/* At exit: give everything back, so LeakSanitizer's check (which runs
 * after this atexit handler) sees no runtime-lifetime object as leaked. */
static void
teardown(void)
{
	px_tcp_detach(nif);
	px_netif_free(nif);
	rte_mempool_free(mp);
	px_fini(true);
}

static void
setup(void)
{
	static char *argv[] = { (char *)(uintptr_t)"fuzz", (char *)(uintptr_t)"--no-huge",
		(char *)(uintptr_t)"-m", (char *)(uintptr_t)"256",
		(char *)(uintptr_t)"--no-pci", (char *)(uintptr_t)"--no-telemetry",
		(char *)(uintptr_t)"-l", (char *)(uintptr_t)"0",
		(char *)(uintptr_t)"--file-prefix=fuzz_netif",
		(char *)(uintptr_t)"--log-level=*:error", NULL };
	struct px_inet_conf c = {
		.mac = {{ 0x02, 0, 0, 0, 0, 0x02 }},
		.prefix = 24,
	};
	struct px_udp_sock *s;

	if (px_init(10, argv, NULL) < 0)
		abort();
	mp = rte_pktmbuf_pool_create("fuzz", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
			SOCKET_ID_ANY);
	c.ip = inet_addr("10.1.0.2");
	struct px_tcp_conf tc = { .max_conns = 64 };
	struct px_tcp_listener *l;

	if (mp == NULL || px_netif_create(&c, mp, drop_tx, NULL, &nif) != 0 ||
			px_udp_bind_cb(nif, htons(7), echo, NULL, &s) != 0 ||
			px_tcp_attach(nif, &tc) != 0 ||
			px_tcp_listen(nif, htons(7), 16, &l) != 0)
		abort();
	baseline = rte_mempool_in_use_count(mp);
	fake_now = rte_rdtsc();
	atexit(teardown);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rte_mbuf *m;
	char *p;

	if (nif == NULL)
		setup();
	if (size > 2048)
		return 0;
	m = rte_pktmbuf_alloc(mp);
	if (m == NULL)
		abort();
	p = rte_pktmbuf_append(m, (uint16_t)size);
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return 0;
	}
	memcpy(p, data, size);
	px_netif_input(nif, &m, 1);
	/* Packets waiting on ARP are the only ones the stack may hold; a
	 * simulated second per input retires unanswered entries after their
	 * retries, so what it holds stays bounded. */
	fake_now += rte_get_tsc_hz();
	px_netif_tick(nif, fake_now);
	if (rte_mempool_in_use_count(mp) > baseline + 6 * 16) {
		fprintf(stderr, "mbuf leak: %u in use, baseline %u\n",
			rte_mempool_in_use_count(mp), baseline);
		abort();
	}
	return 0;
}
