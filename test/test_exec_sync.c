/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_lcore.h>

#include <px_exec.h>
#include <px_sync.h>
#include <px_task.h>

#include "test_exec.h"

#define MS 1000000ull

static unsigned int
other_lcore(void)
{
	return rte_get_next_lcore(rte_lcore_id(), 0, 1);
}

/* ---- channel ---- */

static void *
chan_consumer(void *arg)
{
	struct px_chan *ch = arg;
	uint64_t v, sum = 0, expect = 0;
	int ret;

	while ((ret = px_chan_recv(ch, &v, PX_TIMEOUT_INF)) == 0) {
		if (v != expect)
			return (void *)(uintptr_t)UINT64_MAX; /* out of order */
		expect++;
		sum += v;
	}
	return ret == -EPIPE ? (void *)(uintptr_t)sum : NULL;
}

static void *
case_chan_local(void)
{
	struct px_chan *ch;
	struct px_task *t;
	uint64_t v = 0, i;
	void *r;

	T_EQ(px_chan_create(0, 8, &ch), -EINVAL);
	T_EQ(px_chan_create(4, 6, &ch), -EINVAL);
	T_EQ(px_chan_create(4, 8, NULL), -EINVAL);
	T_EQ(px_chan_create(4, 8, &ch), 0);
	/* Exactly the capacity fits. */
	for (i = 0; i < 4; i++)
		T_EQ(px_chan_send(ch, &i, 0), 0);
	T_EQ(px_chan_send(ch, &i, 0), -EAGAIN);
	T_EQ(px_chan_send(ch, &i, 2 * MS), -ETIMEDOUT);
	T_EQ(px_chan_len(ch), 4);
	for (i = 0; i < 4; i++) {
		T_EQ(px_chan_recv(ch, &v, 0), 0);
		T_EQ(v, i);
	}
	T_EQ(px_chan_recv(ch, &v, 0), -EAGAIN);
	T_EQ(px_chan_recv(ch, &v, 2 * MS), -ETIMEDOUT);
	/* A parked consumer, a sender that blocks on full, close at the end. */
	T_EQ(px_spawn(chan_consumer, ch, NULL, &t), 0);
	for (i = 0; i < 1000; i++)
		T_EQ(px_chan_send(ch, &i, PX_TIMEOUT_INF), 0);
	px_chan_close(ch);
	px_chan_close(ch);
	T_EQ(px_chan_send(ch, &i, 0), -EPIPE);
	T_EQ(px_task_join(t, &r, PX_TIMEOUT_INF), 0);
	T_EQ((uintptr_t)r, 999 * 1000 / 2);
	T_EQ(px_chan_recv(ch, &v, PX_TIMEOUT_INF), -EPIPE);
	px_chan_free(ch);
	return NULL;
}

static void *
chan_producer(void *arg)
{
	struct px_chan *ch = arg;
	uint64_t i;

	for (i = 0; i < 100000; i++)
		if (px_chan_send(ch, &i, PX_TIMEOUT_INF) != 0)
			return (void *)1;
	px_chan_close(ch);
	return NULL;
}

static void *
case_chan_cross(void)
{
	struct px_chan *ch;
	struct px_task *p, *c;
	void *r;

	/* Small capacity: both sides park often and wake each other
	 * across lcores. */
	T_EQ(px_chan_create(16, 8, &ch), 0);
	T_EQ(px_spawn_on(other_lcore(), chan_producer, ch, NULL, &p), 0);
	T_EQ(px_spawn(chan_consumer, ch, NULL, &c), 0);
	T_EQ(px_task_join(p, &r, PX_TIMEOUT_INF), 0);
	T_CHECK(r == NULL);
	T_EQ(px_task_join(c, &r, PX_TIMEOUT_INF), 0);
	T_EQ((uintptr_t)r, 99999ull * 100000 / 2);
	px_chan_free(ch);
	/* Reverse: consumer remote, producer local. */
	T_EQ(px_chan_create(8, 8, &ch), 0);
	T_EQ(px_spawn_on(other_lcore(), chan_consumer, ch, NULL, &c), 0);
	T_CHECK(chan_producer(ch) == NULL);
	T_EQ(px_task_join(c, &r, PX_TIMEOUT_INF), 0);
	T_EQ((uintptr_t)r, 99999ull * 100000 / 2);
	px_chan_free(ch);
	return NULL;
}

/* ---- oneshot ---- */

static void *
os_send_later(void *arg)
{
	px_sleep_ns(MS);
	return (void *)(intptr_t)px_oneshot_send(arg, 77);
}

static void *
os_recv_remote(void *arg)
{
	uint64_t v;

	return (void *)(intptr_t)px_oneshot_recv(arg, &v, 0);
}

static void *
case_oneshot(void)
{
	struct px_oneshot os;
	struct px_task *t;
	uint64_t v = 0;
	void *r;

	T_EQ(px_oneshot_init(&os), 0);
	T_EQ(px_oneshot_recv(&os, &v, 0), -ETIMEDOUT);
	T_EQ(px_oneshot_recv(&os, &v, MS), -ETIMEDOUT);
	T_EQ(px_oneshot_send(&os, 5), 0);
	T_EQ(px_oneshot_send(&os, 6), -EALREADY);
	T_EQ(px_oneshot_recv(&os, &v, 0), 0);
	T_EQ(v, 5);
	T_EQ(px_oneshot_recv(&os, &v, 0), -EALREADY);
	/* From another lcore, while we are parked. */
	T_EQ(px_oneshot_init(&os), 0);
	T_EQ(px_spawn_on(other_lcore(), os_send_later, &os, NULL, &t), 0);
	T_EQ(px_oneshot_recv(&os, &v, PX_TIMEOUT_INF), 0);
	T_EQ(v, 77);
	T_EQ(px_task_join(t, &r, PX_TIMEOUT_INF), 0);
	T_EQ((intptr_t)r, 0);
	/* The receiving side is the owner lcore only. */
	T_EQ(px_oneshot_init(&os), 0);
	T_EQ(px_spawn_on(other_lcore(), os_recv_remote, &os, NULL, &t), 0);
	T_EQ(px_task_join(t, &r, PX_TIMEOUT_INF), 0);
	T_EQ((intptr_t)r, -EXDEV);
	return NULL;
}

/* ---- mutex ---- */

static struct px_mutex mtx;
static int in_cs, cs_max, cs_order[8], cs_n;

static void *
locker(void *arg)
{
	if (px_mutex_lock(&mtx, PX_TIMEOUT_INF) != 0)
		return (void *)1;
	cs_order[cs_n++] = (int)(intptr_t)arg;
	in_cs++;
	if (in_cs > cs_max)
		cs_max = in_cs;
	px_sleep_ns(MS / 2); /* park while holding it */
	in_cs--;
	return (void *)(intptr_t)px_mutex_unlock(&mtx);
}

static void *
lock_remote(void *arg)
{
	return (void *)(intptr_t)px_mutex_lock(arg, 0);
}

static void *
case_mutex(void)
{
	struct px_task *t[4];
	void *r;
	int i;

	T_EQ(px_mutex_init(&mtx), 0);
	in_cs = cs_max = cs_n = 0;
	T_EQ(px_mutex_unlock(&mtx), -EPERM);
	T_EQ(px_mutex_lock(&mtx, 0), 0);
	T_EQ(px_mutex_lock(&mtx, 0), -EDEADLK);
	for (i = 0; i < 4; i++)
		T_EQ(px_spawn(locker, (void *)(intptr_t)i, NULL, &t[i]), 0);
	T_EQ(px_yield(), 0); /* all four queue up, in order */
	T_EQ(px_mutex_unlock(&mtx), 0);
	for (i = 0; i < 4; i++) {
		T_EQ(px_task_join(t[i], &r, PX_TIMEOUT_INF), 0);
		T_EQ((intptr_t)r, 0);
	}
	T_EQ(cs_max, 1);
	for (i = 0; i < 4; i++)
		T_EQ(cs_order[i], i); /* FIFO hand-off */
	/* Timeout while held. */
	T_EQ(px_spawn(locker, (void *)9, NULL, &t[0]), 0);
	T_EQ(px_yield(), 0);
	T_EQ(px_mutex_lock(&mtx, 0), -EBUSY);
	T_EQ(px_mutex_lock(&mtx, MS / 10), -ETIMEDOUT);
	T_EQ(px_task_join(t[0], NULL, PX_TIMEOUT_INF), 0);
	T_EQ(px_mutex_lock(&mtx, 0), 0);
	T_EQ(px_mutex_unlock(&mtx), 0);
	/* Other lcores may not touch it. */
	T_EQ(px_spawn_on(other_lcore(), lock_remote, &mtx, NULL, &t[0]), 0);
	T_EQ(px_task_join(t[0], &r, PX_TIMEOUT_INF), 0);
	T_EQ((intptr_t)r, -EXDEV);
	return NULL;
}

/* ---- semaphore, notify, wait group ---- */

static void *
sem_taker(void *arg)
{
	return (void *)(intptr_t)px_sem_acquire(arg, PX_TIMEOUT_INF);
}

static void *
remote_release(void *arg)
{
	return (void *)(intptr_t)px_sem_release(arg);
}

static void *
case_sem(void)
{
	struct px_sem s;
	struct px_task *t[3], *x;
	void *r;
	int i;

	T_EQ(px_sem_init(&s, 2), 0);
	T_EQ(px_sem_acquire(&s, 0), 0);
	T_EQ(px_sem_acquire(&s, 0), 0);
	T_EQ(px_sem_acquire(&s, 0), -EAGAIN);
	T_EQ(px_sem_acquire(&s, MS / 10), -ETIMEDOUT);
	for (i = 0; i < 3; i++)
		T_EQ(px_spawn(sem_taker, &s, NULL, &t[i]), 0);
	T_EQ(px_yield(), 0);
	T_EQ(px_sem_release(&s), 0);
	T_EQ(px_sem_release(&s), 0);
	/* The third permit comes from another lcore. */
	T_EQ(px_spawn_on(other_lcore(), remote_release, &s, NULL, &x), 0);
	T_EQ(px_task_join(x, &r, PX_TIMEOUT_INF), 0);
	T_EQ((intptr_t)r, 0);
	for (i = 0; i < 3; i++) {
		T_EQ(px_task_join(t[i], &r, PX_TIMEOUT_INF), 0);
		T_EQ((intptr_t)r, 0);
	}
	T_EQ(s.count, 0);
	return NULL;
}

static void *
notify_waiter(void *arg)
{
	return (void *)(intptr_t)px_notify_wait(arg, PX_TIMEOUT_INF);
}

static void *
remote_notify_all(void *arg)
{
	return (void *)(intptr_t)px_notify_all(arg);
}

static void *
case_notify(void)
{
	struct px_notify n;
	struct px_task *t[3], *x;
	void *r;
	int i;

	T_EQ(px_notify_init(&n), 0);
	T_EQ(px_notify_wait(&n, 0), -EAGAIN);
	T_EQ(px_notify_wait(&n, MS / 10), -ETIMEDOUT);
	/* A permit is stored once, not counted. */
	T_EQ(px_notify_one(&n), 0);
	T_EQ(px_notify_one(&n), 0);
	T_EQ(px_notify_wait(&n, 0), 0);
	T_EQ(px_notify_wait(&n, 0), -EAGAIN);
	/* notify_all from another lcore wakes every waiter. */
	for (i = 0; i < 3; i++)
		T_EQ(px_spawn(notify_waiter, &n, NULL, &t[i]), 0);
	T_EQ(px_yield(), 0);
	T_EQ(px_spawn_on(other_lcore(), remote_notify_all, &n, NULL, &x), 0);
	T_EQ(px_task_join(x, &r, PX_TIMEOUT_INF), 0);
	T_EQ((intptr_t)r, 0);
	for (i = 0; i < 3; i++) {
		T_EQ(px_task_join(t[i], &r, PX_TIMEOUT_INF), 0);
		T_EQ((intptr_t)r, 0);
	}
	T_EQ(px_notify_wait(&n, 0), -EAGAIN); /* notify_all stores nothing */
	return NULL;
}

static void *
wg_worker(void *arg)
{
	px_sleep_ns(MS);
	return (void *)(intptr_t)px_wg_done(arg);
}

static void *
case_wg(void)
{
	struct px_wg wg;
	unsigned int lcore, n = 0;
	struct px_task *t;

	T_EQ(px_wg_init(&wg), 0);
	T_EQ(px_wg_wait(&wg, 0), 0);
	T_EQ(px_wg_done(&wg), -EOVERFLOW);
	RTE_LCORE_FOREACH(lcore) {
		T_EQ(px_wg_add(&wg, 4), 0);
		for (int i = 0; i < 4; i++) {
			T_EQ(px_spawn_on(lcore, wg_worker, &wg, NULL, &t), 0);
			T_EQ(px_task_detach(t), 0);
		}
		n++;
	}
	T_EQ(px_wg_wait(&wg, 0), -ETIMEDOUT);
	T_EQ(px_wg_wait(&wg, 2000 * MS), 0);
	T_EQ(wg.count, 0);
	T_CHECK(n >= 2);
	return NULL;
}

/* ---- select ---- */

static void *
send_after(void *arg)
{
	uint64_t v = 123;

	px_sleep_ns(2 * MS);
	return (void *)(intptr_t)px_chan_send(arg, &v, PX_TIMEOUT_INF);
}

static void *
notify_after(void *arg)
{
	px_sleep_ns(2 * MS);
	return (void *)(intptr_t)px_notify_one(arg);
}

static void *
case_select(void)
{
	struct px_chan *a, *b;
	struct px_notify n;
	struct px_oneshot os;
	struct px_task *t;
	uint64_t va = 0, vb = 0, vo = 0, x = 5;
	struct px_sel sel[4];
	void *r;

	T_EQ(px_chan_create(4, 8, &a), 0);
	T_EQ(px_chan_create(1, 8, &b), 0);
	T_EQ(px_notify_init(&n), 0);
	T_EQ(px_oneshot_init(&os), 0);
	memset(sel, 0, sizeof(sel));
	sel[0].op = PX_SEL_CHAN_RECV; sel[0].chan = a; sel[0].buf = &va;
	sel[1].op = PX_SEL_CHAN_RECV; sel[1].chan = b; sel[1].buf = &vb;
	sel[2].op = PX_SEL_NOTIFY; sel[2].notify = &n;
	sel[3].op = PX_SEL_ONESHOT; sel[3].oneshot = &os; sel[3].value = &vo;

	T_EQ(px_select(sel, 0, 0), -EINVAL);
	T_EQ(px_select(sel, 4, 0), -EAGAIN);
	T_EQ(px_select(sel, 4, MS), -ETIMEDOUT);
	/* Ready before the call: the first ready case wins. */
	T_EQ(px_chan_send(b, &x, 0), 0);
	T_EQ(px_select(sel, 4, 0), 1);
	T_EQ(vb, 5);
	/* Parked, then a channel from another lcore. */
	T_EQ(px_spawn_on(other_lcore(), send_after, a, NULL, &t), 0);
	T_EQ(px_select(sel, 4, 2000 * MS), 0);
	T_EQ(va, 123);
	T_EQ(px_task_join(t, &r, PX_TIMEOUT_INF), 0);
	/* Parked, then a local notify. */
	T_EQ(px_spawn(notify_after, &n, NULL, &t), 0);
	T_EQ(px_select(sel, 4, 2000 * MS), 2);
	T_EQ(px_task_join(t, &r, PX_TIMEOUT_INF), 0);
	T_EQ(px_notify_wait(&n, 0), -EAGAIN); /* consumed by the select */
	/* Parked, then the oneshot from another lcore. */
	T_EQ(px_spawn_on(other_lcore(), os_send_later, &os, NULL, &t), 0);
	T_EQ(px_select(sel, 4, 2000 * MS), 3);
	T_EQ(vo, 77);
	T_EQ(px_task_join(t, &r, PX_TIMEOUT_INF), 0);
	/* Send case: b has room after we drained it. */
	sel[0].op = PX_SEL_CHAN_SEND; sel[0].chan = b; sel[0].cbuf = &x;
	T_EQ(px_select(sel, 1, 0), 0);
	T_EQ(px_select(sel, 1, 0), -EAGAIN); /* b is full now */
	/* Closed channels drop out; all closed: -EPIPE. */
	px_chan_close(a);
	px_chan_close(b);
	sel[0].op = PX_SEL_CHAN_RECV; sel[0].chan = a; sel[0].buf = &va;
	T_EQ(px_select(sel, 2, 0), 1); /* b still holds x */
	T_EQ(px_select(sel, 2, MS), -EPIPE);
	px_chan_free(a);
	px_chan_free(b);
	return NULL;
}

/* ---- regressions from review ---- */

static void *
select_one(void *arg)
{
	struct px_sel c = { .op = PX_SEL_CHAN_RECV };
	uint64_t v;

	c.chan = arg;
	c.buf = &v;
	return (void *)(intptr_t)px_select(&c, 1, 2000 * MS);
}

/* Two selects on one channel and a single item: the loser must park, not
 * bounce an empty wake with the winner forever. */
static void *
case_select_no_livelock(void)
{
	struct px_exec_stats s0, s1;
	struct px_chan *ch;
	struct px_task *a, *b;
	uint64_t x = 1;
	void *ra, *rb;

	T_EQ(px_chan_create(4, 8, &ch), 0);
	T_EQ(px_spawn(select_one, ch, NULL, &a), 0);
	T_EQ(px_spawn(select_one, ch, NULL, &b), 0);
	T_EQ(px_yield(), 0);
	T_EQ(px_chan_send(ch, &x, 0), 0);
	T_EQ(px_sleep_ns(20 * MS), 0);
	px_exec_stats_get(rte_lcore_id(), &s0);
	T_EQ(px_sleep_ns(50 * MS), 0);
	px_exec_stats_get(rte_lcore_id(), &s1);
	T_CHECK(s1.task_runs - s0.task_runs < 50);
	x = 2;
	T_EQ(px_chan_send(ch, &x, 0), 0);
	T_EQ(px_task_join(a, &ra, PX_TIMEOUT_INF), 0);
	T_EQ(px_task_join(b, &rb, PX_TIMEOUT_INF), 0);
	T_EQ((intptr_t)ra, 0);
	T_EQ((intptr_t)rb, 0);
	px_chan_free(ch);
	return NULL;
}

static void *
os_send_now(void *arg)
{
	return (void *)(intptr_t)px_oneshot_send(arg, 9);
}

/* The receiver may take the value and reuse the oneshot's memory the
 * moment it is set; the sender must not touch it after that. */
static void *
case_oneshot_reuse(void)
{
	struct px_task *t;
	uint64_t v;
	int i, got = 0;

	for (i = 0; i < 2000; i++) {
		struct px_oneshot os;

		T_EQ(px_oneshot_init(&os), 0);
		T_EQ(px_spawn_on(other_lcore(), os_send_now, &os, NULL, &t), 0);
		if (px_oneshot_recv(&os, &v, 10 * MS) == 0)
			got++;
		memset(&os, 0xa5, sizeof(os)); /* reuse it at once */
		T_EQ(px_task_join(t, NULL, PX_TIMEOUT_INF), 0);
	}
	T_EQ(got, 2000);
	return NULL;
}

static void *
os_recv_task(void *arg)
{
	uint64_t v;

	return (void *)(intptr_t)px_oneshot_recv(arg, &v, PX_TIMEOUT_INF);
}

static void *
case_oneshot_two_receivers(void)
{
	struct px_oneshot os;
	struct px_task *t;
	uint64_t v;
	void *r;

	T_EQ(px_oneshot_init(&os), 0);
	T_EQ(px_spawn(os_recv_task, &os, NULL, &t), 0);
	T_EQ(px_yield(), 0);
	T_EQ(px_oneshot_recv(&os, &v, MS), -EBUSY);
	T_EQ(px_oneshot_send(&os, 3), 0);
	T_EQ(px_task_join(t, &r, PX_TIMEOUT_INF), 0);
	T_EQ((intptr_t)r, 0);
	return NULL;
}

static void *
close_producer(void *arg)
{
	uint64_t i;

	for (i = 0; i < 8; i++)
		if (px_chan_send(arg, &i, PX_TIMEOUT_INF) != 0)
			return (void *)1;
	px_chan_close(arg);
	return NULL;
}

/* Drain to -EPIPE, then free at once, while the closer on another lcore
 * may still be inside px_chan_close(). */
static void *
case_chan_close_free(void)
{
	struct px_chan *ch;
	struct px_task *t;
	uint64_t v;
	int i, n;
	void *r;

	for (i = 0; i < 300; i++) {
		T_EQ(px_chan_create(2, 8, &ch), 0);
		T_EQ(px_spawn_on(other_lcore(), close_producer, ch, NULL, &t), 0);
		n = 0;
		while (px_chan_recv(ch, &v, PX_TIMEOUT_INF) == 0)
			n++;
		px_chan_free(ch);
		T_EQ(n, 8);
		T_EQ(px_task_join(t, &r, PX_TIMEOUT_INF), 0);
		T_CHECK(r == NULL);
	}
	return NULL;
}

static void *
case_poll_in_task(void)
{
	T_EQ(px_lcore_poll(), 0);
	T_EQ(px_lcore_loop(NULL), -EBUSY);
	return NULL;
}

static void *
sync_main(void *arg)
{
	T_CHECK(px_exec_count() >= 2);
	T_RUN(case_chan_local);
	T_RUN(case_chan_cross);
	T_RUN(case_oneshot);
	T_RUN(case_mutex);
	T_RUN(case_sem);
	T_RUN(case_notify);
	T_RUN(case_wg);
	T_RUN(case_select);
	T_RUN(case_select_no_livelock);
	T_RUN(case_oneshot_reuse);
	T_RUN(case_oneshot_two_receivers);
	T_RUN(case_chan_close_free);
	T_RUN(case_poll_in_task);
	return arg;
}

static int
test_exec_sync(void)
{
	return texec_run(NULL, sync_main);
}

PX_REGISTER_TEST(exec_sync_autotest, 0, test_exec_sync);
