/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * TCP and ICMP: the errors lib/inet hands up about segments we sent
 * (RFC 1122 4.2.3.9, RFC 5927's checks against the connection), path MTU
 * discovery from fragmentation-needed reports (RFC 1191) with the
 * per-lcore cache of what each destination takes, and black-hole
 * detection when no report comes (RFC 4821 5.5; tcp_timer.c decides
 * when).
 */

#include <errno.h>

#include <rte_cycles.h>
#include <rte_jhash.h>
#include <rte_tcp.h>

#include "tcp_private.h"

/* RFC 1191 7: the MTU plateaus, for a router that reports none. */
static const uint16_t pmtu_plateau[] = {
	32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68,
};

static struct tcp_pmtu *
pmtu_slot(struct tcp_lcore *tl, uint32_t dst)
{
	return &tl->pmtu[rte_jhash_1word(dst, tl->hash_seed) & (TCP_PMTU_SLOTS - 1)];
}

/* The send MSS from the peer's (its SYN's option, or the default),
 * within ours and the path MTU this lcore knows for the peer. */
void
tcp_set_snd_mss(struct tcp_conn *c, uint32_t peer_mss)
{
	const struct tcp_pmtu *p = pmtu_slot(c->tl, c->raddr);
	uint32_t mss = RTE_MIN(peer_mss, (uint32_t)c->rmss);

	if (p->dst == c->raddr && rte_rdtsc() < p->expire_tsc) {
		mss = RTE_MIN(mss, (uint32_t)p->mtu - 40);
		if (p->no_df)
			c->flags |= TF_NO_DF;
	}
	c->mss = (uint16_t)RTE_MAX(mss, (uint32_t)TCP_MIN_MSS);
}

/* Send again what is in flight, now in segments of the new MSS: those
 * sent at the old size were dropped on the way (Linux's
 * tcp_simple_retransmit()). Not a congestion signal (RFC 1191 6.5):
 * the window stays; Karn's rule holds for what is resent. In recovery
 * the lowered MSS applies to the next retransmissions already. */
static void
pmtu_resend(struct tcp_conn *c)
{
	if (!TCP_IN_STATE(c, TCP_SYNCED) || c->snd_una == c->snd_max ||
			c->snd_wnd == 0 ||
			(c->flags & (TF_RECOVERY | TF_SACK_RECOV | TF_PERSIST)))
		return;
	c->flags = (c->flags & ~TF_RTT_TIMING) | TF_RTT_KARN;
	c->snd_nxt = c->snd_una;
	tcp_output(c);
}

/* Fragmentation needed about a segment in flight on c (RFC 1191; RFC
 * 5927 4.1 checked by the caller): lower the MSS to the reported
 * next-hop MTU, never raise it, remember the MTU for the destination. A
 * report not below the quoted datagram's own size is bogus (the segment
 * fitted) and ignored. Returns 0 if taken. */
static int
pmtu_lower(struct tcp_conn *c, const struct rte_ipv4_hdr *q, uint32_t mtu)
{
	struct tcp_lcore *tl = c->tl;
	struct tcp_pmtu *p;
	uint32_t qlen = rte_be_to_cpu_16(q->total_length), i, mss;
	uint32_t had_df = !(c->flags & TF_NO_DF), no_df = 0;
	uint64_t now = rte_rdtsc();

	if (mtu == 0) {
		for (i = 0; i < PX_ARRAY_SIZE(pmtu_plateau) - 1 &&
				pmtu_plateau[i] >= qlen; i++)
			;
		mtu = pmtu_plateau[i];
	}
	if (mtu >= qlen)
		return -EINVAL;
	if (mtu < TCP_PMTU_MIN) {
		mtu = TCP_PMTU_MIN;
		no_df = 1;
	}
	mss = mtu - 40;
	if (mss >= c->mss && !(no_df && had_df))
		return -EINVAL;
	p = pmtu_slot(tl, c->raddr);
	if (p->dst != c->raddr || now >= p->expire_tsc || mtu <= p->mtu) {
		p->dst = c->raddr;
		p->mtu = (uint16_t)mtu;
		p->no_df = (uint8_t)no_df;
		p->expire_tsc = now + TCP_PMTU_EXPIRE_S * tl->tn->hz;
	}
	if (mss < c->mss)
		c->mss = (uint16_t)RTE_MAX(mss, (uint32_t)TCP_MIN_MSS);
	if (no_df)
		c->flags |= TF_NO_DF;
	tl->st.pmtu_lowered++;
	pmtu_resend(c);
	return 0;
}

/* A timeout is about to resend the segment at snd_una (tcp_timer.c
 * decides when: TCP_BH_MIN_MS): a segment too big for a black hole is
 * cut (to TCP_BH_BASE, then halved, not below TCP_BH_FLOOR). Returns 1
 * if the MSS was lowered. */
int
tcp_pmtu_blackhole(struct tcp_conn *c)
{
	uint32_t mss = c->mss > TCP_BH_BASE ? TCP_BH_BASE :
		RTE_MAX((uint32_t)c->mss / 2, (uint32_t)TCP_BH_FLOOR);
	uint32_t opt = c->mss - tcp_eff_mss(c);

	if (mss >= c->mss || tcp_flight(c) <= mss - opt)
		return 0;
	c->mss = (uint16_t)mss;
	c->tl->st.pmtu_blackhole++;
	return 1;
}

/* An ICMP error about a segment we sent (inet_l4.h, the err hook). RFC
 * 5927 4.1: taken only if the quoted sequence number is in flight on a
 * connection we have. Fragmentation needed is path MTU discovery's
 * (pmtu_lower()). Others, as Linux: a connection still opening ends
 * with the error at once (a connect() to a port the host rejects is
 * refused now, not after 6 SYN retries); an established one keeps it,
 * reported if it times out (RFC 1122 4.2.3.9: these are soft errors
 * for a synchronized connection). */
void
tcp_icmp_err(struct px_netif *nif, void *lctx, const struct rte_ipv4_hdr *q,
		uint8_t type, uint8_t code, uint32_t info)
{
	struct tcp_lcore *tl = lctx;
	const struct rte_tcp_hdr *th = (const struct rte_tcp_hdr *)
		((const uint8_t *)q + (q->version_ihl & 0xf) * 4);
	struct tcp_conn *c;
	uint32_t seq = rte_be_to_cpu_32(th->sent_seq);
	int err, hard;

	RTE_SET_USED(nif);
	tcp_gro_flush(tl); /* the data before the error */
	c = tcp_lookup(tl, q->dst_addr, th->dst_port, th->src_port);
	if (c == NULL || q->src_addr != c->laddr ||
			TCP_IN_STATE(c, TCP_CLOSED | TCP_LISTEN | TCP_TIME_WAIT) ||
			!(SEQ_GEQ(seq, c->snd_una) && SEQ_LT(seq, c->snd_max)) ||
			(err = px__icmp_errno(type, code, &hard)) == 0) {
		tl->st.drop_icmp_err++;
		return;
	}
	if (type == 3 && code == 4) {
		if (pmtu_lower(c, q, info & 0xffff) < 0)
			tl->st.drop_icmp_err++;
		return;
	}
	tl->st.icmp_err++;
	if (c->state == TCP_SYN_SENT ||
			(c->state == TCP_SYN_RCVD && !(c->flags & TF_PASSIVE))) {
		tcp_set_state(c, TCP_CLOSED, -err);
	} else if (c->state == TCP_SYN_RCVD) {
		/* A half-open passive one goes back to LISTEN on a hard
		 * error (Linux's tcp_req_err()). */
		if (hard && seq == c->iss)
			tcp_set_state(c, TCP_CLOSED, 0);
	} else {
		c->soft_err = -err;
	}
}
