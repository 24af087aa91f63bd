/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * px-posix-sem: socket edge cases whose observable results must be the
 * same on the Linux kernel and under the preload library (dts
 * test_posix.py runs it both ways and compares the output line by line).
 *
 * Usage: px-posix-sem PEER_IP. The peer (dts/tools/sem_peer.py) serves
 * 7001 echo, 7002 reset after 300 ms, 7003 "hello" then FIN, 7004
 * connect-back (it reads a port and connects to the caller there);
 * nothing listens on 7009. First the program listens on 7100 and prints
 * "listening"; the test then connects twice and sends "ping" on the
 * first connection.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

static struct in_addr peer;

static const char *
en(int e)
{
	switch (e) {
	case 0: return "0";
	case EAGAIN: return "EAGAIN";
	case EINPROGRESS: return "EINPROGRESS";
	case ECONNREFUSED: return "ECONNREFUSED";
	case ECONNRESET: return "ECONNRESET";
	case EPIPE: return "EPIPE";
	case ENOTCONN: return "ENOTCONN";
	case EISCONN: return "EISCONN";
	case EALREADY: return "EALREADY";
	case EINVAL: return "EINVAL";
	default: return strerror(e);
	}
}

static const char *
evs(unsigned int ev)
{
	static char buf[128];

	buf[0] = '\0';
	if (ev & EPOLLIN) strcat(buf, "IN|");
	if (ev & EPOLLOUT) strcat(buf, "OUT|");
	if (ev & EPOLLRDHUP) strcat(buf, "RDHUP|");
	if (ev & EPOLLHUP) strcat(buf, "HUP|");
	if (ev & EPOLLERR) strcat(buf, "ERR|");
	if (buf[0] == '\0')
		return "none";
	buf[strlen(buf) - 1] = '\0';
	return buf;
}

/* The result of a call that returns -1/errno or a count. */
static const char *
rc(long r)
{
	static char buf[32];

	if (r < 0)
		return en(errno);
	snprintf(buf, sizeof(buf), "%ld", r);
	return buf;
}

static int
so_error(int fd)
{
	int e = -1;
	socklen_t l = sizeof(e);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l) < 0)
		return -errno;
	return e;
}

static int
nb_connect(int port, int *err)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
		.sin_addr = peer };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	*err = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? errno : 0;
	return fd;
}

/* Wait on one fd with epoll; OR of events until want is seen or ms. */
static unsigned int
ep_until(int ep, unsigned int want, int ms)
{
	struct epoll_event ev[4];
	unsigned int got = 0;
	int i, n, left = ms;

	while (left > 0 && (got & want) != want) {
		n = epoll_wait(ep, ev, 4, 50);
		for (i = 0; i < n; i++)
			got |= ev[i].events;
		left -= 50;
	}
	return got;
}

/* The listener in four epoll instances, the last two EPOLLEXCLUSIVE,
 * while the second connection comes: each reports it (nobody waited in
 * the exclusive ones, so Linux's wake-up passes on through them);
 * EPOLLEXCLUSIVE refuses MOD and ONESHOT; DEL, then ENOENT. */
static void
four_epolls(int l)
{
	struct epoll_event ev, out[4];
	int ep[4], i;
	long r;

	for (i = 0; i < 4; i++) {
		ep[i] = epoll_create1(0);
		ev.events = EPOLLIN | (i >= 2 ? EPOLLEXCLUSIVE : 0);
		ev.data.u32 = 100 + (unsigned int)i;
		r = epoll_ctl(ep[i], EPOLL_CTL_ADD, l, &ev);
		printf("listener in epoll %d%s: %s\n", i,
			i >= 2 ? " (exclusive)" : "", rc(r));
	}
	for (i = 0; i < 4; i++) {
		r = epoll_wait(ep[i], out, 4, i == 0 ? 3000 : 0);
		printf("epoll %d: %ld, data %u, IN %d\n", i, r,
			r > 0 ? out[0].data.u32 : 0,
			r > 0 && (out[0].events & EPOLLIN) != 0);
	}
	ev.events = EPOLLIN;
	r = epoll_ctl(ep[2], EPOLL_CTL_MOD, l, &ev);
	printf("MOD of an exclusive registration: %s\n", rc(r));
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	r = epoll_ctl(ep[0], EPOLL_CTL_MOD, l, &ev);
	printf("MOD to exclusive: %s\n", rc(r));
	r = epoll_ctl(ep[1], EPOLL_CTL_DEL, l, NULL);
	printf("DEL: %s, ", rc(r));
	r = epoll_ctl(ep[1], EPOLL_CTL_DEL, l, NULL);
	printf("again: %s\n", rc(r));
	ev.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT;
	r = epoll_ctl(ep[1], EPOLL_CTL_ADD, l, &ev);
	printf("ADD exclusive with ONESHOT: %s\n", rc(r));
	for (i = 0; i < 4; i++)
		close(ep[i]);
}

static void
server_part(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(7100) };
	struct sockaddr_in pa;
	socklen_t pl = sizeof(pa);
	struct pollfd pf;
	char buf[16];
	int one = 1, l, a, b, c, lo, fl;
	long r;

	l = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 8) < 0) {
		perror("px-posix-sem: listen");
		exit(1);
	}
	printf("listening\n");
	fflush(stdout);
	a = accept4(l, (struct sockaddr *)&pa, &pl, SOCK_NONBLOCK);
	if (a < 0)
		printf("accept4: %s\n", en(errno));
	fl = fcntl(a, F_GETFL);
	printf("accept4(SOCK_NONBLOCK): fd>=0 %d, O_NONBLOCK %d, peer %s, "
		"addrlen %u\n", a >= 0, (fl & O_NONBLOCK) != 0,
		pa.sin_addr.s_addr == peer.s_addr ? "=peer" : "other",
		(unsigned int)pl);
	pl = sizeof(pa);
	getsockname(a, (struct sockaddr *)&pa, &pl);
	printf("getsockname: port %u\n", ntohs(pa.sin_port));
	pf.fd = a;
	pf.events = POLLIN;
	pf.revents = 0;
	r = poll(&pf, 1, 3000);
	printf("poll(IN) on the first: %ld revents %s\n", r, evs(pf.revents));
	r = read(a, buf, sizeof(buf));
	printf("read: %s\n", rc(r));
	r = write(a, buf, r > 0 ? (size_t)r : 0);
	printf("write back: %s\n", rc(r));
	four_epolls(l);
	b = accept(l, NULL, NULL);
	fl = fcntl(b, F_GETFL);
	printf("accept: fd>=0 %d, O_NONBLOCK %d\n", b >= 0, (fl & O_NONBLOCK) != 0);
	fcntl(l, F_SETFL, fcntl(l, F_GETFL) | O_NONBLOCK);
	r = accept(l, NULL, NULL);
	printf("accept, none waiting, non-blocking: %s\n", rc(r));
	r = read(a, buf, sizeof(buf));
	printf("read, nothing there: %s\n", rc(r));
	/* A wildcard listener takes loopback clients too. */
	lo = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r = connect(lo, (struct sockaddr *)&sa, sizeof(sa));
	printf("connect to 127.0.0.1:7100: %s\n", rc(r));
	pf.fd = l;
	pf.events = POLLIN;
	pf.revents = 0;
	r = poll(&pf, 1, 3000);
	printf("poll(listener): %ld revents %s\n", r, evs(pf.revents));
	pl = sizeof(pa);
	c = accept(l, (struct sockaddr *)&pa, &pl);
	printf("accept: fd>=0 %d, from 127.0.0.1 %d\n", c >= 0,
		pa.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
	r = write(lo, "x", 1);
	r = read(c, buf, 1);
	printf("loopback read: %s\n", rc(r));
	close(c);
	close(lo);
	close(b);
	close(a);
	close(l);
}

static void
refused(void)
{
	struct sockaddr_in pa;
	socklen_t pl = sizeof(pa);
	struct pollfd pf;
	int fd, err;
	long r;

	fd = nb_connect(7009, &err);
	printf("connect to a closed port: %s\n", en(err));
	pf.fd = fd;
	pf.events = POLLOUT;
	pf.revents = 0;
	r = poll(&pf, 1, 3000);
	printf("poll(OUT): %ld revents has OUT %d ERR %d HUP %d\n", r,
		(pf.revents & POLLOUT) != 0, (pf.revents & POLLERR) != 0,
		(pf.revents & POLLHUP) != 0);
	err = so_error(fd);
	printf("SO_ERROR: %s, ", en(err));
	printf("again: %s\n", en(so_error(fd)));
	r = getpeername(fd, (struct sockaddr *)&pa, &pl);
	printf("getpeername: %s\n", rc(r));
	close(fd);
}

static void
echo_half_close(void)
{
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLET };
	char out[1000], in[2000];
	int fd, ep, err, n = 0, k;
	unsigned int got;
	long r;

	memset(out, 'x', sizeof(out));
	fd = nb_connect(7001, &err);
	printf("connect to echo: %s\n", en(err));
	ep = epoll_create1(0);
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	got = ep_until(ep, EPOLLOUT, 3000);
	printf("epoll(OUT|ET) after connect: %s\n", evs(got));
	printf("SO_ERROR: %s\n", en(so_error(fd)));
	{
		struct sockaddr_in sa = { .sin_family = AF_INET,
			.sin_port = htons(7001), .sin_addr = peer };

		r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		printf("connect again: %s\n", rc(r));
		r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		printf("and again: %s\n", rc(r));
	}
	r = write(fd, out, sizeof(out));
	printf("write 1000: %s\n", rc(r));
	ev.events = EPOLLIN | EPOLLRDHUP;
	epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
	got = ep_until(ep, EPOLLIN, 3000);
	printf("epoll(IN) after the echo: %s\n", evs(got));
	while (n < 1000) {
		ioctl(fd, FIONREAD, &k);
		if (k == 0) {
			ep_until(ep, EPOLLIN, 200);
			continue;
		}
		r = read(fd, in + n, sizeof(in) - (size_t)n);
		if (r <= 0)
			break;
		n += (int)r;
	}
	printf("read back: %d bytes, equal %d\n", n, memcmp(in, out, 1000) == 0);
	r = read(fd, in, sizeof(in));
	printf("read, drained: %s\n", rc(r));
	r = shutdown(fd, SHUT_WR);
	printf("shutdown(SHUT_WR): %s\n", rc(r));
	got = ep_until(ep, EPOLLRDHUP, 3000);
	printf("epoll(IN|RDHUP) after the peer's FIN: has IN %d RDHUP %d\n",
		(got & EPOLLIN) != 0, (got & EPOLLRDHUP) != 0);
	r = read(fd, in, sizeof(in));
	printf("read at EOF: %s\n", rc(r));
	r = send(fd, out, 10, MSG_NOSIGNAL);
	printf("send after SHUT_WR: %s\n", rc(r));
	close(ep);
	close(fd);
}

static void
edge_triggered(void)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLET };
	struct epoll_event out[4];
	char buf[16];
	int fd, ep, err;
	unsigned int got;
	long r;

	fd = nb_connect(7003, &err);
	/* Let "hello" and the FIN both arrive first: ADD of a ready socket
	 * then reports it once. (Registered earlier, the kernel may queue a
	 * wake-up per packet, and a third one now and then: not a result
	 * to compare.) */
	usleep(300000);
	ep = epoll_create1(EPOLL_CLOEXEC);
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	got = ep_until(ep, EPOLLIN | EPOLLRDHUP, 3000);
	printf("ET: hello and FIN: %s\n", evs(got));
	r = read(fd, buf, 2);
	printf("ET: read 2: %s\n", rc(r));
	r = epoll_wait(ep, out, 4, 100);
	printf("ET: wait after a partial read: %ld events\n", r);
	ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
	epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
	r = epoll_wait(ep, out, 4, 100);
	printf("ET: wait after MOD: %ld events %s\n", r,
		r > 0 ? evs(out[0].events) : "");
	r = read(fd, buf, sizeof(buf));
	printf("ET: read the rest: %s\n", rc(r));
	r = read(fd, buf, sizeof(buf));
	printf("ET: read at EOF: %s\n", rc(r));
	ev.events = EPOLLIN | EPOLLONESHOT;
	epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
	r = epoll_wait(ep, out, 4, 100);
	printf("ONESHOT: first wait %ld\n", r);
	r = epoll_wait(ep, out, 4, 100);
	printf("ONESHOT: second wait %ld\n", r);
	r = epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	printf("ADD twice: %s\n", rc(r));
	close(fd);
	r = epoll_wait(ep, out, 4, 50);
	printf("wait after close: %ld\n", r);
	close(ep);
}

static void
reset_and_mixed_poll(void)
{
	struct epoll_event ev = { .events = EPOLLIN }, out[4];
	struct pollfd pf[2];
	char buf[16];
	int fd, ep, err, p[2];
	unsigned int got = 0;
	long r;

	fd = nb_connect(7002, &err);
	ep = epoll_create(16);
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	if (pipe(p) < 0)
		return;
	r = write(p[1], "z", 1);
	pf[0].fd = p[0];
	pf[0].events = POLLIN;
	pf[1].fd = fd;
	pf[1].events = POLLIN;
	r = poll(pf, 2, 1000);
	printf("poll(pipe, idle socket): %ld pipe %s socket %s\n", r,
		evs(pf[0].revents), evs(pf[1].revents));
	r = epoll_wait(ep, out, 4, 3000);
	if (r > 0)
		got = out[0].events;
	printf("reset while in epoll_wait: %ld has IN %d HUP %d ERR %d\n", r,
		(got & EPOLLIN) != 0, (got & EPOLLHUP) != 0, (got & EPOLLERR) != 0);
	r = read(fd, buf, sizeof(buf));
	printf("read after reset: %s\n", rc(r));
	r = read(fd, buf, sizeof(buf));
	printf("read again: %s\n", rc(r));
	r = send(fd, buf, 1, MSG_NOSIGNAL);
	printf("send after reset: %s\n", rc(r));
	close(p[0]);
	close(p[1]);
	close(ep);
	close(fd);
}

/* TCP_CORK around two small writes, then MSG_PEEK: the bytes stay for
 * the read that follows; a peek with nothing there is EAGAIN, at the end
 * of the stream 0; select and pselect on the socket. */
static void
cork_and_peek(void)
{
	struct pollfd pf;
	struct timeval tv;
	fd_set rs, ws;
	char buf[16];
	int fd, err, one = 1, zero = 0, x = -1, k = 0, i;
	socklen_t xl = sizeof(x);
	long r;

	fd = nb_connect(7001, &err);
	pf.fd = fd;
	pf.events = POLLOUT;
	poll(&pf, 1, 3000);
	r = setsockopt(fd, IPPROTO_TCP, TCP_CORK, &one, sizeof(one));
	getsockopt(fd, IPPROTO_TCP, TCP_CORK, &x, &xl);
	printf("TCP_CORK on: %s, getsockopt %d\n", rc(r), x);
	r = write(fd, "ab", 2);
	r += write(fd, "cd", 2);
	r = setsockopt(fd, IPPROTO_TCP, TCP_CORK, &zero, sizeof(zero));
	getsockopt(fd, IPPROTO_TCP, TCP_CORK, &x, &xl);
	printf("TCP_CORK off: %s, getsockopt %d\n", rc(r), x);
	for (i = 0; i < 100 && k < 4; i++) {
		pf.events = POLLIN;
		poll(&pf, 1, 30);
		ioctl(fd, FIONREAD, &k);
	}
	r = recv(fd, buf, sizeof(buf), MSG_PEEK);
	printf("peek: %s '%.*s'\n", rc(r), r > 0 ? (int)r : 0, buf);
	r = recv(fd, buf, 2, MSG_PEEK | MSG_DONTWAIT);
	printf("peek 2: %s '%.*s'\n", rc(r), r > 0 ? (int)r : 0, buf);
	ioctl(fd, FIONREAD, &k);
	printf("FIONREAD after peeking: %d\n", k);
	FD_ZERO(&rs);
	FD_SET(fd, &rs);
	FD_ZERO(&ws);
	FD_SET(fd, &ws);
	tv.tv_sec = 1;
	tv.tv_usec = 0;
	r = select(fd + 1, &rs, &ws, NULL, &tv);
	printf("select(IN, OUT) with data there: %s, readable %d, writable %d\n",
		rc(r), FD_ISSET(fd, &rs) != 0, FD_ISSET(fd, &ws) != 0);
	r = read(fd, buf, sizeof(buf));
	printf("read: %s '%.*s'\n", rc(r), r > 0 ? (int)r : 0, buf);
	r = recv(fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
	printf("peek, nothing there: %s\n", rc(r));
	FD_ZERO(&rs);
	FD_SET(fd, &rs);
	tv.tv_sec = 0;
	tv.tv_usec = 100000;
	r = select(fd + 1, &rs, NULL, NULL, &tv);
	printf("select(IN), nothing there: %s, readable %d, time left %d\n",
		rc(r), FD_ISSET(fd, &rs) != 0, tv.tv_sec != 0 || tv.tv_usec != 0);
	shutdown(fd, SHUT_WR);
	FD_ZERO(&rs);
	FD_SET(fd, &rs);
	r = pselect(fd + 1, &rs, NULL, NULL, NULL, NULL);
	printf("pselect(IN) at the peer's FIN: %s, readable %d\n", rc(r),
		FD_ISSET(fd, &rs) != 0);
	r = recv(fd, buf, sizeof(buf), MSG_PEEK);
	printf("peek at EOF: %s\n", rc(r));
	close(fd);
}

/* Three threads, each blocked in its own epoll on one listener with
 * EPOLLEXCLUSIVE, and one connection: one thread wakes (Linux stops its
 * wake-up at the first exclusive entry with a waiter); the others time
 * out. */
static int excl_l;
static int excl_ready, excl_woken;
static pthread_mutex_t excl_mu = PTHREAD_MUTEX_INITIALIZER;

static void *
excl_thread(void *arg)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE }, out[4];
	int ep = epoll_create1(0), r;

	(void)arg;
	epoll_ctl(ep, EPOLL_CTL_ADD, excl_l, &ev);
	pthread_mutex_lock(&excl_mu);
	excl_ready++;
	pthread_mutex_unlock(&excl_mu);
	r = epoll_wait(ep, out, 4, 1500);
	pthread_mutex_lock(&excl_mu);
	excl_woken += r > 0;
	pthread_mutex_unlock(&excl_mu);
	close(ep);
	return NULL;
}

static void
exclusive_threads(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(7102) };
	pthread_t th[3];
	int one = 1, fd, err, i, n, a;
	struct pollfd pf;

	excl_l = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(excl_l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(excl_l, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
			listen(excl_l, 8) < 0) {
		printf("exclusive: listen: %s\n", en(errno));
		return;
	}
	for (i = 0; i < 3; i++)
		pthread_create(&th[i], NULL, excl_thread, NULL);
	for (i = 0; i < 200; i++) {
		pthread_mutex_lock(&excl_mu);
		n = excl_ready;
		pthread_mutex_unlock(&excl_mu);
		if (n == 3)
			break;
		usleep(5000);
	}
	usleep(200000);   /* all three in epoll_wait */
	fd = nb_connect(7004, &err);
	pf.fd = fd;
	pf.events = POLLOUT;
	poll(&pf, 1, 3000);
	if (write(fd, "7102\n", 5) != 5)
		printf("exclusive: write: %s\n", en(errno));
	for (i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	printf("exclusive, three threads waiting, one connection: woken %d\n",
		excl_woken);
	a = accept(excl_l, NULL, NULL);
	printf("accept after: fd>=0 %d\n", a >= 0);
	close(a);
	close(fd);
	close(excl_l);
}

int
main(int argc, char **argv)
{
	if (argc != 2 || inet_pton(AF_INET, argv[1], &peer) != 1) {
		fprintf(stderr, "usage: px-posix-sem PEER_IP\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	server_part();
	refused();
	echo_half_close();
	edge_triggered();
	reset_and_mixed_poll();
	cork_and_peek();
	exclusive_threads();
	printf("done\n");
	return 0;
}
