/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/* NewReno congestion control (RFC 5681, RFC 6582) with IW10 (RFC 6928). */

#include "tcp_private.h"

static void
newreno_init(struct tcp_conn *c)
{
	uint32_t mss = tcp_eff_mss(c);

	/* RFC 6928: min(10 * MSS, max(2 * MSS, 14600)). */
	c->cwnd = RTE_MIN(10 * mss, RTE_MAX(2 * mss, 14600u));
	c->ssthresh = UINT32_MAX / 2;
}

/* RFC 5681 3.1: slow start below ssthresh (with appropriate byte
 * counting, RFC 3465, L = 2); in congestion avoidance one MSS per cwnd
 * of bytes acknowledged (RFC 3465 2.1: counting bytes, not ACKs, so a
 * peer that delays its ACKs does not halve the growth). */
static void
newreno_on_ack(struct tcp_conn *c, uint32_t acked)
{
	uint32_t mss = tcp_eff_mss(c);

	if (c->cwnd < c->ssthresh) {
		c->cwnd += RTE_MIN(acked, 2 * mss);
		return;
	}
	c->ca_acked += acked;
	if (c->ca_acked >= c->cwnd) {
		c->ca_acked -= c->cwnd;
		if (c->cwnd + mss > c->cwnd)
			c->cwnd += mss;
	}
}

/* RFC 5681 3.2 step 2 and 3 (equation 4). */
static void
newreno_on_fast_loss(struct tcp_conn *c)
{
	uint32_t mss = tcp_eff_mss(c);

	c->ssthresh = RTE_MAX(tcp_flight(c) / 2, 2 * mss);
	c->cwnd = c->ssthresh + 3 * mss;
}

/* RFC 5681 3.1 equation 4, and the loss window of one segment. */
static void
newreno_on_rto(struct tcp_conn *c)
{
	uint32_t mss = tcp_eff_mss(c);

	/* Only the first timeout of a series halves ssthresh
	 * (RFC 5681 3.1, "on the first retransmission"). */
	if (c->backoff == 0)
		c->ssthresh = RTE_MAX(tcp_flight(c) / 2, 2 * mss);
	c->cwnd = mss;
}

/* RFC 6582 3.2 step 3, full acknowledgment: deflate the window. */
static void
newreno_on_recovered(struct tcp_conn *c)
{
	uint32_t mss = tcp_eff_mss(c);

	c->cwnd = RTE_MIN(c->ssthresh, RTE_MAX(tcp_flight(c), mss) + mss);
}

const struct tcp_cc_ops tcp_cc_newreno = {
	.name = "newreno",
	.init = newreno_init,
	.on_ack = newreno_on_ack,
	.on_fast_loss = newreno_on_fast_loss,
	.on_rto = newreno_on_rto,
	.on_recovered = newreno_on_recovered,
};
