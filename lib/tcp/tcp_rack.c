/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * RACK (RFC 8985 6): loss by the clock. Data sent before data the peer
 * has since got (cumulatively or SACKed) and still not delivered a
 * reordering window later is lost; the RFC 6675 scoreboard, which
 * counts what is SACKed above a hole, goes on beside it. RACK finds what
 * the scoreboard cannot: a hole with too little SACKed above it, once
 * the reordering window has passed (a timer, when no ACK comes), and a
 * resent segment lost again, as soon as data sent after it is delivered
 * (otherwise a timeout).
 *
 * Send times are kept coarsely per connection (struct tcp_rack in
 * tcp_private.h), not per segment: first transmissions as a few ranges
 * in sequence order, resends as a few "sweeps". A delivered range is
 * taken as sent at the earliest time its record allows, data in flight
 * at the latest: a coarse record finds a loss later than per-segment
 * times would, never sooner.
 *
 * Times are microseconds in a wrapping u32 (71 minutes: far beyond any
 * flight; the state is cleared whenever nothing is in flight).
 */

#include <string.h>

#include <rte_cycles.h>

#include "tcp_private.h"

/* a was before b (wrap-safe) */
#define RT_BEFORE(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)

#define RACK_REO_PERSIST 16 /* recoveries a D-SACK-widened window lasts */
#define RACK_REO_MULT_MAX 8 /* up to 2 min RTTs (capped at SRTT anyway) */

static inline int
rack_on(const struct tcp_conn *c)
{
	return (c->flags & TF_SACK) &&
		!(c->tl->tn->conf.flags & PX_TCP_CONF_F_NO_RACK);
}

uint32_t
tcp_rack_now(const struct tcp_conn *c)
{
	return (uint32_t)(rte_rdtsc() / c->tl->tn->cyc_per_us);
}

static void
tx_remove(struct tcp_rack *r, uint32_t k)
{
	memmove(&r->tx[k], &r->tx[k + 1], (r->tx_n - k - 1) * sizeof(r->tx[0]));
	r->tx_n--;
}

static void
rx_remove(struct tcp_rack *r, uint32_t k)
{
	uint32_t below = (1u << k) - 1;

	memmove(&r->rx[k], &r->rx[k + 1], (r->rx_n - k - 1) * sizeof(r->rx[0]));
	r->rx_n--;
	r->rx_lost = (uint8_t)((r->rx_lost & below) | ((r->rx_lost >> 1) & ~below));
}

/* New data from seq went out at now: the newest range takes it while it
 * spans no more than gran and nothing was resent since it began (data
 * sent after a resend must tell it is later), else a new range; when
 * they are all used, the two neighbours whose union spans the least
 * time merge. */
static void
tx_push(struct tcp_rack *r, uint32_t seq, uint32_t now, uint32_t gran)
{
	uint32_t k, best = 0, span, bspan = UINT32_MAX;

	if (r->tx_n > 0 && !r->rx_since && now - r->tx[r->tx_n - 1].lo <= gran) {
		r->tx[r->tx_n - 1].hi = now;
		return;
	}
	if (r->tx_n == RACK_TX) {
		for (k = 0; k + 1 < r->tx_n; k++) {
			span = r->tx[k + 1].hi - r->tx[k].lo;
			if (span < bspan) {
				bspan = span;
				best = k;
			}
		}
		r->tx[best].hi = r->tx[best + 1].hi;
		tx_remove(r, best + 1);
	}
	r->rx_since = 0;
	r->tx[r->tx_n].seq = seq;
	r->tx[r->tx_n].lo = now;
	r->tx[r->tx_n].hi = now;
	r->tx_n++;
}

/* [s, e) was resent at now. Older sweeps give up what it covers at
 * their ends (resending a lost sweep's front takes it from the sweep);
 * the newest sweep takes it if it continues it (only SACKed data
 * between), else a new one; when all are used the two oldest merge. */
static void
rx_push(struct tcp_conn *c, uint32_t s, uint32_t e, uint32_t now)
{
	struct tcp_rack *r = &c->rack;
	struct tcp_rack_rx *x;
	uint32_t k;

	r->rx_since = 1;
	for (k = 0; k < r->rx_n; k++) {
		x = &r->rx[k];
		if (SEQ_GEQ(x->s, s) && SEQ_LT(x->s, e))
			x->s = SEQ_LT(e, x->e) ? e : x->e;
		else if (SEQ_LT(x->s, s) && SEQ_GT(x->e, s) && SEQ_LEQ(x->e, e))
			x->e = s;
	}
	for (k = r->rx_n; k-- > 0;)
		if (!SEQ_LT(r->rx[k].s, r->rx[k].e))
			rx_remove(r, k);
	if (r->rx_n > 0) {
		x = &r->rx[r->rx_n - 1];
		if (!(r->rx_lost & (1u << (r->rx_n - 1))) && (x->e == s ||
				(SEQ_LT(x->e, s) && tcp_sack_covers(c, x->e, s)))) {
			x->e = e;
			x->hi = now;
			return;
		}
	}
	if (r->rx_n == RACK_RX) {
		x = &r->rx[0];
		if (SEQ_LT(r->rx[1].s, x->s))
			x->s = r->rx[1].s;
		if (SEQ_GT(r->rx[1].e, x->e))
			x->e = r->rx[1].e;
		if (RT_BEFORE(r->rx[1].lo, x->lo))
			x->lo = r->rx[1].lo;
		if (RT_BEFORE(x->hi, r->rx[1].hi))
			x->hi = r->rx[1].hi;
		rx_remove(r, 1);
		r->rx_lost &= (uint8_t)~1u; /* found again, later */
	}
	x = &r->rx[r->rx_n];
	x->s = s;
	x->e = e;
	x->lo = now;
	x->hi = now;
	r->rx_n++;
}

/* send_seg(): len bytes from seq are going out (data only). */
void
tcp_rack_sent(struct tcp_conn *c, uint32_t seq, uint32_t len)
{
	uint32_t now;

	if (!rack_on(c))
		return;
	now = tcp_rack_now(c);
	if (SEQ_GEQ(seq, c->snd_max))
		tx_push(&c->rack, seq, now, (c->rack.min_rtt != 0 ?
				c->rack.min_rtt : c->srtt_us) / 8);
	else
		rx_push(c, seq, seq + len, now);
}

/* RFC 8985 6.2 steps 2 and 3 for [s, e), newly delivered: when it was
 * sent, at the earliest; RACK.xmit_ts/end_seq/rtt if it was the latest
 * sent; reordering if it was never resent and lies below data
 * delivered before. */
void
tcp_rack_delivered(struct tcp_conn *c, uint32_t s, uint32_t e, uint32_t now)
{
	struct tcp_rack *r = &c->rack;
	uint32_t t, k;
	int j, first = 0;

	if (!rack_on(c) || !SEQ_LT(s, e))
		return;
	for (j = r->rx_n - 1; j >= 0; j--)
		if (SEQ_LT(r->rx[j].s, e) && SEQ_GT(r->rx[j].e, s))
			break;
	if (j >= 0) {
		/* Resent: an answer sooner than the path's least RTT after
		 * the resend is the original's (step 2); learn nothing. */
		t = r->rx[j].lo;
		if (r->min_rtt != 0 && now - t < r->min_rtt)
			return;
	} else {
		for (k = r->tx_n; k > 0; k--)
			if (SEQ_LEQ(r->tx[k - 1].seq, e - 1))
				break;
		if (k == 0)
			return; /* sent before the records */
		t = r->tx[k - 1].lo;
		first = 1;
		if (r->have && SEQ_LT(e, r->fack))
			r->reord = 1;
	}
	if (!r->have || SEQ_GT(e, r->fack))
		r->fack = e;
	if (!r->have || RT_BEFORE(r->xmit, t) ||
			(t == r->xmit && SEQ_GT(e, r->end))) {
		r->xmit = t;
		r->end = e;
		r->xmit_first = (uint8_t)first;
		r->rtt = now - t;
		r->have = 1;
	}
}

/* new_ack(), before snd_una moves to ack: the holes below ack (what was
 * not SACKed before) are delivered. */
void
tcp_rack_cumack(struct tcp_conn *c, uint32_t ack)
{
	uint32_t hs = c->snd_una, i, now;

	if (!rack_on(c))
		return;
	now = tcp_rack_now(c);
	for (i = 0; i < c->sb_n && SEQ_LT(hs, ack); i++) {
		if (SEQ_GT(c->sb[i].s, hs))
			tcp_rack_delivered(c, hs, SEQ_LT(c->sb[i].s, ack) ?
					c->sb[i].s : ack, now);
		if (SEQ_GT(c->sb[i].e, hs))
			hs = c->sb[i].e;
	}
	if (SEQ_LT(hs, ack))
		tcp_rack_delivered(c, hs, ack, now);
}

/* new_ack(), after snd_una moved: forget what is acknowledged. */
void
tcp_rack_acked(struct tcp_conn *c)
{
	struct tcp_rack *r = &c->rack;
	uint32_t k;

	if (c->snd_una == c->snd_max) {
		r->tx_n = 0;
		r->rx_n = 0;
		r->rx_lost = 0;
		r->have = 0;
		r->timer = 0;
		return;
	}
	while (r->tx_n >= 2 && SEQ_LEQ(r->tx[1].seq, c->snd_una))
		tx_remove(r, 0);
	for (k = r->rx_n; k-- > 0;) {
		if (SEQ_LEQ(r->rx[k].e, c->snd_una))
			rx_remove(r, k);
		else if (SEQ_LT(r->rx[k].s, c->snd_una))
			r->rx[k].s = c->snd_una;
	}
}

/* RFC 8985 6.2 step 4: the reordering window. None while no reordering
 * was seen and the scoreboard already counts a loss (in recovery, after
 * a timeout, or DupThresh segments SACKed); else a quarter of the least
 * RTT, times what D-SACKs widened it to, at most SRTT. */
static uint32_t
reo_wnd(const struct tcp_conn *c)
{
	const struct tcp_rack *r = &c->rack;
	uint32_t base = r->min_rtt != 0 ? r->min_rtt : c->srtt_us;

	if (!r->reord && ((c->flags & TF_RECOVERY) || c->retries > 0 ||
			c->sacked >= c->dupthresh * tcp_eff_mss(c)))
		return 0;
	return RTE_MIN(RTE_MAX(r->reo_mult, 1u) * (base / 4), c->srtt_us);
}

/* The deadline of something sent at t: 0 (lost now) or how long to wait. */
static inline int32_t
rack_wait(const struct tcp_rack *r, uint32_t t, uint32_t reo, uint32_t now)
{
	int32_t d = (int32_t)(t + r->rtt + reo - now);

	return d > 0 ? d : 0;
}

/* First transmissions in [a, b) (a hole): in sequence, so in time;
 * lost up to the first that is not (yet). Returns 1 if something is
 * newly lost; *wait gets the least time until the next. */
static int
tx_detect(struct tcp_conn *c, uint32_t a, uint32_t b, uint32_t reo,
		uint32_t now, int32_t *wait)
{
	struct tcp_rack *r = &c->rack;
	uint32_t k, s, e, ke;
	int32_t d;
	int n = 0;

	for (k = 0; k < r->tx_n; k++) {
		ke = k + 1 < r->tx_n ? r->tx[k + 1].seq : c->snd_max;
		s = SEQ_LT(a, r->tx[k].seq) ? r->tx[k].seq : a;
		e = SEQ_LT(b, ke) ? b : ke;
		if (!SEQ_LT(s, e))
			continue;
		if (c->lost_below_ok && SEQ_GEQ(c->lost_below, e))
			continue;
		/* Sent before the latest delivered (step 5): by time, or
		 * below it in sequence when that was new data too, or at the
		 * same microsecond. */
		if (!RT_BEFORE(r->tx[k].hi, r->xmit) &&
				!((r->xmit_first || r->tx[k].hi == r->xmit) &&
				SEQ_LEQ(e, r->end)))
			break;
		d = rack_wait(r, r->tx[k].hi, reo, now);
		if (d > 0) {
			if (d < *wait)
				*wait = d;
			break;
		}
		c->lost_below = e;
		c->lost_below_ok = 1;
		c->tl->st.rack_lost++;
		n = 1;
	}
	return n;
}

/* One hole [a, b) below RACK.end_seq: the sweeps that resent parts of
 * it, then the first transmissions below and above those. */
static int
hole_detect(struct tcp_conn *c, uint32_t a, uint32_t b, uint32_t reo,
		uint32_t now, int32_t *wait)
{
	struct tcp_rack *r = &c->rack;
	uint32_t j, s, e, lo = b, hi = a;
	int32_t d;
	int n = 0;

	for (j = 0; j < r->rx_n; j++) {
		s = SEQ_LT(a, r->rx[j].s) ? r->rx[j].s : a;
		e = SEQ_LT(b, r->rx[j].e) ? b : r->rx[j].e;
		if (!SEQ_LT(s, e))
			continue;
		if (SEQ_LT(s, lo))
			lo = s;
		if (SEQ_GT(e, hi))
			hi = e;
		/* Sent before the latest delivered: by time, or at the
		 * same microsecond below it in sequence (one burst). */
		if ((r->rx_lost & (1u << j)) || !(RT_BEFORE(r->rx[j].hi, r->xmit) ||
				(r->rx[j].hi == r->xmit && SEQ_LEQ(e, r->end))))
			continue;
		d = rack_wait(r, r->rx[j].hi, reo, now);
		if (d > 0) {
			if (d < *wait)
				*wait = d;
			continue;
		}
		r->rx_lost |= (uint8_t)(1u << j);
		c->tl->st.rack_lost_rtx++;
		n = 1;
	}
	if (SEQ_GT(hi, lo)) {
		if (SEQ_LT(a, lo))
			n |= tx_detect(c, a, lo, reo, now, wait);
		if (SEQ_LT(hi, b))
			n |= tx_detect(c, hi, b, reo, now, wait);
	} else {
		n |= tx_detect(c, a, b, reo, now, wait);
	}
	return n;
}

/* RFC 8985 6.2 step 5 (RACK_detect_loss) over the holes below
 * RACK.end_seq; the reordering timer for the first not lost yet.
 * Returns TCP_RACK_LOST if something is newly lost, TCP_RACK_TIMER if
 * the timer's time changed (the caller re-arms t_rtx). */
int
tcp_rack_detect(struct tcp_conn *c)
{
	struct tcp_rack *r = &c->rack;
	uint32_t now, reo, hs, he, i;
	int32_t wait = INT32_MAX;
	int ret = 0;

	if (!rack_on(c) || !r->have || c->sb_n == 0) {
		if (r->timer == 0)
			return 0;
		r->timer = 0;
		return TCP_RACK_TIMER;
	}
	now = tcp_rack_now(c);
	reo = reo_wnd(c);
	hs = c->snd_una;
	for (i = 0; i < c->sb_n && SEQ_LT(hs, r->end); i++) {
		he = SEQ_LT(r->end, c->sb[i].s) ? r->end : c->sb[i].s;
		if (SEQ_LT(hs, he) && hole_detect(c, hs, he, reo, now, &wait))
			ret |= TCP_RACK_LOST;
		hs = c->sb[i].e;
	}
	if (wait != INT32_MAX) {
		/* RFC 8985 6.2: a little past the deadline, so it is due */
		uint32_t due = now + (uint32_t)wait + 1;

		if (r->timer == 0 || due != r->due) {
			r->due = due;
			r->timer = r->timer == 0 ? 1 : r->timer;
			ret |= TCP_RACK_TIMER;
		}
	} else if (r->timer != 0) {
		r->timer = 0;
		ret |= TCP_RACK_TIMER;
	}
	return ret;
}

/* A D-SACK came (RFC 8985 6.2 step 4): a resend was needless, so the
 * reordering window widens by a quarter min RTT, once per round trip,
 * for the next RACK_REO_PERSIST recoveries. */
void
tcp_rack_dsack(struct tcp_conn *c)
{
	struct tcp_rack *r = &c->rack;

	if (r->reo_persist != 0 && SEQ_LT(c->snd_una, r->dsack_round))
		return;
	r->dsack_round = c->snd_max;
	r->reo_mult = (uint8_t)RTE_MIN(RTE_MAX(r->reo_mult, 1u) + 1,
			(unsigned int)RACK_REO_MULT_MAX);
	r->reo_persist = RACK_REO_PERSIST;
	r->reord = 1;
}

void
tcp_rack_recovered(struct tcp_conn *c)
{
	struct tcp_rack *r = &c->rack;

	if (r->reo_persist != 0 && --r->reo_persist == 0)
		r->reo_mult = 1;
}

/* A timeout: everything is resent from snd_una (tcp_timer.c), which
 * starts a new sweep; the old ones and their marks are moot. */
void
tcp_rack_rto(struct tcp_conn *c)
{
	c->rack.rx_n = 0;
	c->rack.rx_lost = 0;
	c->rack.timer = 0;
}

/* Bytes of lost sweeps not SACKed (below high_rxt): RFC 6675's pipe
 * counts them as resent and in flight; they are not. */
uint32_t
tcp_rack_lost_rx_bytes(const struct tcp_conn *c)
{
	const struct tcp_rack *r = &c->rack;
	uint32_t j, i, s, e, os, oe, n = 0;

	for (j = 0; j < r->rx_n; j++) {
		if (!(r->rx_lost & (1u << j)))
			continue;
		s = SEQ_LT(r->rx[j].s, c->snd_una) ? c->snd_una : r->rx[j].s;
		e = SEQ_LT(r->rx[j].e, c->high_rxt) ? r->rx[j].e : c->high_rxt;
		if (!SEQ_LT(s, e))
			continue;
		n += e - s;
		for (i = 0; i < c->sb_n; i++) {
			os = SEQ_LT(c->sb[i].s, s) ? s : c->sb[i].s;
			oe = SEQ_LT(c->sb[i].e, e) ? c->sb[i].e : e;
			if (SEQ_LT(os, oe))
				n -= oe - os;
		}
	}
	return n;
}

/* Before RFC 6675's NextSeg: the first byte of a lost sweep, oldest
 * first, that is not SACKed, and how much of its hole fits max. A sweep
 * with nothing left to resend is dropped. */
int
tcp_rack_next_lost(struct tcp_conn *c, uint32_t max, uint32_t *seq,
		uint32_t *len)
{
	struct tcp_rack *r = &c->rack;
	struct tcp_rack_rx *x;
	uint32_t j, i, s, e;

	for (j = 0; j < r->rx_n; j++) {
		if (!(r->rx_lost & (1u << j)))
			continue;
		x = &r->rx[j];
		s = SEQ_LT(x->s, c->snd_una) ? c->snd_una : x->s;
		for (i = 0; i < c->sb_n; i++) {
			if (SEQ_LEQ(c->sb[i].e, s))
				continue;
			if (SEQ_GT(c->sb[i].s, s))
				break;
			s = c->sb[i].e;
		}
		if (!SEQ_LT(s, x->e)) {
			rx_remove(r, j--);
			continue;
		}
		e = x->e;
		if (i < c->sb_n && SEQ_LT(c->sb[i].s, e))
			e = c->sb[i].s;
		x->s = s;
		*seq = s;
		*len = RTE_MIN(e - s, max);
		return 1;
	}
	return 0;
}

/* t_rtx expired as the reordering timer: what is lost now is resent
 * (recovery begins if snd_una is), at burst end. */
void
tcp_rack_reo_timeout(struct tcp_conn *c)
{
	c->tl->st.rack_reo_timeouts++;
	if (!(tcp_rack_detect(c) & TCP_RACK_LOST))
		return;
	if (!(c->flags & TF_RECOVERY))
		tcp_sack_loss_check(c);
	tcp_enqueue(c);
}
