/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/* pollux-echo's command line and --config file. */

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <px_exec.h>
#include <px_inet.h>
#include <px_tcp.h>

#include "echo.h"
#include "opt.h"

/* Long-only options of pollux-echo: getopt codes past the common ones
 * (apps/common/opt.h), which share the range above every letter. */
enum {
	ECHO_OPT_NO_RACK = APP_OPT_APP,
	ECHO_OPT_FASTOPEN,
	ECHO_OPT_NO_GRO,
};

void
echo_usage(const char *prog)
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
		"  --ecn               explicit congestion notification (RFC 3168):\n"
		"                      ask for it and agree to it (default: off)\n"
		"  --fastopen          TCP Fast Open for the servers (RFC 7413)\n"
		"  --no-rack           no RACK loss detection (RFC 8985 6): the\n"
		"                      RFC 6675 scoreboard, probes and the RTO only\n"
		"  --no-gro            no receive coalescing: each segment goes\n"
		"                      through TCP on its own\n"
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
		"                      print a report and exit (1 if an echo differed, or\n"
		"                      on an ICMP error such as port unreachable)\n"
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
		{ "tx-zc", required_argument, NULL, 'U' },
		{ "cc", required_argument, NULL, 'G' },
		{ "synack-retries", required_argument, NULL, 'Y' },
		{ "no-syncookies", no_argument, NULL, 'J' },
		{ "no-sack", no_argument, NULL, 'Q' },
		{ "ecn", no_argument, NULL, 'V' },
		{ "no-rack", no_argument, NULL, ECHO_OPT_NO_RACK },
		{ "fastopen", no_argument, NULL, ECHO_OPT_FASTOPEN },
		{ "no-gro", no_argument, NULL, ECHO_OPT_NO_GRO },
		{ "tcp-client", required_argument, NULL, 'k' },
		{ "tcp-rr", required_argument, NULL, 'E' },
		{ "tcp-crr", required_argument, NULL, 'A' },
		{ "tcp-send", required_argument, NULL, 'D' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "conns", required_argument, NULL, 'K' },
		APP_OPTS_PORT,
		APP_OPTS_FAULT,
		APP_OPTS_DRAIN,
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
			else
				opts.tcp_conf.synack_retries = (uint32_t)v;
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
		case 'V':
			opts.tcp_conf.flags |= PX_TCP_CONF_F_ECN;
			break;
		case ECHO_OPT_NO_RACK:
			opts.tcp_conf.flags |= PX_TCP_CONF_F_NO_RACK;
			break;
		case ECHO_OPT_FASTOPEN:
			opts.tcp_conf.flags |= PX_TCP_CONF_F_FASTOPEN;
			break;
		case ECHO_OPT_NO_GRO:
			opts.tcp_conf.flags |= PX_TCP_CONF_F_NO_GRO;
			break;
		case 'J':
			opts.tcp_conf.flags |= PX_TCP_CONF_F_NO_SYNCOOKIES;
			break;
		case 'A':
		case 'D':
		case 'E':
			opts.tcp_mode = c == 'A' ? ECHO_TCP_CLIENT_CRR :
				c == 'D' ? ECHO_TCP_CLIENT_SEND : ECHO_TCP_CLIENT_RR;
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
		default:
			if (app_opt_common(APP, c, optarg, &opts.co, echo_usage,
					argv[0]) != 0)
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

int
echo_parse_args(int argc, char **argv)
{
	int i;

	opts.udp_ports[0] = htons(7);
	opts.n_udp = 1;
	opts.count = 1000;
	opts.size = 64;
	opts.window = 32;
	opts.client_ms = 10000;
	opts.co.idle = PX_IDLE_BUSY;
	opts.tcp.ports[ECHO_TCP_ECHO][0] = htons(7);
	opts.tcp.ports[ECHO_TCP_SOCKPERF][0] = htons(11111);
	opts.tcp.ports[ECHO_TCP_DISCARD][0] = htons(9);
	opts.tcp.ports[ECHO_TCP_CHARGEN][0] = htons(19);
	opts.tcp.n_ports[0] = opts.tcp.n_ports[1] = opts.tcp.n_ports[2] =
		opts.tcp.n_ports[3] = 1;
	opts.bytes = 1 << 20;
	opts.co.mbufs = 32767;
	opts.co.drain_ms = 3000;
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
