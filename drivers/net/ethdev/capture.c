/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * pcapng capture of a port's traffic. The lcores copy each packet with
 * rte_pcapng_copy() into a pool of their own and put the copies on a
 * ring; a writer thread takes them off and writes the file, so the data
 * path never blocks on I/O. A full ring or an empty pool drops the copy,
 * never the packet, and counts it.
 */

#define ALLOW_EXPERIMENTAL_API /* rte_pcapng is experimental in 22.11 */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_pcapng.h>
#include <rte_ring.h>
#include <rte_version.h>

#include <px_common.h>
#include <px_log.h>

#include "capture.h"

#define CAP_MBUFS 8191
#define CAP_RING 4096
#define CAP_BURST 64

struct px_capture {
	rte_pcapng_t *pcap;
	struct rte_mempool *mp;
	struct rte_ring *ring;
	pthread_t writer;
	uint16_t port_id;
	uint32_t snaplen;
	volatile int stop;
	int fd;
	uint64_t start_ns;
	uint64_t written;   /* writer thread */
	uint64_t dropped;   /* lcores: relaxed atomic adds */
	uint64_t seen;
};

static uint64_t
wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static unsigned int
drain(struct px_capture *c)
{
	struct rte_mbuf *m[CAP_BURST];
	unsigned int n = rte_ring_sc_dequeue_burst(c->ring, (void **)m, CAP_BURST,
			NULL);

	if (n > 0 && rte_pcapng_write_packets(c->pcap, m, (uint16_t)n) >= 0)
		__atomic_fetch_add(&c->written, n, __ATOMIC_RELAXED);
	return n;
}

static void *
writer_main(void *arg)
{
	struct px_capture *c = arg;
	const struct timespec nap = { 0, 1000000 };

	while (!c->stop)
		if (drain(c) == 0)
			nanosleep(&nap, NULL);
	return NULL;
}

int
capture_open(uint16_t port_id, const char *path, uint32_t snaplen,
		struct px_capture **out)
{
	struct px_capture *c;
	char name[RTE_MEMPOOL_NAMESIZE], app[64];
	int ret;

	c = rte_zmalloc("px_capture", sizeof(*c), RTE_CACHE_LINE_SIZE);
	if (c == NULL)
		return -ENOMEM;
	c->port_id = port_id;
	c->snaplen = snaplen;
	c->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (c->fd < 0) {
		ret = -errno;
		PX_LOG(ERR, port, "capture: %s: %s", path, strerror(errno));
		goto err;
	}
	snprintf(name, sizeof(name), "pxcap%u", port_id);
	c->mp = rte_pktmbuf_pool_create(name, CAP_MBUFS, 256, 0,
			(uint16_t)RTE_MIN(rte_pcapng_mbuf_size(snaplen), UINT16_MAX),
			SOCKET_ID_ANY);
	snprintf(name, sizeof(name), "pxcapr%u", port_id);
	c->ring = rte_ring_create(name, CAP_RING, SOCKET_ID_ANY, RING_F_SC_DEQ);
	if (c->mp == NULL || c->ring == NULL) {
		ret = -rte_errno;
		PX_LOG(ERR, port, "capture: pool or ring: %s", rte_strerror(rte_errno));
		goto err;
	}
	snprintf(app, sizeof(app), "pollux %s (%s)", PX_VERSION, rte_version());
	c->pcap = rte_pcapng_fdopen(c->fd, NULL, NULL, app, NULL);
	if (c->pcap == NULL) {
		ret = -rte_errno;
		PX_LOG(ERR, port, "capture: %s: %s", path, rte_strerror(rte_errno));
		goto err;
	}
	c->fd = -1; /* the pcapng handle owns it now */
	c->start_ns = wall_ns();
	ret = -pthread_create(&c->writer, NULL, writer_main, c);
	if (ret != 0) {
		rte_pcapng_close(c->pcap);
		c->pcap = NULL;
		goto err;
	}
	PX_LOG(INFO, port, "port %u: capturing to %s, %u bytes a packet",
		port_id, path, snaplen);
	*out = c;
	return 0;
err:
	if (c->fd >= 0)
		close(c->fd);
	rte_ring_free(c->ring);
	rte_mempool_free(c->mp);
	rte_free(c);
	return ret;
}

void
capture_burst(struct px_capture *c, uint16_t port_id, uint16_t queue,
		struct rte_mbuf *const *pkts, uint16_t n, int dir)
{
	struct rte_mbuf *cp[CAP_BURST];
	uint64_t now = rte_rdtsc();
	unsigned int k, got, done = 0, q;

	while (done < n) {
		k = RTE_MIN((unsigned int)(n - done), (unsigned int)CAP_BURST);
		got = 0;
		for (q = 0; q < k; q++) {
			cp[got] = rte_pcapng_copy(port_id, queue, pkts[done + q],
					c->mp, c->snaplen, now,
					dir == CAP_IN ? RTE_PCAPNG_DIRECTION_IN :
					RTE_PCAPNG_DIRECTION_OUT);
			if (cp[got] != NULL)
				got++;
		}
		q = rte_ring_mp_enqueue_burst(c->ring, (void **)cp, got, NULL);
		if (q < got)
			rte_pktmbuf_free_bulk(&cp[q], got - q);
		if (q < k)
			__atomic_fetch_add(&c->dropped, k - q, __ATOMIC_RELAXED);
		done += k;
	}
	__atomic_fetch_add(&c->seen, n, __ATOMIC_RELAXED);
}

void
capture_close(struct px_capture *c)
{
	if (c == NULL)
		return;
	c->stop = 1;
	pthread_join(c->writer, NULL);
	while (drain(c) > 0)
		;
	rte_pcapng_write_stats(c->pcap, c->port_id, NULL, c->start_ns,
			wall_ns(), c->seen, c->dropped);
	rte_pcapng_close(c->pcap);
	PX_LOG(INFO, port, "port %u: capture closed, %lu packets written, "
		"%lu dropped", c->port_id, (unsigned long)c->written,
		(unsigned long)c->dropped);
	rte_ring_free(c->ring);
	rte_mempool_free(c->mp);
	rte_free(c);
}

void
capture_counts(const struct px_capture *c, uint64_t *packets, uint64_t *dropped)
{
	*packets = c != NULL ? __atomic_load_n(&c->written, __ATOMIC_RELAXED) : 0;
	*dropped = c != NULL ? __atomic_load_n(&c->dropped, __ATOMIC_RELAXED) : 0;
}
