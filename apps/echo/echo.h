/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#ifndef _ECHO_H_
#define _ECHO_H_

/* pollux-echo's pieces: the options (options.c), the UDP client
 * (client.c), the services and main (main.c). */

#include <stdint.h>

#include <px_exec.h>
#include <px_fault.h>
#include <px_inet.h>
#include <px_tcp.h>

#include "opt.h"
#include "tcp_echo.h"

#define APP "pollux-echo"
#define MAX_UDP_PORTS 16

/* What --tcp-client, --tcp-rr, --tcp-crr and --tcp-send run. */
enum echo_tcp_client {
	ECHO_TCP_CLIENT_STREAM = 0, /* --tcp-client: bytes through the echo */
	ECHO_TCP_CLIENT_RR,         /* --tcp-rr: request/response, kept open */
	ECHO_TCP_CLIENT_CRR,        /* --tcp-crr: connect, one exchange, close */
	ECHO_TCP_CLIENT_SEND,       /* --tcp-send: one-way bulk */
};

struct echo_opts {
	struct px_inet_conf inet;
	uint16_t udp_ports[MAX_UDP_PORTS];
	unsigned int n_udp;
	const char *stats_file;
	struct app_common co;       /* idle, mbufs, queues, faults, pcap, ... */
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
	uint32_t tcp_conns;
	enum echo_tcp_client tcp_mode; /* with tcp_server */
};

extern struct echo_opts opts;
extern struct px_netif *nif;

/* options.c: the defaults, then --config files, then the command line;
 * 0, or -1 after a message. */
int echo_parse_args(int argc, char **argv);
void echo_usage(const char *prog);

/* client.c: --client, a window of numbered datagrams to an echo server,
 * every echo checked; 0, or -errno. */
int echo_udp_client(void);

#endif /* _ECHO_H_ */
