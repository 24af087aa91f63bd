/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * pollux-echo's TCP services, one task per connection on the lcore the
 * flow lands on: byte echo (zero copy), a sockperf server, discard (a
 * bulk sink) and chargen (a bulk source); a client that streams a
 * pattern to an echo server and checks every byte that comes back; and a
 * closed-loop request-response load (--tcp-rr, on the load generator
 * pollux-bench uses).
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include <px_exec.h>
#include <px_task.h>
#include <px_tcp.h>

#include "load.h"
#include "tcp_echo.h"

static struct px_tcp_listener *listeners[ECHO_TCP_SVC_MAX][ECHO_TCP_MAX_PORTS];
static const struct echo_tcp_opts *topts;
static const struct px_task_opts detached = { .flags = PX_TASK_F_DETACHED };

static void *
svc_echo(void *arg)
{
	struct px_tcp_conn *c = arg;
	struct rte_mbuf *m;

	/* Zero copy both ways: the received mbufs are queued for sending. */
	while (px_tcp_recv_mbuf(c, &m, PX_TIMEOUT_INF) == 0 && m != NULL)
		if (px_tcp_send_mbuf(c, m, PX_TIMEOUT_INF) < 0)
			break;
	px_tcp_close(c);
	return NULL;
}

/* sockperf's framing: seq(8) flags(2, big endian) len(4, big endian,
 * the whole message). A message whose flags ask for a reply (bit 1) is
 * returned with the client bit (bit 0) cleared; others (throughput
 * mode) are consumed. */
#define SP_HDR 14

static void *
svc_sockperf(void *arg)
{
	struct px_tcp_conn *c = arg;
	uint8_t *in = malloc(1 << 17), *out = malloc(1 << 17);
	size_t have = 0, off, nout;
	uint32_t len;
	ssize_t n;

	if (in == NULL || out == NULL)
		goto done;
	for (;;) {
		n = px_tcp_read(c, in + have, (1 << 17) - have, PX_TIMEOUT_INF);
		if (n <= 0)
			break;
		have += (size_t)n;
		off = 0;
		nout = 0;
		while (have - off >= SP_HDR) {
			len = (uint32_t)in[off + 10] << 24 | (uint32_t)in[off + 11] << 16 |
				(uint32_t)in[off + 12] << 8 | in[off + 13];
			if (len < SP_HDR || len > 65536) {
				n = -EPROTO;
				break;
			}
			if (have - off < len)
				break;
			if (in[off + 9] & 0x02) {
				memcpy(out + nout, in + off, len);
				out[nout + 9] &= (uint8_t)~0x01;
				nout += len;
			}
			off += len;
		}
		if (n < 0)
			break;
		if (nout > 0 && px_tcp_write(c, out, nout, PX_TIMEOUT_INF) != (ssize_t)nout)
			break;
		memmove(in, in + off, have - off);
		have -= off;
	}
done:
	free(in);
	free(out);
	px_tcp_close(c);
	return NULL;
}

static void *
svc_discard(void *arg)
{
	struct px_tcp_conn *c = arg;
	struct rte_mbuf *m;

	while (px_tcp_recv_mbuf(c, &m, PX_TIMEOUT_INF) == 0 && m != NULL)
		rte_pktmbuf_free(m);
	px_tcp_close(c);
	return NULL;
}

static uint8_t
pattern(uint64_t i)
{
	return (uint8_t)(i * 131 + (i >> 8) * 7 + (i >> 16));
}

static void *
svc_chargen(void *arg)
{
	struct px_tcp_conn *c = arg;
	uint8_t buf[16384];
	uint64_t pos = 0;
	size_t i;

	for (;;) {
		for (i = 0; i < sizeof(buf); i++)
			buf[i] = pattern(pos + i);
		if (px_tcp_write(c, buf, sizeof(buf), PX_TIMEOUT_INF) !=
				(ssize_t)sizeof(buf))
			break;
		pos += sizeof(buf);
	}
	px_tcp_abort(c);
	return NULL;
}

static const px_task_fn_t svc_fn[ECHO_TCP_SVC_MAX] = {
	svc_echo, svc_sockperf, svc_discard, svc_chargen,
};

struct acceptor {
	struct px_tcp_listener *l;
	px_task_fn_t fn;
};

static void *
acceptor(void *arg)
{
	struct acceptor a = *(struct acceptor *)arg;
	struct px_tcp_conn *c;

	free(arg);
	while (px_tcp_accept(a.l, &c, PX_TIMEOUT_INF) == 0) {
		if (topts->nodelay)
			px_tcp_setopt(c, PX_TCP_OPT_NODELAY, 1);
		if (px_spawn(a.fn, c, &detached, NULL) != 0)
			px_tcp_abort(c);
	}
	return NULL;
}

int
echo_tcp_listen(struct px_netif *nif, const struct echo_tcp_opts *o)
{
	unsigned int s, k;
	int ret;

	topts = o;
	for (s = 0; s < ECHO_TCP_SVC_MAX; s++)
		for (k = 0; k < o->n_ports[s]; k++) {
			ret = px_tcp_listen(nif, o->ports[s][k], o->backlog,
					&listeners[s][k]);
			if (ret < 0)
				return ret;
		}
	return 0;
}

int
echo_tcp_lcore_start(void)
{
	struct acceptor *a;
	unsigned int s, k;

	for (s = 0; s < ECHO_TCP_SVC_MAX; s++)
		for (k = 0; k < topts->n_ports[s]; k++) {
			a = malloc(sizeof(*a));
			if (a == NULL)
				return -ENOMEM;
			a->l = listeners[s][k];
			a->fn = svc_fn[s];
			if (px_spawn(acceptor, a, &detached, NULL) != 0) {
				free(a);
				return -EAGAIN;
			}
		}
	return 0;
}

void
echo_tcp_stop(void)
{
	unsigned int s, k;

	for (s = 0; s < ECHO_TCP_SVC_MAX; s++)
		for (k = 0; k < ECHO_TCP_MAX_PORTS; k++)
			if (listeners[s][k] != NULL)
				px_tcp_listener_close(listeners[s][k]);
}

/* ---- client ---- */

struct sender {
	struct px_tcp_conn *c;
	uint64_t bytes;
	ssize_t err;
};

static void *
client_send(void *arg)
{
	struct sender *s = arg;
	uint8_t buf[16384];
	uint64_t pos = 0;
	size_t i, n;
	ssize_t w;

	while (pos < s->bytes) {
		n = (size_t)RTE_MIN((uint64_t)sizeof(buf), s->bytes - pos);
		for (i = 0; i < n; i++)
			buf[i] = pattern(pos + i);
		w = px_tcp_write(s->c, buf, n, PX_TIMEOUT_INF);
		if (w != (ssize_t)n) {
			s->err = w < 0 ? w : -EIO;
			return NULL;
		}
		pos += n;
	}
	s->err = px_tcp_shutdown(s->c);
	return NULL;
}

struct client_job {
	struct px_netif *nif;
	uint32_t ip;
	uint16_t port;
	uint64_t bytes, deadline;
	/* results */
	uint64_t got, bad, retrans;
	unsigned int lcore_id;
	int ret;
};

/* One connection: stream, read back, check. Runs on its own lcore. */
static void *
client_one(void *arg)
{
	struct client_job *j = arg;
	struct px_tcp_info inf;
	struct px_tcp_conn *c;
	struct sender s = { 0 };
	struct px_task *t;
	uint8_t buf[16384];
	ssize_t n, i;
	int ret;

	j->lcore_id = rte_lcore_id();
	ret = px_tcp_connect(j->nif, j->ip, j->port, 5000000000ull, &c);
	if (ret < 0) {
		printf("tcp-client: connect: %s\n", strerror(-ret));
		j->ret = ret;
		return NULL;
	}
	s.c = c;
	s.bytes = j->bytes;
	ret = px_spawn(client_send, &s, NULL, &t);
	if (ret < 0) {
		px_tcp_abort(c);
		j->ret = ret;
		return NULL;
	}
	while (rte_rdtsc() < j->deadline) {
		n = px_tcp_read(c, buf, sizeof(buf), 1000000000ull);
		if (n == -ETIMEDOUT)
			continue;
		if (n <= 0)
			break;
		for (i = 0; i < n; i++)
			if (buf[i] != pattern(j->got + (uint64_t)i))
				j->bad++;
		j->got += (uint64_t)n;
	}
	px_tcp_info(c, &inf);
	j->retrans = inf.retrans;
	if (rte_rdtsc() >= j->deadline) {
		/* Out of time: what this lcore's connections are doing. */
		printf("tcp-client: timed out with %" PRIu64 " of %" PRIu64
			" bytes back; lcore %u:\n", j->got, j->bytes, j->lcore_id);
		px_tcp_dump(j->nif, stdout);
		fflush(stdout);
		px_task_cancel(t);
	}
	px_task_join(t, NULL, PX_TIMEOUT_INF);
	px_tcp_close(c);
	j->ret = j->got == j->bytes && j->bad == 0 && s.err == 0 ? 0 : -EIO;
	return NULL;
}

int
echo_tcp_client(struct px_netif *nif, uint32_t ip, uint16_t port,
		uint64_t bytes, uint64_t timeout_ms, unsigned int conns)
{
	struct client_job *jobs;
	struct px_task **tasks;
	uint64_t t0, got = 0, bad = 0, retrans = 0, lcore_mask = 0;
	unsigned int k, n = px_exec_count(), failed = 0;
	double secs;

	if (conns == 0)
		conns = 1;
	jobs = calloc(conns, sizeof(*jobs));
	tasks = calloc(conns, sizeof(*tasks));
	if (jobs == NULL || tasks == NULL) {
		free(jobs);
		free(tasks);
		return -ENOMEM;
	}
	t0 = rte_rdtsc();
	/* Connections round robin over the lcores: each opens its own, so
	 * its port is chosen for the replies to land there. */
	for (k = 0; k < conns; k++) {
		jobs[k] = (struct client_job){ .nif = nif, .ip = ip, .port = port,
			.bytes = bytes / conns + (k < bytes % conns),
			.deadline = t0 + rte_get_tsc_hz() / 1000 * timeout_ms,
			.ret = -EINPROGRESS };
		if (px_spawn_on((unsigned int)px_exec_lcore(k % n), client_one,
				&jobs[k], NULL, &tasks[k]) != 0)
			tasks[k] = NULL;
	}
	for (k = 0; k < conns; k++) {
		if (tasks[k] != NULL)
			px_task_join(tasks[k], NULL, PX_TIMEOUT_INF);
		got += jobs[k].got;
		bad += jobs[k].bad;
		retrans += jobs[k].retrans;
		failed += jobs[k].ret != 0;
		if (jobs[k].ret == 0)
			lcore_mask |= 1ull << (jobs[k].lcore_id % 64);
	}
	secs = (double)(rte_rdtsc() - t0) / rte_get_tsc_hz();
	printf("tcp-client: conns=%u lcores=%u sent=%" PRIu64 " received=%" PRIu64
		" mismatched=%" PRIu64 " retrans=%" PRIu64 " seconds=%.2f mbps=%.1f %s\n",
		conns, (unsigned int)__builtin_popcountll(lcore_mask), bytes, got,
		bad, retrans, secs, secs > 0 ? got * 8 / secs / 1e6 : 0.0,
		failed == 0 && got == bytes ? "OK" : "FAILED");
	fflush(stdout);
	free(jobs);
	free(tasks);
	return failed == 0 && got == bytes ? 0 : -EIO;
}

/* ---- request-response load ---- */

int
echo_tcp_rr(struct px_netif *nif, uint32_t ip, uint16_t port, uint32_t size,
		unsigned int conns, uint64_t ms, int crr)
{
	/* The first tenth (at most a second) warms up and is not counted. */
	struct load_conf lc = { .nif = nif, .ip = ip, .port = port,
		.proto = LOAD_TCP, .crr = crr, .size = size,
		.conns = conns ? conns : 1, .warm_ms = RTE_MIN(ms / 10, 1000) };
	struct load_result r;
	int ret;

	lc.run_ms = ms - lc.warm_ms;
	ret = load_run(&lc, &r);
	printf("tcp-%s: conns=%u size=%u msgs=%" PRIu64 " seconds=%.2f rate=%.0f"
		" p50_us=%.2f p90_us=%.2f p99_us=%.2f p999_us=%.2f max_us=%.2f"
		" mismatched=%" PRIu64 " %s\n", crr ? "crr" : "rr", lc.conns, size,
		r.msgs, r.secs, r.secs > 0 ? (double)r.msgs / r.secs : 0.0,
		hist_pct_us(&r.hist, 50), hist_pct_us(&r.hist, 90),
		hist_pct_us(&r.hist, 99), hist_pct_us(&r.hist, 99.9),
		hist_max_us(&r.hist), r.mismatched, ret == 0 ? "OK" : "FAILED");
	fflush(stdout);
	return ret;
}

/* ---- bulk send ---- */

struct send_job {
	struct px_netif *nif;
	uint32_t ip;
	uint16_t port;
	uint64_t warm, end;        /* TSC: start counting, stop */
	uint64_t bytes;            /* counted after warm-up */
	uint8_t *buf;
	int ret;
};

#define SEND_CHUNK 65536

static void *
send_one(void *arg)
{
	struct send_job *j = arg;
	struct px_tcp_conn *c;
	uint8_t sink[64];
	ssize_t n;

	j->ret = px_tcp_connect(j->nif, j->ip, j->port, 5000000000ull, &c);
	if (j->ret < 0) {
		printf("tcp-send: connect: %s\n", strerror(-j->ret));
		return NULL;
	}
	while (rte_rdtsc() < j->end) {
		n = px_tcp_write(c, j->buf, SEND_CHUNK, 1000000000ull);
		if (n < 0) {
			j->ret = (int)n;
			break;
		}
		if (rte_rdtsc() >= j->warm)
			j->bytes += (uint64_t)n;
	}
	/* Half-close and wait for the peer's close: everything arrived. */
	px_tcp_shutdown(c);
	while ((n = px_tcp_read(c, sink, sizeof(sink), 5000000000ull)) > 0)
		;
	if (n < 0 && j->ret == 0)
		j->ret = (int)n;
	px_tcp_close(c);
	return NULL;
}

int
echo_tcp_send(struct px_netif *nif, uint32_t ip, uint16_t port, uint64_t ms)
{
	uint64_t hz = rte_get_tsc_hz(), t0 = rte_rdtsc();
	struct send_job j = { .nif = nif, .ip = ip, .port = port,
		.warm = t0 + RTE_MIN(hz / 10000 * ms, hz),
		.end = t0 + hz / 1000 * ms, .ret = -EINPROGRESS };
	struct px_task *t;
	double secs;

	j.buf = malloc(SEND_CHUNK);
	if (j.buf == NULL)
		return -ENOMEM;
	memset(j.buf, 'x', SEND_CHUNK);
	if (px_spawn(send_one, &j, NULL, &t) == 0)
		px_task_join(t, NULL, PX_TIMEOUT_INF);
	free(j.buf);
	secs = (double)(j.end - j.warm) / (double)hz;
	printf("tcp-send: bytes=%" PRIu64 " seconds=%.2f gbps=%.3f %s\n",
		j.bytes, secs, secs > 0 ? (double)j.bytes * 8 / secs / 1e9 : 0.0,
		j.ret == 0 && j.bytes > 0 ? "OK" : "FAILED");
	fflush(stdout);
	return j.ret == 0 && j.bytes > 0 ? 0 : -EIO;
}
