/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_lcore.h>

#include <px_exec.h>
#include <px_sync.h>
#include <px_task.h>

#include "test_exec.h"

/* ---- time: sleep never early, lateness measured ---- */

static void *
case_sleep(void)
{
	uint64_t hz = rte_get_tsc_hz(), t0, dt, worst = 0, sum = 0;
	static const uint64_t delays[] = { 0, 1000, 10000, 100000, 1000000, 5000000 };
	unsigned int i, k;

	for (i = 0; i < RTE_DIM(delays); i++) {
		for (k = 0; k < 20; k++) {
			uint64_t want = px_ns_to_cycles(delays[i]);

			t0 = rte_rdtsc();
			T_EQ(px_sleep_ns(delays[i]), 0);
			dt = rte_rdtsc() - t0;
			T_CHECK(dt >= want); /* never early */
			if (dt - want > worst)
				worst = dt - want;
			sum += dt - want;
		}
	}
	printf("    sleep lateness: mean %.1f us, worst %.1f us\n",
		(double)sum / (RTE_DIM(delays) * 20) * 1e6 / hz,
		(double)worst * 1e6 / hz);
	/* Deadline in the past returns at once. */
	T_EQ(px_sleep_until(rte_rdtsc() - 1), 0);
	/* Deadlines a few cycles ahead pass while the call runs: never an
	 * error (two TSC reads once took the passing for a delay past the
	 * wheel's horizon, -ERANGE). */
	for (k = 0; k < 20000; k++)
		T_EQ(px_sleep_until(rte_rdtsc() + (k & 127)), 0);
	/* Beyond the wheel's horizon (about 50 days at a 1 us tick). */
	T_EQ(px_sleep_ns(200ull * 86400 * 1000000000ull), -ERANGE);
	/* px_deadline: "never" for the infinite and overflowing timeouts,
	 * else now plus the timeout. */
	T_EQ(px_deadline(PX_TIMEOUT_INF), UINT64_MAX);
	T_EQ(px_deadline(UINT64_MAX - 1), UINT64_MAX);
	t0 = rte_rdtsc();
	dt = px_deadline(1000000);
	T_CHECK(dt >= t0 + px_ns_to_cycles(1000000));
	T_CHECK(dt <= rte_rdtsc() + px_ns_to_cycles(1000000));
	return NULL;
}

/* Ticks of px_interval. What the test can observe on a busy machine is
 * its own clock around each call, so every check is one that a thread
 * descheduled at any point cannot break: never early, misses only as many
 * as the observed lateness allows (none when on time), and the grid each
 * policy promises, exactly. (Timing the ticks themselves failed under a
 * CPU hog: a preempted tick really is late.) */
static void *
case_interval(void)
{
	struct px_interval iv;
	uint64_t t0, t1, due, start, period = 2000000; /* 2 ms */
	uint64_t p, allowed = 0;
	int i;

	T_EQ(px_interval_init(NULL, 1, PX_INTERVAL_BURST), -EINVAL);
	T_EQ(px_interval_init(&iv, 0, PX_INTERVAL_BURST), -EINVAL);
	/* Five ticks, one period apart on the grid; a tick that came back
	 * k periods late may have skipped k (SKIP), no more. */
	T_EQ(px_interval_init(&iv, period, PX_INTERVAL_SKIP), 0);
	p = iv.period;
	for (i = 0; i < 5; i++) {
		due = iv.next;
		T_EQ(px_interval_tick(&iv), 0);
		t1 = rte_rdtsc();
		T_CHECK(t1 >= due); /* never early */
		allowed += (t1 - due) / p;
	}
	if (iv.missed > allowed)
		printf("  missed %" PRIu64 ", lateness allows %" PRIu64 "\n",
			iv.missed, allowed);
	T_CHECK(iv.missed <= allowed);
	/* Late by ~3 periods: SKIP jumps the grid (the next tick on it
	 * after the one that ran late), BURST catches up on it tick by
	 * tick, DELAY restarts it from the late tick. */
	T_EQ(px_interval_init(&iv, period, PX_INTERVAL_SKIP), 0);
	start = iv.next - p;
	rte_delay_us_block(7000);
	t0 = rte_rdtsc();
	T_EQ(px_interval_tick(&iv), 0);
	t1 = rte_rdtsc();
	T_CHECK(iv.missed >= 2);
	T_EQ((iv.next - start) % p, 0);
	T_CHECK(iv.next > t0 && iv.next <= t1 + p);
	T_EQ(px_interval_init(&iv, period, PX_INTERVAL_BURST), 0);
	start = iv.next - p;
	rte_delay_us_block(7000);
	for (i = 0; i < 3; i++)
		T_EQ(px_interval_tick(&iv), 0);
	/* Ticks 1 and 2 (due at 2 and 4 ms) were behind at 7 ms. */
	T_CHECK(iv.missed >= 2);
	T_EQ(iv.next, start + 4 * p);
	T_EQ(px_interval_init(&iv, period, PX_INTERVAL_DELAY), 0);
	rte_delay_us_block(7000);
	t0 = rte_rdtsc();
	T_EQ(px_interval_tick(&iv), 0);
	t1 = rte_rdtsc();
	T_EQ(iv.missed, 1);
	T_CHECK(iv.next >= t0 + p && iv.next <= t1 + p);
	return NULL;
}

static void *
time_main(void *arg)
{
	T_RUN(case_sleep);
	T_RUN(case_interval);
	return arg;
}

static int
test_exec_time(void)
{
	return texec_run(NULL, time_main);
}

PX_REGISTER_TEST(exec_time_autotest, 0, test_exec_time);

/* ---- 10 million cross-lcore messages: none lost, per-producer order ---- */

#define STRESS_TYPE (PX_MSG_USER_BASE + 1)
#define BURST 32

static uint64_t stress_total = 10000000;
static uint64_t next_seq[RTE_MAX_LCORE];
static uint64_t received, bad_order;

static void
stress_handler(const struct px_msg *m, void *ctx)
{
	RTE_SET_USED(ctx);
	if (m->src >= RTE_MAX_LCORE || m->a != next_seq[m->src])
		bad_order++;
	else
		next_seq[m->src]++;
	if (m->b != (m->a ^ 0x5a5a5a5a5a5a5a5aull))
		bad_order++;
	received++;
}

struct producer {
	unsigned int dst;
	uint64_t count;
	uint64_t full;
};

static void *
producer_task(void *arg)
{
	struct producer *p = arg;
	struct px_msg msgs[BURST];
	uint64_t seq = 0;
	unsigned int i, n, sent;

	while (seq < p->count) {
		n = p->count - seq < BURST ? (unsigned int)(p->count - seq) : BURST;
		for (i = 0; i < n; i++) {
			msgs[i].type = STRESS_TYPE;
			msgs[i].a = seq + i;
			msgs[i].b = (seq + i) ^ 0x5a5a5a5a5a5a5a5aull;
		}
		sent = px_msg_send_burst(p->dst, msgs, n);
		seq += sent;
		if (sent < n) {
			/* Back-pressure: the rest is ours to resend. */
			p->full++;
			px_yield();
		}
	}
	return NULL;
}

static void *
stress_main(void *arg)
{
	struct producer prod[RTE_MAX_LCORE];
	struct px_task *t[RTE_MAX_LCORE];
	unsigned int lcore, np = 0, i;
	uint64_t t0 = rte_rdtsc(), each, total_full = 0;
	double secs;

	memset(next_seq, 0, sizeof(next_seq));
	received = bad_order = 0;
	RTE_LCORE_FOREACH_WORKER(lcore)
		np++;
	T_CHECK(np >= 2);
	each = stress_total / np;
	i = 0;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		prod[i].dst = rte_lcore_id();
		prod[i].count = each;
		prod[i].full = 0;
		T_EQ(px_spawn_on(lcore, producer_task, &prod[i], NULL, &t[i]), 0);
		i++;
	}
	for (i = 0; i < np; i++) {
		T_EQ(px_task_join(t[i], NULL, PX_TIMEOUT_INF), 0);
		total_full += prod[i].full;
	}
	/* Everything is sent; wait for the mailbox to drain. */
	while (received < each * np)
		T_EQ(px_sleep_ns(100000), 0);
	secs = (double)(rte_rdtsc() - t0) / rte_get_tsc_hz();
	printf("    %" PRIu64 " messages from %u producers in %.2f s (%.1f M/s), "
		"%" PRIu64 " back-pressure events\n", received, np, secs,
		received / secs / 1e6, total_full);
	T_EQ(bad_order, 0);
	T_EQ(received, each * np);
	RTE_LCORE_FOREACH_WORKER(lcore)
		T_EQ(next_seq[lcore], each);
	return arg;
}

static int
test_exec_stress(void)
{
	const char *n = getenv("PX_STRESS_MSGS");
	int ret;

	if (n != NULL)
		stress_total = strtoull(n, NULL, 0);
	ret = px_msg_register(STRESS_TYPE, stress_handler, NULL);
	if (ret != 0)
		return TEST_FAILED;
	return texec_run(NULL, stress_main);
}

PX_REGISTER_TEST(exec_stress_autotest, 0, test_exec_stress);
