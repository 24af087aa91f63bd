/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#ifndef _PX_TASK_H_
#define _PX_TASK_H_

/**
 * @file
 * Stackful tasks and task-level time.
 *
 * A task is a coroutine with its own stack (pooled per lcore, a guard page
 * below it). It runs on the lcore that spawned it until it returns or parks
 * in a blocking-style call (px_sleep_ns(), px_task_join(), px_chan_recv(),
 * ...), which hands the lcore back to the executor. Tasks are never
 * preempted.
 *
 * Handles: px_spawn() gives a handle that stays valid until it is consumed
 * by px_task_join() (after the join returns) or px_task_detach(). Using a
 * consumed handle is undefined; misuse that can be detected while the task
 * lives (joining a detached task, two joiners) returns an error.
 *
 * Cancellation: px_task_cancel() marks the task; it takes effect at the
 * task's next park point: that blocking call (and every later one) returns
 * -ECANCELED at once, so the task unwinds through its own error paths,
 * releasing what it holds, and returns. A task that never parks is not
 * interrupted (see px_task_cancelled() to poll for it). The join of a
 * cancelled task returns -ECANCELED along with the task's return value.
 *
 * Timeouts are in nanoseconds: PX_TIMEOUT_INF waits forever, 0 tries once.
 * Every wait that times out returns -ETIMEDOUT. A timeout longer than the
 * timer wheel's horizon (about 50 days at the default 1 us tick) waits
 * without a limit, as PX_TIMEOUT_INF.
 */

#include <stdbool.h>
#include <stdint.h>

#include <px_exec.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Wait without a time limit. */
#define PX_TIMEOUT_INF UINT64_MAX

struct px_task;

/** Per-task options; zero fields take defaults. */
struct px_task_opts {
	const char *name;   /**< shown by px_task_dump(); default: the function site */
	uint32_t flags;     /**< PX_TASK_F_* */
};

/** Spawn the task detached: no handle, it frees itself when it returns. */
#define PX_TASK_F_DETACHED 1u

/* Internal: the public spawn calls pass the call site for the stall
 * detector and the task dump. */
int px__spawn(px_task_fn_t fn, void *arg, const struct px_task_opts *opts,
		struct px_task **out, const char *file, int line);
int px__spawn_on(unsigned int lcore_id, px_task_fn_t fn, void *arg,
		const struct px_task_opts *opts, struct px_task **out,
		const char *file, int line);

/**
 * Spawn a task on the calling lcore. It becomes ready at once and first
 * runs when the caller parks or yields (or at the next executor iteration
 * when called from outside a task). Works from a task or from the lcore's
 * own code between px_lcore_poll() calls.
 *
 * @param fn
 *   Entry point.
 * @param arg
 *   Its argument.
 * @param opts
 *   Options, or NULL.
 * @param out
 *   Receives the handle (NULL when PX_TASK_F_DETACHED is given; may then
 *   be NULL).
 * @return
 *   - 0 on success.
 *   - -EINVAL if *fn* is NULL, *out* is NULL for a joinable task, or the
 *     calling thread has no executor.
 *   - -EAGAIN if the lcore already runs max_tasks tasks.
 *   - -ENOMEM if no stack can be mapped.
 */
#define px_spawn(fn, arg, opts, out) \
	px__spawn((fn), (arg), (opts), (out), __FILE__, __LINE__)

/**
 * Spawn a task on another lcore (through its mailbox). The handle is a
 * local proxy: join, cancel and detach work on it as on a local task, from
 * the calling lcore only.
 *
 * @param lcore_id
 *   Lcore to run the task on (the calling one is allowed).
 * @return
 *   As px_spawn(), plus:
 *   - -ENODEV if *lcore_id* has no executor.
 *   - -EAGAIN if that lcore's mailbox is full (back-pressure).
 */
#define px_spawn_on(lcore_id, fn, arg, opts, out) \
	px__spawn_on((lcore_id), (fn), (arg), (opts), (out), __FILE__, __LINE__)

/** Internal: px_exec_on_all() with the caller's file and line. */
int px__exec_on_all(px_task_fn_t fn, void *arg, void **results,
		const char *file, int line);

/**
 * Run fn(arg) in a task on every executor, the calling one included, and
 * wait until all of them have returned (from a task). What a program does
 * to act on every lcore's own state: per-lcore connections, counters,
 * a shutdown drain (px_tcp_drain()).
 *
 * The wait cannot be interrupted (the tasks may use the caller's memory
 * through *arg*); a cancel of the caller meanwhile is reported when they
 * are done.
 *
 * @param results
 *   NULL, or px_exec_count() slots, by executor index: each task's
 *   return value (NULL where a task was not spawned).
 * @return
 *   - 0 when every task ran and returned.
 *   - -EINVAL outside a task or with *fn* NULL.
 *   - -ECANCELED if the caller was cancelled (before: nothing runs), or
 *     a task was (a remote lcore's shutdown).
 *   - A spawn's error (-EAGAIN: a mailbox was full; -ENOMEM, -EAGAIN at
 *     max_tasks): the tasks that were spawned have still been waited for.
 */
#define px_exec_on_all(fn, arg, results) \
	px__exec_on_all((fn), (arg), (results), __FILE__, __LINE__)

/**
 * Let the other ready tasks run; the caller runs again in the same or the
 * next executor iteration.
 *
 * @return
 *   - 0 normally.
 *   - -ECANCELED if the task was cancelled.
 *   - -EINVAL outside a task.
 */
int px_yield(void);

/**
 * Yield if the current slice has run longer than the cooperative budget
 * (a tenth of the stall threshold); a cheap TSC read otherwise. Call it in
 * long loops so one task does not stall the lcore.
 *
 * @return
 *   As px_yield(), or 0 when no yield was needed.
 */
int px_yield_maybe(void);

/**
 * Wait for a task to finish and take its result. Consumes the handle. A
 * timeout leaves the handle valid and the task running.
 *
 * @param t
 *   A joinable task of the calling lcore (or a proxy from px_spawn_on()).
 * @param result
 *   Receives the task's return value, or NULL.
 * @param timeout_ns
 *   How long to wait.
 * @return
 *   - 0 when the task returned.
 *   - -ECANCELED when the task returned after being cancelled (*result*
 *     is still set).
 *   - -ETIMEDOUT if it did not finish in time (the handle stays valid).
 *   - -EINVAL if *t* is NULL, detached, the caller itself, or belongs to
 *     another lcore.
 *   - -EBUSY if another task is already joining *t*.
 *   - -EDEADLK from outside a task when the task has not finished yet
 *     (only a task can wait; use timeout 0 to poll).
 *   - -ECANCELED also when the joining task itself was cancelled while
 *     waiting (the handle then stays valid).
 *   - -EAGAIN or -ENOMEM for a proxy whose remote spawn failed (the
 *     remote lcore was at max_tasks or out of memory); the handle is
 *     consumed.
 */
int px_task_join(struct px_task *t, void **result, uint64_t timeout_ns);

/**
 * Request cancellation of a task (see the file comment for the rules).
 * Cancelling a finished task, or twice, does nothing.
 *
 * @param t
 *   A task handle of the calling lcore (local or proxy).
 * @return
 *   - 0 on success.
 *   - -EINVAL if *t* is NULL or belongs to another lcore.
 */
int px_task_cancel(struct px_task *t);

/**
 * Detach a task: it frees itself when it returns. Consumes the handle.
 *
 * @param t
 *   A task handle of the calling lcore.
 * @return
 *   - 0 on success.
 *   - -EINVAL if *t* is NULL, already detached, or of another lcore.
 *   - -EBUSY if a task is joining it.
 */
int px_task_detach(struct px_task *t);

/**
 * The running task, or NULL outside a task.
 */
struct px_task *px_task_self(void);

/**
 * A task's id: unique in the process; its top 8 bits are the lcore id.
 */
uint64_t px_task_id(const struct px_task *t);

/**
 * Tell whether the running task has been asked to cancel.
 */
bool px_task_cancelled(void);

/**
 * Run a blocking function (file I/O, DNS, a slow library) on the runtime's
 * pool of non-lcore threads and park the calling task until it returns.
 * The lcore keeps running other tasks meanwhile. The wait cannot be
 * interrupted (the function uses the caller's memory), but a cancel
 * requested meanwhile is reported when it returns.
 *
 * @param fn
 *   Function to run on a pool thread.
 * @param arg
 *   Its argument.
 * @param result
 *   Receives fn's return value, or NULL.
 * @return
 *   - 0 on success.
 *   - -ECANCELED if the task was cancelled while waiting (*result* is set).
 *   - -EINVAL outside a task or with a NULL *fn*.
 *   - -EAGAIN if the pool's queue is full.
 */
int px_spawn_blocking(px_task_fn_t fn, void *arg, void **result);

/* ---- time ---- */

/**
 * Current time in TSC cycles (rte_rdtsc()).
 */
uint64_t px_now(void);

/**
 * The TSC deadline *timeout_ns* from now, as the blocking calls compute
 * it: UINT64_MAX ("never") for PX_TIMEOUT_INF or when the sum would
 * overflow, else px_now() plus the timeout in cycles. The clock is read
 * once, so a thread preempted mid-call never sees a wrapped difference.
 */
uint64_t px_deadline(uint64_t timeout_ns);

/**
 * Convert nanoseconds to TSC cycles (saturating), and back.
 */
uint64_t px_ns_to_cycles(uint64_t ns);
/** @copydoc px_ns_to_cycles */
uint64_t px_cycles_to_ns(uint64_t cycles);

/**
 * Park the running task for at least *ns* nanoseconds (never less; late by
 * at most a timer tick plus the loop's latency).
 *
 * @return
 *   - 0 after the time passed.
 *   - -ECANCELED if the task was cancelled (it wakes at once).
 *   - -EINVAL outside a task.
 *   - -ERANGE beyond the timer wheel's horizon.
 */
int px_sleep_ns(uint64_t ns);

/**
 * Park the running task until TSC time *deadline* (see px_sleep_ns()).
 */
int px_sleep_until(uint64_t deadline);

/** What a px_interval does when ticks were missed (the task ran late). */
enum px_interval_miss {
	/** Fire the missed ticks back to back until caught up. */
	PX_INTERVAL_BURST = 0,
	/** Skip to the next tick on the original grid. */
	PX_INTERVAL_SKIP,
	/** Restart the grid: the next tick is one period from now. */
	PX_INTERVAL_DELAY,
};

/** A periodic schedule; caller-owned. */
struct px_interval {
	uint64_t next;    /**< TSC time of the next tick */
	uint64_t period;  /**< TSC cycles */
	enum px_interval_miss miss;
	uint64_t missed;  /**< ticks skipped or delayed so far */
};

/**
 * Start an interval whose first tick is one period from now.
 *
 * @return
 *   - 0 on success.
 *   - -EINVAL if *iv* is NULL, *period_ns* is 0 or *miss* is unknown.
 */
int px_interval_init(struct px_interval *iv, uint64_t period_ns,
		enum px_interval_miss miss);

/**
 * Park until the interval's next tick, then schedule the one after it
 * following the miss policy.
 *
 * @return
 *   - 0 on a tick.
 *   - -ECANCELED, -EINVAL as px_sleep_until().
 */
int px_interval_tick(struct px_interval *iv);

#ifdef __cplusplus
}
#endif
#endif /* _PX_TASK_H_ */
