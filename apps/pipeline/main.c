/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * pollux-pipeline: how to embed Pollux in a DPDK program that owns its
 * ports and its loop. The program is a small learning L2 bridge between
 * two ports (west and east); inside it sits a Pollux TCP endpoint (an
 * echo on --ip, port 7, written with the callback socket API) on a MAC of
 * its own. Each loop iteration the program:
 *   1. receives a burst on each port, learns source MACs, forwards each
 *      frame to the other port, and hands Pollux only the frames for its
 *      MAC (and a copy of broadcasts, for ARP);
 *   2. calls px_netif_input() with those, px_netif_tick() for the ARP and
 *      reassembly timers, and px_lcore_poll() for one Pollux iteration
 *      (mailbox, TCP timers, tasks);
 *   3. Pollux transmits through pipe_tx(), which bridges its frames out
 *      of the port their destination was learned on.
 * Pollux never touches the ports: no px_port, no px_run().
 * Usage: pollux-pipeline [EAL args with two ports] -- --ip A.B.C.D/N.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <px_exec.h>
#include <px_inet.h>
#include <px_tcp.h>

#include "opt.h"

#define BURST 32
#define NB_DESC 1024
#define NB_MBUFS 16383
#define MACS 1024              /* learning table slots (power of two) */
#define MAC_PROBE 8            /* slots a MAC may sit in, from its home */
#define MAC_AGE_S 300          /* default ageing, as a Linux bridge's */
#define POLLUX 2               /* "port" of the Pollux endpoint */

struct mac_entry {
	uint64_t key;           /* MAC + 1, 0 = empty */
	uint64_t seen;          /* TSC when last heard from */
	uint8_t port;
};

struct pipe_stats {
	uint64_t rx[2], fwd[2], flood, to_pollux, from_pollux, filtered,
		tx_drop, nombuf, runt, mac_learned, mac_aged, mac_evicted;
};

static volatile sig_atomic_t quit;
static uint16_t ports[2];
static struct rte_mempool *pool;
static struct px_netif *nif;
static struct rte_ether_addr px_mac;
static struct mac_entry macs[MACS];
static uint64_t mac_age;       /* cycles an entry lives unheard */
static struct pipe_stats st;

static void
on_signal(int sig)
{
	(void)sig;
	quit++;
}

/* ---- the bridge ---- */

static uint64_t
mac_key(const struct rte_ether_addr *a)
{
	uint64_t k = 0;

	memcpy(&k, a->addr_bytes, RTE_ETHER_ADDR_LEN);
	return k + 1;
}

static uint32_t
mac_home(uint64_t key)
{
	return (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 54) & (MACS - 1);
}

static int
mac_live(const struct mac_entry *e, uint64_t now)
{
	/* seen may be a later TSC read than now (pipe_tx() runs inside a
	 * burst): that is live, not a wrapped age. */
	return e->key != 0 && (now <= e->seen || now - e->seen < mac_age);
}

/* A MAC lives in one of MAC_PROBE slots from its home, so learning and
 * lookup cost the same whatever the table holds: a flood of random
 * source MACs evicts the stalest entries instead of making every lookup
 * walk the whole table. */
static void
learn(const struct rte_ether_addr *src, uint8_t port, uint64_t now)
{
	uint64_t key = mac_key(src);
	uint32_t i = mac_home(key), n;
	struct mac_entry *e, *victim = NULL;

	if (!rte_is_unicast_ether_addr(src))
		return;
	for (n = 0; n < MAC_PROBE; n++, i = (i + 1) & (MACS - 1)) {
		e = &macs[i];
		if (e->key == key) {
			e->port = port;
			e->seen = now;
			return;
		}
		if (victim == NULL || (mac_live(victim, now) &&
				(!mac_live(e, now) || e->seen < victim->seen)))
			victim = e;
	}
	if (mac_live(victim, now))
		st.mac_evicted++;
	st.mac_learned++;
	victim->key = key;
	victim->port = port;
	victim->seen = now;
}

/* Where dst was learned: 0, 1, or -1 (unknown, or not heard from within
 * the ageing time). */
static int
lookup(const struct rte_ether_addr *dst, uint64_t now)
{
	uint64_t key = mac_key(dst);
	uint32_t i = mac_home(key), n;

	for (n = 0; n < MAC_PROBE; n++, i = (i + 1) & (MACS - 1))
		if (macs[i].key == key) {
			if (mac_live(&macs[i], now))
				return macs[i].port;
			st.mac_aged++;
			macs[i].key = 0;
			return -1;
		}
	return -1;
}

static void
send_burst(uint8_t port, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t sent = n > 0 ? rte_eth_tx_burst(ports[port], 0, pkts, n) : 0;

	if (sent < n) {
		st.tx_drop += n - sent;
		rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
	}
}

/* Pollux's transmit: out of the port its destination is on; both ports
 * for broadcasts and unknown destinations. */
static uint16_t
pipe_tx(void *ctx, struct rte_mbuf **pkts, uint16_t n)
{
	struct rte_mbuf *out[2][BURST], *cp;
	uint16_t k[2] = { 0, 0 }, i;
	uint64_t now = rte_rdtsc();
	int p;

	(void)ctx;
	for (i = 0; i < n; i++) {
		struct rte_ether_hdr *eh = rte_pktmbuf_mtod(pkts[i],
				struct rte_ether_hdr *);

		st.from_pollux++;
		p = lookup(&eh->dst_addr, now);
		if (p < 0) {
			/* Flood: a copy for east, the original for west. */
			cp = rte_pktmbuf_copy(pkts[i], pool, 0, UINT32_MAX);
			if (cp != NULL)
				out[1][k[1]++] = cp;
			else
				st.nombuf++;
			p = 0;
		}
		out[p][k[p]++] = pkts[i];
		if (k[0] >= BURST - 1 || k[1] >= BURST - 1) {
			send_burst(0, out[0], k[0]);
			send_burst(1, out[1], k[1]);
			k[0] = k[1] = 0;
		}
	}
	send_burst(0, out[0], k[0]);
	send_burst(1, out[1], k[1]);
	return n;
}

/* One port's burst: learn, forward, and collect Pollux's frames. */
static void
bridge(uint8_t in)
{
	struct rte_mbuf *pkts[BURST], *fwd[BURST], *mine[BURST], *cp;
	uint16_t n, i, nf = 0, nm = 0;
	uint8_t out = in ^ 1;
	uint64_t now;
	int p;

	n = rte_eth_rx_burst(ports[in], 0, pkts, BURST);
	if (n == 0)
		return;
	now = rte_rdtsc();
	st.rx[in] += n;
	for (i = 0; i < n; i++) {
		struct rte_ether_hdr *eh = rte_pktmbuf_mtod(pkts[i],
				struct rte_ether_hdr *);

		if (unlikely(pkts[i]->data_len < sizeof(*eh))) {
			st.runt++;
			rte_pktmbuf_free(pkts[i]);
			continue;
		}
		learn(&eh->src_addr, in, now);
		if (rte_is_same_ether_addr(&eh->dst_addr, &px_mac)) {
			mine[nm++] = pkts[i];
			continue;
		}
		if (!rte_is_unicast_ether_addr(&eh->dst_addr)) {
			/* Broadcast or multicast: Pollux gets a copy (ARP). */
			cp = rte_pktmbuf_copy(pkts[i], pool, 0, UINT32_MAX);
			if (cp != NULL)
				mine[nm++] = cp;
			else
				st.nombuf++;
			st.flood++;
			fwd[nf++] = pkts[i];
			continue;
		}
		p = lookup(&eh->dst_addr, now);
		if (p == in) {
			/* Both ends on the same side: not ours to forward. */
			st.filtered++;
			rte_pktmbuf_free(pkts[i]);
			continue;
		}
		fwd[nf++] = pkts[i];
	}
	st.fwd[in] += nf;
	send_burst(out, fwd, nf);
	if (nm > 0) {
		st.to_pollux += nm;
		px_netif_input(nif, mine, nm);
	}
}

/* ---- the TCP endpoint: an echo on the callback API ---- */

#define ECHO_CONNS 1024

/* Per connection: the segment that did not fit in the send buffer yet. */
struct echo_conn {
	struct rte_mbuf *held;
	struct echo_conn *next_free;
};

static struct echo_conn echo_slots[ECHO_CONNS];
static struct echo_conn *echo_free;

static const struct px_tcp_cbs echo_cbs;

static void
echo_release(struct echo_conn *e)
{
	rte_pktmbuf_free(e->held);
	e->held = NULL;
	e->next_free = echo_free;
	echo_free = e;
}

/* Move what was received to the send queue. A segment that finds the send
 * buffer full is held, and on_writable (which a full buffer arms) brings
 * us back; at the end of the stream, half-close. */
static void
echo_pump(struct px_tcp_conn *c, void *arg)
{
	struct echo_conn *e = arg;
	struct rte_mbuf *m;
	int ret;

	for (;;) {
		if (e->held != NULL) {
			m = e->held;
		} else if (px_tcp_recv_mbuf(c, &m, 0) != 0) {
			return;         /* nothing more to read now */
		} else if (m == NULL) {
			px_tcp_shutdown(c);
			return;
		}
		ret = px_tcp_send_mbuf(c, m, 0);
		if (ret == -EAGAIN) {
			e->held = m;    /* still ours: wait for room */
			return;
		}
		e->held = NULL;
		if (ret < 0) {          /* the stack freed it */
			echo_release(e); /* abort drops the callbacks */
			px_tcp_abort(c);
			return;
		}
	}
}

static int
echo_accept(struct px_tcp_conn *c, void *arg)
{
	struct echo_conn *e = echo_free;

	(void)arg;
	if (e == NULL) {
		px_tcp_abort(c);
		return -1;
	}
	echo_free = e->next_free;
	e->held = NULL;
	px_tcp_setopt(c, PX_TCP_OPT_NODELAY, 1);
	px_tcp_set_cbs(c, &echo_cbs, e);
	return 0;
}

static void
echo_close(struct px_tcp_conn *c, int status, void *arg)
{
	struct echo_conn *e = arg;

	(void)status;
	if (e != NULL)
		echo_release(e);
	px_tcp_close(c);
}

static const struct px_tcp_cbs echo_cbs = {
	.on_accept = echo_accept, .on_data = echo_pump,
	.on_writable = echo_pump, .on_close = echo_close,
};

/* ---- set-up ---- */

static int
port_init(uint16_t port)
{
	struct rte_eth_conf conf = { 0 };
	int ret;

	ret = rte_eth_dev_configure(port, 1, 1, &conf);
	if (ret == 0)
		ret = rte_eth_rx_queue_setup(port, 0, NB_DESC,
				rte_eth_dev_socket_id(port), NULL, pool);
	if (ret == 0)
		ret = rte_eth_tx_queue_setup(port, 0, NB_DESC,
				rte_eth_dev_socket_id(port), NULL);
	if (ret == 0)
		ret = rte_eth_dev_start(port);
	/* A bridge sees every frame on its wires. */
	if (ret == 0)
		ret = rte_eth_promiscuous_enable(port);
	return ret;
}

static int
parse_args(int argc, char **argv, struct px_inet_conf *ic, uint32_t *age_s)
{
	static const struct option longopts[] = {
		{ "ip", required_argument, NULL, 'i' },
		{ "mac-age", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (app_opt_cidr("pollux-pipeline", "ip", optarg, ic) != 0)
				return -1;
			break;
		case 'a':
			if (app_opt_u32("pollux-pipeline", "mac-age", optarg, 1,
					86400, age_s) != 0)
				return -1;
			break;
		case 'h':
			printf("usage: %s [EAL args, two ports] -- --ip A.B.C.D/N "
				"[--mac-age S]\n"
				"A learning L2 bridge between the first two DPDK ports,\n"
				"with a Pollux TCP echo on --ip port 7 inside it (its own\n"
				"MAC, 02:50:4f:4c:55:58). SIGINT/SIGTERM stop it: the\n"
				"endpoint drains for up to 2 s, then the counters and\n"
				"mbuf.leaked are printed (exit status 3 if not 0).\n"
				"  --mac-age S   forget a MAC not heard from for S\n"
				"                seconds (default %u)\n",
				argv[0], MAC_AGE_S);
			exit(0);
		default:
			return -1;
		}
	}
	if (ic->ip == 0) {
		fprintf(stderr, "pollux-pipeline: --ip A.B.C.D/N is required\n");
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const uint8_t mac[RTE_ETHER_ADDR_LEN] =
		{ 0x02, 0x50, 0x4f, 0x4c, 0x55, 0x58 };
	struct px_inet_conf ic = { 0 };
	struct px_tcp_listener *l = NULL;
	struct px_conf pc = { 0 };
	uint64_t deadline = 0, hz;
	uint32_t age_s = MAC_AGE_S;
	unsigned int leaked, n = 0;
	char ip[INET_ADDRSTRLEN];
	int i, ret, sep = argc;
	uint16_t pid;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			sep = i;
			break;
		}
	if (sep == argc) {
		fprintf(stderr, "pollux-pipeline: usage: [EAL args] -- --ip A.B.C.D/N\n");
		return 2;
	}
	argv[sep] = argv[0];
	ret = parse_args(argc - sep, argv + sep, &ic, &age_s);
	argv[sep] = (char *)(uintptr_t)"--";
	if (ret < 0)
		return 2;
	ret = px_init(sep, argv, &pc);
	if (ret < 0) {
		fprintf(stderr, "pollux-pipeline: runtime start failed: %s\n",
			strerror(-ret));
		return 1;
	}
	RTE_ETH_FOREACH_DEV(pid)
		if (n < 2)
			ports[n++] = pid;
	pool = rte_pktmbuf_pool_create("pipe_pool", NB_MBUFS, 256, 0,
			RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (n < 2 || pool == NULL) {
		fprintf(stderr, "pollux-pipeline: needs two DPDK ports (found %u) "
			"and a pool\n", n);
		rte_mempool_free(pool);
		px_fini(true);
		return 1;
	}
	for (i = ECHO_CONNS - 1; i >= 0; i--) {
		echo_slots[i].next_free = echo_free;
		echo_free = &echo_slots[i];
	}
	ret = port_init(ports[0]);
	if (ret == 0)
		ret = port_init(ports[1]);
	memcpy(px_mac.addr_bytes, mac, sizeof(mac));
	ic.mac = px_mac;
	if (ret == 0)
		ret = px_netif_create(&ic, pool, pipe_tx, NULL, &nif);
	if (ret == 0)
		ret = px_tcp_attach(nif, NULL);
	if (ret == 0)
		ret = px_tcp_listen_cb(nif, htons(7), 128, &echo_cbs, NULL, &l);
	if (ret < 0) {
		fprintf(stderr, "pollux-pipeline: set-up: %s\n", strerror(-ret));
		goto out;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	inet_ntop(AF_INET, &ic.ip, ip, sizeof(ip));
	printf("pollux-pipeline: ready mac=%02X:%02X:%02X:%02X:%02X:%02X ip=%s\n",
		mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], ip);
	fflush(stdout);
	hz = rte_get_tsc_hz();
	mac_age = (uint64_t)age_s * hz;
	/* The host program's loop. */
	for (;;) {
		bridge(0);
		bridge(1);
		px_netif_tick(nif, rte_rdtsc());
		px_lcore_poll();
		if (quit && deadline == 0) {
			/* Shutdown: no new connections; the open ones get 2 s. */
			px_tcp_listener_close(l);
			deadline = rte_rdtsc() + 2 * hz;
		}
		if (deadline != 0 && (px_tcp_open_count(nif) <= 0 ||
				rte_rdtsc() > deadline || quit > 1)) {
			px_tcp_reset_all(nif);
			/* A few more rounds so the resets go out. */
			for (deadline = rte_rdtsc() + hz / 100; rte_rdtsc() < deadline;)
				px_lcore_poll();
			break;
		}
	}
	printf("counters:\n"
		"pipe.rx_west=%" PRIu64 "\npipe.rx_east=%" PRIu64
		"\npipe.fwd_west_east=%" PRIu64 "\npipe.fwd_east_west=%" PRIu64
		"\npipe.flood=%" PRIu64 "\npipe.to_pollux=%" PRIu64
		"\npipe.from_pollux=%" PRIu64 "\npipe.filtered=%" PRIu64
		"\npipe.tx_drop=%" PRIu64 "\npipe.nombuf=%" PRIu64
		"\npipe.runt=%" PRIu64 "\npipe.mac_learned=%" PRIu64
		"\npipe.mac_aged=%" PRIu64 "\npipe.mac_evicted=%" PRIu64 "\n",
		st.rx[0], st.rx[1], st.fwd[0], st.fwd[1], st.flood, st.to_pollux,
		st.from_pollux, st.filtered, st.tx_drop, st.nombuf, st.runt,
		st.mac_learned, st.mac_aged, st.mac_evicted);
	px_tcp_stats_print(nif, stdout, false);
out:
	px_tcp_detach(nif);
	px_netif_free(nif);
	for (i = 0; i < (int)n; i++) {
		rte_eth_dev_stop(ports[i]);
		rte_eth_dev_close(ports[i]);
	}
	leaked = rte_mempool_in_use_count(pool);
	printf("mbuf.leaked=%u\n", leaked);
	fflush(stdout);
	rte_mempool_free(pool);
	px_fini(true);
	if (ret < 0)
		return 1;
	return leaked == 0 ? 0 : 3;
}
