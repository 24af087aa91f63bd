/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * pollux-proxy: an L4 TCP proxy. Listens on the front port, connects each
 * client to a backend (round-robin, or a hash of the client's address) on
 * the back port (or the front one), and relays both directions as mbufs:
 * what px_tcp_recv_mbuf() hands over goes to px_tcp_send_mbuf() as is. A
 * FIN is passed on as a FIN (half-close), a reset as a reset; a backend
 * that refuses or does not answer gets the client a reset. Each direction
 * parks while the other side's send buffer is full, so a slow reader
 * closes the fast writer's window instead of growing a queue: per
 * connection pair, at most the two send buffers and the two receive
 * windows are held. Usage: see --help.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mempool.h>

#include <px_counters.h>
#include <px_exec.h>
#include <px_task.h>
#include <px_tcp.h>

#include "ctl.h"
#include "net.h"
#include "opt.h"

#define MAX_BACKENDS 16
#define APP "pollux-proxy"

struct backend {
	uint32_t ip;    /* network order */
	uint16_t port;  /* network order */
};

struct proxy_opts {
	struct px_inet_conf front, back;
	int have_front, have_back;
	uint16_t listen_port;            /* network order */
	struct backend be[MAX_BACKENDS];
	unsigned int n_be;
	int hash;                        /* balance by client address */
	uint32_t max_conns;
	uint32_t connect_ms, backlog;
	struct px_tcp_conf tcp;
	struct app_common co;            /* idle, mbufs, queues, faults, ... */
};

/* Per lcore, written by that lcore only. */
struct proxy_stats {
	uint64_t accepted, rejected_limit, backend_fail, sessions_done;
	uint64_t bytes_c2b, bytes_b2c, fin_c2b, fin_b2c, rst_c2b, rst_b2c;
	uint64_t active;
} __rte_cache_aligned;

static const char *const stat_names[] = {
	"accepted", "rejected_limit", "backend_fail", "sessions_done",
	"bytes_c2b", "bytes_b2c", "fin_c2b", "fin_b2c", "rst_c2b", "rst_b2c",
	"active",
};

static struct proxy_opts opts;
static struct app_net front, back;
static struct px_netif *back_nif;    /* back.nif, or front.nif */
static struct px_tcp_listener *listener;
static struct proxy_stats stats[PX_MAX_LCORES];
static uint32_t active_total;        /* all lcores: atomic */
static uint32_t rr_next;             /* atomic */
static const struct px_task_opts detached = { .flags = PX_TASK_F_DETACHED };

static void
usage(const char *prog)
{
	printf("usage: %s [EAL args] -- --ip A.B.C.D/N --listen PORT --backend IP:PORT\n"
		"          [--backend IP:PORT ...] [options]\n"
		"  --ip A.B.C.D/N       the front port's (first DPDK port) address (required)\n"
		"  --gw A.B.C.D         the front's default gateway\n"
		"  --back-ip A.B.C.D/N  backends on a second DPDK port with this address\n"
		"                       (default: through the front port)\n"
		"  --back-gw A.B.C.D    the back port's default gateway\n"
		"  --listen PORT        the TCP port clients connect to (required)\n"
		"  --backend IP:PORT    a backend; repeat for several (up to %d)\n"
		"  --balance rr|hash    round-robin (default) or a hash of the client's\n"
		"                       address (a client sticks to one backend)\n"
		"  --max-conns N        client connections at once; more are reset\n"
		"                       (default 10000)\n"
		"  --connect-ms N       backend connect timeout (default 3000)\n"
		"  --backlog N          accept queue per lcore (default 1024)\n"
		"  --tcp-max-conns N    TCP connection blocks per port (default 4096 + 2x\n"
		"                       --max-conns)\n"
		"  --tcp-bufs BYTES     send and receive buffer per connection (default\n"
		"                       262144): what one direction may hold\n"
		"  --drain-ms N         on SIGINT/SIGTERM stop accepting and give open\n"
		"                       connections N ms before resetting them (3000)\n"
		"  --mbufs N            mbufs per port's pool (default 65535)\n"
		"  --queues N           queue pairs per port (default: one per lcore;\n"
		"                       match a net_memif peer's count)\n"
		"  --idle MODE          busy | adaptive (default busy)\n"
		"  --fault-rx SPEC      inject faults on both ports' receive (see pollux-echo)\n"
		"  --fault-tx SPEC      the same on transmit\n"
		"  --fault-seed N       seed of the fault PRNG (default: fixed)\n"
		"  --pcap FILE          capture the front port's traffic (pcapng)\n"
		"  --verbose            pollux.* log types at debug\n"
		"  --help               this text\n"
		"SIGINT/SIGTERM drain and stop, SIGUSR1 prints the counters, SIGUSR2 the\n"
		"tasks. Counters at exit (proxy.*, then each port's tcp.*), then\n"
		"mbuf.leaked (exit status 3 if not 0).\n"
		"Example: %s --no-pci -l 0 --vdev=net_tap0,iface=pxf --vdev=net_tap1,iface=pxb \\\n"
		"           -- --ip 10.1.0.1/24 --back-ip 10.2.0.1/24 --listen 80 \\\n"
		"           --backend 10.2.0.2:8080 --backend 10.2.0.3:8080\n",
		prog, MAX_BACKENDS, prog);
}

static int
parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ip", required_argument, NULL, 'i' },
		{ "gw", required_argument, NULL, 'g' },
		{ "back-ip", required_argument, NULL, 'I' },
		{ "back-gw", required_argument, NULL, 'G' },
		{ "listen", required_argument, NULL, 'l' },
		{ "backend", required_argument, NULL, 'b' },
		{ "balance", required_argument, NULL, 'B' },
		{ "max-conns", required_argument, NULL, 'm' },
		{ "connect-ms", required_argument, NULL, 'c' },
		{ "backlog", required_argument, NULL, 'k' },
		{ "tcp-max-conns", required_argument, NULL, 'X' },
		{ "tcp-bufs", required_argument, NULL, 'F' },
		APP_OPTS_PORT,
		APP_OPTS_FAULT,
		APP_OPTS_DRAIN,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint32_t u;
	int c;

	opts.max_conns = 10000;
	opts.connect_ms = 3000;
	opts.co.drain_ms = 3000;
	opts.backlog = 1024;
	opts.co.mbufs = 65535;
	opts.co.idle = PX_IDLE_BUSY;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
		case 'I':
			if (app_opt_cidr(APP, c == 'i' ? "ip" : "back-ip", optarg,
					c == 'i' ? &opts.front : &opts.back) != 0)
				return -1;
			*(c == 'i' ? &opts.have_front : &opts.have_back) = 1;
			break;
		case 'g':
		case 'G':
			if (app_opt_ip(APP, c == 'g' ? "gw" : "back-gw", optarg,
					&(c == 'g' ? &opts.front : &opts.back)->gw) != 0)
				return -1;
			break;
		case 'l':
			if (app_opt_u32(APP, "listen", optarg, 1, 65535, &u) != 0)
				return -1;
			opts.listen_port = htons((uint16_t)u);
			break;
		case 'b':
			if (opts.n_be == MAX_BACKENDS) {
				fprintf(stderr, "pollux-proxy: at most %d backends\n",
					MAX_BACKENDS);
				return -1;
			}
			if (app_opt_ipport(APP, "backend", optarg,
					&opts.be[opts.n_be].ip,
					&opts.be[opts.n_be].port) != 0)
				return -1;
			opts.n_be++;
			break;
		case 'B':
			if (strcmp(optarg, "rr") == 0)
				opts.hash = 0;
			else if (strcmp(optarg, "hash") == 0)
				opts.hash = 1;
			else {
				fprintf(stderr, "pollux-proxy: --balance takes rr or hash\n");
				return -1;
			}
			break;
		case 'm':
			if (app_opt_u32(APP, "max-conns", optarg, 1, 1000000, &opts.max_conns) != 0)
				return -1;
			break;
		case 'c':
			if (app_opt_u32(APP, "connect-ms", optarg, 1, 600000, &opts.connect_ms) != 0)
				return -1;
			break;
		case 'k':
			if (app_opt_u32(APP, "backlog", optarg, 1, 65535, &opts.backlog) != 0)
				return -1;
			break;
		case 'X':
			if (app_opt_u32(APP, "tcp-max-conns", optarg, 16, 4000000,
					&opts.tcp.max_conns) != 0)
				return -1;
			break;
		case 'F':
			if (app_opt_u32(APP, "tcp-bufs", optarg, 2048, 16 << 20, &u) != 0)
				return -1;
			opts.tcp.sndbuf = opts.tcp.rcvbuf = u;
			break;
		default:
			if (app_opt_common(APP, c, optarg, &opts.co, usage,
					argv[0]) != 0)
				return -1;
		}
	}
	if (app_opt_end(APP, argc, argv) != 0)
		return -1;
	if (!opts.have_front || opts.listen_port == 0 || opts.n_be == 0) {
		fprintf(stderr, "pollux-proxy: --ip, --listen and at least one "
			"--backend are required\n");
		return -1;
	}
	if (opts.tcp.max_conns == 0)
		opts.tcp.max_conns = 4096 + 2 * opts.max_conns;
	return 0;
}

/* ---- relaying ---- */

struct session {
	struct px_tcp_conn *client, *server;
	struct proxy_stats *st;
};

/* One direction: src's data to dst as mbufs, then src's FIN as a FIN or
 * its reset as a reset. fin/rst/bytes: that direction's counters. */
static void
relay(struct px_tcp_conn *src, struct px_tcp_conn *dst, uint64_t *bytes,
		uint64_t *fin, uint64_t *rst)
{
	struct rte_mbuf *m;
	uint32_t len;
	int ret;

	for (;;) {
		ret = px_tcp_recv_mbuf(src, &m, PX_TIMEOUT_INF);
		if (ret == 0 && m == NULL) {
			/* Half-close: the other direction goes on. */
			if (px_tcp_shutdown(dst) == 0)
				(*fin)++;
			return;
		}
		if (ret < 0) {
			/* src was reset (or aborted locally): so is dst. */
			px_tcp_reset(dst);
			(*rst)++;
			return;
		}
		len = m->pkt_len;
		/* Parks while dst's send buffer is full: back-pressure. */
		ret = px_tcp_send_mbuf(dst, m, PX_TIMEOUT_INF);
		if (ret < 0) {
			if (ret == -EAGAIN || ret == -ETIMEDOUT)
				rte_pktmbuf_free(m);
			/* dst is gone: tell src. */
			px_tcp_reset(src);
			(*rst)++;
			return;
		}
		*bytes += len;
	}
}

static void *
relay_b2c(void *arg)
{
	struct session *s = arg;

	relay(s->server, s->client, &s->st->bytes_b2c, &s->st->fin_b2c,
		&s->st->rst_b2c);
	return NULL;
}

static const struct backend *
pick_backend(struct px_tcp_conn *c)
{
	struct px_tcp_info ci;
	uint32_t k;

	if (opts.hash && px_tcp_info(c, &ci) == 0)
		k = rte_hash_crc_4byte(ci.raddr, 0x5eed) % opts.n_be;
	else
		k = __atomic_fetch_add(&rr_next, 1, __ATOMIC_RELAXED) % opts.n_be;
	return &opts.be[k];
}

static void *
session(void *arg)
{
	struct session s = { .client = arg };
	const struct backend *be = pick_backend(s.client);
	struct px_task *b2c;
	int ret;

	s.st = &stats[px_exec_index_self()];
	ret = px_tcp_connect(back_nif, be->ip, be->port,
			(uint64_t)opts.connect_ms * 1000000, &s.server);
	if (ret < 0) {
		/* Refused or unreachable: the client gets a clean reset. */
		s.st->backend_fail++;
		px_tcp_abort(s.client);
		goto out;
	}
	px_tcp_setopt(s.server, PX_TCP_OPT_NODELAY, 1);
	if (px_spawn(relay_b2c, &s, NULL, &b2c) != 0) {
		px_tcp_abort(s.server);
		px_tcp_abort(s.client);
		goto out;
	}
	relay(s.client, s.server, &s.st->bytes_c2b, &s.st->fin_c2b,
		&s.st->rst_c2b);
	px_task_join(b2c, NULL, PX_TIMEOUT_INF);
	/* Both directions ended: FINs were passed on (close finishes the
	 * exchange in the background) or resets were. */
	px_tcp_close(s.client);
	px_tcp_close(s.server);
	s.st->sessions_done++;
out:
	s.st->active--;
	__atomic_fetch_sub(&active_total, 1, __ATOMIC_RELAXED);
	return NULL;
}

static void *
acceptor(void *arg)
{
	struct proxy_stats *st = &stats[px_exec_index_self()];
	struct px_tcp_conn *c;

	(void)arg;
	while (px_tcp_accept(listener, &c, PX_TIMEOUT_INF) == 0) {
		if (__atomic_add_fetch(&active_total, 1, __ATOMIC_RELAXED) >
				opts.max_conns) {
			__atomic_fetch_sub(&active_total, 1, __ATOMIC_RELAXED);
			st->rejected_limit++;
			px_tcp_abort(c);
			continue;
		}
		st->accepted++;
		st->active++;
		px_tcp_setopt(c, PX_TCP_OPT_NODELAY, 1);
		if (px_spawn(session, c, &detached, NULL) != 0) {
			st->active--;
			__atomic_fetch_sub(&active_total, 1, __ATOMIC_RELAXED);
			px_tcp_abort(c);
		}
	}
	return NULL;
}

/* ---- counters ---- */

/* An interface's TCP counters as "<side>.tcp.name=value". */
static void
tcp_stats(FILE *f, const char *side, const struct px_netif *nif)
{
	struct px_tcp_stats s;
	const char *const *names;
	char prefix[16];
	unsigned int n;

	px_tcp_stats(nif, &s);
	names = px_tcp_stats_names(&n);
	snprintf(prefix, sizeof(prefix), "%s.tcp", side);
	px_counters_print(f, prefix, names, (const uint64_t *)&s, n, false, NULL);
}

static void
print_stats(FILE *f)
{
	struct proxy_stats sum = { 0 };
	struct px_port_stats ps;
	unsigned int i;

	for (i = 0; i < px_exec_count(); i++)
		px_counters_add((uint64_t *)&sum, (const uint64_t *)&stats[i],
				RTE_DIM(stat_names));
	px_counters_print(f, "proxy", stat_names, (const uint64_t *)&sum,
			RTE_DIM(stat_names), false, NULL);
	px_port_stats_get(front.port, &ps);
	fprintf(f, "front.port_rx=%" PRIu64 "\nfront.port_tx=%" PRIu64
		"\nfront.port_tx_drop=%" PRIu64 "\nfront.mbuf_in_use=%u\n",
		ps.rx, ps.tx, ps.tx_drop,
		rte_mempool_in_use_count(px_port_mempool(front.port)));
	if (back.port != NULL) {
		px_port_stats_get(back.port, &ps);
		fprintf(f, "back.port_rx=%" PRIu64 "\nback.port_tx=%" PRIu64
			"\nback.port_tx_drop=%" PRIu64 "\nback.mbuf_in_use=%u\n",
			ps.rx, ps.tx, ps.tx_drop,
			rte_mempool_in_use_count(px_port_mempool(back.port)));
	}
	tcp_stats(f, "front", front.nif);
	if (back.nif != NULL)
		tcp_stats(f, "back", back.nif);
	fflush(f);
}

static void *
dump_stats(void *arg)
{
	(void)arg;
	printf("counters:\n");
	print_stats(stdout);
	return NULL;
}

static void *
lcore_start(void *arg)
{
	(void)arg;
	return px_spawn(acceptor, NULL, &detached, NULL) == 0 ? NULL :
		(void *)(intptr_t)-EAGAIN;
}

static void *
main_task(void *arg)
{
	struct px_netif *nifs[2] = { front.nif, back.nif };
	char ip[INET_ADDRSTRLEN];
	struct rte_ether_addr mac;
	int ret;

	(void)arg;
	ret = px_tcp_listen(front.nif, opts.listen_port, opts.backlog, &listener);
	if (ret < 0) {
		fprintf(stderr, "pollux-proxy: listen on %u: %s\n",
			ntohs(opts.listen_port), strerror(-ret));
		return (void *)1;
	}
	if (app_on_lcores(lcore_start, NULL) != 0) {
		fprintf(stderr, "pollux-proxy: cannot start the acceptors\n");
		return (void *)1;
	}
	px_netif_announce(front.nif);
	if (back.nif != NULL)
		px_netif_announce(back.nif);
	px_port_mac(front.port, &mac);
	inet_ntop(AF_INET, &opts.front.ip, ip, sizeof(ip));
	printf("pollux-proxy: ready mac=%02X:%02X:%02X:%02X:%02X:%02X ip=%s\n",
		mac.addr_bytes[0], mac.addr_bytes[1], mac.addr_bytes[2],
		mac.addr_bytes[3], mac.addr_bytes[4], mac.addr_bytes[5], ip);
	fflush(stdout);
	app_wait_quit(NULL, dump_stats);
	px_tcp_listener_close(listener);
	app_drain(APP, nifs, back.nif != NULL ? 2 : 1, opts.co.drain_ms);
	return NULL;
}

int
main(int argc, char **argv)
{
	static const struct app_start start = { .app = APP, .parse = parse_args,
		.usage = usage, .idle = &opts.co.idle, .verbose = &opts.co.verbose };
	struct app_net_conf fc = { .app = APP }, bc;
	unsigned int leaked;
	void *res = NULL;
	int ret, n = 0;
	uint16_t pid, ports[2];

	ret = app_start(argc, argv, &start);
	if (ret != 0)
		return ret;
	RTE_ETH_FOREACH_DEV(pid)
		if (n < 2)
			ports[n++] = pid;
	if (n < (opts.have_back ? 2 : 1)) {
		fprintf(stderr, "pollux-proxy: needs %d DPDK port(s), found %d\n",
			opts.have_back ? 2 : 1, n);
		px_fini(true);
		return 1;
	}
	fc.port_id = ports[0];
	fc.inet = opts.front;
	fc.mbufs = opts.co.mbufs;
	fc.queues = (uint16_t)opts.co.queues;
	fc.tcp = &opts.tcp;
	fc.pcap = opts.co.pcap;
	fc.fault_rx = opts.co.have_fault_rx ? &opts.co.fault_rx : NULL;
	fc.fault_tx = opts.co.have_fault_tx ? &opts.co.fault_tx : NULL;
	bc = fc;
	bc.pcap = NULL;
	ret = app_net_open(&fc, &front);
	if (ret == 0 && opts.have_back) {
		bc.port_id = ports[1];
		bc.inet = opts.back;
		ret = app_net_open(&bc, &back);
		if (ret < 0)
			app_net_close(&front);
	}
	if (ret < 0) {
		px_fini(true);
		return 1;
	}
	opts.front = fc.inet;
	back_nif = opts.have_back ? back.nif : front.nif;
	app_signals();
	ret = px_run(main_task, NULL, &res);
	printf("counters:\n");
	print_stats(stdout);
	/* Back connections may hold front mbufs (and the other way round):
	 * free every connection before counting either pool. */
	px_tcp_detach(front.nif);
	px_tcp_detach(back.nif);
	leaked = app_net_close(&front);
	if (back.port != NULL)
		leaked += app_net_close(&back);
	px_fini(true);
	if (leaked != 0) {
		fprintf(stderr, "pollux-proxy: %u mbuf(s) leaked\n", leaked);
		return 3;
	}
	return ret == 0 && res == NULL ? 0 : 1;
}
