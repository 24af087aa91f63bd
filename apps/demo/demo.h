/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#ifndef _DEMO_H_
#define _DEMO_H_

#include <stdint.h>

struct demo_opts {
	uint32_t tasks;     /* sleeping tasks per lcore */
	uint32_t items;     /* channel items per producer lcore */
	uint32_t rounds;    /* remote spawn round trips */
	uint32_t sleep_us;  /* sleep of each sleeping task */
};

/* The demo's main task: returns NULL on success. */
void *demo_main(void *arg);

#endif /* _DEMO_H_ */
