/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#ifndef _TCP_ECHO_H_
#define _TCP_ECHO_H_

#include <stdint.h>

#include <px_inet.h>

#define ECHO_TCP_MAX_PORTS 8

enum echo_tcp_svc {
	ECHO_TCP_ECHO,      /* bytes back as they came */
	ECHO_TCP_SOCKPERF,  /* sockperf sr's replies */
	ECHO_TCP_DISCARD,   /* bulk sink */
	ECHO_TCP_CHARGEN,   /* bulk source */
	ECHO_TCP_SVC_MAX,
};

struct echo_tcp_opts {
	uint16_t ports[ECHO_TCP_SVC_MAX][ECHO_TCP_MAX_PORTS]; /* network order */
	unsigned int n_ports[ECHO_TCP_SVC_MAX];
	uint32_t backlog;
	int nodelay;
};

/* Listen on every configured port (main task, once). */
int echo_tcp_listen(struct px_netif *nif, const struct echo_tcp_opts *o);
/* Start this lcore's acceptor tasks. */
int echo_tcp_lcore_start(void);
/* Close the listeners. */
void echo_tcp_stop(void);
/* Stream bytes of a pattern to an echo server over conns connections
 * (spread round robin over the lcores, each opened by its own lcore) and
 * check what returns; prints a report line. 0 if every byte came back. */
int echo_tcp_client(struct px_netif *nif, uint32_t ip, uint16_t port,
		uint64_t bytes, uint64_t timeout_ms, unsigned int conns);
/* Closed-loop request-response in conns parallel loops for ms
 * milliseconds: each writes size bytes, reads them back and times the
 * round trip, on one connection, or (crr) on a new connection per
 * request, connect and close included; prints the rate and latency
 * percentiles. 0, or -EIO if a connection failed or an echo differed. */
int echo_tcp_rr(struct px_netif *nif, uint32_t ip, uint16_t port,
		uint32_t size, unsigned int conns, uint64_t ms, int crr);
/* Bulk: one connection writes as fast as it can for ms milliseconds
 * (to a discard server), then half-closes and waits for the peer's
 * close; prints the goodput after a tenth of warm-up. */
int echo_tcp_send(struct px_netif *nif, uint32_t ip, uint16_t port,
		uint64_t ms);

#endif /* _TCP_ECHO_H_ */
