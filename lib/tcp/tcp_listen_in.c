/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * TCP input for a listening port (RFC 9293 3.10.7.2): a SYN makes a
 * connection in SYN-RECEIVED (or, with the queue full, a SYN cookie,
 * RFC 4987), a returning cookie's ACK makes one established, Fast Open
 * (RFC 7413) takes a SYN's data. The rest of the input path is tcp_in.c.
 */

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_random.h>
#include <rte_tcp.h>

#include "tcp_private.h"

/* What a passive connection takes from its listener and first segment. */
static void
passive_init(struct tcp_lcore *tl, struct px_tcp_listener *l,
		const struct rte_ipv4_hdr *ip, const struct rte_tcp_hdr *th,
		struct tcp_conn *c)
{
	c->raddr = ip->src_addr;
	c->laddr = ip->dst_addr;
	c->rport = th->src_port;
	c->lport = th->dst_port;
	c->lst = l;
	c->flags |= TF_PASSIVE;
	if (l->cbs.on_accept != NULL) {
		c->cbs = l->cbs;
		c->cb_arg = l->cb_arg;
	}
	tcp_conn_init_common(tl, c);
}

/* RFC 4987 3.6: past the half-open limit, answer with a SYN cookie and
 * keep nothing (the lcore's scratch block only builds the segment). */
static void
cookie_synack(struct tcp_lcore *tl, struct px_tcp_listener *l,
		struct tcp_listen_lc *llc, const struct rte_ipv4_hdr *ip,
		const struct rte_tcp_hdr *th, const struct tcp_seg *seg)
{
	struct tcp_conn *c = &tl->scratch;

	memset(c, 0, offsetof(struct tcp_conn, ooo));
	c->tl = tl;
	c->rcvbuf = tl->tn->conf.rcvbuf;
	c->sndbuf = tl->tn->conf.sndbuf;
	c->cc = tcp_cc_of(tl->tn->conf.cc);
	tcp_timers_init(c);
	passive_init(tl, l, ip, th, c);
	tcp_negotiate(c, seg);
	if (!(c->flags & TF_TS)) {
		/* Nowhere to keep them: offer neither. */
		c->flags &= ~(TF_WS | TF_SACK);
		c->snd_wscale = 0;
		c->rcv_wscale = 0;
	}
	c->state = TCP_SYN_RCVD;
	c->irs = seg->seq;
	c->rcv_nxt = seg->seq + 1;
	c->rcv_adv = c->rcv_nxt;
	c->iss = tcp_cookie_make(tl, c, seg->seq,
			seg->has_mss ? seg->mss : TCP_DEFAULT_MSS);
	c->flags = (c->flags | TF_COOKIE) & ~TF_ECN; /* nowhere to keep it */
	if (tcp_send_ctl(c, c->iss, TH_SYN | TH_ACK) == 0)
		tl->st.syncookies_sent++;
	/* Two cookie periods: as long as a cookie stays good. */
	llc->cookie_until = tl->ilc->now + 128 * tl->tn->hz;
}

/* An ACK for a listener: a returning SYN cookie? Returns 1 with the new
 * SYN_RCVD connection in *out (the segment then completes it as usual),
 * 0 if it is no cookie, -1 if it was one but is dropped. */
static int
cookie_ack(struct tcp_lcore *tl, struct px_tcp_listener *l,
		struct tcp_listen_lc *llc, const struct rte_ipv4_hdr *ip,
		const struct rte_tcp_hdr *th, const struct tcp_seg *seg,
		struct tcp_conn **out)
{
	const struct px_tcp_conf *cf = &tl->tn->conf;
	struct tcp_conn *c = &tl->scratch;
	uint16_t mss;

	if (tl->ilc->now >= llc->cookie_until ||
			(seg->flags & (TH_SYN | TH_RST)))
		return 0;
	c->raddr = ip->src_addr;
	c->laddr = ip->dst_addr;
	c->rport = th->src_port;
	c->lport = th->dst_port;
	if (tcp_cookie_check(tl, c, seg->seq - 1, seg->ack - 1, &mss) < 0 ||
			(seg->has_ts && !(cf->flags & PX_TCP_CONF_F_NO_TS) &&
			 (uint32_t)(rte_rdtsc() / tl->tn->cyc_per_ms) +
			 tcp_ts_off(tl, c) - (seg->tsecr & ~31u) > 128000)) {
		tl->st.syncookies_bad++;
		return 0;
	}
	if (l->cbs.on_accept == NULL && llc->len >= l->backlog) {
		tl->st.accept_overflow++;
		return -1;
	}
	if (tcp_conn_alloc(tl, &c) < 0) {
		tl->st.conn_exhausted++;
		return -1;
	}
	passive_init(tl, l, ip, th, c);
	c->flags &= ~TF_ECN; /* the cookie SYN-ACK did not agree to it */
	if (seg->has_ts && !(cf->flags & PX_TCP_CONF_F_NO_TS)) {
		c->ts_recent = seg->tsval;
		c->ts_recent_tsc = rte_rdtsc();
		tcp_cookie_opts(c, seg->tsecr);
	} else {
		c->flags &= ~(TF_TS | TF_WS | TF_SACK);
		c->snd_wscale = 0;
		c->rcv_wscale = 0;
	}
	tcp_set_snd_mss(c, mss);
	c->irs = seg->seq - 1;
	c->rcv_nxt = seg->seq;
	c->rcv_adv = c->rcv_nxt;
	/* The window our SYN-ACK offered (unscaled, RFC 7323 2.2). */
	c->rcv_adv = c->rcv_nxt + RTE_MIN(tcp_rcv_wnd(c), (uint32_t)UINT16_MAX);
	c->last_ack_sent = c->rcv_nxt;
	c->iss = seg->ack - 1;
	c->snd_una = c->iss;
	c->snd_nxt = c->snd_max = c->iss + 1;
	c->recover = c->iss;
	c->sq_seq = c->iss + 1;
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = c->iss;
	c->state = TCP_SYN_RCVD;
	llc->synq++;
	tcp_conn_insert(tl, c);
	tl->st.passive_opens++;
	tl->st.syncookies_ok++;
	*out = c;
	return 1;
}

/* RFC 7413 4.2 for a new connection in SYN-RECEIVED (its SYN-ACK not
 * sent yet): a SYN asking for a cookie, or with a wrong one, gets ours;
 * a valid one has the SYN's data (*mp, TCP header first) taken, *mp
 * then NULL. Returns 1 if so: the connection is ready to accept. */
static int
tfo_syn(struct tcp_conn *c, struct rte_mbuf **mp, const struct tcp_seg *seg)
{
	struct tcp_lcore *tl = c->tl;
	uint8_t ck[TFO_COOKIE_LEN];
	struct rte_mbuf *m = *mp;

	if (!(tl->tn->conf.flags & PX_TCP_CONF_F_FASTOPEN) || seg->tfo_len == 0)
		goto no_data;
	tcp_tfo_cookie(tl, c->raddr, ck);
	if (seg->tfo_len != 2 + TFO_COOKIE_LEN ||
			memcmp(seg->tfo_cookie, ck, TFO_COOKIE_LEN) != 0) {
		c->tfo |= TFO_COOKIE;
		tl->st.tfo_cookies_sent++;
		goto no_data;
	}
	if (seg->len == 0 || tcp_accept_full(c))
		goto no_data;
	/* The SYN-ACK's window (not scaled) bounds what is taken. */
	c->rcv_adv = c->rcv_nxt + RTE_MIN(tcp_rcv_wnd(c), (uint32_t)UINT16_MAX);
	rte_pktmbuf_adj(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - seg->len));
	*mp = NULL;
	tcp_rcv_data(c, m, seg->seq + 1, seg->len, 1);
	tcp_delack_cancel(c); /* the SYN-ACK acknowledges it */
	c->flags &= ~TF_ACK_NOW;
	if (c->rcv_nxt == seg->seq + 1) {
		tl->st.syn_data_dropped++; /* shed (tcp_mem_level()) */
		return 0;
	}
	c->tfo |= TFO_DATA;
	tl->st.tfo_accepted++;
	tcp_cc_start(c); /* data may follow the SYN-ACK */
	return 1;
no_data:
	if (seg->len > 0)
		tl->st.syn_data_dropped++;
	return 0;
}

/* RFC 9293 3.10.7.2: a segment for a listening port (or none). Returns
 * a connection the segment goes on to (a SYN cookie came back), else
 * NULL: the segment was handled here. A SYN that took over a TIME-WAIT
 * brings the ISS it must use (tw_iss, else 0). */
struct tcp_conn *
tcp_listen_input(struct tcp_lcore *tl, struct rte_mbuf **mp,
		const struct rte_ipv4_hdr *ip, const struct rte_tcp_hdr *th,
		struct tcp_seg *seg, uint32_t tw_iss)
{
	int tfo;
	struct px_tcp_listener *l;
	struct tcp_listen_lc *llc;
	struct tcp_conn *c;
	int r;

	/* acquire: pairs with the release store in px_tcp_listen(). */
	l = __atomic_load_n(&tl->tn->listen[rte_be_to_cpu_16(th->dst_port)],
			__ATOMIC_ACQUIRE);
	if (l == NULL || __atomic_load_n(&l->closed, __ATOMIC_RELAXED)) {
		/* RFC 9293 3.10.7.1: CLOSED; a RST answers all but a RST. */
		tl->st.drop_no_conn++;
		tcp_send_rst_reply(tl, ip->src_addr, th->src_port, th->dst_port, seg);
		return NULL;
	}
	if (seg->flags & TH_RST) {
		tl->st.drop_state++;
		return NULL;
	}
	llc = tcp_listen_lc_of(l, tl);
	if (seg->flags & TH_ACK) {
		r = cookie_ack(tl, l, llc, ip, th, seg, &c);
		if (r > 0)
			return c;
		if (r < 0)
			return NULL;
		tl->st.drop_no_conn++;
		tcp_send_rst_reply(tl, ip->src_addr, th->src_port, th->dst_port, seg);
		return NULL;
	}
	if (!(seg->flags & TH_SYN)) {
		tl->st.drop_state++;
		return NULL;
	}
	if (l->cbs.on_accept == NULL && llc->len >= l->backlog) {
		/* Nowhere to put it even once complete (as Linux). */
		tl->st.accept_overflow++;
		return NULL;
	}
	if (llc->synq >= RTE_MAX(l->backlog, 64u)) {
		if (tl->tn->conf.flags & PX_TCP_CONF_F_NO_SYNCOOKIES)
			tl->st.synq_full++;
		else
			cookie_synack(tl, l, llc, ip, th, seg);
		return NULL;
	}
	if (tcp_conn_alloc(tl, &c) < 0) {
		tl->st.conn_exhausted++;
		return NULL;
	}
	passive_init(tl, l, ip, th, c);
	llc->synq++;
	tcp_negotiate(c, seg);
	c->irs = seg->seq;
	c->rcv_nxt = seg->seq + 1;
	c->rcv_adv = c->rcv_nxt;
	c->iss = tw_iss != 0 ? tw_iss : tcp_isn(tl, c);
	c->snd_una = c->snd_nxt = c->snd_max = c->iss;
	c->recover = c->iss;
	c->sq_seq = c->iss + 1;
	c->snd_wnd = seg->wnd; /* RFC 7323 2.2: not scaled in a SYN */
	c->max_sndwnd = c->snd_wnd;
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = c->iss;
	c->state = TCP_SYN_RCVD;
	c->flags |= TF_RTT_TIMING; /* the SYN-ACK: handshake_rtt() */
	c->rtt_seq = c->iss;
	c->rtt_tsc = rte_rdtsc();
	tcp_conn_insert(tl, c);
	tl->st.passive_opens++;
	tfo = tfo_syn(c, mp, seg);
	tcp_output(c);
	/* Fast Open: ready before the handshake completes (RFC 7413 4.2.2;
	 * Linux's TFO child). A refusal (the listener closing) resets it. */
	if (tfo)
		tcp_accept_ready(c);
	return NULL;
}
