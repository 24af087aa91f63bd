/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * The Linux baseline of `bench/compare proxy`: a single-threaded epoll TCP
 * proxy as a careful C programmer writes one (non-blocking sockets,
 * level-triggered epoll, TCP_NODELAY both sides; read from one side and
 * write to the other; what does not fit waits for EPOLLOUT and the source
 * is not read meanwhile, so memory stays bounded).
 *
 * usage: px-epoll-proxy LISTEN_PORT BACKEND_PORT (backend on 127.0.0.1)
 * SIGTERM or SIGINT stop it; it then prints its CPU time (user + system,
 * seconds) and the bytes it relayed.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "epoll_util.h"

#define MAXFD 65536
#define BUF 65536

struct side {
	int peer;               /* the other end, -1 when closed */
	struct pending out;     /* bytes waiting to go out on this fd */
};

static volatile sig_atomic_t stop;
static struct side sides[MAXFD];

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
watch(int ep, int fd, uint32_t events, int op)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	epoll_ctl(ep, op, fd, &ev);
}

static void
drop(int ep, int fd)
{
	int peer = sides[fd].peer;

	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	sides[fd].peer = -1;
	sides[fd].out.off = sides[fd].out.len = 0;
	if (peer >= 0) {
		epoll_ctl(ep, EPOLL_CTL_DEL, peer, NULL);
		close(peer);
		sides[peer].peer = -1;
		sides[peer].out.off = sides[peer].out.len = 0;
	}
}

static int
connect_backend(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	/* Blocking connect on loopback: immediate, and the benchmark keeps
	 * its connections. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || fd >= MAXFD) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

int
main(int argc, char **argv)
{
	struct epoll_event evs[256];
	unsigned long long bytes = 0;
	struct rusage ru;
	int lfd, ep, one = 1, i, n, fd, cfd, bfd, peer, r;
	char *buf = malloc(BUF);
	uint16_t bport;
	ssize_t got, w;

	if (argc != 3 || buf == NULL) {
		fprintf(stderr, "usage: px-epoll-proxy LISTEN_PORT BACKEND_PORT\n");
		return 2;
	}
	bport = (uint16_t)atoi(argv[2]);
	for (i = 0; i < MAXFD; i++)
		sides[i].peer = -1;
	lfd = listen_ready("px-epoll-proxy", argv[1], &ep, on_signal);
	if (lfd < 0)
		return 1;
	while (!stop) {
		n = epoll_wait(ep, evs, 256, 100);
		for (i = 0; i < n; i++) {
			fd = evs[i].data.fd;
			if (fd == lfd) {
				while ((cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					bfd = cfd < MAXFD ? connect_backend(bport) : -1;
					if (bfd < 0) {
						close(cfd);
						continue;
					}
					setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one,
						sizeof(one));
					fcntl(bfd, F_SETFL, fcntl(bfd, F_GETFL) | O_NONBLOCK);
					sides[cfd].peer = bfd;
					sides[bfd].peer = cfd;
					watch(ep, cfd, EPOLLIN, EPOLL_CTL_ADD);
					watch(ep, bfd, EPOLLIN, EPOLL_CTL_ADD);
				}
				continue;
			}
			peer = sides[fd].peer;
			if (peer < 0)
				continue;
			if (evs[i].events & EPOLLOUT) {
				r = pending_flush(fd, &sides[fd].out);
				if (r < 0) {
					drop(ep, fd);
				} else if (r > 0) {
					/* Drained: read the source again. */
					watch(ep, fd, EPOLLIN, EPOLL_CTL_MOD);
					watch(ep, peer, EPOLLIN, EPOLL_CTL_MOD);
				}
				continue;
			}
			got = read(fd, buf, BUF);
			if (got < 0 && errno == EAGAIN)
				continue;
			if (got <= 0) {
				drop(ep, fd);
				continue;
			}
			bytes += (unsigned long long)got;
			w = write(peer, buf, (size_t)got);
			if (w == got)
				continue;
			if (w < 0 && errno != EAGAIN) {
				drop(ep, fd);
				continue;
			}
			/* The rest waits on peer; fd is not read meanwhile. */
			w = w < 0 ? 0 : w;
			if (sides[peer].out.buf == NULL &&
					(sides[peer].out.buf = malloc(BUF)) == NULL) {
				drop(ep, fd);
				continue;
			}
			memcpy(sides[peer].out.buf, buf + w, (size_t)(got - w));
			sides[peer].out.off = 0;
			sides[peer].out.len = (size_t)(got - w);
			watch(ep, peer, EPOLLOUT, EPOLL_CTL_MOD);
			watch(ep, fd, 0, EPOLL_CTL_MOD);
		}
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("px-epoll-proxy: cpu_s=%.6f bytes=%llu\n",
		(double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		(double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6, bytes);
	return 0;
}
