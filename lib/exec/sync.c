/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_malloc.h>
#include <rte_pause.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "exec_private.h"

/*
 * Wait lists hold px__waiter nodes that live on the parked task's stack,
 * so one task can wait on several objects at once (px_select()). Waking
 * pops the node ("fired") and readies its task; the task re-checks its
 * condition when it runs, so a stray wake is harmless. A fired node whose
 * task then does not take what it was woken for passes the wake on.
 */

static void
wq_add(struct px__waitq *q, struct px__waiter *w, struct px_task *t)
{
	w->task = t;
	w->fired = 0;
	w->linked = 1;
	TAILQ_INSERT_TAIL(q, w, link);
}

static void
wq_del(struct px__waitq *q, struct px__waiter *w)
{
	if (w->linked) {
		TAILQ_REMOVE(q, w, link);
		w->linked = 0;
	}
}

/* Pop the first waiter and ready its task; false if none. */
static bool
wq_wake_one(struct px__waitq *q)
{
	struct px__waiter *w = TAILQ_FIRST(q);

	if (w == NULL)
		return false;
	TAILQ_REMOVE(q, w, link);
	w->linked = 0;
	w->fired = 1;
	task_wake(w->task, 0);
	return true;
}

static void
wq_wake_all(struct px__waitq *q)
{
	while (wq_wake_one(q))
		;
}

static struct px_task *
cur_task(void)
{
	struct exec *e = exec_self();

	return e != NULL ? e->current : NULL;
}

/* 0 if the calling lcore owns the object, else -EXDEV (or -EINVAL with
 * no runtime). */
static int
owner_check(uint32_t owner)
{
	struct exec *e = exec_self();

	if (e == NULL)
		return -EINVAL;
	return e->lcore_id == owner ? 0 : -EXDEV;
}

/* Forward an operation to the owner lcore's mailbox. */
static int
forward(uint32_t owner, uint16_t type, void *obj, uint32_t u32)
{
	struct exec *dst = exec_of(owner);
	struct exec *e = exec_self();
	struct px_msg m;

	if (dst == NULL)
		return -EINVAL;
	memset(&m, 0, sizeof(m));
	m.type = type;
	m.src = e != NULL ? (uint16_t)e->lcore_id : UINT16_MAX;
	m.u32 = u32;
	m.a = (uint64_t)(uintptr_t)obj;
	if (px_xchan_send_burst(dst->mbox, &m, 1) != 1)
		return -EAGAIN;
	if (e != NULL)
		e->st.msgs_out++;
	return 0;
}

/* ---- channel ---- */

enum { SIDE_RECV = 0, SIDE_SEND = 1 };

struct px_chan {
	struct rte_ring *ring;     /* MPMC, elements of esize bytes */
	uint32_t esize;
	uint32_t n;                /* executors: wait lists per side */
	uint32_t closed;           /* store-release in close, load-acquire in ops */
	uint32_t refs;             /* owner + wake messages in flight */
	/* Bit i: executor index i has waiters on that side. Set and cleared
	 * only by executor i; read by everyone (see chan_notify()). */
	uint64_t waitmask[2];
	uint8_t *wake_pending;     /* [2][n]: a CHAN_WAKE is in flight */
	struct px__waitq *wq;      /* [2][n], each touched by its lcore only */
};

int
px_chan_create(uint32_t capacity, uint32_t elem_size, struct px_chan **out)
{
	size_t ringsz, wqsz, sz;
	struct px_chan *ch;
	char name[RTE_RING_NAMESIZE];
	uint32_t i, n = px__g.n;
	ssize_t rs;
	int ret;

	if (out == NULL || capacity == 0 || capacity > (1u << 30) ||
			elem_size == 0 || elem_size % 4 != 0 || elem_size > 256 ||
			n == 0)
		return -EINVAL;
	rs = rte_ring_get_memsize_elem(elem_size, rte_align32pow2(capacity + 1));
	if (rs < 0)
		return (int)rs;
	ringsz = RTE_ALIGN_CEIL((size_t)rs, RTE_CACHE_LINE_SIZE);
	wqsz = sizeof(struct px__waitq) * 2 * n;
	sz = RTE_ALIGN_CEIL(sizeof(*ch), RTE_CACHE_LINE_SIZE) + ringsz + wqsz + 2 * n;
	ch = rte_zmalloc("px_chan", sz, RTE_CACHE_LINE_SIZE);
	if (ch == NULL)
		return -ENOMEM;
	ch->ring = (struct rte_ring *)((char *)ch +
			RTE_ALIGN_CEIL(sizeof(*ch), RTE_CACHE_LINE_SIZE));
	ch->wq = (struct px__waitq *)((char *)ch->ring + ringsz);
	ch->wake_pending = (uint8_t *)(ch->wq + 2 * n);
	snprintf(name, sizeof(name), "pxc%p", (void *)ch);
	/* rte_ring_init(): our memory, no memzone, so channels are not
	 * limited by the memzone table. Multi-producer, multi-consumer; in
	 * RTS mode when lcores share CPUs (see PX_XCHAN_F_RTS). */
	ret = rte_ring_init(ch->ring, name, capacity, RING_F_EXACT_SZ |
			(px__g.shared_cpus ? RING_F_MP_RTS_ENQ | RING_F_MC_RTS_DEQ : 0));
	if (ret < 0) {
		rte_free(ch);
		return ret;
	}
	ch->esize = elem_size;
	ch->n = n;
	ch->refs = 1;
	for (i = 0; i < 2 * n; i++)
		TAILQ_INIT(&ch->wq[i]);
	*out = ch;
	return 0;
}

static void
chan_unref(struct px_chan *ch)
{
	/* acq_rel: the last holder sees every other holder's writes. */
	if (__atomic_sub_fetch(&ch->refs, 1, __ATOMIC_ACQ_REL) == 0)
		rte_free(ch);
}

void
px_chan_free(struct px_chan *ch)
{
	if (ch != NULL)
		chan_unref(ch);
}

static struct px__waitq *
chan_wq(struct px_chan *ch, int side, uint32_t idx)
{
	return &ch->wq[side * ch->n + idx];
}

static void
chan_register(struct px_chan *ch, int side, struct exec *e,
		struct px__waiter *w)
{
	wq_add(chan_wq(ch, side, e->index), w, e->current);
	__atomic_fetch_or(&ch->waitmask[side], 1ull << e->index, __ATOMIC_SEQ_CST);
	/* Orders the bit before our re-check of the ring (the caller's
	 * chan_ready()); pairs with the fence in chan_notify(): either the
	 * notifier sees our bit or we see its ring update. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static void chan_notify(struct px_chan *ch, int side, bool all);
static bool chan_ready(struct px_chan *ch, int side);

static void
chan_unregister(struct px_chan *ch, int side, struct exec *e,
		struct px__waiter *w, bool pass_on)
{
	struct px__waitq *q = chan_wq(ch, side, e->index);

	wq_del(q, w);
	if (TAILQ_EMPTY(q))
		__atomic_fetch_and(&ch->waitmask[side], ~(1ull << e->index),
				__ATOMIC_RELAXED);
	/* Woken for an item or a slot we will not take: wake the next one,
	 * if there is still something to take (else two waiters would keep
	 * passing an empty wake back and forth). */
	if (pass_on && w->fired && chan_ready(ch, side))
		chan_notify(ch, side, false);
}

/* Something changed that waiters on *side* may want: an item arrived
 * (side RECV) or a slot freed (side SEND). Local waiters are woken
 * directly; other lcores get one CHAN_WAKE message at a time. */
static void
chan_notify(struct px_chan *ch, int side, bool all)
{
	struct exec *e = exec_self();
	uint64_t mask;
	uint32_t idx;
	uint8_t *pend;
	struct px_msg m;

	/* Pairs with the seq_cst RMW in chan_register(): our ring update
	 * is visible before we read the mask, or the waiter sees it. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* acquire: orders the wake_pending exchange below after the waiter
	 * lcore's clear of it (chan_wake_msg()). */
	mask = __atomic_load_n(&ch->waitmask[side], __ATOMIC_ACQUIRE);
	while (mask != 0) {
		idx = (uint32_t)__builtin_ctzll(mask);
		mask &= mask - 1;
		if (e != NULL && idx == e->index) {
			struct px__waitq *q = chan_wq(ch, side, idx);

			if (all)
				wq_wake_all(q);
			else
				wq_wake_one(q);
			if (TAILQ_EMPTY(q))
				__atomic_fetch_and(&ch->waitmask[side],
						~(1ull << idx), __ATOMIC_RELAXED);
			continue;
		}
		pend = &ch->wake_pending[side * ch->n + idx];
		if (__atomic_exchange_n(pend, 1, __ATOMIC_ACQ_REL) != 0)
			continue; /* one in flight already wakes them all */
		__atomic_fetch_add(&ch->refs, 1, __ATOMIC_RELAXED);
		memset(&m, 0, sizeof(m));
		m.type = MSG_CHAN_WAKE;
		m.a = (uint64_t)(uintptr_t)ch;
		m.u32 = (uint32_t)side;
		exec_send_internal(e, px__g.lcore_of[idx], &m);
	}
}

static void
chan_wake_msg(struct exec *e, struct px_chan *ch, int side)
{
	struct px__waitq *q = chan_wq(ch, side, e->index);

	/* Clear first: a send after this point sends a new message. acq_rel:
	 * the tasks woken below see every item enqueued by a notifier that
	 * found the flag set (its exchange came before ours). */
	__atomic_exchange_n(&ch->wake_pending[side * ch->n + e->index], 0,
			__ATOMIC_ACQ_REL);
	wq_wake_all(q);
	if (TAILQ_EMPTY(q))
		__atomic_fetch_and(&ch->waitmask[side], ~(1ull << e->index),
				__ATOMIC_RELAXED);
	chan_unref(ch);
}

void
px_chan_close(struct px_chan *ch)
{
	if (ch == NULL)
		return;
	/* Hold a reference across the notify: a receiver that sees the close
	 * may free the channel at once (drain until -EPIPE, then free). */
	__atomic_fetch_add(&ch->refs, 1, __ATOMIC_RELAXED);
	/* seq_cst store pairs with the load-acquire in the chan ops. */
	__atomic_store_n(&ch->closed, 1, __ATOMIC_SEQ_CST);
	chan_notify(ch, SIDE_RECV, true);
	chan_notify(ch, SIDE_SEND, true);
	chan_unref(ch);
}

static bool
chan_closed(const struct px_chan *ch)
{
	return __atomic_load_n(&ch->closed, __ATOMIC_ACQUIRE) != 0;
}

/* Non-blocking attempts: 1 done, 0 would wait, -EPIPE closed. */
static int
chan_try_recv(struct px_chan *ch, void *item)
{
	if (rte_ring_dequeue_elem(ch->ring, item, ch->esize) == 0) {
		chan_notify(ch, SIDE_SEND, false);
		return 1;
	}
	if (chan_closed(ch)) {
		/* Items sent before the close are still delivered. */
		if (rte_ring_dequeue_elem(ch->ring, item, ch->esize) == 0)
			return 1;
		return -EPIPE;
	}
	return 0;
}

static int
chan_try_send(struct px_chan *ch, const void *item)
{
	if (chan_closed(ch))
		return -EPIPE;
	/* rte_ring_enqueue_elem() takes a non-const pointer but only reads. */
	if (rte_ring_enqueue_elem(ch->ring, (void *)(uintptr_t)item,
			ch->esize) == 0) {
		chan_notify(ch, SIDE_RECV, false);
		return 1;
	}
	return 0;
}

static bool
chan_ready(struct px_chan *ch, int side)
{
	if (chan_closed(ch))
		return true;
	return side == SIDE_RECV ? rte_ring_count(ch->ring) > 0 :
		rte_ring_free_count(ch->ring) > 0;
}

static int
chan_op(struct px_chan *ch, void *item, uint64_t timeout_ns, int side)
{
	uint64_t deadline = px_deadline(timeout_ns);
	struct px__waiter w;
	struct exec *e;
	int ret;

	if (ch == NULL || item == NULL)
		return -EINVAL;
	for (;;) {
		ret = side == SIDE_RECV ? chan_try_recv(ch, item) :
			chan_try_send(ch, item);
		if (ret != 0)
			return ret > 0 ? 0 : ret;
		if (timeout_ns == 0)
			return -EAGAIN;
		e = exec_self();
		if (e == NULL || e->current == NULL)
			return -EDEADLK;
		chan_register(ch, side, e, &w);
		if (chan_ready(ch, side)) {
			chan_unregister(ch, side, e, &w, false);
			continue;
		}
		ret = task_park(side == SIDE_RECV ? "chan_recv" : "chan_send",
				deadline);
		chan_unregister(ch, side, e, &w, ret < 0);
		if (ret < 0)
			return ret;
	}
}

int
px_chan_send(struct px_chan *ch, const void *item, uint64_t timeout_ns)
{
	return chan_op(ch, (void *)(uintptr_t)item, timeout_ns, SIDE_SEND);
}

int
px_chan_recv(struct px_chan *ch, void *item, uint64_t timeout_ns)
{
	return chan_op(ch, item, timeout_ns, SIDE_RECV);
}

unsigned int
px_chan_len(const struct px_chan *ch)
{
	return ch != NULL ? rte_ring_count(ch->ring) : 0;
}

/* ---- oneshot ---- */

enum { OS_EMPTY, OS_WAITING, OS_SETTING, OS_SET, OS_TAKEN };

int
px_oneshot_init(struct px_oneshot *os)
{
	struct exec *e = exec_self();

	if (os == NULL)
		return -EINVAL;
	memset(os, 0, sizeof(*os));
	os->owner_lcore = e != NULL ? e->lcore_id : UINT32_MAX;
	return 0;
}

int
px_oneshot_send(struct px_oneshot *os, uint64_t value)
{
	struct exec *e = exec_self();
	struct px_task *waiter;
	uint64_t waiter_id;
	uint32_t s, owner;

	if (os == NULL)
		return -EINVAL;
	s = __atomic_load_n(&os->state, __ATOMIC_ACQUIRE);
	do {
		if (s >= OS_SETTING)
			return -EALREADY;
		/* acquire: if the receiver registered (WAITING), we see the
		 * waiter fields it wrote before its release CAS. */
	} while (!__atomic_compare_exchange_n(&os->state, &s, OS_SETTING, false,
			__ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE));
	/* Copy what the wake needs now: once OS_SET is visible the receiver
	 * may take the value and its oneshot (often on its stack) is gone.
	 * The fields cannot change while the state is OS_SETTING. */
	waiter = os->waiter;
	waiter_id = os->waiter_id;
	owner = os->owner_lcore;
	os->value = value;
	/* store-release pairs with the load-acquire in oneshot_try(). */
	__atomic_store_n(&os->state, OS_SET, __ATOMIC_RELEASE);
	if (s != OS_WAITING)
		return 0;
	if (e != NULL && e->lcore_id == owner) {
		if (waiter->id == waiter_id)
			task_wake(waiter, 0);
	} else {
		exec_wake_remote(e, owner, waiter, waiter_id, 0);
	}
	return 0;
}

/* 1 taken, 0 not yet, -EALREADY taken before. */
static int
oneshot_try(struct px_oneshot *os, uint64_t *value)
{
	uint32_t s;

	for (;;) {
		s = __atomic_load_n(&os->state, __ATOMIC_ACQUIRE);
		if (s == OS_SET) {
			if (value != NULL)
				*value = os->value;
			__atomic_store_n(&os->state, OS_TAKEN, __ATOMIC_RELAXED);
			return 1;
		}
		if (s == OS_TAKEN)
			return -EALREADY;
		if (s != OS_SETTING)
			return 0;
		rte_pause(); /* the sender is between its two stores */
	}
}

/* Register the current task as the receiver: 1 registered, 0 a value came
 * meanwhile, -EBUSY if another task already waits on it. */
static int
oneshot_register(struct px_oneshot *os, struct px_task *t)
{
	uint32_t s = OS_EMPTY;

	/* Only the owner lcore moves the state to WAITING, so this plain
	 * check cannot race with another receiver. */
	if (__atomic_load_n(&os->state, __ATOMIC_RELAXED) == OS_WAITING)
		return -EBUSY;
	os->waiter = t;
	os->waiter_id = px_task_id(t);
	/* release: the sender's acquire CAS sees waiter fields. */
	return __atomic_compare_exchange_n(&os->state, &s, OS_WAITING, false,
			__ATOMIC_RELEASE, __ATOMIC_RELAXED) ? 1 : 0;
}

static void
oneshot_unregister(struct px_oneshot *os)
{
	uint32_t s = OS_WAITING;

	/* Fails when the sender got in first: the value is then there. */
	__atomic_compare_exchange_n(&os->state, &s, OS_EMPTY, false,
			__ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

int
px_oneshot_recv(struct px_oneshot *os, uint64_t *value, uint64_t timeout_ns)
{
	uint64_t deadline = px_deadline(timeout_ns);
	struct px_task *t;
	int ret;

	if (os == NULL)
		return -EINVAL;
	ret = owner_check(os->owner_lcore);
	if (ret < 0)
		return ret;
	for (;;) {
		ret = oneshot_try(os, value);
		if (ret != 0)
			return ret > 0 ? 0 : ret;
		if (timeout_ns == 0)
			return -ETIMEDOUT;
		t = cur_task();
		if (t == NULL)
			return -EDEADLK;
		ret = oneshot_register(os, t);
		if (ret < 0)
			return ret;
		if (ret == 0)
			continue;
		ret = task_park("oneshot", deadline);
		oneshot_unregister(os);
		if (ret < 0 && oneshot_try(os, value) <= 0)
			return ret;
		if (ret < 0)
			return 0;
	}
}

/* Common part of the owner-lcore objects' init: an empty wait list owned
 * by the calling lcore. */
static int
owned_init(struct px__waitq *q, uint32_t *owner)
{
	struct exec *e = exec_self();

	if (e == NULL)
		return -EINVAL;
	TAILQ_INIT(q);
	*owner = e->lcore_id;
	return 0;
}

/* ---- mutex ---- */

int
px_mutex_init(struct px_mutex *m)
{
	if (m == NULL)
		return -EINVAL;
	m->holder = NULL;
	return owned_init(&m->waiters, &m->owner_lcore);
}

int
px_mutex_lock(struct px_mutex *m, uint64_t timeout_ns)
{
	uint64_t deadline = px_deadline(timeout_ns);
	struct px__waiter w;
	struct px_task *t;
	int ret;

	if (m == NULL)
		return -EINVAL;
	ret = owner_check(m->owner_lcore);
	if (ret < 0)
		return ret;
	t = cur_task();
	if (t == NULL)
		return -EINVAL;
	if (m->holder == NULL) {
		m->holder = t;
		return 0;
	}
	if (m->holder == t)
		return -EDEADLK;
	if (timeout_ns == 0)
		return -EBUSY;
	wq_add(&m->waiters, &w, t);
	for (;;) {
		ret = task_park("mutex", deadline);
		/* unlock hands the lock over: holder is set for us. */
		if (m->holder == t)
			return 0;
		if (ret < 0) {
			wq_del(&m->waiters, &w);
			return ret;
		}
	}
}

int
px_mutex_unlock(struct px_mutex *m)
{
	struct px__waiter *w;

	if (m == NULL || m->holder == NULL || m->holder != cur_task())
		return -EPERM;
	w = TAILQ_FIRST(&m->waiters);
	if (w == NULL) {
		m->holder = NULL;
		return 0;
	}
	m->holder = w->task;
	wq_wake_one(&m->waiters);
	return 0;
}

/* ---- semaphore ---- */

int
px_sem_init(struct px_sem *s, uint64_t count)
{
	if (s == NULL)
		return -EINVAL;
	s->count = count;
	return owned_init(&s->waiters, &s->owner_lcore);
}

/* Release on the owner: hand the permit to the first waiter (its node is
 * marked fired, which means "you have it"), or bank it. */
static void
sem_release_local(struct px_sem *s)
{
	if (!wq_wake_one(&s->waiters))
		s->count++;
}

/* Take one token from *tokens (a semaphore's permits, a notify's stored
 * permit) or wait until one is handed to us directly: the releaser pops
 * our node and marks it fired, which means "it is yours". */
static int
token_wait(struct px__waitq *q, uint64_t *tokens, uint32_t owner,
		const char *what, uint64_t timeout_ns)
{
	uint64_t deadline = px_deadline(timeout_ns);
	struct px__waiter w;
	struct px_task *t;
	int ret;

	ret = owner_check(owner);
	if (ret < 0)
		return ret;
	if (*tokens > 0) {
		(*tokens)--;
		return 0;
	}
	if (timeout_ns == 0)
		return -EAGAIN;
	t = cur_task();
	if (t == NULL)
		return -EDEADLK;
	wq_add(q, &w, t);
	for (;;) {
		ret = task_park(what, deadline);
		if (w.fired)
			return 0;
		if (ret < 0) {
			wq_del(q, &w);
			return ret;
		}
	}
}

int
px_sem_acquire(struct px_sem *s, uint64_t timeout_ns)
{
	if (s == NULL)
		return -EINVAL;
	return token_wait(&s->waiters, &s->count, s->owner_lcore, "sem",
			timeout_ns);
}

int
px_sem_release(struct px_sem *s)
{
	if (s == NULL)
		return -EINVAL;
	if (owner_check(s->owner_lcore) == 0) {
		sem_release_local(s);
		return 0;
	}
	return forward(s->owner_lcore, MSG_SEM_RELEASE, s, 0);
}

/* ---- notify ---- */

int
px_notify_init(struct px_notify *n)
{
	if (n == NULL)
		return -EINVAL;
	n->permit = 0;
	return owned_init(&n->waiters, &n->owner_lcore);
}

static void
notify_local(struct px_notify *n, bool all)
{
	if (all)
		wq_wake_all(&n->waiters);
	else if (!wq_wake_one(&n->waiters))
		n->permit = 1;
}

int
px_notify_wait(struct px_notify *n, uint64_t timeout_ns)
{
	if (n == NULL)
		return -EINVAL;
	return token_wait(&n->waiters, &n->permit, n->owner_lcore, "notify",
			timeout_ns);
}

static int
notify(struct px_notify *n, bool all)
{
	if (n == NULL)
		return -EINVAL;
	if (owner_check(n->owner_lcore) == 0) {
		notify_local(n, all);
		return 0;
	}
	return forward(n->owner_lcore, MSG_NOTIFY, n, all);
}

int
px_notify_one(struct px_notify *n)
{
	return notify(n, false);
}

int
px_notify_all(struct px_notify *n)
{
	return notify(n, true);
}

/* ---- wait group ---- */

int
px_wg_init(struct px_wg *wg)
{
	if (wg == NULL)
		return -EINVAL;
	wg->count = 0;
	return owned_init(&wg->waiters, &wg->owner_lcore);
}

int
px_wg_add(struct px_wg *wg, uint32_t n)
{
	int ret;

	if (wg == NULL)
		return -EINVAL;
	ret = owner_check(wg->owner_lcore);
	if (ret < 0)
		return ret;
	wg->count += n;
	return 0;
}

static int
wg_done_local(struct px_wg *wg)
{
	if (wg->count == 0)
		return -EOVERFLOW;
	if (--wg->count == 0)
		wq_wake_all(&wg->waiters);
	return 0;
}

int
px_wg_done(struct px_wg *wg)
{
	if (wg == NULL)
		return -EINVAL;
	if (owner_check(wg->owner_lcore) == 0)
		return wg_done_local(wg);
	return forward(wg->owner_lcore, MSG_WG_DONE, wg, 0);
}

int
px_wg_wait(struct px_wg *wg, uint64_t timeout_ns)
{
	uint64_t deadline = px_deadline(timeout_ns);
	struct px__waiter w;
	struct px_task *t;
	int ret;

	if (wg == NULL)
		return -EINVAL;
	ret = owner_check(wg->owner_lcore);
	if (ret < 0)
		return ret;
	while (wg->count != 0) {
		if (timeout_ns == 0)
			return -ETIMEDOUT;
		t = cur_task();
		if (t == NULL)
			return -EDEADLK;
		wq_add(&wg->waiters, &w, t);
		ret = task_park("wait_group", deadline);
		wq_del(&wg->waiters, &w);
		if (ret < 0 && wg->count != 0)
			return ret;
	}
	return 0;
}

/* Mailbox messages for the objects above. */
void
sync_msg(struct exec *e, const struct px_msg *m)
{
	void *obj = (void *)(uintptr_t)m->a;

	switch (m->type) {
	case MSG_CHAN_WAKE:
		chan_wake_msg(e, obj, (int)m->u32);
		break;
	case MSG_SEM_RELEASE:
		sem_release_local(obj);
		break;
	case MSG_NOTIFY:
		notify_local(obj, m->u32 != 0);
		break;
	case MSG_WG_DONE:
		if (wg_done_local(obj) < 0)
			e->st.msgs_unknown++;
		break;
	default:
		break;
	}
}

/* ---- select ---- */

/* 1 done, 0 would wait, <0 error (-EPIPE: closed channel). */
static int
sel_try(struct px_sel *c)
{
	switch (c->op) {
	case PX_SEL_CHAN_RECV:
		return chan_try_recv(c->chan, c->buf);
	case PX_SEL_CHAN_SEND:
		return chan_try_send(c->chan, c->cbuf);
	case PX_SEL_NOTIFY:
		if (c->notify->permit) {
			c->notify->permit = 0;
			return 1;
		}
		return 0;
	case PX_SEL_SEM:
		if (c->sem->count > 0) {
			c->sem->count--;
			return 1;
		}
		return 0;
	case PX_SEL_ONESHOT:
		return oneshot_try(c->oneshot, c->value);
	}
	return -EINVAL;
}

static int
sel_check(const struct px_sel *c)
{
	switch (c->op) {
	case PX_SEL_CHAN_RECV:
	case PX_SEL_CHAN_SEND:
		return c->chan != NULL && c->buf != NULL ? 0 : -EINVAL;
	case PX_SEL_NOTIFY:
		return c->notify == NULL ? -EINVAL : owner_check(c->notify->owner_lcore);
	case PX_SEL_SEM:
		return c->sem == NULL ? -EINVAL : owner_check(c->sem->owner_lcore);
	case PX_SEL_ONESHOT:
		return c->oneshot == NULL ? -EINVAL :
			owner_check(c->oneshot->owner_lcore);
	}
	return -EINVAL;
}

/* Register a case: 1 waiting, 0 ready already (do not park), <0 error. */
static int
sel_register(struct px_sel *c, struct exec *e, struct px__waiter *w)
{
	w->linked = 0;
	w->fired = 0;
	switch (c->op) {
	case PX_SEL_CHAN_RECV:
		chan_register(c->chan, SIDE_RECV, e, w);
		return !chan_ready(c->chan, SIDE_RECV);
	case PX_SEL_CHAN_SEND:
		chan_register(c->chan, SIDE_SEND, e, w);
		return !chan_ready(c->chan, SIDE_SEND);
	case PX_SEL_NOTIFY:
		wq_add(&c->notify->waiters, w, e->current);
		return 1;
	case PX_SEL_SEM:
		wq_add(&c->sem->waiters, w, e->current);
		return 1;
	case PX_SEL_ONESHOT:
		return oneshot_register(c->oneshot, e->current);
	}
	return -EINVAL;
}

/* Unregister a case. Returns true if it was handed something of its own
 * (a semaphore permit or a notification: the node is "fired"). */
static bool
sel_unregister(struct px_sel *c, struct exec *e, struct px__waiter *w)
{
	switch (c->op) {
	case PX_SEL_CHAN_RECV:
		chan_unregister(c->chan, SIDE_RECV, e, w, false);
		return false;
	case PX_SEL_CHAN_SEND:
		chan_unregister(c->chan, SIDE_SEND, e, w, false);
		return false;
	case PX_SEL_NOTIFY:
		wq_del(&c->notify->waiters, w);
		return w->fired;
	case PX_SEL_SEM:
		wq_del(&c->sem->waiters, w);
		return w->fired;
	case PX_SEL_ONESHOT:
		oneshot_unregister(c->oneshot);
		return false;
	}
	return false;
}

/* On the way out of a select: give back what case c was handed but will
 * not use (a permit, a notification), or pass a channel wake on. */
static void
sel_pass_on(struct px_sel *c, struct px__waiter *w)
{
	if (!w->fired)
		return;
	switch (c->op) {
	case PX_SEL_CHAN_RECV:
		if (chan_ready(c->chan, SIDE_RECV))
			chan_notify(c->chan, SIDE_RECV, false);
		break;
	case PX_SEL_CHAN_SEND:
		if (chan_ready(c->chan, SIDE_SEND))
			chan_notify(c->chan, SIDE_SEND, false);
		break;
	case PX_SEL_NOTIFY:
		notify_local(c->notify, false);
		break;
	case PX_SEL_SEM:
		sem_release_local(c->sem);
		break;
	case PX_SEL_ONESHOT:
		break;
	}
}

int
px_select(struct px_sel *cases, unsigned int n, uint64_t timeout_ns)
{
	uint64_t deadline = px_deadline(timeout_ns);
	struct px__waiter ws[PX_SELECT_MAX];
	bool reg[PX_SELECT_MAX], waitable[PX_SELECT_MAX];
	unsigned int i, open;
	int ret, done;
	struct exec *e;

	if (cases == NULL || n == 0 || n > PX_SELECT_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		ret = sel_check(&cases[i]);
		if (ret < 0)
			return ret;
	}
	for (;;) {
		open = 0;
		for (i = 0; i < n; i++) {
			reg[i] = false;
			ret = sel_try(&cases[i]);
			if (ret > 0)
				return (int)i;
			waitable[i] = ret == 0;
			if (ret == 0)
				open++;
			else if (ret != -EPIPE && ret != -EALREADY)
				return ret;
		}
		if (open == 0)
			return -EPIPE;
		if (timeout_ns == 0)
			return -EAGAIN;
		e = exec_self();
		if (e == NULL || e->current == NULL)
			return -EDEADLK;
		ret = 1;
		for (i = 0; i < n && ret > 0; i++) {
			if (!waitable[i])
				continue; /* closed or taken: not waited on */
			ret = sel_register(&cases[i], e, &ws[i]);
			reg[i] = ret >= 0;
		}
		/* ret 0: a case became ready while registering; retry. */
		if (ret > 0)
			ret = task_park("select", deadline);
		done = -1;
		for (i = 0; i < n; i++)
			if (reg[i] && sel_unregister(&cases[i], e, &ws[i]) && done < 0)
				done = (int)i;
		/* Leaving with a hand-off, a timeout, a cancel or an error: pass
		 * on every other wake we got. Looping: we retry every case. */
		if (done >= 0 || ret < 0) {
			for (i = 0; i < n; i++)
				if (reg[i] && (int)i != done)
					sel_pass_on(&cases[i], &ws[i]);
			return done >= 0 ? done : ret;
		}
	}
}
