/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * The Linux baseline of `bench/compare tcp`: a single-threaded epoll TCP
 * echo server, as a careful C programmer writes one (non-blocking
 * sockets, level-triggered epoll, TCP_NODELAY, read then write back what
 * fits, EPOLLOUT only while a reply is pending). With --spin it polls
 * epoll_wait with a zero timeout, like a busy-polling runtime; with
 * --discard it drops what it reads (the sink for bulk runs).
 *
 * usage: px-epoll-echo PORT [--spin] [--discard]
 * SIGTERM or SIGINT stop it; it then prints its CPU time (user + system,
 * seconds) and the messages' bytes it echoed.
 */

#include <errno.h>
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


static volatile sig_atomic_t stop;
static struct pending pend[MAXFD];

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int
flush_fd(int fd)
{
	return pending_flush(fd, &pend[fd]);
}

int
main(int argc, char **argv)
{
	struct epoll_event ev, evs[256];
	unsigned long long bytes = 0;
	struct rusage ru;
	int lfd, ep, one = 1, spin = 0, discard = 0, i, n, fd, r;
	char *buf = malloc(BUF);
	ssize_t got;

	if (argc < 2 || buf == NULL) {
		fprintf(stderr, "usage: px-epoll-echo PORT [--spin] [--discard]\n");
		return 2;
	}
	for (i = 2; i < argc; i++) {
		spin |= strcmp(argv[i], "--spin") == 0;
		discard |= strcmp(argv[i], "--discard") == 0;
	}
	lfd = listen_ready("px-epoll-echo", argv[1], &ep, on_signal);
	if (lfd < 0)
		return 1;
	while (!stop) {
		n = epoll_wait(ep, evs, 256, spin ? 0 : 100);
		for (i = 0; i < n; i++) {
			fd = evs[i].data.fd;
			if (fd == lfd) {
				while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					if (fd >= MAXFD) {
						close(fd);
						continue;
					}
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
						sizeof(one));
					ev.events = EPOLLIN;
					ev.data.fd = fd;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				}
				continue;
			}
			if (evs[i].events & EPOLLOUT) {
				r = flush_fd(fd);
				if (r > 0) {
					ev.events = EPOLLIN;
					ev.data.fd = fd;
					epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
				} else if (r < 0) {
					goto closefd;
				}
				continue;
			}
			if (pend[fd].len > 0)
				continue; /* reply still going out: read later */
			got = read(fd, buf, BUF);
			if (got < 0 && errno == EAGAIN)
				continue;
			if (got <= 0)
				goto closefd;
			bytes += (unsigned long long)got;
			if (discard)
				continue;
			r = (int)write(fd, buf, (size_t)got);
			if (r == got)
				continue;
			if (r < 0 && errno != EAGAIN)
				goto closefd;
			/* Part of it fits: keep the rest for EPOLLOUT. */
			r = r < 0 ? 0 : r;
			pend[fd].buf = pend[fd].buf != NULL ? pend[fd].buf : malloc(BUF);
			if (pend[fd].buf == NULL)
				goto closefd;
			memcpy(pend[fd].buf, buf + r, (size_t)(got - r));
			pend[fd].off = 0;
			pend[fd].len = (size_t)(got - r);
			r = flush_fd(fd);
			if (r == 0) {
				ev.events = EPOLLOUT;
				ev.data.fd = fd;
				epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
			} else if (r < 0) {
				goto closefd;
			}
			continue;
closefd:
			epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
			close(fd);
			pend[fd].off = pend[fd].len = 0;
		}
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("px-epoll-echo: cpu_s=%.6f bytes=%llu\n",
		(double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		(double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6, bytes);
	return 0;
}
