/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * TCP input: validation, demux, and the segment-arrives steps of RFC 9293
 * 3.10.7, with RFC 7323 (PAWS, timestamps), RFC 5961 (challenge ACKs),
 * RFC 5681/6582 (duplicate ACKs, fast retransmit, NewReno recovery) and
 * the out-of-order queue behind RFC 2018 SACK blocks.
 */

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_random.h>
#include <rte_tcp.h>

#include "tcp_private.h"

#define PAWS_IDLE_MS (24ull * 24 * 3600 * 1000) /* RFC 7323 5.5 */

int
px__tcp_parse_opts(const uint8_t *p, uint32_t len, struct tcp_seg *seg, int syn)
{
	uint32_t i = 0, l, k;

	while (i < len) {
		switch (p[i]) {
		case 0: /* end of option list */
			return 0;
		case 1: /* no-operation */
			i++;
			continue;
		default:
			break;
		}
		/* RFC 9293 3.1: must cope with an illegal length (zero, or
		 * past the header): the segment is dropped and counted. */
		if (i + 1 >= len)
			return -EINVAL;
		l = p[i + 1];
		if (l < 2 || i + l > len)
			return -EINVAL;
		switch (p[i]) {
		case 2: /* MSS, SYN only (RFC 9293 3.7.1) */
			if (l == 4 && syn) {
				seg->has_mss = 1;
				seg->mss = (uint16_t)(p[i + 2] << 8 | p[i + 3]);
			}
			break;
		case 3: /* window scale, SYN only (RFC 7323 2.2) */
			if (l == 3 && syn) {
				seg->has_ws = 1;
				seg->ws = p[i + 2];
			}
			break;
		case 4: /* SACK permitted, SYN only (RFC 2018 2) */
			if (l == 2 && syn)
				seg->sack_ok = 1;
			break;
		case 5: /* SACK blocks (RFC 2018 3) */
			if (l >= 10 && (l - 2) % 8 == 0 && !syn) {
				seg->nsack = (uint8_t)RTE_MIN((l - 2) / 8, 4u);
				for (k = 0; k < seg->nsack; k++) {
					uint32_t a, b;

					memcpy(&a, p + i + 2 + 8 * k, 4);
					memcpy(&b, p + i + 6 + 8 * k, 4);
					seg->sack[k][0] = rte_be_to_cpu_32(a);
					seg->sack[k][1] = rte_be_to_cpu_32(b);
				}
			}
			break;
		case 8: /* timestamps (RFC 7323 3.2) */
			if (l == 10) {
				uint32_t a, b;

				memcpy(&a, p + i + 2, 4);
				memcpy(&b, p + i + 6, 4);
				seg->has_ts = 1;
				seg->tsval = rte_be_to_cpu_32(a);
				seg->tsecr = rte_be_to_cpu_32(b);
			}
			break;
		case 34: /* Fast Open cookie, SYN only (RFC 7413 2) */
			if (syn && (l == 2 || (l >= 6 && l <= 18 && l % 2 == 0))) {
				seg->tfo_len = (uint8_t)l;
				memcpy(seg->tfo_cookie, p + i + 2, l - 2);
			}
			break;
		default: /* unknown: skipped (RFC 9293 3.2) */
			break;
		}
		i += l;
	}
	return 0;
}

static void process_fin(struct tcp_conn *c);

/* RFC 9293 3.10.7.4 seventh: segment text, segs segments of it (joined
 * by GRO). Takes m (payload only). */
void
tcp_rcv_data(struct tcp_conn *c, struct rte_mbuf *m, uint32_t seq,
		uint32_t len, uint32_t segs)
{
	struct tcp_lcore *tl = c->tl;
	uint32_t d, wnd_end;
	int lvl;

	if (SEQ_LT(seq, c->rcv_nxt)) {
		d = c->rcv_nxt - seq;
		tcp_dsack_set(c, seq, seq + RTE_MIN(d, len));
		if (d >= len) {
			tl->st.dup_data++;
			rte_pktmbuf_free(m);
			tcp_ack_soon(c, 1);
			return;
		}
		m = tcp_chain_trim_front(m, d);
		seq += d;
		len -= d;
	}
	wnd_end = c->rcv_nxt + (SEQ_GT(c->rcv_adv, c->rcv_nxt) ?
			c->rcv_adv - c->rcv_nxt : 0);
	if (SEQ_GT(seq + len, wnd_end)) {
		if (!SEQ_LT(seq, wnd_end)) {
			tl->st.drop_rcvq_full++;
			rte_pktmbuf_free(m);
			tcp_ack_soon(c, 1);
			return;
		}
		len = wnd_end - seq;
		tcp_chain_keep(m, len);
	}
	/* A FIN that came early ends the stream there (as Linux purges
	 * what lies past a FIN): nothing past it is taken, so RCV.NXT
	 * cannot step over it and lose it (TCP review A.18). */
	if (unlikely(c->flags & TF_OOO_FIN) && SEQ_GT(seq + len, c->fin_rseq)) {
		if (!SEQ_LT(seq, c->fin_rseq)) {
			tl->st.drop_state++;
			rte_pktmbuf_free(m);
			tcp_ack_soon(c, 1);
			return;
		}
		len = c->fin_rseq - seq;
		tcp_chain_keep(m, len);
	}
	lvl = tcp_mem_level(tl);
	if (unlikely(lvl > 0) && (seq != c->rcv_nxt ||
			(lvl > 1 && !tcp_mem_allows(c, lvl)))) {
		/* Shed load: the peer sends it again. */
		tl->st.drop_nomem++;
		if (lvl > 1 && c->ooo_cnt > 0)
			tcp_ooo_purge(c);
		rte_pktmbuf_free(m);
		tcp_ack_soon(c, 1);
		return;
	}
	if (seq != c->rcv_nxt) {
		/* RFC 5681 4.2: out of order, ACK at once (a duplicate ACK
		 * with SACK blocks). */
		tcp_ooo_insert(c, seq, len, m);
		tcp_ack_soon(c, 1);
		return;
	}
	tcp_rq_push(c, m, tcp_chain_last(m), len);
	c->rcv_nxt += len;
	c->bytes_in += len;
	tl->st.bytes_in += len;
	if (c->ooo_cnt > 0 || (c->flags & TF_OOO_FIN)) {
		/* RFC 5681 4.2: ACK at once when filling a hole (or when a
		 * FIN that came early is now in order). */
		if (tcp_ooo_pull(c))
			process_fin(c);
		tcp_ack_soon(c, 1);
	} else {
		/* RFC 1122 4.2.3.2: ACK at least every second full segment. */
		c->segs_unacked += segs;
		tcp_ack_soon(c, c->segs_unacked >= 2);
	}
	tcp_wake(c, 1, 0);
}

/* Does an out-of-order range hold data at or past seq? */
static int
ooo_past(const struct tcp_conn *c, uint32_t seq)
{
	uint32_t i;

	for (i = 0; i < c->ooo_cnt; i++)
		if (SEQ_GT(c->ooo[i].seq + c->ooo[i].len, seq))
			return 1;
	return 0;
}

/* RFC 9293 3.10.7.4 eighth: the peer's FIN, in order. */
static void
process_fin(struct tcp_conn *c)
{
	c->rcv_nxt++;
	c->flags |= TF_RCVD_FIN;
	tcp_ack_soon(c, 1);
	switch (c->state) {
	case TCP_SYN_RCVD:
	case TCP_ESTABLISHED:
		tcp_set_state(c, TCP_CLOSE_WAIT, 0);
		break;
	case TCP_FIN_WAIT_1:
		/* Our FIN not yet acknowledged: simultaneous close. */
		tcp_set_state(c, TCP_CLOSING, 0);
		break;
	case TCP_FIN_WAIT_2:
		tcp_enter_time_wait(c);
		break;
	default:
		break;
	}
	tcp_wake(c, 1, 0);
}

/* ---- ACK processing (RFC 9293 3.10.7.4 fifth) ---- */

/* RFC 3522 (Eifel detection): the ACK that ends a fast retransmit
 * episode echoes a timestamp older than the retransmission, so it was
 * the original that arrived, late: reordering, not loss. Undo the window
 * reduction and tolerate more duplicate ACKs from now on (as Linux's
 * reordering metric does). */
static int
spurious_retransmit(struct tcp_conn *c, const struct tcp_seg *seg)
{
	if (!(c->flags & TF_UNDO) || !seg->has_ts || !(c->flags & TF_TS) ||
			!SEQ_LT(seg->tsecr, c->undo_tsval))
		return 0;
	if (!(c->flags & TF_UNDO_RTO))
		c->dupthresh = RTE_MIN(c->dupthresh * 2, 64u); /* reordering */
	c->flags &= ~(TF_UNDO | TF_UNDO_RTO | TF_RECOVERY | TF_SACK_RECOV);
	c->cwnd = RTE_MAX(c->cwnd, c->undo_cwnd);
	c->ssthresh = RTE_MAX(c->ssthresh, c->undo_ssthresh);
	/* RFC 4015 3.2: after a spurious timeout, resume with new data
	 * rather than resending what was in flight. */
	if (SEQ_LT(c->snd_nxt, c->snd_max))
		c->snd_nxt = c->snd_max;
	c->dupacks = 0;
	c->tl->st.undo++;
	return 1;
}

static void
new_ack(struct tcp_conn *c, uint32_t ack, const struct tcp_seg *seg)
{
	uint32_t acked = ack - c->snd_una, data, mss = tcp_eff_mss(c);
	uint32_t flight = tcp_flight(c); /* before this ACK */
	int32_t d = (int32_t)(ack - c->sq_seq);

	data = d > 0 ? RTE_MIN((uint32_t)d, c->sq_bytes) : 0;
	if (data > 0)
		tcp_sq_ack(c, data);
	tcp_rack_cumack(c, ack);
	/* This ACK's RTT from the timestamp it echoes, for HyStart++
	 * (tcp_cc.c): one per ACK, 1 ms steps; only while it watches (the
	 * first slow start), not on every ACK of a connection's life. */
	c->ack_rtt_us = UINT32_MAX;
	if (unlikely(c->hs.state != HS_OFF) && (c->flags & TF_TS) &&
			seg->has_ts && seg->tsecr != 0) {
		uint32_t ms = tcp_ts_now(c) - seg->tsecr;

		if (ms < c->tl->tn->conf.rto_max_ms)
			c->ack_rtt_us = ms * 1000;
	}
	c->snd_una = ack;
	if (SEQ_LT(c->snd_nxt, c->snd_una))
		c->snd_nxt = c->snd_una;
	if (SEQ_LT(c->high_rxt, c->snd_una))
		c->high_rxt = c->snd_una;
	if (c->sb_n > 0)
		tcp_sack_trim(c);
	tcp_rack_acked(c);
	tcp_rtt_ack(c, ack, seg); /* ends the back-off if it samples */
	c->retries = 0;
	c->soft_err = 0; /* the path works */
	c->lt_allow = 0;
	if (spurious_retransmit(c, seg)) {
		/* window restored; nothing more to do for this ACK */
	} else if (c->flags & TF_RECOVERY) {
		if (SEQ_GEQ(ack, c->recover)) {
			/* RFC 6582 3.2 step 3: full acknowledgment. */
			c->flags &= ~(TF_RECOVERY | TF_SACK_RECOV | TF_UNDO |
					TF_UNDO_RTO);
			c->cc->on_recovered(c);
			tcp_rack_recovered(c);
			c->dupacks = 0;
		} else if (c->flags & TF_SACK_RECOV) {
			/* RFC 6675: the scoreboard picks what to resend (at
			 * burst end). But a partial ACK also means the data it
			 * stops at, sent before recovery began and before the
			 * resent data it acknowledges, is lost (RFC 6582's
			 * rule): resend it now, not after a timeout, when the
			 * scoreboard has too little above it to say so. */
			if (!SEQ_GT(c->high_rxt, c->snd_una))
				tcp_retransmit_una(c);
		} else {
			/* Partial acknowledgment: retransmit the next hole,
			 * deflate by what was acked, add back one MSS. */
			tcp_retransmit_una(c);
			c->cwnd = c->cwnd > acked ? c->cwnd - acked + mss : mss;
		}
	} else {
		c->dupacks = 0;
		c->flags &= ~(TF_UNDO | TF_UNDO_RTO);
		/* RFC 7661: the window grows only when it was used (as
		 * Linux's tcp_is_cwnd_limited(): at least half of it in
		 * flight); an application-limited sender would otherwise
		 * grow it without bound and later send it all at once. */
		if (flight >= c->cwnd / 2)
			c->cc->on_ack(c, acked);
		/* Keep recover just behind snd_una outside recovery, so the
		 * RFC 6582 test below stays meaningful past 2 GiB of
		 * sequence space. */
		if (SEQ_GT(ack - 1, c->recover))
			c->recover = ack - 1;
	}
	if (c->snd_una == c->snd_max)
		tcp_rtx_cancel(c);
	else
		tcp_rtx_restart(c);
	if (c->flags & TF_WR_BLOCKED)
		tcp_wake(c, 0, 1);
}

/* Loss found (duplicate ACKs, or the SACK scoreboard): fast retransmit
 * and recovery, RFC 6675 when SACK is in use, else RFC 6582. */
static void
enter_recovery(struct tcp_conn *c)
{
	struct tcp_lcore *tl = c->tl;

	tl->st.fast_retrans++;
	c->undo_cwnd = c->cwnd;
	c->undo_ssthresh = c->ssthresh;
	c->undo_tsval = tcp_ts_now(c);
	c->flags = (c->flags & ~TF_UNDO_RTO) | TF_UNDO;
	c->lt_allow = 0;
	c->cc->on_fast_loss(c); /* ssthresh, and cwnd = ssthresh */
	c->recover = c->snd_max;
	c->flags |= TF_RECOVERY;
	if (c->flags & TF_SACK) {
		/* RFC 6675 5 step 4: no window inflation; pipe decides,
		 * within what PRR allows (prr_ack()). */
		c->flags |= TF_SACK_RECOV;
		c->high_rxt = c->snd_una;
		c->prr_delivered = 0;
		c->prr_out = 0;
		c->recover_fs = RTE_MAX(tcp_flight(c), 1u);
		tl->st.sack_recoveries++;
	} else {
		/* RFC 5681 3.2 step 3: the three segments that left. */
		c->cwnd += 3 * tcp_eff_mss(c);
	}
	tcp_retransmit_una(c);
	tcp_rtx_restart(c);
	tcp_enqueue(c);
}

static void
dup_ack(struct tcp_conn *c)
{
	struct tcp_lcore *tl = c->tl;

	c->dup_acks++;
	tl->st.dup_acks++;
	if (c->flags & TF_RECOVERY) {
		/* RFC 5681 3.2 step 4: inflate per extra duplicate (SACK
		 * recovery counts the pipe instead). */
		if (!(c->flags & TF_SACK_RECOV))
			c->cwnd += tcp_eff_mss(c);
		return;
	}
	if (++c->dupacks < c->dupthresh) {
		/* RFC 3042 limited transmit: a new segment per duplicate
		 * keeps the ACK clock going while we wait. */
		c->lt_allow = c->dupacks * tcp_eff_mss(c);
		tcp_enqueue(c);
		return;
	}
	if (c->dupacks != c->dupthresh)
		return;
	/* RFC 6582 3.2 step 1: only if the ACK covers more than recover,
	 * else this loss belongs to an episode already handled. */
	if (!SEQ_GT(c->snd_una, c->recover))
		return;
	enter_recovery(c);
}

/* RFC 8985 7.4: what the ACK says of a tail loss probe that is out. A
 * D-SACK of a resent probe: the original was not lost. An ACK past a
 * resent probe without one: the probe repaired a loss, which is a
 * congestion signal (Linux's tcp_process_tlp_ack(): the window goes to
 * ssthresh, as after a fast recovery). The probe SACKed with unSACKed
 * data below it: that data is lost (RACK's rule, for the probe), and
 * recovery starts from the scoreboard (sack_loss_check()). */
static void
tlp_ack(struct tcp_conn *c, uint32_t ack, int dup)
{
	struct tcp_lcore *tl = c->tl;

	if (c->tlp_state == TLP_RTX && c->tlp_dsacked) {
		tl->st.tlp_spurious++;
	} else if (c->tlp_state == TLP_NEW && SEQ_GEQ(ack, c->tlp_end)) {
		/* new data delivered: nothing to learn */
	} else if (c->tlp_state == TLP_RTX && SEQ_GT(ack, c->tlp_end)) {
		tl->st.tlp_recoveries++;
		if (!(c->flags & TF_RECOVERY)) {
			c->cc->on_fast_loss(c);
			c->recover = c->snd_max;
		}
	} else if (c->sb_n > 0 && SEQ_LT(c->snd_una, c->tlp_seq) &&
			tcp_sack_covers(c, c->tlp_seq, c->tlp_end)) {
		tl->st.tlp_recoveries++;
		c->lost_below = c->tlp_seq;
		c->lost_below_ok = 1;
	} else if (c->tlp_state == TLP_RTX && dup && c->sb_n == 0) {
		/* A pure duplicate ACK: both copies arrived (RFC 8985
		 * 7.4.2), only the D-SACK was lost or not sent. */
	} else {
		return;
	}
	c->tlp_state = TLP_NONE;
}

/* RFC 6937: on each ACK of a SACK recovery (the one that began it
 * included), what may be sent: while the pipe is above ssthresh, in
 * proportion to what the peer got (ssthresh / RecoverFS of it: the
 * window comes down to ssthresh smoothly over one round trip, not in a
 * pause then a burst); below it, slow start back up to ssthresh, at
 * most one MSS more than was delivered (PRR-SSRB). cwnd is set to pipe
 * plus that, which tcp_output()'s RFC 6675 loop then uses. */
static void
prr_ack(struct tcp_conn *c, uint32_t delivered)
{
	uint32_t pipe = tcp_sack_pipe(c), mss = tcp_eff_mss(c), sndcnt, lim;
	uint64_t t;

	c->prr_delivered += delivered;
	if (pipe > c->ssthresh) {
		t = ((uint64_t)c->prr_delivered * c->ssthresh + c->recover_fs - 1) /
			c->recover_fs;
		sndcnt = t > c->prr_out ? (uint32_t)(t - c->prr_out) : 0;
	} else {
		lim = RTE_MAX(c->prr_delivered > c->prr_out ?
				c->prr_delivered - c->prr_out : 0, delivered) + mss;
		sndcnt = RTE_MIN(c->ssthresh - pipe, lim);
	}
	c->cwnd = pipe + sndcnt;
}

/* RFC 6675 5 (b): the scoreboard alone shows snd_una lost (also on ACKs
 * that carry data, which are never duplicates), or RACK's clock did. */
void
tcp_sack_loss_check(struct tcp_conn *c)
{
	if (c->sb_n > 0 && !(c->flags & TF_RECOVERY) &&
			SEQ_LT(c->snd_una, c->snd_max) &&
			SEQ_GT(c->snd_una, c->recover) &&
			tcp_sack_is_lost(c, c->snd_una))
		enter_recovery(c);
}

/* Options from the peer's SYN or SYN-ACK: what both sides use. */
void
tcp_negotiate(struct tcp_conn *c, const struct tcp_seg *seg)
{
	const struct px_tcp_conf *cf = &c->tl->tn->conf;
	uint32_t mss = seg->has_mss ? seg->mss : TCP_DEFAULT_MSS;

	/* RFC 3168 6.1.1: an ECN-setup SYN has ECE and CWR, an ECN-setup
	 * SYN-ACK ECE alone; anything else is no. */
	if ((c->flags & TF_ECN) && seg->ecn != ((seg->flags & TH_ACK) ?
			TH_ECE : (TH_ECE | TH_CWR)))
		c->flags &= ~TF_ECN;
	tcp_set_snd_mss(c, mss);
	if (seg->has_ws && !(cf->flags & PX_TCP_CONF_F_NO_WS) &&
			(c->flags & TF_WS)) {
		c->snd_wscale = (uint8_t)RTE_MIN(seg->ws, TCP_MAX_WSCALE);
	} else {
		c->flags &= ~TF_WS;
		c->snd_wscale = 0;
		c->rcv_wscale = 0;
	}
	if (!(seg->sack_ok && !(cf->flags & PX_TCP_CONF_F_NO_SACK)))
		c->flags &= ~TF_SACK;
	if (seg->has_ts && !(cf->flags & PX_TCP_CONF_F_NO_TS) &&
			(c->flags & TF_TS)) {
		c->ts_recent = seg->tsval;
		c->ts_recent_tsc = rte_rdtsc();
	} else {
		c->flags &= ~TF_TS;
	}
}

/* The congestion window for the data after the handshake: IW10 (RFC
 * 6928), but one segment if our SYN or SYN-ACK had to be sent again
 * (RFC 6928 2, RFC 5681 3.1: the path lost one already). */
void
tcp_cc_start(struct tcp_conn *c)
{
	c->ecn_high = c->snd_una - 1;
	if (c->flags & TF_ECN)
		c->tl->st.ecn_conns++;
	c->cc->init(c);
	if (c->retrans > 0)
		c->cwnd = tcp_eff_mss(c);
}

/* The handshake's RTT, as a data segment's (tcp_rtt_ack()): our SYN or
 * SYN-ACK was timed, or, if it had to be sent again (Karn's rule), the
 * ACK's echoed timestamp names the copy it answers. A passive
 * connection learns it too (Linux's tcp_synack_rtt_meas()), so its first
 * flight is not held to rto_init. Without a sample after a resend, RFC
 * 6298 5.7: the RTO starts again from 3 s, no back-off (here three
 * rto_init: 3 s at the default). */
static void
handshake_rtt(struct tcp_conn *c, const struct tcp_seg *seg)
{
	const struct px_tcp_conf *cf = &c->tl->tn->conf;

	if (c->retrans > 0)
		c->flags = (c->flags & ~TF_RTT_TIMING) | TF_RTT_KARN;
	if (tcp_rtt_ack(c, seg->ack, seg) == 0 && c->retrans > 0) {
		c->rto_us = RTE_MIN(3 * cf->rto_init_ms, cf->rto_max_ms) * 1000;
		c->backoff = 0;
	}
	c->flags &= ~(TF_RTT_TIMING | TF_RTT_KARN);
}

/* RFC 9293 3.10.7.3: SYN-SENT. Takes m (the payload). */
static void
syn_sent_input(struct tcp_conn *c, struct rte_mbuf *m, struct tcp_seg *seg)
{
	struct tcp_lcore *tl = c->tl;

	if (!(seg->flags & TH_SYN) || !(seg->flags & TH_ACK) ||
			(seg->flags & TH_RST) || seg->len == 0) {
		rte_pktmbuf_free(m);
		m = NULL;
	}
	if ((seg->flags & TH_ACK) &&
			(SEQ_LEQ(seg->ack, c->iss) || SEQ_GT(seg->ack, c->snd_max))) {
		tl->st.drop_bad_ack++;
		tcp_send_rst_reply(tl, c->raddr, c->rport, c->lport, seg);
		rte_pktmbuf_free(m);
		return;
	}
	if (seg->flags & TH_RST) {
		if (seg->flags & TH_ACK) {
			tl->st.rst_in++;
			tcp_set_state(c, TCP_CLOSED, -ECONNREFUSED);
		} else {
			tl->st.drop_state++;
		}
		return;
	}
	if (!(seg->flags & TH_SYN)) {
		tl->st.drop_state++;
		return;
	}
	tcp_negotiate(c, seg);
	c->irs = seg->seq;
	c->rcv_nxt = seg->seq + 1;
	c->rcv_adv = c->rcv_nxt;
	c->snd_wnd = seg->wnd;
	c->max_sndwnd = c->snd_wnd;
	c->snd_wl1 = seg->seq;
	if (seg->flags & TH_ACK) {
		c->snd_una = seg->ack;
		c->snd_wl2 = seg->ack;
		if (SEQ_LT(c->snd_nxt, c->snd_una))
			c->snd_nxt = c->snd_una;
		handshake_rtt(c, seg);
		c->retries = 0;
		tcp_rtx_cancel(c);
		tcp_cc_start(c);
		tcp_set_state(c, TCP_ESTABLISHED, 0);
		if (m != NULL) {
			/* Data on the SYN-ACK (RFC 9293 3.10.7.3: processed
			 * as in ESTABLISHED), within the window our SYN
			 * offered (not scaled). */
			c->rcv_adv = c->rcv_nxt + RTE_MIN(tcp_rcv_wnd(c),
					(uint32_t)UINT16_MAX);
			tcp_rcv_data(c, m, seg->seq + 1, seg->len, 1);
		}
		tcp_ack_soon(c, 1);
		tcp_wake(c, 1, 1);
		return;
	}
	/* Simultaneous open (RFC 9293 3.5 figure 8): SYN-RECEIVED, send
	 * SYN,ACK with our original ISS. */
	c->state = TCP_SYN_RCVD;
	c->snd_nxt = c->iss;
	tcp_rtx_cancel(c);
	tcp_output(c);
}

/* Is the segment acceptable (RFC 9293 3.10.7.4 first, the table)? */
static int
seq_acceptable(const struct tcp_conn *c, const struct tcp_seg *seg,
		uint32_t seqlen)
{
	uint32_t wnd = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;

	if (seqlen == 0) {
		if (wnd == 0)
			return seg->seq == c->rcv_nxt;
		/* At the right edge too (Linux's tcp_sequence()): a peer
		 * that filled our window sends its ACKs there, and one of
		 * its segments lost below would have them all dropped (the
		 * table's SEG.SEQ < RCV.NXT+RCV.WND) until it resends. */
		return SEQ_LEQ(c->rcv_nxt, seg->seq) &&
			SEQ_LEQ(seg->seq, c->rcv_nxt + wnd);
	}
	if (wnd == 0)
		/* Only its ACK and RST can be used: data is trimmed later. */
		return seg->seq == c->rcv_nxt;
	return (SEQ_LEQ(c->rcv_nxt, seg->seq) &&
			SEQ_LT(seg->seq, c->rcv_nxt + wnd)) ||
		(SEQ_LEQ(c->rcv_nxt, seg->seq + seqlen - 1) &&
			SEQ_LT(seg->seq + seqlen - 1, c->rcv_nxt + wnd));
}

/* The per-connection limits on ACKs that answer invalid segments: one
 * per oow_ack_ms for those out of window or failing PAWS (*last* is
 * c->oow_tsc), and as many for RFC 5961's challenges (c->chal_tsc).
 * Two ends that disagree on the sequence space would otherwise ACK each
 * other's ACKs at line rate (an ACK storm), and a spoofer could make us
 * reflect one for one. Two slots, so that a peer's zero-window probes
 * do not silence the challenge a RST of that peer needs (a RST that is
 * not exact is answered by a challenge, which the peer's exact RST then
 * follows). Returns 1 (and takes the slot) if this one may go. */
static int
oow_ack_slot(struct tcp_conn *c, uint64_t *last)
{
	uint64_t now = c->tl->ilc->now;

	if (*last != 0 && now - *last < c->tl->tn->oow_cyc)
		return 0;
	*last = now;
	return 1;
}

/* A duplicate ACK for an invalid segment of seqlen sequence numbers
 * (0 for any with a SYN). One with data or a FIN is answered: it is
 * not part of an ACK loop, and a peer whose ACK of it was lost needs
 * ours to go on; one without is rate limited per connection (as Linux's
 * tcp_oow_rate_limited()). */
static void
invalid_ack(struct tcp_conn *c, uint32_t seqlen)
{
	if (seqlen == 0 && !oow_ack_slot(c, &c->oow_tsc)) {
		c->tl->st.oow_ack_limited++;
		return;
	}
	tcp_ack_soon(c, 1);
}

/* Challenge ACK (RFC 5961 3.2, 4.2, 5.2): at once, not delayed. Limited
 * per connection first (oow_ack_ms), so an attacker's own connection
 * cannot count the challenges another one drew from a shared budget
 * (the CVE-2016-5696 side channel); then per lcore (RFC 5961 7), by a
 * budget drawn at random each second between half and one and a half
 * times challenge_per_s, so that what is left of it says nothing. */
static void
challenge_ack(struct tcp_conn *c)
{
	struct tcp_lcore *tl = c->tl;
	uint64_t now = tl->ilc->now, rate = tl->tn->conf.challenge_per_s;

	if (!oow_ack_slot(c, &c->chal_tsc)) {
		tl->st.challenge_limited++;
		return;
	}
	if (tl->chal_last == 0 || now - tl->chal_last >= tl->tn->hz) {
		tl->chal_last = now;
		tl->chal_tokens = (rate + 1) / 2 + rte_rand_max(rate);
	}
	if (tl->chal_tokens == 0) {
		tl->st.challenge_limited++;
		return;
	}
	tl->chal_tokens--;
	tl->st.challenge_acks++;
	c->flags |= TF_ACK_NOW;
	tcp_output(c);
}

/* What a step of other_input() leaves to the next. */
enum step {
	STEP_ON,   /* go on with the segment */
	STEP_DROP, /* drop it */
	STEP_GONE, /* m was freed, c may be gone: stop */
};

/* RFC 9293 3.10.7.4 first, with what comes before it: a SYN we already
 * have, PAWS (RFC 7323 5.3 R1), RFC 5961 4.2, then the sequence number;
 * and the timestamp to echo (RFC 7323 4.3). May trim seg. */
static enum step
seq_step(struct tcp_conn *c, struct tcp_seg *seg)
{
	struct tcp_lcore *tl = c->tl;
	uint32_t seqlen = seg->len + ((seg->flags & TH_SYN) ? 1 : 0) +
		((seg->flags & TH_FIN) ? 1 : 0);

	/* A retransmitted SYN: our SYN-ACK was lost; send it again. */
	if (c->state == TCP_SYN_RCVD && (seg->flags & (TH_SYN | TH_ACK)) == TH_SYN &&
			seg->seq == c->irs) {
		c->flags |= TF_ACK_NOW;
		tcp_output(c);
		return STEP_DROP;
	}
	/* A SYN we already have (the peer's SYN-ACK in a simultaneous open,
	 * or its retransmitted SYN-ACK after our ACK was lost): that part of
	 * the segment is old, only the rest is processed (RFC 9293 3.10.7.4,
	 * "segments that straddle"), and a duplicate gets our ACK again. */
	if ((seg->flags & TH_SYN) && seg->seq == c->irs) {
		seg->flags &= (uint8_t)~TH_SYN;
		seg->seq++;
		seqlen--;
		if (c->state != TCP_SYN_RCVD)
			tcp_ack_soon(c, 1);
	}
	/* RFC 7323 3.2: once negotiated, every segment but a RST carries a
	 * timestamp; one without is not from our peer's stack (or was
	 * rewritten on the way): drop it. */
	if ((c->flags & TF_TS) && !seg->has_ts && !(seg->flags & TH_RST)) {
		tl->st.drop_no_ts++;
		return STEP_DROP;
	}
	/* RFC 7323 5.3 R1: PAWS. */
	if ((c->flags & TF_TS) && seg->has_ts && !(seg->flags & TH_RST) &&
			SEQ_LT(seg->tsval, c->ts_recent) &&
			(rte_rdtsc() - c->ts_recent_tsc) / tl->tn->cyc_per_ms <
			PAWS_IDLE_MS) {
		tl->st.drop_paws++;
		invalid_ack(c, (seg->flags & TH_SYN) ? 0 : seqlen);
		return STEP_DROP;
	}
	/* RFC 5961 4.2: a SYN on a synchronized connection, whatever its
	 * sequence number, gets a challenge ACK (before the sequence check,
	 * which would only ACK it when out of window). */
	if ((seg->flags & TH_SYN) && c->state != TCP_SYN_RCVD) {
		challenge_ack(c);
		return STEP_DROP;
	}
	/* first: check the sequence number. RFC 9293 3.10.7.4: with a zero
	 * window only SEG.SEQ = RCV.NXT is acceptable (seq_acceptable());
	 * its ACK is processed and its text trimmed away, which is the
	 * "special allowance" for valid ACKs. Any other sequence number is
	 * not valid, whatever its ACK says (a blind ACK would need only an
	 * acceptable ACK value, and could poison SND.WL1). */
	if (!seq_acceptable(c, seg, seqlen)) {
		if (!(seg->flags & TH_RST)) {
			if (seqlen > 0 && SEQ_LEQ(seg->seq + seqlen, c->rcv_nxt)) {
				tl->st.dup_data++;
				tcp_dsack_set(c, seg->seq, seg->seq + seg->len);
			} else
				tl->st.drop_out_of_window++;
			/* RFC 9293 3.6: a retransmitted FIN in TIME-WAIT
			 * restarts the 2 MSL timeout. */
			if (c->state == TCP_TIME_WAIT && (seg->flags & TH_FIN))
				tcp_slow_arm(c, 2 * tl->tn->msl_cyc);
			invalid_ack(c, seqlen);
		} else {
			tl->st.drop_out_of_window++;
		}
		return STEP_DROP;
	}
	/* RFC 7323 4.3: remember the timestamp to echo. */
	if ((c->flags & TF_TS) && seg->has_ts &&
			SEQ_LEQ(seg->seq, c->last_ack_sent) &&
			SEQ_GEQ(seg->tsval, c->ts_recent)) {
		c->ts_recent = seg->tsval;
		c->ts_recent_tsc = tl->ilc->now;
	}
	return STEP_ON;
}

/* second: the RST bit (RFC 5961 3.2: exact match, else challenge). Frees
 * m when it ends the connection. */
static enum step
rst_step(struct tcp_conn *c, struct rte_mbuf *m, const struct tcp_seg *seg)
{
	if (seg->seq != c->rcv_nxt) {
		challenge_ack(c);
		return STEP_DROP;
	}
	if (c->state == TCP_TIME_WAIT) {
		/* RFC 1337 (TIME-WAIT assassination, hazard H1): a RST
		 * does not end TIME-WAIT early; 2 MSL runs out. */
		c->tl->st.drop_state++;
		return STEP_DROP;
	}
	c->tl->st.rst_in++;
	rte_pktmbuf_free(m);
	if (c->state == TCP_SYN_RCVD && (c->flags & TF_PASSIVE))
		tcp_set_state(c, TCP_CLOSED, 0); /* back to LISTEN */
	else if (c->state == TCP_SYN_RCVD)
		/* RFC 9293 3.10.7.4: from SYN-SENT, "connection refused". */
		tcp_set_state(c, TCP_CLOSED, -ECONNREFUSED);
	else if (TCP_IN_STATE(c, TCP_CLOSING | TCP_LAST_ACK))
		tcp_set_state(c, TCP_CLOSED, 0);
	else
		tcp_set_state(c, TCP_CLOSED, -ECONNRESET);
	return STEP_GONE;
}

/* fifth, in SYN-RECEIVED: an acceptable ACK completes the handshake. */
static enum step
synrcvd_ack(struct tcp_conn *c, struct rte_mbuf *m, const struct tcp_seg *seg)
{
	struct tcp_lcore *tl = c->tl;

	if (!(SEQ_LT(c->snd_una, seg->ack) && SEQ_LEQ(seg->ack, c->snd_max))) {
		tl->st.drop_bad_ack++;
		tcp_send_rst_reply(tl, c->raddr, c->rport, c->lport, seg);
		return STEP_DROP;
	}
	if (tcp_accept_full(c)) {
		/* As Linux (tcp_abort_on_overflow=0): the ACK is dropped and
		 * the connection stays half open; the SYN-ACK goes again on
		 * its timer, and the peer's next ACK or data tries again. A
		 * RST would end a connection the client already uses. */
		tl->st.accept_overflow++;
		return STEP_DROP;
	}
	/* The SYN; data sent after it (Fast Open) is the ACK's new data,
	 * for ack_step() (new_ack()). */
	c->snd_una = c->iss + 1;
	if (SEQ_LT(c->snd_nxt, c->snd_una))
		c->snd_nxt = c->snd_una;
	c->snd_wnd = seg->wnd << c->snd_wscale;
	c->max_sndwnd = c->snd_wnd;
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = seg->ack;
	c->retries = 0;
	c->backoff = 0;
	handshake_rtt(c, seg);
	tcp_rtx_cancel(c);
	if (!(c->tfo & TFO_DATA))
		tcp_cc_start(c);
	tcp_set_state(c, TCP_ESTABLISHED, 0);
	if (!(c->flags & TF_PASSIVE) || (c->tfo & TFO_DATA)) {
		tcp_wake(c, 1, 1);
	} else if (tcp_accept_ready(c) < 0) {
		rte_pktmbuf_free(m);
		return STEP_GONE; /* refused: c is gone */
	}
	if (c->tfo & TFO_FIN)
		tcp_queue_fin(c);
	return STEP_ON;
}

/* RFC 3168 6.1.2: the peer echoes a CE mark (ECE): congestion, as a loss
 * would say, but nothing was lost. The window is cut as for a fast
 * retransmit, once per window of data (not again for the ECEs that
 * follow before the peer sees our CWR), not in loss recovery (which cut
 * it already); the next new segment carries CWR. */
static void
ecn_ece(struct tcp_conn *c, uint32_t ack)
{
	if (!SEQ_GT(ack, c->ecn_high))
		return;
	c->ecn_high = c->snd_max;
	if (c->flags & TF_RECOVERY)
		return;
	c->cc->on_fast_loss(c);
	c->flags = (c->flags & ~(TF_UNDO | TF_UNDO_RTO)) | TF_CWR_SEND;
	c->tl->st.ecn_reduce++;
}

/* RFC 9293 3.10.7.4: update the send window from the newest segment
 * only (SND.WL1, SND.WL2), and, as Linux's tcp_may_update_window(),
 * from every one that acknowledged new data (*advanced*). The window is
 * kept relative to SND.UNA: an ACK that moves SND.UNA but not the
 * window would move the right edge by itself. Such an ACK comes on the
 * peer's retransmission that fills a hole (its sequence number is below
 * SND.WL1, set by the data past the hole), and carries the peer's
 * newest window: ignoring it let us send past the edge just offered,
 * the peer dropped that, then our ACKs (their sequence number past its
 * shut window), and both ends stalled (test case_wnd_old_seq). */
static void
snd_wnd_update(struct tcp_conn *c, const struct tcp_seg *seg, uint32_t wnd,
		int advanced)
{
	if (!advanced && !(SEQ_LT(c->snd_wl1, seg->seq) ||
			(c->snd_wl1 == seg->seq && SEQ_LEQ(c->snd_wl2, seg->ack))))
		return;
	if (c->snd_wnd == 0 && wnd > 0) {
		/* The window opened: probing is over. Data that was in
		 * flight when it shrank may be gone: its RTO starts again
		 * from the un-backed-off value. */
		c->backoff = 0;
		if (c->flags & TF_PERSIST)
			tcp_rtx_cancel(c);
		else if (SEQ_LT(seg->ack, c->snd_max))
			tcp_rtx_restart(c);
	}
	c->snd_wnd = wnd;
	if (wnd > c->max_sndwnd)
		c->max_sndwnd = wnd;
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = seg->ack;
}

/* fifth: the ACK field (SYN-RECEIVED's handshake, then RFC 9293 and RFC
 * 5961 5.2's checks, new data acknowledged, duplicates, the scoreboard
 * and the window), and the closing states' transitions it drives. */
static enum step
ack_step(struct tcp_conn *c, struct rte_mbuf *m, const struct tcp_seg *seg)
{
	struct tcp_lcore *tl = c->tl;
	uint32_t wnd;
	enum step st;
	uint32_t una0, sacked0;
	int fin_acked, dup;

	if (!(seg->flags & TH_ACK)) {
		tl->st.drop_bad_flags++;
		return STEP_DROP;
	}
	if (c->state == TCP_SYN_RCVD && (st = synrcvd_ack(c, m, seg)) != STEP_ON)
		return st;
	if (SEQ_GT(seg->ack, c->snd_max)) {
		/* RFC 9293: an ACK for something not yet sent; an ACK
		 * back, as a challenge (RFC 5961 5.2, rate limited). */
		tl->st.drop_bad_ack++;
		challenge_ack(c);
		return STEP_DROP;
	}
	/* RFC 5961 5.2: an ACK older than the largest window we were ever
	 * offered is not from this connection's peer: challenge it. */
	if (SEQ_LT(seg->ack, c->snd_una - c->max_sndwnd)) {
		tl->st.drop_bad_ack++;
		challenge_ack(c);
		return STEP_DROP;
	}
	wnd = seg->wnd << c->snd_wscale;
	if (SEQ_GEQ(seg->ack, c->snd_una)) {
		/* Nothing in flight, or a zero window: this ACK answers
		 * our window probes (the peer is there). Not for an
		 * orphan: a peer that keeps its window shut would hold
		 * its memory for ever (TCP review A.1); its probes run
		 * out after max_retries, answered or not (Linux's
		 * tcp_orphan_retries). */
		if ((c->snd_una == c->snd_max || wnd == 0) &&
				!(c->flags & TF_ORPHAN))
			c->retries = 0;
		una0 = c->snd_una;
		sacked0 = c->sacked;
		if (seg->nsack > 0 && (c->flags & TF_SACK))
			tcp_sack_update(c, seg);
		dup = 0;
		if (SEQ_GT(seg->ack, c->snd_una)) {
			new_ack(c, seg->ack, seg);
		} else if (seg->len == 0 && !(seg->flags & TH_FIN) &&
				wnd == c->snd_wnd && SEQ_LT(c->snd_una, c->snd_max)) {
			dup_ack(c);
			dup = 1;
		}
		if (unlikely((c->flags & TF_ECN) && (seg->ecn & TH_ECE)))
			ecn_ece(c, seg->ack);
		if (c->tlp_state >= TLP_NEW)
			tlp_ack(c, seg->ack, dup);
		if ((c->sb_n > 0 || c->rack.timer != 0) &&
				(tcp_rack_detect(c) & TCP_RACK_TIMER) &&
				SEQ_LT(c->snd_una, c->snd_max))
			tcp_rtx_restart(c);
		if (c->sb_n > 0)
			tcp_sack_loss_check(c);
		if (c->flags & TF_SACK_RECOV)
			prr_ack(c, (uint32_t)((int64_t)(c->snd_una - una0) +
					(int64_t)c->sacked - (int64_t)sacked0));
		snd_wnd_update(c, seg, wnd, c->snd_una != una0);
		/* Send what the ACK or window now allow, at burst end. */
		tcp_enqueue(c);
	}
	fin_acked = (c->flags & TF_FIN_QUEUED) && c->snd_una == tcp_data_end(c) + 1;
	switch (c->state) {
	case TCP_FIN_WAIT_1:
		if (fin_acked) {
			tcp_set_state(c, TCP_FIN_WAIT_2, 0);
			if (c->flags & TF_ORPHAN)
				tcp_slow_arm(c, tl->tn->fw2_cyc);
			else
				tcp_keepalive_reset(c);
		}
		return STEP_ON;
	case TCP_CLOSING:
		if (fin_acked) {
			tcp_enter_time_wait(c);
			return STEP_DROP;
		}
		return STEP_ON;
	case TCP_LAST_ACK:
		if (fin_acked) {
			rte_pktmbuf_free(m);
			tcp_set_state(c, TCP_CLOSED, 0);
			return STEP_GONE;
		}
		return STEP_ON;
	case TCP_TIME_WAIT:
		return STEP_DROP;
	default:
		return STEP_ON;
	}
}

/* seventh and eighth: the text, then the FIN. Takes m. */
static void
text_step(struct tcp_conn *c, struct rte_mbuf *m, const struct tcp_seg *seg)
{
	struct tcp_lcore *tl = c->tl;

	/* RFC 1122 4.2.2.13: data that arrives after the application
	 * closed is lost; a RST tells the peer. */
	if (seg->len > 0 && (c->flags & TF_RD_SHUT) &&
			TCP_IN_STATE(c, TCP_RCV_OPEN) &&
			SEQ_GT(seg->seq + seg->len, c->rcv_nxt)) {
		tl->st.drop_state++;
		rte_pktmbuf_free(m);
		tcp_send_ctl(c, c->snd_max, TH_RST);
		tcp_set_state(c, TCP_CLOSED, -ECONNABORTED);
		return;
	}
	if (seg->len > 0) {
		if (TCP_IN_STATE(c, TCP_RCV_OPEN)) {
			tcp_rcv_data(c, m, seg->seq, seg->len,
					seg->segs > 0 ? seg->segs : 1);
			m = NULL;
		} else {
			tl->st.drop_state++;
		}
	}
	if (m != NULL)
		rte_pktmbuf_free(m);
	if (!(seg->flags & TH_FIN))
		return;
	if (seg->seq + seg->len == c->rcv_nxt) {
		if (!(c->flags & TF_RCVD_FIN))
			process_fin(c);
		else
			tcp_ack_soon(c, 1);
	} else if (SEQ_GT(seg->seq + seg->len, c->rcv_nxt) &&
			TCP_IN_STATE(c, TCP_RCV_OPEN) && !(c->flags & TF_OOO_FIN)) {
		/* Past a hole: kept until the hole fills (tcp_ooo_pull()),
		 * unless data we hold lies past it (a FIN that contradicts
		 * the stream is not the end of it). */
		if (ooo_past(c, seg->seq + seg->len)) {
			tl->st.drop_state++;
			return;
		}
		c->flags |= TF_OOO_FIN;
		c->fin_rseq = seg->seq + seg->len;
	}
}

/* RFC 3168 6.1.3, an acceptable segment of an ECN connection: the
 * peer's CWR ends our echo of a CE mark, and a CE mark (on this one too)
 * starts it again, with an ACK at once (as Linux's quick ACK on CE). */
static void
ecn_input(struct tcp_conn *c, const struct tcp_seg *seg)
{
	if (seg->ecn & TH_CWR)
		c->flags &= ~TF_ECE_SEND;
	if (seg->ip_ce) {
		c->tl->st.ecn_ce_in++;
		c->flags |= TF_ECE_SEND;
		tcp_ack_soon(c, 1);
	}
}

/* RFC 9293 3.10.7.4: SYN-RECEIVED and the synchronized states, one helper
 * per step. (The third, security, has nothing to check.) Takes m. */
static void
other_input(struct tcp_conn *c, struct rte_mbuf *m, struct tcp_seg *seg)
{
	enum step st;

	st = seq_step(c, seg);
	/* Keepalive's idle time: only a segment in the window says the
	 * peer is there (not an old duplicate, a PAWS failure or a blind
	 * one out of window), as Linux's rcv_tstamp. */
	if (st == STEP_ON) {
		c->last_rx_tsc = c->tl->ilc->now;
		c->ka_probes = 0;
		if (unlikely(c->flags & TF_ECN))
			ecn_input(c, seg);
	}
	if (st == STEP_ON && (seg->flags & TH_RST))
		st = rst_step(c, m, seg);
	/* fourth: a SYN. The synchronized states challenged theirs before
	 * the first step (RFC 5961 4.2); one left here is SYN-RECEIVED's. */
	if (st == STEP_ON && (seg->flags & TH_SYN)) {
		challenge_ack(c);
		st = STEP_DROP;
	}
	if (st == STEP_ON)
		st = ack_step(c, m, seg);
	if (st == STEP_ON)
		text_step(c, m, seg);
	else if (st == STEP_DROP)
		rte_pktmbuf_free(m);
}

/* RFC 6191 / RFC 1122 4.2.2.13: a new SYN may take over a TIME-WAIT
 * connection if it cannot be confused with the old one. */
static int
tw_reusable(const struct tcp_conn *c, const struct tcp_seg *seg)
{
	if ((seg->flags & (TH_SYN | TH_ACK | TH_RST | TH_FIN)) != TH_SYN)
		return 0;
	if ((c->flags & TF_TS) && seg->has_ts)
		return SEQ_GT(seg->tsval, c->ts_recent);
	return SEQ_GT(seg->seq, c->rcv_nxt);
}

/* ---- receive coalescing (GRO) ----
 *
 * In-order data segments of an established connection that arrive back
 * to back in one burst, with nothing but ACK (and PSH on the last), the
 * same ACK, window and option bytes (so the same timestamps), are joined
 * into one chain and go through other_input() once: one window, ACK and
 * RACK update and one receive-queue push for the lot (Linux's
 * tcp_gro_receive() rules). Each segment's checksum was verified before.
 * One connection is held at a time; a segment of it that does not join,
 * an ICMP error, and the end of the burst send it on first. */

#define TCP_GRO_MAX_BYTES 65535u
#define TCP_GRO_MAX_SEGS 64u
/* A run starts with a segment this long or more: small ones (requests,
 * answers) seldom come back to back, and holding them costs the
 * request-response path a copy of the parsed segment each. */
#define TCP_GRO_MIN 512u

/* Can this segment (m: one mbuf at its TCP header) start a hold? */
static inline int
gro_can_hold(const struct tcp_conn *c, const struct rte_mbuf *m,
		const struct tcp_seg *seg)
{
	return seg->flags == TH_ACK && seg->len >= TCP_GRO_MIN &&
		seg->nsack == 0 && seg->ecn == 0 &&
		!seg->ip_ce && m->nb_segs == 1 &&
		c->state == TCP_ESTABLISHED && seg->seq == c->rcv_nxt &&
		c->ooo_cnt == 0 && !(c->flags & (TF_RD_SHUT | TF_OOO_FIN)) &&
		!(c->tl->tn->conf.flags & PX_TCP_CONF_F_NO_GRO);
}

/* Join segment m (doff header bytes, options not yet parsed) behind the
 * held one of c if it follows it: 1 if taken. */
static int
gro_join(struct tcp_gro *g, struct rte_mbuf *m, const struct rte_tcp_hdr *th,
		uint32_t doff, uint32_t len)
{
	uint32_t plen = len - doff;

	if ((th->tcp_flags & ~TH_PSH) != TH_ACK || plen == 0 ||
			(g->seg.flags & TH_PSH) || m->nb_segs != 1 ||
			rte_be_to_cpu_32(th->sent_seq) != g->seg.seq + g->seg.len ||
			rte_be_to_cpu_32(th->recv_ack) != g->seg.ack ||
			rte_be_to_cpu_16(th->rx_win) != g->seg.wnd ||
			doff - sizeof(*th) != g->olen ||
			memcmp(th + 1, g->opts, g->olen) != 0 ||
			g->seg.len + plen > TCP_GRO_MAX_BYTES ||
			g->seg.segs >= TCP_GRO_MAX_SEGS)
		return 0;
	rte_pktmbuf_adj(m, (uint16_t)doff);
	g->tail->next = m;
	g->tail = m;
	g->m->nb_segs++;
	g->m->pkt_len += plen;
	g->seg.len += plen;
	g->seg.segs++;
	g->seg.flags |= th->tcp_flags & TH_PSH;
	return 1;
}

void
tcp_gro_flush(struct tcp_lcore *tl)
{
	struct tcp_conn *c = tl->gro.c;

	if (c == NULL)
		return;
	tl->gro.c = NULL;
	other_input(c, tl->gro.m, &tl->gro.seg);
}

void
tcp_input(struct px_netif *nif, void *lctx, struct rte_mbuf *m,
		const struct rte_ipv4_hdr *ip)
{
	struct tcp_lcore *tl = lctx;
	struct tcp_gro *g = &tl->gro;
	const struct rte_tcp_hdr *th;
	struct tcp_conn *c;
	struct tcp_seg seg;
	uint32_t len = rte_pktmbuf_pkt_len(m), doff, tw_iss = 0;
	uint8_t f;

	RTE_SET_USED(nif);
	tl->st.seg_in++;
	if (unlikely(rte_pktmbuf_data_len(m) < sizeof(*th))) {
		tl->st.drop_bad_len++;
		goto drop;
	}
	th = rte_pktmbuf_mtod(m, const struct rte_tcp_hdr *);
	doff = (uint32_t)(th->data_off >> 4) * 4;
	if (unlikely(doff < sizeof(*th) || doff > rte_pktmbuf_data_len(m))) {
		tl->st.drop_bad_len++;
		goto drop;
	}
	if (unlikely(!inet_l4_cksum_verified(m, ip, len))) {
		tl->st.drop_bad_checksum++;
		goto drop;
	}
	/* TCP is unicast only (RFC 1122 4.2.3.10). */
	if (unlikely(ip->dst_addr != tl->tn->iconf->ip)) {
		tl->st.drop_state++;
		goto drop;
	}
	c = tcp_lookup(tl, ip->src_addr, th->src_port, th->dst_port);
	if (g->c != NULL && g->c == c) {
		if ((ip->type_of_service & 3) != 3 && gro_join(g, m, th, doff, len)) {
			tl->st.gro_merged++;
			c->seg_in++;
			return;
		}
		tcp_gro_flush(tl); /* in order: the held data first */
	}
	f = th->tcp_flags & 0x3f;
	/* Illegal combinations. A segment with neither SYN, ACK nor RST
	 * goes on: a closed port answers it with a RST (RFC 9293 3.10.7.1,
	 * "any segment not containing RST"), a listener and a connection
	 * drop it. */
	if (unlikely((f & TH_SYN) && (f & (TH_FIN | TH_RST)))) {
		tl->st.drop_bad_flags++;
		goto drop;
	}
	memset(&seg, 0, offsetof(struct tcp_seg, sack));
	seg.seq = rte_be_to_cpu_32(th->sent_seq);
	seg.ack = rte_be_to_cpu_32(th->recv_ack);
	seg.wnd = rte_be_to_cpu_16(th->rx_win);
	seg.flags = f;
	seg.ecn = th->tcp_flags & (TH_ECE | TH_CWR);
	seg.ip_ce = (ip->type_of_service & 3) == 3;
	seg.len = len - doff;
	if (doff > sizeof(*th) && px__tcp_parse_opts((const uint8_t *)(th + 1),
			doff - sizeof(*th), &seg, f & TH_SYN) < 0) {
		tl->st.drop_bad_opt++;
		goto drop;
	}
	if (c != NULL && c->state == TCP_TIME_WAIT && tw_reusable(c, &seg)) {
		/* RFC 6191 4.1 and RFC 1122 4.2.2.13: the new incarnation
		 * starts above all the old one sent (Linux's tw_snd_nxt +
		 * 65535 + 2): the 4 us ISN clock falls behind a connection
		 * that sent more than 250 KB/s, and old duplicates of ours
		 * must not land in the new sequence space. */
		tw_iss = c->snd_nxt + 65535 + 2;
		tw_iss += tw_iss == 0;
		tl->st.tw_reuse++;
		tcp_set_state(c, TCP_CLOSED, 0);
		c = NULL;
	}
	if (c == NULL) {
		c = tcp_listen_input(tl, &m, ip, th, &seg, tw_iss);
		if (c == NULL) {
			if (m != NULL)
				goto drop;
			return; /* its data was taken (Fast Open) */
		}
	}
	c->seg_in++;
	if (gro_can_hold(c, m, &seg)) {
		/* One held at a time: another connection's goes on now. */
		tcp_gro_flush(tl);
		g->c = c;
		g->m = m;
		g->tail = m;
		g->seg = seg;
		g->seg.segs = 1;
		g->olen = doff - (uint32_t)sizeof(*th);
		memcpy(g->opts, th + 1, g->olen);
		rte_pktmbuf_adj(m, (uint16_t)doff);
		return;
	}
	rte_pktmbuf_adj(m, (uint16_t)doff);
	if (c->state == TCP_SYN_SENT)
		syn_sent_input(c, m, &seg);
	else
		other_input(c, m, &seg);
	return;
drop:
	rte_pktmbuf_free(m);
}

void
tcp_burst_end(struct px_netif *nif, void *lctx)
{
	RTE_SET_USED(nif);
	tcp_gro_flush(lctx);
	tcp_flush(lctx);
}
