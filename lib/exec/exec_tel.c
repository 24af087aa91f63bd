/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * Calls from control threads into an executor's loop (px_exec_call()),
 * and the executor's telemetry: /pollux/exec (counters per lcore) and
 * /pollux/tasks (live tasks per lcore).
 */

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_pause.h>
#include <rte_telemetry.h>

#include <px_tel.h>

#include "exec_private.h"

/* One call in flight per process; callers queue on the mutex. claim:
 * the caller's generation while the call waits, gen | CALL_RUNNING once
 * the lcore took it, 0 when the caller gave up (the lcore then skips it). */
#define CALL_RUNNING 0x80000000u

static struct {
	pthread_mutex_t mu;
	void (*fn)(void *arg);
	void *arg;
	uint32_t gen;
	uint32_t claim;
	uint32_t done;
} call = { .mu = PTHREAD_MUTEX_INITIALIZER };

void
call_msg(struct exec *e, const struct px_msg *m)
{
	uint32_t gen = m->u32;

	(void)e;
	if (!__atomic_compare_exchange_n(&call.claim, &gen, gen | CALL_RUNNING,
			false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return; /* stale: its caller timed out */
	call.fn(call.arg);
	__atomic_store_n(&call.done, m->u32, __ATOMIC_RELEASE);
}

int
px_exec_call(unsigned int lcore_id, void (*fn)(void *arg), void *arg,
		uint64_t timeout_ns)
{
	struct px_msg m = { .type = MSG_CALL };
	uint64_t deadline;
	uint32_t gen;
	int ret = 0;

	if (fn == NULL || exec_self() != NULL)
		return -EINVAL;
	pthread_mutex_lock(&call.mu);
	/* The telemetry lock keeps px_fini() from freeing the mailbox
	 * under the send. */
	px_tel_lock();
	if (exec_of(lcore_id) == NULL) {
		px_tel_unlock();
		pthread_mutex_unlock(&call.mu);
		return -EINVAL;
	}
	gen = (call.gen + 1) & ~CALL_RUNNING;
	if (gen == 0)
		gen = 1;
	call.gen = gen;
	call.fn = fn;
	call.arg = arg;
	__atomic_store_n(&call.claim, gen, __ATOMIC_RELEASE);
	m.u32 = gen;
	exec_send_internal(NULL, lcore_id, &m);
	px_tel_unlock();
	deadline = px_deadline(timeout_ns);
	while (__atomic_load_n(&call.done, __ATOMIC_ACQUIRE) != gen) {
		if (rte_rdtsc() < deadline) {
			rte_pause();
			continue;
		}
		/* Give up unless the lcore already took it; then it is
		 * running fn and we wait for it to end. */
		if (__atomic_compare_exchange_n(&call.claim, &gen, 0, false,
				__ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
			ret = -ETIMEDOUT;
			break;
		}
		gen = m.u32;
		deadline = UINT64_MAX;
	}
	pthread_mutex_unlock(&call.mu);
	return ret;
}

/* ---- telemetry ---- */

static const char *const exec_stat_names[] = {
	"loops", "idle_loops", "idle_cycles", "busy_cycles", "tasks_spawned",
	"tasks_done", "tasks_live", "task_runs", "parks", "wakes", "yields",
	"msgs_in", "msgs_out", "msgs_deferred", "msgs_unknown", "timers_fired",
	"stalls", "stall_max_cycles", "stacks_mapped", "stacks_in_use",
	"blocking_calls",
};

_Static_assert(PX_ARRAY_SIZE(exec_stat_names) ==
		sizeof(struct px_exec_stats) / sizeof(uint64_t),
		"exec_stat_names must list every px_exec_stats counter");

static int
tel_exec(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct px_exec_stats s;
	struct rte_tel_data *sub;
	char name[32];
	unsigned int i;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	px_tel_lock();
	for (i = 0; i < px__g.n; i++) {
		if (px_exec_stats_get(px__g.lcore_of[i], &s) < 0)
			continue;
		sub = rte_tel_data_alloc();
		if (sub == NULL)
			break;
		px_tel_counters(sub, exec_stat_names, (const uint64_t *)&s,
				PX_ARRAY_SIZE(exec_stat_names));
		snprintf(name, sizeof(name), "lcore%u", px__g.lcore_of[i]);
		if (rte_tel_data_add_dict_container(d, name, sub, 0) != 0)
			rte_tel_data_free(sub);
	}
	px_tel_unlock();
	return 0;
}

/* px_task_dump() on the lcore, into a buffer the telemetry thread reads. */
struct dump_buf {
	char text[16384];
	int n;
};

static void
dump_tasks(void *arg)
{
	struct dump_buf *b = arg;
	FILE *f = fmemopen(b->text, sizeof(b->text) - 1, "w");

	if (f == NULL) {
		b->n = -ENOMEM;
		return;
	}
	b->n = px_task_dump(f);
	fclose(f);
}

static int
tel_tasks(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static struct dump_buf b; /* under the call mutex's serialisation */
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	char name[32];
	unsigned int i, n;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&mu);
	px_tel_lock();
	n = px__g.n;
	px_tel_unlock();
	for (i = 0; i < n; i++) {
		memset(b.text, 0, sizeof(b.text));
		snprintf(name, sizeof(name), "lcore%u", px__g.lcore_of[i]);
		if (px_exec_call(px__g.lcore_of[i], dump_tasks, &b,
				200 * 1000 * 1000) != 0) {
			rte_tel_data_add_dict_string(d, name, "(lcore not answering)");
			continue;
		}
		px_tel_lines(d, name, b.text);
	}
	pthread_mutex_unlock(&mu);
	return 0;
}

void
exec_tel_register(void)
{
	px_tel_register("/pollux/exec", tel_exec,
		"Executor counters per lcore. Takes no parameters.");
	px_tel_register("/pollux/tasks", tel_tasks,
		"Live tasks per lcore: id, state, what each waits on, where it "
		"was spawned. Takes no parameters.");
}
