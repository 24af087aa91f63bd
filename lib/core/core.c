/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#include <rte_log.h>

#include "px_common.h"
#include "px_log.h"

RTE_LOG_REGISTER(px_logtype_core, pollux.core, NOTICE);
RTE_LOG_REGISTER(px_logtype_timer, pollux.timer, NOTICE);
RTE_LOG_REGISTER(px_logtype_xchan, pollux.xchan, NOTICE);
RTE_LOG_REGISTER(px_logtype_exec, pollux.exec, NOTICE);
RTE_LOG_REGISTER(px_logtype_port, pollux.port, NOTICE);
RTE_LOG_REGISTER(px_logtype_inet, pollux.inet, NOTICE);
RTE_LOG_REGISTER(px_logtype_tcp, pollux.tcp, NOTICE);

const char *
px_version(void)
{
	return PX_VERSION;
}
