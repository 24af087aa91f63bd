/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#ifndef _PX_TIMER_CORE_H_
#define _PX_TIMER_CORE_H_

/**
 * @file
 * The timer node callers embed in their own structures (a TCB, a task).
 * Included through px_timer.h; do not touch the fields directly.
 */

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct px_timer;

/** Expiry callback: runs on the wheel's lcore from px_timer_wheel_advance(). */
typedef void (*px_timer_cb_t)(struct px_timer *tim, void *arg);

/**
 * Intrusive timer node. Zero it (or call px_timer_init()) once before the
 * first arm; the wheel never allocates per timer.
 */
struct px_timer {
	struct px_timer *next;  /**< slot list link (NULL when not armed) */
	struct px_timer **pprev; /**< slot list back link (NULL when not armed) */
	uint64_t expire;        /**< absolute expiry, TSC cycles */
	px_timer_cb_t cb;       /**< callback */
	void *arg;              /**< callback argument */
	uint32_t slot;          /**< list: level * 64 + slot, or the due list */
	uint32_t flags;         /**< internal */
};

#ifdef __cplusplus
}
#endif
#endif /* _PX_TIMER_CORE_H_ */
