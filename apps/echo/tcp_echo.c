/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * pollux-echo's TCP services, one task per connection on the lcore the
 * flow lands on: byte echo (zero copy), a sockperf server, discard (a
 * bulk sink) and chargen (a bulk source); and a client that streams a
 * pattern to an echo server and checks every byte that comes back.
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

int
echo_tcp_client(struct px_netif *nif, uint32_t ip, uint16_t port,
		uint64_t bytes, uint64_t timeout_ms)
{
	struct px_tcp_info inf;
	struct px_tcp_conn *c;
	struct sender s = { 0 };
	struct px_task *t;
	uint8_t buf[16384];
	uint64_t got = 0, bad = 0, t0, deadline;
	double secs;
	ssize_t n, i;
	int ret;

	t0 = rte_rdtsc();
	deadline = t0 + rte_get_tsc_hz() / 1000 * timeout_ms;
	ret = px_tcp_connect(nif, ip, port, 5000000000ull, &c);
	if (ret < 0) {
		printf("tcp-client: connect: %s\n", strerror(-ret));
		fflush(stdout);
		return ret;
	}
	s.c = c;
	s.bytes = bytes;
	ret = px_spawn(client_send, &s, NULL, &t);
	if (ret < 0) {
		px_tcp_abort(c);
		return ret;
	}
	while (rte_rdtsc() < deadline) {
		n = px_tcp_read(c, buf, sizeof(buf), 1000000000ull);
		if (n == -ETIMEDOUT)
			continue;
		if (n <= 0)
			break;
		for (i = 0; i < n; i++)
			if (buf[i] != pattern(got + (uint64_t)i))
				bad++;
		got += (uint64_t)n;
	}
	px_tcp_info(c, &inf);
	if (rte_rdtsc() >= deadline)
		px_task_cancel(t);
	px_task_join(t, NULL, PX_TIMEOUT_INF);
	secs = (double)(rte_rdtsc() - t0) / rte_get_tsc_hz();
	printf("tcp-client: sent=%" PRIu64 " received=%" PRIu64 " mismatched=%"
		PRIu64 " retrans=%" PRIu64 " srtt_us=%u seconds=%.2f mbps=%.1f %s\n",
		bytes, got, bad, inf.retrans, inf.srtt_us, secs,
		secs > 0 ? got * 8 / secs / 1e6 : 0.0,
		got == bytes && bad == 0 && s.err == 0 ? "OK" : "FAILED");
	fflush(stdout);
	px_tcp_close(c);
	return got == bytes && bad == 0 && s.err == 0 ? 0 : -EIO;
}
