/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * Hierarchical timing wheel with cascading (Varghese and Lauck, scheme 7).
 *
 * Time is counted in ticks since conf->start. Timer expiries are rounded up
 * to a tick: a timer due at TSC time E has the expiry tick
 * x = ceil((E - start) / tick). The wheel's current tick "cur" is the last
 * tick it has processed. A timer with x > cur sits on level l, slot
 * (x >> 6l) & 63, where l is the highest base-64 digit in which x and cur
 * differ. So on every level but the top, occupied slots lie strictly ahead
 * of cur's digit, and the first occupied slot of the lowest non-empty level
 * is the next thing to do: fire it (level 0) or, at the start of its span,
 * move its timers to finer levels (cascade). Per-level occupancy bitmaps
 * find that slot with one rotate and one count-trailing-zeros, so an advance
 * jumps straight from event to event whatever the idle gap. The top level
 * wraps around, which bounds the horizon at 63 of its slots.
 *
 * Timers with x <= cur (armed for a time already past) go on the "due"
 * list, an extra slot without a bitmap bit, drained first by every advance
 * and after every fired slot, so callbacks arming past timers see them fire
 * in the same call.
 *
 * Slots are FIFO lists: "first" plus "last", the address of the tail's
 * next field (or of first when empty). A node's pprev points at whatever
 * points at it, so any node unlinks in O(1), and node->slot tells which
 * head's "last" to fix when the tail goes. Firing pops the head of a live
 * list, one node at a time, instead of walking a detached copy: a callback
 * may then cancel any other node, including the ones due in the same tick,
 * without leaving a dangling pointer behind.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_reciprocal.h>

#include <px_common.h>

#include "px_timer.h"

#define LEVEL_BITS 6
#define LEVEL_SLOTS (1u << LEVEL_BITS)
#define LEVELS 7 /* 2^42 ticks: 50 days at 1 us */
#define DUE_SLOT (LEVELS * LEVEL_SLOTS)
/*
 * The top level wraps around and its slots are read relative to cur's own,
 * so a timer may sit at most 63 top-level slots ahead of cur.
 */
#define HORIZON_TICKS \
	((uint64_t)(LEVEL_SLOTS - 1) << (LEVEL_BITS * (LEVELS - 1)))

struct slot {
	struct px_timer *first;
	struct px_timer **last; /* &first when empty, else &tail->next */
};

struct px_timer_wheel {
	/* Read by every arm, cancel and advance. */
	uint64_t cur;       /* last tick processed, counted from start */
	uint64_t now;       /* TSC of the last advance */
	uint64_t start;     /* TSC of tick 0 */
	uint64_t tick;      /* cycles per tick */
	uint64_t horizon;   /* longest delay accepted, cycles */
	uint64_t count;     /* timers armed */
	struct rte_reciprocal_u64 tick_div; /* division by tick, no DIV */
	uint64_t occ[LEVELS]; /* bit s of occ[l]: slot l * 64 + s not empty */
	uint32_t levels;    /* bit l: occ[l] != 0 */
	uint32_t running;   /* inside px_timer_wheel_advance() */
	struct slot slots[LEVELS * LEVEL_SLOTS + 1]; /* + the due list */
} __rte_cache_aligned;

static inline unsigned int
level_of(uint64_t x, uint64_t cur)
{
	unsigned int l = (63 - __builtin_clzll(x ^ cur)) / LEVEL_BITS;

	return l < LEVELS ? l : LEVELS - 1;
}

static inline uint64_t
ror64(uint64_t v, unsigned int n)
{
	return (v >> n) | (v << ((64 - n) & 63));
}

/* Expiry tick of TSC time e: the first tick boundary at or after e. */
static inline uint64_t
expiry_tick(const struct px_timer_wheel *w, uint64_t e)
{
	uint64_t d, q;

	if (e <= w->start)
		return 0;
	d = e - w->start;
	q = rte_reciprocal_divide_u64(d, &w->tick_div);
	return q + (q * w->tick != d);
}

static inline void
list_append(struct slot *s, struct px_timer *tim)
{
	tim->next = NULL;
	tim->pprev = s->last;
	*s->last = tim;
	s->last = &tim->next;
}

static inline void
place(struct px_timer_wheel *w, struct px_timer *tim, uint64_t x)
{
	unsigned int l, s;

	if (x <= w->cur) {
		tim->slot = DUE_SLOT;
		list_append(&w->slots[DUE_SLOT], tim);
		return;
	}
	l = level_of(x, w->cur);
	s = (x >> (LEVEL_BITS * l)) & (LEVEL_SLOTS - 1);
	tim->slot = l * LEVEL_SLOTS + s;
	list_append(&w->slots[tim->slot], tim);
	w->occ[l] |= UINT64_C(1) << s;
	w->levels |= 1u << l;
}

static inline void
unlink_timer(struct px_timer_wheel *w, struct px_timer *tim)
{
	struct slot *s = &w->slots[tim->slot];
	unsigned int l;

	*tim->pprev = tim->next;
	if (tim->next != NULL)
		tim->next->pprev = tim->pprev;
	else
		s->last = tim->pprev;
	tim->next = NULL;
	tim->pprev = NULL; /* marks the node not armed */
	w->count--;
	if (s->first == NULL && tim->slot != DUE_SLOT) {
		l = tim->slot / LEVEL_SLOTS;
		w->occ[l] &= ~(UINT64_C(1) << (tim->slot % LEVEL_SLOTS));
		if (w->occ[l] == 0)
			w->levels &= ~(1u << l);
	}
}

/*
 * Tick at which level l needs attention: the start of its first occupied
 * slot after cur's own digit. On the top level that slot may have wrapped.
 */
static inline uint64_t
next_event(const struct px_timer_wheel *w, unsigned int l)
{
	unsigned int shift = LEVEL_BITS * l;
	uint64_t blk = w->cur >> shift;
	unsigned int d = blk & (LEVEL_SLOTS - 1);
	uint64_t r = ror64(w->occ[l], (d + 1) & 63);

	return (blk + __builtin_ctzll(r) + 1) << shift;
}

int
px_timer_wheel_create(const struct px_timer_wheel_conf *conf,
		struct px_timer_wheel **out)
{
	struct px_timer_wheel *w;
	unsigned int i;
	uint64_t hz;

	if (out == NULL)
		return -EINVAL;
	/* No rte_zmalloc: wheels also live in programs without EAL. */
	if (posix_memalign((void **)&w, RTE_CACHE_LINE_SIZE, sizeof(*w)) != 0)
		return -ENOMEM;
	memset(w, 0, sizeof(*w));
	if (conf != NULL && conf->tick_cycles != 0) {
		w->tick = conf->tick_cycles;
	} else {
		hz = rte_get_tsc_hz(); /* 0 before rte_eal_init() */
		w->tick = hz / 1000000 != 0 ? hz / 1000000 : 1024;
	}
	w->start = conf != NULL && conf->start != 0 ? conf->start : rte_rdtsc();
	w->now = w->start;
	w->tick_div = rte_reciprocal_value_u64(w->tick);
	/* Saturate, and keep now + delay far from wrapping around. */
	if (HORIZON_TICKS - 1 > (UINT64_MAX >> 2) / w->tick)
		w->horizon = UINT64_MAX >> 2;
	else
		w->horizon = (HORIZON_TICKS - 1) * w->tick;
	for (i = 0; i < RTE_DIM(w->slots); i++)
		w->slots[i].last = &w->slots[i].first;
	*out = w;
	return 0;
}

void
px_timer_wheel_free(struct px_timer_wheel *w)
{
	free(w);
}

void
px_timer_init(struct px_timer *tim)
{
	memset(tim, 0, sizeof(*tim));
}

/* Arguments first, then state, then range, whichever entry point is used. */
static inline int
arm_check(const struct px_timer_wheel *w, const struct px_timer *tim,
		px_timer_cb_t cb)
{
	if (unlikely(w == NULL || tim == NULL || cb == NULL))
		return -EINVAL;
	if (unlikely(tim->pprev != NULL))
		return -EBUSY;
	return 0;
}

static inline void
arm_timer(struct px_timer_wheel *w, struct px_timer *tim, uint64_t expire,
		px_timer_cb_t cb, void *arg)
{
	tim->expire = expire;
	tim->cb = cb;
	tim->arg = arg;
	place(w, tim, expiry_tick(w, expire));
	w->count++;
}

int
px_timer_arm_at(struct px_timer_wheel *w, struct px_timer *tim,
		uint64_t expire, px_timer_cb_t cb, void *arg)
{
	int ret = arm_check(w, tim, cb);

	if (unlikely(ret != 0))
		return ret;
	if (unlikely(expire > w->now && expire - w->now > w->horizon))
		return -ERANGE;
	arm_timer(w, tim, expire, cb, arg);
	return 0;
}

int
px_timer_arm(struct px_timer_wheel *w, struct px_timer *tim,
		uint64_t delay, px_timer_cb_t cb, void *arg)
{
	int ret = arm_check(w, tim, cb);

	if (unlikely(ret != 0))
		return ret;
	if (unlikely(delay > w->horizon))
		return -ERANGE;
	arm_timer(w, tim, w->now + delay, cb, arg);
	return 0;
}

int
px_timer_cancel(struct px_timer_wheel *w, struct px_timer *tim)
{
	if (unlikely(w == NULL || tim == NULL))
		return -EINVAL;
	if (tim->pprev == NULL)
		return -ENOENT;
	unlink_timer(w, tim);
	return 0;
}

bool
px_timer_is_armed(const struct px_timer *tim)
{
	return tim != NULL && tim->pprev != NULL;
}

/*
 * Fire a slot's timers in list order. Popping the live head (rather than
 * walking) lets callbacks cancel any timer. No callback can add to a level 0
 * slot being fired: it would need cur < x < cur + 64 with x == cur mod 64.
 * The due list may grow while it is drained, which is the point.
 */
static unsigned int
fire_list(struct px_timer_wheel *w, struct slot *s)
{
	struct px_timer *tim;
	unsigned int n = 0;

	while ((tim = s->first) != NULL) {
		unlink_timer(w, tim);
		tim->cb(tim, tim->arg);
		n++;
	}
	return n;
}

/*
 * Re-place the timers of a coarse slot whose span starts at cur. The list
 * is detached first: a timer lapping the top level could land back in the
 * same slot. No callback runs here, so nothing else touches the nodes; list
 * order, hence arming order, is kept.
 */
static void
cascade(struct px_timer_wheel *w, unsigned int idx)
{
	struct slot *s = &w->slots[idx];
	struct px_timer *tim = s->first, *next;
	unsigned int l = idx / LEVEL_SLOTS;

	s->first = NULL;
	s->last = &s->first;
	w->occ[l] &= ~(UINT64_C(1) << (idx % LEVEL_SLOTS));
	if (w->occ[l] == 0)
		w->levels &= ~(1u << l);
	for (; tim != NULL; tim = next) {
		next = tim->next;
		place(w, tim, expiry_tick(w, tim->expire));
	}
}

unsigned int
px_timer_wheel_advance(struct px_timer_wheel *w, uint64_t now)
{
	unsigned int n = 0, l, idx;
	uint64_t target, ev;

	/* A nested advance would move cur under the outer one's feet. */
	if (unlikely(w->running))
		return 0;
	w->running = 1;
	if (now < w->now)
		now = w->now; /* never go back, but still run the due list */
	w->now = now;
	target = rte_reciprocal_divide_u64(now - w->start, &w->tick_div);
	for (;;) {
		n += fire_list(w, &w->slots[DUE_SLOT]);
		if (w->levels == 0)
			break;
		/* Events of a level all precede those of the levels above. */
		l = __builtin_ctz(w->levels);
		ev = next_event(w, l);
		if (ev > target)
			break;
		w->cur = ev;
		idx = l * LEVEL_SLOTS +
			((ev >> (LEVEL_BITS * l)) & (LEVEL_SLOTS - 1));
		if (l == 0)
			n += fire_list(w, &w->slots[idx]);
		else
			cascade(w, idx);
	}
	w->cur = target;
	w->running = 0;
	return n;
}

uint64_t
px_timer_wheel_next_expiry(const struct px_timer_wheel *w)
{
	if (w->slots[DUE_SLOT].first != NULL)
		return w->start + w->cur * w->tick;
	if (w->levels == 0)
		return UINT64_MAX;
	return w->start + next_event(w, __builtin_ctz(w->levels)) * w->tick;
}

uint64_t
px_timer_wheel_count(const struct px_timer_wheel *w)
{
	return w->count;
}

uint64_t
px_timer_wheel_horizon(const struct px_timer_wheel *w)
{
	return w->horizon;
}

uint64_t
px_timer_wheel_tick(const struct px_timer_wheel *w)
{
	return w->tick;
}

uint64_t
px_timer_wheel_now(const struct px_timer_wheel *w)
{
	return w->now;
}
