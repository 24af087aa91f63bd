/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#ifndef _EXEC_PRIVATE_H_
#define _EXEC_PRIVATE_H_

#include <stdint.h>
#include <sys/queue.h>

#include <rte_lcore.h>
#include <rte_per_lcore.h>

#include <px_timer.h>
#include <px_xchan.h>

#include "px_exec.h"
#include "px_task.h"
#include "px_sync.h"

/* Internal message types (below PX_MSG_LIB_BASE). */
enum exec_msg_type {
	MSG_SPAWN = 1,     /* a: proxy task (holds the request) */
	MSG_STARTED,       /* a: proxy, b: remote task, c: its id */
	MSG_DONE,          /* a: proxy, b: result, u32: status */
	MSG_CANCEL,        /* a: task, b: id */
	MSG_WAKE,          /* a: task, b: id, u32: status */
	MSG_CHAN_WAKE,     /* a: chan, u32: side (0 recv waiters, 1 send waiters) */
	MSG_BLOCKING_DONE, /* a: blocking job */
	MSG_SEM_RELEASE,   /* a: sem */
	MSG_NOTIFY,        /* a: notify, u32: 1 = all */
	MSG_WG_DONE,       /* a: wait group */
	MSG_CALL,          /* u32: px_exec_call() generation */
};

enum task_state {
	TASK_READY = 1,
	TASK_RUNNING,
	TASK_PARKED,
	TASK_DONE,
	TASK_PROXY,       /* local handle of a task on another lcore */
};

#define TASK_F_DETACHED     0x01u
#define TASK_F_CANCEL       0x02u /* cancel requested */
#define TASK_F_NOINTR       0x04u /* parked uninterruptibly (blocking call) */
#define TASK_F_JOINED       0x08u /* a joiner is waiting */
#define TASK_F_REMOTE_DONE  0x10u /* proxy: the remote task finished */
#define TASK_F_HAS_PROXY    0x20u /* remote task: report to a proxy */

struct exec;

struct px_task {
	void *sp;                 /* saved stack pointer while switched out */
	struct exec *exec;
	TAILQ_ENTRY(px_task) rq;  /* run queue link */
	TAILQ_ENTRY(px_task) all; /* live list (task dump) */
	uint32_t state;
	uint32_t flags;
	int wake_status;          /* what px__task_park() returns */
	int status;               /* 0 or -ECANCELED once done */
	px_task_fn_t fn;
	void *arg;
	void *result;
	struct px_task *joiner;   /* task parked in px_task_join() */
	struct px_timer timer;    /* park timeout */
	uint64_t id;
	const char *name;
	const char *file;
	int line;
	const char *wait_what;    /* what it parks on, for the dump */
	/* remote spawn: proxy side */
	unsigned int remote_lcore;
	struct px_task *remote;   /* task on remote_lcore once started */
	uint64_t remote_id;
	/* remote spawn: task side */
	unsigned int proxy_lcore;
	struct px_task *proxy;
	/* stack */
	void *stack_lo;           /* lowest usable byte (above the guard) */
	size_t stack_size;        /* usable bytes below this struct */
	void *asan_fake_stack;
	struct px_task *free_next;
};

TAILQ_HEAD(task_list, px_task);

#define EXEC_MAX_HOOKS 8
#define EXEC_BACKLOG 65536 /* internal messages held behind full mailboxes */

struct exec_hook {
	px_exec_hook_cb_t cb;
	void *ctx;
};

struct exec {
	/* hot: touched every iteration */
	struct px_task *current;
	struct task_list runq;
	struct px_timer_wheel *wheel;
	struct px_xchan *mbox;
	void *sched_sp;            /* the executor loop's stack while a task runs */
	uint64_t slice_start;
	uint64_t budget_cycles;    /* px_yield_maybe() threshold */
	uint64_t stall_cycles;
	uint32_t task_budget;
	uint32_t slices;           /* task slices run in this iteration */
	uint32_t n_poll, n_flush;
	struct exec_hook poll[EXEC_MAX_HOOKS];
	struct exec_hook flush[EXEC_MAX_HOOKS];
	/* messages that found a full mailbox; flushed first each iteration */
	struct px_msg *backlog;
	uint32_t bl_head, bl_len;
	/* idle policy */
	uint32_t idle_policy;
	uint32_t idle_spin;
	uint32_t idle_empty;
	uint64_t idle_sleep_ns;
	uint64_t idle_max_sleep_ns;
	/* stack pool */
	struct px_task *free_stacks;
	uint64_t live_tasks;
	uint32_t max_tasks;
	size_t stack_size;
	size_t page_size;
	uint64_t next_id;
	struct task_list all;
	unsigned int lcore_id;
	unsigned int index;
	int running;               /* inside px_lcore_loop() */
	uint64_t last_stall_log;
	struct px_exec_stats st;
} __rte_cache_aligned;

struct exec_global {
	struct exec *by_lcore[RTE_MAX_LCORE];
	unsigned int lcore_of[PX_MAX_LCORES];
	unsigned int n;
	struct px_conf conf;
	int inited;
	int eal_ours;
	int shared_cpus;           /* some lcores share a CPU: RTS rings */
	uint64_t run_gen;          /* px_run() generation */
	volatile int stop;         /* set by px_stop(); read by every loop */
	struct {
		px_msg_handler_cb_t cb;
		void *ctx;
	} handlers[PX_MSG_TYPE_MAX];
};

extern struct exec_global px__g;

static inline struct exec *
exec_of(unsigned int lcore_id)
{
	return lcore_id < RTE_MAX_LCORE ? px__g.by_lcore[lcore_id] : NULL;
}

/* The executor whose loop (px_lcore_loop() or px_lcore_poll()) this thread
 * is inside; set on entry and cleared on exit, so it cannot outlive a
 * px_fini(). Tasks only run inside a loop: their lookups take one load. */
extern __thread struct exec *px__loop_exec;

/* The calling thread's executor (NULL off the runtime's lcores). */
static inline struct exec *
exec_self(void)
{
	struct exec *e = px__loop_exec;

	return likely(e != NULL) ? e : exec_of(rte_lcore_id());
}

/* task.c */
int task_pool_init(struct exec *e);
void task_pool_fini(struct exec *e);
int task_spawn_local(struct exec *e, px_task_fn_t fn, void *arg,
		const struct px_task_opts *opts, const char *file, int line,
		struct px_task **out);
void task_run(struct exec *e, struct px_task *t);
void task_wake(struct px_task *t, int status);
int task_park(const char *what, uint64_t deadline);
void task_park_nointr(const char *what);
void task_msg(struct exec *e, const struct px_msg *m);

/* exec.c */
void exec_send_internal(struct exec *e, unsigned int lcore_id,
		struct px_msg *m);
void exec_wake_remote(struct exec *e, unsigned int lcore_id,
		struct px_task *t, uint64_t id, int status);

/* sync.c */
void sync_msg(struct exec *e, const struct px_msg *m);

/* blocking.c */
int blocking_init(unsigned int nthreads);
void blocking_fini(void);
void blocking_msg(struct exec *e, const struct px_msg *m);
/* px_exec_call()'s request on the target lcore (exec_tel.c). */
void call_msg(struct exec *e, const struct px_msg *m);
/* Register /pollux/exec and /pollux/tasks (once per process). */
void exec_tel_register(void);

/* The library's log type "pollux.exec" (exec.c, px_log.h). */
extern int px_logtype_exec;

#endif /* _EXEC_PRIVATE_H_ */
