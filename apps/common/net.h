/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#ifndef _APP_NET_H_
#define _APP_NET_H_

/*
 * What every Pollux app does with a DPDK port: the port layer, an IPv4
 * interface with TCP on it, optional capture and fault injection; and at
 * the end, the teardown that tells whether any mbuf leaked.
 */

#include <stdint.h>
#include <stdio.h>

#include <px_fault.h>
#include <px_inet.h>
#include <px_port.h>
#include <px_tcp.h>

struct app_net_conf {
	const char *app;                 /* name for messages */
	uint16_t port_id;
	struct px_inet_conf inet;        /* mac: the port's unless have_mac;
	                                    offloads: the port's, tx_zc the
	                                    policy (px_port_attach()) */
	int have_mac;
	uint32_t mbufs;                  /* 0: the port layer's default */
	uint16_t queues;                 /* queue pairs; 0: one per lcore */
	const struct px_tcp_conf *tcp;   /* NULL: TCP defaults */
	const char *pcap;                /* capture file or NULL */
	const struct px_fault_conf *fault_rx, *fault_tx; /* NULL: none */
	FILE *log;                       /* the port line and mbuf.leaked;
	                                    NULL: stdout */
};

struct app_net {
	struct px_port *port;
	struct px_netif *nif;
	FILE *log;
};

/* The first DPDK port, or -ENODEV with a hint on stderr. */
int app_first_port(const char *app, uint16_t *port_id);

/* Create, configure and start the port and its interface (after px_init();
 * before px_run()). Prints one line on what the port offloads. On error
 * prints why, frees what it made and returns a negative errno. */
int app_net_open(struct app_net_conf *c, struct app_net *n);

/* After px_run(): free the interface and close the port, then count the
 * pool's mbufs still in use (a leak), print "mbuf.leaked=N", free the
 * port. Returns N. */
unsigned int app_net_close(struct app_net *n);

#endif /* _APP_NET_H_ */
