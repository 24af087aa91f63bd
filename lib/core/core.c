/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#include <rte_log.h>

#include "px_common.h"
#include "px_log.h"

PX_LOG_REGISTER(core);

const char *
px_version(void)
{
	return PX_VERSION;
}
