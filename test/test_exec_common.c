/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#include <stdint.h>
#include <stdio.h>

#include "test_exec.h"

volatile int texec_fail_line;
const char *volatile texec_fail_what;

int
texec_run(const struct px_conf *conf, px_task_fn_t main_fn)
{
	struct px_conf c = { 0 };
	void *res = NULL;
	int ret;

	if (conf != NULL)
		c = *conf;
	c.idle = PX_IDLE_ADAPTIVE; /* two cores shared by several lcores */
	ret = px_init(px_test_argc, px_test_argv, &c);
	if (ret < 0) {
		printf("px_init: %d\n", ret);
		return TEST_FAILED;
	}
	ret = px_run(main_fn, NULL, &res);
	px_exec_stats_dump(stdout);
	px_fini(true);
	if (ret != 0 || res != NULL || texec_fail_line != 0) {
		printf("px_run=%d result=%p first failure at line %d (%s)\n", ret,
			res, texec_fail_line,
			texec_fail_what != NULL ? texec_fail_what : "");
		return TEST_FAILED;
	}
	return TEST_SUCCESS;
}
