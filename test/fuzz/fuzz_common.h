/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#ifndef _FUZZ_COMMON_H_
#define _FUZZ_COMMON_H_

/* What the fuzz targets share: starting the runtime on one lcore without
 * hugepages, and giving everything back at exit so LeakSanitizer's check
 * (which runs after the atexit handlers) sees no runtime-lifetime object
 * as leaked. */

#include <stdint.h>
#include <stdlib.h>

#include <rte_mempool.h>

#include <px_exec.h>
#include <px_inet.h>
#include <px_tcp.h>

static struct rte_mempool *fuzz_mp;
static struct px_netif *fuzz_nif;

static void
fuzz_teardown(void)
{
	px_tcp_detach(fuzz_nif);
	px_netif_free(fuzz_nif);
	rte_mempool_free(fuzz_mp);
	px_fini(true);
}

/* Start the runtime (EAL file prefix: the target's name) or abort. */
static void
fuzz_runtime_init(const char *prefix)
{
	static char pfx[64];
	static char *argv[] = { (char *)(uintptr_t)"fuzz", (char *)(uintptr_t)"--no-huge",
		(char *)(uintptr_t)"-m", (char *)(uintptr_t)"256",
		(char *)(uintptr_t)"--no-pci", (char *)(uintptr_t)"--no-telemetry",
		(char *)(uintptr_t)"-l", (char *)(uintptr_t)"0", pfx,
		(char *)(uintptr_t)"--log-level=*:error", NULL };

	snprintf(pfx, sizeof(pfx), "--file-prefix=%s", prefix);
	if (px_init(10, argv, NULL) < 0)
		abort();
	atexit(fuzz_teardown);
}

#endif /* _FUZZ_COMMON_H_ */
