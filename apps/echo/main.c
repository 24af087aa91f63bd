/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * pollux-echo: answers ARP and ping, echoes UDP and TCP (echo, sockperf,
 * discard, chargen), or runs as a UDP or TCP client, on a DPDK port. This
 * file runs the services; options.c parses the command line and config
 * file, client.c is the UDP client, tcp_echo.c the TCP side. Usage:
 * pollux-echo [EAL args] -- [options]; see --help.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mempool.h>

#include <px_counters.h>
#include <px_exec.h>
#include <px_inet.h>
#include <px_port.h>
#include <px_task.h>
#include <px_tcp.h>

#include "ctl.h"
#include "echo.h"
#include "net.h"
#include "opt.h"
#include "tcp_echo.h"


struct echo_opts opts;
static struct px_port *port;
struct px_netif *nif;
/* UDP sockets per executor: each lcore echoes the flows it owns. */
static struct px_udp_sock *socks[PX_MAX_LCORES][MAX_UDP_PORTS];

static void
on_udp(struct px_udp_sock *s, struct rte_mbuf *m, const struct px_udp_addr *from,
		void *arg)
{
	(void)arg;
	/* Zero copy: the same mbuf goes back, its checksum reused. */
	px_udp_echo_mbuf(s, m, from);
}

/* Port, pool and fault counters, then the stack's; the same set in text
 * (at exit) and JSON (the stats file). */
static void
print_stats(FILE *f, int json)
{
	static const char *const mbuf_names[] = { "in_use", "size" };
	static const char *const lcore_names[] = {
		"eth_rx", "udp_delivered", "icmp_echo_replies", "steer_in",
		"steer_out", "tcp_active_opens", "tcp_passive_opens",
		"tcp_bytes_in", "busy_ns", "idle_ns",
	};
	struct rte_mempool *mp = px_port_mempool(port);
	uint64_t mb[2] = { rte_mempool_in_use_count(mp), mp->size };
	struct px_fault_stats fs[2];
	struct px_port_stats ps;
	const char *const *names;
	bool first = true;
	unsigned int n, k, lcore;

	px_port_stats_get(port, &ps);
	px_port_fault_stats(port, &fs[0], &fs[1]);
	if (json)
		fputc('{', f);
	names = px_port_stats_names(&n);
	px_counters_print(f, "port", names, (const uint64_t *)&ps, n, json, &first);
	px_counters_print(f, "mbuf", mbuf_names, mb, 2, json, &first);
	names = px_fault_stats_names(&n);
	px_counters_print(f, "fault_rx", names, (const uint64_t *)&fs[0], n,
			json, &first);
	px_counters_print(f, "fault_tx", names, (const uint64_t *)&fs[1], n,
			json, &first);
	/* Per executor, by lcore id ("lcore0", "lcore1", ...): where flows
	 * were delivered and handed over. */
	for (k = 0; k < px_exec_count(); k++) {
		struct px_inet_stats st;
		struct px_tcp_stats ts;
		struct px_exec_stats es;
		uint64_t v[RTE_DIM(lcore_names)];
		char b[16];

		lcore = (unsigned int)px_exec_lcore(k);
		px_netif_stats_lcore(nif, lcore, &st);
		px_tcp_stats_lcore(nif, lcore, &ts);
		v[0] = st.eth_rx;
		v[1] = st.udp_delivered;
		v[2] = st.icmp_echo_replies;
		v[3] = st.steer_in;
		v[4] = st.steer_out;
		v[5] = ts.active_opens;
		v[6] = ts.passive_opens;
		v[7] = ts.bytes_in;
		/* The loop's time in iterations that did work, and idle: what
		 * a busy-polling core really spent (bench/compare's bulk). */
		if (px_exec_stats_get(lcore, &es) < 0)
			memset(&es, 0, sizeof(es));
		v[8] = px_cycles_to_ns(es.busy_cycles);
		v[9] = px_cycles_to_ns(es.idle_cycles);
		snprintf(b, sizeof(b), "lcore%u", lcore);
		px_counters_print(f, b, lcore_names, v, RTE_DIM(v), json, &first);
	}
	if (json)
		fputs(", ", f);
	px_netif_stats_print(nif, f, json);
	if (json)
		fputs(", ", f);
	px_tcp_stats_print(nif, f, json);
	if (json)
		fputs("}\n", f);
}

/* Runs on the blocking pool: file I/O stays off the lcore. */
static void *
write_stats(void *arg)
{
	char tmp[4096];
	FILE *f;

	(void)arg;
	snprintf(tmp, sizeof(tmp), "%s.tmp", opts.stats_file);
	f = fopen(tmp, "w");
	if (f == NULL)
		return (void *)1;
	print_stats(f, 1);
	if (fclose(f) != 0 || rename(tmp, opts.stats_file) != 0)
		return (void *)1;
	return NULL;
}

/* Runs on each lcore: bind (arg 0) or close (arg 1) its sockets. */
static void *
lcore_socks(void *arg)
{
	int idx = px_exec_index_self();
	unsigned int k;
	int ret;

	if (arg == NULL && opts.tcp_server.ip == 0) {
		ret = echo_tcp_lcore_start();
		if (ret < 0)
			return (void *)(intptr_t)ret;
	}
	for (k = 0; k < opts.n_udp; k++) {
		if (arg != NULL) {
			px_udp_close(socks[idx][k]);
			continue;
		}
		ret = px_udp_bind_cb(nif, opts.udp_ports[k], on_udp, NULL,
				&socks[idx][k]);
		if (ret < 0)
			return (void *)(intptr_t)ret;
	}
	return NULL;
}

/* Bind (arg NULL) or close (arg 1) the sockets on every executor. */
static int
all_lcores(void *arg)
{
	return app_on_lcores(lcore_socks, arg);
}

/* Graceful shutdown: no new connections, the open ones get --drain-ms to
 * close, then a RST each; the UDP sockets close. */
static void
shutdown_gracefully(void)
{
	echo_tcp_stop();
	app_drain(APP, &nif, 1, opts.co.drain_ms);
	all_lcores((void *)1);
}

/* Every 100 ms: the stats file, from the blocking pool. */
static void
stats_tick(void)
{
	if (opts.stats_file != NULL)
		px_spawn_blocking(write_stats, NULL, NULL);
}

/* Runs on an lcore: its TCP connections, one line each. */
static void
dump_conns(void *arg)
{
	(void)arg;
	px_tcp_dump(nif, stdout);
}

/* SIGUSR1: the counters, then each lcore's connections, on stdout, from
 * the blocking pool. */
static void *
dump_stats(void *arg)
{
	unsigned int k;

	(void)arg;
	printf("counters:\n");
	print_stats(stdout, 0);
	printf("connections:\n");
	fflush(stdout);
	for (k = 0; k < px_exec_count(); k++)
		if (px_exec_call((unsigned int)px_exec_lcore(k), dump_conns,
				NULL, 200 * 1000 * 1000) != 0)
			printf("lcore%d: not answering\n", px_exec_lcore(k));
	fflush(stdout);
	return NULL;
}

static void *
main_task(void *arg)
{
	char ip[INET_ADDRSTRLEN];
	struct rte_ether_addr mac;
	char macs[RTE_ETHER_ADDR_FMT_SIZE];
	int ret;

	(void)arg;
	if (opts.tcp_server.ip == 0) {
		ret = echo_tcp_listen(nif, &opts.tcp);
		if (ret < 0) {
			fprintf(stderr, "pollux-echo: TCP listen: %s\n", strerror(-ret));
			return (void *)1;
		}
	}
	ret = all_lcores(NULL);
	if (ret < 0) {
		fprintf(stderr, "pollux-echo: UDP bind: %s\n", strerror(-ret));
		return (void *)1;
	}
	ret = px_netif_announce(nif);
	if (ret < 0)
		fprintf(stderr, "pollux-echo: gratuitous ARP: %s\n", strerror(-ret));
	px_port_mac(port, &mac);
	rte_ether_format_addr(macs, sizeof(macs), &mac);
	inet_ntop(AF_INET, &opts.inet.ip, ip, sizeof(ip));
	printf("pollux-echo: ready mac=%s ip=%s\n", macs, ip);
	fflush(stdout);
	if (opts.server.ip != 0) {
		ret = echo_udp_client();
		all_lcores((void *)1);
		return ret == 0 ? NULL : (void *)1;
	}
	if (opts.tcp_server.ip != 0) {
		if (opts.tcp_mode == ECHO_TCP_CLIENT_SEND)
			ret = echo_tcp_send(nif, opts.tcp_server.ip,
					opts.tcp_server.port, opts.client_ms);
		else if (opts.tcp_mode != ECHO_TCP_CLIENT_STREAM)
			ret = echo_tcp_rr(nif, opts.tcp_server.ip,
					opts.tcp_server.port, opts.size,
					opts.tcp_conns, opts.client_ms,
					opts.tcp_mode == ECHO_TCP_CLIENT_CRR);
		else
			ret = echo_tcp_client(nif, opts.tcp_server.ip,
					opts.tcp_server.port, opts.bytes,
					opts.client_ms, opts.tcp_conns);
		all_lcores((void *)1);
		return ret == 0 ? NULL : (void *)1;
	}
	app_wait_quit(stats_tick, dump_stats);
	shutdown_gracefully();
	return NULL;
}

int
main(int argc, char **argv)
{
	static const struct app_start start = { .app = APP, .parse = echo_parse_args,
		.usage = echo_usage, .idle = &opts.co.idle, .verbose = &opts.co.verbose };
	void *res = NULL;
	struct app_net net;
	unsigned int leaked;
	int ret;

	ret = app_start(argc, argv, &start);
	if (ret != 0)
		return ret;
	{
		struct app_net_conf nc = {
			.app = "pollux-echo", .inet = opts.inet,
			.have_mac = opts.have_mac, .mbufs = opts.co.mbufs,
			.queues = (uint16_t)opts.co.queues,
			.tcp = &opts.tcp_conf, .pcap = opts.co.pcap,
			.fault_rx = opts.co.have_fault_rx ? &opts.co.fault_rx : NULL,
			.fault_tx = opts.co.have_fault_tx ? &opts.co.fault_tx : NULL,
		};

		ret = app_first_port("pollux-echo", &nc.port_id);
		if (ret == 0)
			ret = app_net_open(&nc, &net);
		if (ret < 0) {
			px_fini(true);
			return 1;
		}
		opts.inet = nc.inet;
		port = net.port;
		nif = net.nif;
	}
	app_signals();
	ret = px_run(main_task, NULL, &res);
	printf("counters:\n");
	print_stats(stdout, 0);
	/* The last stats file holds the final counters. */
	if (opts.stats_file != NULL && write_stats(NULL) != NULL)
		fprintf(stderr, "pollux-echo: cannot write %s\n", opts.stats_file);
	leaked = app_net_close(&net);
	if (leaked != 0)
		fprintf(stderr, "pollux-echo: %u mbuf(s) leaked\n", leaked);
	px_fini(true);
	if (leaked != 0)
		return 3;
	return ret == 0 && res == NULL ? 0 : 1;
}
