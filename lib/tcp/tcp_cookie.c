/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * SYN cookies (RFC 4987 3.6): when a listener's half-open limit is
 * reached, the SYN-ACK's ISN carries what the connection needs and no
 * state is kept; the peer's ACK brings it back.
 *
 *   ISN  = t(5 bits) | mss index(3 bits) | SipHash(key, t, 4-tuple, IRS)(24)
 *   TSval low 5 bits = the peer's window scale (15: none) | SACK-permitted
 *
 * t counts 64-second periods; a cookie is good in its period and the
 * next. Without timestamps there is nowhere to keep window scale and
 * SACK, so the cookie SYN-ACK offers neither (as Linux does).
 */

#include <rte_cycles.h>

#include "tcp_private.h"

#define COOKIE_PERIOD_S 64
#define COOKIE_TS_BITS 5
#define COOKIE_WS_NONE 15

/* MSS values a cookie can carry (a peer's MSS rounds down to one). The
 * first is the smallest MSS the stack sends with (TCP_MIN_MSS), so no
 * peer gets segments larger than it asked for. */
static const uint16_t cookie_mss[8] = {
	TCP_MIN_MSS, 536, 1200, 1360, 1440, 1460, 8960, 9000,
};

static uint32_t
cookie_period(const struct tcp_lcore *tl)
{
	return (uint32_t)(rte_rdtsc() / (tl->tn->hz * COOKIE_PERIOD_S));
}

static uint32_t
cookie_hash(const struct tcp_lcore *tl, uint32_t t, const struct tcp_conn *c,
		uint32_t irs)
{
	const uint64_t *key = tl->tn->cookie_key;
	uint64_t k[2] = { key[0] ^ (t & 31), key[1] };

	return (uint32_t)tcp_siphash(k, (uint64_t)c->laddr << 32 | c->raddr,
			(uint64_t)c->lport << 48 | (uint64_t)c->rport << 32 | irs) &
		0xffffff;
}

uint32_t
tcp_cookie_make(const struct tcp_lcore *tl, const struct tcp_conn *c,
		uint32_t irs, uint16_t peer_mss)
{
	uint32_t t = cookie_period(tl) & 31, i = 0;

	while (i < 7 && cookie_mss[i + 1] <= peer_mss)
		i++;
	return t << 27 | i << 24 | cookie_hash(tl, t, c, irs);
}

int
tcp_cookie_check(const struct tcp_lcore *tl, const struct tcp_conn *c,
		uint32_t irs, uint32_t cookie, uint16_t *mss)
{
	uint32_t t = cookie >> 27, age = (cookie_period(tl) - t) & 31;

	if (age > 1 || cookie_hash(tl, t, c, irs) != (cookie & 0xffffff))
		return -EINVAL;
	*mss = cookie_mss[(cookie >> 24) & 7];
	return 0;
}

uint32_t
tcp_cookie_tsval(const struct tcp_conn *c, uint32_t now_ms)
{
	uint32_t bits = (c->flags & TF_WS) ? c->snd_wscale : COOKIE_WS_NONE;

	if (c->flags & TF_SACK)
		bits |= 1u << 4;
	return (now_ms & ~((1u << COOKIE_TS_BITS) - 1)) | bits;
}

/* What the echoed TSval says the peer's SYN offered. */
void
tcp_cookie_opts(struct tcp_conn *c, uint32_t tsecr)
{
	uint32_t ws = tsecr & 15;

	if (ws == COOKIE_WS_NONE || !(c->flags & TF_WS)) {
		c->flags &= ~TF_WS;
		c->snd_wscale = 0;
		c->rcv_wscale = 0;
	} else {
		c->snd_wscale = (uint8_t)RTE_MIN(ws, (uint32_t)TCP_MAX_WSCALE);
	}
	if (!(tsecr & (1u << 4)))
		c->flags &= ~TF_SACK;
}
