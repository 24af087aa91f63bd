/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * TCP output (RFC 9293 3.8, RFC 5681, RFC 1122 4.2.3.4 Nagle, RFC 7323
 * and RFC 2018 options): segments are freshly written headers followed by
 * the send buffer's bytes, copied into the same mbuf, or, for payloads of
 * TCP_ZC_MIN bytes and more on a port that takes chains, referenced:
 * indirect mbufs attached to the send buffer's (retransmissions too: the
 * design's "mbuf references, not copies", doc/architecture.md).
 */

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "tcp_private.h"

/* Receive window to advertise (bytes), with receiver-side silly window
 * avoidance (RFC 9293 3.8.6.2.2) and never shrinking the right edge
 * (RFC 9293 3.8.6). */
uint32_t
tcp_rcv_wnd(struct tcp_conn *c)
{
	uint32_t used = c->rq_bytes;
	uint32_t space = c->rcvbuf > used ? c->rcvbuf - used : 0;
	uint32_t cur = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	uint32_t max = (uint32_t)UINT16_MAX << c->rcv_wscale;
	uint32_t mss = c->rmss;
	int lvl;

	if (space > max)
		space = max;
	/* The mbuf pool runs short: no more than was offered, but for a
	 * connection that holds little (a new one), which may have up to
	 * TCP_MEM_FAIR (tcp_mem_level()). */
	if (space > cur && unlikely((lvl = tcp_mem_level(c->tl)) > 0))
		space = RTE_MAX(cur, tcp_mem_allows(c, lvl) ?
				RTE_MIN(space, TCP_MEM_FAIR - tcp_conn_mem(c)) : 0);
	/* Open the window only by a useful amount. */
	if (space > cur && space - cur < RTE_MIN(c->rcvbuf / 2, mss) &&
			space < c->rcvbuf)
		space = cur;
	/* Round to the scale so the peer sees what we mean: down, unless
	 * that would pull the right edge back. */
	space &= ~((1u << c->rcv_wscale) - 1);
	if (space < cur)
		space = RTE_ALIGN_CEIL(cur, 1u << c->rcv_wscale);
	return space;
}


/* Write our options; returns their length (a multiple of 4). */
static uint32_t
build_opts(struct tcp_conn *c, uint8_t flags, uint8_t *p)
{
	uint8_t *s = p;
	uint32_t i, n, t;

	if (flags & TH_SYN) {
		/* RFC 9293 3.7.1 MSS; RFC 2018 SACK-permitted; RFC 7323 TS
		 * and WS; laid out as Linux does, so each is aligned. */
		*p++ = 2;
		*p++ = 4;
		*p++ = (uint8_t)(c->rmss >> 8);
		*p++ = (uint8_t)c->rmss;
		if (c->flags & TF_SACK) {
			*p++ = 4;
			*p++ = 2;
		} else if (c->flags & TF_TS) {
			*p++ = 1;
			*p++ = 1;
		}
		if (c->flags & TF_TS) {
			*p++ = 8;
			*p++ = 10;
			t = tcp_ts_now(c);
			if (c->flags & TF_COOKIE)
				t = tcp_cookie_tsval(c, t);
			t = rte_cpu_to_be_32(t);
			memcpy(p, &t, 4);
			p += 4;
			t = rte_cpu_to_be_32((flags & TH_ACK) ? c->ts_recent : 0);
			memcpy(p, &t, 4);
			p += 4;
		} else if (c->flags & TF_SACK) {
			*p++ = 1;
			*p++ = 1;
		}
		if (c->flags & TF_WS) {
			*p++ = 1;
			*p++ = 3;
			*p++ = 3;
			*p++ = c->rcv_wscale;
		}
		if ((c->tfo & TFO_COOKIE) && (flags & TH_ACK)) {
			/* RFC 7413 2: the Fast Open cookie the SYN asked for */
			*p++ = 1;
			*p++ = 1;
			*p++ = 34;
			*p++ = 2 + TFO_COOKIE_LEN;
			tcp_tfo_cookie(c->tl, c->raddr, p);
			p += TFO_COOKIE_LEN;
		}
		return (uint32_t)(p - s);
	}
	if (c->flags & TF_TS) {
		*p++ = 1;
		*p++ = 1;
		*p++ = 8;
		*p++ = 10;
		t = rte_cpu_to_be_32(tcp_ts_now(c));
		memcpy(p, &t, 4);
		p += 4;
		t = rte_cpu_to_be_32(c->ts_recent);
		memcpy(p, &t, 4);
		p += 4;
	}
	if ((c->flags & TF_SACK) && (c->ooo_cnt > 0 || (c->flags & TF_DSACK)) &&
			(flags & TH_ACK)) {
		/* RFC 2018 4: the block with the latest segment first, then
		 * the others; 3 fit beside timestamps, 4 without. A D-SACK
		 * block (RFC 2883) goes before them all. */
		uint32_t blk[TCP_OOO_MAX][2], nb = 0, first = 0, max;
		uint32_t out[4][2];

		for (i = 0; i < c->ooo_cnt; i++) {
			if (nb > 0 && blk[nb - 1][1] == c->ooo[i].seq) {
				blk[nb - 1][1] += c->ooo[i].len;
			} else {
				blk[nb][0] = c->ooo[i].seq;
				blk[nb][1] = c->ooo[i].seq + c->ooo[i].len;
				nb++;
			}
			if (SEQ_LEQ(blk[nb - 1][0], c->ooo_last) &&
					SEQ_LT(c->ooo_last, blk[nb - 1][1]))
				first = nb - 1;
		}
		max = (c->flags & TF_TS) ? 3 : 4;
		n = 0;
		if (c->flags & TF_DSACK) {
			out[n][0] = c->dsack[0];
			out[n][1] = c->dsack[1];
			n++;
		}
		if (nb > 0) {
			out[n][0] = blk[first][0];
			out[n][1] = blk[first][1];
			n++;
		}
		for (i = nb; i-- > 0 && n < max;) {
			if (i == first)
				continue;
			out[n][0] = blk[i][0];
			out[n][1] = blk[i][1];
			n++;
		}
		*p++ = 1;
		*p++ = 1;
		*p++ = 5;
		*p++ = (uint8_t)(2 + 8 * n);
		for (i = 0; i < n; i++) {
			t = rte_cpu_to_be_32(out[i][0]);
			memcpy(p, &t, 4);
			t = rte_cpu_to_be_32(out[i][1]);
			memcpy(p + 4, &t, 4);
			p += 8;
		}
	}
	return (uint32_t)(p - s);
}

/* Option bytes a data segment carries now: timestamps, and SACK blocks
 * while we hold out-of-order data (RFC 6691: the MSS counts payload
 * only, so options come out of it). */
static uint32_t
data_opt_len(const struct tcp_conn *c)
{
	uint32_t n = 0;

	if (c->flags & TF_TS)
		n += 12;
	if ((c->flags & TF_SACK) && (c->ooo_cnt > 0 || (c->flags & TF_DSACK)))
		n += 4 + 8 * RTE_MIN(c->ooo_cnt + ((c->flags & TF_DSACK) ? 1u : 0u),
				(c->flags & TF_TS) ? 3u : 4u);
	return n;
}

/* RFC 3168 on a segment of an ECN connection: its TCP flags, and ECT(0)
 * in *ipf. The SYN asks (ECE and CWR), the SYN-ACK agrees (ECE); a SYN
 * sent again asks no more (6.1.1.1: a path may drop ECN SYNs; Linux's
 * tcp_ecn_fallback). ACKs echo a CE mark (ECE) until the peer's CWR;
 * new data only is ECT (6.1.4-6.1.6: not resent data, probes or pure
 * ACKs), the first after a reduction with CWR. */
static uint8_t
ecn_flags(struct tcp_conn *c, uint32_t seq, uint32_t len, uint8_t flags,
		unsigned int *ipf)
{
	if (flags & TH_SYN) {
		if (c->state == TCP_SYN_SENT && c->retrans > 0)
			c->flags &= ~TF_ECN;
		else if (c->state == TCP_SYN_SENT)
			flags |= TH_ECE | TH_CWR;
		else
			flags |= TH_ECE;
		return flags;
	}
	if (c->flags & TF_ECE_SEND)
		flags |= TH_ECE;
	if (len > 0 && SEQ_GEQ(seq, c->snd_max)) {
		*ipf |= PX__INET_OUT_ECT0;
		if (c->flags & TF_CWR_SEND) {
			c->flags &= ~TF_CWR_SEND;
			flags |= TH_CWR;
		}
	}
	return flags;
}

/* Build and send one segment: seq, len payload bytes from the send
 * buffer, flags. Every segment but a SYN carries our ACK and window. */
static int
send_seg(struct tcp_conn *c, uint32_t seq, uint32_t len, uint8_t flags)
{
	struct tcp_lcore *tl = c->tl;
	struct rte_tcp_hdr *th;
	struct rte_mbuf *m;
	uint8_t opts[TCP_OPT_SPACE];
	uint32_t olen, wnd, copy = len;
	unsigned int ipf = (c->flags & TF_NO_DF) ? 0 : PX__INET_OUT_DF;
	int zc = len >= TCP_ZC_MIN && tl->tn->iconf->tx_multi_seg;

	m = rte_pktmbuf_alloc(tl->mp);
	if (unlikely(m == NULL)) {
		tl->st.nombuf++;
		return -ENOBUFS;
	}
	if (c->state != TCP_SYN_SENT)
		flags |= TH_ACK;
	if (unlikely(c->flags & TF_ECN))
		flags = ecn_flags(c, seq, len, flags, &ipf);
	olen = build_opts(c, flags, opts);
	if (zc) {
		int ret = tcp_sq_attach(c, m, seq, len);

		if (unlikely(ret < 0)) {
			rte_pktmbuf_free(m);
			tl->st.nombuf++;
			return ret;
		}
		if (ret == 0) {
			copy = 0;
			tl->st.zc_segs++;
		}
	}
	/* Headers and a copied payload fill the first mbuf from its start;
	 * headers in front of a chained payload go in its headroom. */
	if (copy == len)
		th = (struct rte_tcp_hdr *)rte_pktmbuf_append(m,
				(uint16_t)(sizeof(*th) + olen + len));
	else
		th = (struct rte_tcp_hdr *)rte_pktmbuf_prepend(m,
				(uint16_t)(sizeof(*th) + olen));
	if (unlikely(th == NULL)) {
		rte_pktmbuf_free(m);
		tl->st.nombuf++;
		return -ENOBUFS;
	}
	th->src_port = c->lport;
	th->dst_port = c->rport;
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = (flags & TH_ACK) ? rte_cpu_to_be_32(c->rcv_nxt) : 0;
	th->data_off = (uint8_t)(((sizeof(*th) + olen) / 4) << 4);
	th->tcp_flags = flags;
	if (flags & TH_SYN) {
		/* RFC 7323 2.2: the window of a SYN is never scaled. */
		wnd = RTE_MIN(tcp_rcv_wnd(c), (uint32_t)UINT16_MAX);
		th->rx_win = rte_cpu_to_be_16((uint16_t)wnd);
	} else {
		wnd = tcp_rcv_wnd(c);
		th->rx_win = rte_cpu_to_be_16((uint16_t)(wnd >> c->rcv_wscale));
	}
	th->cksum = 0;
	th->tcp_urp = 0;
	if (olen > 0)
		memcpy(th + 1, opts, olen);
	if (copy > 0)
		tcp_sq_copy(c, seq, copy, (uint8_t *)(th + 1) + olen);
	if (flags & TH_ACK) {
		if (c->flags & TF_DSACK) {
			c->flags &= ~TF_DSACK;
			tl->st.dsack_out++;
		}
		c->rcv_adv = c->rcv_nxt + wnd;
		c->last_ack_sent = c->rcv_nxt;
		c->segs_unacked = 0;
		c->flags &= ~TF_ACK_NOW;
		tcp_delack_cancel(c);
	}
	if (c->flags & TF_SACK_RECOV)
		c->prr_out += len; /* RFC 6937 */
	c->seg_out++;
	c->bytes_out += len;
	tl->st.seg_out++;
	tl->st.bytes_out += len;
	if (flags & TH_RST)
		tl->st.rst_out++;
	if (len > 0)
		tcp_rack_sent(c, seq, len);
	tcp_ip_output(tl, m, c->raddr, ipf);
	return 0;
}

int
tcp_send_ctl(struct tcp_conn *c, uint32_t seq, uint8_t flags)
{
	return send_seg(c, seq, 0, flags);
}

/* Send again len bytes (and flags) from seq, which went out before. */
static int
resend(struct tcp_conn *c, uint32_t seq, uint32_t len, uint8_t flags)
{
	c->retrans++;
	c->tl->st.retrans++;
	/* Karn: no RTT sample from a retransmitted segment (but from the
	 * timestamp its ACK echoes: tcp_rtt_ack()). */
	c->flags = (c->flags & ~TF_RTT_TIMING) | TF_RTT_KARN;
	if (SEQ_GT(seq + len, c->high_rxt))
		c->high_rxt = seq + len;
	return send_seg(c, seq, len, (uint8_t)(flags | TH_PSH));
}

/* Retransmit the first unacknowledged segment (fast retransmit, partial
 * ACKs in recovery): data from snd_una, the FIN if it is there. */
int
tcp_retransmit_una(struct tcp_conn *c)
{
	uint32_t end = tcp_data_end(c), len = 0;
	uint8_t flags = 0;

	/* Only what was sent before (to sent_end): past snd_max it would be
	 * new data snd_max does not cover, and the peer's ACK of it would
	 * look like an ACK of data never sent. */
	uint32_t sent_end = SEQ_LT(c->snd_max, end) ? c->snd_max : end;

	/* Nor into what the peer SACKed: the hole may be shorter than a
	 * segment. */
	if (c->sb_n > 0 && SEQ_LT(c->sb[0].s, sent_end))
		sent_end = c->sb[0].s;
	if (SEQ_LT(c->snd_una, sent_end))
		len = RTE_MIN(sent_end - c->snd_una, c->mss - data_opt_len(c));
	if ((c->flags & TF_FIN_QUEUED) && c->snd_una + len == end &&
			SEQ_GT(c->snd_max, end))
		flags |= TH_FIN;
	if (len == 0 && flags == 0)
		return 0;
	return resend(c, c->snd_una, len, flags);
}

/* RFC 8985 7.3: the probe timeout fired. Send one segment of new data if
 * there is some and the peer's window takes it (whatever cwnd says),
 * else resend the last segment sent (with the FIN if it was). Either
 * draws an ACK, with SACK blocks, that shows what of the tail was lost,
 * where waiting for the RTO would have shown nothing. */
void
tcp_tlp_fire(struct tcp_conn *c)
{
	uint32_t end = tcp_data_end(c), eff = c->mss - data_opt_len(c);
	uint32_t wnd_end = c->snd_una + c->snd_wnd, seq, len, sent_end;
	uint8_t flags = 0;
	int fin;

	if (c->snd_nxt == c->snd_max && SEQ_LT(c->snd_max, end) &&
			SEQ_LT(c->snd_max, wnd_end)) {
		seq = c->snd_max;
		len = RTE_MIN(RTE_MIN(end - seq, eff), wnd_end - seq);
		if (seq + len == end)
			flags |= TH_PSH;
		if (send_seg(c, seq, len, flags) < 0)
			return;
		c->snd_nxt = c->snd_max = seq + len;
		c->last_tx_tsc = c->tl->ilc->now;
		c->tlp_state = TLP_NEW;
	} else {
		fin = (c->flags & TF_FIN_QUEUED) && SEQ_GT(c->snd_max, end);
		sent_end = fin ? end : c->snd_max;
		len = RTE_MIN(sent_end - c->snd_una, eff);
		seq = sent_end - len;
		if (len == 0 && !fin)
			return;
		if (resend(c, seq, len, fin ? TH_FIN : 0) < 0)
			return;
		len += fin ? 1 : 0;
		c->tlp_state = TLP_RTX;
	}
	c->tlp_seq = seq;
	c->tlp_end = seq + len;
	c->tlp_dsacked = 0;
	c->tl->st.tlp_probes++;
}

/* RFC 6675 NextSeg rule 1: resend part of a hole the scoreboard shows
 * lost (data only: a hole lies below SACKed data, so never holds the
 * FIN). */
int
tcp_retransmit(struct tcp_conn *c, uint32_t seq, uint32_t len)
{
	c->tl->st.sack_rexmit++;
	return resend(c, seq, len, 0);
}

void
tcp_output(struct tcp_conn *c)
{
	uint32_t end, stop, avail, win, lim, len, eff, seq, pipe, sent = 0;
	uint32_t room = UINT32_MAX;
	uint8_t flags;

	if (TCP_IN_STATE(c, TCP_CLOSED | TCP_LISTEN))
		return;
	if (TCP_IN_STATE(c, TCP_SYN_SENT | TCP_SYN_RCVD)) {
		/* RFC 9293 3.5: our SYN (or SYN-ACK) first; data waits
		 * for ESTABLISHED. */
		if (c->snd_nxt == c->iss) {
			if (send_seg(c, c->iss, 0, c->state == TCP_SYN_SENT ?
					TH_SYN : TH_SYN | TH_ACK) == 0) {
				c->snd_nxt = c->iss + 1;
				if (SEQ_GT(c->snd_nxt, c->snd_max))
					c->snd_max = c->snd_nxt;
			}
			tcp_rtx_arm(c);
		} else if (c->flags & TF_ACK_NOW) {
			send_seg(c, c->iss, 0, c->state == TCP_SYN_SENT ?
					TH_SYN : TH_SYN | TH_ACK);
		}
		c->flags &= ~TF_ACK_NOW;
		/* Fast Open (RFC 7413 4.2.2): data may follow the SYN-ACK,
		 * within the window the SYN offered. */
		if (!(c->tfo & TFO_DATA) || c->snd_nxt == c->iss)
			return;
	}
	eff = c->mss - data_opt_len(c);
	end = tcp_data_end(c);
	/* RFC 5681 4.1: data after an idle period longer than the RTO
	 * starts again from the restart window, min(IW, cwnd) (a window
	 * grown long ago says nothing of the path now). The clock is read
	 * here (the lcore's may be as old as the last packet in). */
	if (c->snd_una == c->snd_max && SEQ_LT(c->snd_nxt, end) &&
			c->last_tx_tsc != 0 && rte_rdtsc() - c->last_tx_tsc >
			(uint64_t)c->rto_us * c->tl->tn->cyc_per_us)
		c->cwnd = RTE_MIN(c->cwnd, tcp_iw(c));
	if (c->flags & TF_SACK_RECOV) {
		/* RFC 6675 5 (C): while cwnd - pipe >= 1 SMSS, resend the
		 * lost holes first (resends RACK found lost again, then
		 * NextSeg rule 1), then new data (rule 2, the loop below,
		 * within room). */
		pipe = tcp_sack_pipe(c);
		while (pipe + eff <= c->cwnd &&
				(tcp_rack_next_lost(c, eff, &seq, &len) ||
				tcp_sack_next_lost(c, eff, &seq, &len))) {
			if (tcp_retransmit(c, seq, len) < 0)
				break;
			pipe += len;
			sent++;
		}
		room = c->cwnd > pipe ? c->cwnd - pipe : 0;
	}
	for (;;) {
		/* RFC 6675 5.1: resending after a timeout skips SACKed
		 * ranges and stops short of the next one. */
		stop = end;
		if (c->sb_n > 0 && SEQ_LT(c->snd_nxt, c->snd_max))
			stop = tcp_sack_skip(c, end);
		avail = SEQ_LT(c->snd_nxt, stop) ? stop - c->snd_nxt : 0;
		if (c->flags & TF_SACK_RECOV) {
			win = SEQ_LT(c->snd_nxt, c->snd_una + c->snd_wnd) ?
				c->snd_una + c->snd_wnd - c->snd_nxt : 0;
			win = RTE_MIN(win, room);
		} else {
			lim = RTE_MIN(c->cwnd + c->lt_allow, c->snd_wnd);
			win = SEQ_LT(c->snd_nxt, c->snd_una + lim) ?
				c->snd_una + lim - c->snd_nxt : 0;
		}
		flags = 0;
		if (avail > 0) {
			len = RTE_MIN(RTE_MIN(avail, eff), win);
			if (len == 0)
				break;
			if (len < eff && len < avail) {
				/* Window-limited small segment: sender SWS
				 * avoidance (RFC 9293 3.8.6.2.1) unless it is
				 * half the largest window the peer offered. */
				if (len < c->max_sndwnd / 2 &&
						!(c->flags & TF_FORCE))
					break;
			} else if (len < eff && c->cork && !(c->flags &
					(TF_FIN_QUEUED | TF_FORCE))) {
				/* Corked: full segments only until the
				 * application uncorks, queues a FIN, or the
				 * persist timer below expires (one RTO: the
				 * ceiling Linux puts at 200 ms). */
				break;
			} else if (len < eff && !(c->flags & TF_NODELAY) &&
					c->snd_nxt != (c->state == TCP_SYN_RCVD ?
					c->iss + 1 : c->snd_una) &&
					!SEQ_LT(c->snd_nxt, c->snd_max) &&
					!(c->flags & TF_FIN_QUEUED)) {
				/* Nagle (RFC 1122 4.2.3.4): one small
				 * segment in flight at a time (new data; a
				 * Fast Open SYN-ACK is none). */
				break;
			}
			if (len == avail && stop == end)
				flags |= TH_PSH;
			/* A FIN takes a sequence number of the window too
			 * (RFC 9293 3.8.6). */
			if ((c->flags & TF_FIN_QUEUED) && len == avail &&
					stop == end && len < win)
				flags |= TH_FIN;
		} else if ((c->flags & TF_FIN_QUEUED) && c->snd_nxt == end &&
				win > 0) {
			len = 0;
			flags = TH_FIN;
		} else {
			break;
		}
		if (SEQ_LT(c->snd_nxt, c->snd_max)) {
			c->retrans++;
			c->tl->st.retrans++;
			c->tl->st.rto_rexmit++;
		} else if (!(c->flags & TF_RTT_TIMING) && len > 0) {
			c->flags |= TF_RTT_TIMING;
			c->rtt_seq = c->snd_nxt;
			c->rtt_tsc = rte_rdtsc();
		}
		if (send_seg(c, c->snd_nxt, len, flags) < 0)
			break;
		room -= RTE_MIN(room, len);
		c->snd_nxt += len + ((flags & TH_FIN) ? 1 : 0);
		if (SEQ_GT(c->snd_nxt, c->snd_max))
			c->snd_max = c->snd_nxt;
		sent++;
		if (flags & TH_FIN)
			break;
	}
	c->flags &= ~TF_FORCE;
	if (sent > 0)
		c->last_tx_tsc = c->tl->ilc->now;
	if (sent == 0 && (c->flags & TF_ACK_NOW))
		send_seg(c, c->snd_nxt, 0, 0);
	if (SEQ_LT(c->snd_una, c->snd_max)) {
		if (!px_timer_is_armed(&c->t_rtx) || (c->flags & TF_PERSIST))
			tcp_rtx_arm(c);
	} else if ((SEQ_LT(c->snd_nxt, end) || ((c->flags & TF_FIN_QUEUED) &&
			c->snd_nxt == end)) && !px_timer_is_armed(&c->t_rtx)) {
		/* RFC 9293 3.8.6.1: probe a zero window; and a window too
		 * small to use (SWS avoidance) is used when this expires. */
		tcp_persist_arm(c);
	}
}

/* Queue an ACK: at once (end of this burst) or delayed (RFC 9293
 * 3.8.6.3, RFC 1122 4.2.3.2: at least every second full segment). */
void
tcp_ack_soon(struct tcp_conn *c, int now)
{
	if (now) {
		c->flags |= TF_ACK_NOW;
		tcp_enqueue(c);
	} else {
		tcp_delack_arm(c);
	}
}

/* The application read: tell the peer if the window opened usefully. */
void
tcp_window_update(struct tcp_conn *c)
{
	uint32_t cur, wnd;

	if (!TCP_IN_STATE(c, TCP_RCV_OPEN))
		return;
	cur = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	wnd = tcp_rcv_wnd(c);
	/* RFC 9293 3.8.6.2.2: update when the window grows by 2 MSS or
	 * half the buffer. */
	if (wnd >= cur + RTE_MIN(c->rcvbuf / 2, 2u * c->rmss)) {
		c->flags |= TF_ACK_NOW;
		tcp_output(c);
	}
}

/* RFC 9293 3.10.7.1: the reset for a segment no connection takes. */
void
tcp_send_rst_reply(struct tcp_lcore *tl, uint32_t raddr, uint16_t rport,
		uint16_t lport, const struct tcp_seg *seg)
{
	struct rte_tcp_hdr *th;
	struct rte_mbuf *m;

	if (seg->flags & TH_RST)
		return;
	m = rte_pktmbuf_alloc(tl->mp);
	if (m == NULL) {
		tl->st.nombuf++;
		return;
	}
	th = (struct rte_tcp_hdr *)rte_pktmbuf_append(m, sizeof(*th));
	if (th == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	memset(th, 0, sizeof(*th));
	th->src_port = lport;
	th->dst_port = rport;
	th->data_off = (sizeof(*th) / 4) << 4;
	if (seg->flags & TH_ACK) {
		/* <SEQ=SEG.ACK><CTL=RST> */
		th->sent_seq = rte_cpu_to_be_32(seg->ack);
		th->tcp_flags = TH_RST;
	} else {
		/* <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
		th->recv_ack = rte_cpu_to_be_32(seg->seq + seg->len +
				((seg->flags & TH_SYN) ? 1 : 0) +
				((seg->flags & TH_FIN) ? 1 : 0));
		th->tcp_flags = TH_RST | TH_ACK;
	}
	tl->st.rst_out++;
	tl->st.seg_out++;
	tcp_ip_output(tl, m, raddr, 1);
}
