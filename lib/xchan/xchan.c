/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_ring.h>

#include "px_log.h"
#include "px_xchan.h"

PX_LOG_REGISTER(xchan);

int
px_xchan_create(const char *name, unsigned int size, int socket_id,
		unsigned int flags, struct px_xchan **out)
{
	struct px_xchan *ch;
	unsigned int rflags = RING_F_SC_DEQ;
	int ret;

	if (name == NULL || out == NULL || !rte_is_power_of_2(size) || size < 2)
		return -EINVAL;
	if (flags & PX_XCHAN_F_SP)
		rflags |= RING_F_SP_ENQ;
	else if (flags & PX_XCHAN_F_RTS)
		rflags |= RING_F_MP_RTS_ENQ; /* see PX_XCHAN_F_RTS */

	ch = rte_zmalloc_socket(name, sizeof(*ch), RTE_CACHE_LINE_SIZE, socket_id);
	if (ch == NULL)
		return -ENOMEM;
	/* RING_F_EXACT_SZ: the capacity is what the caller asked, not size-1. */
	ch->ring = rte_ring_create_elem(name, sizeof(struct px_msg), size,
			socket_id, rflags | RING_F_EXACT_SZ);
	if (ch->ring == NULL) {
		ret = -rte_errno; /* rte_errno is positive; we return -errno */
		PX_LOG(ERR, xchan, "ring %s: %s", name, rte_strerror(rte_errno));
		goto err_free;
	}
	*out = ch;
	return 0;

err_free:
	rte_free(ch);
	return ret;
}

void
px_xchan_free(struct px_xchan *ch)
{
	if (ch == NULL)
		return;
	rte_ring_free(ch->ring);
	rte_free(ch);
}

void
px__xchan_note_full(struct px_xchan *ch, unsigned int refused)
{
	/* Several producers may hit a full ring at once: relaxed atomics are
	 * enough for counters nobody orders against. */
	__atomic_fetch_add(&ch->full, refused, __ATOMIC_RELAXED);
	__atomic_fetch_add(&ch->full_events, 1, __ATOMIC_RELAXED);
}
