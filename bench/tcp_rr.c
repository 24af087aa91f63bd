/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * The kernel-side load of `bench/compare tcp`: CONNS TCP connections to
 * HOST:PORT, each in a closed loop (write SIZE bytes, read SIZE back,
 * again), driven by one thread with epoll in a spinning loop, for SECONDS
 * after a tenth as warm-up. Prints the messages and the rate.
 *
 * usage: px-tcp-rr HOST PORT CONNS SIZE SECONDS
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct epoll_event ev, evs[256];
	struct sockaddr_in sa = { 0 };
	unsigned long long msgs = 0;
	double t0, warm, end, t;
	int conns, size, ep, i, n, fd, one = 1, errors = 0;
	size_t *got;
	char *out, *in;
	ssize_t r;

	if (argc < 6) {
		fprintf(stderr, "usage: px-tcp-rr HOST PORT CONNS SIZE SECONDS\n");
		return 2;
	}
	conns = atoi(argv[3]);
	size = atoi(argv[4]);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)atoi(argv[2]));
	if (conns < 1 || size < 1 || size > 65536 ||
			inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
		fprintf(stderr, "px-tcp-rr: bad arguments\n");
		return 2;
	}
	out = malloc((size_t)size);
	in = malloc((size_t)size);
	got = calloc(65536, sizeof(*got));
	if (out == NULL || in == NULL || got == NULL)
		return 1;
	memset(out, 'x', (size_t)size);
	ep = epoll_create1(0);
	for (i = 0; i < conns; i++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0 || fd >= 65536 ||
				connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			perror("px-tcp-rr: connect");
			return 1;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		ev.events = EPOLLIN;
		ev.data.fd = fd;
		epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
		if (write(fd, out, (size_t)size) != size) {
			perror("px-tcp-rr: write");
			return 1;
		}
	}
	t0 = now_s();
	warm = t0 + atof(argv[5]) / 10;
	end = t0 + atof(argv[5]);
	while ((t = now_s()) < end) {
		n = epoll_wait(ep, evs, 256, 0);
		for (i = 0; i < n; i++) {
			fd = evs[i].data.fd;
			r = read(fd, in, (size_t)size - got[fd]);
			if (r <= 0) {
				if (r < 0 && errno == EAGAIN)
					continue;
				errors++;
				epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
				continue;
			}
			got[fd] += (size_t)r;
			if (got[fd] < (size_t)size)
				continue;
			got[fd] = 0;
			if (t >= warm)
				msgs++;
			if (write(fd, out, (size_t)size) != size)
				errors++;
		}
	}
	printf("px-tcp-rr: conns=%d size=%d msgs=%llu seconds=%.3f rate=%.0f "
		"errors=%d\n", conns, size, msgs, end - warm,
		(double)msgs / (end - warm), errors);
	return errors == 0 && msgs > 0 ? 0 : 1;
}
