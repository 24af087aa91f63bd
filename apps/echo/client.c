/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/* pollux-echo --client: the UDP client. */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include <px_exec.h>
#include <px_inet.h>
#include <px_task.h>

#include "echo.h"

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Byte i of datagram seq's payload past its 16-byte header. */
static uint8_t
pattern(uint64_t seq, uint32_t i)
{
	return (uint8_t)(seq * 31 + i * 7);
}

int
echo_udp_client(void)
{
	static uint8_t buf[65536], rbuf[65536];
	uint64_t *rtt, sent = 0, uniq = 0, dups = 0, bad = 0, written_off = 0;
	uint64_t seq, t0, tsc, deadline;
	unsigned int self = (unsigned int)px_exec_index_self();
	struct px_udp_addr from;
	struct px_udp_sock *s = NULL;
	uint8_t *got;
	uint32_t i, cand;
	double secs;
	ssize_t n;
	int err = 0;

	/* A source port whose replies the steering brings to this lcore. */
	for (cand = 49152; cand < 65536; cand++)
		if (px_flow_owner(opts.server.ip, opts.inet.ip, opts.server.port,
				htons((uint16_t)cand), px_exec_count()) == self &&
				px_udp_open(nif, htons((uint16_t)cand), 4096, &s) == 0)
			break;
	if (s == NULL)
		return -EADDRINUSE;
	/* Connected, as a Linux client would be: only the server's
	 * datagrams come in, and an ICMP error about ours (port
	 * unreachable) ends the run with it. */
	px_udp_connect(s, &opts.server);
	rtt = calloc(opts.count, sizeof(*rtt));
	got = calloc(opts.count, 1);
	if (rtt == NULL || got == NULL) {
		free(rtt);
		free(got);
		px_udp_close(s);
		return -ENOMEM;
	}
	t0 = rte_rdtsc();
	deadline = t0 + rte_get_tsc_hz() / 1000 * opts.client_ms;
	while (err == 0 && uniq < opts.count && rte_rdtsc() < deadline) {
		while (sent < opts.count && sent - uniq - written_off < opts.window) {
			tsc = rte_rdtsc();
			memcpy(buf, &sent, 8);
			memcpy(buf + 8, &tsc, 8);
			for (i = 16; i < opts.size; i++)
				buf[i] = pattern(sent, i);
			n = px_udp_send(s, buf, opts.size);
			if (n == -ENOBUFS) {
				px_sleep_ns(100000); /* no mbuf: let tx drain */
				break;
			}
			if (n < 0) {
				err = (int)n;
				break;
			}
			sent++;
		}
		n = px_udp_recvfrom(s, rbuf, sizeof(rbuf), &from, 20000000);
		if (n == -ETIMEDOUT) {
			/* Quiet for 20 ms: what is in flight is lost (a late
			 * echo still counts); the window opens again. */
			written_off = sent - uniq;
			if (sent == opts.count)
				break;
			continue;
		}
		if (n < 0) {
			err = (int)n;
			break;
		}
		memcpy(&seq, rbuf, 8);
		memcpy(&tsc, rbuf + 8, 8);
		if ((uint32_t)n != opts.size || seq >= sent) {
			bad++;
			continue;
		}
		for (i = 16; i < opts.size; i++)
			if (rbuf[i] != pattern(seq, i))
				break;
		if (i < opts.size) {
			bad++;
			continue;
		}
		if (got[seq]) {
			dups++;
			continue;
		}
		got[seq] = 1;
		rtt[uniq++] = rte_rdtsc() - tsc;
		if (written_off > sent - uniq)
			written_off = sent - uniq;
	}
	secs = (double)(rte_rdtsc() - t0) / rte_get_tsc_hz();
	if (err != 0)
		printf("client: error: %s\n", strerror(-err));
	qsort(rtt, uniq, sizeof(*rtt), cmp_u64);
	printf("client: sent=%lu received=%lu lost=%lu duplicates=%lu mismatched=%lu "
		"rtt_p50_us=%.1f rtt_p99_us=%.1f pps=%.0f\n",
		(unsigned long)sent, (unsigned long)uniq,
		(unsigned long)(sent - uniq), (unsigned long)dups, (unsigned long)bad,
		uniq ? px_cycles_to_ns(rtt[uniq / 2]) / 1000.0 : 0.0,
		uniq ? px_cycles_to_ns(rtt[uniq * 99 / 100]) / 1000.0 : 0.0,
		secs > 0 ? (double)uniq / secs : 0.0);
	fflush(stdout);
	free(rtt);
	free(got);
	px_udp_close(s);
	return err != 0 ? err : bad == 0 ? 0 : -EIO;
}
