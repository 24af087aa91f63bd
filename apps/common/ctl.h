/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#ifndef _APP_CTL_H_
#define _APP_CTL_H_

/*
 * The control side every Pollux app shares: signals (SIGINT/SIGTERM to
 * stop, a second one to hurry, SIGUSR1 for counters, SIGUSR2 for the
 * task dump), running a function on every lcore, and the graceful TCP
 * drain at shutdown.
 */

#include <signal.h>
#include <stdint.h>

#include <px_inet.h>
#include <px_task.h>

/* 1 after SIGINT/SIGTERM (drain), 2 after a second one (hurry); app_hurry
 * is set with the 2 (px_tcp_drain()'s flag). */
extern volatile sig_atomic_t app_quit, app_hurry;
/* Set by SIGUSR1 / SIGUSR2; the app clears them when it acts. */
extern volatile sig_atomic_t app_dump_req, app_tasks_req;

/* Install the handlers for the signals above. */
void app_signals(void);

/* px_exec_on_all() for the apps' task functions, which return NULL or an
 * error as (void *)(intptr_t)-errno: that first error, or 0. From a task. */
int app_on_lcores(px_task_fn_t fn, void *arg);

/* Print every lcore's live tasks on stdout (SIGUSR2). From a task. */
void app_dump_tasks(void);

/* px_tcp_drain() (the listeners already closed) for at most drain_ms or
 * until a second signal, printing "<app>: shutdown: drained in T ms, N
 * connection(s) reset". Returns N or -errno. From a task. */
long app_drain(const char *app, struct px_netif *const *nifs, unsigned int n,
		uint32_t drain_ms);

/* The main task's wait for SIGINT/SIGTERM, waking every 100 ms: each()
 * (if not NULL) on every wake-up, dump (on the blocking pool) on SIGUSR1,
 * the task dump on SIGUSR2. */
void app_wait_quit(void (*each)(void), px_task_fn_t dump);

#endif /* _APP_CTL_H_ */
