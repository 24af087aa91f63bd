/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * The sender's SACK scoreboard (RFC 2018, RFC 6675): the ranges above
 * snd_una the peer reported holding, kept sorted and merged in a fixed
 * array per connection. Recovery asks it which holes are lost (IsLost),
 * how much is in the network (SetPipe) and what to resend next
 * (NextSeg rule 1). D-SACK blocks (RFC 2883) are counted, not stored.
 */

#include <string.h>

#include "tcp_private.h"

void
tcp_sack_clear(struct tcp_conn *c)
{
	c->sb_n = 0;
	c->sacked = 0;
	c->lost_below_ok = 0;
}

/* Whether one block holds all of [s, e). */
int
tcp_sack_covers(const struct tcp_conn *c, uint32_t s, uint32_t e)
{
	uint32_t i;

	for (i = 0; i < c->sb_n; i++)
		if (SEQ_LEQ(c->sb[i].s, s) && SEQ_GEQ(c->sb[i].e, e))
			return 1;
	return 0;
}

static void
sb_remove(struct tcp_conn *c, uint32_t i)
{
	c->sacked -= c->sb[i].e - c->sb[i].s;
	memmove(&c->sb[i], &c->sb[i + 1], (c->sb_n - i - 1) * sizeof(c->sb[0]));
	c->sb_n--;
}

/* Add [s, e) (already inside snd_una..snd_max), merging neighbours;
 * what it adds to the blocks is newly delivered (RACK). */
static void
sb_add(struct tcp_conn *c, uint32_t s, uint32_t e, uint32_t now)
{
	uint32_t i = 0, j, cur;

	while (i < c->sb_n && SEQ_LT(c->sb[i].e, s))
		i++;
	cur = s;
	for (j = i; j < c->sb_n && SEQ_LEQ(c->sb[j].s, e); j++) {
		if (SEQ_LT(cur, c->sb[j].s))
			tcp_rack_delivered(c, cur, c->sb[j].s, now);
		if (SEQ_GT(c->sb[j].e, cur))
			cur = c->sb[j].e;
	}
	if (SEQ_LT(cur, e))
		tcp_rack_delivered(c, cur, e, now);
	/* Blocks i.. that touch [s, e) fold into it. */
	j = i;
	while (j < c->sb_n && SEQ_LEQ(c->sb[j].s, e)) {
		if (SEQ_LT(c->sb[j].s, s))
			s = c->sb[j].s;
		if (SEQ_GT(c->sb[j].e, e))
			e = c->sb[j].e;
		j++;
	}
	if (j > i) {
		while (j-- > i + 1)
			sb_remove(c, j);
		c->sacked += (e - s) - (c->sb[i].e - c->sb[i].s);
		c->sb[i].s = s;
		c->sb[i].e = e;
		return;
	}
	if (c->sb_n == TCP_SACK_SB) {
		/* Full: the highest range matters least to recovery (holes
		 * below it are found from the others); forget it, which
		 * only makes us resend more, never less. */
		c->tl->st.sack_sb_full++;
		if (i == c->sb_n)
			return;
		sb_remove(c, c->sb_n - 1);
	}
	memmove(&c->sb[i + 1], &c->sb[i], (c->sb_n - i) * sizeof(c->sb[0]));
	c->sb[i].s = s;
	c->sb[i].e = e;
	c->sb_n++;
	c->sacked += e - s;
}

/* RFC 2018 / RFC 2883: take the SACK blocks of an acceptable ACK. */
void
tcp_sack_update(struct tcp_conn *c, const struct tcp_seg *seg)
{
	struct tcp_lcore *tl = c->tl;
	uint32_t k, s, e, now = tcp_rack_now(c);

	for (k = 0; k < seg->nsack; k++) {
		s = seg->sack[k][0];
		e = seg->sack[k][1];
		if (!SEQ_LT(s, e) || SEQ_GT(e, c->snd_max) ||
				e - s > c->snd_max - c->snd_una + c->max_sndwnd) {
			tl->st.drop_bad_sack++;
			continue;
		}
		/* RFC 2883: a first block below the cumulative ACK, or
		 * inside the second, reports a duplicate we sent. */
		if (SEQ_LEQ(e, seg->ack) || (k == 0 && seg->nsack > 1 &&
				SEQ_GEQ(s, seg->sack[1][0]) &&
				SEQ_LEQ(e, seg->sack[1][1]))) {
			tl->st.dsack_in++;
			tcp_rack_dsack(c);
			if (c->tlp_state == TLP_RTX && SEQ_LEQ(s, c->tlp_seq) &&
					SEQ_GEQ(e, c->tlp_end))
				c->tlp_dsacked = 1;
			continue;
		}
		if (SEQ_LT(s, c->snd_una))
			s = c->snd_una;
		if (SEQ_LT(s, e))
			sb_add(c, s, e, now);
	}
}

/* The cumulative ACK moved to snd_una: drop what it covers. */
void
tcp_sack_trim(struct tcp_conn *c)
{
	while (c->sb_n > 0 && SEQ_LEQ(c->sb[0].e, c->snd_una))
		sb_remove(c, 0);
	if (c->lost_below_ok && SEQ_GEQ(c->snd_una, c->lost_below))
		c->lost_below_ok = 0;
	if (c->sb_n > 0 && SEQ_LT(c->sb[0].s, c->snd_una)) {
		c->sacked -= c->snd_una - c->sb[0].s;
		c->sb[0].s = c->snd_una;
	}
}

/* RFC 6675 IsLost for the hole [hs, he) below block i: all of it with
 * at least DupThresh discontiguous SACKed segments, or more than
 * (DupThresh - 1) * SMSS SACKed bytes, above it (above = SACKed bytes
 * from block i up); else what lies below lost_below (the tail loss
 * probe's, RACK's). Returns where the lost part ends (hs: none). */
static uint32_t
hole_lost(const struct tcp_conn *c, uint32_t i, uint32_t above, uint32_t hs,
		uint32_t he)
{
	uint32_t mss = tcp_eff_mss(c);

	if (c->sb_n - i >= c->dupthresh || above > (c->dupthresh - 1) * mss)
		return he;
	if (c->lost_below_ok && SEQ_GT(c->lost_below, hs))
		return SEQ_LT(c->lost_below, he) ? c->lost_below : he;
	return hs;
}

int
tcp_sack_is_lost(const struct tcp_conn *c, uint32_t seq)
{
	uint32_t i, hs = c->snd_una, above = c->sacked;

	for (i = 0; i < c->sb_n; i++) {
		if (SEQ_GT(c->sb[i].s, seq))
			return SEQ_LT(seq, hole_lost(c, i, above, hs, c->sb[i].s));
		above -= c->sb[i].e - c->sb[i].s;
		hs = c->sb[i].e;
	}
	return 0;
}

/* RFC 6675 SetPipe: bytes the network holds. Each hole byte counts
 * once unless it is lost, once more if we resent it (below high_rxt)
 * and RACK has not found that lost too; SACKed bytes do not count; what
 * lies past the last block is in flight. */
uint32_t
tcp_sack_pipe(const struct tcp_conn *c)
{
	uint32_t i, hs = c->snd_una, he, n, rx, pipe = 0, above = c->sacked;
	uint32_t lost;

	for (i = 0; i < c->sb_n; i++) {
		he = c->sb[i].s;
		n = he - hs;
		rx = SEQ_GT(c->high_rxt, hs) ?
			RTE_MIN(c->high_rxt - hs, n) : 0;
		pipe += n - (hole_lost(c, i, above, hs, he) - hs) + rx;
		above -= c->sb[i].e - he;
		hs = c->sb[i].e;
	}
	if (SEQ_LT(hs, c->snd_max))
		pipe += c->snd_max - hs;
	if (c->rack.rx_lost != 0) {
		lost = tcp_rack_lost_rx_bytes(c);
		pipe = pipe > lost ? pipe - lost : 0;
	}
	return pipe;
}

/* RFC 6675 NextSeg rule 1: the first lost byte not resent yet (above
 * high_rxt), and how much of its hole fits one segment of max bytes. */
int
tcp_sack_next_lost(const struct tcp_conn *c, uint32_t max, uint32_t *seq,
		uint32_t *len)
{
	uint32_t i, hs = c->snd_una, he, above = c->sacked, le, from;

	for (i = 0; i < c->sb_n; i++) {
		he = c->sb[i].s;
		from = hs;
		if (SEQ_GT(c->high_rxt, hs))
			hs = SEQ_LT(c->high_rxt, he) ? c->high_rxt : he;
		if (SEQ_LT(hs, he)) {
			le = hole_lost(c, i, above, from, he);
			if (!SEQ_LT(hs, le))
				return 0; /* holes above have less above them */
			*seq = hs;
			*len = RTE_MIN(le - hs, max);
			return 1;
		}
		above -= c->sb[i].e - c->sb[i].s;
		hs = c->sb[i].e;
	}
	return 0;
}

/* RFC 6675 5.1: after a timeout, a resend from snd_nxt skips what the
 * peer SACKed; returns how far the segment at snd_nxt may reach (the
 * next SACKed byte), or end. */
uint32_t
tcp_sack_skip(struct tcp_conn *c, uint32_t end)
{
	uint32_t i;

	for (i = 0; i < c->sb_n; i++) {
		if (SEQ_LEQ(c->sb[i].e, c->snd_nxt))
			continue;
		if (SEQ_LEQ(c->sb[i].s, c->snd_nxt)) {
			c->tl->st.sack_skip += c->sb[i].e - c->snd_nxt;
			c->snd_nxt = c->sb[i].e;
			continue;
		}
		return SEQ_LT(c->sb[i].s, end) ? c->sb[i].s : end;
	}
	return end;
}
