/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#ifndef _APP_LOAD_H_
#define _APP_LOAD_H_

/*
 * Request-response load against an echo server, run on Pollux itself:
 * N connections (TCP) or sockets (UDP) spread over the executors, each
 * sending size-byte requests and timing the response with the TSC into a
 * histogram. Closed loop: one request in flight per connection. Open
 * loop: requests leave on a schedule (fixed interval or Poisson) whether
 * or not the answers came back, and each latency is measured from the
 * scheduled time, so a stalled server is not hidden (no coordinated
 * omission).
 */

#include <stdint.h>

#include <px_inet.h>

#include "hist.h"

enum load_proto { LOAD_TCP, LOAD_UDP };

struct load_conf {
	struct px_netif *nif;
	uint32_t local_ip;      /* nif's address, network order (UDP steering) */
	uint32_t ip;            /* server, network order */
	uint16_t port;          /* network order */
	enum load_proto proto;
	int crr;                /* TCP closed loop: connect, request, close */
	uint32_t size;          /* request and response bytes (UDP: >= 16) */
	unsigned int conns;
	double rate;            /* open loop: requests/s in all; 0: closed */
	int poisson;            /* open loop: exponential gaps */
	uint64_t warm_ms;       /* not counted */
	uint64_t run_ms;        /* counted */
	int progress;           /* a line on stderr every second */
};

struct load_result {
	struct hist hist;       /* latency of every counted response */
	uint64_t msgs;          /* responses counted */
	uint64_t sent;          /* requests sent in the counted window */
	uint64_t lost;          /* counted requests never answered */
	uint64_t skipped;       /* open loop: sends dropped, 1024 already in flight */
	uint64_t mismatched;    /* responses that differed from the request */
	uint64_t errors;        /* connections or sockets that failed */
	double secs;            /* the counted window */
};

/* Run the load from a task (it parks until done); fills *r*. Returns 0,
 * or -EINVAL (bad configuration), -ENOMEM, or -EIO when a connection
 * failed, a response differed or nothing was answered. */
int load_run(const struct load_conf *c, struct load_result *r);

#endif /* _APP_LOAD_H_ */
