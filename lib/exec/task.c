/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_lcore.h>

#include <px_log.h>

#include "exec_private.h"

/*
 * Stacks and task structs. One mmap per task holds a guard page, the stack
 * and, at its top, the struct px_task, so a task costs one allocation that
 * the pool recycles. Stacks are never unmapped while the runtime lives:
 * a stale handle or a late wake message then still points at a task
 * struct, and the 64-bit id (never reused) tells it apart.
 */

#if defined(__SANITIZE_ADDRESS__)
#define PX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PX_ASAN 1
#endif
#endif

#ifdef PX_ASAN
#include <sanitizer/common_interface_defs.h>
#define asan_start(save, lo, size) __sanitizer_start_switch_fiber(save, lo, size)
#define asan_finish(save, lo, size) __sanitizer_finish_switch_fiber(save, lo, size)
#else
#define asan_start(save, lo, size) do { RTE_SET_USED(save); } while (0)
#define asan_finish(save, lo, size) do { RTE_SET_USED(save); } while (0)
#endif

#ifdef PX_CTX_UCONTEXT
#include <ucontext.h>
/* Portable fallback: swapcontext (slower: it saves the signal mask with a
 * system call). The ucontext lives just below the task struct. */
static __thread ucontext_t sched_uc;
#define TASK_UC(t) ((ucontext_t *)((char *)(t) - RTE_ALIGN_CEIL(sizeof(ucontext_t), 64)))
#else
void px__ctx_switch(void **save_sp, void *load_sp);
void px__ctx_trampoline(void);
#endif

#ifdef PX_ASAN
static __thread const void *sched_stack_lo;
static __thread size_t sched_stack_size;
#endif
static __thread void *sched_fake; /* ASan fake stack of the executor loop */

static void task_entry(struct px_task *t);

/* Switch from the executor loop into task t; returns when t parks,
 * yields or finishes. */
static inline void
switch_to_task(struct exec *e, struct px_task *t)
{
	asan_start(&sched_fake, t->stack_lo, t->stack_size);
#ifdef PX_CTX_UCONTEXT
	RTE_SET_USED(e);
	swapcontext(&sched_uc, TASK_UC(t));
#else
	px__ctx_switch(&e->sched_sp, t->sp);
#endif
	asan_finish(sched_fake, NULL, NULL);
}

static void slice_end(struct exec *e, struct px_task *t, uint64_t now);

/* Task t stops running (it yielded, parked or finished). Hand the lcore
 * straight to the next ready task while the iteration's budget allows,
 * which saves the round trip through the executor loop; otherwise switch
 * back to the loop. A finished task (final = 1) always returns to the
 * loop, which frees its stack. */
static inline void
switch_to_sched(struct exec *e, struct px_task *t, int final)
{
	struct px_task *next;
	uint64_t now;

	if (!final && e->slices < e->task_budget &&
			(next = TAILQ_FIRST(&e->runq)) != NULL && next != t) {
		TAILQ_REMOVE(&e->runq, next, rq);
		now = rte_rdtsc();
		slice_end(e, t, now);
		e->slices++;
		e->current = next;
		next->state = TASK_RUNNING;
		e->slice_start = now;
		e->st.task_runs++;
		asan_start(&t->asan_fake_stack, next->stack_lo, next->stack_size);
#ifdef PX_CTX_UCONTEXT
		swapcontext(TASK_UC(t), TASK_UC(next));
#else
		px__ctx_switch(&t->sp, next->sp);
#endif
		asan_finish(t->asan_fake_stack, NULL, NULL);
		return;
	}
#ifdef PX_ASAN
	asan_start(final ? NULL : &t->asan_fake_stack, sched_stack_lo,
		sched_stack_size);
#endif
#ifdef PX_CTX_UCONTEXT
	swapcontext(TASK_UC(t), &sched_uc);
#else
	px__ctx_switch(&t->sp, e->sched_sp);
#endif
	asan_finish(t->asan_fake_stack, NULL, NULL);
}

#ifdef PX_CTX_UCONTEXT
static void
uc_entry(unsigned int hi, unsigned int lo)
{
	task_entry((struct px_task *)(((uintptr_t)hi << 32) | lo));
}
#endif

/* Lay out a fresh stack so the first switch enters task_entry(t). */
static void
ctx_prepare(struct px_task *t)
{
#ifdef PX_CTX_UCONTEXT
	ucontext_t *uc = TASK_UC(t);

	getcontext(uc);
	uc->uc_stack.ss_sp = t->stack_lo;
	uc->uc_stack.ss_size = t->stack_size;
	uc->uc_link = NULL;
	makecontext(uc, (void (*)(void))uc_entry, 2,
		(unsigned int)((uintptr_t)t >> 32), (unsigned int)(uintptr_t)t);
#else
	uint64_t *frame;
	uint32_t mxcsr;
	uint16_t fpucw;

	__asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
	__asm__ volatile("fnstcw %0" : "=m"(fpucw));
	/* Top of the usable stack, 16-aligned, minus the frame that
	 * px__ctx_switch() pops: control words, r15, r14, r13, r12, rbx,
	 * rbp, return address. */
	frame = (uint64_t *)RTE_ALIGN_FLOOR((uintptr_t)t->stack_lo +
			t->stack_size, 16) - 10;
	frame[0] = mxcsr | ((uint64_t)fpucw << 32);
	frame[1] = 0;                           /* r15 */
	frame[2] = 0;                           /* r14 */
	frame[3] = (uint64_t)(uintptr_t)task_entry; /* r13: entry */
	frame[4] = (uint64_t)(uintptr_t)t;      /* r12: its argument */
	frame[5] = 0;                           /* rbx */
	frame[6] = 0;                           /* rbp */
	frame[7] = (uint64_t)(uintptr_t)px__ctx_trampoline;
	t->sp = frame;
#endif
}

static size_t
task_struct_room(void)
{
	size_t room = RTE_ALIGN_CEIL(sizeof(struct px_task), 64);

#ifdef PX_CTX_UCONTEXT
	room += RTE_ALIGN_CEIL(sizeof(ucontext_t), 64);
#endif
	return room;
}

static struct px_task *
stack_map(struct exec *e)
{
	size_t len = e->page_size + e->stack_size;
	struct px_task *t;
	char *base;

	base = mmap(NULL, len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
			-1, 0);
	if (base == MAP_FAILED)
		return NULL;
	/* Guard page below the stack: an overflow faults instead of
	 * silently corrupting the neighbouring mapping. */
	if (mprotect(base, e->page_size, PROT_NONE) != 0) {
		munmap(base, len);
		return NULL;
	}
	t = (struct px_task *)(base + len - RTE_ALIGN_CEIL(sizeof(*t), 64));
	t->stack_lo = base + e->page_size;
	t->stack_size = (size_t)((char *)t - (char *)t->stack_lo) -
		(task_struct_room() - RTE_ALIGN_CEIL(sizeof(*t), 64));
	e->st.stacks_mapped++;
	return t;
}

static void
stack_unmap(struct exec *e, struct px_task *t)
{
	munmap((char *)t->stack_lo - e->page_size, e->page_size + e->stack_size);
	e->st.stacks_mapped--;
}

/* Take a task struct (with its stack) from the pool. */
static int
task_alloc(struct exec *e, struct px_task **out)
{
	struct px_task *t;
	void *lo;
	size_t size;

	if (e->live_tasks >= e->max_tasks)
		return -EAGAIN;
	t = e->free_stacks;
	if (t != NULL) {
		e->free_stacks = t->free_next;
	} else {
		t = stack_map(e);
		if (t == NULL)
			return -ENOMEM;
	}
	lo = t->stack_lo;
	size = t->stack_size;
	memset(t, 0, sizeof(*t));
	t->stack_lo = lo;
	t->stack_size = size;
	t->exec = e;
	t->id = ((uint64_t)e->lcore_id << 56) | e->next_id++;
	e->live_tasks++;
	e->st.stacks_in_use++;
	e->st.tasks_live = e->live_tasks;
	TAILQ_INSERT_TAIL(&e->all, t, all);
	*out = t;
	return 0;
}

static void
task_release(struct exec *e, struct px_task *t)
{
	TAILQ_REMOVE(&e->all, t, all);
	t->id = 0; /* stale handles and late messages no longer match */
	t->state = 0;
	t->free_next = e->free_stacks;
	e->free_stacks = t;
	e->live_tasks--;
	e->st.stacks_in_use--;
	e->st.tasks_live = e->live_tasks;
}

int
task_pool_init(struct exec *e)
{
	long page = sysconf(_SC_PAGESIZE);
	struct px_task *t;
	uint32_t i;

	e->page_size = page > 0 ? (size_t)page : 4096;
	e->stack_size = RTE_ALIGN_CEIL((size_t)px__g.conf.stack_size, e->page_size);
	e->max_tasks = px__g.conf.max_tasks;
	e->next_id = 1;
	TAILQ_INIT(&e->all);
	TAILQ_INIT(&e->runq);
	for (i = 0; i < px__g.conf.stack_prealloc && i < e->max_tasks; i++) {
		t = stack_map(e);
		if (t == NULL)
			return -ENOMEM;
		t->free_next = e->free_stacks;
		e->free_stacks = t;
	}
	return 0;
}

void
task_pool_fini(struct exec *e)
{
	struct px_task *t;

	while ((t = TAILQ_FIRST(&e->all)) != NULL) {
		task_release(e, t);
	}
	while ((t = e->free_stacks) != NULL) {
		e->free_stacks = t->free_next;
		stack_unmap(e, t);
	}
}

static void
park_timeout(struct px_timer *tim, void *arg)
{
	RTE_SET_USED(tim);
	task_wake(arg, -ETIMEDOUT);
}

static void
task_entry(struct px_task *t)
{
	struct exec *e = t->exec;

#ifdef PX_ASAN
	const void *from_lo;
	size_t from_size;

	/* First entry. The first task a thread ever runs is entered from the
	 * executor loop: learn the loop's stack for the switches back (later
	 * tasks may be entered straight from another task). */
	asan_finish(NULL, &from_lo, &from_size);
	if (sched_stack_lo == NULL) {
		sched_stack_lo = from_lo;
		sched_stack_size = from_size;
	}
#endif
	t->result = t->fn(t->arg);
	t->state = TASK_DONE;
	switch_to_sched(e, t, 1);
	RTE_VERIFY(0); /* a finished task is never resumed */
}

int
task_spawn_local(struct exec *e, px_task_fn_t fn, void *arg,
		const struct px_task_opts *opts, const char *file, int line,
		struct px_task **out)
{
	struct px_task *t;
	int ret;

	ret = task_alloc(e, &t);
	if (ret < 0)
		return ret;
	t->fn = fn;
	t->arg = arg;
	t->file = file;
	t->line = line;
	if (opts != NULL) {
		t->name = opts->name;
		if (opts->flags & PX_TASK_F_DETACHED)
			t->flags |= TASK_F_DETACHED;
	}
	ctx_prepare(t);
	t->state = TASK_READY;
	TAILQ_INSERT_TAIL(&e->runq, t, rq);
	e->st.tasks_spawned++;
	*out = t;
	return 0;
}

int
px__spawn(px_task_fn_t fn, void *arg, const struct px_task_opts *opts,
		struct px_task **out, const char *file, int line)
{
	struct exec *e = exec_self();
	bool detached = opts != NULL && (opts->flags & PX_TASK_F_DETACHED);
	struct px_task *t;
	int ret;

	if (e == NULL || fn == NULL || (out == NULL && !detached))
		return -EINVAL;
	ret = task_spawn_local(e, fn, arg, opts, file, line, &t);
	if (ret < 0)
		return ret;
	if (out != NULL)
		*out = detached ? NULL : t;
	return 0;
}

int
px__spawn_on(unsigned int lcore_id, px_task_fn_t fn, void *arg,
		const struct px_task_opts *opts, struct px_task **out,
		const char *file, int line)
{
	struct exec *e = exec_self();
	struct exec *dst = exec_of(lcore_id);
	bool detached = opts != NULL && (opts->flags & PX_TASK_F_DETACHED);
	struct px_task *p;
	struct px_msg m;
	int ret;

	if (e == NULL || fn == NULL || (out == NULL && !detached))
		return -EINVAL;
	if (dst == NULL)
		return -ENODEV;
	if (dst == e)
		return px__spawn(fn, arg, opts, out, file, line);
	/* The proxy holds the request; the remote lcore reads it once
	 * (published by the ring's release/acquire) and reports back. */
	ret = task_alloc(e, &p);
	if (ret < 0)
		return ret;
	p->state = TASK_PROXY;
	p->fn = fn;
	p->arg = arg;
	p->file = file;
	p->line = line;
	p->remote_lcore = lcore_id;
	if (opts != NULL) {
		p->name = opts->name;
		if (detached)
			p->flags |= TASK_F_DETACHED;
	}
	memset(&m, 0, sizeof(m));
	m.type = MSG_SPAWN;
	m.src = (uint16_t)e->lcore_id;
	m.a = (uint64_t)(uintptr_t)p;
	if (px_xchan_send_burst(dst->mbox, &m, 1) != 1) {
		task_release(e, p);
		return -EAGAIN;
	}
	e->st.msgs_out++;
	if (out != NULL)
		*out = detached ? NULL : p;
	return 0;
}

/* Executor side: a task finished. */
static void
task_finish(struct exec *e, struct px_task *t)
{
	struct px_msg m;

	t->status = (t->flags & TASK_F_CANCEL) ? -ECANCELED : 0;
	e->st.tasks_done++;
	if (t->flags & TASK_F_HAS_PROXY) {
		memset(&m, 0, sizeof(m));
		m.type = MSG_DONE;
		m.a = (uint64_t)(uintptr_t)t->proxy;
		m.b = (uint64_t)(uintptr_t)t->result;
		m.u32 = (uint32_t)t->status;
		exec_send_internal(e, t->proxy_lcore, &m);
		task_release(e, t);
	} else if (t->flags & TASK_F_DETACHED) {
		task_release(e, t);
	} else if (t->joiner != NULL) {
		task_wake(t->joiner, 0);
	}
}

static void
stall_report(struct exec *e, struct px_task *t, uint64_t cycles)
{
	uint64_t now = rte_rdtsc();

	e->st.stalls++;
	/* Rate-limited: at most one line per second per lcore. */
	if (now - e->last_stall_log < rte_get_tsc_hz())
		return;
	e->last_stall_log = now;
	PX_LOG(WARNING, exec,
		"lcore %u: task %#" PRIx64 " (%s) spawned at %s:%d ran %" PRIu64
		" us without parking",
		e->lcore_id, t->id, t->name != NULL ? t->name : "-",
		t->file != NULL ? t->file : "?", t->line,
		px_cycles_to_ns(cycles) / 1000);
}

/* A slice of t ended at TSC now: the stall detector's check. */
static void
slice_end(struct exec *e, struct px_task *t, uint64_t now)
{
	uint64_t dt = now - e->slice_start;

	if (unlikely(dt > e->st.stall_max_cycles))
		e->st.stall_max_cycles = dt;
	if (unlikely(dt > e->stall_cycles))
		stall_report(e, t, dt);
}

void
task_run(struct exec *e, struct px_task *t)
{
	e->current = t;
	t->state = TASK_RUNNING;
	e->slice_start = rte_rdtsc();
	e->st.task_runs++;
	e->slices++;
	switch_to_task(e, t);
	/* The task that comes back may be another one: tasks hand the lcore
	 * to each other directly (switch_to_sched()). */
	t = e->current;
	e->current = NULL;
	slice_end(e, t, rte_rdtsc());
	if (t->state == TASK_DONE)
		task_finish(e, t);
}

void
task_wake(struct px_task *t, int status)
{
	struct exec *e = t->exec;

	if (t->state != TASK_PARKED)
		return;
	if (status == -ECANCELED && (t->flags & TASK_F_NOINTR))
		return;
	t->wake_status = status;
	t->state = TASK_READY;
	TAILQ_INSERT_TAIL(&e->runq, t, rq);
	e->st.wakes++;
}

uint64_t
px_deadline(uint64_t timeout_ns)
{
	uint64_t c, now;

	if (timeout_ns == PX_TIMEOUT_INF)
		return UINT64_MAX;
	c = px_ns_to_cycles(timeout_ns);
	now = rte_rdtsc();
	return c >= UINT64_MAX - now ? UINT64_MAX : now + c;
}

int
task_park(const char *what, uint64_t deadline)
{
	struct exec *e = exec_self();
	struct px_task *t = e != NULL ? e->current : NULL;
	int ret;

	if (t == NULL)
		return -EDEADLK;
	if (t->flags & TASK_F_CANCEL)
		return -ECANCELED;
	if (deadline != UINT64_MAX) {
		if (deadline <= rte_rdtsc())
			return -ETIMEDOUT;
		ret = px_timer_arm_at(e->wheel, &t->timer, deadline,
				park_timeout, t);
		/* Past the wheel's horizon (weeks) a timeout is as good as
		 * infinite: wait without a timer. */
		RTE_ASSERT(ret == 0 || ret == -ERANGE);
		RTE_SET_USED(ret);
	}
	t->state = TASK_PARKED;
	t->wait_what = what;
	t->wake_status = 0;
	e->st.parks++;
	switch_to_sched(e, t, 0);
	if (px_timer_is_armed(&t->timer))
		px_timer_cancel(e->wheel, &t->timer);
	t->wait_what = NULL;
	return t->wake_status;
}

void
task_park_nointr(const char *what)
{
	struct exec *e = exec_self();
	struct px_task *t = e->current;

	t->flags |= TASK_F_NOINTR;
	t->state = TASK_PARKED;
	t->wait_what = what;
	e->st.parks++;
	switch_to_sched(e, t, 0);
	t->flags &= ~TASK_F_NOINTR;
	t->wait_what = NULL;
}

int
px_yield(void)
{
	struct exec *e = exec_self();
	struct px_task *t = e != NULL ? e->current : NULL;

	if (t == NULL)
		return -EINVAL;
	e->st.yields++;
	t->state = TASK_READY;
	TAILQ_INSERT_TAIL(&e->runq, t, rq);
	switch_to_sched(e, t, 0);
	return (t->flags & TASK_F_CANCEL) ? -ECANCELED : 0;
}

int
px_yield_maybe(void)
{
	struct exec *e = exec_self();

	if (e == NULL || e->current == NULL)
		return -EINVAL;
	if (rte_rdtsc() - e->slice_start < e->budget_cycles)
		return 0;
	return px_yield();
}

static bool
task_finished(const struct px_task *t)
{
	return t->state == TASK_DONE ||
		(t->state == TASK_PROXY && (t->flags & TASK_F_REMOTE_DONE));
}

int
px_task_join(struct px_task *t, void **result, uint64_t timeout_ns)
{
	struct exec *e = exec_self();
	struct px_task *self = e != NULL ? e->current : NULL;
	uint64_t deadline = px_deadline(timeout_ns);
	int ret, status;

	if (t == NULL || e == NULL || t->exec != e || t == self ||
			(t->flags & TASK_F_DETACHED) || t->id == 0)
		return -EINVAL;
	while (!task_finished(t)) {
		if (t->joiner != NULL && t->joiner != self)
			return -EBUSY;
		if (timeout_ns == 0)
			return -ETIMEDOUT;
		if (self == NULL)
			return -EDEADLK;
		t->joiner = self;
		ret = task_park("join", deadline);
		t->joiner = NULL;
		if (ret < 0 && !task_finished(t))
			return ret;
	}
	if (result != NULL)
		*result = t->result;
	status = t->status;
	task_release(e, t);
	return status;
}

int
px__exec_on_all(px_task_fn_t fn, void *arg, void **results, const char *file,
		int line)
{
	struct exec *e = exec_self();
	struct px_task *self = e != NULL ? e->current : NULL;
	struct px_task *t[PX_MAX_LCORES];
	unsigned int i, n = px_exec_count();
	int ret = 0, k;

	if (fn == NULL || self == NULL)
		return -EINVAL;
	if (px_task_cancelled())
		return -ECANCELED; /* like every blocking call after a cancel */
	for (i = 0; i < n; i++) {
		if (results != NULL)
			results[i] = NULL;
		k = px__spawn_on((unsigned int)px_exec_lcore(i), fn, arg, NULL,
				&t[i], file, line);
		if (k < 0) {
			t[i] = NULL;
			if (ret == 0)
				ret = k;
		}
	}
	/* Uninterruptible, as px_spawn_blocking(): the tasks use *arg*,
	 * the caller's memory. A cancel meanwhile is reported at the end. */
	for (i = 0; i < n; i++) {
		if (t[i] == NULL)
			continue;
		while (!task_finished(t[i])) {
			t[i]->joiner = self;
			task_park_nointr("on_all");
			t[i]->joiner = NULL;
		}
		if (results != NULL)
			results[i] = t[i]->result;
		if (t[i]->status < 0 && ret == 0)
			ret = t[i]->status;
		task_release(e, t[i]);
	}
	if (ret == 0 && px_task_cancelled())
		ret = -ECANCELED;
	return ret;
}

int
px_task_cancel(struct px_task *t)
{
	struct exec *e = exec_self();
	struct px_msg m;

	if (t == NULL || e == NULL || t->exec != e || t->id == 0)
		return -EINVAL;
	if (task_finished(t) || (t->flags & TASK_F_CANCEL))
		return 0;
	t->flags |= TASK_F_CANCEL;
	if (t->state == TASK_PROXY) {
		/* Not started yet: MSG_STARTED will forward the cancel. */
		if (t->remote == NULL)
			return 0;
		memset(&m, 0, sizeof(m));
		m.type = MSG_CANCEL;
		m.a = (uint64_t)(uintptr_t)t->remote;
		m.b = t->remote_id;
		exec_send_internal(e, t->remote_lcore, &m);
		return 0;
	}
	if (t->state == TASK_PARKED)
		task_wake(t, -ECANCELED);
	return 0;
}

int
px_task_detach(struct px_task *t)
{
	struct exec *e = exec_self();

	if (t == NULL || e == NULL || t->exec != e || t->id == 0 ||
			(t->flags & TASK_F_DETACHED))
		return -EINVAL;
	if (t->joiner != NULL)
		return -EBUSY;
	if (task_finished(t)) {
		task_release(e, t);
		return 0;
	}
	t->flags |= TASK_F_DETACHED;
	return 0;
}

struct px_task *
px_task_self(void)
{
	struct exec *e = exec_self();

	return e != NULL ? e->current : NULL;
}

uint64_t
px_task_id(const struct px_task *t)
{
	return t != NULL ? t->id : 0;
}

bool
px_task_cancelled(void)
{
	struct px_task *t = px_task_self();

	return t != NULL && (t->flags & TASK_F_CANCEL);
}

/* Mailbox messages about tasks. */
void
task_msg(struct exec *e, const struct px_msg *m)
{
	struct px_task *t = (struct px_task *)(uintptr_t)m->a;
	struct px_task_opts opts = { 0 };
	struct px_task *nt;
	struct px_msg r;
	int ret;

	memset(&r, 0, sizeof(r));
	switch (m->type) {
	case MSG_SPAWN:
		/* t is the proxy on lcore m->src; its request fields are
		 * immutable until we answer MSG_DONE. */
		opts.name = t->name;
		ret = task_spawn_local(e, t->fn, t->arg, &opts, t->file,
				t->line, &nt);
		r.a = m->a;
		if (ret < 0) {
			r.type = MSG_DONE;
			r.u32 = (uint32_t)ret;
		} else {
			nt->flags |= TASK_F_HAS_PROXY;
			nt->proxy = t;
			nt->proxy_lcore = m->src;
			r.type = MSG_STARTED;
			r.b = (uint64_t)(uintptr_t)nt;
			r.c = nt->id;
		}
		exec_send_internal(e, m->src, &r);
		break;
	case MSG_STARTED:
		if (t->state != TASK_PROXY)
			break;
		t->remote = (struct px_task *)(uintptr_t)m->b;
		t->remote_id = m->c;
		if ((t->flags & TASK_F_CANCEL) && !(t->flags & TASK_F_REMOTE_DONE)) {
			r.type = MSG_CANCEL;
			r.a = m->b;
			r.b = m->c;
			exec_send_internal(e, t->remote_lcore, &r);
		}
		break;
	case MSG_DONE:
		if (t->state != TASK_PROXY)
			break;
		t->flags |= TASK_F_REMOTE_DONE;
		t->result = (void *)(uintptr_t)m->b;
		t->status = (int)m->u32;
		if (t->flags & TASK_F_DETACHED)
			task_release(e, t);
		else if (t->joiner != NULL)
			task_wake(t->joiner, 0);
		break;
	case MSG_CANCEL:
		if (t->id != m->b || t->state == TASK_DONE)
			break;
		t->flags |= TASK_F_CANCEL;
		if (t->state == TASK_PARKED)
			task_wake(t, -ECANCELED);
		break;
	case MSG_WAKE:
		if (t->id == m->b)
			task_wake(t, (int)m->u32);
		break;
	default:
		break;
	}
}

int
px_task_dump(FILE *f)
{
	static const char *const names[] = {
		[TASK_READY] = "ready", [TASK_RUNNING] = "running",
		[TASK_PARKED] = "parked", [TASK_DONE] = "done",
		[TASK_PROXY] = "remote",
	};
	struct exec *e = exec_self();
	struct px_task *t;
	int n = 0;

	if (e == NULL)
		return -EINVAL;
	fprintf(f, "lcore %u: %" PRIu64 " live tasks\n", e->lcore_id,
		e->live_tasks);
	TAILQ_FOREACH(t, &e->all, all) {
		fprintf(f, "  task %#" PRIx64 " %-7s %-12s %s%s at %s:%d\n", t->id,
			t->state < RTE_DIM(names) && names[t->state] ? names[t->state] : "?",
			t->wait_what != NULL ? t->wait_what : "-",
			t->name != NULL ? t->name : "",
			(t->flags & TASK_F_CANCEL) ? " (cancelled)" : "",
			t->file != NULL ? t->file : "?", t->line);
		n++;
	}
	return n;
}

/* ---- time ---- */

uint64_t
px_now(void)
{
	return rte_rdtsc();
}

uint64_t
px_ns_to_cycles(uint64_t ns)
{
	unsigned __int128 c = (unsigned __int128)ns * rte_get_tsc_hz() / 1000000000u;

	return c > UINT64_MAX ? UINT64_MAX : (uint64_t)c;
}

uint64_t
px_cycles_to_ns(uint64_t cycles)
{
	uint64_t hz = rte_get_tsc_hz();
	unsigned __int128 ns;

	if (hz == 0)
		return 0;
	ns = (unsigned __int128)cycles * 1000000000u / hz;
	return ns > UINT64_MAX ? UINT64_MAX : (uint64_t)ns;
}

int
px_sleep_until(uint64_t deadline)
{
	struct exec *e = exec_self();
	uint64_t now = rte_rdtsc();
	int ret;

	if (e == NULL || e->current == NULL)
		return -EINVAL;
	/* One TSC read: with two, a thread preempted between them saw
	 * the deadline ahead, then subtracted a later time from it and
	 * took the wrapped difference for a delay past the horizon. */
	if (deadline != UINT64_MAX && deadline > now &&
			deadline - now > px_timer_wheel_horizon(e->wheel))
		return -ERANGE;
	/* Loop: a park may end early (a stray wake); the deadline decides. */
	while (rte_rdtsc() < deadline) {
		ret = task_park("sleep", deadline);
		if (ret == -ECANCELED)
			return ret;
	}
	return 0;
}

int
px_sleep_ns(uint64_t ns)
{
	uint64_t c = px_ns_to_cycles(ns);

	if (c >= UINT64_MAX - rte_rdtsc())
		return -ERANGE;
	return px_sleep_until(rte_rdtsc() + c);
}

int
px_interval_init(struct px_interval *iv, uint64_t period_ns,
		enum px_interval_miss miss)
{
	if (iv == NULL || period_ns == 0 || miss > PX_INTERVAL_DELAY)
		return -EINVAL;
	iv->period = px_ns_to_cycles(period_ns);
	if (iv->period == 0)
		iv->period = 1;
	iv->next = rte_rdtsc() + iv->period;
	iv->miss = miss;
	iv->missed = 0;
	return 0;
}

int
px_interval_tick(struct px_interval *iv)
{
	uint64_t now, k;
	int ret;

	if (iv == NULL)
		return -EINVAL;
	ret = px_sleep_until(iv->next);
	if (ret < 0)
		return ret;
	now = rte_rdtsc();
	switch (iv->miss) {
	case PX_INTERVAL_BURST:
		iv->next += iv->period;
		if (iv->next <= now)
			iv->missed++;
		break;
	case PX_INTERVAL_SKIP:
		iv->next += iv->period;
		if (iv->next <= now) {
			k = (now - iv->next) / iv->period + 1;
			iv->next += k * iv->period;
			iv->missed += k;
		}
		break;
	case PX_INTERVAL_DELAY:
		if (now >= iv->next + iv->period) {
			iv->next = now + iv->period;
			iv->missed++;
		} else {
			iv->next += iv->period;
		}
		break;
	}
	return 0;
}
