/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#ifndef _PX_CAPTURE_H_
#define _PX_CAPTURE_H_

/* Packet capture to pcapng, inside the port layer (px_port_capture_*()
 * are the public side, in px_port.h). */

#include <stdint.h>

#include <rte_mbuf.h>

struct px_capture;

enum { CAP_IN = 1, CAP_OUT = 2 }; /* pcapng directions */

/* Open *path* and start the writer thread. */
int capture_open(uint16_t port_id, const char *path, uint32_t snaplen,
		struct px_capture **out);
/* Copy a burst into the capture (the lcore's side: no lock, no malloc;
 * copies that find no room are counted as dropped). */
void capture_burst(struct px_capture *c, uint16_t port_id, uint16_t queue,
		struct rte_mbuf *const *pkts, uint16_t n, int dir);
/* Stop the writer, write what is queued and the statistics, close. */
void capture_close(struct px_capture *c);
/* Packets written so far and packets dropped. */
void capture_counts(const struct px_capture *c, uint64_t *packets,
		uint64_t *dropped);

/* The library's log type "pollux.port" (port.c, px_log.h). */
extern int px_logtype_port;

#endif /* _PX_CAPTURE_H_ */
