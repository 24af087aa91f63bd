/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * Readiness. An epoll instance is the program's own kernel epoll: kernel
 * descriptors are registered in it as usual. A Pollux socket's
 * registrations (struct preg, one per socket, instance and descriptor, as
 * Linux's epitem) live here instead, with Linux's rules: the stack's
 * callbacks put each registration on its instance's ready list (every
 * arrival is an edge; the EPOLLEXCLUSIVE ones only up to the first
 * instance with a thread waiting), a wait reports the socket's current
 * level against the mask and then drops an edge-triggered one, keeps a
 * level-triggered one while it stays ready, disables a one-shot one until
 * EPOLL_CTL_MOD; ADD and MOD of a socket that is already ready report it
 * at once; the socket's last close removes them.
 *
 * While the program waits, its thread runs the stack: one Pollux
 * iteration (receive, TCP, timers, transmit), the Pollux events, and
 * every os_ratio-th iteration (or every 4th call that found Pollux
 * events) the kernel's with a zero timeout. After spin_us without events
 * or stack work it sleeps in the kernel wait, at most sleep_max_us (doubling from
 * 1 us) and never past the program's deadline or the stack's next timer,
 * so ACKs, retransmissions and keepalives go on while it is idle.
 */

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_lcore.h>

#include <px_exec.h>
#include <px_timer.h>

#include "preload.h"

#define EXPORT __attribute__((visibility("default")))

/* glibc's fortify entry points (no public prototypes). */
int __poll_chk(struct pollfd *fds, nfds_t nfds, int ms, size_t fdslen);
int __ppoll_chk(struct pollfd *fds, nfds_t nfds, const struct timespec *ts,
		const sigset_t *mask, size_t fdslen);

struct pep {
	int epfd;
	/* An eventfd in the kernel epoll: a thread that makes a socket of
	 * this instance ready while the instance's waiter sleeps in the
	 * kernel wakes it (another thread ran the stack meanwhile). */
	int wake_fd;
	bool sleeping;     /* a waiter is in the kernel wait */
	bool woken;        /* ... and wake_fd was written */
	uint32_t waiters;  /* threads in a wait on it (EPOLLEXCLUSIVE) */
	uint32_t nready;
	uint32_t skip;
	struct preg *rhead, *rtail;    /* ready list */
	struct preg *ghead;            /* registrations */
};

/* One socket in one epoll instance (Linux's epitem), keyed by the socket,
 * the instance and the descriptor it was added with. */
struct preg {
	struct pep *ep;
	struct psock *ps;
	int fd;
	uint32_t mask;               /* EPOLL* asked for */
	epoll_data_t data;
	bool queued;                 /* on ep's ready list */
	bool disabled;               /* EPOLLONESHOT fired; MOD re-arms */
	struct preg *rnext, *rprev;  /* ep's ready list */
	struct preg *gnext, *gprev;  /* ep's registrations */
	struct preg *snext;          /* the socket's registrations */
};

/* Free registrations link through snext. */
static struct pl_pool preg_pool = { sizeof(struct preg),
	offsetof(struct preg, snext), NULL };

#define MAX_PEPS 64
static struct pep *peps[MAX_PEPS];
static unsigned int npeps;

static struct pep *
pep_find(int epfd)
{
	unsigned int i;

	for (i = 0; i < npeps; i++)
		if (peps[i]->epfd == epfd)
			return peps[i];
	return NULL;
}

static struct pep *
pep_get(int epfd)
{
	struct pep *p = pep_find(epfd);

	if (p != NULL || npeps == MAX_PEPS)
		return p;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->epfd = epfd;
	p->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (p->wake_fd >= 0) {
		struct epoll_event ev = { .events = EPOLLIN,
			.data.u64 = (uint64_t)(uintptr_t)p };

		if (REAL(epoll_ctl)(epfd, EPOLL_CTL_ADD, p->wake_fd, &ev) != 0) {
			REAL(close)(p->wake_fd);
			p->wake_fd = -1;   /* then the sleep's timeout bounds it */
		}
	}
	peps[npeps++] = p;
	return p;
}

static void
ready_unlink(struct pep *p, struct preg *r)
{
	if (r->rprev != NULL)
		r->rprev->rnext = r->rnext;
	else
		p->rhead = r->rnext;
	if (r->rnext != NULL)
		r->rnext->rprev = r->rprev;
	else
		p->rtail = r->rprev;
	r->rnext = r->rprev = NULL;
	r->queued = false;
	p->nready--;
}

static void
ready_append(struct pep *p, struct preg *r)
{
	r->rnext = NULL;
	r->rprev = p->rtail;
	if (p->rtail != NULL)
		p->rtail->rnext = r;
	else
		p->rhead = r;
	p->rtail = r;
	r->queued = true;
	p->nready++;
}

/* Queue r for its instance's next wait, waking a waiter that sleeps in
 * the kernel. */
static void
preg_notify(struct preg *r)
{
	struct pep *p = r->ep;
	uint64_t one = 1;

	if (r->queued || r->disabled)
		return;
	ready_append(p, r);
	if (p->sleeping && !p->woken && p->wake_fd >= 0) {
		p->woken = true;
		pl_st.wakes++;
		if (REAL(write)(p->wake_fd, &one, sizeof(one)) < 0)
			p->woken = false;
	}
}

void
psock_notify(struct psock *ps)
{
	struct preg *r;
	bool woke_one = false;

	/* Every registration hears of it, except that the EPOLLEXCLUSIVE
	 * ones stop at the first whose instance has a thread waiting
	 * (Linux's ep_poll_callback(): the ones before it, with nobody
	 * waiting, queue it too). */
	for (r = ps->regs; r != NULL; r = r->snext) {
		if (!(r->mask & EPOLLEXCLUSIVE)) {
			preg_notify(r);
		} else if (!woke_one) {
			preg_notify(r);
			woke_one = r->ep->waiters > 0;
		}
	}
}

/* Drop one registration. */
static void
preg_forget(struct preg *r)
{
	struct pep *p = r->ep;
	struct preg **pp;

	if (r->queued)
		ready_unlink(p, r);
	if (r->gprev != NULL)
		r->gprev->gnext = r->gnext;
	else
		p->ghead = r->gnext;
	if (r->gnext != NULL)
		r->gnext->gprev = r->gprev;
	for (pp = &r->ps->regs; *pp != NULL; pp = &(*pp)->snext)
		if (*pp == r) {
			*pp = r->snext;
			break;
		}
	pl_pool_put(&preg_pool, r);
}

void
pep_forget(struct psock *ps)
{
	while (ps->regs != NULL)
		preg_forget(ps->regs);
}

void
pep_kernel_mirror(struct psock *ps, int fd)
{
	struct epoll_event ev;
	struct preg *r;

	for (r = ps->regs; r != NULL; r = r->snext) {
		ev.events = r->mask;
		ev.data = r->data;
		if (r->fd == fd)
			REAL(epoll_ctl)(r->ep->epfd, EPOLL_CTL_ADD, fd, &ev);
	}
}

void
pep_to_kernel(struct psock *ps, int fd)
{
	pep_kernel_mirror(ps, fd);
	pep_forget(ps);
}

void
pep_forget_fd(int fd)
{
	struct pep *p;
	unsigned int i;

	PL_SCOPE();

	if (npeps == 0 || pl_up != 1 || pl_pid != pl_self)
		return;
	pl_lock();
	p = pep_find(fd);
	if (p == NULL)
		return;
	while (p->ghead != NULL)
		preg_forget(p->ghead);
	for (i = 0; i < npeps; i++)
		if (peps[i] == p) {
			peps[i] = peps[--npeps];
			break;
		}
	if (p->wake_fd >= 0)
		REAL(close)(p->wake_fd);   /* leaves the epoll with it */
	free(p);
}

/* ---- epoll_ctl ---- */

/* What EPOLLEXCLUSIVE may come with (Linux's EPOLLEXCLUSIVE_OK_BITS). */
#define EXCL_OK (EPOLLIN | EPOLLOUT | EPOLLRDNORM | EPOLLRDBAND | \
	EPOLLWRNORM | EPOLLWRBAND | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | \
	EPOLLET | EPOLLEXCLUSIVE)

static struct preg *
preg_find(const struct psock *ps, int epfd, int fd)
{
	struct preg *r;

	for (r = ps->regs; r != NULL; r = r->snext)
		if (r->ep->epfd == epfd && r->fd == fd)
			return r;
	return NULL;
}

EXPORT int
epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	struct psock *ps = psock_of(fd);
	struct preg *r, **pp;
	struct pep *p;

	PL_SCOPE();

	if (ps == NULL)
		return REAL(epoll_ctl)(epfd, op, fd, ev);
	if (psock_check(ps) < 0)
		return -1;
	if (epfd == fd) {
		errno = EINVAL;
		return -1;
	}
	if (op != EPOLL_CTL_DEL && ev == NULL) {
		errno = EFAULT;
		return -1;
	}
	r = preg_find(ps, epfd, fd);
	switch (op) {
	case EPOLL_CTL_ADD:
		if (r != NULL) {
			errno = EEXIST;
			return -1;
		}
		if ((ev->events & EPOLLEXCLUSIVE) && (ev->events & ~EXCL_OK)) {
			errno = EINVAL;
			return -1;
		}
		p = pep_get(epfd);
		r = p != NULL ? pl_pool_get(&preg_pool) : NULL;
		if (r == NULL) {
			errno = ENOMEM;
			return -1;
		}
		r->ep = p;
		r->ps = ps;
		r->fd = fd;
		r->gnext = p->ghead;
		if (p->ghead != NULL)
			p->ghead->gprev = r;
		p->ghead = r;
		/* At the tail: exclusive ones are tried in the order they
		 * were added, as Linux's wait queue does. */
		for (pp = &ps->regs; *pp != NULL; pp = &(*pp)->snext)
			;
		*pp = r;
		break;
	case EPOLL_CTL_MOD:
		if (r == NULL) {
			errno = ENOENT;
			return -1;
		}
		if ((ev->events | r->mask) & EPOLLEXCLUSIVE) {
			errno = EINVAL;
			return -1;
		}
		break;
	case EPOLL_CTL_DEL:
		if (r == NULL) {
			errno = ENOENT;
			return -1;
		}
		preg_forget(r);
		if (ps->klisten)
			REAL(epoll_ctl)(epfd, op, fd, ev);
		return 0;
	default:
		errno = EINVAL;
		return -1;
	}
	r->mask = ev->events;
	r->data = ev->data;
	r->disabled = false;
	if (ps->klisten)   /* its kernel side too */
		REAL(epoll_ctl)(epfd, op, fd, ev);
	/* Ready already: reported by the next wait (ep_insert/ep_modify). */
	if (psock_level(ps) & (r->mask | EPOLLERR | EPOLLHUP))
		preg_notify(r);
	return 0;
}

/* ---- the wait loop ---- */

struct waiter {
	/* Pollux readiness: how many are ready (appending them). */
	int (*pollux)(struct waiter *w);
	/* The kernel's wait with a timeout in ns (0: do not block):
	 * events appended, or -1 with errno. */
	int (*kernel)(struct waiter *w, uint64_t timeout_ns);
	/* Still valid after the lock was dropped and taken back (another
	 * thread may have closed what the wait is on); NULL: always. */
	bool (*valid)(struct waiter *w);
	bool has_kernel;   /* there are kernel descriptors to check */
	bool restartable;  /* an SA_RESTART handler does not end the wait */
	uint32_t *skip;    /* calls that found Pollux events */
	/* epoll */
	struct pep *p;
	int epfd, wake_fd;
	struct epoll_event *ev;
	int max, filled;
	const sigset_t *mask;
	/* poll */
	struct pollfd *fds;
	nfds_t nfds;
	/* one socket (and a kernel descriptor, or -1) */
	struct psock *ps;
	uint32_t want;
	int kfd;
};

static uint64_t
next_timer_ns(void)
{
	uint64_t exp, now;

	exp = px_timer_wheel_next_expiry(px_exec_wheel(rte_lcore_id()));
	if (exp == UINT64_MAX)
		return UINT64_MAX;
	now = rte_rdtsc();
	if (exp <= now)
		return 0;
	return (uint64_t)((double)(exp - now) * 1e9 / (double)rte_get_tsc_hz());
}

/* After the lock came back: 1 if the stack is still up and what the wait
 * is on still exists; else what the wait returns: 0 (no events) for an
 * epoll or poll wait when the stack ended meanwhile (the process exits on
 * another thread; the next wait is the kernel's alone), -1 with EBADF
 * otherwise. */
static int
still_valid(struct waiter *w)
{
	if (pl_up == 1 && (w->valid == NULL || w->valid(w)))
		return 1;
	if (pl_up != 1 && w->has_kernel)
		return 0;
	errno = EBADF;
	return -1;
}

/* Returns the number of events (>= 0) or -1 with errno. deadline is
 * CLOCK_MONOTONIC ns, UINT64_MAX for none. */
static int
wait_loop(struct waiter *w, uint64_t deadline)
{
	uint64_t now, spin_end, backoff = 1000, t, tn;
	unsigned int i, d;
	int n, m, v;

	sig_atomic_t gen = pl_sig_gen;

	pl_st.waits++;
	now = pl_now_ns();
	spin_end = now + (uint64_t)pl_conf.spin_us * 1000u;
	for (i = 0;; i++) {
		if (pl_lock_wanted()) {
			/* Another thread queued for the stack: its turn. */
			pl_lock_take(pl_lock_drop());
			if ((v = still_valid(w)) <= 0)
				return v;
		}
		if (pl_poll() != 0) {
			/* The stack had work (ACKs coming back while a reply
			 * drains, say): keep spinning; sleeping now would hold
			 * the next burst up to sleep_max_us. */
			now = pl_now_ns();
			spin_end = now + (uint64_t)pl_conf.spin_us * 1000u;
			backoff = 1000;
		}
		pl_nobufs_retry(now);
		n = w->pollux(w);
		if (n > 0) {
			if (w->has_kernel && ++*w->skip % 4 == 0) {
				pl_st.os_checks++;
				m = w->kernel(w, 0);
				if (m > 0)
					n += m;
			}
			pl_st.events += (uint64_t)n;
			return n;
		}
		if (w->has_kernel && i % pl_conf.os_ratio == 0) {
			pl_st.os_checks++;
			m = w->kernel(w, 0);
			if (m != 0) {
				if (m > 0)
					pl_st.events += (uint64_t)m;
				return m;
			}
		}
		if (pl_sig_gen != gen) {
			/* The application's handler ran while we spun. */
			if (!w->restartable || !pl_sig_restart) {
				errno = EINTR;
				return -1;
			}
			gen = pl_sig_gen;
		}
		now = pl_now_ns();
		if (now >= deadline) {
			if (w->has_kernel && i % pl_conf.os_ratio != 0)
				return w->kernel(w, 0);
			return 0;
		}
		if (pl_conf.idle == PL_IDLE_BUSY || now < spin_end)
			continue;
		t = deadline - now;
		if (t > backoff)
			t = backoff;
		tn = next_timer_ns();
		if (t > tn)
			t = tn;
		if (backoff < (uint64_t)pl_conf.sleep_max_us * 1000u)
			backoff *= 2;
		if (t == 0)
			continue;
		pl_st.sleeps++;
		/* Other threads may run the stack while this one sleeps. */
		if (w->p != NULL)
			w->p->sleeping = true;
		d = pl_lock_drop();
		m = w->kernel(w, t);
		pl_lock_take(d);
		if ((v = still_valid(w)) <= 0)
			return v;
		if (w->p != NULL)
			w->p->sleeping = w->p->woken = false;
		if (m < 0) {
			/* A signal: the next round's check tells whether
			 * it was the application's (then EINTR) or not
			 * (net_tap's SIGIO: go on). */
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (m > 0) {
			pl_st.wakeups_early++;
			pl_poll();
			n = w->pollux(w);
			pl_st.events += (uint64_t)(m + n);
			return m + n;
		}
		now = pl_now_ns();
	}
}

static uint64_t
deadline_ms(int ms)
{
	return ms < 0 ? UINT64_MAX : pl_now_ns() + (uint64_t)ms * 1000000u;
}

static uint64_t
deadline_ts(const struct timespec *ts)
{
	if (ts == NULL)
		return UINT64_MAX;
	return pl_now_ns() + (uint64_t)ts->tv_sec * 1000000000u +
		(uint64_t)ts->tv_nsec;
}

/* ---- epoll_wait ---- */

static int
ep_pollux(struct waiter *w)
{
	struct pep *p = w->p;
	struct preg *r;
	uint32_t todo = p->nready, lvl, rep;
	int n = 0;

	while (todo-- > 0 && w->filled < w->max && (r = p->rhead) != NULL) {
		ready_unlink(p, r);
		if (r->disabled)
			continue;
		lvl = psock_level(r->ps);
		rep = lvl & (r->mask | EPOLLERR | EPOLLHUP);
		if (rep == 0)
			continue;
		w->ev[w->filled].events = rep;
		w->ev[w->filled].data = r->data;
		w->filled++;
		n++;
		if (r->mask & EPOLLONESHOT)
			r->disabled = true;
		else if (!(r->mask & EPOLLET))
			ready_append(p, r);   /* still ready: next time too */
	}
	return n;
}

/* Take the instance's own wake-up event out of what the kernel returned
 * (and drain its eventfd): the number of events left. */
static int
ep_unwake(struct waiter *w, struct epoll_event *ev, int m)
{
	uint64_t key = (uint64_t)(uintptr_t)w->p, x;
	int i, k = 0;

	for (i = 0; i < m; i++) {
		if (ev[i].data.u64 == key) {
			if (REAL(read)(w->wake_fd, &x, sizeof(x)) < 0)
				x = 0;
			continue;
		}
		ev[k++] = ev[i];
	}
	return k;
}

static int
ep_kernel(struct waiter *w, uint64_t timeout_ns)
{
	struct timespec ts = { (time_t)(timeout_ns / 1000000000u),
		(long)(timeout_ns % 1000000000u) };
	int m;

	if (w->filled >= w->max)
		return 0;
	if (timeout_ns == 0)
		m = REAL(epoll_pwait)(w->epfd, w->ev + w->filled,
				w->max - w->filled, 0, NULL);
	else
		m = REAL(epoll_pwait2)(w->epfd, w->ev + w->filled,
				w->max - w->filled, &ts, w->mask);
	if (m > 0)
		m = ep_unwake(w, w->ev + w->filled, m);
	if (m > 0)
		w->filled += m;
	return m;
}

static bool
ep_valid(struct waiter *w)
{
	return pep_find(w->epfd) == w->p;
}

/* A wait on an epoll instance with Pollux registrations: the number of
 * events, or -1 with errno; -2 if it has none (the kernel's call). */
static int
ep_wait(int epfd, struct epoll_event *ev, int max, uint64_t deadline,
		const sigset_t *mask)
{
	struct waiter w = { .pollux = ep_pollux, .kernel = ep_kernel,
		.valid = ep_valid, .has_kernel = true, .ev = ev, .max = max,
		.mask = mask, .epfd = epfd };
	int n;

	PL_SCOPE();

	if (npeps == 0 || pl_up != 1 || pl_pid != pl_self)
		return -2;
	pl_lock();
	w.p = pep_find(epfd);
	if (w.p == NULL)
		return -2;
	w.wake_fd = w.p->wake_fd;
	w.skip = &w.p->skip;
	if (max <= 0) {
		errno = EINVAL;
		return -1;
	}
	w.p->waiters++;
	n = wait_loop(&w, deadline);
	/* The instance may be gone (closed by another thread meanwhile). */
	if (pep_find(epfd) == w.p)
		w.p->waiters--;
	return n < 0 ? -1 : w.filled;
}

EXPORT int
epoll_wait(int epfd, struct epoll_event *ev, int max, int ms)
{
	int n = ep_wait(epfd, ev, max, deadline_ms(ms), NULL);

	return n != -2 ? n : REAL(epoll_pwait)(epfd, ev, max, ms, NULL);
}

EXPORT int
epoll_pwait(int epfd, struct epoll_event *ev, int max, int ms,
		const sigset_t *mask)
{
	int n = ep_wait(epfd, ev, max, deadline_ms(ms), mask);

	return n != -2 ? n : REAL(epoll_pwait)(epfd, ev, max, ms, mask);
}

EXPORT int
epoll_pwait2(int epfd, struct epoll_event *ev, int max,
		const struct timespec *ts, const sigset_t *mask)
{
	int n = ep_wait(epfd, ev, max, deadline_ts(ts), mask);

	return n != -2 ? n : REAL(epoll_pwait2)(epfd, ev, max, ts, mask);
}

/* ---- poll ---- */

static int
pl_pollux(struct waiter *w)
{
	struct psock *ps;
	nfds_t i;
	short rev;
	int n = 0;

	for (i = 0; i < w->nfds; i++) {
		ps = psock_of(w->fds[i].fd);
		if (ps == NULL)
			continue;
		rev = (short)(psock_level(ps) &
			((uint32_t)(uint16_t)w->fds[i].events | POLLERR | POLLHUP));
		/* A wildcard listener's kernel side reports in the same
		 * entry (the kernel's call wrote it). */
		w->fds[i].revents = ps->klisten ? w->fds[i].revents | rev : rev;
		n += w->fds[i].revents != 0;
	}
	return n;
}

static int
pl_kernel(struct waiter *w, uint64_t timeout_ns)
{
	struct timespec ts = { (time_t)(timeout_ns / 1000000000u),
		(long)(timeout_ns % 1000000000u) };
	nfds_t hid[64], i;
	int fds[64], m, k = 0, j;
	struct psock *ps;

	/* Pollux entries are hidden from the kernel (fd -1 is skipped),
	 * except wildcard listeners, whose kernel side listens too. */
	for (i = 0; i < w->nfds && k < 64; i++)
		if ((ps = psock_of(w->fds[i].fd)) != NULL && !ps->klisten) {
			hid[k] = i;
			fds[k++] = w->fds[i].fd;
			w->fds[i].fd = -1;
		}
	m = REAL(ppoll)(w->fds, w->nfds, &ts, timeout_ns ? w->mask : NULL);
	for (j = 0; j < k; j++)
		w->fds[hid[j]].fd = fds[j];
	return m;
}

static int
do_poll(struct pollfd *fds, nfds_t nfds, uint64_t deadline,
		const sigset_t *mask, bool *ours)
{
	static uint32_t skip;
	struct waiter w = { .pollux = pl_pollux, .kernel = pl_kernel,
		.fds = fds, .nfds = nfds, .mask = mask, .skip = &skip };
	struct psock *ps;
	nfds_t i, np = 0;
	int n;

	PL_SCOPE();

	*ours = false;
	if (pl_up != 1 || pl_pid != pl_self || nfds > 64 * 1024)
		return 0;
	for (i = 0; i < nfds; i++) {
		if ((ps = psock_of(fds[i].fd)) != NULL) {
			np++;
			w.has_kernel |= ps->klisten;
		} else if (fds[i].fd >= 0) {
			w.has_kernel = true;
		}
	}
	if (np == 0)
		return 0;
	if (np > 64) {
		*ours = true;
		return pl_unsupported("poll(more than 64 Pollux sockets)", EINVAL);
	}
	*ours = true;
	pl_lock();
	for (i = 0; i < nfds; i++)
		fds[i].revents = 0;
	n = wait_loop(&w, deadline);
	if (n < 0)
		return -1;
	/* The kernel's call cleared the Pollux entries: count afresh. */
	pl_pollux(&w);
	for (i = 0, n = 0; i < nfds; i++)
		n += fds[i].revents != 0;
	return n;
}

EXPORT int
poll(struct pollfd *fds, nfds_t nfds, int ms)
{
	bool ours;
	int n = do_poll(fds, nfds, deadline_ms(ms), NULL, &ours);

	return ours ? n : REAL(poll)(fds, nfds, ms);
}

EXPORT int
__poll_chk(struct pollfd *fds, nfds_t nfds, int ms, size_t fdslen)
{
	(void)fdslen;
	return poll(fds, nfds, ms);
}

EXPORT int
ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *ts,
		const sigset_t *mask)
{
	bool ours;
	int n = do_poll(fds, nfds, deadline_ts(ts), mask, &ours);

	return ours ? n : REAL(ppoll)(fds, nfds, ts, mask);
}

EXPORT int
__ppoll_chk(struct pollfd *fds, nfds_t nfds, const struct timespec *ts,
		const sigset_t *mask, size_t fdslen)
{
	(void)fdslen;
	return ppoll(fds, nfds, ts, mask);
}

/* ---- select, pselect: through poll ---- */

static bool
sets_have_pollux(int nfds, fd_set *r, fd_set *wr, fd_set *e)
{
	int fd;

	for (fd = 0; fd < nfds && fd < FD_SETSIZE; fd++)
		if (((r != NULL && FD_ISSET(fd, r)) ||
				(wr != NULL && FD_ISSET(fd, wr)) ||
				(e != NULL && FD_ISSET(fd, e))) &&
				psock_of(fd) != NULL)
			return true;
	return false;
}

/* select() on a set with Pollux sockets, as a poll() over its
 * descriptors, with Linux's mapping back (readable: IN, HUP or ERR;
 * writable: OUT or ERR; exceptional: PRI). The count of bits set, or -1
 * with errno; *ours false if the stack is not this process's (the
 * kernel's select then). */
static int
do_select(int nfds, fd_set *r, fd_set *wr, fd_set *e, uint64_t deadline,
		const sigset_t *mask, bool *ours)
{
	struct pollfd pf[FD_SETSIZE];
	nfds_t n = 0, i;
	int fd, k, total = 0;
	short ev, re;

	if (nfds < 0) {
		*ours = true;
		errno = EINVAL;
		return -1;
	}
	for (fd = 0; fd < nfds && fd < FD_SETSIZE; fd++) {
		ev = 0;
		if (r != NULL && FD_ISSET(fd, r))
			ev |= POLLIN;
		if (wr != NULL && FD_ISSET(fd, wr))
			ev |= POLLOUT;
		if (e != NULL && FD_ISSET(fd, e))
			ev |= POLLPRI;
		if (ev != 0) {
			pf[n].fd = fd;
			pf[n].events = ev;
			pf[n++].revents = 0;
		}
	}
	k = do_poll(pf, n, deadline, mask, ours);
	if (!*ours || k < 0)
		return k;
	for (i = 0; i < n; i++)
		if (pf[i].revents & POLLNVAL) {
			errno = EBADF;
			return -1;
		}
	if (r != NULL)
		FD_ZERO(r);
	if (wr != NULL)
		FD_ZERO(wr);
	if (e != NULL)
		FD_ZERO(e);
	for (i = 0; i < n; i++) {
		re = pf[i].revents;
		ev = pf[i].events;
		if ((ev & POLLIN) && (re & (POLLIN | POLLHUP | POLLERR))) {
			FD_SET(pf[i].fd, r);
			total++;
		}
		if ((ev & POLLOUT) && (re & (POLLOUT | POLLERR))) {
			FD_SET(pf[i].fd, wr);
			total++;
		}
		if ((ev & POLLPRI) && (re & POLLPRI)) {
			FD_SET(pf[i].fd, e);
			total++;
		}
	}
	return total;
}

EXPORT int
select(int nfds, fd_set *r, fd_set *wr, fd_set *e, struct timeval *tv)
{
	uint64_t deadline = UINT64_MAX, now;
	bool ours = false;
	int n;

	if (!sets_have_pollux(nfds, r, wr, e))
		return REAL(select)(nfds, r, wr, e, tv);
	if (tv != NULL)
		deadline = pl_now_ns() + (uint64_t)tv->tv_sec * 1000000000u +
			(uint64_t)tv->tv_usec * 1000u;
	n = do_select(nfds, r, wr, e, deadline, NULL, &ours);
	if (!ours)
		return REAL(select)(nfds, r, wr, e, tv);
	if (tv != NULL) {
		/* Linux leaves the time not slept in *tv. */
		now = pl_now_ns();
		now = now < deadline ? deadline - now : 0;
		tv->tv_sec = (time_t)(now / 1000000000u);
		tv->tv_usec = (suseconds_t)(now % 1000000000u / 1000u);
	}
	return n;
}

EXPORT int
pselect(int nfds, fd_set *r, fd_set *wr, fd_set *e, const struct timespec *ts,
		const sigset_t *mask)
{
	bool ours = false;
	int n;

	if (!sets_have_pollux(nfds, r, wr, e))
		return REAL(pselect)(nfds, r, wr, e, ts, mask);
	n = do_select(nfds, r, wr, e, deadline_ts(ts), mask, &ours);
	return ours ? n : REAL(pselect)(nfds, r, wr, e, ts, mask);
}

/* ---- one socket (blocking calls) ---- */

static bool
one_valid(struct waiter *w)
{
	return w->ps->refs > 0;
}

static int
one_pollux(struct waiter *w)
{
	return (psock_level(w->ps) & w->want) != 0;
}

static int
one_sleep(struct waiter *w, uint64_t timeout_ns)
{
	struct timespec ts = { (time_t)(timeout_ns / 1000000000u),
		(long)(timeout_ns % 1000000000u) };
	struct pollfd pf = { .fd = w->kfd, .events = POLLIN };

	if (w->kfd >= 0)
		return REAL(ppoll)(&pf, 1, &ts, NULL);
	if (timeout_ns == 0)
		return 0;
	if (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL) != 0) {
		errno = EINTR;
		return -1;
	}
	return 0;
}

int
pl_wait_one(struct psock *ps, uint32_t want, uint64_t deadline_ns, int kfd)
{
	static uint32_t skip;
	struct waiter w = { .pollux = one_pollux, .kernel = one_sleep,
		.valid = one_valid, .ps = ps, .want = want, .skip = &skip,
		.restartable = true, .kfd = kfd, .has_kernel = kfd >= 0 };
	int n;

	n = wait_loop(&w, deadline_ns == 0 ? UINT64_MAX : deadline_ns);
	if (n < 0)
		return -errno;
	return n > 0 ? 0 : -ETIMEDOUT;
}
