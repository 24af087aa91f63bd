/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * pollux-echo: answers ARP and ping, and echoes UDP datagrams, on a DPDK
 * port. Usage: pollux-echo [EAL args] -- [options]; see --help.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
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
#include "net.h"
#include "opt.h"
#include "tcp_echo.h"

#define MAX_UDP_PORTS 16
#define APP "pollux-echo"

struct echo_opts {
	struct px_inet_conf inet;
	uint16_t udp_ports[MAX_UDP_PORTS];
	unsigned int n_udp;
	const char *stats_file;
	enum px_idle_policy idle;
	struct px_fault_conf fault_rx, fault_tx;
	int have_fault_rx, have_fault_tx;
	/* client mode: send numbered datagrams to an echo server, check the
	 * echoes, report, exit */
	struct px_udp_addr server;
	uint32_t count, size, window, client_ms;
	int have_ip, have_mac;
	struct echo_tcp_opts tcp;
	struct px_tcp_conf tcp_conf;
	/* TCP client mode */
	struct px_udp_addr tcp_server;
	uint64_t bytes;
	uint32_t mbufs, queues;
	uint32_t tcp_conns;
	int tcp_rr;
	uint32_t drain_ms;  /* shutdown: how long connections get to close */
	const char *pcap;   /* capture file, or NULL */
	int verbose;        /* pollux.* log types at debug */
};

static struct echo_opts opts;
static struct px_port *port;
static struct px_netif *nif;
/* UDP sockets per executor: each lcore echoes the flows it owns. */
static struct px_udp_sock *socks[PX_MAX_LCORES][MAX_UDP_PORTS];

static void
usage(const char *prog)
{
	printf("usage: %s [EAL args] -- --ip A.B.C.D/PREFIX [options]\n"
		"  --ip A.B.C.D/N      the port's address and prefix (required)\n"
		"  --gw A.B.C.D        default gateway (default: none)\n"
		"  --mac MAC           set the port's MAC (default: the port's own)\n"
		"  --config FILE       read options from FILE first: one 'key = value'\n"
		"                      per line (option names without --), # comments\n"
		"  --udp P[,P...]      UDP ports to echo (default: 7)\n"
		"  --tcp P[,P...]      TCP echo ports, one task per connection (default: 7)\n"
		"  --sockperf P[,P...] TCP ports answering sockperf pp/tp/ul (default: 11111)\n"
		"  --discard P[,P...]  TCP bulk sink ports (default: 9)\n"
		"  --chargen P[,P...]  TCP bulk source ports (default: 19)\n"
		"  --nodelay           disable Nagle on accepted connections\n"
		"  --backlog N         accept queue per lcore (default 128)\n"
		"  --tcp-max-conns N   TCP connection blocks (default 4096)\n"
		"  --tcp-bufs BYTES    default send and receive buffer (default 262144)\n"
		"  --rto-min-us N      minimum retransmission timeout (default 5000)\n"
		"  --msl-ms N          maximum segment lifetime; TIME_WAIT is 2x (30000)\n"
		"  --synack-retries N  SYN-ACK resends before a half-open connection\n"
		"                      is dropped (default 5)\n"
		"  --no-syncookies     drop SYNs past the half-open limit (default:\n"
		"                      answer them with SYN cookies)\n"
		"  --cc NAME           congestion control: cubic (default) or newreno\n"
		"  --no-sack           neither offer nor accept SACK (RFC 2018)\n"
		"  --mbufs N           mbufs in the port's pool (default 32767)\n"
		"  --queues N          port queue pairs (default: one per lcore;\n"
		"                      match a net_memif peer's count)\n"
		"  --tx-zc MODE        TCP payloads sent as references to the send\n"
		"                      buffer, not copies: auto (where the port\n"
		"                      offloads checksums and takes chains), on, off\n"
		"  --stats-file PATH   rewrite PATH with JSON counters every 100 ms\n"
		"  --drain-ms N        on SIGINT/SIGTERM stop accepting and give open\n"
		"                      TCP connections N ms to close before resetting\n"
		"                      them (default 3000; a second signal cuts it short)\n"
		"  --pcap FILE         write the port's traffic, both ways, to FILE\n"
		"                      (pcapng, for tshark/Wireshark)\n"
		"  --verbose           pollux.* log types at debug (default: notice;\n"
		"                      or EAL --log-level=pollux.tcp:debug for one)\n"
		"  --idle MODE         busy | adaptive (default: busy)\n"
		"  --fault-rx SPEC     inject faults on receive, e.g.\n"
		"                      drop=1%%,dup=0.5%%,corrupt=0.1%%,reorder=10%%,delay=25ms,hold=1ms\n"
		"  --fault-tx SPEC     the same on transmit\n"
		"  --fault-seed N      seed of the fault PRNG (default: fixed)\n"
		"client mode (instead of serving):\n"
		"  --client IP:PORT    send --count datagrams of --size bytes to an echo\n"
		"                      server, --window in flight, check every echo,\n"
		"                      print a report and exit (1 if an echo differed)\n"
		"  --count N           datagrams (default 1000)\n"
		"  --size N            payload bytes, 16..65000 (default 64)\n"
		"  --window N          datagrams in flight (default 32)\n"
		"  --client-ms N       give up after N ms (default 10000)\n"
		"  --tcp-client IP:PORT  stream --bytes of a pattern to a TCP echo server,\n"
		"                      check every byte returned, report and exit\n"
		"  --bytes N           bytes for --tcp-client (default 1048576)\n"
		"  --conns N           --tcp-client/--tcp-rr connections, spread over the\n"
		"                      lcores (1)\n"
		"  --tcp-rr IP:PORT    closed-loop request-response to a TCP echo server:\n"
		"                      each connection writes --size bytes and reads them\n"
		"                      back, for --client-ms; prints the rate and the\n"
		"                      round-trip percentiles (the first tenth is warm-up)\n"
		"  --tcp-crr IP:PORT   the same with a new connection per request\n"
		"                      (connect, request, response, close)\n"
		"  --tcp-send IP:PORT  bulk: one connection writes as fast as it can to\n"
		"                      a discard server for --client-ms; prints goodput\n"
		"  --help              this text\n"
		"The first DPDK port is used, e.g. --vdev=net_tap0,iface=px0.\n"
		"SIGINT/SIGTERM stop it gracefully; SIGUSR1 prints the counters, SIGUSR2\n"
		"the live tasks per lcore (also /pollux/tasks in telemetry); counters\n"
		"are printed at exit, with mbuf.leaked (exit status 3 if not 0).\n"
		"Example: %s --no-pci -l 0 --vdev=net_tap0,iface=px0 -- --ip 10.0.0.2/24\n",
		prog, prog);
}

static int
parse_opts(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ip", required_argument, NULL, 'i' },
		{ "gw", required_argument, NULL, 'g' },
		{ "udp", required_argument, NULL, 'u' },
		{ "stats-file", required_argument, NULL, 's' },
		{ "idle", required_argument, NULL, 'I' },
		{ "fault-rx", required_argument, NULL, 'R' },
		{ "fault-tx", required_argument, NULL, 'T' },
		{ "fault-seed", required_argument, NULL, 'S' },
		{ "client", required_argument, NULL, 'c' },
		{ "count", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 'z' },
		{ "window", required_argument, NULL, 'w' },
		{ "client-ms", required_argument, NULL, 'm' },
		{ "mac", required_argument, NULL, 'M' },
		{ "config", required_argument, NULL, 'C' },
		{ "tcp", required_argument, NULL, 1000 + ECHO_TCP_ECHO },
		{ "sockperf", required_argument, NULL, 1000 + ECHO_TCP_SOCKPERF },
		{ "discard", required_argument, NULL, 1000 + ECHO_TCP_DISCARD },
		{ "chargen", required_argument, NULL, 1000 + ECHO_TCP_CHARGEN },
		{ "nodelay", no_argument, NULL, 'N' },
		{ "backlog", required_argument, NULL, 'B' },
		{ "tcp-max-conns", required_argument, NULL, 'X' },
		{ "tcp-bufs", required_argument, NULL, 'F' },
		{ "rto-min-us", required_argument, NULL, 'r' },
		{ "msl-ms", required_argument, NULL, 'L' },
		{ "mbufs", required_argument, NULL, 'P' },
		{ "queues", required_argument, NULL, 'O' },
		{ "tx-zc", required_argument, NULL, 'U' },
		{ "cc", required_argument, NULL, 'G' },
		{ "synack-retries", required_argument, NULL, 'Y' },
		{ "no-syncookies", no_argument, NULL, 'J' },
		{ "no-sack", no_argument, NULL, 'Q' },
		{ "tcp-client", required_argument, NULL, 'k' },
		{ "tcp-rr", required_argument, NULL, 'E' },
		{ "tcp-crr", required_argument, NULL, 'A' },
		{ "tcp-send", required_argument, NULL, 'D' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "conns", required_argument, NULL, 'K' },
		{ "drain-ms", required_argument, NULL, 2000 },
		{ "verbose", no_argument, NULL, 2001 },
		{ "pcap", required_argument, NULL, 2002 },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char buf[64], *tok, *save, *end;
	unsigned long v;
	int c;

	optind = 1;
	opterr = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (app_opt_cidr(APP, "ip", optarg, &opts.inet) != 0)
				return -1;
			opts.have_ip = 1;
			break;
		case 'M':
			if (app_opt_mac(APP, optarg, &opts.inet.mac) != 0)
				return -1;
			opts.have_mac = 1;
			break;
		case 'C':
			break; /* read before the command line: parse_args() */
		case 'g':
			if (app_opt_ip(APP, "gw", optarg, &opts.inet.gw) != 0)
				return -1;
			break;
		case 'u':
			opts.n_udp = 0;
			if (strcmp(optarg, "off") == 0)
				break;
			snprintf(buf, sizeof(buf), "%s", optarg);
			for (tok = strtok_r(buf, ",", &save); tok != NULL;
					tok = strtok_r(NULL, ",", &save)) {
				v = strtoul(tok, &end, 10);
				if (*end != '\0' || v == 0 || v > 65535 ||
						opts.n_udp == MAX_UDP_PORTS) {
					fprintf(stderr, "pollux-echo: bad --udp port '%s'\n", tok);
					return -1;
				}
				opts.udp_ports[opts.n_udp++] = htons((uint16_t)v);
			}
			break;
		case 1000 + ECHO_TCP_ECHO:
		case 1000 + ECHO_TCP_SOCKPERF:
		case 1000 + ECHO_TCP_DISCARD:
		case 1000 + ECHO_TCP_CHARGEN: {
			unsigned int svc = (unsigned int)c - 1000;

			opts.tcp.n_ports[svc] = 0;
			snprintf(buf, sizeof(buf), "%s", optarg);
			if (strcmp(buf, "off") == 0)
				break;
			for (tok = strtok_r(buf, ",", &save); tok != NULL;
					tok = strtok_r(NULL, ",", &save)) {
				v = strtoul(tok, &end, 10);
				if (*end != '\0' || v == 0 || v > 65535 ||
						opts.tcp.n_ports[svc] == ECHO_TCP_MAX_PORTS) {
					fprintf(stderr, "pollux-echo: bad TCP port '%s' "
						"(1..65535, or off)\n", tok);
					return -1;
				}
				opts.tcp.ports[svc][opts.tcp.n_ports[svc]++] =
					htons((uint16_t)v);
			}
			break;
		}
		case 'N':
			opts.tcp.nodelay = 1;
			break;
		case 'B':
		case 'X':
		case 'F':
		case 'r':
		case 'L':
		case 'Y':
		case 'P':
		case 'K':
			v = strtoul(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || v == 0 || v > (1ul << 24)) {
				fprintf(stderr, "pollux-echo: bad value '%s'\n", optarg);
				return -1;
			}
			if (c == 'B')
				opts.tcp.backlog = (uint32_t)v;
			else if (c == 'X')
				opts.tcp_conf.max_conns = (uint32_t)v;
			else if (c == 'F')
				opts.tcp_conf.sndbuf = opts.tcp_conf.rcvbuf = (uint32_t)v;
			else if (c == 'r')
				opts.tcp_conf.rto_min_us = (uint32_t)v;
			else if (c == 'L')
				opts.tcp_conf.msl_ms = (uint32_t)v;
			else if (c == 'K')
				opts.tcp_conns = (uint32_t)v;
			else if (c == 'Y')
				opts.tcp_conf.synack_retries = (uint32_t)v;
			else
				opts.mbufs = (uint32_t)v;
			break;
		case 'O':
			if (app_opt_u32(APP, "queues", optarg, 1, PX_MAX_LCORES,
					&opts.queues) != 0)
				return -1;
			break;
		case 'U':
			if (strcmp(optarg, "auto") == 0) {
				opts.inet.tx_zc = PX_INET_TX_ZC_AUTO;
			} else if (strcmp(optarg, "on") == 0) {
				opts.inet.tx_zc = PX_INET_TX_ZC_ON;
			} else if (strcmp(optarg, "off") == 0) {
				opts.inet.tx_zc = PX_INET_TX_ZC_OFF;
			} else {
				fprintf(stderr, "pollux-echo: --tx-zc takes auto, on "
					"or off\n");
				return -1;
			}
			break;
		case 'G':
			if (strcmp(optarg, "cubic") == 0) {
				opts.tcp_conf.cc = PX_TCP_CC_CUBIC;
			} else if (strcmp(optarg, "newreno") == 0) {
				opts.tcp_conf.cc = PX_TCP_CC_NEWRENO;
			} else {
				fprintf(stderr, "pollux-echo: --cc takes cubic or newreno\n");
				return -1;
			}
			break;
		case 'Q':
			opts.tcp_conf.flags |= PX_TCP_CONF_F_NO_SACK;
			break;
		case 'J':
			opts.tcp_conf.flags |= PX_TCP_CONF_F_NO_SYNCOOKIES;
			break;
		case 'A':
		case 'D':
		case 'E':
			opts.tcp_rr = c == 'A' ? 2 : c == 'D' ? 3 : 1;
			/* fall through */
		case 'k':
			if (app_opt_ipport(APP, "tcp-client/--tcp-rr", optarg,
					&opts.tcp_server.ip, &opts.tcp_server.port) != 0)
				return -1;
			break;
		case 'b':
			opts.bytes = strtoull(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || opts.bytes == 0) {
				fprintf(stderr, "pollux-echo: bad --bytes '%s'\n", optarg);
				return -1;
			}
			break;
		case 's':
			opts.stats_file = optarg;
			break;
		case 'I':
			if (app_opt_idle(APP, optarg, &opts.idle) != 0)
				return -1;
			break;
		case 'R':
		case 'T':
			if (app_opt_fault(APP, c == 'R' ? "fault-rx" : "fault-tx",
					optarg, c == 'R' ? &opts.fault_rx :
					&opts.fault_tx) != 0)
				return -1;
			if (c == 'R')
				opts.have_fault_rx = 1;
			else
				opts.have_fault_tx = 1;
			break;
		case 'S':
			if (app_opt_fault_seed(APP, optarg, &opts.fault_rx,
					&opts.fault_tx) != 0)
				return -1;
			break;
		case 'c':
			if (app_opt_ipport(APP, "client", optarg, &opts.server.ip,
					&opts.server.port) != 0)
				return -1;
			break;
		case 'n':
		case 'z':
		case 'w':
		case 'm':
			v = strtoul(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || v == 0 || v > UINT32_MAX ||
					(c == 'z' && (v < 16 || v > 65000))) {
				fprintf(stderr, "pollux-echo: bad value '%s'\n", optarg);
				return -1;
			}
			*(c == 'n' ? &opts.count : c == 'z' ? &opts.size :
				c == 'w' ? &opts.window : &opts.client_ms) = (uint32_t)v;
			break;
		case 2000:
			v = strtoul(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || v > 3600000) {
				fprintf(stderr, "pollux-echo: bad --drain-ms '%s' "
					"(0..3600000)\n", optarg);
				return -1;
			}
			opts.drain_ms = (uint32_t)v;
			break;
		case 2001:
			opts.verbose = 1;
			break;
		case 2002:
			opts.pcap = optarg;
			break;
		case 'h':
			usage(argv[0]);
			exit(0);
		default:
			usage(argv[0]);
			return -1;
		}
	}
	if (app_opt_end(APP, argc, argv) != 0)
		return -1;
	return 0;
}

/* A config file: one "key = value" per line (the long options without
 * their dashes), '#' comments. Each line is checked on its own so an
 * error names its line. */
static int
parse_config(const char *prog, const char *path)
{
	char line[512], arg[600], *k, *v, *e;
	char *av[3];
	FILE *f = fopen(path, "r");
	int lineno = 0;

	if (f == NULL) {
		fprintf(stderr, "pollux-echo: --config %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		k = line + strspn(line, " \t");
		k[strcspn(k, "#\r\n")] = '\0';
		if (*k == '\0')
			continue;
		v = strchr(k, '=');
		if (v == NULL) {
			fprintf(stderr, "pollux-echo: %s:%d: expected key = value\n",
				path, lineno);
			goto err;
		}
		*v++ = '\0';
		for (e = k + strlen(k); e > k && (e[-1] == ' ' || e[-1] == '\t'); e--)
			*(e - 1) = '\0';
		v += strspn(v, " \t");
		for (e = v + strlen(v); e > v && (e[-1] == ' ' || e[-1] == '\t'); e--)
			*(e - 1) = '\0';
		if (strcmp(k, "config") == 0 || strcmp(k, "help") == 0 || *v == '\0') {
			fprintf(stderr, "pollux-echo: %s:%d: '%s' needs a value and "
				"cannot be config or help\n", path, lineno, k);
			goto err;
		}
		snprintf(arg, sizeof(arg), "--%s=%s", k, v);
		av[0] = (char *)(uintptr_t)prog;
		av[1] = arg;
		av[2] = NULL;
		if (parse_opts(2, av) != 0) {
			fprintf(stderr, "pollux-echo: %s:%d: in '%s = %s'\n", path,
				lineno, k, v);
			goto err;
		}
	}
	fclose(f);
	return 0;
err:
	fclose(f);
	return -1;
}

static int
parse_args(int argc, char **argv)
{
	int i;

	opts.udp_ports[0] = htons(7);
	opts.n_udp = 1;
	opts.count = 1000;
	opts.size = 64;
	opts.window = 32;
	opts.client_ms = 10000;
	opts.idle = PX_IDLE_BUSY;
	opts.tcp.ports[ECHO_TCP_ECHO][0] = htons(7);
	opts.tcp.ports[ECHO_TCP_SOCKPERF][0] = htons(11111);
	opts.tcp.ports[ECHO_TCP_DISCARD][0] = htons(9);
	opts.tcp.ports[ECHO_TCP_CHARGEN][0] = htons(19);
	opts.tcp.n_ports[0] = opts.tcp.n_ports[1] = opts.tcp.n_ports[2] =
		opts.tcp.n_ports[3] = 1;
	opts.bytes = 1 << 20;
	opts.mbufs = 32767;
	opts.drain_ms = 3000;
	/* The file first, so the command line overrides it. */
	for (i = 1; i < argc; i++) {
		const char *file = NULL;

		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			file = argv[i + 1];
		else if (strncmp(argv[i], "--config=", 9) == 0)
			file = argv[i] + 9;
		if (file != NULL && parse_config(argv[0], file) != 0)
			return -1;
	}
	if (parse_opts(argc, argv) != 0)
		return -1;
	if (!opts.have_ip) {
		fprintf(stderr, "pollux-echo: --ip A.B.C.D/PREFIX is required "
			"(command line or --config file)\n");
		return -1;
	}
	return 0;
}

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
		"tcp_bytes_in",
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

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Byte i of datagram seq's payload past its 16-byte header. */
static uint8_t
pattern(uint64_t seq, uint32_t i)
{
	return (uint8_t)(seq * 31 + i * 7);
}

/* Client mode: a window of numbered datagrams, every echo checked. */
static int
run_client(void)
{
	static uint8_t buf[65536], rbuf[65536];
	uint64_t *rtt, sent = 0, uniq = 0, dups = 0, bad = 0, written_off = 0;
	uint64_t seq, t0, tsc, deadline;
	unsigned int self = (unsigned int)px_exec_index_self();
	struct px_udp_addr from;
	struct px_udp_sock *s = NULL;
	uint8_t *got;
	uint32_t i, cand;
	double secs;
	ssize_t n;

	/* A source port whose replies the steering brings to this lcore. */
	for (cand = 49152; cand < 65536; cand++)
		if (px_flow_owner(opts.server.ip, opts.inet.ip, opts.server.port,
				htons((uint16_t)cand), px_exec_count()) == self &&
				px_udp_open(nif, htons((uint16_t)cand), 4096, &s) == 0)
			break;
	if (s == NULL)
		return -EADDRINUSE;
	rtt = calloc(opts.count, sizeof(*rtt));
	got = calloc(opts.count, 1);
	if (rtt == NULL || got == NULL) {
		free(rtt);
		free(got);
		px_udp_close(s);
		return -ENOMEM;
	}
	t0 = rte_rdtsc();
	deadline = t0 + rte_get_tsc_hz() / 1000 * opts.client_ms;
	while (uniq < opts.count && rte_rdtsc() < deadline) {
		while (sent < opts.count && sent - uniq - written_off < opts.window) {
			tsc = rte_rdtsc();
			memcpy(buf, &sent, 8);
			memcpy(buf + 8, &tsc, 8);
			for (i = 16; i < opts.size; i++)
				buf[i] = pattern(sent, i);
			if (px_udp_sendto(s, buf, opts.size, &opts.server) < 0) {
				px_sleep_ns(100000); /* no mbuf: let tx drain */
				break;
			}
			sent++;
		}
		n = px_udp_recvfrom(s, rbuf, sizeof(rbuf), &from, 20000000);
		if (n == -ETIMEDOUT) {
			/* Quiet for 20 ms: what is in flight is lost (a late
			 * echo still counts); the window opens again. */
			written_off = sent - uniq;
			if (sent == opts.count)
				break;
			continue;
		}
		if (n < 0)
			break;
		memcpy(&seq, rbuf, 8);
		memcpy(&tsc, rbuf + 8, 8);
		if ((uint32_t)n != opts.size || seq >= sent) {
			bad++;
			continue;
		}
		for (i = 16; i < opts.size; i++)
			if (rbuf[i] != pattern(seq, i))
				break;
		if (i < opts.size) {
			bad++;
			continue;
		}
		if (got[seq]) {
			dups++;
			continue;
		}
		got[seq] = 1;
		rtt[uniq++] = rte_rdtsc() - tsc;
		if (written_off > sent - uniq)
			written_off = sent - uniq;
	}
	secs = (double)(rte_rdtsc() - t0) / rte_get_tsc_hz();
	qsort(rtt, uniq, sizeof(*rtt), cmp_u64);
	printf("client: sent=%lu received=%lu lost=%lu duplicates=%lu mismatched=%lu "
		"rtt_p50_us=%.1f rtt_p99_us=%.1f pps=%.0f\n",
		(unsigned long)sent, (unsigned long)uniq,
		(unsigned long)(sent - uniq), (unsigned long)dups, (unsigned long)bad,
		uniq ? px_cycles_to_ns(rtt[uniq / 2]) / 1000.0 : 0.0,
		uniq ? px_cycles_to_ns(rtt[uniq * 99 / 100]) / 1000.0 : 0.0,
		secs > 0 ? (double)uniq / secs : 0.0);
	fflush(stdout);
	free(rtt);
	free(got);
	px_udp_close(s);
	return bad == 0 ? 0 : -EIO;
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
	app_drain(APP, &nif, 1, opts.drain_ms);
	all_lcores((void *)1);
}

/* Every 100 ms: the stats file, from the blocking pool. */
static void
stats_tick(void)
{
	if (opts.stats_file != NULL)
		px_spawn_blocking(write_stats, NULL, NULL);
}

/* SIGUSR1: the counters on stdout, from the blocking pool. */
static void *
dump_stats(void *arg)
{
	(void)arg;
	printf("counters:\n");
	print_stats(stdout, 0);
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
		ret = run_client();
		all_lcores((void *)1);
		return ret == 0 ? NULL : (void *)1;
	}
	if (opts.tcp_server.ip != 0) {
		if (opts.tcp_rr == 3)
			ret = echo_tcp_send(nif, opts.tcp_server.ip,
					opts.tcp_server.port, opts.client_ms);
		else if (opts.tcp_rr)
			ret = echo_tcp_rr(nif, opts.tcp_server.ip,
					opts.tcp_server.port, opts.size,
					opts.tcp_conns, opts.client_ms,
					opts.tcp_rr == 2);
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
	static const struct app_start start = { .app = APP, .parse = parse_args,
		.usage = usage, .idle = &opts.idle, .verbose = &opts.verbose };
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
			.have_mac = opts.have_mac, .mbufs = opts.mbufs,
			.queues = (uint16_t)opts.queues,
			.tcp = &opts.tcp_conf, .pcap = opts.pcap,
			.fault_rx = opts.have_fault_rx ? &opts.fault_rx : NULL,
			.fault_tx = opts.have_fault_tx ? &opts.fault_tx : NULL,
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
