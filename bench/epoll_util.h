/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#ifndef _PX_EPOLL_UTIL_H_
#define _PX_EPOLL_UTIL_H_

/* What the epoll baselines (px-epoll-echo, px-epoll-proxy) share: bytes
 * waiting to go out on a non-blocking socket. */

#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

struct pending {
	char *buf;
	size_t off, len;
};

/* Write what waits in p on fd: 1 all out, 0 not yet (EAGAIN), -1 error. */
static inline int
pending_flush(int fd, struct pending *p)
{
	ssize_t n;

	while (p->off < p->len) {
		n = write(fd, p->buf + p->off, p->len - p->off);
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		p->off += (size_t)n;
	}
	p->off = p->len = 0;
	return 1;
}

/* A non-blocking listener on *port* (any address), registered for EPOLLIN
 * in a new epoll instance (*ep*); SIGTERM and SIGINT set *stop*; prints
 * "<name>: ready". Returns the listening fd, or -1 (with perror). */
static inline int
listen_ready(const char *name, const char *port, int *ep,
		void (*on_signal)(int))
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct epoll_event ev = { .events = EPOLLIN };
	int lfd, one = 1;

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_port = htons((uint16_t)atoi(port));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
			listen(lfd, 1024) < 0) {
		perror(name);
		return -1;
	}
	*ep = epoll_create1(0);
	ev.data.fd = lfd;
	epoll_ctl(*ep, EPOLL_CTL_ADD, lfd, &ev);
	printf("%s: ready\n", name);
	fflush(stdout);
	return lfd;
}

#endif /* _PX_EPOLL_UTIL_H_ */
