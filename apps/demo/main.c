/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * pollux-demo: exercises the runtime on every lcore and prints what it
 * measured. Usage: pollux-demo [EAL args] -- [options]; see --help.
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>

#include <px_exec.h>
#include <px_task.h>

#include "demo.h"

static void
usage(const char *prog)
{
	printf("usage: %s [EAL args] -- [options]\n"
		"  --tasks N       sleeping tasks per lcore (default 2000)\n"
		"  --sleep-us N    how long each of them sleeps (default 1000)\n"
		"  --items N       channel items each worker lcore sends (default 1000000)\n"
		"  --rounds N      remote spawn+join round trips (default 10000)\n"
		"  --idle MODE     busy | adaptive (default adaptive)\n"
		"  --help          this text\n"
		"Example: %s --no-pci --no-huge -m 512 --lcores=0@0,1@1,2@0 -- --tasks 1000\n",
		prog, prog);
}

static int
parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	if (*s == '\0' || *end != '\0' || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "tasks", required_argument, NULL, 't' },
		{ "sleep-us", required_argument, NULL, 's' },
		{ "items", required_argument, NULL, 'i' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "idle", required_argument, NULL, 'I' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct demo_opts o = { .tasks = 2000, .items = 1000000, .rounds = 10000,
		.sleep_us = 1000 };
	struct px_conf conf = { .idle = PX_IDLE_ADAPTIVE };
	void *res = NULL;
	int i, ret, c, idx = 0;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(argv[0]);
			return 0;
		}
	ret = px_init(argc, argv, &conf);
	if (ret < 0) {
		fprintf(stderr, "pollux-demo: runtime start failed: %s\n",
			strerror(-ret));
		return 1;
	}
	argc -= ret;
	argv += ret;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, &idx)) != -1) {
		uint32_t *dst = NULL;

		switch (c) {
		case 't': dst = &o.tasks; break;
		case 's': dst = &o.sleep_us; break;
		case 'i': dst = &o.items; break;
		case 'r': dst = &o.rounds; break;
		case 'I':
			/* The idle policy is fixed at px_init(); restart with it. */
			if (strcmp(optarg, "busy") != 0 && strcmp(optarg, "adaptive") != 0) {
				fprintf(stderr, "pollux-demo: --idle takes busy or adaptive\n");
				px_fini(true);
				return 2;
			}
			px_fini(false);
			conf.idle = strcmp(optarg, "busy") == 0 ? PX_IDLE_BUSY :
				PX_IDLE_ADAPTIVE;
			ret = px_init_after_eal(&conf);
			if (ret < 0) {
				fprintf(stderr, "pollux-demo: %s\n", strerror(-ret));
				return 1;
			}
			break;
		case 'h':
			usage(argv[0]);
			px_fini(true);
			return 0;
		default:
			usage(argv[0]);
			px_fini(true);
			return 2;
		}
		if (dst != NULL && parse_u32(optarg, dst) != 0) {
			fprintf(stderr, "pollux-demo: bad number '%s' for --%s\n",
				optarg, longopts[idx].name);
			px_fini(true);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "pollux-demo: unexpected argument '%s'\n", argv[optind]);
		px_fini(true);
		return 2;
	}
	ret = px_run(demo_main, &o, &res);
	printf("\nexecutor counters:\n");
	px_exec_stats_dump(stdout);
	px_fini(true);
	if (ret != 0 || res != NULL) {
		fprintf(stderr, "pollux-demo: FAILED (%s)\n",
			res != NULL ? (const char *)res : strerror(-ret));
		return 1;
	}
	printf("pollux-demo: OK\n");
	return 0;
}
