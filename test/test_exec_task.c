/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_lcore.h>

#include <px_exec.h>
#include <px_sync.h>
#include <px_task.h>

#include "test_exec.h"

static void *
ret_arg(void *arg)
{
	return arg;
}

static void *
case_spawn_join(void)
{
	struct px_exec_stats st;
	struct px_task *t;
	void *r = NULL;

	/* Stacks are mapped at start: the worker has spawned nothing yet. */
	T_EQ(px_exec_stats_get(rte_get_next_lcore(-1, 1, 0), &st), 0);
	T_EQ(st.stacks_mapped, 64);
	T_EQ(st.stacks_in_use, 0);

	T_EQ(px_spawn(ret_arg, (void *)42, NULL, &t), 0);
	T_CHECK(px_task_id(t) != 0);
	T_CHECK((px_task_id(t) >> 56) == rte_lcore_id());
	T_EQ(px_task_join(t, &r, PX_TIMEOUT_INF), 0);
	T_EQ((intptr_t)r, 42);
	return NULL;
}

static int order[8];
static int norder;

static void *
yielder(void *arg)
{
	int id = (int)(intptr_t)arg, i;

	for (i = 0; i < 2; i++) {
		order[norder++] = id;
		px_yield();
	}
	return NULL;
}

static void *
case_yield_order(void)
{
	struct px_task *a, *b;

	norder = 0;
	T_EQ(px_spawn(yielder, (void *)1, NULL, &a), 0);
	T_EQ(px_spawn(yielder, (void *)2, NULL, &b), 0);
	T_EQ(px_task_join(a, NULL, PX_TIMEOUT_INF), 0);
	T_EQ(px_task_join(b, NULL, PX_TIMEOUT_INF), 0);
	/* Round robin: each yield lets the other run. */
	T_EQ(norder, 4);
	T_EQ(order[0], 1);
	T_EQ(order[1], 2);
	T_EQ(order[2], 1);
	T_EQ(order[3], 2);
	return NULL;
}

static int cleaned;

static void *
sleeper(void *arg)
{
	int ret = px_sleep_ns(10ull * 1000 * 1000 * 1000);

	/* Cancellation: the park returns -ECANCELED; clean up and leave. */
	if (ret == -ECANCELED)
		cleaned++;
	/* Later parks fail at once too, so the task cannot block again. */
	if (px_sleep_ns(1000000) == -ECANCELED)
		cleaned++;
	return arg;
}

static void *
case_cancel(void)
{
	struct px_task *t;
	void *r = NULL;
	uint64_t t0 = rte_rdtsc();

	cleaned = 0;
	T_EQ(px_spawn(sleeper, (void *)7, NULL, &t), 0);
	T_EQ(px_sleep_ns(1000000), 0); /* let it park */
	T_EQ(px_task_cancel(t), 0);
	T_EQ(px_task_cancel(t), 0); /* twice: no-op */
	T_EQ(px_task_join(t, &r, PX_TIMEOUT_INF), -ECANCELED);
	T_EQ((intptr_t)r, 7);
	T_EQ(cleaned, 2);
	/* did not sleep 10 s (5 s: room for a busy machine) */
	T_CHECK(rte_rdtsc() - t0 < 5 * rte_get_tsc_hz());

	/* Cancel before it first runs: first park fails. */
	cleaned = 0;
	T_EQ(px_spawn(sleeper, NULL, NULL, &t), 0);
	T_EQ(px_task_cancel(t), 0);
	T_EQ(px_task_join(t, NULL, PX_TIMEOUT_INF), -ECANCELED);
	T_EQ(cleaned, 2);
	return NULL;
}

static void *
short_sleep(void *arg)
{
	px_sleep_ns((uint64_t)(uintptr_t)arg);
	return NULL;
}

static void *
join_other(void *arg)
{
	return (void *)(intptr_t)px_task_join(arg, NULL, PX_TIMEOUT_INF);
}

static void *
case_misuse(void)
{
	struct px_task *t, *j;
	struct px_exec_stats s0, s1;
	void *r;

	T_EQ(px_spawn(NULL, NULL, NULL, &t), -EINVAL);
	T_EQ(px_spawn(ret_arg, NULL, NULL, NULL), -EINVAL);
	T_EQ(px_spawn_on(RTE_MAX_LCORE + 5, ret_arg, NULL, NULL, &t), -ENODEV);
	T_EQ(px_task_join(NULL, NULL, 0), -EINVAL);
	T_EQ(px_task_join(px_task_self(), NULL, 0), -EINVAL);
	T_EQ(px_task_cancel(NULL), -EINVAL);
	T_EQ(px_task_detach(NULL), -EINVAL);

	/* Join timeout leaves the handle valid. The task sleeps until it is
	 * cancelled (a 20 ms sleep was over before the checks below on a
	 * busy machine that preempted this thread). */
	T_EQ(px_spawn(short_sleep, (void *)(uintptr_t)60000000000ull, NULL, &t), 0);
	T_EQ(px_task_join(t, NULL, 0), -ETIMEDOUT);
	T_EQ(px_task_join(t, NULL, 1000000), -ETIMEDOUT);
	/* A second joiner while one waits: -EBUSY. */
	T_EQ(px_spawn(join_other, t, NULL, &j), 0);
	T_EQ(px_yield(), 0);
	T_EQ(px_task_join(t, NULL, 0), -EBUSY);
	T_EQ(px_task_join(t, NULL, 1000), -EBUSY);
	T_EQ(px_task_detach(t), -EBUSY);
	T_EQ(px_task_cancel(t), 0);
	T_EQ(px_task_join(j, &r, PX_TIMEOUT_INF), 0);
	T_EQ((intptr_t)r, -ECANCELED); /* what the first joiner got */

	/* Join of a detached task: -EINVAL while it lives. */
	T_EQ(px_spawn(short_sleep, (void *)(uintptr_t)5000000, NULL, &t), 0);
	T_EQ(px_task_detach(t), 0);
	T_EQ(px_task_join(t, NULL, 0), -EINVAL);
	T_EQ(px_task_detach(t), -EINVAL);
	px_exec_stats_get(rte_lcore_id(), &s0);
	T_EQ(px_sleep_ns(10000000), 0);
	px_exec_stats_get(rte_lcore_id(), &s1);
	T_EQ(s1.stacks_in_use, s0.stacks_in_use - 1); /* freed itself */

	/* Detach after it finished frees it at once. */
	T_EQ(px_spawn(ret_arg, NULL, NULL, &t), 0);
	T_EQ(px_yield(), 0);
	px_exec_stats_get(rte_lcore_id(), &s0);
	T_EQ(px_task_detach(t), 0);
	px_exec_stats_get(rte_lcore_id(), &s1);
	T_EQ(s1.stacks_in_use, s0.stacks_in_use - 1);

	/* Detached spawn needs no handle. */
	T_EQ(px_spawn(ret_arg, NULL, &(struct px_task_opts){ .flags =
			PX_TASK_F_DETACHED }, NULL), 0);
	return NULL;
}

static void *
whoami(void *arg)
{
	px_sleep_ns(1000);
	return (void *)(uintptr_t)(rte_lcore_id() * 1000 + (uintptr_t)arg);
}

static void *
case_spawn_on(void)
{
	unsigned int lcore, n = 0;
	struct px_task *t[RTE_MAX_LCORE];
	unsigned int l[RTE_MAX_LCORE];
	void *r;
	unsigned int i;

	RTE_LCORE_FOREACH(lcore) {
		T_EQ(px_spawn_on(lcore, whoami, (void *)(uintptr_t)n, NULL, &t[n]), 0);
		l[n++] = lcore;
	}
	T_CHECK(n >= 2);
	for (i = 0; i < n; i++) {
		T_EQ(px_task_join(t[i], &r, PX_TIMEOUT_INF), 0);
		T_EQ((uintptr_t)r, l[i] * 1000 + i);
	}
	/* Remote cancel: takes effect at the remote task's park. */
	cleaned = 0;
	T_EQ(px_spawn_on(l[1], sleeper, (void *)3, NULL, &t[0]), 0);
	T_EQ(px_task_cancel(t[0]), 0); /* may arrive before it started */
	T_EQ(px_task_join(t[0], &r, 2000000000ull), -ECANCELED);
	T_EQ((intptr_t)r, 3);
	T_EQ(px_spawn_on(l[1], sleeper, (void *)4, NULL, &t[0]), 0);
	T_EQ(px_sleep_ns(2000000), 0);
	T_EQ(px_task_cancel(t[0]), 0);
	T_EQ(px_task_join(t[0], &r, 2000000000ull), -ECANCELED);
	/* Detached remote task. */
	T_EQ(px_spawn_on(l[1], whoami, NULL, &(struct px_task_opts){ .flags =
			PX_TASK_F_DETACHED }, NULL), 0);
	return NULL;
}

/* px_exec_on_all(): one task per executor, results by index. A caller
 * cancelled before runs nothing; cancelled while it waits, it still waits
 * for every task (they may use its memory) and then says -ECANCELED. */
static int on_all_runs, on_all_hold;

static void *
count_run(void *arg)
{
	RTE_SET_USED(arg);
	__atomic_add_fetch(&on_all_runs, 1, __ATOMIC_RELAXED);
	while (__atomic_load_n(&on_all_hold, __ATOMIC_RELAXED))
		px_sleep_ns(1000000);
	return (void *)(uintptr_t)(rte_lcore_id() + 1);
}

static void *
on_all_caller(void *arg)
{
	*(int *)arg = px_exec_on_all(count_run, NULL, NULL);
	return NULL;
}

static void *
case_on_all(void)
{
	void *res[PX_MAX_LCORES];
	unsigned int i, n = px_exec_count();
	struct px_task *t;
	int r;

	T_CHECK(n >= 2);
	T_EQ(px_exec_on_all(NULL, NULL, NULL), -EINVAL);
	on_all_runs = 0;
	T_EQ(px_exec_on_all(count_run, NULL, res), 0);
	T_EQ(on_all_runs, n);
	for (i = 0; i < n; i++)
		T_EQ((uintptr_t)res[i], (uintptr_t)px_exec_lcore(i) + 1);
	T_EQ(px_exec_on_all(count_run, NULL, NULL), 0);
	/* Cancelled while the tasks are held: the wait goes on until they
	 * are released and done. */
	on_all_runs = 0;
	r = 1;
	__atomic_store_n(&on_all_hold, 1, __ATOMIC_RELAXED);
	T_EQ(px_spawn(on_all_caller, &r, NULL, &t), 0);
	while (__atomic_load_n(&on_all_runs, __ATOMIC_RELAXED) < (int)n)
		T_EQ(px_sleep_ns(1000000), 0);
	T_EQ(px_task_cancel(t), 0);
	T_EQ(px_sleep_ns(5000000), 0);
	T_EQ(r, 1); /* still waiting */
	__atomic_store_n(&on_all_hold, 0, __ATOMIC_RELAXED);
	T_EQ(px_task_join(t, NULL, PX_TIMEOUT_INF), -ECANCELED);
	T_EQ(r, -ECANCELED);
	/* Cancelled before it starts: nothing runs. */
	on_all_runs = 0;
	T_EQ(px_spawn(on_all_caller, &r, NULL, &t), 0);
	T_EQ(px_task_cancel(t), 0);
	T_EQ(px_task_join(t, NULL, PX_TIMEOUT_INF), -ECANCELED);
	T_EQ(r, -ECANCELED);
	T_EQ(on_all_runs, 0);
	return NULL;
}

static void *
slow_fn(void *arg)
{
	usleep(20000); /* a real blocking call, off the lcore */
	return (void *)((uintptr_t)arg + 1);
}

static volatile int ticks;

static void *
ticker(void *arg)
{
	while (!px_task_cancelled()) {
		ticks++;
		if (px_sleep_ns(1000000) < 0)
			break;
	}
	return arg;
}

static void *
case_blocking(void)
{
	struct px_task *t;
	void *r = NULL;

	ticks = 0;
	T_EQ(px_spawn(ticker, NULL, NULL, &t), 0);
	T_EQ(px_spawn_blocking(slow_fn, (void *)41, &r), 0);
	T_EQ((uintptr_t)r, 42);
	/* The lcore kept running the other task during the 20 ms call. */
	T_CHECK(ticks >= 5);
	T_EQ(px_spawn_blocking(NULL, NULL, NULL), -EINVAL);
	px_task_cancel(t);
	T_EQ(px_task_join(t, NULL, PX_TIMEOUT_INF), -ECANCELED);
	return NULL;
}

static void *
hog(void *arg)
{
	/* arg: milliseconds to spin without parking */
	uint64_t end = rte_rdtsc() + rte_get_tsc_hz() / 1000 * (uintptr_t)arg;

	while (rte_rdtsc() < end)
		;
	return arg;
}

static void *
polite(void *arg)
{
	uint64_t end = rte_rdtsc() + rte_get_tsc_hz() / 50;
	int yields = 0;

	while (rte_rdtsc() < end)
		if (px_yield_maybe() == 0 && px_task_self() != NULL)
			yields++;
	return (void *)(intptr_t)yields;
}

static void *
case_stall(void)
{
	struct px_exec_stats s0, s1;
	struct px_task *t;

	px_exec_stats_get(rte_lcore_id(), &s0);
	T_EQ(px_spawn(hog, (void *)20, &(struct px_task_opts){ .name = "hog" }, &t), 0);
	T_EQ(px_task_join(t, NULL, PX_TIMEOUT_INF), 0);
	/* A shorter stall after a longer one counts too. */
	T_EQ(px_spawn(hog, (void *)10, NULL, &t), 0);
	T_EQ(px_task_join(t, NULL, PX_TIMEOUT_INF), 0);
	px_exec_stats_get(rte_lcore_id(), &s1);
	/* stall_us is 5000 in this test: both hogs are reported. */
	T_CHECK(s1.stalls - s0.stalls >= 2); /* more if the OS preempts a slice */
	T_CHECK(px_cycles_to_ns(s1.stall_max_cycles) >= 20000000);
	/* A task calling px_yield_maybe() in its loop gives the lcore back
	 * every budget (a tenth of stall_us: 0.5 ms here), so a 20 ms loop
	 * yields about 40 times on an idle machine; far fewer when the OS
	 * preempts the thread for milliseconds (CI runs other work), hence a
	 * low bound. Whether a slice counts as a stall then is not asserted. */
	px_exec_stats_get(rte_lcore_id(), &s0);
	T_EQ(px_spawn(polite, NULL, NULL, &t), 0);
	T_EQ(px_task_join(t, NULL, PX_TIMEOUT_INF), 0);
	px_exec_stats_get(rte_lcore_id(), &s1);
	printf("    polite: %" PRIu64 " yields\n", s1.yields - s0.yields);
	T_CHECK(s1.yields - s0.yields >= 5);
	return NULL;
}

static void *
case_many_tasks(void)
{
	enum { WAVE = 1000, TOTAL = 100000 };
	static struct px_task *t[WAVE];
	struct px_exec_stats s0, s1;
	unsigned int i, done = 0;
	void *r;

	px_exec_stats_get(rte_lcore_id(), &s0);
	while (done < TOTAL) {
		for (i = 0; i < WAVE; i++)
			T_EQ(px_spawn(ret_arg, (void *)(uintptr_t)(done + i), NULL,
					&t[i]), 0);
		for (i = 0; i < WAVE; i++) {
			T_EQ(px_task_join(t[i], &r, PX_TIMEOUT_INF), 0);
			T_EQ((uintptr_t)r, done + i);
		}
		done += WAVE;
	}
	px_exec_stats_get(rte_lcore_id(), &s1);
	T_EQ(s1.tasks_spawned - s0.tasks_spawned, TOTAL);
	T_EQ(s1.stacks_in_use, s0.stacks_in_use);
	/* Stacks are pooled: at most one wave's worth was ever mapped. */
	T_CHECK(s1.stacks_mapped <= s0.stacks_mapped + WAVE);
	T_EQ(s1.tasks_live, s0.tasks_live);
	return NULL;
}

static void *
case_dump(void)
{
	struct px_task *t;
	char buf[4096];
	FILE *f;

	T_EQ(px_spawn(short_sleep, (void *)(uintptr_t)1000000,
			&(struct px_task_opts){ .name = "napper" }, &t), 0);
	T_EQ(px_yield(), 0);
	f = fmemopen(buf, sizeof(buf), "w");
	T_CHECK(f != NULL);
	T_CHECK(px_task_dump(f) >= 2);
	fclose(f);
	T_CHECK(strstr(buf, "napper") != NULL);
	T_CHECK(strstr(buf, "sleep") != NULL);
	T_CHECK(strstr(buf, "test_exec_task.c") != NULL);
	T_EQ(px_task_join(t, NULL, PX_TIMEOUT_INF), 0);
	return NULL;
}

#if defined(__x86_64__)
static uint32_t
get_mxcsr(void)
{
	uint32_t v;

	__asm__ volatile("stmxcsr %0" : "=m"(v));
	return v;
}

static void
set_mxcsr(uint32_t v)
{
	__asm__ volatile("ldmxcsr %0" : : "m"(v));
}

static uint16_t
get_fpucw(void)
{
	uint16_t v;

	__asm__ volatile("fnstcw %0" : "=m"(v));
	return v;
}

static void
set_fpucw(uint16_t v)
{
	__asm__ volatile("fldcw %0" : : "m"(v));
}

/* Each task keeps its own MXCSR and x87 control word across switches
 * (the SysV ABI makes their control bits callee-saved). */
static void *
fpu_task(void *arg)
{
	uint32_t mx = (uint32_t)(uintptr_t)arg;
	uint16_t cw = (uint16_t)(0x037f ^ (mx & 0x0c00));
	int i;

	set_mxcsr(mx);
	set_fpucw(cw);
	for (i = 0; i < 3; i++) {
		px_yield();
		if (get_mxcsr() != mx || get_fpucw() != cw)
			return (void *)1;
	}
	return NULL;
}

static void *
case_fpu_state(void)
{
	uint32_t mx0 = get_mxcsr();
	uint16_t cw0 = get_fpucw();
	struct px_task *a, *b;
	void *ra, *rb;

	/* Round toward zero / round down (MXCSR RC bits 13-14), and a
	 * different x87 rounding field per task. */
	T_EQ(px_spawn(fpu_task, (void *)(uintptr_t)(0x1f80 | 0x6000), NULL, &a), 0);
	T_EQ(px_spawn(fpu_task, (void *)(uintptr_t)(0x1f80 | 0x2000 | 0x0400),
			NULL, &b), 0);
	T_EQ(px_task_join(a, &ra, PX_TIMEOUT_INF), 0);
	T_EQ(px_task_join(b, &rb, PX_TIMEOUT_INF), 0);
	T_CHECK(ra == NULL && rb == NULL);
	/* The joining task's own state was restored too. */
	T_EQ(get_mxcsr(), mx0);
	T_EQ(get_fpucw(), cw0);
	return NULL;
}
#else
static void *
case_fpu_state(void)
{
	return NULL;
}
#endif

static int
deep(int n)
{
	volatile char buf[1024];

	buf[0] = (char)n;
	if (n < 1000000000)
		return deep(n + 1) + buf[0];
	return 0;
}

static uintptr_t guard_lo, guard_hi;

static void
on_segv(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr;

	RTE_SET_USED(sig);
	RTE_SET_USED(uc);
	_exit(a >= guard_lo && a < guard_hi ? 42 : 43);
}

/* A task that overflows its stack hits the guard page just below it and
 * faults, instead of writing over whatever is mapped there. Checked in a
 * child process, with the fault address. */
static void *
case_guard_page(void)
{
	static char altstack[64 * 1024];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO |
		SA_ONSTACK };
	uintptr_t top = (uintptr_t)&ss;
	long page = sysconf(_SC_PAGESIZE);
	int status = 0;
	pid_t pid;

	/* The stack is 64 KiB (the default) below the task struct, and the
	 * guard page is right under it. */
	guard_hi = RTE_ALIGN_FLOOR(top, page) - 64 * 1024 + page;
	guard_lo = guard_hi - 3 * page;
	fflush(stdout);
	pid = fork();
	T_CHECK(pid >= 0);
	if (pid == 0) {
		sigaltstack(&ss, NULL);
		sigaction(SIGSEGV, &sa, NULL);
		deep(0);
		_exit(0); /* not reached */
	}
	T_EQ(waitpid(pid, &status, 0), pid);
	/* An ASan build may report the overflow itself and abort. */
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT)
		return NULL;
	T_CHECK(WIFEXITED(status));
	T_EQ(WEXITSTATUS(status), 42);
	return NULL;
}

static void *
task_main(void *arg)
{
	T_RUN(case_spawn_join);
	T_RUN(case_yield_order);
	T_RUN(case_fpu_state);
	T_RUN(case_guard_page);
	T_RUN(case_cancel);
	T_RUN(case_misuse);
	T_RUN(case_spawn_on);
	T_RUN(case_on_all);
	T_RUN(case_blocking);
	T_RUN(case_stall);
	T_RUN(case_many_tasks);
	T_RUN(case_dump);
	return arg;
}

static int
test_exec_task(void)
{
	struct px_conf c = { .stall_us = 5000 };

	return texec_run(&c, task_main);
}

PX_REGISTER_TEST(exec_task_autotest, 0, test_exec_task);

/* ---- hosting an executor in a foreign loop ---- */

static volatile int foreign_done;

static void *
foreign_task(void *arg)
{
	px_sleep_ns(2000000);
	foreign_done = 1;
	return arg;
}

static int
foreign_loop(void *arg)
{
	struct px_task *t;
	uint64_t end = rte_rdtsc() + 5 * rte_get_tsc_hz();
	void *r = NULL;

	RTE_SET_USED(arg);
	if (px_spawn(foreign_task, (void *)9, NULL, &t) != 0)
		return -1;
	/* The application's own loop: its work, then one Pollux iteration. */
	while (!foreign_done && rte_rdtsc() < end)
		px_lcore_poll();
	if (px_task_join(t, &r, 0) != 0 || r != (void *)9)
		return -2;
	return 0;
}

static void *
stopper(void *arg)
{
	px_sleep_ns(10000000);
	px_stop();
	return arg;
}

static void *
sleepy_main(void *arg)
{
	struct px_task *t;

	/* arg: ms to sleep; with a non-zero low bit, also stop the run early
	 * from another lcore. */
	if ((uintptr_t)arg & 1) {
		if (px_spawn_on(rte_get_next_lcore(-1, 1, 0), stopper, NULL,
				&(struct px_task_opts){ .flags = PX_TASK_F_DETACHED },
				&t) != 0)
			return (void *)1;
	}
	px_sleep_ns((uint64_t)((uintptr_t)arg & ~(uintptr_t)1) * 1000000);
	return NULL;
}

static void *
restart_main(void *arg)
{
	struct px_task *t;
	void *r = NULL;

	if (px_spawn_on(rte_get_next_lcore(-1, 1, 0), whoami, (void *)5, NULL, &t) != 0 ||
			px_task_join(t, &r, PX_TIMEOUT_INF) != 0)
		return (void *)1;
	return (uintptr_t)r == rte_get_next_lcore(-1, 1, 0) * 1000 + 5 ? arg :
		(void *)2;
}

static int
test_exec_poll(void)
{
	struct px_conf c = { .idle = PX_IDLE_ADAPTIVE };
	void *r = (void *)1;
	unsigned int worker;
	int ret;

	ret = px_init(px_test_argc, px_test_argv, &c);
	if (ret < 0)
		return TEST_FAILED;
	worker = rte_get_next_lcore(-1, 1, 0);
	PX_TEST_ASSERT(worker < RTE_MAX_LCORE, "needs a worker lcore");
	PX_TEST_ASSERT(!px_lcore_has_exec() || rte_lcore_id() == rte_get_main_lcore());
	PX_TEST_ASSERT_OK(rte_eal_remote_launch(foreign_loop, NULL, worker));
	ret = rte_eal_wait_lcore(worker);
	PX_TEST_ASSERT_EQ(ret, 0, "foreign loop");
	/* Restart the runtime on the same EAL: workers must not keep the
	 * old executors. */
	px_fini(false);
	PX_TEST_ASSERT_OK(px_init_after_eal(&c));
	ret = px_run(restart_main, NULL, &r);
	px_fini(true);
	PX_TEST_ASSERT_OK(ret);
	PX_TEST_ASSERT(r == NULL, "task on the worker after restart");
	return TEST_SUCCESS;
}

/* px_exec_call() from a control thread: fn records where it ran. */
struct call_probe {
	unsigned int lcore;
	uint64_t timeout_ns;
	int calls, ret;
};

static void
probe_fn(void *arg)
{
	struct call_probe *p = arg;

	p->lcore = rte_lcore_id();
	p->calls++;
}

static void *
probe_thread(void *arg)
{
	struct call_probe *p = arg;

	p->ret = px_exec_call(p->lcore, probe_fn, p, p->timeout_ns);
	return NULL;
}

/* Call into *lcore* from a fresh pthread; returns px_exec_call()'s result. */
static int
call_from_thread(struct call_probe *p, unsigned int lcore, uint64_t timeout_ns)
{
	pthread_t th;

	p->lcore = lcore;
	p->timeout_ns = timeout_ns;
	if (pthread_create(&th, NULL, probe_thread, p) != 0)
		return -EAGAIN;
	pthread_join(th, NULL);
	return p->ret;
}

/* A message sent to a worker after its loop left (px_stop()), as a
 * packet steered at shutdown: px_run() still has the worker handle it,
 * on itself, before it returns. */
#define LATE_TYPE (PX_MSG_USER_BASE + 7)
static unsigned int late_calls, late_lcore;

static void
late_handler(const struct px_msg *m, void *ctx)
{
	RTE_SET_USED(m);
	RTE_SET_USED(ctx);
	late_lcore = rte_lcore_id();
	late_calls++;
}

static void *
late_main(void *arg)
{
	unsigned int worker = (unsigned int)(uintptr_t)arg;
	uint64_t t0 = rte_rdtsc();

	px_stop();
	while (rte_eal_get_lcore_state(worker) == RUNNING &&
			rte_rdtsc() - t0 < px_ns_to_cycles(2000000000))
		rte_pause();
	if (rte_eal_get_lcore_state(worker) == RUNNING)
		return (void *)1;
	return px_msg_send(worker, LATE_TYPE, 0, 0, 0, 0) == 0 ? NULL : (void *)2;
}

static int
test_exec_run(void)
{
	struct px_conf c = { .idle = PX_IDLE_ADAPTIVE };
	struct px_msg m = { .type = 3 };
	unsigned int worker;
	uint64_t t0;
	int ret;

	ret = px_init(px_test_argc, px_test_argv, &c);
	if (ret < 0)
		return TEST_FAILED;
	worker = rte_get_next_lcore(-1, 1, 0);
	/* Internal message types cannot be sent from outside. */
	PX_TEST_ASSERT_EQ(px_msg_send_burst(worker, &m, 1), 0);
	PX_TEST_ASSERT_EQ(px_msg_send(worker, 3, 0, 0, 0, 0), -EINVAL);
	/* A run cut short by px_stop(): -EINTR. */
	PX_TEST_ASSERT_EQ(px_run(sleepy_main, (void *)(uintptr_t)201, NULL), -EINTR);
	/* A message that came after the worker's loop stopped. */
	{
		void *res = (void *)3;

		PX_TEST_ASSERT_OK(px_msg_register(LATE_TYPE, late_handler, NULL));
		PX_TEST_ASSERT_OK(px_run(late_main, (void *)(uintptr_t)worker, &res));
		PX_TEST_ASSERT(res == NULL, "late_main failed: %p", res);
		PX_TEST_ASSERT_EQ(late_calls, 1);
		PX_TEST_ASSERT_EQ(late_lcore, worker);
	}
	/* The next run is not ended by the old main task finishing. */
	t0 = rte_rdtsc();
	PX_TEST_ASSERT_OK(px_run(sleepy_main, (void *)(uintptr_t)400, NULL));
	PX_TEST_ASSERT(rte_rdtsc() - t0 >= px_ns_to_cycles(400000000), "cut short");
	/* px_exec_call(): not from an executor lcore; withdrawn when the
	 * target's loop is not running (fn never runs, even later). */
	{
		struct call_probe p = { 0 };

		PX_TEST_ASSERT_EQ(px_exec_call(worker, probe_fn, &p, 1000), -EINVAL);
		PX_TEST_ASSERT_EQ(call_from_thread(&p, worker, 50000000), -ETIMEDOUT);
		PX_TEST_ASSERT_EQ(p.calls, 0);
		PX_TEST_ASSERT_EQ(call_from_thread(&p, RTE_MAX_LCORE - 1, 1000), -EINVAL);
	}
	/* After px_run(), a loop the application launches keeps running. */
	PX_TEST_ASSERT_OK(rte_eal_remote_launch(px_lcore_loop, NULL, worker));
	rte_delay_us_block(20000);
	PX_TEST_ASSERT_EQ(rte_eal_get_lcore_state(worker), RUNNING);
	/* ... and runs a control thread's call on the worker, once (the
	 * stale request from above stays withdrawn). */
	{
		struct call_probe p = { 0 };

		PX_TEST_ASSERT_OK(call_from_thread(&p, worker, 1000000000));
		PX_TEST_ASSERT_EQ(p.calls, 1);
		PX_TEST_ASSERT_EQ(p.lcore, worker);
	}
	px_stop();
	PX_TEST_ASSERT_OK(rte_eal_wait_lcore(worker));
	px_fini(true);
	return TEST_SUCCESS;
}

PX_REGISTER_TEST(exec_run_autotest, 0, test_exec_run);

PX_REGISTER_TEST(exec_poll_autotest, 0, test_exec_poll);
