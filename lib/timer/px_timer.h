/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#ifndef _PX_TIMER_H_
#define _PX_TIMER_H_

/**
 * @file
 * Per-lcore hierarchical timer wheel driven by the TSC.
 *
 * A wheel belongs to one lcore and is not thread safe; to arm a timer on
 * another lcore, send that lcore a message. Time is in TSC cycles
 * (rte_rdtsc()); the wheel rounds expiries up to its tick, so a timer never
 * fires before its expiry and fires at most one tick (plus the caller's
 * polling delay) after it. Arm and cancel are O(1); advancing costs O(timers
 * fired or cascaded + levels), not O(ticks elapsed), thanks to per-level
 * occupancy bitmaps.
 */

#include <stdbool.h>
#include <stdint.h>

#include <px_timer_core.h>

#ifdef __cplusplus
extern "C" {
#endif

struct px_timer_wheel;

/** Wheel configuration; zero fields take the defaults. */
struct px_timer_wheel_conf {
	/** Tick in TSC cycles; 0 = about 1 us (rte_get_tsc_hz() / 1e6,
	 *  or 1024 cycles when EAL has not measured the TSC). */
	uint64_t tick_cycles;
	/** TSC value the wheel starts at; 0 = rte_rdtsc() now. */
	uint64_t start;
};

/**
 * Create a timer wheel.
 *
 * @param conf
 *   Configuration, or NULL for the defaults.
 * @param out
 *   Receives the wheel on success.
 * @return
 *   - 0 on success.
 *   - -EINVAL if *out* is NULL.
 *   - -ENOMEM if memory is short.
 */
int px_timer_wheel_create(const struct px_timer_wheel_conf *conf,
		struct px_timer_wheel **out);

/**
 * Free a wheel. Timers still armed are forgotten (not fired); their nodes
 * stay owned by the caller and still read as armed: px_timer_init() them
 * before arming them again.
 *
 * @param w
 *   The wheel, or NULL (no-op).
 */
void px_timer_wheel_free(struct px_timer_wheel *w);

/**
 * Prepare a timer node for first use (equivalent to zeroing it).
 *
 * @param tim
 *   The caller-owned node.
 */
void px_timer_init(struct px_timer *tim);

/**
 * Arm a timer to fire *delay* cycles after the wheel's current time (the
 * TSC value of the last px_timer_wheel_advance(), or the start time). O(1).
 * That time can lag the TSC: an executor advances its wheel once per loop
 * iteration, so from inside a task it is as old as the task slices run
 * since, milliseconds on a slow or busy machine, and the timer would fire
 * that much early. To wait *delay* from now, use
 * px_timer_arm_at(w, tim, rte_rdtsc() + delay, cb, arg).
 *
 * @param w
 *   Wheel owned by the calling lcore.
 * @param tim
 *   Caller-owned timer; must not be armed.
 * @param delay
 *   Delay in TSC cycles; the expiry is rounded up to a tick boundary
 *   (ticks are counted from the wheel's start time).
 * @param cb
 *   Callback run once on expiry; must not be NULL.
 * @param arg
 *   Argument for *cb*.
 * @return
 *   - 0 on success.
 *   - -EINVAL if *w*, *tim* or *cb* is NULL.
 *   - -EBUSY if *tim* is already armed.
 *   - -ERANGE if *delay* exceeds the horizon (px_timer_wheel_horizon()).
 *   Checked in that order.
 */
int px_timer_arm(struct px_timer_wheel *w, struct px_timer *tim,
		uint64_t delay, px_timer_cb_t cb, void *arg);

/**
 * Arm a timer to fire at absolute TSC time *expire*, rounded up to a tick
 * boundary. An expiry at or before the start of the wheel's current tick
 * (so any expiry in the past) fires at the next advance, whatever its *now*.
 *
 * @return
 *   As px_timer_arm(); -ERANGE if *expire* is more than the horizon after
 *   the wheel's current time.
 */
int px_timer_arm_at(struct px_timer_wheel *w, struct px_timer *tim,
		uint64_t expire, px_timer_cb_t cb, void *arg);

/**
 * Cancel an armed timer; its callback will not run. O(1). A callback may
 * cancel any timer, including one due in the same advance.
 *
 * @param w
 *   The wheel the timer is armed on.
 * @param tim
 *   The timer.
 * @return
 *   - 0 on success.
 *   - -EINVAL if *w* or *tim* is NULL.
 *   - -ENOENT if *tim* is not armed (never armed, already fired, or
 *     already cancelled).
 */
int px_timer_cancel(struct px_timer_wheel *w, struct px_timer *tim);

/**
 * Tell whether a timer is armed (waiting to fire).
 *
 * @param tim
 *   The timer.
 * @return
 *   true if armed.
 */
bool px_timer_is_armed(const struct px_timer *tim);

/**
 * Move the wheel's time to *now* and run the callback of every timer whose
 * expiry is at or before the start of the current tick: a timer fires in
 * the first advance whose *now* reaches its expiry rounded up to a tick
 * boundary, so never early and, if advance runs every tick, less than one
 * tick late. Timers armed for a tick the wheel had already reached fire in
 * the next advance, whatever its *now*.
 *
 * Order: a timer's effective tick is the later of its rounded expiry and
 * the wheel's tick when it was armed (for an arm from a callback, the tick
 * being run). Timers fire by effective tick, and in arming order within a
 * tick.
 *
 * A callback may arm or cancel any timer, itself included; a timer it arms
 * for a tick this call reaches fires in this same call (so a callback that
 * re-arms itself with delay 0 on a tick boundary never lets it return).
 * During callbacks px_timer_wheel_now() returns *now*. A *now* earlier than
 * the wheel's time counts as the wheel's time (the wheel never goes back).
 * A call from a callback does nothing and returns 0.
 *
 * Cost: O(levels + timers fired or cascaded), whatever the time elapsed.
 *
 * @param w
 *   The wheel.
 * @param now
 *   Current TSC value, usually rte_rdtsc().
 * @return
 *   The number of callbacks run.
 */
unsigned int px_timer_wheel_advance(struct px_timer_wheel *w, uint64_t now);

/**
 * TSC time at or after which the next timer is due, so an idle loop knows
 * how long it may sleep: no advance to an earlier *now* fires a timer.
 * It is the exact firing time (expiry rounded up to a tick) when the next
 * timer is due within the current 64-tick span; for a timer on a coarser
 * level it may be earlier (a cascade point; ask again after advancing to
 * it), never later. At or before the wheel's time when a timer is already
 * due. O(1).
 *
 * @param w
 *   The wheel.
 * @return
 *   The TSC value, or UINT64_MAX when no timer is armed.
 */
uint64_t px_timer_wheel_next_expiry(const struct px_timer_wheel *w);

/**
 * Number of timers armed on the wheel.
 */
uint64_t px_timer_wheel_count(const struct px_timer_wheel *w);

/**
 * Longest delay px_timer_arm() accepts, in TSC cycles.
 */
uint64_t px_timer_wheel_horizon(const struct px_timer_wheel *w);

/**
 * The wheel's tick in TSC cycles.
 */
uint64_t px_timer_wheel_tick(const struct px_timer_wheel *w);

/**
 * The wheel's current time: the *now* of the last advance (or the start).
 */
uint64_t px_timer_wheel_now(const struct px_timer_wheel *w);

#ifdef __cplusplus
}
#endif
#endif /* _PX_TIMER_H_ */
