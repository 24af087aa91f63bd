/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * The kernel-side load of `bench/compare tcp`: CONNS parallel loops to
 * HOST:PORT, each a closed loop of requests (write SIZE bytes, read SIZE
 * back) on one connection, or with --crr on a new connection each
 * (connect, request, response, close). One thread drives them all with
 * epoll in a spinning loop for SECONDS, the first tenth being warm-up.
 * Prints the requests and the rate. With --bulk it instead writes SIZE
 * bytes at a time on one blocking connection (to a discard server) and
 * prints the bytes and their rate.
 *
 * usage: px-tcp-rr HOST PORT CONNS SIZE SECONDS [--crr | --bulk]
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXFD 65536

static struct sockaddr_in sa;
static size_t got[MAXFD];
static char connecting[MAXFD];
static int ep, size;
static char *out;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --bulk: one connection, blocking writes until the end. */
static int
bulk(double seconds)
{
	unsigned long long bytes = 0;
	double t0, warm, end, t;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ssize_t w;

	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("px-tcp-rr: connect");
		return 1;
	}
	t0 = now_s();
	warm = t0 + seconds / 10;
	end = t0 + seconds;
	while ((t = now_s()) < end) {
		w = write(fd, out, (size_t)size);
		if (w < 0) {
			perror("px-tcp-rr: write");
			return 1;
		}
		if (t >= warm)
			bytes += (unsigned long long)w;
	}
	close(fd);
	printf("px-tcp-rr: bulk bytes=%llu seconds=%.3f rate=%.0f errors=0\n",
		bytes, end - warm, (double)bytes / (end - warm));
	return bytes > 0 ? 0 : 1;
}

/* Send a request on fd and wait for its reply. */
static int
request(int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	got[fd] = 0;
	connecting[fd] = 0;
	if (write(fd, out, (size_t)size) != size)
		return -1;
	return epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

/* A new connection (non-blocking); its request goes once it is up. */
static int
open_conn(void)
{
	struct epoll_event ev = { .events = EPOLLOUT };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (fd < 0 || fd >= MAXFD)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
			errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	connecting[fd] = 1;
	ev.data.fd = fd;
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

int
main(int argc, char **argv)
{
	struct epoll_event evs[256];
	unsigned long long msgs = 0;
	double t0, warm, end, t;
	int conns, i, n, fd, crr, err, errors = 0;
	socklen_t len;
	char *in;
	ssize_t r;

	if (argc < 6) {
		fprintf(stderr, "usage: px-tcp-rr HOST PORT CONNS SIZE SECONDS "
			"[--crr | --bulk]\n");
		return 2;
	}
	conns = atoi(argv[3]);
	size = atoi(argv[4]);
	crr = argc > 6 && strcmp(argv[6], "--crr") == 0;
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)atoi(argv[2]));
	if (conns < 1 || size < 1 || size > 65536 ||
			inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
		fprintf(stderr, "px-tcp-rr: bad arguments\n");
		return 2;
	}
	out = malloc((size_t)size);
	in = malloc((size_t)size);
	if (out == NULL || in == NULL)
		return 1;
	memset(out, 'x', (size_t)size);
	if (argc > 6 && strcmp(argv[6], "--bulk") == 0)
		return bulk(atof(argv[5]));
	ep = epoll_create1(0);
	for (i = 0; i < conns; i++)
		if (open_conn() < 0) {
			perror("px-tcp-rr: connect");
			return 1;
		}
	t0 = now_s();
	warm = t0 + atof(argv[5]) / 10;
	end = t0 + atof(argv[5]);
	while ((t = now_s()) < end) {
		n = epoll_wait(ep, evs, 256, 0);
		for (i = 0; i < n; i++) {
			fd = evs[i].data.fd;
			if (connecting[fd]) {
				len = sizeof(err);
				if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 ||
						err != 0 || request(fd) < 0)
					goto fail;
				continue;
			}
			r = read(fd, in, (size_t)size - got[fd]);
			if (r < 0 && errno == EAGAIN)
				continue;
			if (r <= 0)
				goto fail;
			got[fd] += (size_t)r;
			if (got[fd] < (size_t)size)
				continue;
			if (t >= warm)
				msgs++;
			if (!crr) {
				if (request(fd) < 0)
					goto fail;
				continue;
			}
			epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
			close(fd);
			if (open_conn() < 0)
				errors++;
			continue;
fail:
			errors++;
			epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
			close(fd);
		}
	}
	printf("px-tcp-rr: conns=%d size=%d msgs=%llu seconds=%.3f rate=%.0f "
		"errors=%d\n", conns, size, msgs, end - warm,
		(double)msgs / (end - warm), errors);
	return errors == 0 && msgs > 0 ? 0 : 1;
}
