/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * TCP: attachment to an interface, the per-lcore connection tables,
 * connection life cycle (RFC 9293 3.3.2, 3.6), output batching and
 * callbacks, counters. The socket APIs are in tcp_sock.c.
 */

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_random.h>

#include <px_counters.h>
#include <px_exec.h>
#include <px_log.h>
#include <px_tel.h>
#include <px_task.h>

#include "tcp_private.h"

PX_LOG_REGISTER(tcp);

static const char *const state_names[] = {
	"CLOSED", "LISTEN", "SYN_SENT", "SYN_RCVD", "ESTABLISHED",
	"FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK",
	"TIME_WAIT",
};

enum px_tcp_state
tcp_state_public(uint32_t state)
{
	return (enum px_tcp_state)__builtin_ctz(state);
}

const char *
px_tcp_state_name(enum px_tcp_state s)
{
	return (unsigned int)s < PX_ARRAY_SIZE(state_names) ? state_names[s] : "?";
}

/* ---- connection blocks ---- */

void
tcp_conn_init_common(struct tcp_lcore *tl, struct tcp_conn *c)
{
	const struct px_tcp_conf *cf = &tl->tn->conf;
	uint32_t big = RTE_MAX(c->rcvbuf, 4u << 20);

	c->rmss = (uint16_t)RTE_MIN((uint32_t)tl->tn->iconf->mtu - 40,
			tl->tn->max_seg);
	c->mss = c->rmss;
	c->flags |= TF_WS | TF_SACK | TF_TS;
	if (cf->flags & PX_TCP_CONF_F_NO_WS)
		c->flags &= ~TF_WS;
	if (cf->flags & PX_TCP_CONF_F_NO_SACK)
		c->flags &= ~TF_SACK;
	if (cf->flags & PX_TCP_CONF_F_NO_TS)
		c->flags &= ~TF_TS;
	if (cf->flags & PX_TCP_CONF_F_ECN)
		c->flags |= TF_ECN; /* asked or agreed to; negotiate() decides */
	/* Scale for the largest buffer setopt may ask for. */
	c->rcv_wscale = 0;
	if (c->flags & TF_WS)
		while (c->rcv_wscale < TCP_MAX_WSCALE &&
				(big >> c->rcv_wscale) > UINT16_MAX)
			c->rcv_wscale++;
	c->rto_us = cf->rto_init_ms * 1000;
	c->last_rx_tsc = rte_rdtsc();
	c->ts_off = tcp_ts_off(tl, c);
	c->cc->init(c); /* again once the MSS is known */
}

int
tcp_conn_alloc(struct tcp_lcore *tl, struct tcp_conn **out)
{
	struct tcp_conn *c;
	void *obj;

	if (rte_mempool_get(tl->tn->conn_pool, &obj) < 0) {
		/* Reclaim the oldest TIME-WAIT block (as Linux does past
		 * tcp_max_tw_buckets); RFC 1337 hazards are bounded by the
		 * timestamps check on reuse. */
		c = TAILQ_FIRST(&tl->tw);
		if (c == NULL)
			return -ENOBUFS;
		tl->st.tw_recycled++;
		tcp_set_state(c, TCP_CLOSED, 0);
		if (rte_mempool_get(tl->tn->conn_pool, &obj) < 0)
			return -ENOBUFS;
	}
	c = obj;
	memset(c, 0, offsetof(struct tcp_conn, ooo));
	c->tl = tl;
	c->state = TCP_CLOSED;
	c->sndbuf = tl->tn->conf.sndbuf;
	c->rcvbuf = tl->tn->conf.rcvbuf;
	c->linger_ms = -1;
	c->ka_idle_s = 7200;
	c->ka_intvl_s = 75;
	c->ka_cnt = 9;
	c->rcvlowat = 1;
	c->cc = tcp_cc_of(tl->tn->conf.cc);
	c->dupthresh = 3;
	tcp_timers_init(c);
	px_notify_init(&c->rd);
	px_notify_init(&c->wr);
	TAILQ_INSERT_TAIL(&tl->conns, c, link);
	tl->st.conns++;
	*out = c;
	return 0;
}

void
tcp_conn_insert(struct tcp_lcore *tl, struct tcp_conn *c)
{
	uint32_t h = tcp_hash(c->tl, c->raddr, c->rport, c->lport);

	c->hnext = tl->hash[h];
	tl->hash[h] = c;
}

static void
conn_unhash(struct tcp_conn *c)
{
	struct tcp_conn **pp = &c->tl->hash[tcp_hash(c->tl, c->raddr, c->rport, c->lport)];

	while (*pp != NULL && *pp != c)
		pp = &(*pp)->hnext;
	if (*pp == c)
		*pp = c->hnext;
	c->hnext = NULL;
}

/* Free what the peer will never acknowledge, and the out-of-order
 * queue; with rq, everything. */
static void
conn_drop_buffers(struct tcp_conn *c, int rq)
{
	uint32_t i;

	tcp_chain_free(&c->sq, &c->sq_tail);
	c->cur = NULL;
	c->sq_seq += c->sq_bytes;
	c->sq_bytes = 0;
	if (rq) {
		tcp_chain_free(&c->rq, &c->rq_tail);
		c->rq_bytes = 0;
	}
	for (i = 0; i < c->ooo_cnt; i++)
		tcp_chain_free(&c->ooo[i].m, &c->ooo[i].tail);
	c->ooo_cnt = 0;
	c->ooo_bytes = 0;
	c->ooo_segs = 0;
}

static void
conn_free(struct tcp_conn *c)
{
	struct tcp_lcore *tl = c->tl;
	struct tcp_conn **pp;

	if (c->flags & TF_IN_ACKQ) {
		for (pp = &tl->ackq; *pp != NULL; pp = &(*pp)->ack_next)
			if (*pp == c) {
				*pp = c->ack_next;
				break;
			}
	}
	tcp_timers_stop(c);
	conn_drop_buffers(c, 1);
	TAILQ_REMOVE(c->state == TCP_TIME_WAIT ? &tl->tw : &tl->conns, c, link);
	tl->st.conns--;
	rte_mempool_put(tl->tn->conn_pool, c);
}

void
tcp_conn_maybe_free(struct tcp_conn *c)
{
	if (c->state != TCP_CLOSED || (c->flags & TF_USER))
		return;
	if (c->flags & TF_IN_CB) {
		c->flags |= TF_FREE_LATER;
		return;
	}
	conn_free(c);
}

void
tcp_enqueue(struct tcp_conn *c)
{
	if (!(c->flags & TF_IN_ACKQ)) {
		c->flags |= TF_IN_ACKQ;
		c->ack_next = c->tl->ackq;
		c->tl->ackq = c;
	}
}

void
tcp_set_state(struct tcp_conn *c, uint32_t state, int err)
{
	struct tcp_lcore *tl = c->tl;
	uint32_t old = c->state;

	if (err < 0 && c->err == 0)
		c->err = err;
	if (state == TCP_ESTABLISHED && old != TCP_ESTABLISHED)
		tl->st.established++;
	if ((c->flags & TF_ORPHAN_CNT) &&
			(state == TCP_TIME_WAIT || state == TCP_CLOSED)) {
		c->flags &= ~TF_ORPHAN_CNT;
		tl->st.orphans--;
	}
	if (state == TCP_TIME_WAIT && old != TCP_TIME_WAIT) {
		TAILQ_REMOVE(&tl->conns, c, link);
		TAILQ_INSERT_TAIL(&tl->tw, c, link);
	}
	if (state != TCP_CLOSED) {
		c->state = state;
		if (state == TCP_ESTABLISHED && (c->flags & TF_KEEPALIVE))
			tcp_keepalive_reset(c);
		return;
	}
	if (old == TCP_TIME_WAIT) {
		TAILQ_REMOVE(&tl->tw, c, link);
		TAILQ_INSERT_TAIL(&tl->conns, c, link);
	}
	c->state = TCP_CLOSED;
	if (unlikely(tl->gro.c == c)) {
		/* Closed mid-burst (an ICMP error, the application): the
		 * data GRO held for it is not taken. */
		tl->gro.c = NULL;
		tl->st.drop_state += tl->gro.seg.segs;
		rte_pktmbuf_free(tl->gro.m);
	}
	tcp_timers_stop(c);
	conn_unhash(c);
	if (old == TCP_SYN_RCVD && (c->flags & TF_PASSIVE) && c->lst != NULL) {
		c->lst->lc[tl->index].synq--;
		c->lst = NULL;
	}
	/* Data the peer will never acknowledge is of no use; what was
	 * received stays readable. */
	conn_drop_buffers(c, 0);
	px_notify_all(&c->rd);
	px_notify_all(&c->wr);
	px_notify_one(&c->rd);
	px_notify_one(&c->wr);
	if ((c->flags & TF_USER) && c->cbs.on_close != NULL) {
		c->ev |= TCP_EV_CLOSE;
		tcp_enqueue(c);
	}
	tcp_conn_maybe_free(c);
}

void
tcp_wake(struct tcp_conn *c, int rd, int wr)
{
	/* Below the low-water mark nobody is woken for data (RFC 9293
	 * leaves it to the implementation; Linux's SO_RCVLOWAT): the end
	 * of the stream and errors always wake. */
	if (rd && (c->rq_bytes >= c->rcvlowat || c->state == TCP_CLOSED ||
			(c->flags & (TF_RCVD_FIN | TF_RD_SHUT)))) {
		px_notify_one(&c->rd);
		if (c->cbs.on_data != NULL) {
			c->ev |= TCP_EV_DATA;
			tcp_enqueue(c);
		}
	}
	if (wr) {
		c->flags &= ~TF_WR_BLOCKED;
		px_notify_one(&c->wr);
		if (c->cbs.on_writable != NULL) {
			c->ev |= TCP_EV_WRITABLE;
			tcp_enqueue(c);
		}
	}
}

/* A listener's share on tl's lcore; its notify is set up by the lcore
 * that waits on it, on first use. */
struct tcp_listen_lc *
tcp_listen_lc_of(struct px_tcp_listener *l, struct tcp_lcore *tl)
{
	struct tcp_listen_lc *llc = &l->lc[tl->index];

	if (!llc->ninit) {
		px_notify_init(&llc->ready);
		llc->ninit = 1;
	}
	return llc;
}

/* A passive connection reached ESTABLISHED: hand it to its listener.
 * Returns -1 if it was refused (and c is gone). */
int
tcp_accept_full(const struct tcp_conn *c)
{
	struct px_tcp_listener *l = c->lst;

	return l != NULL && l->cbs.on_accept == NULL &&
		!__atomic_load_n(&l->closed, __ATOMIC_RELAXED) &&
		tcp_listen_lc_of(l, c->tl)->len >= l->backlog;
}

int
tcp_accept_ready(struct tcp_conn *c)
{
	struct tcp_lcore *tl = c->tl;
	struct px_tcp_listener *l = c->lst;
	struct tcp_listen_lc *llc;

	if (l == NULL)
		return 0;
	llc = tcp_listen_lc_of(l, tl);
	llc->synq--;
	c->lst = NULL;
	if (__atomic_load_n(&l->closed, __ATOMIC_RELAXED) ||
			(l->cbs.on_accept == NULL && llc->len >= l->backlog)) {
		tl->st.accept_overflow++;
		tcp_send_ctl(c, c->snd_max, TH_RST);
		tcp_set_state(c, TCP_CLOSED, -ECONNABORTED);
		return -1;
	}
	c->flags |= TF_USER;
	if (l->cbs.on_accept != NULL) {
		c->ev |= TCP_EV_ACCEPT;
		tcp_enqueue(c);
		return 0;
	}
	llc->q[(llc->head + llc->len) % l->backlog] = c;
	llc->len++;
	px_notify_one(&llc->ready);
	return 0;
}

/* RFC 7413 4.1.2: the Fast Open cookie of a client address, a keyed
 * hash (the TSval offsets' secret, in its own domain). */
void
tcp_tfo_cookie(const struct tcp_lcore *tl, uint32_t raddr,
		uint8_t out[TFO_COOKIE_LEN])
{
	uint64_t h = tcp_siphash(tl->tn->ts_key, raddr, 0x746366u << 8);

	memcpy(out, &h, TFO_COOKIE_LEN);
}

#define ROTL64(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do { \
		v0 += v1; v1 = ROTL64(v1, 13); v1 ^= v0; v0 = ROTL64(v0, 32); \
		v2 += v3; v3 = ROTL64(v3, 16); v3 ^= v2; \
		v0 += v3; v3 = ROTL64(v3, 21); v3 ^= v0; \
		v2 += v1; v1 = ROTL64(v1, 17); v1 ^= v2; v2 = ROTL64(v2, 32); \
	} while (0)

/* SipHash-2-4 of two 64-bit words under a 128-bit key: the keyed PRF
 * RFC 6528 asks for (MD5 in its example; any PRF will do). */
uint64_t
tcp_siphash(const uint64_t k[2], uint64_t m0, uint64_t m1)
{
	uint64_t v0 = k[0] ^ 0x736f6d6570736575ull, v1 = k[1] ^ 0x646f72616e646f6dull;
	uint64_t v2 = k[0] ^ 0x6c7967656e657261ull, v3 = k[1] ^ 0x7465646279746573ull;
	uint64_t b = 16ull << 56; /* message length 16 */
	int i;

	v3 ^= m0;
	SIPROUND;
	SIPROUND;
	v0 ^= m0;
	v3 ^= m1;
	SIPROUND;
	SIPROUND;
	v0 ^= m1;
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	for (i = 0; i < 4; i++)
		SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport,
 * secretkey), M a 4 us clock, F SipHash-2-4 with a per-boot key. */
uint32_t
tcp_isn(struct tcp_lcore *tl, const struct tcp_conn *c)
{
	uint64_t h = tcp_siphash(tl->tn->isn_key,
			(uint64_t)c->laddr << 32 | c->raddr,
			(uint64_t)c->lport << 16 | c->rport);

	return (uint32_t)h + (uint32_t)(rte_rdtsc() / (tl->tn->cyc_per_us * 4));
}

/* RFC 7323 7.1 (and RFC 9293's advice for ISNs, as Linux's
 * secure_tcp_ts_off()): each connection's TSvals start from F(4-tuple,
 * secretkey), so they tell nothing of the uptime and two connections'
 * clocks cannot be matched. Keyed by the 4-tuple alone, a new
 * incarnation of the same connection keeps the old one's clock and its
 * TSvals still pass the peer's PAWS (a TIME_WAIT taken over); and a SYN
 * cookie's ACK, which arrives with no state, finds the offset again. */
uint32_t
tcp_ts_off(const struct tcp_lcore *tl, const struct tcp_conn *c)
{
	return (uint32_t)tcp_siphash(tl->tn->ts_key,
			(uint64_t)c->laddr << 32 | c->raddr,
			(uint64_t)c->lport << 16 | c->rport);
}

/* ---- output batching and callbacks ---- */

void
tcp_flush(struct tcp_lcore *tl)
{
	struct tcp_conn *c;
	uint32_t ev;

	while ((c = tl->ackq) != NULL) {
		tl->ackq = c->ack_next;
		c->flags &= ~TF_IN_ACKQ;
		tcp_output(c);
		ev = c->ev;
		c->ev = 0;
		if (ev == 0 || !(c->flags & TF_USER))
			continue;
		c->flags |= TF_IN_CB;
		if ((ev & TCP_EV_ACCEPT) && c->cbs.on_accept != NULL &&
				c->cbs.on_accept((struct px_tcp_conn *)c, c->cb_arg) != 0)
			ev = 0;
		if ((ev & TCP_EV_WRITABLE) && c->cbs.on_writable != NULL &&
				!(c->flags & TF_FREE_LATER))
			c->cbs.on_writable((struct px_tcp_conn *)c, c->cb_arg);
		if ((ev & TCP_EV_DATA) && c->cbs.on_data != NULL &&
				!(c->flags & TF_FREE_LATER))
			c->cbs.on_data((struct px_tcp_conn *)c, c->cb_arg);
		if ((ev & TCP_EV_CLOSE) && c->cbs.on_close != NULL &&
				!(c->flags & TF_FREE_LATER))
			c->cbs.on_close((struct px_tcp_conn *)c, c->err, c->cb_arg);
		c->flags &= ~TF_IN_CB;
		if (c->flags & TF_FREE_LATER)
			conn_free(c);
	}
}

/* ---- attach / detach ---- */

static int tel_tcp(const char *cmd, const char *params, struct rte_tel_data *d);
static int tel_conns(const char *cmd, const char *params, struct rte_tel_data *d);

/* TCP as a protocol of the interface (inet_l4.h). */
static const struct px__inet_l4_ops tcp_l4_ops = {
	.name = "tcp",
	.proto = IPPROTO_TCP,
	.ports = 1,
	.input = tcp_input,
	.burst_end = tcp_burst_end,
	.err = tcp_icmp_err,
};

int
px_tcp_attach(struct px_netif *nif, const struct px_tcp_conf *conf)
{
	struct px_tcp_conf cf = { 0 };
	void *lctx[PX_MAX_LCORES];
	struct tcp_netif *tn;
	struct tcp_lcore *tl;
	char name[RTE_MEMPOOL_NAMESIZE];
	uint32_t i, room;
	int lcore, ret;
	static int msg_registered;

	if (nif == NULL)
		return -EINVAL;
	if (tcp_netif_of(nif) != NULL)
		return -EEXIST;
	if (conf != NULL)
		cf = *conf;
	if (cf.max_conns == 0)
		cf.max_conns = 4096;
	if (cf.sndbuf == 0)
		cf.sndbuf = 256 * 1024;
	if (cf.rcvbuf == 0)
		cf.rcvbuf = 256 * 1024;
	if (cf.rto_min_us == 0)
		cf.rto_min_us = 5000;
	if (cf.rto_max_ms == 0)
		cf.rto_max_ms = 60000;
	if (cf.rto_init_ms == 0)
		cf.rto_init_ms = 1000;
	if (cf.delack_us == 0)
		cf.delack_us = 1000;
	if (cf.msl_ms == 0)
		cf.msl_ms = 30000;
	if (cf.fin_wait2_ms == 0)
		cf.fin_wait2_ms = 60000;
	if (cf.syn_retries == 0)
		cf.syn_retries = 6;
	if (cf.synack_retries == 0)
		cf.synack_retries = 5;
	if (cf.max_retries == 0)
		cf.max_retries = 15;
	if (cf.ooo_max == 0)
		cf.ooo_max = TCP_OOO_MAX;
	if (cf.challenge_per_s == 0)
		cf.challenge_per_s = 1000;
	if (cf.oow_ack_ms == 0)
		cf.oow_ack_ms = 500;
	if (cf.max_orphans == 0)
		cf.max_orphans = RTE_MAX(cf.max_conns / 2, 1u);
	if (cf.cc == PX_TCP_CC_DEFAULT)
		cf.cc = PX_TCP_CC_CUBIC;
	if (cf.ooo_max > TCP_OOO_MAX || cf.sndbuf < 2048 || cf.rcvbuf < 2048 ||
			cf.sndbuf > (16u << 20) || cf.rcvbuf > (16u << 20) ||
			cf.rto_min_us > cf.rto_max_ms * 1000ull ||
			cf.rto_max_ms > TCP_CONF_MAX_MS ||
			cf.rto_init_ms > TCP_CONF_MAX_MS ||
			cf.delack_us > TCP_CONF_MAX_MS ||
			cf.msl_ms > TCP_CONF_MAX_MS ||
			cf.fin_wait2_ms > TCP_CONF_MAX_MS ||
			cf.oow_ack_ms > TCP_CONF_MAX_MS ||
			cf.max_conns > (1u << 22) ||
			(unsigned int)cf.cc > PX_TCP_CC_NEWRENO)
		return -EINVAL;
	room = rte_pktmbuf_data_room_size(px__inet_mempool(nif));
	if (room < RTE_PKTMBUF_HEADROOM + 256)
		return -EINVAL;
	if (!msg_registered) {
		ret = px_msg_register(TCP_MSG_LCLOSE, tcp_lclose_msg, NULL);
		if (ret < 0)
			return ret;
		msg_registered = 1;
	}
	tn = rte_zmalloc("px_tcp", sizeof(*tn), RTE_CACHE_LINE_SIZE);
	if (tn == NULL)
		return -ENOMEM;
	tn->conf = cf;
	tn->nif = nif;
	tn->iconf = px_netif_conf(nif);
	tn->n_lcores = px__inet_nb_lcores(nif);
	tn->hz = rte_get_tsc_hz();
	tn->cyc_per_us = RTE_MAX(tn->hz / 1000000, (uint64_t)1);
	tn->cyc_per_ms = RTE_MAX(tn->hz / 1000, (uint64_t)1);
	tn->delack_cyc = (uint64_t)cf.delack_us * tn->cyc_per_us;
	tn->msl_cyc = (uint64_t)cf.msl_ms * tn->cyc_per_ms;
	tn->fw2_cyc = (uint64_t)cf.fin_wait2_ms * tn->cyc_per_ms;
	tn->oow_cyc = (uint64_t)cf.oow_ack_ms * tn->cyc_per_ms;
	/* A segment is one mbuf: headroom, then TCP header with options,
	 * then payload (the IP and Ethernet headers go in the headroom). */
	tn->max_seg = room - RTE_PKTMBUF_HEADROOM - 20 - TCP_OPT_SPACE;
	tn->mem_low = cf.mbuf_reserve != 0 ? cf.mbuf_reserve :
		RTE_MAX(px__inet_mempool(nif)->size / 8, 64u);
	/* rte_rand() is seeded from the TSC and the hardware RNG where
	 * there is one: per boot and per process. */
	tn->isn_key[0] = rte_rand();
	tn->isn_key[1] = rte_rand();
	tn->cookie_key[0] = rte_rand();
	tn->cookie_key[1] = rte_rand();
	tn->ts_key[0] = rte_rand();
	tn->ts_key[1] = rte_rand();
	snprintf(name, sizeof(name), "pxtcp_%" PRIxPTR, (uintptr_t)tn & 0xffffffff);
	tn->conn_pool = rte_mempool_create(name, cf.max_conns,
			sizeof(struct tcp_conn), cf.max_conns >= 1024 ? 32 : 0, 0,
			NULL, NULL, NULL, NULL, rte_socket_id(), 0);
	if (tn->conn_pool == NULL) {
		ret = -rte_errno;
		goto err_free;
	}
	for (i = 0; i < tn->n_lcores; i++) {
		lcore = px_exec_lcore(i);
		tl = rte_zmalloc("px_tcp_lcore", sizeof(*tl), RTE_CACHE_LINE_SIZE);
		if (tl == NULL || lcore < 0) {
			rte_free(tl);
			ret = -ENOMEM;
			goto err_lc;
		}
		tl->tn = tn;
		tl->nif = nif;
		tl->ilc = px__inet_l4_lcore(nif, i);
		tl->mp = px__inet_mempool(nif);
		tl->index = i;
		tl->hash_seed = (uint32_t)rte_rand();
		tl->wheel = px_exec_wheel((unsigned int)lcore);
		tl->port_hint = (uint32_t)rte_rand();
		TAILQ_INIT(&tl->conns);
		TAILQ_INIT(&tl->tw);
		tn->lc[i] = tl;
		lctx[i] = tl;
	}
	ret = px__inet_l4_register(nif, &tcp_l4_ops, tn, lctx);
	if (ret < 0)
		goto err_lc;
	px_tel_register("/pollux/tcp", tel_tcp,
		"TCP counters of an interface, summed over its lcores. "
		"Parameter: interface index (default 0).");
	px_tel_register("/pollux/conns", tel_conns,
		"TCP connections of an interface per lcore: addresses, state, "
		"queues, window, RTT. Parameter: interface index (default 0).");
	return 0;
err_lc:
	while (i-- > 0)
		rte_free(tn->lc[i]);
	rte_mempool_free(tn->conn_pool);
err_free:
	rte_free(tn);
	return ret;
}

void
px_tcp_detach(struct px_netif *nif)
{
	struct tcp_netif *tn;
	struct px_tcp_listener *l, *next;
	struct tcp_lcore *tl;
	struct tcp_conn *c;
	uint32_t i, k;

	if ((tn = tcp_netif_of(nif)) == NULL)
		return;
	px_tel_lock(); /* /pollux/tcp reads the lcores' counters */
	px__inet_l4_unregister(nif, IPPROTO_TCP);
	for (i = 0; i < tn->n_lcores; i++) {
		tl = tn->lc[i];
		while ((c = TAILQ_FIRST(&tl->tw)) != NULL)
			conn_free(c);
		while ((c = TAILQ_FIRST(&tl->conns)) != NULL)
			conn_free(c);
		rte_free(tl);
	}
	for (l = tn->all; l != NULL; l = next) {
		next = l->next;
		for (k = 0; k < tn->n_lcores; k++)
			rte_free(l->lc[k].q);
		rte_free(l);
	}
	rte_mempool_free(tn->conn_pool);
	rte_free(tn);
	px_tel_unlock();
}

/* ---- counters ---- */

static const char *const stat_names[] = {
	"seg_in", "seg_out", "bytes_in", "bytes_out", "retrans", "rto",
	"fast_retrans", "undo", "sack_recoveries", "sack_rexmit", "sack_skip",
	"rto_rexmit", "dsack_in", "dsack_out", "drop_bad_sack", "sack_sb_full", "dup_acks", "ooo_in", "ooo_drop", "dup_data",
	"active_opens", "passive_opens", "established", "accept_overflow",
	"synq_full", "syncookies_sent", "syncookies_ok", "syncookies_bad",
	"conn_exhausted", "tw_recycled", "tw_reuse", "rst_in", "rst_out", "drop_bad_len",
	"drop_bad_checksum", "drop_bad_opt", "drop_bad_flags", "drop_no_conn",
	"drop_out_of_window", "drop_paws", "drop_no_ts", "icmp_err", "drop_icmp_err", "pmtu_lowered", "tlp_probes", "tlp_recoveries", "tlp_spurious",
	"rack_lost", "rack_lost_rtx", "rack_reo_timeouts", "tfo_cookies_sent", "tfo_accepted",
	"syn_data_dropped", "pmtu_blackhole", "drop_bad_ack", "challenge_acks",
	"challenge_limited", "oow_ack_limited", "drop_rcvq_full", "drop_nomem", "sndbuf_nomem", "ooo_purged",
	"drop_state", "zero_wnd_probes", "keepalive_probes", "timeouts",
	"shutdown_rst", "nombuf", "zc_segs", "gro_merged", "hystart_css", "hystart_exit",
	"ecn_conns", "ecn_ce_in",
	"ecn_reduce", "orphan_reset", "orphans", "conns",
};

_Static_assert(sizeof(stat_names) / sizeof(stat_names[0]) ==
		sizeof(struct px_tcp_stats) / sizeof(uint64_t),
		"stat_names must list every px_tcp_stats counter");

int
px_tcp_stats_lcore(const struct px_netif *nif, unsigned int lcore_id,
		struct px_tcp_stats *out)
{
	const struct tcp_netif *tn;
	int index = px_exec_index(lcore_id);

	if ((tn = tcp_netif_of(nif)) == NULL || out == NULL || index < 0 ||
			(unsigned int)index >= tn->n_lcores)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	px_counters_add((uint64_t *)out, (const uint64_t *)&tn->lc[index]->st,
			PX_COUNTERS_N(*out));
	return 0;
}

void
px_tcp_stats(const struct px_netif *nif, struct px_tcp_stats *out)
{
	const struct tcp_netif *tn;
	uint32_t i;

	memset(out, 0, sizeof(*out));
	if ((tn = tcp_netif_of(nif)) == NULL)
		return;
	for (i = 0; i < tn->n_lcores; i++)
		px_counters_add((uint64_t *)out, (const uint64_t *)&tn->lc[i]->st,
				PX_COUNTERS_N(*out));
}

const char *const *
px_tcp_stats_names(unsigned int *n)
{
	if (n != NULL)
		*n = PX_ARRAY_SIZE(stat_names);
	return stat_names;
}

void
px_tcp_stats_print(const struct px_netif *nif, FILE *f, bool json)
{
	struct px_tcp_stats s;

	px_tcp_stats(nif, &s);
	px_counters_print(f, "tcp", stat_names, (const uint64_t *)&s,
			PX_ARRAY_SIZE(stat_names), json, NULL);
}

static void
dump_one(FILE *f, const struct tcp_conn *c)
{
	const uint8_t *l = (const uint8_t *)&c->laddr, *r = (const uint8_t *)&c->raddr;

	fprintf(f, "%u.%u.%u.%u:%u %u.%u.%u.%u:%u %s snd_una=%u snd_nxt=%u "
		"snd_wnd=%u cwnd=%u rcv_nxt=%u rq=%u sq=%u ooo=%u srtt_us=%u "
		"retrans=%" PRIu64 " rto_us=%u backoff=%u snd_max=%u flags=%#x timer=%d "
		"rcv_adv=%u rcv_wnd=%u sacked=%u sb_n=%u tlp=%u dupacks=%u "
		"wr_waiting=%d rd_waiting=%d\n",
		l[0], l[1], l[2], l[3], rte_be_to_cpu_16(c->lport),
		r[0], r[1], r[2], r[3], rte_be_to_cpu_16(c->rport),
		px_tcp_state_name(tcp_state_public(c->state)),
		c->snd_una - c->iss, c->snd_nxt - c->iss, c->snd_wnd, c->cwnd,
		c->rcv_nxt - c->irs, c->rq_bytes, c->sq_bytes, c->ooo_cnt,
		c->srtt_us, c->retrans, c->rto_us, c->backoff, c->snd_max - c->iss,
		c->flags, px_timer_is_armed(&c->t_rtx), c->rcv_adv - c->irs,
		c->rcv_adv - c->rcv_nxt, c->sacked, c->sb_n, c->tlp_state,
		c->dupacks, !TAILQ_EMPTY(&c->wr.waiters), !TAILQ_EMPTY(&c->rd.waiters));
}

void
px_tcp_dump(const struct px_netif *nif, FILE *f)
{
	struct tcp_lcore *tl;
	const struct tcp_conn *c;

	if ((tl = tcp_lcore_of(nif)) == NULL)
		return;
	TAILQ_FOREACH(c, &tl->conns, link)
		dump_one(f, c);
	TAILQ_FOREACH(c, &tl->tw, link)
		dump_one(f, c);
}

/* ---- telemetry: /pollux/tcp and /pollux/conns ---- */

/* The interface *params* names, with TCP on it, and px_tel_lock() held;
 * or NULL (and the lock not held). */
static struct px_netif *
tel_locked_nif(const char *params)
{
	struct px_netif *nif;

	px_tel_lock();
	nif = px__inet_tel_netif(params);
	if (tcp_netif_of(nif) != NULL)
		return nif;
	px_tel_unlock();
	return NULL;
}

static int
tel_tcp(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct px_tcp_stats s;
	struct px_netif *nif;

	(void)cmd;
	if ((nif = tel_locked_nif(params)) == NULL)
		return -EINVAL;
	px_tcp_stats(nif, &s);
	px_tel_unlock();
	return px_tel_counters(d, stat_names, (const uint64_t *)&s,
			PX_ARRAY_SIZE(stat_names));
}

/* One lcore's connections as text lines, written on that lcore. */
struct conn_list {
	const struct px_netif *nif;
	char text[16384];
};

static void
conn_line(FILE *f, const struct tcp_conn *c)
{
	const uint8_t *l = (const uint8_t *)&c->laddr, *r = (const uint8_t *)&c->raddr;

	fprintf(f, "%u.%u.%u.%u:%u %u.%u.%u.%u:%u %s rq=%u sq=%u cwnd=%u "
		"snd_wnd=%u srtt_us=%u retrans=%" PRIu64 "\n",
		l[0], l[1], l[2], l[3], rte_be_to_cpu_16(c->lport),
		r[0], r[1], r[2], r[3], rte_be_to_cpu_16(c->rport),
		px_tcp_state_name(tcp_state_public(c->state)), c->rq_bytes,
		c->sq_bytes, c->cwnd, c->snd_wnd, c->srtt_us, c->retrans);
}

static void
conns_on_lcore(void *arg)
{
	struct conn_list *cl = arg;
	struct tcp_lcore *tl;
	const struct tcp_conn *c;
	FILE *f;

	if ((tl = tcp_lcore_of(cl->nif)) == NULL)
		return;
	f = fmemopen(cl->text, sizeof(cl->text) - 1, "w");
	if (f == NULL)
		return;
	TAILQ_FOREACH(c, &tl->conns, link)
		conn_line(f, c);
	TAILQ_FOREACH(c, &tl->tw, link)
		conn_line(f, c);
	fclose(f);
}

static int
tel_conns(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static struct conn_list cl;
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	unsigned int lcores[PX_MAX_LCORES];
	struct px_netif *nif;
	char name[32];
	uint32_t i, n;

	(void)cmd;
	if ((nif = tel_locked_nif(params)) == NULL)
		return -EINVAL;
	n = tcp_netif_of(nif)->n_lcores;
	for (i = 0; i < n; i++)
		lcores[i] = (unsigned int)px_exec_lcore(i);
	px_tel_unlock();
	/* The lists are read on their lcores: an lcore whose loop runs has
	 * not been torn down (teardown follows px_run()). */
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&mu);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "lcore%u", lcores[i]);
		memset(cl.text, 0, sizeof(cl.text));
		cl.nif = nif;
		if (px_exec_call(lcores[i], conns_on_lcore, &cl,
				200 * 1000 * 1000) != 0) {
			rte_tel_data_add_dict_string(d, name, "(lcore not answering)");
			continue;
		}
		px_tel_lines(d, name, cl.text);
	}
	pthread_mutex_unlock(&mu);
	return 0;
}
