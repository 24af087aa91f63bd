/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_lcore.h>

#include <px_exec.h>
#include <px_tcp.h>

#include "ctl.h"

volatile sig_atomic_t app_quit, app_hurry, app_dump_req, app_tasks_req;

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		app_dump_req = 1;
	else if (sig == SIGUSR2)
		app_tasks_req = 1;
	else if (app_quit < 2 && ++app_quit == 2)
		app_hurry = 1;
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
app_on_lcores(px_task_fn_t fn, void *arg)
{
	void *res[PX_MAX_LCORES];
	unsigned int i;
	int ret = px_exec_on_all(fn, arg, res);

	for (i = 0; ret == 0 && i < px_exec_count(); i++)
		if (res[i] != NULL)
			ret = (int)(intptr_t)res[i];
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
	px_exec_on_all(lcore_tasks, NULL, NULL);
}

long
app_drain(const char *app, struct px_netif *const *nifs, unsigned int n,
		uint32_t drain_ms)
{
	uint64_t t0 = rte_rdtsc();
	int reset;

	reset = px_tcp_drain(nifs, n, (uint64_t)drain_ms * 1000000, &app_hurry);
	printf("%s: shutdown: drained in %.0f ms, %d connection(s) reset\n",
		app, px_cycles_to_ns(rte_rdtsc() - t0) / 1e6, reset < 0 ? 0 : reset);
	if (reset < 0)
		printf("%s: shutdown: drain failed: %s\n", app, strerror(-reset));
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
