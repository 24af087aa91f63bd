/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * TCP timers on the owner lcore's wheel: retransmission (RFC 6298, with
 * SYN and SYN-ACK retries), persist (RFC 9293 3.8.6.1), delayed ACK
 * (RFC 1122 4.2.3.2), keepalive (RFC 1122 4.2.3.6), FIN_WAIT_2 and
 * TIME_WAIT (RFC 9293 3.6).
 */

#include <errno.h>

#include <rte_cycles.h>

#include "tcp_private.h"

static uint64_t
us_to_cyc(const struct tcp_conn *c, uint64_t us)
{
	return us * c->tl->tn->cyc_per_us;
}

/* Current RTO with back-off, clamped (RFC 6298 2.4, 2.5, 5.5). */
static uint64_t
rto_cycles(const struct tcp_conn *c)
{
	const struct px_tcp_conf *cf = &c->tl->tn->conf;
	uint64_t us = (uint64_t)c->rto_us << RTE_MIN(c->backoff, 20);

	if (us > (uint64_t)cf->rto_max_ms * 1000)
		us = (uint64_t)cf->rto_max_ms * 1000;
	return us_to_cyc(c, us);
}

/* RFC 5482 (PX_TCP_OPT_USER_TIMEOUT): a retry that has just been
 * counted; the first of a series starts its clock, one RTO back (when
 * what is unanswered went out; the black-hole rule, TCP_BH_MIN_MS, reads
 * it too). 1 if the series has outlived the user timeout. */
static int
user_timed_out(struct tcp_conn *c)
{
	uint64_t now = rte_rdtsc();

	if (c->retries == 1)
		c->rtx_since_tsc = now - rto_cycles(c);
	if (c->user_to_ms == 0)
		return 0;
	return now - c->rtx_since_tsc >= (uint64_t)c->user_to_ms *
		c->tl->tn->cyc_per_ms;
}

/* The RTO, or what is left of the user timeout in a series if less (so
 * the connection ends on time, not up to an RTO late). */
static uint64_t
rtx_delay(const struct tcp_conn *c)
{
	uint64_t d = rto_cycles(c), now, end;

	if (c->user_to_ms == 0 || c->retries == 0)
		return d;
	now = rte_rdtsc();
	end = c->rtx_since_tsc + (uint64_t)c->user_to_ms * c->tl->tn->cyc_per_ms;
	return end <= now ? 0 : RTE_MIN(d, end - now);
}

/* RFC 8985 7.2: the probe timeout, 0 if no probe is due: with SACK, an
 * RTT sample, data in flight outside recovery and timeouts, no probe
 * out already. 2 SRTT, plus the worst delayed ACK for a flight of one
 * segment (its ACK may be held that long), at least TCP_PTO_MIN_US. */
static uint64_t
pto_cycles(const struct tcp_conn *c)
{
	uint64_t us;

	/* A flight of one segment waits longer than any RTO worth having
	 * (rto_max aside): the RTO comes first; test that before the rest. */
	if (tcp_flight(c) <= tcp_eff_mss(c) &&
			c->rto_us <= TCP_WC_DELACK_US && c->backoff == 0)
		return 0;
	if ((c->tl->tn->conf.flags & PX_TCP_CONF_F_NO_TLP) ||
			(c->flags & (TF_SACK | TF_RECOVERY | TF_PERSIST)) != TF_SACK ||
			!TCP_IN_STATE(c, TCP_SYNCED) || c->retries != 0 ||
			(c->tlp_state != TLP_NONE && c->tlp_state != TLP_ARMED) ||
			c->srtt_us == 0 || c->snd_wnd == 0 ||
			c->snd_una == c->snd_max)
		return 0;
	us = 2ull * c->srtt_us;
	if (tcp_flight(c) <= tcp_eff_mss(c))
		us += TCP_WC_DELACK_US;
	return us_to_cyc(c, RTE_MAX(us, (uint64_t)TCP_PTO_MIN_US));
}

static void rtx_expire(struct px_timer *t, void *arg);
static void dack_expire(struct px_timer *t, void *arg);
static void slow_expire(struct px_timer *t, void *arg);

/* Arm one of c's timers to fire delay cycles from now. Not
 * px_timer_arm(): its delay counts from the wheel's last advance, which
 * from inside a task (px_tcp_write() -> tcp_output()) or late in a long
 * run of task slices can be milliseconds ago; a 5 ms RTO armed 7 ms after
 * the advance was due at once (spurious retransmissions on a clean link,
 * seen on the ASan build). px_tcp_attach() bounds every TCP delay to a
 * day, far inside the wheel's horizon at its default 1 us tick (50 days);
 * a wheel with a finer tick may have less, and the timer then fires at
 * the horizon (every expiry handler checks what is due). */
static void
timer_arm(struct tcp_conn *c, struct px_timer *t, uint64_t delay,
		px_timer_cb_t cb)
{
	struct px_timer_wheel *w = c->tl->wheel;

	if (unlikely(px_timer_arm_at(w, t, rte_rdtsc() + delay, cb, c) ==
			-ERANGE))
		px_timer_arm_at(w, t, px_timer_wheel_now(w) +
				px_timer_wheel_horizon(w), cb, c);
}

void
tcp_timers_init(struct tcp_conn *c)
{
	px_timer_init(&c->t_rtx);
	px_timer_init(&c->t_dack);
	px_timer_init(&c->t_slow);
}

void
tcp_timers_stop(struct tcp_conn *c)
{
	struct px_timer_wheel *w = c->tl->wheel;

	px_timer_cancel(w, &c->t_rtx);
	px_timer_cancel(w, &c->t_dack);
	px_timer_cancel(w, &c->t_slow);
}

void
tcp_rtx_cancel(struct tcp_conn *c)
{
	px_timer_cancel(c->tl->wheel, &c->t_rtx);
	c->flags &= ~TF_PERSIST;
	if (c->tlp_state == TLP_ARMED)
		c->tlp_state = TLP_NONE;
	if (c->rack.timer == 2)
		c->rack.timer = 1;
}

/* The RTO, or the probe timeout (RFC 8985 7.2) or RACK's reordering
 * timer (6.2) where one comes first. */
static void
rtx_or_pto_arm(struct tcp_conn *c)
{
	uint64_t d = rtx_delay(c), p = (c->flags & TF_SACK) ? pto_cycles(c) : 0;
	int32_t w;

	if (p != 0 && p < d) {
		d = p;
		c->tlp_state = TLP_ARMED;
	} else if (c->tlp_state == TLP_ARMED) {
		c->tlp_state = TLP_NONE;
	}
	if (unlikely(c->rack.timer != 0)) {
		w = (int32_t)(c->rack.due - tcp_rack_now(c));
		p = us_to_cyc(c, w > 0 ? (uint64_t)w : 0);
		if (p < d) {
			d = p;
			c->rack.timer = 2;
			if (c->tlp_state == TLP_ARMED)
				c->tlp_state = TLP_NONE;
		} else {
			c->rack.timer = 1;
		}
	}
	timer_arm(c, &c->t_rtx, d, rtx_expire);
}

/* Arm the retransmission timer if it is not (RFC 6298 5.1). */
void
tcp_rtx_arm(struct tcp_conn *c)
{
	if (px_timer_is_armed(&c->t_rtx)) {
		if (!(c->flags & TF_PERSIST))
			return;
		tcp_rtx_cancel(c);
	}
	rtx_or_pto_arm(c);
}

/* Restart it for new data acknowledged (RFC 6298 5.3). */
void
tcp_rtx_restart(struct tcp_conn *c)
{
	tcp_rtx_cancel(c);
	rtx_or_pto_arm(c);
}

void
tcp_persist_arm(struct tcp_conn *c)
{
	tcp_rtx_cancel(c);
	c->flags |= TF_PERSIST;
	timer_arm(c, &c->t_rtx, rtx_delay(c), rtx_expire);
}

void
tcp_delack_arm(struct tcp_conn *c)
{
	if (!px_timer_is_armed(&c->t_dack))
		timer_arm(c, &c->t_dack, c->tl->tn->delack_cyc, dack_expire);
}

void
tcp_delack_cancel(struct tcp_conn *c)
{
	if (px_timer_is_armed(&c->t_dack))
		px_timer_cancel(c->tl->wheel, &c->t_dack);
}

void
tcp_slow_arm(struct tcp_conn *c, uint64_t cycles)
{
	px_timer_cancel(c->tl->wheel, &c->t_slow);
	timer_arm(c, &c->t_slow, cycles, slow_expire);
}

/* States where keepalive probes run, as Linux's (where the RTO does not
 * run instead, our FIN in flight): open, the peer's side closed, or ours
 * while the application still holds the connection (an orphan's
 * FIN_WAIT_2 has its own timeout on t_slow). */
static int
ka_state(const struct tcp_conn *c)
{
	return TCP_IN_STATE(c, TCP_ESTABLISHED | TCP_CLOSE_WAIT) ||
		(c->state == TCP_FIN_WAIT_2 && !(c->flags & TF_ORPHAN));
}

void
tcp_keepalive_reset(struct tcp_conn *c)
{
	if (!(c->flags & TF_KEEPALIVE) || !ka_state(c)) {
		if (ka_state(c))
			px_timer_cancel(c->tl->wheel, &c->t_slow);
		return;
	}
	c->ka_probes = 0;
	tcp_slow_arm(c, (uint64_t)c->ka_idle_s * c->tl->tn->hz);
}

/* RFC 6298 2.2, 2.3 (alpha 1/8, beta 1/4, K 4, G one wheel tick). */
void
tcp_rtt_sample(struct tcp_conn *c, uint64_t cycles)
{
	uint32_t r = (uint32_t)RTE_MIN(cycles / c->tl->tn->cyc_per_us,
			(uint64_t)UINT32_MAX / 8);
	uint32_t d, min = c->tl->tn->conf.rto_min_us;

	if (r == 0)
		r = 1;
	if (c->srtt_us == 0) {
		c->srtt_us = r;
		c->rttvar_us = r / 2;
	} else {
		d = c->srtt_us > r ? c->srtt_us - r : r - c->srtt_us;
		c->rttvar_us = (3 * c->rttvar_us + d) / 4;
		c->srtt_us = (7 * c->srtt_us + r) / 8;
	}
	if (c->rack.min_rtt == 0 || r < c->rack.min_rtt)
		c->rack.min_rtt = r; /* RACK's reordering window */
	c->rto_us = c->srtt_us + RTE_MAX(1u, 4 * c->rttvar_us);
	/* RFC 6298 2.4 says 1 s; the floor is configurable (data centre). */
	if (c->rto_us < min)
		c->rto_us = min;
	if (c->rto_us > c->tl->tn->conf.rto_max_ms * 1000)
		c->rto_us = c->tl->tn->conf.rto_max_ms * 1000;
}

/* RTT from an ACK that advances snd_una (RFC 6298 3, RFC 7323 4.1): from
 * the timed segment if it is covered; else, if Karn's rule dropped the
 * timing because data was resent, from the timestamp the ACK echoes,
 * which names the transmission the peer answered and so is valid for
 * retransmitted data too. (Only then: the timed segment is the finer
 * clock, the timestamp's is 1 ms.) Only a valid sample ends the
 * exponential back-off (RFC 6298 5.7: the backed-off RTO stays until
 * one arrives), so an RTT above the RTO floor is learnt instead of
 * timing out every flight. Returns 1 if it took a sample. */
int
tcp_rtt_ack(struct tcp_conn *c, uint32_t ack, const struct tcp_seg *seg)
{
	uint32_t d;

	if ((c->flags & TF_RTT_TIMING) && SEQ_GT(ack, c->rtt_seq)) {
		c->flags &= ~(TF_RTT_TIMING | TF_RTT_KARN);
		tcp_rtt_sample(c, rte_rdtsc() - c->rtt_tsc);
	} else if ((c->flags & (TF_RTT_KARN | TF_TS)) == (TF_RTT_KARN | TF_TS) &&
			seg->has_ts && seg->tsecr != 0) {
		d = tcp_ts_now(c) - seg->tsecr;
		/* An echo from the future, or older than any RTO: not ours. */
		if ((int32_t)d < 0 || d > c->tl->tn->conf.rto_max_ms)
			return 0;
		c->flags &= ~TF_RTT_KARN;
		tcp_rtt_sample(c, (uint64_t)d * c->tl->tn->cyc_per_ms);
	} else {
		return 0;
	}
	c->backoff = 0;
	return 1;
}

void
tcp_enter_time_wait(struct tcp_conn *c)
{
	tcp_rtx_cancel(c);
	tcp_delack_cancel(c);
	tcp_set_state(c, TCP_TIME_WAIT, 0);
	tcp_slow_arm(c, 2 * c->tl->tn->msl_cyc);
}

static void
rtx_expire_do(struct px_timer *t, void *arg)
{
	struct tcp_conn *c = arg;
	struct tcp_lcore *tl = c->tl;
	const struct px_tcp_conf *cf = &tl->tn->conf;

	RTE_SET_USED(t);
	if (c->rack.timer == 2) {
		/* RFC 8985 6.2: the reordering window passed; the RTO (or
		 * the probe) runs on from now. */
		c->rack.timer = 0;
		if (TCP_IN_STATE(c, TCP_SYNCED) && SEQ_LT(c->snd_una, c->snd_max))
			tcp_rack_reo_timeout(c);
		if (SEQ_LT(c->snd_una, c->snd_max) && !px_timer_is_armed(&c->t_rtx))
			rtx_or_pto_arm(c);
		return;
	}
	if (c->tlp_state == TLP_ARMED) {
		/* RFC 8985 7.3: the probe; the RTO runs on from now. */
		c->tlp_state = TLP_NONE;
		if (TCP_IN_STATE(c, TCP_SYNCED) && SEQ_LT(c->snd_una, c->snd_max))
			tcp_tlp_fire(c);
		timer_arm(c, &c->t_rtx, rtx_delay(c), rtx_expire);
		return;
	}
	if (c->flags & TF_PERSIST) {
		/* RFC 9293 3.8.6.1: probe with one byte past the window...
		 * as Linux does, with an old sequence number (snd_una - 1)
		 * that draws an ACK with the current window and never
		 * depends on the peer taking data. Probing goes on while
		 * the peer answers. */
		c->flags &= ~TF_PERSIST;
		if (c->snd_wnd != 0 || (!SEQ_LT(c->snd_nxt, tcp_data_end(c)) &&
				!(c->flags & TF_FIN_QUEUED))) {
			/* A window too small to use (SWS avoidance): use it. */
			c->flags |= TF_FORCE;
			tcp_output(c);
			return;
		}
		/* Unanswered probes end it, as unanswered retransmissions
		 * do (any ACK resets the count). */
		if (++c->retries > cf->max_retries || user_timed_out(c)) {
			tl->st.timeouts++;
			tcp_set_state(c, TCP_CLOSED, c->soft_err != 0 ? c->soft_err : -ETIMEDOUT);
			return;
		}
		tl->st.zero_wnd_probes++;
		tcp_send_ctl(c, c->snd_una - 1, 0);
		if (c->backoff < 20)
			c->backoff++;
		tcp_persist_arm(c);
		return;
	}
	tl->st.rto++;
	if (TCP_IN_STATE(c, TCP_SYN_SENT | TCP_SYN_RCVD)) {
		if (++c->retries > (c->state == TCP_SYN_SENT ? cf->syn_retries :
				cf->synack_retries)) {
			tl->st.timeouts++;
			tcp_set_state(c, TCP_CLOSED, c->soft_err != 0 ? c->soft_err : -ETIMEDOUT);
			return;
		}
		c->backoff++;
		/* RFC 6298 5.7: the RTO after a lost SYN stays conservative. */
		c->retrans++;
		tl->st.retrans++;
		/* Resend the SYN (or SYN-ACK) itself: snd_nxt stays past it,
		 * so a failed send cannot leave it behind snd_una later. */
		tcp_send_ctl(c, c->iss, TH_SYN);
		tcp_rtx_arm(c);
		return;
	}
	if (!SEQ_LT(c->snd_una, c->snd_max))
		return;
	if (++c->retries > cf->max_retries || user_timed_out(c)) {
		tl->st.timeouts++;
		tcp_set_state(c, TCP_CLOSED, c->soft_err != 0 ? c->soft_err : -ETIMEDOUT);
		return;
	}
	if (c->snd_wnd == 0) {
		/* The peer shrank its window to zero with data in flight
		 * (RFC 9293 3.8.6: be robust to it). Nothing can be resent
		 * into it and nothing is lost: probe it, as persist does,
		 * and keep the connection while the peer answers (an ACK
		 * at a zero window resets retries, RFC 1122 4.2.2.17). */
		tl->st.zero_wnd_probes++;
		tcp_send_ctl(c, c->snd_una - 1, 0);
		if (c->backoff < 20)
			c->backoff++;
		tcp_rtx_arm(c);
		return;
	}
	/* RFC 6298 5.5-5.7 and RFC 5681 3.1: back off, collapse the window,
	 * go back to the first unacknowledged byte. The first timeout of a
	 * series may prove spurious (RFC 4015, by timestamps: a peer that
	 * delays its ACK longer than our RTO floor): keep what to restore.
	 * A series is the timeouts since data was last acknowledged
	 * (retries); the back-off outlives it until an RTT sample. */
	/* A probe still out when the RTO fires proved nothing. */
	c->tlp_state = TLP_NONE;
	c->lost_below_ok = 0;
	tcp_rack_rto(c);
	if (c->retries == 1) {
		c->undo_cwnd = c->cwnd;
		c->undo_ssthresh = c->ssthresh;
		c->undo_tsval = tcp_ts_now(c);
		c->flags |= TF_UNDO | TF_UNDO_RTO;
	} else {
		c->flags &= ~(TF_UNDO | TF_UNDO_RTO);
	}
	c->cc->on_rto(c);
	c->flags = (c->flags & ~(TF_RECOVERY | TF_SACK_RECOV | TF_RTT_TIMING)) |
		TF_RTT_KARN;
	/* RFC 6675 5.1: the go-back skips SACKed data; a second timeout in
	 * a row may mean the peer reneged (RFC 2018 8): forget it all. */
	if (c->retries > 1)
		tcp_sack_clear(c);
	c->high_rxt = c->snd_una;
	c->recover = c->snd_max; /* RFC 6582 4: no fast retransmit for data
	                            sent before the timeout */
	c->dupacks = 0;
	if (c->backoff < 20)
		c->backoff++;
	if (c->retries == 1)
		c->bh_next = 2;
	if (c->retries >= c->bh_next && rte_rdtsc() - c->rtx_since_tsc >=
			(uint64_t)TCP_BH_MIN_MS * c->tl->tn->cyc_per_ms &&
			!(cf->flags & PX_TCP_CONF_F_NO_BLACKHOLE) &&
			tcp_pmtu_blackhole(c))
		c->bh_next = (uint8_t)(c->retries + 1);
	c->snd_nxt = c->snd_una;
	tcp_output(c);
	tcp_rtx_arm(c);
}

static void
dack_expire_do(struct px_timer *t, void *arg)
{
	struct tcp_conn *c = arg;

	RTE_SET_USED(t);
	if (TCP_IN_STATE(c, TCP_CLOSED | TCP_LISTEN))
		return;
	c->flags |= TF_ACK_NOW;
	tcp_output(c);
}

static void
slow_expire_do(struct px_timer *t, void *arg)
{
	struct tcp_conn *c = arg;
	struct tcp_lcore *tl = c->tl;
	uint64_t idle;

	RTE_SET_USED(t);
	switch (c->state) {
	case TCP_TIME_WAIT:
		tcp_set_state(c, TCP_CLOSED, 0);
		return;
	case TCP_FIN_WAIT_2:
		/* The application closed and the peer never sent its FIN.
		 * (A connection the application still holds, half-closed,
		 * waits for the peer as long as it takes.) */
		if (!(c->flags & TF_ORPHAN))
			goto keepalive;
		tl->st.timeouts++;
		tcp_set_state(c, TCP_CLOSED, c->soft_err != 0 ? c->soft_err : -ETIMEDOUT);
		return;
	case TCP_ESTABLISHED:
	case TCP_CLOSE_WAIT:
keepalive:
		if (!(c->flags & TF_KEEPALIVE))
			return;
		idle = rte_rdtsc() - c->last_rx_tsc;
		if (c->ka_probes == 0 && idle < (uint64_t)c->ka_idle_s * tl->tn->hz) {
			tcp_slow_arm(c, (uint64_t)c->ka_idle_s * tl->tn->hz - idle);
			return;
		}
		if (c->ka_probes >= c->ka_cnt) {
			tl->st.timeouts++;
			tcp_send_ctl(c, c->snd_max, TH_RST);
			tcp_set_state(c, TCP_CLOSED, c->soft_err != 0 ? c->soft_err : -ETIMEDOUT);
			return;
		}
		/* RFC 1122 4.2.3.6: a segment with SEG.SEQ = SND.NXT-1. */
		c->ka_probes++;
		tl->st.keepalive_probes++;
		tcp_send_ctl(c, c->snd_una - 1, 0);
		tcp_slow_arm(c, (uint64_t)c->ka_intvl_s * tl->tn->hz);
		return;
	default:
		return;
	}
}

/* Each expiry may free the connection and queue callbacks: run them
 * here, as the end of an input burst would. */
#define TIMER_ENTRY(name_)						\
static void								\
name_(struct px_timer *t, void *arg)					\
{									\
	struct tcp_lcore *tl = ((struct tcp_conn *)arg)->tl;		\
									\
	name_##_do(t, arg);						\
	tcp_flush(tl);							\
}
TIMER_ENTRY(rtx_expire)
TIMER_ENTRY(dack_expire)
TIMER_ENTRY(slow_expire)
