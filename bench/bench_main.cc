/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * px-bench: Google Benchmark harness with EAL. Usage:
 *   px-bench [EAL args] -- [--benchmark_* args]
 * EAL defaults to "--no-huge -m 512 --no-pci --no-telemetry --lcores=0@0,1@1"
 * when no EAL args are given. EAL starts before the benchmarks so the ones
 * that need lcores, rings or rte_timer can use them.
 */

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>

#include <benchmark/benchmark.h>

int
main(int argc, char **argv)
{
	std::vector<char *> eal, bm;
	static char dflt[][32] = {"--no-huge", "-m", "512", "--no-pci",
		"--no-telemetry", "--lcores=0@0,1@1", "--log-level=lib.eal:error"};
	int i, sep = -1;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			sep = i;
			break;
		}
	eal.push_back(argv[0]);
	bm.push_back(argv[0]);
	if (sep < 0) {
		for (auto &d : dflt)
			eal.push_back(d);
		for (i = 1; i < argc; i++)
			bm.push_back(argv[i]);
	} else {
		for (i = 1; i < sep; i++)
			eal.push_back(argv[i]);
		for (i = sep + 1; i < argc; i++)
			bm.push_back(argv[i]);
	}
	if (rte_eal_init((int)eal.size(), eal.data()) < 0) {
		fprintf(stderr, "px-bench: rte_eal_init failed: %s\n",
			rte_strerror(rte_errno));
		return 1;
	}
	int bm_argc = (int)bm.size();
	benchmark::Initialize(&bm_argc, bm.data());
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	rte_eal_cleanup();
	return 0;
}
