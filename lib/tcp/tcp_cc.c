/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/* Congestion control: NewReno (RFC 5681, RFC 6582) and CUBIC (RFC 9438),
 * both with IW10 (RFC 6928) and the same slow start. Recovery itself
 * (which segments to resend) is in tcp_in.c; these only size the
 * window. */

#include <math.h>
#include <string.h>

#include <rte_cycles.h>

#include "tcp_private.h"

/* ---- HyStart++ (RFC 9406), shared by both ---- */

#define HS_MIN_RTT_THRESH_US 4000
#define HS_MAX_RTT_THRESH_US 16000
#define HS_MIN_RTT_DIVISOR   8
#define HS_N_RTT_SAMPLE      8
#define HS_CSS_GROWTH_DIVISOR 4
#define HS_CSS_ROUNDS        5
#define HS_CLOCK_US          1000 /* the samples' step (timestamps): a
                                     round 1 ms below the baseline is
                                     the clock, not a queue that drained */

static void
hystart_init(struct tcp_conn *c)
{
	struct tcp_hystart *h = &c->hs;

	h->state = (c->tl->tn->conf.flags & PX_TCP_CONF_F_NO_HYSTART) ?
		HS_OFF : HS_SS;
	h->window_end = c->snd_max;
	h->cur_min = h->last_min = h->css_base = UINT32_MAX;
	h->samples = 0;
	h->css_rounds = 0;
}

/* Slow start's growth for an ACK of *acked* bytes (RFC 5681 3.1 with
 * appropriate byte counting, RFC 3465, L = 2), through HyStart++: each
 * round trip (until snd_una passes what was out when it began) keeps the
 * least of its first RTT samples; once eight say the RTT rose by an
 * eighth of the last round's (4 to 16 ms), growth slows to a quarter
 * (conservative slow start), and five rounds of that end slow start at
 * the window reached, before the queue overflows and a loss ends it
 * (RFC 9406 4.2). A round in CSS whose RTT falls back below the one
 * that began it (by more than the samples' 1 ms step) was a false
 * alarm: slow start again. */
static uint32_t
ss_increase(struct tcp_conn *c, uint32_t acked)
{
	struct tcp_hystart *h = &c->hs;
	uint32_t inc = RTE_MIN(acked, 2 * (uint32_t)tcp_eff_mss(c)), thresh;

	if (h->state == HS_OFF)
		return inc;
	if (SEQ_GT(c->snd_una, h->window_end)) {
		if (h->state == HS_CSS && ++h->css_rounds >= HS_CSS_ROUNDS) {
			c->ssthresh = c->cwnd;
			h->state = HS_OFF;
			c->tl->st.hystart_exit++;
			return 0;
		}
		h->last_min = h->cur_min;
		h->cur_min = UINT32_MAX;
		h->samples = 0;
		h->window_end = c->snd_max;
	}
	if (c->ack_rtt_us != UINT32_MAX && h->samples < HS_N_RTT_SAMPLE) {
		h->cur_min = RTE_MIN(h->cur_min, c->ack_rtt_us);
		h->samples++;
	}
	if (h->samples >= HS_N_RTT_SAMPLE && h->cur_min != UINT32_MAX) {
		if (h->state == HS_SS && h->last_min != UINT32_MAX) {
			thresh = RTE_MIN(RTE_MAX(h->last_min / HS_MIN_RTT_DIVISOR,
					(uint32_t)HS_MIN_RTT_THRESH_US),
					(uint32_t)HS_MAX_RTT_THRESH_US);
			if (h->cur_min >= h->last_min + thresh) {
				h->css_base = h->cur_min;
				h->css_rounds = 0;
				h->state = HS_CSS;
				c->tl->st.hystart_css++;
			}
		} else if (h->state == HS_CSS &&
				h->cur_min + HS_CLOCK_US < h->css_base) {
			h->css_base = UINT32_MAX;
			h->state = HS_SS;
		}
	}
	return h->state == HS_CSS ? inc / HS_CSS_GROWTH_DIVISOR : inc;
}

static void
newreno_init(struct tcp_conn *c)
{
	c->cwnd = tcp_iw(c);
	c->ssthresh = UINT32_MAX / 2;
	hystart_init(c);
}

/* RFC 5681 3.1: slow start below ssthresh (ss_increase()); in
 * congestion avoidance one MSS per cwnd of bytes acknowledged (RFC 3465
 * 2.1: counting bytes, not ACKs, so a peer that delays its ACKs does not
 * halve the growth). */
static void
newreno_on_ack(struct tcp_conn *c, uint32_t acked)
{
	uint32_t mss = tcp_eff_mss(c);

	if (c->cwnd < c->ssthresh) {
		c->cwnd += ss_increase(c, acked);
		return;
	}
	c->ca_acked += acked;
	if (c->ca_acked >= c->cwnd) {
		c->ca_acked -= c->cwnd;
		if (c->cwnd + mss > c->cwnd)
			c->cwnd += mss;
	}
}

/* RFC 5681 3.2 step 2 (equation 4); the caller inflates for recovery. */
static void
newreno_on_fast_loss(struct tcp_conn *c)
{
	uint32_t mss = tcp_eff_mss(c);

	c->ssthresh = RTE_MAX(tcp_flight(c) / 2, 2 * mss);
	c->cwnd = c->ssthresh;
	c->hs.state = HS_OFF;
}

/* RFC 5681 3.1 equation 4, and the loss window of one segment. */
static void
newreno_on_rto(struct tcp_conn *c)
{
	uint32_t mss = tcp_eff_mss(c);

	/* Only the first timeout of a series halves ssthresh
	 * (RFC 5681 3.1, "on the first retransmission"): retries counts
	 * the timeouts since data was last acknowledged. */
	if (c->retries == 1)
		c->ssthresh = RTE_MAX(tcp_flight(c) / 2, 2 * mss);
	c->cwnd = mss;
	c->hs.state = HS_OFF; /* RFC 9406 4.3: not after a timeout */
}

/* RFC 6582 3.2 step 3, full acknowledgment: deflate the window. */
static void
newreno_on_recovered(struct tcp_conn *c)
{
	uint32_t mss = tcp_eff_mss(c);

	c->cwnd = RTE_MIN(c->ssthresh, RTE_MAX(tcp_flight(c), mss) + mss);
}

/* ---- CUBIC (RFC 9438) ---- */

#define CUBIC_C 0.4      /* RFC 9438 4.1 */
#define CUBIC_BETA 0.7   /* RFC 9438 4.6 */
/* RFC 9438 4.3: alpha_cubic = 3 (1 - beta) / (1 + beta). */
#define CUBIC_ALPHA (3.0 * (1.0 - CUBIC_BETA) / (1.0 + CUBIC_BETA))

static void
cubic_init(struct tcp_conn *c)
{
	newreno_init(c);
	memset(&c->cub, 0, sizeof(c->cub));
}

/* RFC 9438 4.2-4.5, in congestion avoidance: follow
 * W_cubic(t) = C (t - K)^3 + W_max (in segments, t in seconds since the
 * epoch began, looking one RTT ahead), but never below the window Reno
 * would have (W_est, the Reno-friendly region). */
static void
cubic_on_ack(struct tcp_conn *c, uint32_t acked)
{
	struct tcp_cubic *k = &c->cub;
	double mss = tcp_eff_mss(c), cwnd = c->cwnd, t, target, inc;
	uint64_t now;

	if (c->cwnd < c->ssthresh) {
		/* RFC 9438 4.10: slow start as Reno's. */
		c->cwnd += ss_increase(c, acked);
		return;
	}
	now = rte_rdtsc();
	if (k->epoch == 0) {
		/* A new congestion-avoidance epoch (RFC 9438 4.2). */
		k->epoch = now;
		k->w_est = cwnd;
		k->frac = 0;
		if (k->w_max > cwnd) {
			k->k = cbrt((k->w_max - cwnd) / mss / CUBIC_C);
			k->origin = k->w_max;
		} else {
			k->k = 0;
			k->origin = cwnd;
		}
	}
	t = (double)(now - k->epoch) / (double)c->tl->tn->hz +
		(double)c->srtt_us / 1e6;
	target = (CUBIC_C * (t - k->k) * (t - k->k) * (t - k->k)) * mss +
		k->origin;
	/* RFC 9438 4.2: the target stays within [cwnd, 1.5 cwnd]. */
	if (target < cwnd)
		target = cwnd;
	else if (target > 1.5 * cwnd)
		target = 1.5 * cwnd;
	/* RFC 9438 4.3: W_est grows by alpha segments per window acked. */
	k->w_est += CUBIC_ALPHA * mss * (double)acked / cwnd;
	if (k->w_est > target)
		inc = k->w_est - cwnd;
	else
		inc = (target - cwnd) * (double)acked / cwnd;
	k->frac += inc > 0 ? inc : 0;
	if (k->frac >= 1.0) {
		uint64_t add = (uint64_t)k->frac;

		k->frac -= (double)add;
		c->cwnd = (uint32_t)RTE_MIN((uint64_t)c->cwnd + add,
				(uint64_t)UINT32_MAX / 2);
	}
}

/* RFC 9438 4.6-4.7: multiplicative decrease by beta, with fast
 * convergence (a flow whose peak fell yields to newer flows). */
static void
cubic_reduce(struct tcp_conn *c)
{
	struct tcp_cubic *k = &c->cub;
	double cwnd = c->cwnd;
	uint32_t mss = tcp_eff_mss(c);

	k->epoch = 0;
	c->hs.state = HS_OFF; /* RFC 9406 4.2: a loss ends it */
	if (cwnd < k->w_max)
		k->w_max = cwnd * (1.0 + CUBIC_BETA) / 2.0;
	else
		k->w_max = cwnd;
	c->ssthresh = RTE_MAX((uint32_t)(RTE_MIN(c->cwnd, tcp_flight(c)) *
			CUBIC_BETA), 2 * mss);
}

static void
cubic_on_fast_loss(struct tcp_conn *c)
{
	cubic_reduce(c);
	c->cwnd = c->ssthresh;
}

/* RFC 9438 4.8: a timeout reduces once per series and restarts from
 * one segment in slow start. */
static void
cubic_on_rto(struct tcp_conn *c)
{
	if (c->retries == 1)
		cubic_reduce(c);
	c->hs.state = HS_OFF;
	c->cub.epoch = 0;
	c->cwnd = tcp_eff_mss(c);
}

static void
cubic_on_recovered(struct tcp_conn *c)
{
	newreno_on_recovered(c);
	c->cub.epoch = 0;
}

const struct tcp_cc_ops tcp_cc_cubic = {
	.name = "cubic",
	.init = cubic_init,
	.on_ack = cubic_on_ack,
	.on_fast_loss = cubic_on_fast_loss,
	.on_rto = cubic_on_rto,
	.on_recovered = cubic_on_recovered,
};

const struct tcp_cc_ops *
tcp_cc_of(enum px_tcp_cc cc)
{
	return cc == PX_TCP_CC_NEWRENO ? &tcp_cc_newreno : &tcp_cc_cubic;
}

const struct tcp_cc_ops tcp_cc_newreno = {
	.name = "newreno",
	.init = newreno_init,
	.on_ack = newreno_on_ack,
	.on_fast_loss = newreno_on_fast_loss,
	.on_rto = newreno_on_rto,
	.on_recovered = newreno_on_recovered,
};
