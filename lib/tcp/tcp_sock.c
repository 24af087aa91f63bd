/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * The TCP socket APIs: listeners and accept, connect, reads and writes
 * (task sockets park, callback sockets return), shutdown, close, abort,
 * options and per-connection introspection.
 */

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_random.h>

#include <px_exec.h>
#include <px_log.h>
#include <px_task.h>

#include "tcp_private.h"

#define EPHEMERAL_LO 32768
#define EPHEMERAL_N  28232 /* 32768..60999, as Linux */

/* ---- common checks ---- */

/* The calling lcore owns c? */
static int
own(const struct tcp_conn *c)
{
	struct tcp_lcore *tl;

	if (c == NULL)
		return -EINVAL;
	tl = tcp_lcore_of(c->tl->nif);
	if (tl == NULL)
		return -EINVAL;
	return tl == c->tl ? 0 : -EXDEV;
}

/* Park on n until notified or the deadline passes: 0, -ETIMEDOUT,
 * -ECANCELED. */
static int
wait_on(struct px_notify *n, uint64_t deadline)
{
	uint64_t now;
	int ret;

	if (deadline == UINT64_MAX)
		return px_notify_wait(n, PX_TIMEOUT_INF);
	now = rte_rdtsc();
	if (now >= deadline)
		return -ETIMEDOUT;
	ret = px_notify_wait(n, px_cycles_to_ns(deadline - now));
	return ret == -EAGAIN ? -ETIMEDOUT : ret;
}

/* ---- listeners ---- */

static int
listen_common(struct px_netif *nif, uint16_t port, uint32_t backlog,
		const struct px_tcp_cbs *cbs, void *arg,
		struct px_tcp_listener **out)
{
	struct tcp_netif *tn;
	struct px_tcp_listener *l;
	uint32_t i, n;

	if ((tn = tcp_netif_of(nif)) == NULL || port == 0 || out == NULL ||
			backlog > 65535)
		return -EINVAL;
	if (backlog == 0)
		backlog = 128;
	if (__atomic_load_n(&tn->listen[rte_be_to_cpu_16(port)], __ATOMIC_ACQUIRE) != NULL)
		return -EADDRINUSE;
	n = tn->n_lcores;
	l = rte_zmalloc("px_tcp_listener", sizeof(*l) + n * sizeof(l->lc[0]),
			RTE_CACHE_LINE_SIZE);
	if (l == NULL)
		return -ENOMEM;
	l->nif = nif;
	l->port = port;
	l->backlog = backlog;
	if (cbs != NULL) {
		l->cbs = *cbs;
		l->cb_arg = arg;
	}
	for (i = 0; i < n; i++) {
		l->lc[i].q = rte_zmalloc("px_tcp_acceptq", sizeof(void *) * backlog, 0);
		if (l->lc[i].q == NULL) {
			while (i-- > 0)
				rte_free(l->lc[i].q);
			rte_free(l);
			return -ENOMEM;
		}
		/* Each lcore initialises its own notify on first use: a
		 * notify belongs to the lcore that waits on it. */
	}
	l->next = tn->all;
	tn->all = l;
	/* release: the listener is complete before any lcore sees it;
	 * pairs with the acquire load in listen_input(). */
	__atomic_store_n(&tn->listen[rte_be_to_cpu_16(port)], l, __ATOMIC_RELEASE);
	PX_LOG(INFO, tcp, "listening on port %u, backlog %u per lcore",
		rte_be_to_cpu_16(port), backlog);
	*out = l;
	return 0;
}

int
px_tcp_listen(struct px_netif *nif, uint16_t port, uint32_t backlog,
		struct px_tcp_listener **out)
{
	return listen_common(nif, port, backlog, NULL, NULL, out);
}

int
px_tcp_listen_cb(struct px_netif *nif, uint16_t port, uint32_t backlog,
		const struct px_tcp_cbs *cbs, void *arg,
		struct px_tcp_listener **out)
{
	if (cbs == NULL || cbs->on_accept == NULL)
		return -EINVAL;
	return listen_common(nif, port, backlog, cbs, arg, out);
}

static struct tcp_listen_lc *
listen_lc(struct px_tcp_listener *l, struct tcp_lcore **tlp)
{
	struct tcp_lcore *tl = tcp_lcore_of(l->nif);

	if (tl == NULL)
		return NULL;
	*tlp = tl;
	return tcp_listen_lc_of(l, tl);
}

/* Empty this lcore's accept queue of a closed listener. */
static void
listen_drain(struct px_tcp_listener *l, struct tcp_listen_lc *llc)
{
	struct tcp_conn *c;

	while (llc->len > 0) {
		c = llc->q[llc->head];
		llc->head = (llc->head + 1) % l->backlog;
		llc->len--;
		px_tcp_abort((struct px_tcp_conn *)c);
	}
	llc->drained = 1;
	px_notify_all(&llc->ready);
	px_notify_one(&llc->ready);
}

void
tcp_lclose_msg(const struct px_msg *msg, void *ctx)
{
	struct px_tcp_listener *l = (struct px_tcp_listener *)(uintptr_t)msg->a;
	struct tcp_lcore *tl;
	struct tcp_listen_lc *llc;

	RTE_SET_USED(ctx);
	llc = listen_lc(l, &tl);
	if (llc != NULL)
		listen_drain(l, llc);
}

int
px_tcp_accept(struct px_tcp_listener *l, struct px_tcp_conn **out,
		uint64_t timeout_ns)
{
	struct tcp_listen_lc *llc;
	struct tcp_lcore *tl;
	uint64_t deadline;
	int ret;

	if (l == NULL || out == NULL)
		return -EINVAL;
	llc = listen_lc(l, &tl);
	if (llc == NULL)
		return -EINVAL;
	deadline = px_deadline(timeout_ns);
	while (llc->len == 0) {
		if (__atomic_load_n(&l->closed, __ATOMIC_RELAXED))
			return -EBADF;
		if (timeout_ns == 0)
			return -EAGAIN;
		ret = wait_on(&llc->ready, deadline);
		if (ret < 0 && llc->len == 0)
			return ret;
	}
	*out = (struct px_tcp_conn *)llc->q[llc->head];
	llc->head = (llc->head + 1) % l->backlog;
	llc->len--;
	return 0;
}

int
px_tcp_listener_close(struct px_tcp_listener *l)
{
	struct tcp_netif *tn;
	struct tcp_listen_lc *llc;
	struct tcp_lcore *tl;
	uint32_t i;
	int self;

	if (l == NULL || (tn = tcp_netif_of(l->nif)) == NULL)
		return -EINVAL;
	if (__atomic_exchange_n(&l->closed, 1, __ATOMIC_RELAXED))
		return 0;
	__atomic_store_n(&tn->listen[rte_be_to_cpu_16(l->port)], NULL,
			__ATOMIC_RELEASE);
	self = px_exec_index_self();
	for (i = 0; i < tn->n_lcores; i++) {
		if ((int)i == self) {
			llc = listen_lc(l, &tl);
			if (llc != NULL)
				listen_drain(l, llc);
		} else {
			px_msg_send((unsigned int)px_exec_lcore(i), TCP_MSG_LCLOSE,
					0, (uint64_t)(uintptr_t)l, 0, 0);
		}
	}
	return 0;
}

/* ---- active open ---- */

static int
open_active(struct px_netif *nif, uint32_t ip, uint16_t port,
		struct tcp_conn **out)
{
	struct tcp_lcore *tl;
	struct tcp_netif *tn;
	struct tcp_conn *c;
	uint32_t i, n, self;
	uint16_t lport = 0, cand;
	int ret;

	if (ip == 0 || port == 0 || out == NULL || (tl = tcp_lcore_of(nif)) == NULL)
		return -EINVAL;
	tn = tl->tn;
	n = tn->n_lcores;
	self = tl->index;
	/* A port whose reply flow hashes to this lcore (the peer's packets
	 * are steered by the 4-tuple seen from its side). */
	for (i = 0; i < EPHEMERAL_N; i++) {
		cand = (uint16_t)(EPHEMERAL_LO + (tl->port_hint + i) % EPHEMERAL_N);
		if (tn->listen[cand] != NULL)
			continue;
		if (px_flow_owner(ip, tl->tn->iconf->ip, port, rte_cpu_to_be_16(cand), n) != self)
			continue;
		if (tcp_lookup(tl, ip, port, rte_cpu_to_be_16(cand)) != NULL)
			continue;
		lport = rte_cpu_to_be_16(cand);
		tl->port_hint += i + 1;
		break;
	}
	if (lport == 0)
		return -EADDRNOTAVAIL;
	ret = tcp_conn_alloc(tl, &c);
	if (ret < 0) {
		tl->st.conn_exhausted++;
		return -ENOBUFS;
	}
	c->raddr = ip;
	c->laddr = tl->tn->iconf->ip;
	c->rport = port;
	c->lport = lport;
	c->flags |= TF_USER;
	tcp_conn_init_common(tl, c);
	c->iss = tcp_isn(tl, c);
	c->snd_una = c->snd_nxt = c->snd_max = c->iss;
	c->recover = c->iss;
	c->sq_seq = c->iss + 1;
	c->state = TCP_SYN_SENT;
	tcp_conn_insert(tl, c);
	tl->st.active_opens++;
	c->flags |= TF_RTT_TIMING;
	c->rtt_seq = c->iss;
	c->rtt_tsc = rte_rdtsc();
	tcp_output(c);
	*out = c;
	return 0;
}

static void
conn_release(struct tcp_conn *c)
{
	c->flags &= ~TF_USER;
	memset(&c->cbs, 0, sizeof(c->cbs));
	tcp_conn_maybe_free(c);
}

int
px_tcp_connect(struct px_netif *nif, uint32_t ip, uint16_t port,
		uint64_t timeout_ns, struct px_tcp_conn **out)
{
	struct tcp_conn *c;
	uint64_t deadline = px_deadline(timeout_ns);
	int ret;

	ret = open_active(nif, ip, port, &c);
	if (ret < 0)
		return ret;
	while (TCP_IN_STATE(c, TCP_SYN_SENT | TCP_SYN_RCVD)) {
		ret = wait_on(&c->wr, deadline);
		if (ret < 0 && TCP_IN_STATE(c, TCP_SYN_SENT | TCP_SYN_RCVD)) {
			px_tcp_abort((struct px_tcp_conn *)c);
			return ret;
		}
	}
	if (c->state == TCP_CLOSED && c->err < 0) {
		ret = c->err;
		conn_release(c);
		return ret;
	}
	*out = (struct px_tcp_conn *)c;
	return 0;
}

int
px_tcp_connect_cb(struct px_netif *nif, uint32_t ip, uint16_t port,
		const struct px_tcp_cbs *cbs, void *arg,
		struct px_tcp_conn **out)
{
	struct tcp_conn *c;
	int ret;

	ret = open_active(nif, ip, port, &c);
	if (ret < 0)
		return ret;
	if (cbs != NULL) {
		c->cbs = *cbs;
		c->cb_arg = arg;
	}
	*out = (struct px_tcp_conn *)c;
	return 0;
}

int
px_tcp_set_cbs(struct px_tcp_conn *pc, const struct px_tcp_cbs *cbs, void *arg)
{
	struct tcp_conn *c = (struct tcp_conn *)pc;
	int ret = own(c);

	if (ret < 0)
		return ret;
	if (cbs != NULL)
		c->cbs = *cbs;
	else
		memset(&c->cbs, 0, sizeof(c->cbs));
	c->cb_arg = arg;
	/* Data that came before the callbacks were set is reported now
	 * (not at the next packet or timer, which may never come). */
	if (c->rq_bytes > 0 || (c->flags & TF_RCVD_FIN)) {
		tcp_wake(c, 1, 0);
		if (!(c->flags & TF_IN_CB))
			tcp_flush(c->tl);
	}
	return 0;
}

/* ---- reading ---- */

/* The error a read or write reports on a connection that cannot carry
 * data any more. */
static int
conn_error(const struct tcp_conn *c)
{
	return c->err < 0 ? c->err : -EPIPE;
}

/* Wait until something can be read: 1 data, 0 end of stream, <0 error.
 * A reader that would take want bytes waits for min(want, rcvlowat) of
 * them, as Linux's tcp_recvmsg(); the end of the stream, an error, no
 * wait (timeout 0) or the timeout give it what there is. */
static int __rte_noinline
wait_readable_slow(struct tcp_conn *c, uint64_t timeout_ns, size_t want)
{
	uint64_t deadline = px_deadline(timeout_ns);
	uint32_t target = (uint32_t)RTE_MIN(want, (size_t)c->rcvlowat);
	int ret;

	while (c->rq_bytes < RTE_MAX(target, 1u)) {
		if (c->flags & (TF_RCVD_FIN | TF_RD_SHUT))
			return c->rq_bytes > 0;
		if (c->state == TCP_CLOSED)
			return c->rq_bytes > 0 ? 1 : c->err < 0 ? c->err : 0;
		if (timeout_ns == 0)
			return c->rq_bytes > 0 ? 1 : -EAGAIN;
		ret = wait_on(&c->rd, deadline);
		if (ret < 0 && c->rq_bytes < target)
			return c->rq_bytes > 0 ? 1 : ret;
	}
	return 1;
}

static inline int
wait_readable(struct tcp_conn *c, uint64_t timeout_ns, size_t want)
{
	/* The fast path: enough is there already. */
	if (likely(c->rq_bytes >= c->rcvlowat && c->rq_bytes > 0))
		return 1;
	return wait_readable_slow(c, timeout_ns, want);
}

/* Copy the receive queue's head into iov: consumed (a read) or left
 * where it is (a peek). The bytes copied. */
static size_t
rq_copy(struct tcp_conn *c, const struct iovec *iov, int iovcnt, bool consume)
{
	struct rte_mbuf *m = c->rq;
	size_t total = 0, ioff = 0;
	uint32_t n, moff = 0;
	int i = 0;

	while (m != NULL && i < iovcnt) {
		if (iov[i].iov_len == ioff) {
			i++;
			ioff = 0;
			continue;
		}
		n = (uint32_t)RTE_MIN((size_t)(m->data_len - moff),
				iov[i].iov_len - ioff);
		rte_memcpy((char *)iov[i].iov_base + ioff,
				rte_pktmbuf_mtod_offset(m, char *, moff), n);
		ioff += n;
		total += n;
		if (!consume) {
			moff += n;
			if (moff == m->data_len) {
				m = m->next;
				moff = 0;
			}
			continue;
		}
		c->rq_bytes -= n;
		if (n < m->data_len) {
			m->data_off = (uint16_t)(m->data_off + n);
			m->data_len = (uint16_t)(m->data_len - n);
			continue;
		}
		rte_pktmbuf_free_seg(tcp_chain_pop(&c->rq, &c->rq_tail));
		m = c->rq;
	}
	return total;
}

/* The checks and the wait of a read or a peek: > 0 to copy, else what
 * the call returns. */
static ssize_t
read_begin(struct tcp_conn *c, const struct iovec *iov, int iovcnt,
		uint64_t timeout_ns)
{
	size_t want = 0;
	int i, ret;

	ret = own(c);
	if (ret < 0)
		return ret;
	if (iovcnt < 0 || (iovcnt > 0 && iov == NULL))
		return -EINVAL;
	for (i = 0; i < iovcnt; i++)
		want += iov[i].iov_len;
	if (want == 0)
		return 0;
	return wait_readable(c, timeout_ns, want);
}

ssize_t
px_tcp_readv(struct px_tcp_conn *pc, const struct iovec *iov, int iovcnt,
		uint64_t timeout_ns)
{
	struct tcp_conn *c = (struct tcp_conn *)pc;
	ssize_t ret;
	size_t total;

	ret = read_begin(c, iov, iovcnt, timeout_ns);
	if (ret <= 0)
		return ret;
	total = rq_copy(c, iov, iovcnt, true);
	tcp_window_update(c);
	return (ssize_t)total;
}

ssize_t
px_tcp_peekv(struct px_tcp_conn *pc, const struct iovec *iov, int iovcnt)
{
	struct tcp_conn *c = (struct tcp_conn *)pc;
	ssize_t ret;

	ret = read_begin(c, iov, iovcnt, 0);
	if (ret <= 0)
		return ret;
	return (ssize_t)rq_copy(c, iov, iovcnt, false);
}

ssize_t
px_tcp_read(struct px_tcp_conn *c, void *buf, size_t len, uint64_t timeout_ns)
{
	struct iovec iov = { buf, len };

	if (buf == NULL && len > 0)
		return -EINVAL;
	return px_tcp_readv(c, &iov, 1, timeout_ns);
}

int
px_tcp_recv_mbuf(struct px_tcp_conn *pc, struct rte_mbuf **m,
		uint64_t timeout_ns)
{
	struct tcp_conn *c = (struct tcp_conn *)pc;
	int ret = own(c);

	if (ret < 0)
		return ret;
	if (m == NULL)
		return -EINVAL;
	ret = wait_readable(c, timeout_ns, SIZE_MAX);
	if (ret < 0)
		return ret;
	if (ret == 0) {
		*m = NULL;
		return 0;
	}
	*m = tcp_chain_pop(&c->rq, &c->rq_tail);
	c->rq_bytes -= (*m)->data_len;
	tcp_window_update(c);
	return 0;
}

uint32_t
px_tcp_readable(const struct px_tcp_conn *pc)
{
	return ((const struct tcp_conn *)pc)->rq_bytes;
}

uint32_t
px_tcp_poll(struct px_tcp_conn *pc)
{
	struct tcp_conn *c = (struct tcp_conn *)pc;
	uint32_t m = 0;

	if (c->state == TCP_CLOSED) {
		m = PX_TCP_POLL_IN | PX_TCP_POLL_OUT | PX_TCP_POLL_HUP |
			PX_TCP_POLL_RDHUP;
		return c->err < 0 ? m | PX_TCP_POLL_ERR : m;
	}
	if (TCP_IN_STATE(c, TCP_SYN_SENT | TCP_SYN_RCVD))
		return 0;
	if (c->rq_bytes >= c->rcvlowat)
		m |= PX_TCP_POLL_IN;
	if (c->flags & (TF_RCVD_FIN | TF_RD_SHUT))
		m |= PX_TCP_POLL_IN | PX_TCP_POLL_RDHUP;
	if ((c->flags & TF_FIN_QUEUED) || !TCP_IN_STATE(c, TCP_SND_OPEN)) {
		m |= PX_TCP_POLL_OUT;
		if (c->flags & TF_RCVD_FIN)
			m |= PX_TCP_POLL_HUP;
	} else if (tcp_sq_writeable(c)) {
		m |= PX_TCP_POLL_OUT;
	} else {
		c->flags |= TF_WR_BLOCKED;   /* SOCK_NOSPACE */
	}
	return m;
}

int
px_tcp_error(const struct px_tcp_conn *pc)
{
	const struct tcp_conn *c = (const struct tcp_conn *)pc;

	return c->state == TCP_CLOSED && c->err < 0 ? c->err : 0;
}

/* ---- writing ---- */

uint32_t
px_tcp_writable(const struct px_tcp_conn *pc)
{
	const struct tcp_conn *c = (const struct tcp_conn *)pc;

	if (!TCP_IN_STATE(c, TCP_SND_OPEN) || (c->flags & TF_FIN_QUEUED))
		return 0;
	return c->sndbuf > c->sq_bytes ? c->sndbuf - c->sq_bytes : 0;
}

/* Can the application queue data now? 0 yes, <0 the error to report. */
static int
send_ok(const struct tcp_conn *c)
{
	if (c->flags & TF_FIN_QUEUED)
		return -EPIPE;
	if (!TCP_IN_STATE(c, TCP_SND_OPEN))
		return conn_error(c);
	return 0;
}

/* Park until the send buffer has room: 0, or an error. */
static int
wait_writable(struct tcp_conn *c, uint64_t deadline, uint64_t timeout_ns)
{
	int ret;

	tcp_output(c);
	/* Blocked even when not waiting: on_writable reports the room. */
	c->flags |= TF_WR_BLOCKED;
	if (timeout_ns == 0)
		return -EAGAIN;
	ret = wait_on(&c->wr, deadline);
	return ret == -ETIMEDOUT && px_tcp_writable((struct px_tcp_conn *)c) > 0 ?
		0 : ret;
}

/* The pool is below its reserve and c holds enough (tcp_mem_level()):
 * wait a millisecond for it, or until the deadline (TSC). */
static int
wait_mem(const struct tcp_conn *c, uint64_t deadline)
{
	uint64_t now = rte_rdtsc(), ms = c->tl->tn->cyc_per_ms;

	if (!TCP_IN_STATE(c, TCP_SND_OPEN))
		return conn_error(c);
	if (now >= deadline)
		return -ETIMEDOUT;
	px_sleep_ns(px_cycles_to_ns(RTE_MIN(deadline - now, ms)));
	return 0;
}

ssize_t
px_tcp_writev(struct px_tcp_conn *pc, const struct iovec *iov, int iovcnt,
		uint64_t timeout_ns)
{
	struct tcp_conn *c = (struct tcp_conn *)pc;
	uint64_t deadline = px_deadline(timeout_ns);
	size_t total = 0, off = 0;
	uint32_t room, n;
	int i = 0, ret;

	ret = own(c);
	if (ret < 0)
		return ret;
	if (iovcnt < 0 || (iovcnt > 0 && iov == NULL))
		return -EINVAL;
	while (i < iovcnt) {
		if (off == iov[i].iov_len) {
			i++;
			off = 0;
			continue;
		}
		ret = send_ok(c);
		if (ret < 0)
			break;
		room = px_tcp_writable(pc);
		if (room == 0) {
			ret = wait_writable(c, deadline, timeout_ns);
			if (ret < 0)
				break;
			continue;
		}
		n = tcp_sq_append(c, (const uint8_t *)iov[i].iov_base + off,
				(uint32_t)RTE_MIN((size_t)room, iov[i].iov_len - off));
		if (n == 0) {
			/* No mbuf for it (the pool short): a blocking
			 * write waits, a non-blocking one says so. */
			ret = timeout_ns == 0 ? -ENOBUFS : wait_mem(c, deadline);
			if (ret < 0)
				break;
			tcp_output(c);
			continue;
		}
		off += n;
		total += n;
	}
	tcp_output(c);
	return total > 0 ? (ssize_t)total : ret;
}

ssize_t
px_tcp_write(struct px_tcp_conn *c, const void *buf, size_t len,
		uint64_t timeout_ns)
{
	struct iovec iov = { (void *)(uintptr_t)buf, len };

	if (buf == NULL && len > 0)
		return -EINVAL;
	return px_tcp_writev(c, &iov, 1, timeout_ns);
}

int
px_tcp_send_mbuf(struct px_tcp_conn *pc, struct rte_mbuf *m,
		uint64_t timeout_ns)
{
	struct tcp_conn *c = (struct tcp_conn *)pc;
	uint64_t deadline = px_deadline(timeout_ns);
	struct rte_mbuf *seg, *next;
	uint32_t len;
	int ret;

	ret = own(c);
	if (ret < 0 || m == NULL) {
		rte_pktmbuf_free(m);
		return ret < 0 ? ret : -EINVAL;
	}
	len = rte_pktmbuf_pkt_len(m);
	for (;;) {
		ret = send_ok(c);
		if (ret < 0) {
			rte_pktmbuf_free(m);
			return ret;
		}
		/* Whole chains only: room for every byte and segment. */
		if (c->sq_bytes == 0 || c->sq_bytes + len <= c->sndbuf)
			break;
		ret = wait_writable(c, deadline, timeout_ns);
		if (ret == -EAGAIN || ret == -ETIMEDOUT)
			return ret;
		if (ret < 0) {
			rte_pktmbuf_free(m);
			return ret;
		}
	}
	for (seg = m; seg != NULL; seg = next) {
		next = seg->next;
		seg->next = NULL;
		seg->nb_segs = 1;
		seg->pkt_len = seg->data_len;
		if (seg->data_len == 0) {
			rte_pktmbuf_free_seg(seg);
			continue;
		}
		tcp_chain_append(&c->sq, &c->sq_tail, seg);
		c->sq_bytes += seg->data_len;
	}
	tcp_output(c);
	return 0;
}

/* ---- closing ---- */

/* Queue our FIN (RFC 9293 3.10.4). */
void
tcp_queue_fin(struct tcp_conn *c)
{
	c->flags |= TF_FIN_QUEUED;
	if (c->state == TCP_CLOSE_WAIT)
		tcp_set_state(c, TCP_LAST_ACK, 0);
	else
		tcp_set_state(c, TCP_FIN_WAIT_1, 0);
	tcp_output(c);
}

int
px_tcp_shutdown(struct px_tcp_conn *pc)
{
	struct tcp_conn *c = (struct tcp_conn *)pc;
	int ret = own(c);

	if (ret < 0)
		return ret;
	if (c->state == TCP_SYN_RCVD && (c->tfo & TFO_DATA)) {
		/* Fast Open: the FIN follows the handshake (RFC 9293
		 * 3.10.4, SYN-RECEIVED: queued until ESTABLISHED). */
		c->tfo |= TFO_FIN;
		return 0;
	}
	if (TCP_IN_STATE(c, TCP_SYN_SENT | TCP_SYN_RCVD | TCP_CLOSED))
		return -ENOTCONN;
	if (TCP_IN_STATE(c, TCP_ESTABLISHED | TCP_CLOSE_WAIT) &&
			!(c->flags & TF_FIN_QUEUED))
		tcp_queue_fin(c);
	return 0;
}

static void
reset_conn(struct tcp_conn *c, int err)
{
	if (TCP_IN_STATE(c, TCP_SYN_RCVD | TCP_ESTABLISHED | TCP_FIN_WAIT_1 |
			TCP_FIN_WAIT_2 | TCP_CLOSE_WAIT))
		tcp_send_ctl(c, c->snd_max, TH_RST);
	if (c->state != TCP_CLOSED)
		tcp_set_state(c, TCP_CLOSED, err);
}

int
px_tcp_abort(struct px_tcp_conn *pc)
{
	struct tcp_conn *c = (struct tcp_conn *)pc;
	int ret = own(c);

	if (ret < 0)
		return ret;
	/* Still held while it resets, so it is freed once, below. */
	memset(&c->cbs, 0, sizeof(c->cbs));
	reset_conn(c, -ECONNABORTED);
	conn_release(c);
	return 0;
}

int
px_tcp_open_count(const struct px_netif *nif)
{
	struct tcp_lcore *tl;
	const struct tcp_conn *c;
	int n = 0;

	if ((tl = tcp_lcore_of(nif)) == NULL)
		return -EINVAL;
	TAILQ_FOREACH(c, &tl->conns, link)
		if (c->state != TCP_CLOSED)
			n++;
	return n;
}

int
px_tcp_reset_all(struct px_netif *nif)
{
	struct tcp_lcore *tl;
	struct tcp_conn *c, *next;
	int n = 0;

	if ((tl = tcp_lcore_of(nif)) == NULL)
		return -EINVAL;
	/* Closing an orphan frees it: take the next one first. */
	for (c = TAILQ_FIRST(&tl->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, link);
		if (c->state == TCP_CLOSED)
			continue;
		reset_conn(c, -ECONNABORTED);
		tl->st.shutdown_rst++;
		n++;
	}
	if (n > 0)
		PX_LOG(INFO, tcp, "lcore %u: %d connection(s) reset at shutdown",
			rte_lcore_id(), n);
	tcp_flush(tl);
	return n;
}

struct tcp_drain {
	struct px_netif *const *nifs;
	unsigned int n;
	uint64_t deadline;
	const volatile sig_atomic_t *hurry;
};

static int
drain_open(const struct tcp_drain *d)
{
	unsigned int i;
	int n = 0, k;

	for (i = 0; i < d->n; i++)
		if ((k = px_tcp_open_count(d->nifs[i])) > 0)
			n += k;
	return n;
}

/* px_tcp_drain() on one lcore: the wait, then the resets. */
static void *
drain_lcore(void *arg)
{
	const struct tcp_drain *d = arg;
	unsigned int i;
	long reset = 0;
	int k;

	while (drain_open(d) > 0 && (d->hurry == NULL || *d->hurry == 0) &&
			rte_rdtsc() < d->deadline)
		if (px_sleep_ns(1000 * 1000) < 0)
			break; /* cancelled: reset now */
	for (i = 0; i < d->n; i++)
		if ((k = px_tcp_reset_all(d->nifs[i])) > 0)
			reset += k;
	/* The resets sit in the port's transmit buffer until this loop
	 * iteration's flush hooks, which run before the timer advance that
	 * ends any sleep: so one sleep of any length sees them sent. */
	if (reset > 0)
		px_sleep_ns(1);
	return (void *)(intptr_t)reset;
}

int
px_tcp_drain(struct px_netif *const *nifs, unsigned int n, uint64_t timeout_ns,
		const volatile sig_atomic_t *hurry)
{
	struct tcp_drain d = { nifs, n, px_deadline(timeout_ns), hurry };
	void *res[PX_MAX_LCORES];
	unsigned int i;
	long reset = 0;
	int ret;

	if (nifs == NULL || n == 0 || px_task_self() == NULL)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (tcp_netif_of(nifs[i]) == NULL)
			return -EINVAL;
	ret = px_exec_on_all(drain_lcore, &d, res);
	if (ret < 0)
		return ret;
	for (i = 0; i < px_exec_count(); i++)
		reset += (long)(intptr_t)res[i];
	return (int)RTE_MIN(reset, (long)INT32_MAX);
}

int
px_tcp_reset(struct px_tcp_conn *pc)
{
	struct tcp_conn *c = (struct tcp_conn *)pc;
	int ret = own(c);

	if (ret < 0)
		return ret;
	reset_conn(c, -ECONNABORTED);
	return 0;
}

/* A connection the application has closed and that still has work to
 * do (TCP review A.1): counted against max_orphans, its lcore's share;
 * past it, reset at once (as Linux's tcp_close() when
 * tcp_too_many_orphans()), so orphans cannot hold the connection table
 * or, with data their peer never takes, the pool. */
static void
orphan_account(struct tcp_conn *c)
{
	struct tcp_lcore *tl = c->tl;
	const struct tcp_netif *tn = tl->tn;
	uint32_t share = RTE_MAX(tn->conf.max_orphans / tn->n_lcores, 1u);

	if (TCP_IN_STATE(c, TCP_CLOSED | TCP_TIME_WAIT))
		return;
	if (tl->st.orphans >= share) {
		tl->st.orphan_reset++;
		reset_conn(c, -ECONNABORTED);
		return;
	}
	c->flags |= TF_ORPHAN_CNT;
	tl->st.orphans++;
}

int
px_tcp_close(struct px_tcp_conn *pc)
{
	struct tcp_conn *c = (struct tcp_conn *)pc;
	uint64_t deadline;
	int ret = own(c);

	if (ret < 0)
		return ret;
	memset(&c->cbs, 0, sizeof(c->cbs));
	c->flags |= TF_ORPHAN | TF_RD_SHUT;
	if (c->state == TCP_SYN_SENT) {
		tcp_set_state(c, TCP_CLOSED, 0);
	} else if ((c->state == TCP_SYN_RCVD && !(c->tfo & TFO_DATA)) ||
			c->rq_bytes > 0 || c->linger_ms == 0) {
		/* RFC 1122 4.2.2.13: unread data is lost; tell the peer. A
		 * handshake still open (simultaneous open) is reset too. */
		reset_conn(c, -ECONNABORTED);
	} else if (c->state == TCP_SYN_RCVD) {
		c->tfo |= TFO_FIN; /* Fast Open: after the handshake */
	} else if (TCP_IN_STATE(c, TCP_ESTABLISHED | TCP_CLOSE_WAIT)) {
		if (!(c->flags & TF_FIN_QUEUED))
			tcp_queue_fin(c);
	} else if (c->state == TCP_FIN_WAIT_2) {
		tcp_slow_arm(c, c->tl->tn->fw2_cyc);
	}
	ret = 0;
	if (c->linger_ms > 0 && c->state != TCP_CLOSED) {
		deadline = rte_rdtsc() + (uint64_t)c->linger_ms * c->tl->tn->cyc_per_ms;
		while (TCP_IN_STATE(c, TCP_FIN_WAIT_1 | TCP_CLOSING | TCP_LAST_ACK)) {
			c->flags |= TF_WR_BLOCKED;
			if (wait_on(&c->wr, deadline) == -ETIMEDOUT &&
					TCP_IN_STATE(c, TCP_FIN_WAIT_1 | TCP_CLOSING |
						TCP_LAST_ACK)) {
				reset_conn(c, -ETIMEDOUT);
				ret = -ETIMEDOUT;
				break;
			}
		}
	}
	if (c->state == TCP_FIN_WAIT_2 && !px_timer_is_armed(&c->t_slow))
		tcp_slow_arm(c, c->tl->tn->fw2_cyc);
	orphan_account(c);
	conn_release(c);
	return ret;
}

/* ---- options and introspection ---- */

int
px_tcp_setopt(struct px_tcp_conn *pc, enum px_tcp_opt opt, int64_t val)
{
	struct tcp_conn *c = (struct tcp_conn *)pc;
	int ret = own(c);

	if (ret < 0)
		return ret;
	switch (opt) {
	case PX_TCP_OPT_NODELAY:
		if (val)
			c->flags |= TF_NODELAY;
		else
			c->flags &= ~TF_NODELAY;
		tcp_output(c);
		return 0;
	case PX_TCP_OPT_KEEPALIVE:
		if (val)
			c->flags |= TF_KEEPALIVE;
		else
			c->flags &= ~TF_KEEPALIVE;
		tcp_keepalive_reset(c);
		return 0;
	case PX_TCP_OPT_KEEPIDLE:
	case PX_TCP_OPT_KEEPINTVL:
		if (val < 1 || val > 32767)
			return -EINVAL;
		if (opt == PX_TCP_OPT_KEEPIDLE)
			c->ka_idle_s = (uint32_t)val;
		else
			c->ka_intvl_s = (uint32_t)val;
		tcp_keepalive_reset(c);
		return 0;
	case PX_TCP_OPT_KEEPCNT:
		if (val < 1 || val > 127)
			return -EINVAL;
		c->ka_cnt = (uint32_t)val;
		return 0;
	case PX_TCP_OPT_SNDBUF:
	case PX_TCP_OPT_RCVBUF:
		if (val < 2048 || val > (16 << 20))
			return -EINVAL;
		if (opt == PX_TCP_OPT_SNDBUF) {
			c->sndbuf = (uint32_t)val;
			if (c->flags & TF_WR_BLOCKED) {
				tcp_wake(c, 0, 1);
				if (!(c->flags & TF_IN_CB))
					tcp_flush(c->tl);
			}
		} else {
			c->rcvbuf = (uint32_t)val;
			tcp_window_update(c);
		}
		return 0;
	case PX_TCP_OPT_CC:
		if (val < PX_TCP_CC_DEFAULT || val > PX_TCP_CC_NEWRENO)
			return -EINVAL;
		if (val == PX_TCP_CC_DEFAULT)
			val = c->tl->tn->conf.cc;
		c->cc = tcp_cc_of((enum px_tcp_cc)val);
		memset(&c->cub, 0, sizeof(c->cub));
		return 0;
	case PX_TCP_OPT_LINGER:
		if (val < -1 || val > 3600 * 1000)
			return -EINVAL;
		c->linger_ms = val;
		return 0;
	case PX_TCP_OPT_USER_TIMEOUT:
		if (val < 0 || val > TCP_CONF_MAX_MS)
			return -EINVAL;
		c->user_to_ms = (uint32_t)val;
		return 0;
	case PX_TCP_OPT_CORK:
		c->cork = val != 0;
		if (!c->cork)
			tcp_output(c);   /* what it held goes now */
		return 0;
	case PX_TCP_OPT_RCVLOWAT:
		if (val < 1 || val > (8 << 20))
			return -EINVAL;
		c->rcvlowat = (uint32_t)val;
		if (c->rcvbuf < 2 * c->rcvlowat) {
			c->rcvbuf = 2 * c->rcvlowat;
			tcp_window_update(c);
		}
		/* Data already in may now be enough, or no longer. */
		if (c->rq_bytes >= c->rcvlowat)
			tcp_wake(c, 1, 0);
		return 0;
	default:
		return -EINVAL;
	}
}

int
px_tcp_info(const struct px_tcp_conn *pc, struct px_tcp_info *o)
{
	const struct tcp_conn *c = (const struct tcp_conn *)pc;
	int ret = own(c);

	if (ret < 0)
		return ret;
	if (o == NULL)
		return -EINVAL;
	memset(o, 0, sizeof(*o));
	o->state = tcp_state_public(c->state);
	o->laddr = c->laddr;
	o->raddr = c->raddr;
	o->lport = c->lport;
	o->rport = c->rport;
	o->mss = tcp_eff_mss(c);
	o->rcv_mss = c->rmss;
	o->snd_wscale = c->snd_wscale;
	o->rcv_wscale = c->rcv_wscale;
	o->ts = (c->flags & TF_TS) != 0;
	o->sack = (c->flags & TF_SACK) != 0;
	o->cc = c->cc == &tcp_cc_newreno ? PX_TCP_CC_NEWRENO : PX_TCP_CC_CUBIC;
	o->srtt_us = c->srtt_us;
	o->rttvar_us = c->rttvar_us;
	o->rto_us = c->rto_us;
	o->cwnd = c->cwnd;
	o->ssthresh = c->ssthresh;
	o->snd_wnd = c->snd_wnd;
	o->rcv_wnd = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	o->unacked = SEQ_GT(c->snd_nxt, c->sq_seq) ?
		RTE_MIN(c->snd_nxt - c->sq_seq, c->sq_bytes) : 0;
	o->unsent = c->sq_bytes - o->unacked;
	o->readable = c->rq_bytes;
	o->seg_in = c->seg_in;
	o->seg_out = c->seg_out;
	o->retrans = c->retrans;
	o->dup_acks = c->dup_acks;
	o->ooo_in = c->ooo_in;
	o->bytes_in = c->bytes_in;
	o->bytes_out = c->bytes_out;
	return 0;
}
