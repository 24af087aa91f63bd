/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#include <errno.h>
#include <stdio.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_lcore.h>

#include <px_exec.h>
#include <px_tcp.h>

#include "ctl.h"

volatile sig_atomic_t app_quit, app_dump_req, app_tasks_req;

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		app_dump_req = 1;
	else if (sig == SIGUSR2)
		app_tasks_req = 1;
	else if (app_quit < 2)
		app_quit++;
}

void
app_signals(void)
{
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGUSR1, on_signal);
	signal(SIGUSR2, on_signal);
}

int
app_on_lcores(px_task_fn_t fn, void *arg, long *sum)
{
	struct px_task *t[PX_MAX_LCORES];
	unsigned int i, n = px_exec_count();
	void *r;
	int ret = 0;

	for (i = 0; i < n; i++)
		if (px_spawn_on((unsigned int)px_exec_lcore(i), fn, arg, NULL,
				&t[i]) != 0)
			return -EAGAIN;
	for (i = 0; i < n; i++) {
		if (px_task_join(t[i], &r, PX_TIMEOUT_INF) != 0)
			ret = -EIO;
		else if (sum != NULL)
			*sum += (long)(intptr_t)r;
		else if (r != NULL && ret == 0)
			ret = (int)(intptr_t)r;
	}
	return ret;
}

static void *
lcore_tasks(void *arg)
{
	(void)arg;
	px_task_dump(stdout);
	fflush(stdout);
	return NULL;
}

void
app_dump_tasks(void)
{
	app_on_lcores(lcore_tasks, NULL, NULL);
}

struct drain {
	struct px_netif *const *nifs;
	unsigned int n;
	uint64_t deadline;
};

static int
open_conns(const struct drain *d)
{
	unsigned int i;
	int n = 0, k;

	for (i = 0; i < d->n; i++)
		if ((k = px_tcp_open_count(d->nifs[i])) > 0)
			n += k;
	return n;
}

/* On each lcore: wait for its connections to close, then reset the rest. */
static void *
lcore_drain(void *arg)
{
	const struct drain *d = arg;
	unsigned int i;
	long reset = 0;
	int k;

	while (open_conns(d) > 0 && app_quit < 2 && rte_rdtsc() < d->deadline)
		px_sleep_ns(1000 * 1000);
	for (i = 0; i < d->n; i++)
		if ((k = px_tcp_reset_all(d->nifs[i])) > 0)
			reset += k;
	if (reset > 0)
		px_sleep_ns(2 * 1000 * 1000); /* the RSTs leave with the next flush */
	return (void *)(intptr_t)reset;
}

long
app_drain(const char *app, struct px_netif *const *nifs, unsigned int n,
		uint32_t drain_ms)
{
	uint64_t t0 = rte_rdtsc();
	struct drain d = { nifs, n, t0 + rte_get_tsc_hz() / 1000 * drain_ms };
	long reset = 0;

	app_on_lcores(lcore_drain, &d, &reset);
	printf("%s: shutdown: drained in %.0f ms, %ld connection(s) reset\n",
		app, px_cycles_to_ns(rte_rdtsc() - t0) / 1e6, reset);
	fflush(stdout);
	return reset;
}

void
app_wait_quit(void (*each)(void), px_task_fn_t dump)
{
	while (!app_quit) {
		if (each != NULL)
			each();
		if (app_dump_req) {
			app_dump_req = 0;
			if (dump != NULL)
				px_spawn_blocking(dump, NULL, NULL);
		}
		if (app_tasks_req) {
			app_tasks_req = 0;
			app_dump_tasks();
		}
		px_sleep_ns(100 * 1000 * 1000);
	}
}
