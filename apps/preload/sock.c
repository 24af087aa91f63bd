/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * The socket calls. A descriptor the table does not know goes straight
 * to libc; an AF_INET stream socket is watched from socket() on and is
 * decided at bind() (our address or INADDR_ANY: Pollux) or connect() (a
 * peer on our subnet or behind PX_GW: Pollux); anything else stays a
 * kernel socket. Pollux descriptors are real kernel descriptors (the
 * socket itself, or a duplicate of a template socket for accepted
 * connections), so numbering and RLIMIT_NOFILE behave.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "preload.h"

#define EXPORT __attribute__((visibility("default")))

/* glibc's fortify entry points (no public prototypes). */
ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen);
ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen,
		int flags, struct sockaddr *sa, socklen_t *alen);

/* ---- checks ---- */

static int
fail(int err)
{
	errno = err;
	return -1;
}

int
psock_check(struct psock *ps)
{
	static bool told;

	if (pl_up == -2 || (pl_up == 1 && pl_pid != pl_self)) {
		if (!told) {
			told = true;
			fprintf(stderr, "pollux-preload: pid %d: a forked child "
				"cannot use its parent's Pollux sockets (EBADF; "
				"close() works)\n", (int)pl_self);
		}
		return fail(EBADF);
	}
	if (pl_up == -3)
		return fail(EBADF);   /* after exit */
	pl_lock();
	if (pl_up == -3 || ps->refs == 0)
		return fail(EBADF);   /* ended, or closed meanwhile */
	if (pl_up == -1)
		return fail(ENETDOWN);
	return 0;
}

/* ---- callbacks (run inside pl_poll(), under the stack lock) ---- */

static void
cb_data(struct px_tcp_conn *c, void *arg)
{
	(void)c;
	psock_notify(arg);
}

static void
cb_writable(struct px_tcp_conn *c, void *arg)
{
	struct psock *ps = arg;

	(void)c;
	if (ps->connecting && !ps->connected)
		ps->connected = true;
	psock_notify(ps);
}

static void
cb_close(struct px_tcp_conn *c, int status, void *arg)
{
	struct psock *ps = arg;

	(void)c;
	if (status < 0 && ps->connecting && !ps->connected)
		ps->so_error = status;
	psock_notify(ps);
}

static const struct px_tcp_cbs conn_cbs = {
	.on_data = cb_data, .on_writable = cb_writable, .on_close = cb_close,
};

static int
cb_accept(struct px_tcp_conn *c, void *arg)
{
	struct psock *l = arg;

	if (l->fifo_len == l->fifo_cap) {
		/* The backlog is full: Linux drops the handshake's last ACK
		 * and lets the client retry; we have already completed it,
		 * so the connection is reset. */
		pl_st.accept_overflow++;
		px_tcp_abort(c);
		return -1;
	}
	/* No callbacks until accept() gives it a socket. */
	px_tcp_set_cbs(c, NULL, NULL);
	l->fifo[(l->fifo_head + l->fifo_len) % l->fifo_cap] = c;
	l->fifo_len++;
	psock_notify(l);
	return 0;
}

static const struct px_tcp_cbs listen_cbs = { .on_accept = cb_accept };

/* ---- readiness ---- */

uint32_t
psock_level(const struct psock *ps)
{
	uint32_t m, ev = 0;

	switch (ps->kind) {
	case PS_LISTEN:
		return ps->fifo_len > 0 ? EPOLLIN | EPOLLRDNORM : 0;
	case PS_NEW:
		return EPOLLOUT | EPOLLWRNORM | EPOLLHUP;
	case PS_CONN:
		break;
	}
	if (ps->c == NULL)
		return EPOLLIN | EPOLLOUT | EPOLLHUP | EPOLLERR;
	m = px_tcp_poll(ps->c);
	if (m & PX_TCP_POLL_IN)
		ev |= EPOLLIN | EPOLLRDNORM;
	if (m & PX_TCP_POLL_OUT)
		ev |= EPOLLOUT | EPOLLWRNORM;
	if (m & PX_TCP_POLL_RDHUP)
		ev |= EPOLLRDHUP;
	if (m & PX_TCP_POLL_HUP)
		ev |= EPOLLHUP;
	if ((m & PX_TCP_POLL_ERR) && !ps->err_cleared)
		ev |= EPOLLERR;
	if (ps->rd_shut)
		ev |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
	return ev;
}

/* ---- pool-short writers ---- */

static struct psock *nobuf_head;
static uint64_t nobuf_since;

static void
nobufs_add(struct psock *ps)
{
	pl_st.nobufs++;
	if (ps->nobufs)
		return;
	if (nobuf_head == NULL)
		nobuf_since = pl_now_ns();
	ps->nobufs = true;
	ps->nnext = nobuf_head;
	nobuf_head = ps;
}

static void
nobufs_del(struct psock *ps)
{
	struct psock **pp;

	if (!ps->nobufs)
		return;
	for (pp = &nobuf_head; *pp != NULL; pp = &(*pp)->nnext)
		if (*pp == ps) {
			*pp = ps->nnext;
			break;
		}
	ps->nobufs = false;
}

void
pl_nobufs_retry(uint64_t now_ns)
{
	struct psock *ps;

	if (nobuf_head == NULL || now_ns - nobuf_since < 1000000u)
		return;
	while ((ps = nobuf_head) != NULL) {
		nobuf_head = ps->nnext;
		ps->nobufs = false;
		psock_notify(ps);
	}
}

/* ---- release ---- */

void
psock_release(struct psock *ps)
{
	uint32_t i;

	nobufs_del(ps);
	if (pl_up != 1 || pl_pid != pl_self)
		return;   /* never up, a forked child, or torn down */
	if ((ps->kind == PS_CONN && ps->c != NULL) ||
			(ps->kind == PS_LISTEN && ps->l != NULL))
		pl_nsocks--;
	if (ps->kind == PS_CONN && ps->c != NULL) {
		px_tcp_set_cbs(ps->c, NULL, NULL);
		if (ps->linger_on && ps->linger_s == 0)
			px_tcp_abort(ps->c);
		else
			px_tcp_close(ps->c);
		ps->c = NULL;
	} else if (ps->kind == PS_LISTEN && ps->l != NULL) {
		px_tcp_listener_close(ps->l);
		for (i = 0; i < ps->fifo_len; i++)
			px_tcp_abort(ps->fifo[(ps->fifo_head + i) % ps->fifo_cap]);
		ps->fifo_len = 0;
		ps->l = NULL;
	}
}

/* The socket stays with the kernel after all: forget it (its options are
 * already on the kernel socket; an epoll registration moves over). */
static void
to_kernel(int fd, struct psock *ps)
{
	pep_to_kernel(ps, fd);
	psock_drop(fd);
}

/* ---- socket, bind, listen ---- */

EXPORT int
socket(int domain, int type, int protocol)
{
	struct psock *ps;
	int fd;

	PL_SCOPE();

	fd = REAL(socket)(domain, type, protocol);
	if (fd < 0 || domain != AF_INET || (type & 0xf) != SOCK_STREAM ||
			(protocol != 0 && protocol != IPPROTO_TCP) ||
			!pl_conf.enabled || pl_inside || pl_up < 0 ||
			(pl_up == 1 && pl_pid != pl_self))
		return fd;
	pl_lock();
	if (psock_of(fd) != NULL)
		psock_drop(fd);   /* stale: closed behind our back */
	pl_st.sockets++;
	ps = psock_alloc();
	if (ps == NULL)
		return fd;        /* no memory: it stays a kernel socket */
	ps->kind = PS_NEW;
	ps->nonblock = (type & SOCK_NONBLOCK) != 0;
	psock_set(fd, ps);
	return fd;
}

static bool
ours_local(uint32_t ip)
{
	return ip == INADDR_ANY || ip == pl_conf.ip;
}

static bool
ours_remote(uint32_t ip)
{
	if ((ntohl(ip) >> 24) == 127 || ip == INADDR_ANY || ip == pl_conf.ip)
		return false;
	return (ip & pl_conf.mask) == (pl_conf.ip & pl_conf.mask) ||
		pl_conf.gw != 0;
}

EXPORT int
bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct psock *ps = psock_of(fd);
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
	PL_SCOPE();

	if (ps == NULL)
		return REAL(bind)(fd, sa, len);
	if (psock_check(ps) < 0)
		return -1;
	if (ps->kind != PS_NEW || ps->bound)
		return fail(EINVAL);
	if (sa == NULL || len < sizeof(*sin) || sin->sin_family != AF_INET ||
			!ours_local(sin->sin_addr.s_addr)) {
		to_kernel(fd, ps);
		return REAL(bind)(fd, sa, len);
	}
	ps->laddr = sin->sin_addr.s_addr;
	ps->lport = sin->sin_port;
	ps->bound = true;
	return 0;
}

/* Apply a socket's options to a connection (set at accept or connect). */
static void
apply_opts(const struct psock *o, struct px_tcp_conn *c)
{
	if (o->nodelay)
		px_tcp_setopt(c, PX_TCP_OPT_NODELAY, 1);
	if (o->keepidle > 0)
		px_tcp_setopt(c, PX_TCP_OPT_KEEPIDLE, o->keepidle);
	if (o->keepintvl > 0)
		px_tcp_setopt(c, PX_TCP_OPT_KEEPINTVL, o->keepintvl);
	if (o->keepcnt > 0)
		px_tcp_setopt(c, PX_TCP_OPT_KEEPCNT, o->keepcnt);
	if (o->keepalive)
		px_tcp_setopt(c, PX_TCP_OPT_KEEPALIVE, 1);
	if (o->sndbuf > 0)
		px_tcp_setopt(c, PX_TCP_OPT_SNDBUF, o->sndbuf);
	if (o->rcvbuf > 0)
		px_tcp_setopt(c, PX_TCP_OPT_RCVBUF, o->rcvbuf);
	if (o->rcvlowat > 1)
		px_tcp_setopt(c, PX_TCP_OPT_RCVLOWAT, o->rcvlowat);
	if (o->cork)
		px_tcp_setopt(c, PX_TCP_OPT_CORK, 1);
}

static int listen_setup(int fd, struct psock *ps, int backlog);

EXPORT int
listen(int fd, int backlog)
{
	struct psock *ps = psock_of(fd);
	int ret;
	PL_SCOPE();

	if (ps == NULL)
		return REAL(listen)(fd, backlog);
	if (psock_check(ps) < 0)
		return -1;
	if (ps->kind == PS_LISTEN)
		return 0;
	if (ps->kind != PS_NEW)
		return fail(EINVAL);
	ret = listen_setup(fd, ps, backlog);
	return ret < 0 ? fail(-ret) : 0;
}

/* A listener on INADDR_ANY takes the kernel's connections too (from the
 * loopback, where Pollux is not, as a Linux wildcard listener would): its
 * own kernel socket listens on the same port, non-blocking, and accept
 * takes from both. If the kernel refuses (the port taken there), it is
 * Pollux's alone, and said once. */
static void
kernel_listen_too(int fd, struct psock *ps, int backlog)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = ps->lport,
		.sin_addr.s_addr = INADDR_ANY };
	int one = 1, fl;

	REAL(setsockopt)(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (REAL(bind)(fd, (const struct sockaddr *)&sin, sizeof(sin)) < 0 ||
			REAL(listen)(fd, backlog) < 0) {
		fprintf(stderr, "pollux-preload: port %u: the kernel side of the "
			"wildcard listener failed (%s); loopback clients do not "
			"reach it\n", ntohs(ps->lport), strerror(errno));
		return;
	}
	fl = REAL(fcntl)(fd, F_GETFL);
	REAL(fcntl)(fd, F_SETFL, fl | O_NONBLOCK);
	ps->klisten = true;
	pep_kernel_mirror(ps, fd);
}

static int
listen_setup(int fd, struct psock *ps, int backlog)
{
	static uint16_t next_port = 32768;
	uint32_t cap;
	int ret, tries;

	ret = pl_bringup();
	if (ret < 0)
		return ret;
	if (backlog <= 0)
		backlog = 1;
	cap = (uint32_t)(backlog > 4096 ? 4096 : backlog) + 1;
	ps->fifo = calloc(cap, sizeof(*ps->fifo));
	if (ps->fifo == NULL)
		return -ENOBUFS;
	ps->fifo_cap = cap;
	for (tries = 0; tries < 28232; tries++) {
		if (ps->lport == 0 || tries > 0) {
			if (ps->bound && ps->lport != 0 && tries == 0)
				break;
			ps->lport = htons(next_port);
			next_port = next_port >= 60999 ? 32768 : next_port + 1;
		}
		ret = px_tcp_listen_cb(pl_nif, ps->lport, cap - 1, &listen_cbs, ps,
				&ps->l);
		if (ret != -EADDRINUSE || ps->bound)
			break;
	}
	if (ret < 0) {
		free(ps->fifo);
		ps->fifo = NULL;
		return ret;
	}
	ps->kind = PS_LISTEN;
	ps->bound = true;
	pl_nsocks++;
	pl_st.offloaded++;
	if (ps->laddr == INADDR_ANY)
		kernel_listen_too(fd, ps, backlog);
	return 0;
}

/* ---- accept ---- */

/* The kernel socket whose duplicates number accepted connections. */
static int
template_fd(void)
{
	static int tfd = -1;

	if (tfd < 0)
		tfd = REAL(socket)(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	return tfd;
}

static void
fill_addr(struct sockaddr *sa, socklen_t *len, uint32_t ip, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = port,
		.sin_addr.s_addr = ip };

	if (sa == NULL || len == NULL)
		return;
	memcpy(sa, &sin, *len < sizeof(sin) ? *len : sizeof(sin));
	*len = sizeof(sin);
}

/* Wait for the socket's level to include want (blocking calls):
 * 0, or -1 with errno (EAGAIN on SO_*TIMEO expiry, EINTR). */
static int
block_on(struct psock *ps, uint32_t want, uint64_t timeo_ns, int kfd)
{
	int ret;

	ret = pl_wait_one(ps, want | EPOLLERR | EPOLLHUP,
			timeo_ns ? pl_now_ns() + timeo_ns : 0, kfd);
	if (ret == -ETIMEDOUT)
		return fail(EAGAIN);
	return ret < 0 ? fail(-ret) : 0;
}

EXPORT int
accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags)
{
	struct psock *ps = psock_of(fd), *cs;
	struct px_tcp_info info;
	struct px_tcp_conn *c;
	int nfd;
	PL_SCOPE();

	if (ps == NULL)
		return REAL(accept4)(fd, sa, len, flags);
	if (psock_check(ps) < 0)
		return -1;
	if (ps->kind != PS_LISTEN)
		return fail(EINVAL);
	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return fail(EINVAL);
	for (;;) {
		/* The kernel's side of a wildcard listener when Pollux has
		 * none waiting, and every 8th accept (so a stream of Pollux
		 * connections cannot starve the loopback ones). */
		if (ps->klisten && (ps->fifo_len == 0 || (++ps->kturn & 7) == 0)) {
			nfd = REAL(accept4)(fd, sa, len, flags);
			if (nfd >= 0) {
				pl_st.accepted_kernel++;
				return nfd;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
					errno != ECONNABORTED)
				return -1;
		}
		if (ps->fifo_len > 0)
			break;
		if (ps->nonblock)
			return fail(EAGAIN);
		if (block_on(ps, EPOLLIN, ps->rcvtimeo_ns,
				ps->klisten ? fd : -1) < 0)
			return -1;
	}
	cs = psock_alloc();
	if (cs == NULL)
		return fail(ENOBUFS);
	nfd = REAL(fcntl)(template_fd(), flags & SOCK_CLOEXEC ?
			F_DUPFD_CLOEXEC : F_DUPFD, 0);
	if (nfd < 0) {
		/* EMFILE: the connection stays queued, as on Linux. */
		int err = errno;

		psock_free(cs);
		return fail(err);
	}
	c = ps->fifo[ps->fifo_head];
	ps->fifo_head = (ps->fifo_head + 1) % ps->fifo_cap;
	ps->fifo_len--;
	cs->kind = PS_CONN;
	cs->c = c;
	cs->connected = true;
	cs->nonblock = (flags & SOCK_NONBLOCK) != 0;
	/* Options set on the listener are inherited, as on Linux. */
	cs->nodelay = ps->nodelay;
	cs->keepalive = ps->keepalive;
	cs->keepidle = ps->keepidle;
	cs->keepintvl = ps->keepintvl;
	cs->keepcnt = ps->keepcnt;
	cs->sndbuf = ps->sndbuf;
	cs->rcvbuf = ps->rcvbuf;
	cs->linger_on = ps->linger_on;
	cs->linger_s = ps->linger_s;
	apply_opts(cs, c);
	if (px_tcp_info(c, &info) == 0) {
		cs->laddr = info.laddr;
		cs->lport = info.lport;
		cs->raddr = info.raddr;
		cs->rport = info.rport;
	}
	cs->bound = true;
	px_tcp_set_cbs(c, &conn_cbs, cs);
	psock_set(nfd, cs);
	pl_nsocks++;
	fill_addr(sa, len, cs->raddr, cs->rport);
	pl_st.accepted++;
	return nfd;
}

EXPORT int
accept(int fd, struct sockaddr *sa, socklen_t *len)
{
	return accept4(fd, sa, len, 0);
}

/* ---- connect ---- */

static void conn_update(struct psock *ps);

EXPORT int
connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct psock *ps = psock_of(fd);
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
	struct px_tcp_info info;
	int ret, err;
	PL_SCOPE();

	if (ps == NULL)
		return REAL(connect)(fd, sa, len);
	if (psock_check(ps) < 0)
		return -1;
	if (ps->kind == PS_LISTEN)
		return fail(EINVAL);
	if (ps->kind == PS_CONN) {
		/* hiredis and others call connect() again to learn the end:
		 * Linux says 0 the first time after a non-blocking connect
		 * completed, EISCONN after that. */
		conn_update(ps);
		if (ps->connected) {
			if (ps->connecting && !ps->connect_told) {
				ps->connect_told = true;
				return 0;
			}
			return fail(EISCONN);
		}
		err = ps->so_error != 0 ? ps->so_error : px_tcp_error(ps->c);
		if (err < 0 && !ps->err_cleared) {
			ps->err_cleared = true;
			return fail(-err);
		}
		return fail(err < 0 ? ECONNABORTED : EALREADY);
	}
	if (sa == NULL || len < sizeof(*sin) || sin->sin_family != AF_INET ||
			!ours_remote(sin->sin_addr.s_addr) ||
			(ps->bound && ps->laddr != INADDR_ANY &&
			 ps->laddr != pl_conf.ip)) {
		to_kernel(fd, ps);
		/* A kernel connect may block for the handshake: not with
		 * the stack lock held (other threads serve on meanwhile). */
		PL_SCOPE_RELEASE();
		return REAL(connect)(fd, sa, len);
	}
	ret = pl_bringup();
	if (ret == 0)
		ret = px_tcp_connect_cb(pl_nif, sin->sin_addr.s_addr,
				sin->sin_port, &conn_cbs, ps, &ps->c);
	if (ret == 0) {
		ps->kind = PS_CONN;
		pl_nsocks++;
	}
	if (ret < 0)
		return fail(-ret);
	ps->connecting = true;
	ps->raddr = sin->sin_addr.s_addr;
	ps->rport = sin->sin_port;
	apply_opts(ps, ps->c);
	if (px_tcp_info(ps->c, &info) == 0) {
		ps->laddr = info.laddr;
		ps->lport = info.lport;
	}
	pl_st.offloaded++;
	pl_st.connects++;
	if (ps->nonblock)
		return fail(EINPROGRESS);
	while (!ps->connected) {
		err = ps->so_error != 0 ? ps->so_error : px_tcp_error(ps->c);
		if (err < 0) {
			ps->err_cleared = true;
			return fail(-err);
		}
		if (px_tcp_poll(ps->c) & PX_TCP_POLL_OUT) {
			ps->connected = true;
			break;
		}
		if (block_on(ps, EPOLLOUT, ps->sndtimeo_ns, -1) < 0)
			return errno == EAGAIN ? fail(EINPROGRESS) : -1;
	}
	ps->connect_told = true;   /* a blocking connect: EISCONN next */
	return 0;
}

/* A connect in progress that has completed (for reads, writes, names). */
static void
conn_update(struct psock *ps)
{
	if (ps->connecting && !ps->connected && ps->c != NULL &&
			(px_tcp_poll(ps->c) & PX_TCP_POLL_OUT) &&
			px_tcp_error(ps->c) == 0)
		ps->connected = true;
}

/* ---- reading ---- */

static ssize_t
ps_recv(struct psock *ps, const struct iovec *iov, int iovcnt, int flags)
{
	ssize_t n;
	PL_SCOPE();

	if (psock_check(ps) < 0)
		return -1;
	if (ps->kind != PS_CONN)
		return fail(ENOTCONN);
	if (flags & (MSG_OOB | MSG_ERRQUEUE))
		return pl_unsupported("recv(MSG_OOB/MSG_ERRQUEUE)", EOPNOTSUPP);
	if (ps->rd_shut || ps->c == NULL)
		return 0;
	pl_st.reads++;
	for (;;) {
		if (flags & MSG_PEEK) {
			/* The bytes stay for the next read. With
			 * MSG_WAITALL too it returns what is there (Linux
			 * would wait for all of it). */
			n = px_tcp_peekv(ps->c, iov, iovcnt);
			if (n >= 0)
				return n;
		} else {
			n = px_tcp_readv(ps->c, iov, iovcnt, 0);
		}
		if (n >= 0) {
			pl_st.read_bytes += (uint64_t)n;
			/* MSG_WAITALL on a blocking socket: the rest too. */
			if (n > 0 && (flags & MSG_WAITALL) && !ps->nonblock &&
					!(flags & MSG_DONTWAIT)) {
				size_t want = 0;
				int i;

				for (i = 0; i < iovcnt; i++)
					want += iov[i].iov_len;
				if ((size_t)n < want) {
					struct iovec rest[64];
					int k = 0;
					size_t skip = (size_t)n;
					ssize_t m;

					for (i = 0; i < iovcnt && k < 64; i++) {
						if (skip >= iov[i].iov_len) {
							skip -= iov[i].iov_len;
							continue;
						}
						rest[k].iov_base = (char *)iov[i].iov_base + skip;
						rest[k++].iov_len = iov[i].iov_len - skip;
						skip = 0;
					}
					m = ps_recv(ps, rest, k, flags);
					return m > 0 ? n + m : n;
				}
			}
			return n;
		}
		if (n == -EAGAIN) {
			if (ps->nonblock || (flags & MSG_DONTWAIT)) {
				pl_st.eagain_rd++;
				return fail(EAGAIN);
			}
			if (block_on(ps, EPOLLIN, ps->rcvtimeo_ns, -1) < 0)
				return -1;
			continue;
		}
		/* A failed connection reports its error once, then EOF. */
		if (ps->reset_told)
			return 0;
		ps->reset_told = true;
		ps->err_cleared = true;
		return fail(n == -EPIPE ? ECONNRESET : (int)-n);
	}
}

EXPORT ssize_t
read(int fd, void *buf, size_t len)
{
	struct psock *ps = psock_of(fd);
	struct iovec iov = { buf, len };

	if (ps == NULL)
		return REAL(read)(fd, buf, len);
	return ps_recv(ps, &iov, 1, 0);
}

EXPORT ssize_t
__read_chk(int fd, void *buf, size_t len, size_t buflen)
{
	(void)buflen;
	return read(fd, buf, len);
}

EXPORT ssize_t
readv(int fd, const struct iovec *iov, int iovcnt)
{
	struct psock *ps = psock_of(fd);

	if (ps == NULL)
		return REAL(readv)(fd, iov, iovcnt);
	return ps_recv(ps, iov, iovcnt, 0);
}

EXPORT ssize_t
recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *sa,
		socklen_t *alen)
{
	struct psock *ps = psock_of(fd);
	struct iovec iov = { buf, len };

	if (ps == NULL)
		return REAL(recvfrom)(fd, buf, len, flags, sa, alen);
	if (sa != NULL && alen != NULL)
		*alen = 0;   /* TCP does not name the sender (Linux) */
	return ps_recv(ps, &iov, 1, flags);
}

EXPORT ssize_t
recv(int fd, void *buf, size_t len, int flags)
{
	return recvfrom(fd, buf, len, flags, NULL, NULL);
}

EXPORT ssize_t
__recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags)
{
	(void)buflen;
	return recvfrom(fd, buf, len, flags, NULL, NULL);
}

EXPORT ssize_t
__recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
		struct sockaddr *sa, socklen_t *alen)
{
	(void)buflen;
	return recvfrom(fd, buf, len, flags, sa, alen);
}

EXPORT ssize_t
recvmsg(int fd, struct msghdr *msg, int flags)
{
	struct psock *ps = psock_of(fd);

	if (ps == NULL)
		return REAL(recvmsg)(fd, msg, flags);
	msg->msg_namelen = 0;
	msg->msg_controllen = 0;
	msg->msg_flags = 0;
	return ps_recv(ps, msg->msg_iov, (int)msg->msg_iovlen, flags);
}

/* ---- writing ---- */

static ssize_t
send_error(struct psock *ps, ssize_t n, int flags)
{
	if (n == -EPIPE || n == -ENOTCONN) {
		if (!(flags & MSG_NOSIGNAL)) {
			pl_st.sigpipe++;
			raise(SIGPIPE);
		}
		return fail(EPIPE);
	}
	(void)ps;
	return fail((int)-n);
}

static ssize_t
ps_send(struct psock *ps, const struct iovec *iov, int iovcnt, int flags)
{
	struct iovec rest[64];
	size_t total = 0, skip;
	ssize_t n;
	int i, k;
	PL_SCOPE();

	if (psock_check(ps) < 0)
		return -1;
	if (ps->kind != PS_CONN || ps->c == NULL)
		return send_error(ps, -EPIPE, flags);
	if (flags & MSG_OOB)
		return pl_unsupported("send(MSG_OOB)", EOPNOTSUPP);
	conn_update(ps);
	pl_st.writes++;
	for (;;) {
		if (ps->connecting && !ps->connected) {
			if (px_tcp_error(ps->c) < 0)
				return send_error(ps, px_tcp_error(ps->c), flags);
			n = -EAGAIN;
		} else {
			n = px_tcp_writev(ps->c, iov, iovcnt, 0);
		}
		if (n > 0) {
			pl_st.write_bytes += (uint64_t)n;
			total += (size_t)n;
			if (ps->nonblock || (flags & MSG_DONTWAIT))
				return (ssize_t)total;
			/* A blocking write writes it all (Linux). */
			skip = (size_t)n;
			for (i = 0, k = 0; i < iovcnt && k < 64; i++) {
				if (skip >= iov[i].iov_len) {
					skip -= iov[i].iov_len;
					continue;
				}
				rest[k].iov_base = (char *)iov[i].iov_base + skip;
				rest[k++].iov_len = iov[i].iov_len - skip;
				skip = 0;
			}
			if (k == 0)
				return (ssize_t)total;
			iov = rest;
			iovcnt = k;
			continue;
		}
		if (n == 0)
			return (ssize_t)total;
		if (n == -EAGAIN || n == -ENOBUFS) {
			if (n == -ENOBUFS)
				nobufs_add(ps);
			if (ps->nonblock || (flags & MSG_DONTWAIT)) {
				pl_st.eagain_wr++;
				return total > 0 ? (ssize_t)total : fail(EAGAIN);
			}
			if (block_on(ps, EPOLLOUT, ps->sndtimeo_ns, -1) < 0)
				return total > 0 ? (ssize_t)total : -1;
			continue;
		}
		if (total > 0)
			return (ssize_t)total;
		/* A failed connection's error is reported once (by a read
		 * or a write); after that writes fail with EPIPE (Linux). */
		if (n != -EPIPE && !ps->reset_told) {
			ps->reset_told = true;
			ps->err_cleared = true;
			return fail((int)-n);
		}
		return send_error(ps, -EPIPE, flags);
	}
}

EXPORT ssize_t
write(int fd, const void *buf, size_t len)
{
	struct psock *ps = psock_of(fd);
	struct iovec iov = { (void *)(uintptr_t)buf, len };

	if (ps == NULL)
		return REAL(write)(fd, buf, len);
	return ps_send(ps, &iov, 1, 0);
}

EXPORT ssize_t
writev(int fd, const struct iovec *iov, int iovcnt)
{
	struct psock *ps = psock_of(fd);

	if (ps == NULL)
		return REAL(writev)(fd, iov, iovcnt);
	return ps_send(ps, iov, iovcnt, 0);
}

EXPORT ssize_t
sendto(int fd, const void *buf, size_t len, int flags,
		const struct sockaddr *sa, socklen_t alen)
{
	struct psock *ps = psock_of(fd);
	struct iovec iov = { (void *)(uintptr_t)buf, len };

	if (ps == NULL)
		return REAL(sendto)(fd, buf, len, flags, sa, alen);
	return ps_send(ps, &iov, 1, flags);
}

EXPORT ssize_t
send(int fd, const void *buf, size_t len, int flags)
{
	return sendto(fd, buf, len, flags, NULL, 0);
}

EXPORT ssize_t
sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct psock *ps = psock_of(fd);

	if (ps == NULL)
		return REAL(sendmsg)(fd, msg, flags);
	if (msg->msg_controllen != 0)
		return pl_unsupported("sendmsg(control data)", EOPNOTSUPP);
	return ps_send(ps, msg->msg_iov, (int)msg->msg_iovlen, flags);
}

/* sendfile to a Pollux socket: the file's bytes are read into a buffer
 * and written (one copy more than the kernel's). Reading straight into
 * mbufs for px_tcp_send_mbuf() saves that copy but, tried with 100
 * connections of 1 MiB responses, held the pool the ACKs need: to do
 * with a send-queue budget first (doc/posix.md). */
EXPORT ssize_t
sendfile(int out, int in, off_t *offset, size_t count)
{
	static __thread char buf[65536];
	struct psock *ps = psock_of(out);
	struct iovec iov;
	off_t pos;
	ssize_t r, w, total = 0;
	uint32_t room;
	PL_SCOPE();

	if (ps == NULL)
		return REAL(sendfile)(out, in, offset, count);
	if (psock_check(ps) < 0)
		return -1;
	if (ps->kind != PS_CONN || ps->c == NULL)
		return send_error(ps, -EPIPE, 0);
	pos = offset != NULL ? *offset : lseek(in, 0, SEEK_CUR);
	if (pos < 0)
		return -1;
	while ((size_t)total < count) {
		room = px_tcp_writable(ps->c);
		if (room == 0) {
			if (total > 0)
				break;
			if (ps->nonblock) {
				/* 0 would mean end of file to the caller
				 * (nginx: "truncated"); px_tcp_poll() arms
				 * the wake-up, as a failed write does. */
				px_tcp_poll(ps->c);
				pl_st.eagain_wr++;
				return fail(EAGAIN);
			}
			/* Blocking: ps_send() waits for room. */
		}
		r = pread(in, buf, RTE_MIN(count - (size_t)total,
				RTE_MIN(sizeof(buf), room > 0 ? (size_t)room :
				sizeof(buf))), pos + total);
		if (r <= 0) {
			if (r < 0 && total == 0)
				return -1;
			break;
		}
		iov.iov_base = buf;
		iov.iov_len = (size_t)r;
		w = ps_send(ps, &iov, 1, MSG_NOSIGNAL);
		if (w < 0) {
			if (total == 0) {
				if (errno == EPIPE) {
					pl_st.sigpipe++;
					raise(SIGPIPE);
				}
				return -1;
			}
			break;
		}
		total += w;
		if (w < r)
			break;
	}
	pl_st.sendfile_bytes += (uint64_t)total;
	if (offset != NULL)
		*offset = pos + total;
	else
		lseek(in, pos + total, SEEK_SET);
	return total;
}

/* The 64-bit-offset name is the same function (off_t is 64-bit here). */
EXPORT ssize_t sendfile64(int out, int in, off_t *offset, size_t count)
	__attribute__((alias("sendfile")));

/* ---- shutdown, close ---- */

EXPORT int
shutdown(int fd, int how)
{
	struct psock *ps = psock_of(fd);
	int ret;
	PL_SCOPE();

	if (ps == NULL)
		return REAL(shutdown)(fd, how);
	if (psock_check(ps) < 0)
		return -1;
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return fail(EINVAL);
	if (ps->kind == PS_LISTEN) {
		/* Linux: shutdown of a listener stops it (accept: EINVAL). */
		return fail(ENOTCONN);
	}
	if (ps->kind != PS_CONN || ps->c == NULL)
		return fail(ENOTCONN);
	conn_update(ps);
	if (ps->connecting && !ps->connected)
		return fail(ENOTCONN);
	if (how != SHUT_RD) {
		ret = px_tcp_shutdown(ps->c);
		if (ret < 0 && ret != -EPIPE)
			return fail(-ret);
	}
	if (how != SHUT_WR)
		ps->rd_shut = true;
	psock_notify(ps);
	return 0;
}

/* The descriptor fd (on socket ps) is going away (close, dup2 over it). */
static void
fd_release(int fd, struct psock *ps)
{
	PL_SCOPE();

	/* Locked, unless in a forked child or after exit: then only this
	 * process's copy of the table changes (psock_release() leaves the
	 * stack alone). */
	if (pl_up != -2 && !(pl_up == 1 && pl_pid != pl_self))
		(void)psock_check(ps);
	if (psock_of(fd) == ps)
		psock_drop(fd);
}

EXPORT int
close(int fd)
{
	struct psock *ps = psock_of(fd);

	if (ps == NULL) {
		pep_forget_fd(fd);
		return REAL(close)(fd);
	}
	fd_release(fd, ps);
	return REAL(close)(fd);
}

/* ---- options ---- */

static int
opt_int(const void *v, socklen_t len, int *out)
{
	if (v == NULL || len < sizeof(int))
		return fail(EINVAL);
	memcpy(out, v, sizeof(int));
	return 0;
}

/* Set an option on the connection too, if there is one. */
static int
conn_opt(struct psock *ps, enum px_tcp_opt opt, int64_t val)
{
	int ret;

	if (ps->kind != PS_CONN || ps->c == NULL)
		return 0;
	ret = px_tcp_setopt(ps->c, opt, val);
	return ret < 0 ? fail(-ret) : 0;
}

EXPORT int
setsockopt(int fd, int level, int name, const void *v, socklen_t len)
{
	struct psock *ps = psock_of(fd);
	struct linger lg;
	struct timeval tv;
	int x = 0;
	PL_SCOPE();

	if (ps == NULL)
		return REAL(setsockopt)(fd, level, name, v, len);
	if (psock_check(ps) < 0)
		return -1;
	/* While undecided, the kernel socket gets it too: if the socket
	 * stays with the kernel, it is already set. */
	if (ps->kind == PS_NEW)
		REAL(setsockopt)(fd, level, name, v, len);
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_REUSEADDR:
		case SO_REUSEPORT:
		case SO_PRIORITY:
		case SO_INCOMING_CPU:
			return opt_int(v, len, &x);  /* accepted; no effect */
		case SO_KEEPALIVE:
			if (opt_int(v, len, &x) < 0)
				return -1;
			ps->keepalive = x != 0;
			return conn_opt(ps, PX_TCP_OPT_KEEPALIVE, x != 0);
		case SO_SNDBUF:
		case SO_RCVBUF:
			if (opt_int(v, len, &x) < 0)
				return -1;
			/* Linux's range: doubled, at least 4608 / 2304. */
			x = x < 1152 ? 2304 : x > (8 << 20) ? (16 << 20) : 2 * x;
			if (name == SO_SNDBUF) {
				ps->sndbuf = x;
				return conn_opt(ps, PX_TCP_OPT_SNDBUF, x);
			}
			ps->rcvbuf = x;
			return conn_opt(ps, PX_TCP_OPT_RCVBUF, x);
		case SO_RCVLOWAT:
			if (opt_int(v, len, &x) < 0)
				return -1;
			ps->rcvlowat = x < 1 ? 1 : x;
			return conn_opt(ps, PX_TCP_OPT_RCVLOWAT, ps->rcvlowat);
		case SO_LINGER:
			if (v == NULL || len < sizeof(lg))
				return fail(EINVAL);
			memcpy(&lg, v, sizeof(lg));
			ps->linger_on = lg.l_onoff != 0;
			ps->linger_s = lg.l_linger;
			return 0;
		case SO_RCVTIMEO:
		case SO_SNDTIMEO:
			if (v == NULL || len < sizeof(tv))
				return fail(EINVAL);
			memcpy(&tv, v, sizeof(tv));
			if (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= 1000000)
				return fail(EDOM);
			*(name == SO_RCVTIMEO ? &ps->rcvtimeo_ns : &ps->sndtimeo_ns) =
				(uint64_t)tv.tv_sec * 1000000000u +
				(uint64_t)tv.tv_usec * 1000u;
			return 0;
		}
	} else if (level == IPPROTO_TCP) {
		switch (name) {
		case TCP_NODELAY:
			if (opt_int(v, len, &x) < 0)
				return -1;
			ps->nodelay = x != 0;
			return conn_opt(ps, PX_TCP_OPT_NODELAY, x != 0);
		case TCP_KEEPIDLE:
		case TCP_KEEPINTVL:
		case TCP_KEEPCNT:
			if (opt_int(v, len, &x) < 0)
				return -1;
			if (x < 1 || x > 32767)
				return fail(EINVAL);
			if (name == TCP_KEEPIDLE) {
				ps->keepidle = x;
				return conn_opt(ps, PX_TCP_OPT_KEEPIDLE, x);
			}
			if (name == TCP_KEEPINTVL) {
				ps->keepintvl = x;
				return conn_opt(ps, PX_TCP_OPT_KEEPINTVL, x);
			}
			ps->keepcnt = x;
			return conn_opt(ps, PX_TCP_OPT_KEEPCNT, x);
		case TCP_CORK:
			/* Full segments only until uncorked (nginx's
			 * tcp_nopush around a header and sendfile). */
			if (opt_int(v, len, &x) < 0)
				return -1;
			ps->cork = x != 0;
			return conn_opt(ps, PX_TCP_OPT_CORK, ps->cork);
		case TCP_DEFER_ACCEPT:
		case TCP_QUICKACK:
			return opt_int(v, len, &x);  /* accepted; no effect */
		}
	} else if (level == IPPROTO_IP && (name == IP_TOS || name == IP_TTL)) {
		return opt_int(v, len, &x);  /* accepted; no effect */
	}
	if (ps->kind == PS_NEW)
		return 0;   /* the kernel socket has it */
	return pl_unsupported("setsockopt(this option)", ENOPROTOOPT);
}

static int
put_int(void *v, socklen_t *len, int x)
{
	if (v == NULL || len == NULL || *len < sizeof(int))
		return fail(EINVAL);
	memcpy(v, &x, sizeof(int));
	*len = sizeof(int);
	return 0;
}

EXPORT int
getsockopt(int fd, int level, int name, void *v, socklen_t *len)
{
	struct psock *ps = psock_of(fd);
	struct linger lg;
	int err;
	PL_SCOPE();

	if (ps == NULL)
		return REAL(getsockopt)(fd, level, name, v, len);
	if (psock_check(ps) < 0)
		return -1;
	if (ps->kind == PS_NEW)
		return REAL(getsockopt)(fd, level, name, v, len);
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_ERROR:
			err = 0;
			if (!ps->err_cleared && ps->kind == PS_CONN) {
				err = ps->so_error != 0 ? ps->so_error :
					ps->c != NULL ? px_tcp_error(ps->c) : 0;
				if (err < 0)
					ps->err_cleared = true;
			}
			return put_int(v, len, -err);
		case SO_TYPE:
			return put_int(v, len, SOCK_STREAM);
		case SO_DOMAIN:
			return put_int(v, len, AF_INET);
		case SO_PROTOCOL:
			return put_int(v, len, IPPROTO_TCP);
		case SO_ACCEPTCONN:
			return put_int(v, len, ps->kind == PS_LISTEN);
		case SO_KEEPALIVE:
			return put_int(v, len, ps->keepalive);
		case SO_REUSEADDR:
			return put_int(v, len, 1);
		case SO_SNDBUF:
			return put_int(v, len, ps->sndbuf > 0 ? ps->sndbuf : 262144);
		case SO_RCVBUF:
			return put_int(v, len, ps->rcvbuf > 0 ? ps->rcvbuf : 262144);
		case SO_LINGER:
			if (v == NULL || len == NULL || *len < sizeof(lg))
				return fail(EINVAL);
			lg.l_onoff = ps->linger_on;
			lg.l_linger = ps->linger_s < 0 ? 0 : ps->linger_s;
			memcpy(v, &lg, sizeof(lg));
			*len = sizeof(lg);
			return 0;
		}
	} else if (level == IPPROTO_TCP) {
		switch (name) {
		case TCP_NODELAY:
			return put_int(v, len, ps->nodelay);
		case TCP_CORK:
			return put_int(v, len, ps->cork);
		case TCP_KEEPIDLE:
			return put_int(v, len, ps->keepidle > 0 ? ps->keepidle : 7200);
		case TCP_KEEPINTVL:
			return put_int(v, len, ps->keepintvl > 0 ? ps->keepintvl : 75);
		case TCP_KEEPCNT:
			return put_int(v, len, ps->keepcnt > 0 ? ps->keepcnt : 9);
		}
	}
	return pl_unsupported("getsockopt(this option)", ENOPROTOOPT);
}

/* ---- names ---- */

EXPORT int
getsockname(int fd, struct sockaddr *sa, socklen_t *len)
{
	struct psock *ps = psock_of(fd);
	PL_SCOPE();

	if (ps == NULL)
		return REAL(getsockname)(fd, sa, len);
	if (psock_check(ps) < 0)
		return -1;
	if (ps->kind == PS_NEW && !ps->bound)
		return REAL(getsockname)(fd, sa, len);
	if (sa == NULL || len == NULL)
		return fail(EFAULT);
	fill_addr(sa, len, ps->laddr, ps->lport);
	return 0;
}

EXPORT int
getpeername(int fd, struct sockaddr *sa, socklen_t *len)
{
	struct psock *ps = psock_of(fd);
	PL_SCOPE();

	if (ps == NULL)
		return REAL(getpeername)(fd, sa, len);
	if (psock_check(ps) < 0)
		return -1;
	if (ps->kind != PS_CONN)
		return fail(ENOTCONN);
	conn_update(ps);
	if (!ps->connected)
		return fail(ENOTCONN);
	if (sa == NULL || len == NULL)
		return fail(EFAULT);
	fill_addr(sa, len, ps->raddr, ps->rport);
	return 0;
}

/* ---- fcntl, ioctl, dup ---- */

static int
ps_fcntl(int fd, struct psock *ps, int cmd, long arg)
{
	int nfd;

	PL_SCOPE();

	if (psock_check(ps) < 0)
		return -1;
	switch (cmd) {
	case F_GETFL:
		return O_RDWR | (ps->nonblock ? O_NONBLOCK : 0);
	case F_SETFL:
		ps->nonblock = (arg & O_NONBLOCK) != 0;
		if (ps->kind == PS_NEW)
			REAL(fcntl)(fd, cmd, arg);
		return 0;
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		nfd = REAL(fcntl)(fd, cmd, arg);
		if (nfd >= 0)
			psock_set(nfd, ps);
		return nfd;
	case F_SETOWN:
	case F_SETSIG:
	case F_SETOWN_EX:
		return pl_unsupported("fcntl(F_SETOWN/F_SETSIG)", EINVAL);
	default:
		return REAL(fcntl)(fd, cmd, arg);   /* F_GETFD, F_SETFD, ... */
	}
}

EXPORT int
fcntl(int fd, int cmd, ...)
{
	struct psock *ps = psock_of(fd);
	va_list ap;
	long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	if (ps == NULL)
		return REAL(fcntl)(fd, cmd, arg);
	return ps_fcntl(fd, ps, cmd, arg);
}

/* glibc >= 2.28 sends fcntl() to fcntl64 under _FILE_OFFSET_BITS=64:
 * the same function. */
EXPORT int fcntl64(int fd, int cmd, ...) __attribute__((alias("fcntl")));

EXPORT int
ioctl(int fd, unsigned long req, ...)
{
	struct psock *ps = psock_of(fd);
	struct px_tcp_info info;
	va_list ap;
	void *arg;
	int x;
	PL_SCOPE();

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (ps == NULL)
		return REAL(ioctl)(fd, req, arg);
	if (psock_check(ps) < 0)
		return -1;
	switch (req) {
	case FIONBIO:
		if (arg == NULL)
			return fail(EFAULT);
		memcpy(&x, arg, sizeof(x));
		ps->nonblock = x != 0;
		if (ps->kind == PS_NEW)
			REAL(ioctl)(fd, req, arg);
		return 0;
	case FIONREAD:   /* == SIOCINQ */
		if (arg == NULL)
			return fail(EFAULT);
		if (ps->kind == PS_LISTEN)
			return fail(EINVAL);
		x = ps->kind == PS_CONN && ps->c != NULL ?
			(int)px_tcp_readable(ps->c) : 0;
		memcpy(arg, &x, sizeof(x));
		return 0;
	case SIOCOUTQ:
		if (arg == NULL)
			return fail(EFAULT);
		x = 0;
		if (ps->kind == PS_CONN && ps->c != NULL &&
				px_tcp_info(ps->c, &info) == 0)
			x = (int)(info.unacked + info.unsent);
		memcpy(arg, &x, sizeof(x));
		return 0;
	}
	return pl_unsupported("ioctl(this request)", ENOTTY);
}

EXPORT int
dup(int fd)
{
	struct psock *ps = psock_of(fd);
	int nfd;

	PL_SCOPE();

	if (ps == NULL || psock_check(ps) < 0)
		return REAL(dup)(fd);   /* a kernel descriptor (or inert) */
	nfd = REAL(dup)(fd);
	if (nfd >= 0)
		psock_set(nfd, ps);
	return nfd;
}

static int
dup_onto(int old, int nfd, int flags, bool three)
{
	struct psock *ps = psock_of(old);
	int ret;

	PL_SCOPE();

	if (old == nfd && !three)
		return REAL(dup2)(old, nfd);
	if (ps != NULL && psock_check(ps) < 0)
		ps = NULL;   /* inert here: the kernel's dup only */
	if (psock_of(nfd) != NULL && old != nfd) {
		/* The kernel closes nfd; the Pollux socket on it goes first. */
		fd_release(nfd, psock_of(nfd));
	}
	pep_forget_fd(nfd);
	ret = three ? REAL(dup3)(old, nfd, flags) : REAL(dup2)(old, nfd);
	if (ps != NULL && ret >= 0)
		psock_set(ret, ps);
	return ret;
}

EXPORT int
dup2(int old, int nfd)
{
	return dup_onto(old, nfd, 0, false);
}

EXPORT int
dup3(int old, int nfd, int flags)
{
	return dup_onto(old, nfd, flags, true);
}
