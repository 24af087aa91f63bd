/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * Timer wheel tests. No EAL: every wheel gets an explicit tick and start,
 * and time moves only through the synthetic `now` given to advance.
 *
 * Firing rule checked here (see px_timer.h): a timer armed for TSC time E
 * while the wheel is at tick c gets the effective tick
 * e = max(ceil((E - start) / tick), c), and fires in the first advance whose
 * tick floor((now - start) / tick) is >= e. A callback running for a timer
 * of effective tick n arms with c = n. Within one advance, timers fire in
 * (e, arming order) order.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_common.h>

#include <px_timer.h>

#include "test.h"

#define T 1000			/* tick in cycles, not a power of two */
#define START UINT64_C(5000000007)	/* not a multiple of T either */
#define LEVEL_TICKS(l) (UINT64_C(1) << (6 * (l)))
#define NLEVELS 7

struct rec {
	struct px_timer tim;
	struct px_timer_wheel *w;
	uint64_t expire;	/* what the test armed for */
	uint64_t fired_now;	/* wheel time when it fired */
	unsigned int fired;	/* times fired */
	unsigned int order;	/* global fire sequence of the last firing */
	uint64_t period;	/* re-arm period, 0 = one shot */
	unsigned int max_fires;	/* stop re-arming after this many */
	struct rec *victim;	/* timer to cancel from the callback */
	int victim_ret;		/* what that cancel returned */
	struct rec *spawn;	/* timer to arm in the past from the callback */
};

static unsigned int fire_seq;
static unsigned int cb_errors; /* early fires, failed arms in callbacks */

static void
rec_cb(struct px_timer *tim, void *arg)
{
	struct rec *r = arg;
	uint64_t now = px_timer_wheel_now(r->w);

	if (tim != &r->tim || now < r->expire)
		cb_errors++;
	r->fired++;
	r->fired_now = now;
	r->order = ++fire_seq;
	if (r->victim != NULL)
		r->victim_ret = px_timer_cancel(r->w, &r->victim->tim);
	if (r->spawn != NULL) {
		r->spawn->expire = now - 1;
		if (px_timer_arm_at(r->w, &r->spawn->tim, now - 1, rec_cb,
				r->spawn) != 0)
			cb_errors++;
	}
	if (r->period != 0 && r->fired < r->max_fires) {
		r->expire += r->period;
		if (px_timer_arm_at(r->w, tim, r->expire, rec_cb, r) != 0)
			cb_errors++;
	}
}

static struct px_timer_wheel *
mk_wheel(uint64_t tick, uint64_t start)
{
	struct px_timer_wheel_conf conf = {
		.tick_cycles = tick, .start = start,
	};
	struct px_timer_wheel *w = NULL;

	if (px_timer_wheel_create(&conf, &w) != 0)
		return NULL;
	return w;
}

static int
arm_rec(struct px_timer_wheel *w, struct rec *r, uint64_t delay)
{
	memset(r, 0, sizeof(*r));
	r->w = w;
	r->expire = px_timer_wheel_now(w) + delay;
	return px_timer_arm(w, &r->tim, delay, rec_cb, r);
}

/* First TSC time at which a timer due at e may fire: e rounded up to a tick. */
static uint64_t
ceil_tick(uint64_t start, uint64_t tick, uint64_t e)
{
	if (e <= start)
		return start;
	return start + (e - start + tick - 1) / tick * tick;
}

static int
test_create_free(void)
{
	struct px_timer_wheel *w = NULL;

	PX_TEST_ASSERT_EQ(px_timer_wheel_create(NULL, NULL), -EINVAL);
	PX_TEST_ASSERT_OK(px_timer_wheel_create(NULL, &w));
	PX_TEST_ASSERT(w != NULL);
	PX_TEST_ASSERT(px_timer_wheel_tick(w) > 0);
	PX_TEST_ASSERT(px_timer_wheel_now(w) != 0);
	/* One day at the default tick (about 1 us) must fit. */
	PX_TEST_ASSERT(px_timer_wheel_horizon(w) / px_timer_wheel_tick(w) >=
		UINT64_C(86400000000));
	PX_TEST_ASSERT_EQ(px_timer_wheel_count(w), 0);
	PX_TEST_ASSERT(px_timer_wheel_next_expiry(w) == UINT64_MAX);
	px_timer_wheel_free(w);
	px_timer_wheel_free(NULL);

	w = mk_wheel(T, START);
	PX_TEST_ASSERT(w != NULL);
	PX_TEST_ASSERT_EQ(px_timer_wheel_tick(w), T);
	PX_TEST_ASSERT(px_timer_wheel_now(w) == START);
	PX_TEST_ASSERT(px_timer_wheel_horizon(w) / T >= UINT64_C(86400000000));
	PX_TEST_ASSERT_EQ(px_timer_wheel_advance(w, START + 100 * T), 0);
	PX_TEST_ASSERT(px_timer_wheel_now(w) == START + 100 * T);
	/* The wheel never goes back. */
	PX_TEST_ASSERT_EQ(px_timer_wheel_advance(w, START), 0);
	PX_TEST_ASSERT(px_timer_wheel_now(w) == START + 100 * T);
	px_timer_wheel_free(w);
	return TEST_SUCCESS;
}

static int
test_misuse(void)
{
	struct px_timer_wheel *w = mk_wheel(T, START);
	struct rec a, b;

	PX_TEST_ASSERT(w != NULL);
	memset(&b, 0, sizeof(b));
	px_timer_init(&b.tim);
	PX_TEST_ASSERT(!px_timer_is_armed(&b.tim));
	PX_TEST_ASSERT_EQ(px_timer_arm(NULL, &b.tim, 1, rec_cb, &b), -EINVAL);
	PX_TEST_ASSERT_EQ(px_timer_arm(w, NULL, 1, rec_cb, &b), -EINVAL);
	PX_TEST_ASSERT_EQ(px_timer_arm(w, &b.tim, 1, NULL, &b), -EINVAL);
	PX_TEST_ASSERT_EQ(px_timer_arm_at(NULL, &b.tim, 1, rec_cb, &b),
		-EINVAL);
	PX_TEST_ASSERT_EQ(px_timer_arm_at(w, NULL, 1, rec_cb, &b), -EINVAL);
	PX_TEST_ASSERT_EQ(px_timer_arm_at(w, &b.tim, 1, NULL, &b), -EINVAL);
	PX_TEST_ASSERT_EQ(px_timer_cancel(NULL, &b.tim), -EINVAL);
	PX_TEST_ASSERT_EQ(px_timer_cancel(w, NULL), -EINVAL);
	/* Never armed. */
	PX_TEST_ASSERT_EQ(px_timer_cancel(w, &b.tim), -ENOENT);
	PX_TEST_ASSERT_EQ(px_timer_wheel_count(w), 0);

	PX_TEST_ASSERT_OK(arm_rec(w, &a, 10 * T));
	PX_TEST_ASSERT(px_timer_is_armed(&a.tim));
	PX_TEST_ASSERT_EQ(px_timer_arm(w, &a.tim, 5 * T, rec_cb, &a), -EBUSY);
	PX_TEST_ASSERT_EQ(px_timer_arm_at(w, &a.tim, 0, rec_cb, &a), -EBUSY);
	PX_TEST_ASSERT_EQ(px_timer_wheel_count(w), 1);
	PX_TEST_ASSERT_OK(px_timer_cancel(w, &a.tim));
	PX_TEST_ASSERT(!px_timer_is_armed(&a.tim));
	PX_TEST_ASSERT_EQ(px_timer_cancel(w, &a.tim), -ENOENT); /* cancelled */
	PX_TEST_ASSERT_EQ(px_timer_wheel_count(w), 0);
	PX_TEST_ASSERT_EQ(px_timer_wheel_advance(w, START + 20 * T), 0);
	PX_TEST_ASSERT_EQ(a.fired, 0);

	PX_TEST_ASSERT_OK(arm_rec(w, &a, 10 * T));
	PX_TEST_ASSERT_EQ(px_timer_wheel_advance(w, START + 30 * T), 1);
	PX_TEST_ASSERT_EQ(a.fired, 1);
	PX_TEST_ASSERT(!px_timer_is_armed(&a.tim));
	PX_TEST_ASSERT_EQ(px_timer_cancel(w, &a.tim), -ENOENT); /* fired */
	/* A fired timer may be armed again without px_timer_init(). */
	PX_TEST_ASSERT_OK(px_timer_arm(w, &a.tim, T, rec_cb, &a));
	PX_TEST_ASSERT_OK(px_timer_cancel(w, &a.tim));
	PX_TEST_ASSERT_EQ(cb_errors, 0);
	px_timer_wheel_free(w);
	return TEST_SUCCESS;
}

/*
 * One timer of delay d armed at time `at`: it must not fire one cycle before
 * its tick boundary and must fire exactly at it, both when the wheel gets
 * there tick by tick and in one jump.
 */
static int
check_one(uint64_t at, uint64_t d, bool tick_by_tick)
{
	struct px_timer_wheel *w = mk_wheel(T, START);
	uint64_t due, now;
	struct rec r;

	PX_TEST_ASSERT(w != NULL);
	if (at != START)
		px_timer_wheel_advance(w, at);
	PX_TEST_ASSERT(arm_rec(w, &r, d) == 0, "d=%" PRIu64, d);
	due = ceil_tick(START, T, at + d);
	if (due < at)
		due = at;
	PX_TEST_ASSERT(px_timer_wheel_next_expiry(w) <= due);
	if (tick_by_tick) {
		for (now = ceil_tick(START, T, at); now < due; now += T) {
			px_timer_wheel_advance(w, now);
			PX_TEST_ASSERT(r.fired == 0, "d=%" PRIu64 " now=%"
				PRIu64, d, now);
		}
	}
	if (due > at) {
		px_timer_wheel_advance(w, due - 1);
		PX_TEST_ASSERT(r.fired == 0, "d=%" PRIu64, d);
	}
	PX_TEST_ASSERT(px_timer_wheel_advance(w, due) == 1, "d=%" PRIu64, d);
	PX_TEST_ASSERT_EQ(r.fired, 1);
	PX_TEST_ASSERT(r.fired_now >= r.expire);
	PX_TEST_ASSERT(r.fired_now - r.expire < T || r.expire < at);
	PX_TEST_ASSERT_EQ(px_timer_wheel_count(w), 0);
	PX_TEST_ASSERT(px_timer_wheel_next_expiry(w) == UINT64_MAX);
	px_timer_wheel_free(w);
	return TEST_SUCCESS;
}

static int
test_boundaries(void)
{
	static const uint64_t small[] = {
		1, T - 1, T, T + 1, 2 * T, 63 * T, 63 * T + 1, 64 * T - 1,
		64 * T, 64 * T + 1, 65 * T, 127 * T, 128 * T, 4095 * T,
		4096 * T, 4096 * T + 1, 4097 * T,
	};
	static const uint64_t at[] = {
		START, START + 1, START + T - 1, START + 63 * T, START + 64 * T,
		START + 64 * T + 5, START + 4095 * T + 999,
	};
	unsigned int i, j;

	for (i = 0; i < RTE_DIM(at); i++)
		for (j = 0; j < RTE_DIM(small); j++)
			PX_TEST_ASSERT(check_one(at[i], small[j], true) == 0 &&
				check_one(at[i], small[j], false) == 0,
				"at=%" PRIu64 " d=%" PRIu64, at[i], small[j]);
	PX_TEST_ASSERT_EQ(cb_errors, 0);
	return TEST_SUCCESS;
}

/* Delay 0 and expiries in the past: due at the next advance, not before. */
static int
test_zero_and_past(void)
{
	struct px_timer_wheel *w = mk_wheel(T, START);
	struct rec a, b, c, d;
	uint64_t now;

	PX_TEST_ASSERT(w != NULL);
	/* On a tick boundary delay 0 is due at once, even with the same now. */
	PX_TEST_ASSERT_OK(arm_rec(w, &a, 0));
	PX_TEST_ASSERT(px_timer_wheel_next_expiry(w) <= START);
	PX_TEST_ASSERT_EQ(px_timer_wheel_advance(w, START), 1);
	PX_TEST_ASSERT_EQ(a.fired, 1);
	/* Inside a tick, delay 0 waits for the next boundary. */
	now = START + 10 * T + 1;
	px_timer_wheel_advance(w, now);
	PX_TEST_ASSERT_OK(arm_rec(w, &a, 0));
	PX_TEST_ASSERT_EQ(px_timer_wheel_advance(w, now + T - 2), 0);
	PX_TEST_ASSERT_EQ(px_timer_wheel_advance(w, now + T - 1), 1);
	now += T - 1;
	/* Past expiries (before start too) fire at the next advance, FIFO. */
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	memset(&d, 0, sizeof(d));
	b.w = c.w = d.w = w;
	PX_TEST_ASSERT_OK(px_timer_arm_at(w, &b.tim, now - 5 * T, rec_cb, &b));
	PX_TEST_ASSERT_OK(px_timer_arm_at(w, &c.tim, 0, rec_cb, &c));
	PX_TEST_ASSERT_OK(px_timer_arm_at(w, &d.tim, now, rec_cb, &d));
	PX_TEST_ASSERT(px_timer_wheel_next_expiry(w) <= now);
	PX_TEST_ASSERT_EQ(px_timer_wheel_count(w), 3);
	PX_TEST_ASSERT_EQ(px_timer_wheel_advance(w, now), 3);
	PX_TEST_ASSERT(b.order < c.order && c.order < d.order);
	/* A past arm from a callback fires in the same advance. */
	a.spawn = &b;
	PX_TEST_ASSERT_OK(px_timer_arm(w, &a.tim, 3 * T, rec_cb, &a));
	PX_TEST_ASSERT_EQ(px_timer_wheel_advance(w, now + 100 * T), 2);
	PX_TEST_ASSERT_EQ(b.fired, 2);
	PX_TEST_ASSERT(b.order == a.order + 1);
	PX_TEST_ASSERT_EQ(cb_errors, 0);
	px_timer_wheel_free(w);
	return TEST_SUCCESS;
}

/*
 * Long delays on every level, around the level boundaries and at random
 * offsets, reached by jumping (all levels) and tick by tick (levels up to
 * 2, and one level 3 delay), from several positions of the current tick.
 */
static int
test_levels(void)
{
	/* Largest delay within the horizon, rounded down to a tick. */
	const uint64_t max = 63 * LEVEL_TICKS(NLEVELS - 1) * T - 2 * T;
	uint64_t seed = 0x9e3779b97f4a7c15ull, d, base, at;
	unsigned int l, k, i;
	int dd;

	for (l = 1; l < NLEVELS; l++) {
		base = LEVEL_TICKS(l) * T;
		for (dd = -2; dd <= 2; dd++)
			for (k = 1; k < 64; k += 31) {
				d = k * base + dd;
				if (d > max)
					d -= 2 * T;
				at = START + 3 * T + 7;
				PX_TEST_ASSERT(check_one(START, d, false) == 0 &&
					check_one(at, d, l <= 2) == 0,
					"l=%u d=%" PRIu64, l, d);
			}
		for (i = 0; i < 40; i++) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			d = seed % (64 * base);
			at = START + (seed >> 20) % (LEVEL_TICKS(NLEVELS) * T);
			if (d > max)
				d /= 2;
			PX_TEST_ASSERT(check_one(at, d, false) == 0,
				"l=%u at=%" PRIu64 " d=%" PRIu64, l, at, d);
		}
	}
	/* Level 3 tick by tick once: 3 * 2^18 ticks and a bit. */
	PX_TEST_ASSERT(check_one(START + 17, 3 * LEVEL_TICKS(3) * T + 5,
		true) == 0);
	PX_TEST_ASSERT_EQ(cb_errors, 0);
	return TEST_SUCCESS;
}

static int
test_horizon(void)
{
	struct px_timer_wheel *w = mk_wheel(T, START);
	uint64_t h, at;
	struct rec a, b;
	int i;

	PX_TEST_ASSERT(w != NULL);
	h = px_timer_wheel_horizon(w);
	for (i = 0; i < 3; i++) {
		/* From a tick boundary, the middle of a tick, its end. */
		at = px_timer_wheel_now(w) +
			(i == 0 ? 0 : i == 1 ? T / 2 : T / 2 - 1);
		px_timer_wheel_advance(w, at);
		PX_TEST_ASSERT_EQ(arm_rec(w, &b, h + 1), -ERANGE);
		PX_TEST_ASSERT_EQ(px_timer_arm_at(w, &b.tim, at + h + 1,
			rec_cb, &b), -ERANGE);
		PX_TEST_ASSERT_EQ(px_timer_arm(w, &b.tim, UINT64_MAX,
			rec_cb, &b), -ERANGE);
		PX_TEST_ASSERT(!px_timer_is_armed(&b.tim));
		PX_TEST_ASSERT_OK(arm_rec(w, &a, h));
		PX_TEST_ASSERT_EQ(px_timer_wheel_advance(w, at + h / 3), 0);
		PX_TEST_ASSERT_EQ(px_timer_wheel_advance(w,
			ceil_tick(START, T, at + h) - 1), 0);
		PX_TEST_ASSERT_EQ(px_timer_wheel_advance(w,
			ceil_tick(START, T, at + h)), 1);
		PX_TEST_ASSERT(a.fired_now - a.expire < T);
	}
	PX_TEST_ASSERT_EQ(cb_errors, 0);
	px_timer_wheel_free(w);
	return TEST_SUCCESS;
}

/* A periodic timer re-arming itself, run tick by tick, then by jumps. */
static int
test_periodic(void)
{
	struct px_timer_wheel *w = mk_wheel(T, START);
	uint64_t now, period = 7 * T + 3;
	struct rec p;

	PX_TEST_ASSERT(w != NULL);
	PX_TEST_ASSERT_OK(arm_rec(w, &p, period));
	p.period = period;
	p.max_fires = 1000;
	for (now = START; p.fired < 100; now += T) {
		px_timer_wheel_advance(w, now);
		PX_TEST_ASSERT(p.fired == 0 ||
			p.fired_now - (p.expire - period) < T);
	}
	/* One jump over ten periods runs the ten late expiries at once. */
	PX_TEST_ASSERT_EQ(px_timer_wheel_advance(w,
		ceil_tick(START, T, p.expire + 9 * period)), 10);
	PX_TEST_ASSERT_EQ(p.fired, 110);
	/* A jump of many levels (2^30 ticks): catches up until max_fires. */
	px_timer_wheel_advance(w, p.expire + (UINT64_C(1) << 30) * T);
	PX_TEST_ASSERT_EQ(p.fired, 1000);
	PX_TEST_ASSERT(!px_timer_is_armed(&p.tim));
	PX_TEST_ASSERT_EQ(cb_errors, 0);
	px_timer_wheel_free(w);
	return TEST_SUCCESS;
}

/* Callbacks cancelling timers of the same tick, of later ticks, themselves. */
static int
test_cb_cancel(void)
{
	struct px_timer_wheel *w = mk_wheel(T, START);
	struct rec r[6];
	unsigned int i;

	PX_TEST_ASSERT(w != NULL);
	/* r0..r2 in one tick, r3 two ticks later, r4 on level 1, r5 self. */
	PX_TEST_ASSERT_OK(arm_rec(w, &r[0], 5 * T));
	PX_TEST_ASSERT_OK(arm_rec(w, &r[1], 5 * T - 10));
	PX_TEST_ASSERT_OK(arm_rec(w, &r[2], 5 * T - 20));
	PX_TEST_ASSERT_OK(arm_rec(w, &r[3], 7 * T));
	PX_TEST_ASSERT_OK(arm_rec(w, &r[4], 300 * T));
	PX_TEST_ASSERT_OK(arm_rec(w, &r[5], 300 * T));
	r[0].victim = &r[2];	/* same tick, after it in the slot list */
	r[1].victim = &r[3];	/* a later tick of the same advance */
	r[3].victim = &r[0];	/* never runs */
	r[4].victim = &r[4];	/* itself: already fired, so -ENOENT */
	r[5].victim = &r[1];	/* fired earlier: -ENOENT */
	PX_TEST_ASSERT_EQ(px_timer_wheel_count(w), 6);
	PX_TEST_ASSERT_EQ(px_timer_wheel_advance(w, START + 1000 * T), 4);
	PX_TEST_ASSERT_EQ(r[0].fired, 1);
	PX_TEST_ASSERT_EQ(r[1].fired, 1);
	PX_TEST_ASSERT_EQ(r[2].fired, 0);
	PX_TEST_ASSERT_EQ(r[3].fired, 0);
	PX_TEST_ASSERT_EQ(r[0].victim_ret, 0);
	PX_TEST_ASSERT_EQ(r[1].victim_ret, 0);
	PX_TEST_ASSERT_EQ(r[4].victim_ret, -ENOENT);
	PX_TEST_ASSERT_EQ(r[5].victim_ret, -ENOENT);
	PX_TEST_ASSERT(r[0].order + 1 == r[1].order);
	PX_TEST_ASSERT(r[4].order + 1 == r[5].order);
	PX_TEST_ASSERT_EQ(px_timer_wheel_count(w), 0);
	for (i = 0; i < RTE_DIM(r); i++)
		PX_TEST_ASSERT(!px_timer_is_armed(&r[i].tim));
	/* The same in the due list: armed in the past, cancelled by a peer. */
	PX_TEST_ASSERT_OK(arm_rec(w, &r[0], 0));
	PX_TEST_ASSERT_OK(arm_rec(w, &r[1], 0));
	PX_TEST_ASSERT_OK(arm_rec(w, &r[2], 0));
	r[0].victim = &r[2];
	PX_TEST_ASSERT_EQ(px_timer_wheel_advance(w, START + 1000 * T), 2);
	PX_TEST_ASSERT_EQ(r[2].fired, 0);
	PX_TEST_ASSERT_EQ(cb_errors, 0);
	px_timer_wheel_free(w);
	return TEST_SUCCESS;
}

static void
nested_cb(struct px_timer *tim, void *arg)
{
	struct px_timer_wheel *w = arg;
	uint64_t now = px_timer_wheel_now(w);

	/* Refused: it would move the wheel under the running advance. */
	if (px_timer_wheel_advance(w, now + 1000 * T) != 0 ||
			px_timer_wheel_now(w) != now)
		cb_errors++;
	RTE_SET_USED(tim);
}

static int
test_nested_advance(void)
{
	struct px_timer_wheel *w = mk_wheel(T, START);
	struct px_timer a, b;

	PX_TEST_ASSERT(w != NULL);
	px_timer_init(&a);
	px_timer_init(&b);
	PX_TEST_ASSERT_OK(px_timer_arm(w, &a, 2 * T, nested_cb, w));
	PX_TEST_ASSERT_OK(px_timer_arm(w, &b, 500 * T, nested_cb, w));
	PX_TEST_ASSERT_EQ(px_timer_wheel_advance(w, START + 10 * T), 1);
	PX_TEST_ASSERT(px_timer_is_armed(&b));
	PX_TEST_ASSERT_EQ(px_timer_wheel_advance(w, START + 500 * T), 1);
	PX_TEST_ASSERT_EQ(cb_errors, 0);
	px_timer_wheel_free(w);
	return TEST_SUCCESS;
}

/* Expiry order across ticks and levels, arming order within a tick. */
static int
test_order(void)
{
	enum { N = 512 };
	struct px_timer_wheel *w = mk_wheel(T, START);
	static struct rec r[N];
	uint64_t seed = 12345, d;
	unsigned int i, j;

	PX_TEST_ASSERT(w != NULL);
	for (i = 0; i < N; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		/* Few distinct ticks on all levels: many timers share one. */
		d = LEVEL_TICKS(seed % NLEVELS) * ((seed >> 8) % 4);
		d = (d + (seed >> 16) % 3) * T;
		d += (seed >> 24) % T;
		PX_TEST_ASSERT_OK(arm_rec(w, &r[i], d));
	}
	PX_TEST_ASSERT_EQ(px_timer_wheel_advance(w,
		START + LEVEL_TICKS(NLEVELS) / 4 * T), N);
	for (i = 0; i < N; i++)
		for (j = 0; j < N; j++) {
			uint64_t ei = ceil_tick(START, T, r[i].expire);
			uint64_t ej = ceil_tick(START, T, r[j].expire);

			if (ei < ej || (ei == ej && i < j))
				PX_TEST_ASSERT(r[i].order < r[j].order,
					"i=%u j=%u", i, j);
		}
	PX_TEST_ASSERT_EQ(cb_errors, 0);
	px_timer_wheel_free(w);
	return TEST_SUCCESS;
}

/*
 * An idle loop sleeping until next_expiry() must wake up at the exact
 * firing time for timers on every level, in a few wake-ups per level.
 */
static int
test_next_expiry(void)
{
	struct px_timer_wheel *w = mk_wheel(T, START);
	uint64_t now, due, d;
	unsigned int l, wakeups;
	struct rec r;

	PX_TEST_ASSERT(w != NULL);
	PX_TEST_ASSERT(px_timer_wheel_next_expiry(w) == UINT64_MAX);
	for (l = 0; l < NLEVELS; l++) {
		d = 37 * LEVEL_TICKS(l) * T + 12345;
		now = px_timer_wheel_now(w);
		PX_TEST_ASSERT_OK(arm_rec(w, &r, d));
		PX_TEST_ASSERT_EQ(px_timer_wheel_count(w), 1);
		due = ceil_tick(START, T, now + d);
		for (wakeups = 0; r.fired == 0; wakeups++) {
			now = px_timer_wheel_next_expiry(w);
			PX_TEST_ASSERT(now <= due &&
				now > px_timer_wheel_now(w));
			px_timer_wheel_advance(w, now);
			PX_TEST_ASSERT(wakeups <= l + 1);
		}
		PX_TEST_ASSERT(r.fired_now == due, "level %u", l);
		if (l == 0)
			PX_TEST_ASSERT_EQ(wakeups, 1);
		PX_TEST_ASSERT(px_timer_wheel_next_expiry(w) == UINT64_MAX);
	}
	PX_TEST_ASSERT_EQ(cb_errors, 0);
	px_timer_wheel_free(w);
	return TEST_SUCCESS;
}

static uint64_t
ns_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Idle gaps cost nothing: at 2.6 GHz and a 1 us tick, one day is 8.6e10
 * ticks; a wheel that walked them would take minutes, not microseconds.
 */
static int
test_idle_jump(void)
{
	const uint64_t tick = 2600, day = UINT64_C(86400) * 2600000000u;
	struct px_timer_wheel *w = mk_wheel(tick, START);
	struct rec a, b;
	uint64_t t0, t1;
	unsigned int i;

	PX_TEST_ASSERT(w != NULL);
	PX_TEST_ASSERT(px_timer_wheel_horizon(w) >= day);
	PX_TEST_ASSERT_OK(arm_rec(w, &a, day));
	PX_TEST_ASSERT_OK(arm_rec(w, &b, 2 * day));
	t0 = ns_now();
	PX_TEST_ASSERT_EQ(px_timer_wheel_advance(w, START + day - 1), 0);
	PX_TEST_ASSERT_EQ(px_timer_wheel_advance(w, START + day), 1);
	for (i = 1; i <= 1000; i++)
		px_timer_wheel_advance(w, START + day + i * (day / 1000));
	t1 = ns_now();
	PX_TEST_ASSERT_EQ(b.fired, 1);
	PX_TEST_ASSERT(a.fired_now == START + day);
	printf("    1002 advances over 2 days of 1 us ticks: %" PRIu64 " us\n",
		(t1 - t0) / 1000);
	PX_TEST_ASSERT(t1 - t0 < UINT64_C(200000000), "took %" PRIu64 " ns",
		t1 - t0);
	PX_TEST_ASSERT_EQ(cb_errors, 0);
	px_timer_wheel_free(w);
	return TEST_SUCCESS;
}

static int
timer_wheel_autotest(void)
{
	cb_errors = 0;
	PX_TEST_RUN(test_create_free);
	PX_TEST_RUN(test_misuse);
	PX_TEST_RUN(test_boundaries);
	PX_TEST_RUN(test_zero_and_past);
	PX_TEST_RUN(test_levels);
	PX_TEST_RUN(test_horizon);
	PX_TEST_RUN(test_periodic);
	PX_TEST_RUN(test_cb_cancel);
	PX_TEST_RUN(test_nested_advance);
	PX_TEST_RUN(test_order);
	PX_TEST_RUN(test_next_expiry);
	PX_TEST_RUN(test_idle_jump);
	return TEST_SUCCESS;
}

PX_REGISTER_TEST(timer_wheel_autotest, 0, timer_wheel_autotest);

/*
 * Model test: random arms, cancels and advances (callbacks arm and cancel
 * too) on a pool of timers, against a reference that knows each timer's
 * effective tick and arming sequence number. A min-heap on (tick, seq) with
 * lazy deletion gives the one timer allowed to fire next; every callback
 * must be exactly that timer.
 */

#define POOL 4096

struct m_timer {
	struct px_timer tim;
	uint64_t expire;
	uint64_t e;	/* effective tick */
	uint64_t seq;	/* arming sequence, 0 = not armed */
};

struct m_ent {
	uint64_t e;
	uint64_t seq;
	uint32_t id;
};

struct model {
	struct px_timer_wheel *w;
	uint64_t tick, start, horizon;
	uint64_t c;		/* the wheel's tick, as the model sees it */
	uint64_t target;	/* tick of the advance running */
	uint64_t seq;
	uint64_t armed;
	uint64_t rng;
	uint64_t fired;		/* callbacks of the advance running */
	uint64_t total_fired;
	uint64_t errors;
	struct m_timer *t;
	struct m_ent *heap;
	size_t n, cap;
};

static struct model M;

static uint64_t
rnd(void)
{
	/* xorshift64* */
	M.rng ^= M.rng >> 12;
	M.rng ^= M.rng << 25;
	M.rng ^= M.rng >> 27;
	return M.rng * UINT64_C(2685821657736338717);
}

static bool
ent_less(const struct m_ent *a, const struct m_ent *b)
{
	return a->e < b->e || (a->e == b->e && a->seq < b->seq);
}

static void
heap_push(struct m_ent ent)
{
	struct m_ent tmp;
	size_t i, p;

	if (M.n == M.cap) {
		M.cap = M.cap ? 2 * M.cap : 4096;
		M.heap = realloc(M.heap, M.cap * sizeof(*M.heap));
		if (M.heap == NULL)
			abort();
	}
	i = M.n++;
	M.heap[i] = ent;
	while (i > 0) {
		p = (i - 1) / 2;
		if (!ent_less(&M.heap[i], &M.heap[p]))
			break;
		tmp = M.heap[p];
		M.heap[p] = M.heap[i];
		M.heap[i] = tmp;
		i = p;
	}
}

static void
heap_pop(void)
{
	struct m_ent tmp;
	size_t i = 0, l, m;

	M.heap[0] = M.heap[--M.n];
	for (;;) {
		l = 2 * i + 1;
		m = i;
		if (l < M.n && ent_less(&M.heap[l], &M.heap[m]))
			m = l;
		if (l + 1 < M.n && ent_less(&M.heap[l + 1], &M.heap[m]))
			m = l + 1;
		if (m == i)
			break;
		tmp = M.heap[m];
		M.heap[m] = M.heap[i];
		M.heap[i] = tmp;
		i = m;
	}
}

/* The next timer due in the model (dropping stale entries), or NULL. */
static struct m_ent *
heap_top(void)
{
	while (M.n > 0 && M.t[M.heap[0].id].seq != M.heap[0].seq)
		heap_pop();
	return M.n > 0 ? &M.heap[0] : NULL;
}

static uint64_t
m_tick_of(uint64_t e)
{
	if (e <= M.start)
		return 0;
	return (e - M.start + M.tick - 1) / M.tick;
}

static uint64_t
rnd_delay(void)
{
	uint64_t r = rnd() % 100;

	if (r < 4)
		return 0;
	if (r < 7)
		return M.horizon;
	if (r < 9)
		return M.horizon + 1 + rnd() % 3;
	if (r < 12)
		return rnd() % (4 * M.tick);
	/* Otherwise log-uniform over the levels. */
	return rnd() % (LEVEL_TICKS(1 + rnd() % NLEVELS) * M.tick);
}

static void m_cb(struct px_timer *tim, void *arg);

#define M_CHECK(cond) do { \
		if (!(cond)) { \
			if (M.errors++ < 10) \
				printf("model mismatch at %s:%d: %s\n", \
					__FILE__, __LINE__, #cond); \
		} \
	} while (0)

static void
m_arm(uint32_t id)
{
	struct m_timer *t = &M.t[id];
	uint64_t now = px_timer_wheel_now(M.w), d, e, x;
	int ret, want;
	bool at;

	at = rnd() % 4 == 0;
	d = rnd_delay();
	if (at && rnd() % 4 == 0)
		e = now - rnd() % (100 * M.tick); /* in the past */
	else
		e = now + d;
	if (t->seq != 0)
		want = -EBUSY;
	else if (at ? (e > now && e - now > M.horizon) : d > M.horizon)
		want = -ERANGE;
	else
		want = 0;
	ret = at ? px_timer_arm_at(M.w, &t->tim, e, m_cb, t) :
		px_timer_arm(M.w, &t->tim, d, m_cb, t);
	M_CHECK(ret == want);
	if (ret != 0 || want != 0)
		return;
	x = m_tick_of(e);
	t->expire = e;
	t->e = x > M.c ? x : M.c;
	t->seq = ++M.seq;
	M.armed++;
	heap_push((struct m_ent){ .e = t->e, .seq = t->seq, .id = id });
}

static void
m_cancel(uint32_t id)
{
	struct m_timer *t = &M.t[id];
	int ret = px_timer_cancel(M.w, &t->tim);

	M_CHECK(ret == (t->seq != 0 ? 0 : -ENOENT));
	if (t->seq != 0) {
		t->seq = 0;
		M.armed--;
	}
}

static void
m_cb(struct px_timer *tim, void *arg)
{
	struct m_timer *t = arg;
	struct m_ent *top = heap_top();
	uint64_t now = px_timer_wheel_now(M.w), r;

	M_CHECK(tim == &t->tim);
	M_CHECK(top != NULL && top->id == (uint32_t)(t - M.t) &&
		top->seq == t->seq);
	M_CHECK(t->seq != 0 && t->e <= M.target);
	M_CHECK(now >= t->expire); /* never early */
	M_CHECK(!px_timer_is_armed(tim));
	if (top != NULL)
		heap_pop();
	t->seq = 0;
	M.armed--;
	M.fired++;
	/* Arms from here count from the tick being run. */
	M.c = t->e;
	r = rnd() % 16;
	if (r < 3)
		m_arm((uint32_t)(t - M.t)); /* re-arm itself */
	else if (r < 5)
		m_cancel(heap_top() ? heap_top()->id : 0); /* next due */
	else if (r < 6)
		m_cancel(rnd() % POOL);
	else if (r < 7)
		m_arm(rnd() % POOL);
}

/* Between operations: count and next_expiry agree with the model. */
static void
m_check_idle(void)
{
	uint64_t now = px_timer_wheel_now(M.w);
	uint64_t next = px_timer_wheel_next_expiry(M.w);
	struct m_ent *top = heap_top();

	M_CHECK(px_timer_wheel_count(M.w) == M.armed);
	if (top == NULL) {
		M_CHECK(next == UINT64_MAX);
		return;
	}
	/* Never after the next firing; not in the future if one is due. */
	M_CHECK(next <= M.start + top->e * M.tick);
	M_CHECK(top->e <= M.c ? next <= now : next > now);
	/* Exact when the next timer is due within the current 64 ticks. */
	if (top->e > M.c && top->e >> 6 == M.c >> 6)
		M_CHECK(next == M.start + top->e * M.tick);
}

static void
m_advance(uint64_t now)
{
	uint64_t wnow = px_timer_wheel_now(M.w);
	struct m_ent *top;
	unsigned int n;

	if (now < wnow)
		now = wnow;
	M.target = (now - M.start) / M.tick;
	M.fired = 0;
	n = px_timer_wheel_advance(M.w, now);
	M_CHECK(n == M.fired);
	M.total_fired += M.fired;
	M.c = M.target;
	top = heap_top();
	M_CHECK(top == NULL || top->e > M.target); /* none missed */
}

static int
model_run(uint64_t tick, uint64_t start, uint64_t seed, unsigned long ops)
{
	struct px_timer_wheel_conf conf = {
		.tick_cycles = tick, .start = start,
	};
	uint64_t now, r, arms = 0, cancels = 0, advances = 0;
	unsigned long i;
	uint32_t id;

	memset(&M, 0, sizeof(M));
	M.rng = seed;
	M.tick = tick;
	M.start = start;
	M.c = 0;
	M.t = calloc(POOL, sizeof(*M.t));
	PX_TEST_ASSERT(M.t != NULL);
	PX_TEST_ASSERT_OK(px_timer_wheel_create(&conf, &M.w));
	M.horizon = px_timer_wheel_horizon(M.w);
	for (i = 0; i < ops && M.errors == 0; i++) {
		r = rnd() % 100;
		id = rnd() % POOL;
		if (r < 45) {
			m_arm(id);
			arms++;
		} else if (r < 65) {
			m_cancel(id);
			cancels++;
		} else {
			now = px_timer_wheel_now(M.w);
			r = rnd() % 100;
			if (r < 2)
				now -= rnd() % tick; /* backwards: ignored */
			else if (r < 50)
				now += rnd() % (3 * tick);
			else if (r < 55)
				now = M.start + (M.c + 1) * tick; /* boundary */
			else if (r < 99)
				now += rnd() % (LEVEL_TICKS(1 + rnd() % 5) *
					tick);
			else /* rare, or 1M ops would wrap the TSC around */
				now += rnd() % (LEVEL_TICKS(NLEVELS) * tick);
			m_advance(now);
			advances++;
		}
		m_check_idle();
	}
	/* Drain: run time forward until the model and the wheel are empty. */
	while (M.errors == 0 && heap_top() != NULL)
		m_advance(M.start + heap_top()->e * tick);
	printf("    tick %" PRIu64 ": %lu ops (%" PRIu64 " arms, %" PRIu64
		" cancels, %" PRIu64 " advances), %" PRIu64 " fired, %" PRIu64
		" ticks\n", tick, i, arms, cancels, advances, M.total_fired,
		M.c);
	PX_TEST_ASSERT(M.errors == 0, "seed %#" PRIx64, seed);
	PX_TEST_ASSERT_EQ(px_timer_wheel_count(M.w), 0);
	px_timer_wheel_free(M.w);
	free(M.t);
	free(M.heap);
	return TEST_SUCCESS;
}

static int
timer_wheel_model_autotest(void)
{
	const char *s = getenv("PX_TEST_SEED");
	uint64_t seed = s != NULL ? strtoull(s, NULL, 0) :
		UINT64_C(0x5eed1e55c0ffee);
	unsigned long ops = 1000000; /* per tick size; ~0.3 s, ~1 s with ASan */

	printf("  seed %#" PRIx64 " (set PX_TEST_SEED to change)\n", seed);
	if (model_run(1000, START, seed, ops) != TEST_SUCCESS)
		return TEST_FAILED;
	/* Power-of-two and one-cycle ticks. */
	if (model_run(1024, 3, seed + 1, ops) != TEST_SUCCESS)
		return TEST_FAILED;
	if (model_run(1, 1, seed + 2, ops) != TEST_SUCCESS)
		return TEST_FAILED;
	return TEST_SUCCESS;
}

PX_REGISTER_TEST(timer_wheel_model_autotest, 0, timer_wheel_model_autotest);
