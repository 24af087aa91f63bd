/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * The demo's phases: timers (sleeping tasks on every lcore, lateness),
 * cross-lcore hand-off (a channel fed by every worker lcore, throughput
 * and one-way latency), remote spawn round trips, and local task costs.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_lcore.h>

#include <px_exec.h>
#include <px_sync.h>
#include <px_task.h>

#include "demo.h"

/* A task result carrying an error message (NULL is success). */
#define ERR(msg) ((void *)(uintptr_t)(msg))

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Percentile of a sorted array, in microseconds. */
static double
pct_us(const uint64_t *sorted, size_t n, double p)
{
	size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);

	return n == 0 ? 0.0 : (double)px_cycles_to_ns(sorted[i]) / 1000.0;
}

/* ---- phase 1: sleeping tasks on every lcore ---- */

struct sleep_job {
	struct px_notify *go; /* all sleepers start together */
	uint64_t *base;       /* TSC when they were let go */
	uint64_t delay;       /* cycles */
	uint64_t late;        /* cycles past the deadline when it woke */
	int early;
};

static void *
sleeper(void *arg)
{
	struct sleep_job *j = arg;
	uint64_t deadline, now;

	/* Wait until every sleeper exists, so the lateness measures the
	 * timer wheel and not the spawning of the others. */
	if (px_notify_wait(j->go, PX_TIMEOUT_INF) != 0)
		return ERR("a sleeper's wait for the start failed");
	deadline = *j->base + j->delay;
	if (px_sleep_until(deadline) != 0)
		return ERR("px_sleep_until failed");
	now = rte_rdtsc();
	j->late = now - deadline;
	j->early = now < deadline;
	return NULL;
}

struct lcore_timer_result {
	uint32_t n;
	uint32_t early;
	double p50, p99, max;
	double wall_ms;
};

static struct demo_opts opts;
static struct lcore_timer_result tres[RTE_MAX_LCORE];

static void *
timer_phase(void *arg)
{
	struct lcore_timer_result *r = &tres[rte_lcore_id()];
	uint32_t i, spawned = 0, n = opts.tasks;
	struct sleep_job *jobs;
	struct px_task **t;
	uint64_t *late, t0 = 0, base, go_tsc = 0;
	struct px_notify go;
	void *err = NULL;

	RTE_SET_USED(arg);
	jobs = calloc(n, sizeof(*jobs));
	t = calloc(n, sizeof(*t));
	late = calloc(n, sizeof(*late));
	if (jobs == NULL || t == NULL || late == NULL ||
			px_notify_init(&go) != 0) {
		err = ERR("timer phase: out of memory");
		goto out;
	}
	base = px_ns_to_cycles((uint64_t)opts.sleep_us * 1000);
	for (i = 0; i < n; i++) {
		/* Spread the deadlines over one sleep period. */
		jobs[i].go = &go;
		jobs[i].base = &go_tsc;
		jobs[i].delay = base + (base * i) / (n ? n : 1);
		if (px_spawn(sleeper, &jobs[i], NULL, &t[i]) != 0) {
			err = ERR("timer phase: px_spawn failed");
			break;
		}
		spawned++;
		/* Mapping thousands of fresh stacks takes a while: let the
		 * lcore breathe rather than trip the stall detector. */
		px_yield_maybe();
	}
	/* Let every sleeper reach the gate, then open it (also after a
	 * failure: the sleepers spawned so far must end before *jobs* is
	 * freed). */
	if (px_sleep_ns(1000000) != 0 && err == NULL)
		err = ERR("timer phase: px_sleep_ns failed");
	t0 = go_tsc = rte_rdtsc();
	px_notify_all(&go);
	for (i = 0; i < spawned; i++) {
		void *res = NULL;

		if (px_task_join(t[i], &res, PX_TIMEOUT_INF) != 0 && err == NULL)
			err = ERR("timer phase: px_task_join failed");
		if (res != NULL && err == NULL)
			err = res;
		late[i] = jobs[i].late;
		r->early += jobs[i].early;
	}
	if (err != NULL)
		goto out;
	r->wall_ms = (double)px_cycles_to_ns(rte_rdtsc() - t0) / 1e6;
	qsort(late, n, sizeof(*late), cmp_u64);
	r->n = n;
	r->p50 = pct_us(late, n, 50);
	r->p99 = pct_us(late, n, 99);
	r->max = pct_us(late, n, 100);
out:
	free(jobs);
	free(t);
	free(late);
	return err;
}

/* ---- phase 2: every worker lcore feeds one channel ---- */

struct sort_job {
	uint64_t *v;
	size_t n;
};

/* Runs on the blocking pool: sorting 100 k samples takes milliseconds,
 * too long to do on an lcore without parking. */
static void *
sort_samples(void *arg)
{
	struct sort_job *j = arg;

	qsort(j->v, j->n, sizeof(*j->v), cmp_u64);
	return NULL;
}

struct stamp {
	uint64_t tsc;
	uint32_t lcore;
	uint32_t seq;
};

static struct px_chan *pipe_ch;

static void *
producer(void *arg)
{
	struct stamp s = { .lcore = rte_lcore_id() };
	uint32_t i;

	RTE_SET_USED(arg);
	for (i = 0; i < opts.items; i++) {
		s.seq = i;
		s.tsc = rte_rdtsc();
		if (px_chan_send(pipe_ch, &s, PX_TIMEOUT_INF) != 0)
			return ERR("send failed");
	}
	return NULL;
}

static const char *
pipe_phase(void)
{
	static uint32_t next[RTE_MAX_LCORE];
	struct px_task *t[RTE_MAX_LCORE];
	unsigned int lcore, np = 0, i;
	uint64_t total, got = 0, t0, *lat, nlat = 0, sample;
	struct stamp s;
	double secs;
	void *res;

	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (px_spawn_on(lcore, producer, NULL, NULL, &t[np]) != 0)
			return "spawn_on failed";
		np++;
	}
	if (np == 0) {
		printf("  (one lcore: no cross-lcore hand-off to show; add --lcores)\n");
		return NULL;
	}
	total = (uint64_t)opts.items * np;
	sample = total / 100000 + 1;
	lat = calloc(total / sample + 1, sizeof(*lat));
	if (lat == NULL)
		return "out of memory";
	memset(next, 0, sizeof(next));
	t0 = rte_rdtsc();
	while (got < total) {
		if (px_chan_recv(pipe_ch, &s, PX_TIMEOUT_INF) != 0) {
			free(lat);
			return "recv failed";
		}
		if (s.seq != next[s.lcore]++) {
			free(lat);
			return "items out of order";
		}
		if (got % sample == 0)
			lat[nlat++] = rte_rdtsc() - s.tsc;
		got++;
		/* Items keep coming, so recv rarely parks: let the lcore run
		 * its other work now and then (the stall detector would
		 * rightly complain otherwise). */
		px_yield_maybe();
	}
	secs = (double)px_cycles_to_ns(rte_rdtsc() - t0) / 1e9;
	for (i = 0; i < np; i++)
		if (px_task_join(t[i], &res, PX_TIMEOUT_INF) != 0 || res != NULL) {
			free(lat);
			return "producer failed";
		}
	if (px_spawn_blocking(sort_samples, &(struct sort_job){ lat, nlat },
			NULL) != 0) {
		free(lat);
		return "sort failed";
	}
	printf("  %u producer lcores -> 1 consumer, %" PRIu64 " items in %.3f s: "
		"%.2f M items/s, in order\n", np, got, secs, (double)got / secs / 1e6);
	printf("  one-way latency through the channel (queueing included): "
		"p50 %.1f us, p99 %.1f us\n", pct_us(lat, nlat, 50), pct_us(lat, nlat, 99));
	free(lat);
	return NULL;
}

/* ---- phase 3 and 4: task costs ---- */

static void *
nothing(void *arg)
{
	return arg;
}

static void *
yielder(void *arg)
{
	uint32_t i, n = (uint32_t)(uintptr_t)arg;

	for (i = 0; i < n; i++)
		px_yield();
	return NULL;
}

static const char *
task_phase(void)
{
	uint32_t i, n = opts.rounds;
	uint64_t *rtt, t0;
	struct px_task *t, *a, *b;
	unsigned int other = rte_get_next_lcore(rte_lcore_id(), 1, 1);
	double ns;

	rtt = calloc(n ? n : 1, sizeof(*rtt));
	if (rtt == NULL)
		return "out of memory";
	if (other < RTE_MAX_LCORE) {
		for (i = 0; i < n; i++) {
			t0 = rte_rdtsc();
			if (px_spawn_on(other, nothing, NULL, NULL, &t) != 0 ||
					px_task_join(t, NULL, PX_TIMEOUT_INF) != 0) {
				free(rtt);
				return "remote spawn failed";
			}
			rtt[i] = rte_rdtsc() - t0;
		}
		qsort(rtt, n, sizeof(*rtt), cmp_u64);
		printf("  remote spawn+join round trip (lcore %u -> %u): p50 %.1f us, "
			"p99 %.1f us over %u rounds\n", rte_lcore_id(), other,
			pct_us(rtt, n, 50), pct_us(rtt, n, 99), n);
	}
	free(rtt);
	t0 = rte_rdtsc();
	for (i = 0; i < n; i++)
		if (px_spawn(nothing, NULL, NULL, &t) != 0 ||
				px_task_join(t, NULL, PX_TIMEOUT_INF) != 0)
			return "local spawn failed";
	ns = (double)px_cycles_to_ns(rte_rdtsc() - t0) / (n ? n : 1);
	printf("  local spawn+run+join: %.0f ns per task\n", ns);
	t0 = rte_rdtsc();
	if (px_spawn(yielder, (void *)(uintptr_t)n, NULL, &a) != 0 ||
			px_spawn(yielder, (void *)(uintptr_t)n, NULL, &b) != 0 ||
			px_task_join(a, NULL, PX_TIMEOUT_INF) != 0 ||
			px_task_join(b, NULL, PX_TIMEOUT_INF) != 0)
		return "yield phase failed";
	ns = (double)px_cycles_to_ns(rte_rdtsc() - t0) / (2.0 * (n ? n : 1));
	printf("  task switch (two tasks yielding): %.0f ns per switch\n", ns);
	return NULL;
}

void *
demo_main(void *arg)
{
	struct px_task *t[RTE_MAX_LCORE];
	unsigned int lcore, n = 0, i, early = 0;
	const char *err;
	void *res;

	opts = *(struct demo_opts *)arg;
	printf("pollux-demo: %u lcores (executors), tsc %.3f GHz\n",
		px_exec_count(), rte_get_tsc_hz() / 1e9);

	printf("[1] timer wheel: %u sleeping tasks per lcore, %u-%u us each\n",
		opts.tasks, opts.sleep_us, 2 * opts.sleep_us);
	RTE_LCORE_FOREACH(lcore)
		if (px_spawn_on(lcore, timer_phase, NULL, NULL, &t[n++]) != 0)
			return ERR("spawn_on failed");
	i = 0;
	RTE_LCORE_FOREACH(lcore) {
		if (px_task_join(t[i++], &res, PX_TIMEOUT_INF) != 0 || res != NULL)
			return res != NULL ? res : ERR("timer phase failed");
		printf("  lcore %u: %u tasks woke, lateness p50 %.1f us, p99 %.1f us, "
			"max %.1f us, early %u\n", lcore, tres[lcore].n, tres[lcore].p50,
			tres[lcore].p99, tres[lcore].max, tres[lcore].early);
		early += tres[lcore].early;
	}
	if (early != 0)
		return ERR("a timer fired early");

	printf("[2] cross-lcore hand-off over rte_ring (px_chan, capacity 1024)\n");
	if (px_chan_create(1024, sizeof(struct stamp), &pipe_ch) != 0)
		return ERR("channel create failed");
	err = pipe_phase();
	px_chan_free(pipe_ch);
	if (err != NULL)
		return ERR(err);

	printf("[3] tasks\n");
	err = task_phase();
	if (err != NULL)
		return ERR(err);
	return NULL;
}
