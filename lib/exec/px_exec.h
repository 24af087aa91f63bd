/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#ifndef _PX_EXEC_H_
#define _PX_EXEC_H_

/**
 * @file
 * Per-lcore run-to-completion executors.
 *
 * px_init() starts EAL and creates one executor per EAL lcore (the main
 * lcore included). An executor owns its tasks, timer wheel, stack pool and
 * mailbox; nothing else touches them. One loop iteration is: run the
 * registered poll hooks (ports) -> drain the mailbox -> advance the timer
 * wheel -> run ready tasks (bounded budget) -> run the flush hooks (tx) ->
 * idle policy. px_run() drives every executor until the main task returns;
 * px_lcore_poll() runs one iteration on the calling lcore, so a program
 * with its own DPDK main loop can host an executor without giving it up.
 *
 * Naming executors: every call that names one takes its EAL *lcore_id*
 * (px_spawn_on(), px_msg_send(), px_exec_call(), px_exec_hook_add(),
 * px_exec_stats_get(), px_tcp_stats_lcore(), px_netif_stats_lcore(), ...),
 * as DPDK does. The executor index, 0..px_exec_count()-1, is only the
 * dense numbering for arrays of per-executor state (px_exec_on_all()'s
 * results, px_flow_owner()); px_exec_index() and px_exec_lcore() convert.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_lcore.h>

#include <px_common.h>
#include <px_timer.h>
#include <px_xchan.h>

#ifdef __cplusplus
extern "C" {
#endif

/** What an executor does when an iteration found no work. */
enum px_idle_policy {
	/** Spin (rte_pause) at once: lowest latency, a whole core. Default. */
	PX_IDLE_BUSY = 0,
	/** Spin a little, then sleep with exponential back-off (bounded by
	 *  the next timer and by idle_max_sleep_us): for demos, tests and
	 *  machines where lcores share cores. */
	PX_IDLE_ADAPTIVE,
};

/** Runtime configuration; a zero field takes the default shown. */
struct px_conf {
	enum px_idle_policy idle;      /**< default PX_IDLE_BUSY */
	uint32_t idle_spin;            /**< empty loops before sleeping: 256 */
	uint32_t idle_max_sleep_us;    /**< longest adaptive sleep: 200 us */
	uint32_t stack_size;           /**< task stack bytes: 64 KiB (min 16 KiB) */
	uint32_t max_tasks;            /**< live tasks per lcore: 65536 */
	uint32_t mbox_size;            /**< mailbox messages (power of 2): 4096 */
	uint32_t task_budget;          /**< task slices per iteration: 64 */
	uint32_t stall_us;             /**< slice that counts as a stall: 10000 us */
	uint32_t timer_tick_ns;        /**< timer wheel tick: 1000 ns */
	uint32_t blocking_threads;     /**< spawn_blocking threads: 2 */
	/** Stacks each executor maps at start, so the first spawns make no
	 *  system call: 64. Past them a spawn maps a stack (mmap+mprotect)
	 *  once; stacks are then recycled. */
	uint32_t stack_prealloc;
};

/**
 * Start EAL and the runtime. Arguments follow the DPDK convention: EAL
 * arguments, then "--", then the application's own, which px_init() leaves
 * alone. Call once, from the main thread.
 *
 * @param argc
 *   As given to main().
 * @param argv
 *   As given to main().
 * @param conf
 *   Configuration, or NULL for the defaults.
 * @return
 *   - >= 0: the number of arguments EAL consumed (as rte_eal_init()).
 *   - -EALREADY if the runtime is already up.
 *   - -EINVAL on a bad configuration value or bad EAL arguments.
 *   - -ENOMEM if memory is short.
 *   - another negative errno from EAL.
 */
int px_init(int argc, char **argv, const struct px_conf *conf);

/**
 * Start the runtime when EAL is already initialised (a program that embeds
 * Pollux in its own DPDK application).
 *
 * @param conf
 *   Configuration, or NULL for the defaults.
 * @return
 *   0, or a negative errno as px_init().
 */
int px_init_after_eal(const struct px_conf *conf);

/**
 * Stop the runtime and free executors, stacks, mailboxes and the blocking
 * pool. Tasks still alive are dropped without running further. Does not
 * call rte_eal_cleanup() unless *eal_cleanup* is true.
 *
 * @param eal_cleanup
 *   Also clean up EAL (only if px_init() started it).
 */
void px_fini(bool eal_cleanup);

/** Task entry point. Its return value is what px_task_join() yields. */
typedef void *(*px_task_fn_t)(void *arg);

/**
 * Run every executor until the main task returns. The main task *fn* runs
 * on the main lcore; worker lcores run their executors (spawn work there
 * with px_spawn_on()). Can be called again after it returns; tasks left on
 * any lcore stay where they were.
 *
 * @param fn
 *   Main task.
 * @param arg
 *   Its argument.
 * @param result
 *   Receives fn's return value, or NULL.
 * @return
 *   - 0 on success.
 *   - -EINVAL if the runtime is not initialised or fn is NULL.
 *   - -EBUSY if called from an lcore that is already running an executor.
 *   - -ENOMEM or -EAGAIN if the main task cannot be spawned.
 *   - -EINTR if px_stop() ended the loops before the main task returned
 *     (the main task stays parked; *result* is not set).
 */
int px_run(px_task_fn_t fn, void *arg, void **result);

/**
 * Ask every executor loop started by px_run() or px_lcore_loop() to return
 * at its next iteration. Safe from any thread and from a signal handler.
 */
void px_stop(void);

/**
 * Run one executor iteration on the calling lcore (poll hooks, mailbox,
 * timers, up to task_budget task slices, flush hooks). Never sleeps, so
 * the host loop keeps control of its own idle policy.
 *
 * @return
 *   The amount of work done (messages, timers, task slices, hook work);
 *   0 means the iteration was idle.
 */
unsigned int px_lcore_poll(void);

/**
 * Run the calling lcore's executor loop (iterations plus the idle policy)
 * until px_stop(). Usable as an rte_eal_remote_launch() function.
 *
 * @param arg
 *   Unused.
 * @return
 *   0 when stopped, -EINVAL if this lcore has no executor.
 */
int px_lcore_loop(void *arg);

/**
 * Tell whether the calling thread is an lcore with a Pollux executor.
 */
bool px_lcore_has_exec(void);

/**
 * Number of executors (EAL lcores) the runtime runs.
 */
unsigned int px_exec_count(void);

/**
 * Index 0..px_exec_count()-1 of the executor on *lcore_id*.
 *
 * @return
 *   The index, or -EINVAL if that lcore has no executor.
 */
int px_exec_index(unsigned int lcore_id);

/* Internal: the index of the executor whose loop the calling thread is
 * running (-1 outside px_lcore_loop()/px_lcore_poll()). */
extern __thread int px__loop_index;

/**
 * Index of the calling lcore's executor (as px_exec_index(rte_lcore_id())),
 * one thread-local load when called from inside an executor's loop (tasks,
 * hooks, message handlers).
 *
 * @return
 *   The index, or -EINVAL off the runtime's lcores.
 */
static inline int
px_exec_index_self(void)
{
	int i = px__loop_index;

	return i >= 0 ? i : px_exec_index(rte_lcore_id());
}

/**
 * Lcore id of the executor with index *index* (the inverse of
 * px_exec_index()).
 *
 * @return
 *   The lcore id, or -EINVAL.
 */
int px_exec_lcore(unsigned int index);

/** Per-lcore executor counters (monotonic since px_init()). */
struct px_exec_stats {
	uint64_t loops;           /**< loop iterations */
	uint64_t idle_loops;      /**< iterations that found no work */
	uint64_t idle_cycles;     /**< TSC cycles spent idle (spin and sleep) */
	uint64_t busy_cycles;     /**< TSC cycles in iterations that worked */
	uint64_t tasks_spawned;   /**< tasks created on this lcore */
	uint64_t tasks_done;      /**< tasks that returned */
	uint64_t tasks_live;      /**< tasks alive now */
	uint64_t task_runs;       /**< task slices run (switches into a task) */
	uint64_t parks;           /**< times a task parked */
	uint64_t wakes;           /**< times a parked task was made ready */
	uint64_t yields;          /**< px_yield() calls */
	uint64_t msgs_in;         /**< mailbox messages handled */
	uint64_t msgs_out;        /**< messages sent to other mailboxes */
	uint64_t msgs_deferred;   /**< internal messages queued behind a full mailbox */
	uint64_t msgs_unknown;    /**< messages of an unregistered type (dropped) */
	uint64_t timers_fired;    /**< timer callbacks run */
	uint64_t stalls;          /**< slices longer than stall_us */
	uint64_t stall_max_cycles; /**< longest slice seen, TSC cycles */
	uint64_t stacks_mapped;   /**< task stacks allocated (in use + cached) */
	uint64_t stacks_in_use;   /**< task stacks in use now */
	uint64_t blocking_calls;  /**< px_spawn_blocking() calls completed */
};

/**
 * Read an executor's counters. Values written by another lcore are read
 * without stopping it: each counter is exact, the set is a snapshot.
 *
 * @param lcore_id
 *   The executor's lcore.
 * @param out
 *   Receives the counters.
 * @return
 *   - 0 on success.
 *   - -EINVAL if *lcore_id* has no executor or *out* is NULL.
 */
int px_exec_stats_get(unsigned int lcore_id, struct px_exec_stats *out);

/**
 * Print every executor's counters, one block per lcore.
 *
 * @param f
 *   Where to print.
 */
void px_exec_stats_dump(FILE *f);

/**
 * Print the live tasks of the calling lcore's executor: id, state, what
 * it waits on, where it was spawned.
 *
 * @param f
 *   Where to print.
 * @return
 *   The number of tasks listed, or -EINVAL off an executor lcore.
 */
int px_task_dump(FILE *f);

/**
 * Run fn(arg) on *lcore_id*'s executor, between two iterations of its
 * loop, and wait for it: how a control thread (telemetry, a signal
 * handler's helper) reads what only the owning lcore may touch, such as
 * its connections or tasks. One call runs at a time per process; fn must
 * not park. If the lcore does not take the call within *timeout_ns* (its
 * loop is not running), the call is withdrawn and fn never runs;
 * PX_TIMEOUT_INF waits as long as it takes.
 *
 * @return 0 once fn returned; -ETIMEDOUT; -EINVAL if fn is NULL, the
 *   lcore has no executor, or the caller is itself an executor lcore.
 */
int px_exec_call(unsigned int lcore_id, void (*fn)(void *arg), void *arg,
		uint64_t timeout_ns);

/* ---- typed messages between executors ---- */

/** First message type Pollux's own libraries (the stack, the port layer)
 *  register with px_msg_register(); below it, the executor's internal
 *  types, which cannot be registered or sent. */
#define PX_MSG_LIB_BASE 128
/** First message type applications may register. */
#define PX_MSG_USER_BASE 256
/** Message types are below this bound. */
#define PX_MSG_TYPE_MAX 1024

/** Handler of a registered message type; runs on the receiving lcore. */
typedef void (*px_msg_handler_cb_t)(const struct px_msg *msg, void *ctx);

/**
 * Register a handler for an application message type. Control path: call
 * before px_run() (handlers are read without locks afterwards).
 *
 * @param type
 *   PX_MSG_USER_BASE <= type < PX_MSG_TYPE_MAX (PX_MSG_LIB_BASE and up
 *   for Pollux libraries).
 * @param cb
 *   Handler, or NULL to unregister.
 * @param ctx
 *   Passed to the handler.
 * @return
 *   - 0 on success.
 *   - -EINVAL if *type* is out of range.
 */
int px_msg_register(uint16_t type, px_msg_handler_cb_t cb, void *ctx);

/**
 * Send a burst of messages to the mailbox of the executor on *lcore_id*.
 * Works from any thread (EAL or not). Each message's *src* is filled in.
 * Messages to a handler-less type are counted and dropped by the receiver.
 *
 * @param lcore_id
 *   Destination lcore.
 * @param msgs
 *   Messages; msgs[i].type must be registered on the receiver.
 * @param n
 *   How many.
 * @return
 *   The number sent, in order; fewer than *n* means the mailbox was full
 *   (back-pressure: retry later or drop on purpose). 0 also when
 *   *lcore_id* has no executor or a message's type is below
 *   PX_MSG_LIB_BASE (the executor's own) or not below PX_MSG_TYPE_MAX.
 */
unsigned int px_msg_send_burst(unsigned int lcore_id, struct px_msg *msgs,
		unsigned int n);

/**
 * Send one message (see px_msg_send_burst()).
 *
 * @return
 *   - 0 on success.
 *   - -EAGAIN if the mailbox is full.
 *   - -EINVAL if *lcore_id* has no executor or the type is below
 *     PX_MSG_LIB_BASE.
 */
int px_msg_send(unsigned int lcore_id, uint16_t type, uint32_t u32,
		uint64_t a, uint64_t b, uint64_t c);

/**
 * An executor's timer wheel, for libraries that keep their own timers on
 * it (the TCP stack's RTO, delayed ACK, TIME_WAIT). Timers armed on it
 * fire inside that executor's loop, between task slices; they must be
 * armed and cancelled on that lcore only.
 *
 * @param lcore_id
 *   The executor's lcore.
 * @return
 *   The wheel, or NULL if *lcore_id* has no executor.
 */
struct px_timer_wheel *px_exec_wheel(unsigned int lcore_id);

/* ---- hooks for libraries that poll devices (the port layer) ---- */

/** Poll or flush hook: returns the work it did (0 = nothing). */
typedef unsigned int (*px_exec_hook_cb_t)(void *ctx);

/**
 * Add a hook to an executor (control path: before px_run(), or from a task
 * or hook running on that executor's lcore): poll hooks run at the start
 * of each iteration (rx), before the timer wheel advances, flush hooks at
 * its end (tx). Hooks stay until px_fini().
 *
 * @param lcore_id
 *   Executor to add it to.
 * @param flush
 *   false for a poll hook, true for a flush hook.
 * @param cb
 *   The hook.
 * @param ctx
 *   Its argument.
 * @return
 *   - 0 on success.
 *   - -EINVAL if *lcore_id* has no executor or *cb* is NULL.
 *   - -ENOSPC if the executor has no room for another hook (8 of each).
 */
int px_exec_hook_add(unsigned int lcore_id, bool flush, px_exec_hook_cb_t cb,
		void *ctx);

#ifdef __cplusplus
}
#endif
#endif /* _PX_EXEC_H_ */
