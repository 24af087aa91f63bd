/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#ifndef _PX_LOG_H_
#define _PX_LOG_H_

/**
 * @file
 * Pollux log types on top of rte_log. Every library logs under its own
 * type ("pollux.exec", "pollux.tcp", ...), quiet (NOTICE) by default;
 * raise them with the EAL option --log-level=pollux.*:debug. Each library
 * registers its type in one of its own files (PX_LOG_REGISTER(tcp)) and
 * declares it in its private header (extern int px_logtype_tcp;), so this
 * header names no library. Log from the control path only: the fast path
 * counts and never prints.
 */

#include <rte_log.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Register the log type "pollux.<lib>" as px_logtype_<lib>, at NOTICE. */
#define PX_LOG_REGISTER(lib) \
	RTE_LOG_REGISTER(px_logtype_ ## lib, pollux.lib, NOTICE)

extern int px_logtype_core;  /**< "pollux.core" */

/** Log under a Pollux type: PX_LOG(ERR, exec, "bad %d", x). Adds a newline. */
#define PX_LOG(level, type, ...) \
	rte_log(RTE_LOG_ ## level, px_logtype_ ## type, \
		RTE_FMT("pollux." RTE_STR(type) ": " RTE_FMT_HEAD(__VA_ARGS__,) "\n", \
			RTE_FMT_TAIL(__VA_ARGS__,)))

#ifdef __cplusplus
}
#endif
#endif /* _PX_LOG_H_ */
