/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#ifndef _PX_EPOLL_UTIL_H_
#define _PX_EPOLL_UTIL_H_

/* What the epoll baselines (px-epoll-echo, px-epoll-proxy) share: bytes
 * waiting to go out on a non-blocking socket. */

#include <errno.h>
#include <stddef.h>
#include <unistd.h>

struct pending {
	char *buf;
	size_t off, len;
};

/* Write what waits in p on fd: 1 all out, 0 not yet (EAGAIN), -1 error. */
static inline int
pending_flush(int fd, struct pending *p)
{
	ssize_t n;

	while (p->off < p->len) {
		n = write(fd, p->buf + p->off, p->len - p->off);
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		p->off += (size_t)n;
	}
	p->off = p->len = 0;
	return 1;
}

#endif /* _PX_EPOLL_UTIL_H_ */
