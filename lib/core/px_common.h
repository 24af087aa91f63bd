/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#ifndef _PX_COMMON_H_
#define _PX_COMMON_H_

/**
 * @file
 * Small helpers every Pollux library uses: branch hints, cache alignment,
 * container_of and the version string. DPDK already defines most of these;
 * this header only adds what it lacks so Pollux code reads one way.
 */

#include <stdint.h>
#include <stddef.h>

#include <rte_common.h>
#include <rte_branch_prediction.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Most executors (lcores running Pollux) one process may have. */
#ifndef PX_MAX_LCORES
#define PX_MAX_LCORES 64
#endif

/** Version of the Pollux libraries, "major.minor.patch". */
#define PX_VERSION "0.1.0"

/** Number of elements of a fixed-size array. */
#define PX_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/**
 * Return the Pollux version string (the same as PX_VERSION, but read from
 * the library actually linked, so a program can check for a mismatch).
 *
 * @return
 *   A static NUL-terminated string; never NULL.
 */
const char *px_version(void);

#ifdef __cplusplus
}
#endif
#endif /* _PX_COMMON_H_ */
