/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pause.h>

#include <px_log.h>
#include <px_tel.h>

#include "exec_private.h"

PX_LOG_REGISTER(exec);

struct exec_global px__g;
__thread struct exec *px__loop_exec;
__thread int px__loop_index = -1;

#define MBOX_BURST 32
#define MBOX_BURSTS_PER_ITER 4

static const struct px_conf conf_defaults = {
	.idle = PX_IDLE_BUSY,
	.idle_spin = 256,
	.idle_max_sleep_us = 200,
	.stack_size = 64 * 1024,
	.max_tasks = 65536,
	.mbox_size = 4096,
	.task_budget = 64,
	.stall_us = 10000,
	.timer_tick_ns = 1000,
	.blocking_threads = 2,
	.stack_prealloc = 64,
};

static int
conf_fill(const struct px_conf *in, struct px_conf *c)
{
	*c = conf_defaults;
	if (in == NULL)
		return 0;
	if (in->idle > PX_IDLE_ADAPTIVE)
		return -EINVAL;
	c->idle = in->idle;
#define TAKE(f) do { if (in->f != 0) c->f = in->f; } while (0)
	TAKE(idle_spin);
	TAKE(idle_max_sleep_us);
	TAKE(stack_size);
	TAKE(max_tasks);
	TAKE(mbox_size);
	TAKE(task_budget);
	TAKE(stall_us);
	TAKE(timer_tick_ns);
	TAKE(blocking_threads);
	TAKE(stack_prealloc);
#undef TAKE
	if (c->stack_size < 16 * 1024 || !rte_is_power_of_2(c->mbox_size) ||
			c->mbox_size < 64)
		return -EINVAL;
	return 0;
}

static void
exec_destroy(struct exec *e)
{
	if (e == NULL)
		return;
	task_pool_fini(e);
	px_timer_wheel_free(e->wheel);
	px_xchan_free(e->mbox);
	rte_free(e->backlog);
	rte_free(e);
}

static int
exec_create(unsigned int lcore_id, unsigned int index, struct exec **out)
{
	const struct px_conf *c = &px__g.conf;
	struct px_timer_wheel_conf wc = { 0 };
	int socket = (int)rte_lcore_to_socket_id(lcore_id);
	char name[RTE_RING_NAMESIZE];
	struct exec *e;
	int ret;

	e = rte_zmalloc_socket("px_exec", sizeof(*e), RTE_CACHE_LINE_SIZE, socket);
	if (e == NULL)
		return -ENOMEM;
	e->lcore_id = lcore_id;
	e->index = index;
	e->task_budget = c->task_budget;
	e->stall_cycles = px_ns_to_cycles((uint64_t)c->stall_us * 1000);
	e->budget_cycles = e->stall_cycles / 10;
	e->idle_policy = c->idle;
	e->idle_spin = c->idle_spin;
	e->idle_max_sleep_ns = (uint64_t)c->idle_max_sleep_us * 1000;
	wc.tick_cycles = px_ns_to_cycles(c->timer_tick_ns);
	if (wc.tick_cycles == 0)
		wc.tick_cycles = 1;
	ret = px_timer_wheel_create(&wc, &e->wheel);
	if (ret < 0)
		goto err;
	snprintf(name, sizeof(name), "px_mbox_%u", lcore_id);
	ret = px_xchan_create(name, c->mbox_size, socket,
			px__g.shared_cpus ? PX_XCHAN_F_RTS : 0, &e->mbox);
	if (ret < 0)
		goto err;
	e->backlog = rte_malloc_socket("px_backlog",
			sizeof(struct px_msg) * EXEC_BACKLOG, 0, socket);
	if (e->backlog == NULL) {
		ret = -ENOMEM;
		goto err;
	}
	ret = task_pool_init(e);
	if (ret < 0)
		goto err;
	*out = e;
	return 0;
err:
	exec_destroy(e);
	return ret;
}

/* Do two lcores share a CPU? Then ring producers can be preempted by
 * each other mid-enqueue, and the rings use RTS mode (PX_XCHAN_F_RTS). */
static int
lcores_share_cpus(void)
{
	unsigned int a, b;
	rte_cpuset_t x, y, both;

	RTE_LCORE_FOREACH(a) {
		x = rte_lcore_cpuset(a);
		RTE_LCORE_FOREACH(b) {
			if (b <= a)
				continue;
			y = rte_lcore_cpuset(b);
			CPU_AND(&both, &x, &y);
			if (CPU_COUNT(&both) > 0)
				return 1;
		}
	}
	return 0;
}

int
px_init_after_eal(const struct px_conf *conf)
{
	unsigned int lcore_id, n = 0;
	struct exec *e;
	int ret;

	if (px__g.inited)
		return -EALREADY;
	if (rte_lcore_count() > PX_MAX_LCORES) {
		PX_LOG(ERR, exec, "%u lcores, at most %d supported",
			rte_lcore_count(), PX_MAX_LCORES);
		return -EINVAL;
	}
	ret = conf_fill(conf, &px__g.conf);
	if (ret < 0) {
		PX_LOG(ERR, exec, "invalid configuration");
		return ret;
	}
	px__g.shared_cpus = lcores_share_cpus();
	PX_LOG(DEBUG, exec, "ring producer mode: %s",
		px__g.shared_cpus ? "RTS (lcores share CPUs)" : "classic MP");
	RTE_LCORE_FOREACH(lcore_id) {
		ret = exec_create(lcore_id, n, &e);
		if (ret < 0)
			goto err;
		px__g.by_lcore[lcore_id] = e;
		px__g.lcore_of[n++] = lcore_id;
	}
	px__g.n = n;
	ret = blocking_init(px__g.conf.blocking_threads);
	if (ret < 0)
		goto err;
	px__g.stop = 0;
	px__g.inited = 1;
	exec_tel_register();
	return 0;
err:
	PX_LOG(ERR, exec, "runtime start failed: %s", strerror(-ret));
	RTE_LCORE_FOREACH(lcore_id) {
		exec_destroy(px__g.by_lcore[lcore_id]);
		px__g.by_lcore[lcore_id] = NULL;
	}
	px__g.n = 0;
	return ret;
}

int
px_init(int argc, char **argv, const struct px_conf *conf)
{
	int consumed, ret;

	if (px__g.inited)
		return -EALREADY;
	consumed = rte_eal_init(argc, argv);
	if (consumed < 0)
		return rte_errno > 0 ? -rte_errno : -EINVAL;
	px__g.eal_ours = 1;
	ret = px_init_after_eal(conf);
	if (ret < 0) {
		rte_eal_cleanup();
		px__g.eal_ours = 0;
		return ret;
	}
	return consumed;
}

void
px_fini(bool eal_cleanup)
{
	unsigned int lcore_id;

	if (!px__g.inited)
		return;
	blocking_fini();
	px_tel_lock(); /* telemetry reads the executors */
	for (lcore_id = 0; lcore_id < RTE_MAX_LCORE; lcore_id++) {
		exec_destroy(px__g.by_lcore[lcore_id]);
		px__g.by_lcore[lcore_id] = NULL;
	}
	px__g.n = 0;
	px_tel_unlock();
	px__g.inited = 0;
	if (eal_cleanup && px__g.eal_ours) {
		rte_eal_cleanup();
		px__g.eal_ours = 0;
	}
}

bool
px_lcore_has_exec(void)
{
	return exec_self() != NULL;
}

struct px_timer_wheel *
px_exec_wheel(unsigned int lcore_id)
{
	struct exec *e = exec_of(lcore_id);

	return e != NULL ? e->wheel : NULL;
}

unsigned int
px_exec_count(void)
{
	return px__g.n;
}

int
px_exec_index(unsigned int lcore_id)
{
	struct exec *e = exec_of(lcore_id);

	return e != NULL ? (int)e->index : -EINVAL;
}

int
px_exec_lcore(unsigned int index)
{
	return index < px__g.n ? (int)px__g.lcore_of[index] : -EINVAL;
}

/* ---- mailbox ---- */

static void
backlog_push(struct exec *e, unsigned int lcore_id, const struct px_msg *m)
{
	struct px_msg *slot;
	struct exec *dst;

	while (e->bl_len == EXEC_BACKLOG) {
		/* Backlog full too: wait for the oldest destination. A
		 * deadlock needs two lcores each holding 64 k undelivered
		 * messages for the other; counted, never silent. */
		slot = &e->backlog[e->bl_head];
		dst = exec_of(slot->src);
		slot->src = (uint16_t)e->lcore_id;
		while (px_xchan_send_burst(dst->mbox, slot, 1) != 1)
			rte_pause();
		e->bl_head = (e->bl_head + 1) % EXEC_BACKLOG;
		e->bl_len--;
	}
	slot = &e->backlog[(e->bl_head + e->bl_len) % EXEC_BACKLOG];
	*slot = *m;
	slot->src = (uint16_t)lcore_id; /* destination, until sent */
	e->bl_len++;
	e->st.msgs_deferred++;
}

static unsigned int
backlog_flush(struct exec *e)
{
	unsigned int n = 0;
	struct px_msg m;

	while (e->bl_len > 0) {
		m = e->backlog[e->bl_head];
		unsigned int dst = m.src;

		m.src = (uint16_t)e->lcore_id;
		if (px_xchan_send_burst(exec_of(dst)->mbox, &m, 1) != 1)
			break;
		e->bl_head = (e->bl_head + 1) % EXEC_BACKLOG;
		e->bl_len--;
		e->st.msgs_out++;
		n++;
	}
	return n;
}

void
exec_send_internal(struct exec *e, unsigned int lcore_id, struct px_msg *m)
{
	struct exec *dst = exec_of(lcore_id);

	if (dst == NULL)
		return;
	if (e == NULL) {
		/* A non-lcore thread (the blocking pool): it has no loop to
		 * retry from, so it waits for room. */
		m->src = UINT16_MAX;
		while (px_xchan_send_burst(dst->mbox, m, 1) != 1)
			rte_pause();
		return;
	}
	m->src = (uint16_t)e->lcore_id;
	/* Internal messages must not be lost and must keep their order:
	 * once one waits in the backlog, the next ones queue behind it. */
	if (e->bl_len == 0 && px_xchan_send_burst(dst->mbox, m, 1) == 1) {
		e->st.msgs_out++;
		return;
	}
	backlog_push(e, lcore_id, m);
}

void
exec_wake_remote(struct exec *e, unsigned int lcore_id, struct px_task *t,
		uint64_t id, int status)
{
	struct px_msg m;

	memset(&m, 0, sizeof(m));
	m.type = MSG_WAKE;
	m.a = (uint64_t)(uintptr_t)t;
	m.b = id;
	m.u32 = (uint32_t)status;
	exec_send_internal(e, lcore_id, &m);
}

static unsigned int
mbox_drain(struct exec *e)
{
	struct px_msg msgs[MBOX_BURST];
	unsigned int i, n, total = 0, round;

	for (round = 0; round < MBOX_BURSTS_PER_ITER; round++) {
		n = px_xchan_recv_burst(e->mbox, msgs, MBOX_BURST);
		for (i = 0; i < n; i++) {
			const struct px_msg *m = &msgs[i];

			if (m->type >= PX_MSG_LIB_BASE && m->type < PX_MSG_TYPE_MAX &&
					px__g.handlers[m->type].cb != NULL) {
				px__g.handlers[m->type].cb(m, px__g.handlers[m->type].ctx);
				continue;
			}
			switch (m->type) {
			case MSG_SPAWN:
			case MSG_STARTED:
			case MSG_DONE:
			case MSG_CANCEL:
			case MSG_WAKE:
				task_msg(e, m);
				break;
			case MSG_CHAN_WAKE:
			case MSG_SEM_RELEASE:
			case MSG_NOTIFY:
			case MSG_WG_DONE:
				sync_msg(e, m);
				break;
			case MSG_BLOCKING_DONE:
				blocking_msg(e, m);
				break;
			case MSG_CALL:
				call_msg(e, m);
				break;
			default:
				e->st.msgs_unknown++;
				break;
			}
		}
		total += n;
		if (n < MBOX_BURST)
			break;
	}
	e->st.msgs_in += total;
	return total;
}

int
px_msg_register(uint16_t type, px_msg_handler_cb_t cb, void *ctx)
{
	if (type < PX_MSG_LIB_BASE || type >= PX_MSG_TYPE_MAX)
		return -EINVAL;
	px__g.handlers[type].ctx = ctx;
	px__g.handlers[type].cb = cb;
	return 0;
}

unsigned int
px_msg_send_burst(unsigned int lcore_id, struct px_msg *msgs, unsigned int n)
{
	struct exec *dst = exec_of(lcore_id);
	struct exec *e = exec_self();
	uint16_t src = e != NULL ? (uint16_t)e->lcore_id : UINT16_MAX;
	unsigned int i, sent;

	if (dst == NULL)
		return 0;
	for (i = 0; i < n; i++) {
		/* Pollux's own types carry pointers the receiver trusts. */
		if (msgs[i].type < PX_MSG_LIB_BASE || msgs[i].type >= PX_MSG_TYPE_MAX)
			return 0;
		msgs[i].src = src;
	}
	sent = px_xchan_send_burst(dst->mbox, msgs, n);
	if (e != NULL)
		e->st.msgs_out += sent;
	return sent;
}

int
px_msg_send(unsigned int lcore_id, uint16_t type, uint32_t u32, uint64_t a,
		uint64_t b, uint64_t c)
{
	struct px_msg m = { .type = type, .u32 = u32, .a = a, .b = b, .c = c };

	if (type < PX_MSG_LIB_BASE || type >= PX_MSG_TYPE_MAX ||
			exec_of(lcore_id) == NULL)
		return -EINVAL;
	return px_msg_send_burst(lcore_id, &m, 1) == 1 ? 0 : -EAGAIN;
}

/* ---- the loop ---- */

static unsigned int
run_tasks(struct exec *e)
{
	struct px_task *t;

	/* Tasks also switch to each other directly; e->slices counts every
	 * slice so the budget holds either way. */
	e->slices = 0;
	while (e->slices < e->task_budget && (t = TAILQ_FIRST(&e->runq)) != NULL) {
		TAILQ_REMOVE(&e->runq, t, rq);
		task_run(e, t);
	}
	return e->slices;
}

static unsigned int
exec_iter(struct exec *e, uint64_t now)
{
	unsigned int i, work = 0, fired;

	for (i = 0; i < e->n_poll; i++)
		work += e->poll[i].cb(e->poll[i].ctx);
	if (e->bl_len > 0)
		work += backlog_flush(e);
	work += mbox_drain(e);
	fired = px_timer_wheel_advance(e->wheel, now);
	e->st.timers_fired += fired;
	work += fired;
	work += run_tasks(e);
	for (i = 0; i < e->n_flush; i++)
		work += e->flush[i].cb(e->flush[i].ctx);
	e->st.loops++;
	return work;
}

unsigned int
px_lcore_poll(void)
{
	struct exec *e = exec_self();

	unsigned int work;

	/* From inside a task this would nest the scheduler in the task. */
	if (e == NULL || e->current != NULL)
		return 0;
	px__loop_exec = e;
	px__loop_index = (int)e->index;
	work = exec_iter(e, rte_rdtsc());
	px__loop_exec = NULL;
	px__loop_index = -1;
	return work;
}

static void
idle(struct exec *e, uint64_t now)
{
	struct timespec ts;
	uint64_t ns, next;

	if (e->idle_policy == PX_IDLE_BUSY || ++e->idle_empty < e->idle_spin) {
		rte_pause();
		return;
	}
	ns = e->idle_sleep_ns == 0 ? 1000 : e->idle_sleep_ns * 2;
	if (ns > e->idle_max_sleep_ns)
		ns = e->idle_max_sleep_ns;
	e->idle_sleep_ns = ns;
	/* Never sleep past the next timer (or a cascade point before it). */
	next = px_timer_wheel_next_expiry(e->wheel);
	if (next != UINT64_MAX) {
		if (next <= now)
			return;
		if (px_cycles_to_ns(next - now) < ns)
			ns = px_cycles_to_ns(next - now);
	}
	ts.tv_sec = (time_t)(ns / 1000000000u);
	ts.tv_nsec = (long)(ns % 1000000000u);
	nanosleep(&ts, NULL);
}

int
px_lcore_loop(void *arg)
{
	struct exec *e = exec_self();
	uint64_t t0, t1;
	unsigned int work;

	RTE_SET_USED(arg);
	if (e == NULL)
		return -EINVAL;
	if (e->current != NULL || e->running)
		return -EBUSY;
	if (e->idle_policy == PX_IDLE_ADAPTIVE)
		prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0); /* 1 us, not 50 */
	e->running = 1;
	px__loop_exec = e;
	px__loop_index = (int)e->index;
	while (!__atomic_load_n(&px__g.stop, __ATOMIC_RELAXED)) {
		t0 = rte_rdtsc();
		work = exec_iter(e, t0);
		if (work != 0) {
			e->idle_empty = 0;
			e->idle_sleep_ns = 0;
			e->st.busy_cycles += rte_rdtsc() - t0;
			continue;
		}
		e->st.idle_loops++;
		idle(e, t0);
		t1 = rte_rdtsc();
		e->st.idle_cycles += t1 - t0;
	}
	px__loop_exec = NULL;
	px__loop_index = -1;
	e->running = 0;
	return 0;
}

void
px_stop(void)
{
	/* Relaxed is enough: loops poll the flag; nothing is published
	 * with it. */
	__atomic_store_n(&px__g.stop, 1, __ATOMIC_RELAXED);
}

struct run_main {
	px_task_fn_t fn;
	void *arg;
	uint64_t gen;
};

static void *
run_main_task(void *arg)
{
	struct run_main rm = *(struct run_main *)arg;
	void *ret;

	/* The request lives on the heap: a px_run() cut short by px_stop()
	 * returns while this task may not even have started. */
	free(arg);
	ret = rm.fn(rm.arg);
	/* Only end the run that started us, not a later one. */
	if (rm.gen == px__g.run_gen)
		px_stop();
	return ret;
}

/* One more iteration of this lcore's executor after the loops stopped
 * (px_run()): what other lcores sent it as they stopped. */
static int
lcore_linger(void *arg)
{
	struct exec *e = exec_self();

	RTE_SET_USED(arg);
	if (e == NULL)
		return 0;
	px__loop_exec = e;
	px__loop_index = (int)e->index;
	exec_iter(e, rte_rdtsc());
	px__loop_exec = NULL;
	px__loop_index = -1;
	return 0;
}

/* Does a mailbox of the lcores px_run() drives (launched, and the main
 * one) hold messages? */
static bool
mbox_pending(const bool *launched, unsigned int main_lcore)
{
	unsigned int i, l;
	struct exec *e;

	for (i = 0; i < px__g.n; i++) {
		l = px__g.lcore_of[i];
		e = exec_of(l);
		if (e != NULL && (launched[l] || l == main_lcore) &&
				px_xchan_count(e->mbox) > 0)
			return true;
	}
	return false;
}

int
px_run(px_task_fn_t fn, void *arg, void **result)
{
	struct exec *e = exec_self();
	unsigned int lcore_id;
	bool launched[RTE_MAX_LCORE] = { false };
	unsigned int round;
	struct run_main *rm;
	struct px_task *t;
	int ret;

	if (e == NULL || fn == NULL)
		return -EINVAL;
	if (e->running || e->current != NULL)
		return -EBUSY;
	rm = malloc(sizeof(*rm)); /* control path: once per run */
	if (rm == NULL)
		return -ENOMEM;
	rm->fn = fn;
	rm->arg = arg;
	rm->gen = ++px__g.run_gen;
	__atomic_store_n(&px__g.stop, 0, __ATOMIC_RELAXED);
	ret = px_spawn(run_main_task, rm, NULL, &t);
	if (ret < 0) {
		free(rm);
		return ret;
	}
	RTE_LCORE_FOREACH_WORKER(lcore_id) {
		if (exec_of(lcore_id) == NULL || lcore_id == e->lcore_id)
			continue;
		/* An lcore the application launched itself keeps its own
		 * loop (it hosts the executor with px_lcore_poll()). */
		if (rte_eal_remote_launch(px_lcore_loop, NULL, lcore_id) == 0)
			launched[lcore_id] = true;
	}
	px_lcore_loop(NULL);
	RTE_LCORE_FOREACH_WORKER(lcore_id)
		if (launched[lcore_id])
			rte_eal_wait_lcore(lcore_id);
	/* A message sent as the loops stopped (a packet another lcore
	 * steered to one that had already left its loop) would wait for
	 * the next run, or leak at exit: each lcore runs once more, on
	 * itself, until every mailbox is empty (a bounded number of
	 * rounds: those iterations may receive and send again). */
	for (round = 0; round < 16 && mbox_pending(launched, e->lcore_id);
			round++) {
		RTE_LCORE_FOREACH_WORKER(lcore_id)
			if (launched[lcore_id] &&
					rte_eal_remote_launch(lcore_linger, NULL,
						lcore_id) != 0)
				launched[lcore_id] = false;
		lcore_linger(NULL);
		RTE_LCORE_FOREACH_WORKER(lcore_id)
			if (launched[lcore_id])
				rte_eal_wait_lcore(lcore_id);
	}
	/* Leave the flag down so lcore loops the application launches
	 * later run. */
	__atomic_store_n(&px__g.stop, 0, __ATOMIC_RELAXED);
	if (px_task_join(t, result, 0) == -ETIMEDOUT) {
		px_task_detach(t); /* it ends on its own; nobody joins it */
		return -EINTR;
	}
	return 0;
}

int
px_exec_hook_add(unsigned int lcore_id, bool flush, px_exec_hook_cb_t cb,
		void *ctx)
{
	struct exec *e = exec_of(lcore_id);
	struct exec_hook *h;
	uint32_t *n;

	if (e == NULL || cb == NULL)
		return -EINVAL;
	h = flush ? e->flush : e->poll;
	n = flush ? &e->n_flush : &e->n_poll;
	if (*n == EXEC_MAX_HOOKS)
		return -ENOSPC;
	h[*n].cb = cb;
	h[*n].ctx = ctx;
	(*n)++;
	return 0;
}

int
px_exec_stats_get(unsigned int lcore_id, struct px_exec_stats *out)
{
	struct exec *e = exec_of(lcore_id);
	const uint64_t *src;
	uint64_t *dst;
	size_t i;

	if (e == NULL || out == NULL)
		return -EINVAL;
	/* Counter by counter with relaxed loads: each is exact, the owner
	 * keeps running. */
	src = (const uint64_t *)&e->st;
	dst = (uint64_t *)out;
	for (i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
	return 0;
}

void
px_exec_stats_dump(FILE *f)
{
	struct px_exec_stats s;
	unsigned int i;

	for (i = 0; i < px__g.n; i++) {
		if (px_exec_stats_get(px__g.lcore_of[i], &s) < 0)
			continue;
		fprintf(f, "lcore %u: loops=%" PRIu64 " idle_loops=%" PRIu64
			" busy_cycles=%" PRIu64 " idle_cycles=%" PRIu64 "\n"
			"  tasks: spawned=%" PRIu64 " done=%" PRIu64 " live=%" PRIu64
			" runs=%" PRIu64 " parks=%" PRIu64 " wakes=%" PRIu64
			" yields=%" PRIu64 " stalls=%" PRIu64 "\n"
			"  msgs: in=%" PRIu64 " out=%" PRIu64 " deferred=%" PRIu64
			" unknown=%" PRIu64 " timers_fired=%" PRIu64
			" stacks=%" PRIu64 "/%" PRIu64 " blocking=%" PRIu64 "\n",
			px__g.lcore_of[i], s.loops, s.idle_loops, s.busy_cycles,
			s.idle_cycles, s.tasks_spawned, s.tasks_done, s.tasks_live,
			s.task_runs, s.parks, s.wakes, s.yields, s.stalls,
			s.msgs_in, s.msgs_out, s.msgs_deferred, s.msgs_unknown,
			s.timers_fired, s.stacks_in_use, s.stacks_mapped,
			s.blocking_calls);
	}
}
