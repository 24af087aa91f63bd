/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#ifndef _TEST_EXEC_H_
#define _TEST_EXEC_H_

/* Helpers for tests that run inside Pollux tasks: a task cannot return
 * TEST_FAILED to the runner, so a failed check records where it failed
 * and the main task returns that to px_run(). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <px_exec.h>
#include <px_task.h>

#include "test.h"

extern volatile int texec_fail_line;
extern const char *volatile texec_fail_what;

#define T_CHECK(cond) do { \
		if (!(cond)) { \
			if (texec_fail_line == 0) { \
				texec_fail_line = __LINE__; \
				texec_fail_what = #cond; \
			} \
			printf("CHECK FAILED %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			return (void *)(intptr_t)-1; \
		} \
	} while (0)

#define T_EQ(a, b) do { \
		long long a_ = (long long)(a), b_ = (long long)(b); \
		if (a_ != b_) { \
			printf("  %s = %lld, %s = %lld\n", #a, a_, #b, b_); \
			T_CHECK(#a " == " #b && 0); \
		} \
	} while (0)

/* Sub-case inside a task: run fn, stop at its failure. With
 * PX_TEST_CASE=name in the environment, only that sub-case runs (the
 * others print "skipped"; for a quick loop on one case). */
#define T_RUN(fn_) do { \
		const char *only_ = getenv("PX_TEST_CASE"); \
		void *r_; \
		if (only_ != NULL && strcmp(only_, #fn_) != 0) { \
			printf("  %s skipped\n", #fn_); \
			break; \
		} \
		r_ = (fn_)(); \
		if (r_ != NULL) { \
			printf("  sub-case %s failed\n", #fn_); \
			return r_; \
		} \
		printf("  %s ok\n", #fn_); \
	} while (0)

/* Start the runtime (adaptive idle), run main_fn as the main task, stop. */
int texec_run(const struct px_conf *conf, px_task_fn_t main_fn);

#endif /* _TEST_EXEC_H_ */
