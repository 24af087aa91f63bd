/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#ifndef _PX_TEL_H_
#define _PX_TEL_H_

/**
 * @file
 * Helpers for Pollux's rte_telemetry endpoints ("/pollux/..."; read them
 * with dpdk-telemetry.py). Telemetry callbacks run on DPDK's telemetry
 * threads, never on an lcore: they read counters with relaxed loads and
 * take the lock below against the teardown of what they read. Control
 * path only.
 */

#include <stdint.h>

#include <rte_telemetry.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Take the lock telemetry callbacks hold while they read a Pollux object;
 * code that frees such an object (an interface, a port, the executors)
 * takes it around the free. A plain mutex: never on the data path.
 */
void px_tel_lock(void);

/** Release the lock taken by px_tel_lock(). */
void px_tel_unlock(void);

/**
 * Register a telemetry command once per process: a second registration
 * of the same name (a second px_init() in one process) is not an error.
 *
 * @return 0, or the negative errno rte_telemetry_register_cmd() gave.
 */
int px_tel_register(const char *cmd, telemetry_cb fn, const char *help);

/**
 * Fill *d* with counters as a dict: names[i] → v[i] for i < n. Names
 * "block.name" become one sub-dict per block ({"ip": {"rx": 1, ...}}),
 * plain names stay flat; blocks must be contiguous in *names*.
 *
 * @return 0, or -ENOMEM (a sub-dict could not be allocated) or -ENOSPC
 *   (more than RTE_TEL_MAX_DICT_ENTRIES entries).
 */
int px_tel_counters(struct rte_tel_data *d, const char *const *names,
		const uint64_t *v, unsigned int n);

/**
 * Add to dict *d* an array *name* holding the lines of *text* (cut at
 * RTE_TEL_MAX_STRING_LEN - 1 characters, at most
 * RTE_TEL_MAX_ARRAY_ENTRIES of them). *text* is split in place.
 *
 * @return 0, -ENOMEM or -ENOSPC.
 */
int px_tel_lines(struct rte_tel_data *d, const char *name, char *text);

/** Objects of one kind that telemetry can name. */
#define PX_TEL_OBJS_MAX 8

/**
 * The objects of one kind (interfaces, ports) that telemetry commands
 * name by index ("/pollux/inet,1"): slot i is the i-th still alive, in
 * creation order. Static storage, zero-initialised.
 */
struct px_tel_objs {
	void *obj[PX_TEL_OBJS_MAX];
};

/**
 * Add an object to the first free slot (it takes the lock).
 *
 * @return its index, or -ENOSPC (it stays out of telemetry).
 */
int px_tel_obj_add(struct px_tel_objs *t, void *obj);

/** Remove an object (it takes the lock); call before freeing it. */
void px_tel_obj_del(struct px_tel_objs *t, void *obj);

/**
 * The object a telemetry parameter names ("" or NULL: index 0; "N"),
 * or NULL. Call with px_tel_lock() held, for as long as it is used.
 */
void *px_tel_obj_get(const struct px_tel_objs *t, const char *params);

#ifdef __cplusplus
}
#endif
#endif /* _PX_TEL_H_ */
