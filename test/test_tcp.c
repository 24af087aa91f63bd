/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * TCP between two interfaces of one process joined by an in-memory wire
 * that can drop, duplicate and reorder (seeded): handshake, byte-exact
 * echo on a clean and a lossy wire, refused connect, half-close,
 * simultaneous close, abort, zero window, the callback API, and many
 * short connections with no leaked mbuf or connection block.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include <px_exec.h>
#include <px_inet.h>
#include <px_task.h>
#include <px_tcp.h>

#include "test_exec.h"
#include "test_frames.h"

#define WIRE 8192

struct wire {
	struct rte_mbuf *q[WIRE];
	uint64_t at[WIRE];  /* TSC from which q[i] may be delivered */
	uint32_t n;
	uint64_t delay;     /* cycles each frame spends on the wire */
	struct px_netif *to;
};

static struct rte_mempool *mp;
static struct px_netif *na, *nb;
static struct wire wa, wb; /* wa: frames A sent (to B) */
static uint32_t ip_a, ip_b;
static uint32_t loss_ppm, dup_ppm, reorder_ppm;
static uint64_t rng = 0x2545f4914f6cdd1dull;
/* Drop A's data frames with these numbers (1-based, counted from the
 * last reset of a_data_frames): exact holes for the SACK case. */
static uint32_t drop_nth[8], drop_cnt, a_data_frames;
static volatile int wire_stop;
static volatile int wire_hold; /* the wire leaves both queues alone */
static unsigned int baseline;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

/* TCP payload bytes of a frame on the wire (0 if not TCP). */
static uint32_t
tcp_payload(struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m,
			const struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
	const struct rte_tcp_hdr *th;
	uint32_t ihl = (ip->version_ihl & 0xf) * 4u;

	if (ip->next_proto_id != IPPROTO_TCP)
		return 0;
	th = (const struct rte_tcp_hdr *)((const uint8_t *)ip + ihl);
	return rte_be_to_cpu_16(ip->total_length) - ihl - (th->data_off >> 4) * 4u;
}

static uint32_t wire_chained; /* chained frames A sent (zero-copy TCP) */

static uint16_t
wire_tx(void *ctx, struct rte_mbuf **pkts, uint16_t n)
{
	struct wire *w = ctx;
	uint16_t i;

	for (i = 0; i < n; i++) {
		if (pkts[i]->nb_segs > 1) {
			/* A has multi-segment transmit on: gather the frame
			 * into one mbuf, as a NIC's DMA would. */
			struct rte_mbuf *d = rte_pktmbuf_copy(pkts[i], mp, 0,
					UINT32_MAX);

			rte_pktmbuf_free(pkts[i]);
			if (d == NULL || d->nb_segs != 1) {
				rte_pktmbuf_free(d);
				continue;
			}
			pkts[i] = d;
			wire_chained++;
		}
		if (w == &wa && drop_cnt > 0 && tcp_payload(pkts[i]) > 0) {
			uint32_t k, nth = ++a_data_frames;

			for (k = 0; k < drop_cnt && drop_nth[k] != nth; k++)
				;
			if (k < drop_cnt) {
				rte_pktmbuf_free(pkts[i]);
				continue;
			}
		}
		if (w->n >= WIRE || (loss_ppm && rnd() % 1000000 < loss_ppm)) {
			rte_pktmbuf_free(pkts[i]);
			continue;
		}
		w->at[w->n] = rte_rdtsc() + w->delay;
		w->q[w->n++] = pkts[i];
		if (dup_ppm && rnd() % 1000000 < dup_ppm && w->n < WIRE) {
			struct rte_mbuf *d = rte_pktmbuf_copy(pkts[i], mp, 0, UINT32_MAX);

			if (d != NULL) {
				w->at[w->n] = w->at[w->n - 1];
				w->q[w->n++] = d;
			}
		}
		if (reorder_ppm && w->n >= 2 && rnd() % 1000000 < reorder_ppm) {
			struct rte_mbuf *t = w->q[w->n - 1];

			w->q[w->n - 1] = w->q[w->n - 2];
			w->q[w->n - 2] = t;
		}
	}
	return n;
}

/* Deliver the frames whose time has come (all of them with force). */
static unsigned int
wire_deliver_at(struct wire *w, int force)
{
	static struct rte_mbuf *batch[WIRE];
	uint64_t now = rte_rdtsc();
	uint32_t n = 0, i;

	/* Frames enter with the same delay, so due ones are a prefix (a
	 * reorder swaps two neighbours: close enough). */
	while (n < w->n && (force || w->at[n] <= now))
		n++;
	if (n == 0)
		return 0;
	memcpy(batch, w->q, n * sizeof(batch[0]));
	memmove(w->q, w->q + n, (w->n - n) * sizeof(w->q[0]));
	memmove(w->at, w->at + n, (w->n - n) * sizeof(w->at[0]));
	w->n -= n;
	for (i = 0; i < n; i += 32)
		px_netif_input(w->to, &batch[i], (uint16_t)RTE_MIN(32u, n - i));
	return n;
}

static unsigned int
wire_deliver(struct wire *w)
{
	return wire_deliver_at(w, 0);
}

/* The wire is a poll hook, as a NIC's rx queue is: frames on it are
 * taken in at the start of a loop iteration, before the timer wheel
 * advances. (As a task it ran after the timers, so an lcore preempted
 * for longer than the RTO, a busy machine's normal, fired the RTO with
 * the ACK already on the wire.) */
static unsigned int
wire_poll(void *ctx)
{
	RTE_SET_USED(ctx);
	if (wire_stop || wire_hold)
		return 0;
	return wire_deliver(&wa) + wire_deliver(&wb);
}

static void
fill(uint8_t *p, size_t n, uint32_t seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

/* ---- echo server task ---- */

static struct px_tcp_listener *lst;

static void *
echo_conn(void *arg)
{
	struct px_tcp_conn *c = arg;
	static __thread uint8_t buf[16384];
	ssize_t n, w;

	for (;;) {
		n = px_tcp_read(c, buf, sizeof(buf), PX_TIMEOUT_INF);
		if (n <= 0)
			break;
		w = px_tcp_write(c, buf, (size_t)n, PX_TIMEOUT_INF);
		if (w != n)
			break;
	}
	px_tcp_close(c);
	return NULL;
}

static void *
echo_server(void *arg)
{
	struct px_tcp_conn *c;

	static const struct px_task_opts det = { .flags = PX_TASK_F_DETACHED };

	RTE_SET_USED(arg);
	while (px_tcp_accept(lst, &c, PX_TIMEOUT_INF) == 0)
		if (px_spawn(echo_conn, c, &det, NULL) != 0)
			px_tcp_abort(c);
	return NULL;
}

/* Client: send len bytes, read them back, compare. */
static uint8_t txbuf[1 << 20], rxbuf[1 << 20];
static enum px_tcp_cc client_cc; /* the client side's congestion control */

struct sender {
	struct px_tcp_conn *c;
	size_t len;
	ssize_t ret;
};

static void *
send_all(void *arg)
{
	struct sender *s = arg;

	s->ret = px_tcp_write(s->c, txbuf, s->len, 30ull * 1000000000);
	return NULL;
}

static void *
echo_roundtrip(size_t len, uint32_t seed)
{
	struct px_tcp_conn *c;
	struct sender s;
	struct px_task *t;
	size_t got = 0;
	ssize_t n;

	fill(txbuf, len, seed);
	T_EQ(px_tcp_connect(na, ip_b, htons(7), 5ull * 1000000000, &c), 0);
	T_EQ(px_tcp_setopt(c, PX_TCP_OPT_CC, client_cc), 0);
	s.c = c;
	s.len = len;
	T_EQ(px_spawn(send_all, &s, NULL, &t), 0);
	while (got < len) {
		n = px_tcp_read(c, rxbuf + got, len - got, 30ull * 1000000000);
		if (n <= 0) {
			printf("  read returned %zd after %zu bytes\n", n, got);
			T_CHECK(n > 0);
		}
		got += (size_t)n;
	}
	T_EQ(px_task_join(t, NULL, PX_TIMEOUT_INF), 0);
	T_EQ(s.ret, (ssize_t)len);
	T_CHECK(memcmp(txbuf, rxbuf, len) == 0);
	T_EQ(px_tcp_shutdown(c), 0);
	T_EQ(px_tcp_read(c, rxbuf, 1, 5ull * 1000000000), 0); /* EOF */
	T_EQ(px_tcp_close(c), 0);
	return NULL;
}

static int
settle(void)
{
	int i;

	/* Let FINs, ACKs and the delayed-ACK timers play out. */
	for (i = 0; i < 50; i++)
		px_sleep_ns(1000000);
	return 0;
}

static void *
case_handshake_opts(void)
{
	struct px_tcp_conn *c;
	struct px_tcp_info inf;

	T_EQ(px_tcp_connect(na, ip_b, htons(7), 1000000000ull, &c), 0);
	T_EQ(px_tcp_info(c, &inf), 0);
	T_EQ(inf.state, PX_TCP_ESTABLISHED);
	T_CHECK(inf.ts && inf.sack);
	T_EQ(inf.cc, PX_TCP_CC_CUBIC); /* the default */
	T_EQ(px_tcp_setopt(c, PX_TCP_OPT_CC, PX_TCP_CC_NEWRENO), 0);
	T_EQ(px_tcp_info(c, &inf), 0);
	T_EQ(inf.cc, PX_TCP_CC_NEWRENO);
	T_EQ(px_tcp_setopt(c, PX_TCP_OPT_CC, 7), -EINVAL);
	T_CHECK(inf.snd_wscale > 0 && inf.rcv_wscale > 0);
	T_EQ(inf.mss, 1460 - 12);
	T_EQ(px_tcp_close(c), 0);
	settle();
	return NULL;
}

static void *
case_echo_clean(void)
{
	struct px_tcp_stats s0, s1;

	uint32_t chained = wire_chained;

	px_tcp_stats(na, &s0);
	if (echo_roundtrip(sizeof(txbuf), 1) != NULL)
		return (void *)-1;
	px_tcp_stats(na, &s1);
	T_EQ(s1.retrans - s0.retrans, 0);
	T_CHECK(s1.bytes_in - s0.bytes_in >= sizeof(txbuf));
	/* A's data went out attached, not copied: at least one segment in
	 * two of the 1 MiB (full-MSS segments over 2 KiB send mbufs). */
	T_CHECK(s1.zc_segs - s0.zc_segs >= sizeof(txbuf) / 1460 / 2);
	T_CHECK(wire_chained - chained >= s1.zc_segs - s0.zc_segs);
	settle();
	return NULL;
}

/* Half-close c, read the echo server's EOF, release c, let it settle. */
static void *
finish(struct px_tcp_conn *c)
{
	char b[1];

	T_EQ(px_tcp_shutdown(c), 0);
	T_EQ(px_tcp_read(c, b, 1, 5ull * 1000000000), 0);
	T_EQ(px_tcp_close(c), 0);
	settle();
	return NULL;
}

/* A timer armed long after the executor's last wheel advance still waits
 * its whole delay. A task that has run for 20 ms writes: the RTO it arms
 * must not be due at the next advance (it was, when TCP armed its timers
 * relative to the wheel's time of that advance: a spurious retransmission
 * on a clean link whenever a loop iteration outlasted the 5 ms RTO). The
 * wire holds the ACK; an RTO counted before rto_us has passed since the
 * write fails. */
static void *
case_rto_armed_late(void)
{
	struct px_tcp_stats s0, s1;
	struct px_tcp_info inf;
	struct px_tcp_conn *c;
	uint64_t t0, t1;
	char b[4];
	int i;

	T_EQ(px_tcp_connect(na, ip_b, htons(7), 5ull * 1000000000, &c), 0);
	for (i = 0; i < 3; i++) {
		wire_hold = 1;
		rte_delay_us_block(20000); /* a long slice: the wheel falls behind */
		px_tcp_stats(na, &s0);
		t0 = rte_rdtsc();
		T_EQ(px_tcp_write(c, "x", 1, PX_TIMEOUT_INF), 1);
		px_sleep_ns(1000); /* one loop iteration: the wheel advances */
		t1 = rte_rdtsc();
		px_tcp_stats(na, &s1);
		T_EQ(px_tcp_info(c, &inf), 0);
		if (s1.rto != s0.rto && px_cycles_to_ns(t1 - t0) <
				(uint64_t)inf.rto_us * 1000) {
			printf("  RTO fired %" PRIu64 " us after the write, rto %u us\n",
				px_cycles_to_ns(t1 - t0) / 1000, inf.rto_us);
			T_CHECK(0);
		}
		wire_hold = 0;
		T_EQ(px_tcp_read(c, b, 1, 5ull * 1000000000), 1);
	}
	return finish(c);
}

/* RFC 6298 5.7, RFC 7323 4.1 (tcp review, defect 6): an RTT far above the
 * RTO floor is learnt. B's frames reach A 30 ms late, so A's first
 * exchanges time out (5 ms floor) and resend; Karn's rule forbids timing
 * the resent data, but the ACK's echoed timestamp names the transmission
 * it answers, so A samples the 30 ms and its RTO grows past it. Later
 * exchanges go out once. (The old code took no sample and cleared the
 * back-off on that ACK: every exchange timed out, for ever.) */
static void *
case_rtt_above_floor(void)
{
	struct px_tcp_stats s0, s1;
	struct px_tcp_info inf;
	struct px_tcp_conn *c;
	char b[4];
	int i;

	T_EQ(px_tcp_connect(na, ip_b, htons(7), 5ull * 1000000000, &c), 0);
	T_EQ(px_tcp_setopt(c, PX_TCP_OPT_NODELAY, 1), 0);
	wb.delay = rte_get_tsc_hz() * 30 / 1000;
	for (i = 0; i < 10; i++) {
		if (i == 4)
			px_tcp_stats(na, &s0);
		T_EQ(px_tcp_write(c, "x", 1, PX_TIMEOUT_INF), 1);
		T_EQ(px_tcp_read(c, b, 1, 5ull * 1000000000), 1);
	}
	px_tcp_stats(na, &s1);
	T_EQ(px_tcp_info(c, &inf), 0);
	wb.delay = 0;
	T_CHECK(inf.srtt_us >= 15000); /* 1/8 of each sample, from ~0.2 ms */
	T_CHECK(inf.rto_us > 30000);
	T_EQ(s1.rto - s0.rto, 0);
	T_EQ(s1.retrans - s0.retrans, 0);
	return finish(c);
}

static void *
case_echo_lossy(void)
{
	struct px_tcp_stats a0, a1, b0, b1;
	void *r;

	px_tcp_stats(na, &a0);
	px_tcp_stats(nb, &b0);
	loss_ppm = 20000;   /* 2 % */
	dup_ppm = 10000;    /* 1 % */
	reorder_ppm = 20000;
	r = echo_roundtrip(sizeof(txbuf), 2);
	loss_ppm = dup_ppm = reorder_ppm = 0;
	if (r != NULL)
		return r;
	px_tcp_stats(na, &a1);
	px_tcp_stats(nb, &b1);
	T_CHECK(a1.retrans + b1.retrans > a0.retrans + b0.retrans);
	T_CHECK(a1.ooo_in + b1.ooo_in > a0.ooo_in + b0.ooo_in);
	T_CHECK(a1.dup_data + b1.dup_data > a0.dup_data + b0.dup_data);
	T_CHECK(a1.sack_recoveries + b1.sack_recoveries >
		a0.sack_recoveries + b0.sack_recoveries);
	/* Not asserted here: a resend chosen by the scoreboard (sack_rexmit)
	 * needs a second hole inside one recovery, which random 2 % loss left
	 * out of about one run in fifty (a flake, seen with --repeat 50);
	 * case_sack_holes makes three holes and checks it every time. */
	settle();
	return NULL;
}

/* RFC 6675: three holes in one window are each resent once, from the
 * SACK scoreboard, without a timeout, and the receiver sees no byte
 * twice. */
static void *
case_sack_holes(void)
{
	struct px_tcp_stats a0, a1, b0, b1;
	void *r;

	px_tcp_stats(na, &a0);
	px_tcp_stats(nb, &b0);
	a_data_frames = 0;
	drop_nth[0] = 3;
	drop_nth[1] = 6;
	drop_nth[2] = 9;
	drop_cnt = 3;
	r = echo_roundtrip(256 << 10, 3);
	drop_cnt = 0;
	if (r != NULL)
		return r;
	px_tcp_stats(na, &a1);
	px_tcp_stats(nb, &b1);
	T_EQ(a1.retrans - a0.retrans, 3);
	T_EQ(a1.rto - a0.rto, 0);
	T_EQ(a1.sack_recoveries - a0.sack_recoveries, 1);
	/* the first is the fast retransmit; a partial ACK may send one */
	T_CHECK(a1.sack_rexmit - a0.sack_rexmit >= 1);
	T_EQ(a1.dsack_in - a0.dsack_in, 0);
	T_EQ(b1.dup_data - b0.dup_data, 0);
	T_EQ(b1.ooo_in - b0.ooo_in > 0, 1);
	settle();
	return NULL;
}

static void *
case_refused(void)
{
	struct px_tcp_conn *c;
	struct px_tcp_stats s0, s1;

	px_tcp_stats(nb, &s0);
	T_EQ(px_tcp_connect(na, ip_b, htons(9), 1000000000ull, &c), -ECONNREFUSED);
	px_tcp_stats(nb, &s1);
	T_EQ(s1.drop_no_conn - s0.drop_no_conn, 1);
	T_EQ(s1.rst_out - s0.rst_out, 1);
	/* No route and no answer: a timeout. */
	T_EQ(px_tcp_connect(na, inet_addr("10.9.0.77"), htons(7), 20000000ull, &c),
		-ETIMEDOUT);
	return NULL;
}

/* Server side of the close cases, driven by a script. */
static int script;
static volatile int srv_result;

static void *
script_server(void *arg)
{
	struct px_tcp_conn *c;
	char b[64];
	ssize_t n;

	RTE_SET_USED(arg);
	srv_result = -1000;
	if (px_tcp_accept(lst, &c, 2000000000ull) != 0)
		return NULL;
	switch (script) {
	case 1: /* half-close: read to EOF, then answer and close */
		n = px_tcp_read(c, b, sizeof(b), 2000000000ull);
		if (n != 5 || px_tcp_read(c, b, sizeof(b), 2000000000ull) != 0)
			break;
		srv_result = (int)px_tcp_write(c, "after-eof", 9, 2000000000ull);
		break;
	case 2: /* abort */
		px_tcp_abort(c);
		srv_result = 0;
		return NULL;
	case 3: /* simultaneous close */
		n = px_tcp_read(c, b, 1, 2000000000ull);
		srv_result = (int)n;
		break;
	}
	px_tcp_close(c);
	return NULL;
}

static void *
case_half_close(void)
{
	struct px_tcp_conn *c;
	struct px_task *t;
	char b[64];

	script = 1;
	T_EQ(px_spawn(script_server, NULL, NULL, &t), 0);
	T_EQ(px_tcp_connect(na, ip_b, htons(8), 1000000000ull, &c), 0);
	T_EQ(px_tcp_write(c, "hello", 5, 1000000000ull), 5);
	T_EQ(px_tcp_shutdown(c), 0);
	T_EQ(px_tcp_write(c, "x", 1, 0), -EPIPE);
	T_EQ(px_tcp_read(c, b, sizeof(b), 2000000000ull), 9);
	T_CHECK(memcmp(b, "after-eof", 9) == 0);
	T_EQ(px_tcp_read(c, b, sizeof(b), 2000000000ull), 0);
	T_EQ(px_task_join(t, NULL, PX_TIMEOUT_INF), 0);
	T_EQ(srv_result, 9);
	T_EQ(px_tcp_close(c), 0);
	settle();
	return NULL;
}

static void *
case_abort(void)
{
	struct px_tcp_conn *c;
	struct px_task *t;
	char b[8];

	script = 2;
	T_EQ(px_spawn(script_server, NULL, NULL, &t), 0);
	T_EQ(px_tcp_connect(na, ip_b, htons(8), 1000000000ull, &c), 0);
	T_EQ(px_task_join(t, NULL, PX_TIMEOUT_INF), 0);
	T_EQ(px_tcp_read(c, b, sizeof(b), 2000000000ull), -ECONNRESET);
	T_EQ(px_tcp_write(c, b, 1, 0), -ECONNRESET);
	T_EQ(px_tcp_close(c), 0);
	return NULL;
}

static void *
case_simultaneous_close(void)
{
	struct px_tcp_conn *c;
	struct px_task *t;
	struct px_tcp_stats s0, s1;

	script = 3;
	px_tcp_stats(na, &s0);
	T_EQ(px_spawn(script_server, NULL, NULL, &t), 0);
	T_EQ(px_tcp_connect(na, ip_b, htons(8), 1000000000ull, &c), 0);
	/* Both FINs leave before either arrives: the wire delivers only
	 * when this task yields, and both closes happen first. */
	T_EQ(px_tcp_write(c, "z", 1, 0), 1);
	T_EQ(px_task_join(t, NULL, PX_TIMEOUT_INF), 0);
	T_EQ(srv_result, 1);
	T_EQ(px_tcp_close(c), 0);
	settle();
	px_tcp_stats(na, &s1);
	T_EQ(s1.rst_in - s0.rst_in, 0);
	return NULL;
}

static void *
case_zero_window(void)
{
	struct px_tcp_conn *c, *s;
	struct px_tcp_stats s0, s1;
	struct sender snd;
	struct px_task *t;
	size_t got = 0, len = 600000;
	ssize_t n;
	int i;

	fill(txbuf, len, 3);
	T_EQ(px_tcp_connect(na, ip_b, htons(8), 1000000000ull, &c), 0);
	T_EQ(px_tcp_accept(lst, &s, 1000000000ull), 0);
	T_EQ(px_tcp_setopt(s, PX_TCP_OPT_RCVBUF, 65536), 0);
	px_tcp_stats(na, &s0);
	snd.c = c;
	snd.len = len;
	T_EQ(px_spawn(send_all, &snd, NULL, &t), 0);
	/* Nobody reads: the window closes, the sender probes. */
	for (i = 0; i < 100; i++)
		px_sleep_ns(1000000);
	T_CHECK(px_tcp_readable(s) > 0);
	while (got < len) {
		n = px_tcp_read(s, rxbuf + got, RTE_MIN(len - got, (size_t)7000),
				5000000000ull);
		T_CHECK(n > 0);
		got += (size_t)n;
		if (got < 200000)
			px_sleep_ns(200000); /* a slow reader */
	}
	T_EQ(px_task_join(t, NULL, PX_TIMEOUT_INF), 0);
	T_EQ(snd.ret, (ssize_t)len);
	T_CHECK(memcmp(txbuf, rxbuf, len) == 0);
	px_tcp_stats(na, &s1);
	T_CHECK(s1.zero_wnd_probes > s0.zero_wnd_probes);
	T_EQ(px_tcp_close(c), 0);
	T_EQ(px_tcp_close(s), 0);
	settle();
	return NULL;
}

/* ---- callback API: an echo server without tasks ---- */

static unsigned int cb_accepts, cb_closes, cb_writables;

static void
cb_writable(struct px_tcp_conn *c, void *arg)
{
	RTE_SET_USED(c);
	RTE_SET_USED(arg);
	cb_writables++;
}

static void
cb_data(struct px_tcp_conn *c, void *arg)
{
	struct rte_mbuf *m;

	RTE_SET_USED(arg);
	while (px_tcp_recv_mbuf(c, &m, 0) == 0) {
		if (m == NULL) {
			px_tcp_close(c);
			return;
		}
		if (px_tcp_send_mbuf(c, m, 0) == -EAGAIN)
			rte_pktmbuf_free(m); /* not in this test */
	}
}

static void
cb_close(struct px_tcp_conn *c, int status, void *arg)
{
	RTE_SET_USED(status);
	RTE_SET_USED(arg);
	cb_closes++;
	px_tcp_close(c);
}

static int
cb_accept(struct px_tcp_conn *c, void *arg)
{
	RTE_SET_USED(c);
	RTE_SET_USED(arg);
	cb_accepts++;
	return 0;
}

static void *
case_callbacks(void)
{
	static const struct px_tcp_cbs cbs = {
		.on_accept = cb_accept, .on_data = cb_data, .on_close = cb_close,
	};
	struct px_tcp_listener *l;
	struct px_tcp_conn *c;
	char b[32];

	T_EQ(px_tcp_listen_cb(nb, htons(11), 16, &cbs, NULL, &l), 0);
	T_EQ(px_tcp_listen_cb(nb, htons(11), 16, &cbs, NULL, &l), -EADDRINUSE);
	T_EQ(px_tcp_connect(na, ip_b, htons(11), 1000000000ull, &c), 0);
	T_EQ(px_tcp_write(c, "callback!", 9, 1000000000ull), 9);
	T_EQ(px_tcp_read(c, b, sizeof(b), 1000000000ull), 9);
	T_CHECK(memcmp(b, "callback!", 9) == 0);
	/* A non-blocking writer that filled the buffer hears on_writable
	 * once the echo has drained some of it. */
	{
		static const struct px_tcp_cbs wcb = { .on_writable = cb_writable };
		static uint8_t big[65536];
		ssize_t w;
		int i;

		T_EQ(px_tcp_set_cbs(c, &wcb, NULL), 0);
		cb_writables = 0;
		do {
			w = px_tcp_write(c, big, sizeof(big), 0);
		} while (w > 0);
		T_EQ(w, -EAGAIN);
		for (i = 0; i < 1000 && cb_writables == 0; i++) {
			/* read the echo so the server keeps draining */
			px_tcp_read(c, rxbuf, sizeof(rxbuf), 1000000);
		}
		T_CHECK(cb_writables > 0);
		T_EQ(px_tcp_set_cbs(c, NULL, NULL), 0);
	}
	T_EQ(px_tcp_close(c), 0);
	settle();
	T_EQ(cb_accepts, 1);
	T_EQ(px_tcp_listener_close(l), 0);
	T_EQ(px_tcp_connect(na, ip_b, htons(11), 1000000000ull, &c), -ECONNREFUSED);
	return NULL;
}

static void *
case_many_short(void)
{
	struct px_tcp_conn *c;
	struct px_tcp_stats s;
	char b[16];
	int i;

	for (i = 0; i < 2000; i++) {
		T_EQ(px_tcp_connect(na, ip_b, htons(7), 1000000000ull, &c), 0);
		T_EQ(px_tcp_write(c, "ping", 4, 1000000000ull), 4);
		T_EQ(px_tcp_read(c, b, sizeof(b), 1000000000ull), 4);
		T_EQ(px_tcp_close(c), 0);
	}
	settle();
	px_tcp_stats(na, &s);
	T_CHECK(s.tw_recycled > 0); /* 2000 > the 1024 blocks */
	/* Client blocks wait in TIME_WAIT (the active closer); recycled
	 * when the pool runs out. */
	T_CHECK(s.conns <= 2000);
	px_tcp_stats(nb, &s);
	T_EQ(s.conns, 0); /* the server's side are all gone */
	return NULL;
}

/* SYN cookies: 72 SYNs at once for a listener of backlog 64: 64 get
 * state, 8 get cookies, and all 72 connections echo. */
#define COOKIE_CONNS 72
static struct px_tcp_listener *cookie_lst;
static uint32_t cookie_ok;

static void *
cookie_acceptor(void *arg)
{
	struct px_tcp_conn *c;

	static const struct px_task_opts det = { .flags = PX_TASK_F_DETACHED };

	RTE_SET_USED(arg);
	while (px_tcp_accept(cookie_lst, &c, PX_TIMEOUT_INF) == 0)
		if (px_spawn(echo_conn, c, &det, NULL) != 0)
			px_tcp_abort(c);
	return NULL;
}

static void *
cookie_client(void *arg)
{
	struct px_tcp_conn *c;
	char b[8];

	RTE_SET_USED(arg);
	if (px_tcp_connect(na, ip_b, htons(10), 5ull * 1000000000, &c) != 0)
		return NULL;
	if (px_tcp_write(c, "ping", 4, 1000000000ull) == 4 &&
			px_tcp_read(c, b, sizeof(b), 3ull * 1000000000) == 4 &&
			memcmp(b, "ping", 4) == 0)
		cookie_ok++;
	px_tcp_close(c);
	return NULL;
}

static void *
case_syn_cookies(void)
{
	struct px_task *acc, *cl[COOKIE_CONNS];
	struct px_tcp_stats a0, a1, b0, b1;
	int i;

	T_EQ(px_tcp_listen(nb, htons(10), 64, &cookie_lst), 0);
	T_EQ(px_spawn(cookie_acceptor, NULL, NULL, &acc), 0);
	px_tcp_stats(na, &a0);
	px_tcp_stats(nb, &b0);
	cookie_ok = 0;
	wire_hold = 1;
	for (i = 0; i < COOKIE_CONNS; i++)
		T_EQ(px_spawn(cookie_client, NULL, NULL, &cl[i]), 0);
	do {
		px_yield();
		px_tcp_stats(na, &a1);
	} while (a1.active_opens - a0.active_opens < COOKIE_CONNS);
	/* All the SYNs reach B in one go; its answers then flow freely. */
	wire_deliver(&wa);
	wire_hold = 0;
	for (i = 0; i < COOKIE_CONNS; i++)
		T_EQ(px_task_join(cl[i], NULL, PX_TIMEOUT_INF), 0);
	px_tcp_stats(nb, &b1);
	T_EQ(cookie_ok, COOKIE_CONNS);
	T_EQ(b1.syncookies_sent - b0.syncookies_sent, COOKIE_CONNS - 64);
	T_EQ(b1.syncookies_ok - b0.syncookies_ok, COOKIE_CONNS - 64);
	T_EQ(b1.syncookies_bad - b0.syncookies_bad, 0);
	T_EQ(px_tcp_listener_close(cookie_lst), 0);
	T_EQ(px_task_join(acc, NULL, PX_TIMEOUT_INF), 0);
	settle();
	px_tcp_stats(nb, &b1);
	T_EQ(b1.conns, 0);
	return NULL;
}

/* Keepalive: probes answered keep the connection; a dead peer ends it
 * with -ETIMEDOUT after KEEPCNT probes. */
static void *
case_keepalive(void)
{
	struct px_tcp_conn *c, *s;
	struct px_tcp_stats s0, s1;
	char b[4];
	uint64_t t0, t1;

	T_EQ(px_tcp_connect(na, ip_b, htons(8), 1000000000ull, &c), 0);
	T_EQ(px_tcp_accept(lst, &s, 1000000000ull), 0);
	T_EQ(px_tcp_setopt(c, PX_TCP_OPT_KEEPIDLE, 0), -EINVAL);
	T_EQ(px_tcp_setopt(c, PX_TCP_OPT_KEEPIDLE, 1), 0);
	T_EQ(px_tcp_setopt(c, PX_TCP_OPT_KEEPINTVL, 1), 0);
	T_EQ(px_tcp_setopt(c, PX_TCP_OPT_KEEPCNT, 2), 0);
	T_EQ(px_tcp_setopt(c, PX_TCP_OPT_KEEPALIVE, 1), 0);
	px_tcp_stats(na, &s0);
	/* 2.5 s idle, the peer answers: probes sent, still up. */
	T_EQ(px_tcp_read(c, b, sizeof(b), 2500000000ull), -ETIMEDOUT);
	px_tcp_stats(na, &s1);
	T_CHECK(s1.keepalive_probes > s0.keepalive_probes);
	T_EQ(px_tcp_write(c, "k", 1, 0), 1);
	T_EQ(px_tcp_read(s, b, 1, 1000000000ull), 1);
	/* The peer vanishes: every frame is lost. */
	loss_ppm = 1000000;
	px_tcp_stats(na, &s0);
	t0 = rte_rdtsc();
	T_EQ(px_tcp_read(c, b, sizeof(b), 60000000000ull), -ETIMEDOUT);
	t1 = rte_rdtsc();
	loss_ppm = 0;
	px_tcp_stats(na, &s1);
	/* Idle 1 s (counted from the last segment in, a little before t0),
	 * then 2 probes 1 s apart, then the end: so at least 2 s, and well
	 * before the 60 s read timeout (a bound a busy machine cannot
	 * reach; the counters say what ended it). */
	T_CHECK(t1 - t0 >= 2 * rte_get_tsc_hz());
	T_CHECK(t1 - t0 < 50 * rte_get_tsc_hz());
	T_EQ(s1.keepalive_probes - s0.keepalive_probes, 2);
	T_EQ(s1.timeouts - s0.timeouts, 1);
	T_EQ(px_tcp_write(c, "k", 1, 0), -ETIMEDOUT);
	T_EQ(px_tcp_close(c), 0);
	T_EQ(px_tcp_abort(s), 0);
	settle();
	return NULL;
}

/* px_tcp_drain(): a connection both sides close in time ends with FINs
 * and no reset; one nobody closes is reset when the time is up, and the
 * RST reaches the peer; hurry ends the wait at once. */
struct closer {
	struct px_tcp_conn *c, *s;
};

static void *
close_both(void *arg)
{
	struct closer *k = arg;

	px_sleep_ns(10000000);
	px_tcp_close(k->s);
	px_tcp_close(k->c);
	return NULL;
}

static void *
case_drain(void)
{
	static volatile sig_atomic_t hurry;
	struct px_tcp_conn *c, *s;
	struct px_tcp_stats s0, s1;
	struct px_task *t;
	struct closer k;
	uint64_t t0, hz = rte_get_tsc_hz();
	char b[4];

	T_EQ(px_tcp_drain(NULL, 1, 0, NULL), -EINVAL);
	T_EQ(px_tcp_drain(&na, 0, 0, NULL), -EINVAL);
	/* Closed by both within the time: no reset. */
	T_EQ(px_tcp_connect(na, ip_b, htons(8), 1000000000ull, &k.c), 0);
	T_EQ(px_tcp_accept(lst, &k.s, 1000000000ull), 0);
	px_tcp_stats(na, &s0);
	T_EQ(px_spawn(close_both, &k, NULL, &t), 0);
	t0 = rte_rdtsc();
	T_EQ(px_tcp_drain(&na, 1, 20000000000ull, NULL), 0);
	T_CHECK(rte_rdtsc() - t0 < 10 * hz); /* not the 20 s */
	T_EQ(px_task_join(t, NULL, PX_TIMEOUT_INF), 0);
	px_tcp_stats(na, &s1);
	T_EQ(s1.shutdown_rst - s0.shutdown_rst, 0);
	/* Nobody closes: reset at the deadline, and B hears of it. */
	T_EQ(px_tcp_connect(na, ip_b, htons(8), 1000000000ull, &c), 0);
	T_EQ(px_tcp_accept(lst, &s, 1000000000ull), 0);
	t0 = rte_rdtsc();
	T_EQ(px_tcp_drain(&na, 1, 50000000ull, NULL), 1);
	T_CHECK(rte_rdtsc() - t0 >= hz / 20);
	px_tcp_stats(na, &s0);
	T_EQ(s0.shutdown_rst - s1.shutdown_rst, 1);
	T_EQ(px_tcp_read(s, b, 1, 1000000000ull), -ECONNRESET);
	T_EQ(px_tcp_read(c, b, 1, 0), -ECONNABORTED);
	T_EQ(px_tcp_close(c), 0);
	T_EQ(px_tcp_close(s), 0);
	/* Hurry: no wait at all. */
	T_EQ(px_tcp_connect(na, ip_b, htons(8), 1000000000ull, &c), 0);
	T_EQ(px_tcp_accept(lst, &s, 1000000000ull), 0);
	hurry = 1;
	t0 = rte_rdtsc();
	T_EQ(px_tcp_drain(&na, 1, 20000000000ull, &hurry), 1);
	T_CHECK(rte_rdtsc() - t0 < 10 * hz);
	hurry = 0;
	T_EQ(px_tcp_close(c), 0);
	T_EQ(px_tcp_abort(s), 0);
	settle();
	return NULL;
}

/* SYN retries end a connect to a black hole; an orphan in FIN_WAIT_2
 * goes after fin_wait2_ms; linger 0 resets. */
static void *
case_timeouts(void)
{
	struct px_tcp_conn *c, *s;
	struct px_tcp_stats s0, s1;
	char b[4];
	uint64_t t0, t1;

	/* syn_retries = 2, rto_init 100 ms: the SYN and two retries, 100 +
	 * 200 + 400 ms apart, then the end; never sooner. (It was bounded
	 * at 2 s, which a loaded machine passed: the counters say how many
	 * SYNs, and a wait that never ended would hit meson's timeout.) */
	loss_ppm = 1000000;
	px_tcp_stats(na, &s0);
	t0 = rte_rdtsc();
	T_EQ(px_tcp_connect(na, ip_b, htons(8), PX_TIMEOUT_INF, &c), -ETIMEDOUT);
	t1 = rte_rdtsc();
	loss_ppm = 0;
	px_tcp_stats(na, &s1);
	T_CHECK(t1 - t0 >= rte_get_tsc_hz() * 7 / 10 - rte_get_tsc_hz() / 100);
	T_EQ(s1.retrans - s0.retrans, 2);
	T_EQ(s1.rto - s0.rto, 3);
	T_EQ(s1.timeouts - s0.timeouts, 1);
	/* FIN_WAIT_2: we close, the peer never does. */
	px_tcp_stats(na, &s0);
	T_EQ(px_tcp_connect(na, ip_b, htons(8), 1000000000ull, &c), 0);
	T_EQ(px_tcp_accept(lst, &s, 1000000000ull), 0);
	T_EQ(px_tcp_close(c), 0);
	T_EQ(px_tcp_read(s, b, sizeof(b), 1000000000ull), 0); /* its FIN */
	px_sleep_ns(600000000ull); /* fin_wait2_ms = 300 */
	px_tcp_stats(na, &s1);
	T_EQ(s1.timeouts - s0.timeouts, 1);
	T_EQ(px_tcp_abort(s), 0);
	/* Linger 0: close resets at once. */
	px_tcp_stats(nb, &s0);
	T_EQ(px_tcp_connect(na, ip_b, htons(8), 1000000000ull, &c), 0);
	T_EQ(px_tcp_accept(lst, &s, 1000000000ull), 0);
	T_EQ(px_tcp_setopt(c, PX_TCP_OPT_LINGER, 0), 0);
	T_EQ(px_tcp_close(c), 0);
	T_EQ(px_tcp_read(s, b, sizeof(b), 1000000000ull), -ECONNRESET);
	px_tcp_stats(nb, &s1);
	T_EQ(s1.rst_in - s0.rst_in, 1);
	T_EQ(px_tcp_close(s), 0);
	settle();
	return NULL;
}

/* Nagle holds a small segment while one is unacknowledged; NODELAY
 * sends it at once. */
static void *
case_nagle(void)
{
	struct px_tcp_conn *c, *s;
	struct px_tcp_info i0, i1;
	char b[16];

	T_EQ(px_tcp_connect(na, ip_b, htons(8), 1000000000ull, &c), 0);
	T_EQ(px_tcp_accept(lst, &s, 1000000000ull), 0);
	px_tcp_info(c, &i0);
	/* The wire delivers only when this task parks: both writes happen
	 * with the first segment unacknowledged. */
	T_EQ(px_tcp_write(c, "a", 1, 0), 1);
	T_EQ(px_tcp_write(c, "b", 1, 0), 1);
	px_tcp_info(c, &i1);
	T_EQ(i1.seg_out - i0.seg_out, 1);
	T_EQ(i1.unsent, 1);
	T_EQ(px_tcp_read(s, b, 2, 1000000000ull) >= 1, 1);
	settle();
	T_EQ(px_tcp_setopt(c, PX_TCP_OPT_NODELAY, 1), 0);
	px_tcp_info(c, &i0);
	T_EQ(px_tcp_write(c, "c", 1, 0), 1);
	T_EQ(px_tcp_write(c, "d", 1, 0), 1);
	px_tcp_info(c, &i1);
	T_EQ(i1.seg_out - i0.seg_out, 2);
	T_EQ(px_tcp_close(c), 0);
	T_EQ(px_tcp_close(s), 0);
	settle();
	return NULL;
}

/* A frame from B's address to A: Ethernet + IPv4 + a bare TCP header
 * with the given fields, checksums right. */
static struct rte_mbuf *
seg_from_b(uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
		uint8_t flags)
{
	const struct tframe_tcp f = {
		.src_mac = {{ 0x02, 0, 0, 0, 0x09, 0x02 }},
		.dst_mac = {{ 0x02, 0, 0, 0, 0x09, 0x01 }},
		.src = ip_b, .dst = ip_a, .sport = sport, .dport = dport,
		.seq = seq, .ack = ack, .flags = flags, .wnd = 65535,
	};

	return tframe_tcp(mp, &f);
}

/* The TCP header of the frame at the head of wire w (after ARP, if
 * any), or NULL. */
static struct rte_tcp_hdr *
wire_tcp(struct wire *w, uint32_t i)
{
	struct rte_ipv4_hdr *ip;

	for (; i < w->n; i++) {
		ip = rte_pktmbuf_mtod_offset(w->q[i], struct rte_ipv4_hdr *,
				sizeof(struct rte_ether_hdr));
		if (rte_pktmbuf_mtod(w->q[i], struct rte_ether_hdr *)->ether_type ==
				RTE_BE16(RTE_ETHER_TYPE_IPV4) &&
				ip->next_proto_id == IPPROTO_TCP)
			return (struct rte_tcp_hdr *)(ip + 1);
	}
	return NULL;
}

static unsigned int cb_estab;

static void
cb_estab_writable(struct px_tcp_conn *c, void *arg)
{
	RTE_SET_USED(c);
	RTE_SET_USED(arg);
	cb_estab++;
}

/* RFC 9293 3.5 figure 8: both sides send a SYN before either sees the
 * other's. B's side is played by hand so the ports can match. */
static void *
case_simultaneous_open(void)
{
	static const struct px_tcp_cbs cbs = { .on_writable = cb_estab_writable };
	struct px_tcp_conn *c;
	struct px_tcp_info inf;
	struct rte_tcp_hdr *th;
	struct rte_mbuf *m;
	uint32_t iss_a, isn_b = 777000;
	uint16_t pa, pb = htons(5555);

	settle();
	wire_hold = 1;
	T_EQ(px_tcp_connect_cb(na, ip_b, pb, &cbs, NULL, &c), 0);
	th = wire_tcp(&wa, 0);
	T_CHECK(th != NULL && th->tcp_flags == 0x02); /* A's SYN */
	pa = th->src_port;
	iss_a = ntohl(th->sent_seq);
	/* B's SYN crosses it. */
	m = seg_from_b(pb, pa, isn_b, 0, 0x02);
	px_netif_input(na, &m, 1);
	T_EQ(px_tcp_info(c, &inf), 0);
	T_EQ(inf.state, PX_TCP_SYN_RCVD);
	/* A answered with SYN,ACK: its own ISS, acking B's SYN. */
	th = wire_tcp(&wa, 1);
	T_CHECK(th != NULL && th->tcp_flags == 0x12);
	T_EQ(ntohl(th->sent_seq), iss_a);
	T_EQ(ntohl(th->recv_ack), isn_b + 1);
	/* B's SYN,ACK arrives: A is established. */
	m = seg_from_b(pb, pa, isn_b, iss_a + 1, 0x12);
	px_netif_input(na, &m, 1);
	T_EQ(px_tcp_info(c, &inf), 0);
	T_EQ(inf.state, PX_TCP_ESTABLISHED);
	T_EQ(cb_estab, 1);
	/* Clean up: the real B never heard of this connection. */
	T_EQ(px_tcp_abort(c), 0);
	while (wa.n > 0)
		rte_pktmbuf_free(wa.q[--wa.n]);
	wire_hold = 0;
	settle();
	return NULL;
}

static void *
tcp_main(void *arg)
{
	struct px_inet_conf ca = { 0 }, cb = { 0 };
	struct px_tcp_conf tc = { 0 };
	struct px_task *st;

	ip_a = inet_addr("10.9.0.1");
	ip_b = inet_addr("10.9.0.2");
	mp = rte_pktmbuf_pool_create("t_tcp", 16383, 256, 0,
			RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	T_CHECK(mp != NULL);
	ca.mac = (struct rte_ether_addr){{ 0x02, 0, 0, 0, 0x09, 0x01 }};
	ca.ip = ip_a;
	ca.prefix = 24;
	cb = ca;
	cb.mac.addr_bytes[5] = 0x02;
	cb.ip = ip_b;
	/* A sends large payloads as references to its send buffer (chained
	 * mbufs), B copies: every case runs both transmit paths. */
	ca.tx_multi_seg = 1;
	T_EQ(px_netif_create(&ca, mp, wire_tx, &wa, &na), 0);
	T_EQ(px_netif_create(&cb, mp, wire_tx, &wb, &nb), 0);
	wa.to = nb;
	wb.to = na;
	tc.max_conns = 1024;
	tc.msl_ms = 200;
	tc.syn_retries = 2;
	tc.rto_init_ms = 100;
	tc.fin_wait2_ms = 300;
	T_EQ(px_tcp_attach(na, &tc), 0);
	T_EQ(px_tcp_attach(na, &tc), -EEXIST);
	T_EQ(px_tcp_attach(nb, &tc), 0);
	baseline = rte_mempool_in_use_count(mp);
	T_EQ(px_exec_hook_add(rte_lcore_id(), false, wire_poll, NULL), 0);
	T_EQ(px_tcp_listen(nb, htons(7), 64, &lst), 0);
	T_EQ(px_spawn(echo_server, NULL, NULL, &st), 0);
	T_RUN(case_handshake_opts);
	T_RUN(case_rto_armed_late);
	T_RUN(case_rtt_above_floor);
	T_RUN(case_echo_clean);
	T_RUN(case_echo_lossy);          /* CUBIC both ways */
	client_cc = PX_TCP_CC_NEWRENO;
	T_RUN(case_echo_lossy);          /* and NewReno sending from A */
	client_cc = PX_TCP_CC_DEFAULT;
	T_RUN(case_sack_holes);
	T_RUN(case_refused);
	T_RUN(case_many_short);
	T_RUN(case_syn_cookies);
	T_EQ(px_tcp_listener_close(lst), 0);
	T_EQ(px_task_join(st, NULL, PX_TIMEOUT_INF), 0);
	T_EQ(px_tcp_listen(nb, htons(8), 64, &lst), 0);
	T_RUN(case_half_close);
	T_RUN(case_abort);
	T_RUN(case_simultaneous_close);
	T_RUN(case_zero_window);
	T_RUN(case_callbacks);
	T_RUN(case_keepalive);
	T_RUN(case_timeouts);
	T_RUN(case_drain);
	T_RUN(case_nagle);
	T_RUN(case_simultaneous_open);
	T_EQ(px_tcp_listener_close(lst), 0);
	/* Everything sent is delivered or freed; only the wire's own
	 * queues may hold mbufs until it stops. */
	settle();
	wire_stop = 1;
	wire_deliver_at(&wa, 1);
	wire_deliver_at(&wb, 1);
	px_tcp_detach(na);
	px_tcp_detach(nb);
	px_netif_free(na);
	px_netif_free(nb);
	T_EQ(rte_mempool_in_use_count(mp), 0);
	rte_mempool_free(mp);
	return arg;
}

static int
test_tcp(void)
{
	return texec_run(NULL, tcp_main);
}

PX_REGISTER_TEST(tcp_autotest, 0, test_tcp);
