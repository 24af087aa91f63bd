/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#ifndef _PX_TCP_H_
#define _PX_TCP_H_

/**
 * @file
 * TCP (RFC 9293) over a px_netif: connections, listeners, and two APIs
 * over them: task sockets (sequential code that parks the calling task)
 * and callbacks (on-accept, on-data, on-writable, on-close) for pipelines
 * that want no task per connection.
 *
 * A connection belongs to one executor lcore: the one its flow's RSS hash
 * (or the software steering stage) lands on. Every call on a connection
 * must be made on that lcore; other lcores get -EXDEV. A listener is
 * shared: each lcore accepts the connections that land on it. Addresses
 * and ports are in network byte order, as in px_inet.h. Errors are
 * negative errno values with their POSIX meanings.
 */

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <rte_mbuf.h>

#include <px_inet.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Congestion control algorithms (px_tcp_conf.cc, PX_TCP_OPT_CC). */
enum px_tcp_cc {
	PX_TCP_CC_DEFAULT = 0, /**< the stack's default: CUBIC */
	PX_TCP_CC_CUBIC,       /**< CUBIC (RFC 9438) */
	PX_TCP_CC_NEWRENO,     /**< NewReno (RFC 5681, RFC 6582) */
};

/** Stack-wide settings, fixed at px_tcp_attach(); 0 picks the default.
 *  Each time (rto_*, delack_us, msl_ms, fin_wait2_ms) is at most
 *  86400000 (a day) in its unit. */
struct px_tcp_conf {
	uint32_t max_conns;        /**< connection blocks per interface: 4096 */
	uint32_t sndbuf;           /**< default send buffer, bytes: 262144 */
	uint32_t rcvbuf;           /**< default receive buffer, bytes: 262144 */
	uint32_t rto_min_us;       /**< minimum RTO: 5000 (a data centre's) */
	uint32_t rto_max_ms;       /**< maximum RTO: 60000 */
	uint32_t rto_init_ms;      /**< RTO before an RTT sample: 1000 */
	uint32_t delack_us;        /**< delayed-ACK timeout: 1000 */
	uint32_t msl_ms;           /**< maximum segment lifetime; TIME_WAIT
	                                lasts two: 30000 */
	uint32_t fin_wait2_ms;     /**< FIN_WAIT_2 after close(): 60000 */
	uint32_t syn_retries;      /**< SYN retransmissions: 6 */
	uint32_t synack_retries;   /**< SYN-ACK retransmissions: 5 */
	uint32_t max_retries;      /**< data retransmissions before -ETIMEDOUT: 15 */
	uint32_t ooo_max;          /**< out-of-order ranges (holes) held per
	                                connection: 64 (at most 64) */
	uint32_t challenge_per_s;  /**< RFC 5961 challenge ACKs per second
	                                per lcore, on top of oow_ack_ms: a
	                                random count between half and one
	                                and a half times this each second
	                                (an attacker cannot count on it,
	                                CVE-2016-5696): 1000 */
	uint32_t oow_ack_ms;       /**< per connection, at most one ACK per
	                                this many ms answers segments
	                                without data that are out of window,
	                                fail PAWS or draw a challenge (no
	                                ACK storm between desynchronised
	                                ends; Linux tcp_invalid_ratelimit):
	                                500 */
	uint32_t mbuf_reserve;     /**< free mbufs the stack keeps for
	                                receiving: below it windows stop
	                                growing and out-of-order data is
	                                dropped, below half of it all
	                                arriving data is: 1/8 of the pool */
	uint32_t max_orphans;      /**< connections closed by the application
	                                that may still be finishing (sending
	                                what was left, FIN_WAIT, LAST_ACK;
	                                not TIME_WAIT), per interface, shared
	                                evenly by the lcores: a close past it
	                                resets the connection at once
	                                (tcp.orphan_reset; Linux's
	                                tcp_max_orphans): max_conns / 2 */
	enum px_tcp_cc cc;         /**< congestion control of new
	                                connections: CUBIC */
	uint32_t flags;            /**< PX_TCP_CONF_F_* */
};

/** Do not offer timestamps (RFC 7323) on active opens nor accept them. */
#define PX_TCP_CONF_F_NO_TS    (1u << 0)
/** Do not offer or accept SACK (RFC 2018). */
#define PX_TCP_CONF_F_NO_SACK  (1u << 1)
/** Do not offer or accept window scaling (RFC 7323). */
#define PX_TCP_CONF_F_NO_WS    (1u << 2)
/** Drop SYNs past a listener's half-open limit instead of answering them
 *  with SYN cookies (RFC 4987). */
#define PX_TCP_CONF_F_NO_SYNCOOKIES (1u << 3)
/** Do not lower the MSS of a connection whose big segments time out
 *  repeatedly (black-hole detection, on by default; path MTU discovery
 *  by ICMP stays on). */
#define PX_TCP_CONF_F_NO_BLACKHOLE  (1u << 4)
/** No tail loss probes (RFC 8985 7; on by default with SACK): a loss at
 *  the tail of a flight waits for the RTO. */
#define PX_TCP_CONF_F_NO_TLP        (1u << 5)
/** Explicit congestion notification (RFC 3168): ask for it on active
 *  opens, agree to it on passive ones (Linux's tcp_ecn=1). Data then
 *  goes out ECT(0); a CE mark the peer echoes (ECE) halves the window
 *  once per round trip, as a loss would, with nothing resent; a CE mark
 *  received is echoed until the peer's CWR. Off by default. */
#define PX_TCP_CONF_F_ECN           (1u << 6)
/** No HyStart++ (RFC 9406; on by default): the first slow start then
 *  doubles the window each round trip until a loss, however the RTT
 *  grows. */
#define PX_TCP_CONF_F_NO_HYSTART    (1u << 7)
/** No RACK (RFC 8985 6; on by default with SACK): losses are then found
 *  by the RFC 6675 scoreboard (three segments SACKed above a hole), the
 *  tail loss probe and the RTO only; a lost retransmission waits for
 *  the RTO. */
#define PX_TCP_CONF_F_NO_RACK       (1u << 8)
/** TCP Fast Open for listeners (RFC 7413, server side; off by default):
 *  a SYN that asks for a cookie gets one in the SYN-ACK (a keyed hash of
 *  the client's address); a SYN with a valid cookie has its data taken
 *  at once, the SYN-ACK acknowledges it, and the connection is ready to
 *  accept, read and write before the handshake completes (the answer can
 *  follow the SYN-ACK). Without a valid cookie, or with the accept queue
 *  full, data on a SYN is not acknowledged and the client sends it again
 *  after the handshake (RFC 7413 4.2.2), as without this flag. */
#define PX_TCP_CONF_F_FASTOPEN      (1u << 9)
/** No receive coalescing (GRO; on by default): in-order data segments of
 *  one established connection that arrive in the same burst, back to
 *  back, with the same ACK, window and options, are otherwise joined
 *  into one before TCP processes them (as Linux's GRO does below its
 *  stack), so a burst costs one pass through the receive path and one
 *  ACK decision. Each segment's checksum is still verified, and every
 *  segment still counts toward the ACK every second full segment. */
#define PX_TCP_CONF_F_NO_GRO        (1u << 10)

/** A connection (opaque; owned by the stack, held by the application
 *  from accept/connect until px_tcp_close() or px_tcp_abort()). */
struct px_tcp_conn;
/** A listening port, shared by every lcore. */
struct px_tcp_listener;

/** Connection states (RFC 9293 3.3.2). */
enum px_tcp_state {
	PX_TCP_CLOSED = 0,
	PX_TCP_LISTEN,
	PX_TCP_SYN_SENT,
	PX_TCP_SYN_RCVD,
	PX_TCP_ESTABLISHED,
	PX_TCP_FIN_WAIT_1,
	PX_TCP_FIN_WAIT_2,
	PX_TCP_CLOSE_WAIT,
	PX_TCP_CLOSING,
	PX_TCP_LAST_ACK,
	PX_TCP_TIME_WAIT,
};

/** Per-lcore counters (px_tcp_stats() sums them). */
struct px_tcp_stats {
	uint64_t seg_in;            /**< segments received */
	uint64_t seg_out;           /**< segments sent */
	uint64_t bytes_in;          /**< payload bytes accepted in order */
	uint64_t bytes_out;         /**< payload bytes sent, retransmissions included */
	uint64_t retrans;           /**< segments retransmitted */
	uint64_t rto;               /**< retransmission timeouts */
	uint64_t fast_retrans;      /**< fast retransmits (3 duplicate ACKs) */
	uint64_t undo;              /**< fast retransmits found spurious (RFC 3522) and undone */
	uint64_t sack_recoveries;   /**< loss recoveries driven by SACK (RFC 6675) */
	uint64_t sack_rexmit;       /**< segments resent because SACK showed them lost */
	uint64_t sack_skip;         /**< bytes not resent after a timeout: SACKed */
	uint64_t rto_rexmit;        /**< segments resent going back after a timeout */
	uint64_t dsack_in;          /**< D-SACK blocks received (RFC 2883): a resend was not needed */
	uint64_t dsack_out;         /**< D-SACK blocks sent (RFC 2883): data
	                                 that came twice, reported to its
	                                 sender */
	uint64_t drop_bad_sack;     /**< SACK blocks ignored: outside what was sent */
	uint64_t sack_sb_full;      /**< SACK ranges forgotten: scoreboard full */
	uint64_t dup_acks;          /**< duplicate ACKs received */
	uint64_t ooo_in;            /**< segments queued out of order */
	uint64_t ooo_drop;          /**< out-of-order segments dropped: queue full */
	uint64_t dup_data;          /**< segments entirely old (duplicates) */
	uint64_t active_opens;      /**< connect() calls that sent a SYN */
	uint64_t passive_opens;     /**< SYNs that created a connection */
	uint64_t established;       /**< connections that reached ESTABLISHED */
	uint64_t accept_overflow;   /**< SYNs (or cookie ACKs) dropped: accept queue full */
	uint64_t synq_full;         /**< SYNs dropped: half-open limit, cookies off */
	uint64_t syncookies_sent;   /**< SYN-ACKs sent with a cookie, no state kept */
	uint64_t syncookies_ok;     /**< connections made from a returned cookie */
	uint64_t syncookies_bad;    /**< ACKs to a listener whose cookie failed */
	uint64_t conn_exhausted;    /**< SYNs/connects refused: no connection block */
	uint64_t tw_recycled;       /**< TIME_WAIT blocks reclaimed early */
	uint64_t tw_reuse;          /**< SYNs that took over a TIME_WAIT 4-tuple */
	uint64_t rst_in;            /**< resets accepted */
	uint64_t rst_out;           /**< resets sent */
	uint64_t drop_bad_len;      /**< runt or bad data offset */
	uint64_t drop_bad_checksum; /**< checksum wrong */
	uint64_t drop_bad_opt;      /**< malformed options */
	uint64_t drop_bad_flags;    /**< illegal flag combination */
	uint64_t drop_no_conn;      /**< no connection or listener (RST sent) */
	uint64_t drop_out_of_window;/**< sequence not acceptable (ACK sent) */
	uint64_t drop_paws;         /**< old timestamp (RFC 7323 5) */
	uint64_t drop_no_ts;        /**< no timestamp on a connection that has
	                                 them (RFC 7323 3.2) */
	uint64_t icmp_err;          /**< ICMP errors taken: a connect() ended,
	                                 or an error kept for a timeout */
	uint64_t drop_icmp_err;     /**< ICMP errors ignored: no connection, a
	                                 sequence number not in flight (RFC
	                                 5927), a type that carries no error,
	                                 or fragmentation needed that would
	                                 not lower the MSS */
	uint64_t pmtu_lowered;      /**< fragmentation needed (RFC 1191) took:
	                                 a connection's MSS lowered */
	uint64_t tlp_probes;        /**< tail loss probes sent (RFC 8985 7) */
	uint64_t tlp_recoveries;    /**< a probe repaired a tail loss (the
	                                 window was reduced), or showed the
	                                 segments below it lost */
	uint64_t tlp_spurious;      /**< a probe proved needless (D-SACK) */
	uint64_t rack_lost;         /**< holes found lost by RACK's clock
	                                 (RFC 8985 6.2): sent before data
	                                 since delivered, and not delivered a
	                                 reordering window after */
	uint64_t rack_lost_rtx;     /**< resent data found lost again by
	                                 RACK's clock (resent once more,
	                                 without waiting for the RTO) */
	uint64_t rack_reo_timeouts; /**< RACK's reordering timer expired */
	uint64_t tfo_cookies_sent;  /**< Fast Open cookies given (a SYN asked
	                                 for one, or had a wrong one) */
	uint64_t tfo_accepted;      /**< SYNs whose data was taken (a valid
	                                 Fast Open cookie, RFC 7413) */
	uint64_t syn_data_dropped;  /**< SYNs whose data was not taken (Fast
	                                 Open off, no or a wrong cookie, a
	                                 full accept queue): sent again by the
	                                 client after the handshake */
	uint64_t pmtu_blackhole;    /**< MSS lowered after repeated timeouts
	                                 of a big segment (an ICMP black hole,
	                                 RFC 4821 5.5) */
	uint64_t drop_bad_ack;      /**< ACK of data never sent, or too old (RFC 5961 5.2) */
	uint64_t challenge_acks;    /**< challenge ACKs sent (RFC 5961) */
	uint64_t challenge_limited; /**< challenge ACKs not sent: rate limit */
	uint64_t oow_ack_limited;   /**< ACKs to invalid segments without data
	                                 not sent: per-connection limit */
	uint64_t drop_rcvq_full;    /**< data past the receive buffer */
	uint64_t drop_nomem;        /**< data dropped: mbuf pool short (mbuf_reserve) */
	uint64_t sndbuf_nomem;      /**< writes held back: mbuf pool short, and
	                                 the connection holds 2 KiB or more */
	uint64_t ooo_purged;        /**< out-of-order bytes given up: mbuf pool short */
	uint64_t drop_state;        /**< segment not valid in this state */
	uint64_t zero_wnd_probes;   /**< window probes sent */
	uint64_t keepalive_probes;  /**< keepalive probes sent */
	uint64_t timeouts;          /**< connections ended by a timer */
	uint64_t shutdown_rst;      /**< connections reset by px_tcp_reset_all() */
	uint64_t nombuf;            /**< segments not sent: mbuf pool empty */
	uint64_t zc_segs;           /**< segments whose payload was attached
	                                 from the send buffer, not copied */
	uint64_t gro_merged;        /**< segments received joined behind the
	                                 one before (PX_TCP_CONF_F_NO_GRO) */
	uint64_t hystart_css;       /**< slow starts that saw the RTT grow and
	                                 went conservative (RFC 9406 4.2) */
	uint64_t hystart_exit;      /**< ... and then ended, before any loss */
	uint64_t ecn_conns;         /**< connections that agreed to ECN */
	uint64_t ecn_ce_in;         /**< segments received marked CE */
	uint64_t ecn_reduce;        /**< window reductions for an ECE */
	uint64_t orphan_reset;      /**< closes that reset the connection:
	                                 max_orphans reached */
	uint64_t orphans;           /**< closed by the application, still
	                                 finishing (gauge; not TIME_WAIT) */
	uint64_t conns;             /**< live connection blocks (gauge) */
};

/** A snapshot of one connection (px_tcp_info()). */
struct px_tcp_info {
	enum px_tcp_state state;
	uint32_t laddr, raddr;      /**< network order */
	uint16_t lport, rport;      /**< network order */
	uint32_t mss;               /**< send MSS in use */
	uint32_t rcv_mss;           /**< MSS we advertised */
	uint8_t snd_wscale, rcv_wscale;
	uint8_t ts, sack;           /**< options in use */
	enum px_tcp_cc cc;          /**< congestion control in use */
	uint32_t srtt_us, rttvar_us, rto_us;
	uint32_t cwnd, ssthresh;    /**< bytes */
	uint32_t snd_wnd, rcv_wnd;  /**< bytes */
	uint32_t unacked, unsent;   /**< bytes in the send buffer */
	uint32_t readable;          /**< bytes ready to read */
	uint64_t seg_in, seg_out, retrans, dup_acks, ooo_in, bytes_in, bytes_out;
};

/** Socket options for px_tcp_setopt(). */
enum px_tcp_opt {
	PX_TCP_OPT_NODELAY,     /**< 1: disable Nagle's algorithm */
	PX_TCP_OPT_KEEPALIVE,   /**< 1: send keepalive probes when idle */
	PX_TCP_OPT_KEEPIDLE,    /**< idle time before the first probe, s (7200) */
	PX_TCP_OPT_KEEPINTVL,   /**< between probes, s (75) */
	PX_TCP_OPT_KEEPCNT,     /**< unanswered probes before -ETIMEDOUT (9) */
	PX_TCP_OPT_SNDBUF,      /**< send buffer, bytes (2048..16 MiB) */
	PX_TCP_OPT_RCVBUF,      /**< receive buffer, bytes (2048..16 MiB);
	                             window scale is fixed at the handshake */
	PX_TCP_OPT_CC,          /**< congestion control: an enum px_tcp_cc;
	                             may change at any time (the window
	                             carries over) */
	PX_TCP_OPT_LINGER,      /**< close(): -1 off (default, background
	                             close), 0 abort with RST, n>0 wait up to
	                             n ms for the peer to ACK, then RST */
	PX_TCP_OPT_USER_TIMEOUT,/**< ms (RFC 5482, Linux's TCP_USER_TIMEOUT):
	                             data (or zero-window probes) unanswered
	                             this long end the connection with
	                             -ETIMEDOUT, sooner or later than
	                             max_retries would; 0 off (default) */
	PX_TCP_OPT_RCVLOWAT,    /**< bytes (SO_RCVLOWAT): a read that waits
	                             returns once this much is readable (or
	                             its buffer is full, the stream ended, an
	                             error, its timeout with some data), and
	                             on_data fires only from this much; the
	                             receive buffer grows to twice it (so
	                             the window cannot close below it); 1
	                             (default) .. 8 MiB */
	PX_TCP_OPT_CORK,        /**< 1: send full segments only (Linux's
	                             TCP_CORK): a response's header and body
	                             written separately leave in one segment;
	                             0 sends what was held at once. Held data
	                             also goes when a FIN is queued or after
	                             one retransmission timeout (the persist
	                             timer; Linux's ceiling is 200 ms) */
};

/**
 * Attach TCP to an interface (control path, once, before px_run() or from
 * one task before any TCP use). Allocates the connection blocks and the
 * per-lcore tables.
 *
 * @param nif
 *   The interface.
 * @param conf
 *   Settings, or NULL for the defaults.
 * @return
 *   - 0 on success.
 *   - -EINVAL on a bad argument or setting.
 *   - -EEXIST if TCP is already attached.
 *   - -ENOMEM if memory runs out.
 */
int px_tcp_attach(struct px_netif *nif, const struct px_tcp_conf *conf);

/**
 * Detach TCP from an interface and free everything it holds (after
 * px_run() returned, so no lcore is in the stack). Connections still open
 * are dropped without a RST.
 */
void px_tcp_detach(struct px_netif *nif);

/**
 * Listen on a port (task sockets). Every lcore gets its own accept queue
 * of *backlog* entries; connections are accepted on the lcore their flow
 * lands on. Each lcore keeps at most max(backlog, 64) half-open
 * connections; past that, SYNs are answered with SYN cookies (unless
 * PX_TCP_CONF_F_NO_SYNCOOKIES), so a SYN flood costs no memory.
 *
 * @param port
 *   Local port, network order, not 0.
 * @param backlog
 *   Completed connections waiting per lcore, 1..65535 (0 = 128).
 * @param out
 *   The listener.
 * @return
 *   - 0 on success.
 *   - -EINVAL on a bad argument or without TCP attached.
 *   - -EADDRINUSE if the port already has a listener.
 *   - -ENOMEM if memory runs out.
 */
int px_tcp_listen(struct px_netif *nif, uint16_t port, uint32_t backlog,
		struct px_tcp_listener **out);

/**
 * Take a connection from the calling lcore's accept queue, parking the
 * task until one arrives.
 *
 * @param timeout_ns
 *   PX_TIMEOUT_INF, 0 to poll, or a limit.
 * @return
 *   - 0 with *out* set.
 *   - -EAGAIN (timeout 0) or -ETIMEDOUT if none arrived.
 *   - -ECANCELED if the task was cancelled; -EBADF if the listener closed.
 *   - -EINVAL on a bad argument or off the runtime's lcores.
 */
int px_tcp_accept(struct px_tcp_listener *l, struct px_tcp_conn **out,
		uint64_t timeout_ns);

/**
 * Stop listening: new SYNs get a RST, waiters in px_tcp_accept() return
 * -EBADF, and connections still in the calling lcore's queue are reset.
 * Other lcores reset theirs when they next poll the listener. The
 * listener's memory is freed by px_tcp_detach().
 *
 * @return 0, or -EINVAL.
 */
int px_tcp_listener_close(struct px_tcp_listener *l);

/**
 * Open a connection (task sockets). The local port is chosen so that the
 * peer's replies hash to the calling lcore.
 *
 * @param ip, port
 *   Peer address, network order.
 * @param timeout_ns
 *   Limit for the handshake (PX_TIMEOUT_INF: the SYN retry limit only).
 * @param out
 *   The connection, ESTABLISHED.
 * @return
 *   - 0 on success.
 *   - -ECONNREFUSED if the peer answered with a RST.
 *   - -ETIMEDOUT if it did not answer in time.
 *   - -EADDRNOTAVAIL if no local port hashes to this lcore.
 *   - -ENOBUFS if no connection block or mbuf is free.
 *   - -EHOSTUNREACH if there is no route.
 *   - -ECANCELED if the task was cancelled; -EINVAL on a bad argument.
 */
int px_tcp_connect(struct px_netif *nif, uint32_t ip, uint16_t port,
		uint64_t timeout_ns, struct px_tcp_conn **out);

/**
 * Read up to *len* bytes, parking the task until at least one is there.
 *
 * @return
 *   - the number of bytes read (> 0).
 *   - 0 at the end of the stream (the peer sent FIN).
 *   - -EAGAIN (timeout 0) or -ETIMEDOUT if nothing arrived.
 *   - -ECONNRESET, -ETIMEDOUT (retransmissions gave up) or -EPIPE once the
 *     connection failed.
 *   - -ECANCELED, -EXDEV (wrong lcore), -EINVAL.
 */
ssize_t px_tcp_read(struct px_tcp_conn *c, void *buf, size_t len,
		uint64_t timeout_ns);

/** px_tcp_read() into several buffers. Same returns. */
ssize_t px_tcp_readv(struct px_tcp_conn *c, const struct iovec *iov, int iovcnt,
		uint64_t timeout_ns);

/**
 * Copy what px_tcp_readv() would read now into *iov* without consuming
 * it (MSG_PEEK): the next read or peek sees the same bytes. Never waits.
 * Callable from a task or from outside one on the connection's lcore.
 *
 * @return
 *   - the number of bytes copied (> 0; up to the buffers' total).
 *   - 0 at the end of the stream.
 *   - -EAGAIN if nothing is there.
 *   - the errors of px_tcp_read() for a failed connection, -EXDEV,
 *     -EINVAL.
 */
ssize_t px_tcp_peekv(struct px_tcp_conn *c, const struct iovec *iov,
		int iovcnt);

/**
 * Write *len* bytes, parking the task while the send buffer is full, and
 * while the mbuf pool is below its reserve and this connection already
 * holds 2 KiB or more in its queues (tcp.sndbuf_nomem: slow readers
 * cannot take the mbufs receive needs). With timeout 0 it writes what fits and returns
 * at once.
 *
 * @return
 *   - the number of bytes written: *len*, or fewer if the timeout expired
 *     or the connection failed after some were written.
 *   - -EAGAIN (timeout 0, no room) or -ETIMEDOUT (nothing written).
 *   - -EPIPE after shutdown or close; -ECONNRESET/-ETIMEDOUT once failed.
 *   - -ENOBUFS (timeout 0, nothing written) if the pool is short or
 *     empty; -ECANCELED, -EXDEV, -EINVAL.
 */
ssize_t px_tcp_write(struct px_tcp_conn *c, const void *buf, size_t len,
		uint64_t timeout_ns);

/** px_tcp_write() from several buffers. Same returns. */
ssize_t px_tcp_writev(struct px_tcp_conn *c, const struct iovec *iov,
		int iovcnt, uint64_t timeout_ns);

/**
 * Zero-copy read: take the next received segment's mbuf (data only,
 * possibly chained); the caller frees it.
 *
 * @return
 *   - 0 with *m* set.
 *   - -EPIPE... as px_tcp_read(); end of stream is reported as 0 with
 *     *m* set to NULL.
 */
int px_tcp_recv_mbuf(struct px_tcp_conn *c, struct rte_mbuf **m,
		uint64_t timeout_ns);

/**
 * Zero-copy write: queue an mbuf chain (data only; the stack adds the
 * headers) without copying it into the send buffer. Takes ownership of *m*
 * on success and on every error except -EAGAIN/-ETIMEDOUT, where the
 * caller keeps it. Parks while the send buffer is full.
 *
 * @return 0 or an error as px_tcp_write().
 */
int px_tcp_send_mbuf(struct px_tcp_conn *c, struct rte_mbuf *m,
		uint64_t timeout_ns);

/**
 * Shut down the write side: a FIN follows the data already written. Reads
 * still work.
 *
 * @return 0, -ENOTCONN before the handshake ends, -EXDEV, -EINVAL.
 */
int px_tcp_shutdown(struct px_tcp_conn *c);

/**
 * Close gracefully and release the handle: unread data is discarded (a
 * RST is sent if there was any, RFC 1122 4.2.2.13), a FIN follows the
 * queued data, and the stack finishes the exchange in the background.
 * With PX_TCP_OPT_LINGER set, parks until the peer acknowledged
 * everything or the linger time expired (then sends RST).
 *
 * @return 0, -ETIMEDOUT (linger expired, connection reset), -EXDEV, -EINVAL.
 */
int px_tcp_close(struct px_tcp_conn *c);

/**
 * Abort: send a RST, drop both buffers and release the handle.
 *
 * @return 0, -EXDEV, -EINVAL.
 */
int px_tcp_abort(struct px_tcp_conn *c);

/**
 * Reset without releasing the handle: send a RST (if the connection is
 * synchronized), drop the send buffer and go to CLOSED with
 * -ECONNABORTED. Tasks parked on the connection wake with that error; the
 * handle stays valid until px_tcp_close() or px_tcp_abort() releases it.
 * What a relay uses to pass a reset from one side to the other while
 * another task may still be using the handle. No-op if already closed.
 *
 * @return 0, -EXDEV, -EINVAL.
 */
int px_tcp_reset(struct px_tcp_conn *c);

/**
 * Count the calling lcore's open connections on nif: every connection
 * block that is neither closed nor in TIME_WAIT (half-open ones from a
 * listener included); what px_tcp_drain() waits on. Call it from a task
 * or callback on an executor lcore.
 *
 * @return the count, or -EINVAL (no TCP on nif, or not an executor lcore).
 */
int px_tcp_open_count(const struct px_netif *nif);

/**
 * Reset every open connection of the calling lcore on nif, as the end of
 * a shutdown drain: each peer gets a RST, both buffers are dropped, the
 * connection goes to CLOSED with -ECONNABORTED, and tasks parked on it
 * wake with that error (their handles stay valid until they close them).
 * TIME_WAIT blocks are left to expire. Counted in tcp.shutdown_rst.
 *
 * @return the number of connections reset, or -EINVAL.
 */
int px_tcp_reset_all(struct px_netif *nif);

/**
 * Graceful TCP shutdown (from a task; close the listeners first, so no
 * connection comes in meanwhile): on every executor, wait until none of
 * its connections on the *n* interfaces is open (px_tcp_open_count()),
 * for at most *timeout_ns* or until *hurry* becomes nonzero, then reset
 * the ones still open (px_tcp_reset_all()) and return once the resets
 * have left for the wire (the port's flush, one loop iteration later).
 * Connections the peers close in time end normally, with FINs.
 *
 * @param nifs
 *   The interfaces, each with TCP attached.
 * @param timeout_ns
 *   The longest wait; 0 resets at once.
 * @param hurry
 *   NULL, or a flag to end the wait early (a second SIGINT): read every
 *   millisecond.
 * @return
 *   The number of connections reset, or -EINVAL (NULL or empty *nifs*,
 *   an interface without TCP, not in a task), or an error of
 *   px_exec_on_all().
 */
int px_tcp_drain(struct px_netif *const *nifs, unsigned int n,
		uint64_t timeout_ns, const volatile sig_atomic_t *hurry);

/**
 * Set an option (enum px_tcp_opt).
 *
 * @return 0, -EINVAL (unknown option or value out of range), -EXDEV.
 */
int px_tcp_setopt(struct px_tcp_conn *c, enum px_tcp_opt opt, int64_t val);

/**
 * Snapshot a connection's state and counters.
 *
 * @return 0, -EXDEV, -EINVAL.
 */
int px_tcp_info(const struct px_tcp_conn *c, struct px_tcp_info *out);

/** The name of a state ("ESTABLISHED"...). */
const char *px_tcp_state_name(enum px_tcp_state s);

/* ---- callback API ---- */

/**
 * Callbacks of a connection; each runs on the connection's lcore, inside
 * the stack (not in a task): it must not park. Unused ones may be NULL.
 * The calls it may make are the non-blocking ones: reads, writes and
 * px_tcp_send_mbuf() with timeout 0, shutdown, close, abort, setopt, info.
 */
struct px_tcp_cbs {
	/** A connection was accepted (listener callbacks only). Return 0 to
	 *  keep it, or call px_tcp_abort()/close() on it and return -1. */
	int (*on_accept)(struct px_tcp_conn *c, void *arg);
	/** Data (or the end of the stream) can be read. */
	void (*on_data)(struct px_tcp_conn *c, void *arg);
	/** Send buffer room opened after a write found it full. */
	void (*on_writable)(struct px_tcp_conn *c, void *arg);
	/** The connection ended: 0 after an orderly close of both sides,
	 *  or -ECONNRESET / -ETIMEDOUT / -ECONNREFUSED. The handle stays
	 *  valid until the application closes or aborts it. */
	void (*on_close)(struct px_tcp_conn *c, int status, void *arg);
};

/**
 * Listen with callbacks instead of an accept queue: every connection
 * that completes its handshake is handed to cbs->on_accept on its lcore.
 *
 * @return as px_tcp_listen(); -EINVAL if cbs->on_accept is NULL.
 */
int px_tcp_listen_cb(struct px_netif *nif, uint16_t port, uint32_t backlog,
		const struct px_tcp_cbs *cbs, void *arg,
		struct px_tcp_listener **out);

/**
 * Set or replace a connection's callbacks (NULL removes them). Connections
 * accepted through px_tcp_listen_cb() start with the listener's.
 *
 * @return 0, -EXDEV, -EINVAL.
 */
int px_tcp_set_cbs(struct px_tcp_conn *c, const struct px_tcp_cbs *cbs,
		void *arg);

/**
 * Open a connection without waiting: returns at once with the connection
 * in SYN_SENT; cbs->on_writable runs when it is established, and
 * cbs->on_close with an error if it fails.
 *
 * @return 0, or an error as px_tcp_connect() (except -ETIMEDOUT).
 */
int px_tcp_connect_cb(struct px_netif *nif, uint32_t ip, uint16_t port,
		const struct px_tcp_cbs *cbs, void *arg,
		struct px_tcp_conn **out);

/** Bytes that can be read now without parking. */
uint32_t px_tcp_readable(const struct px_tcp_conn *c);

/** Bytes that can be written now without parking. */
uint32_t px_tcp_writable(const struct px_tcp_conn *c);

/** Readiness bits of px_tcp_poll(). */
#define PX_TCP_POLL_IN    (1u << 0) /**< a read would not wait: data, the
                                         end of the stream, or an error */
#define PX_TCP_POLL_OUT   (1u << 1) /**< a write would not wait */
#define PX_TCP_POLL_RDHUP (1u << 2) /**< the peer sent its FIN */
#define PX_TCP_POLL_HUP   (1u << 3) /**< both directions are shut, or
                                         the connection ended */
#define PX_TCP_POLL_ERR   (1u << 4) /**< the connection failed (reset,
                                         refused, timed out) */

/**
 * A connection's readiness as Linux's tcp_poll() reports it, for an
 * event loop that multiplexes many connections (the POSIX layer's
 * epoll and poll). IN: bytes to read (at least the receive low-water
 * mark), the end of the stream, or an error. OUT: the connection is
 * established (or half closed by the peer) and the free send buffer is
 * at least half of what is queued (Linux's sk_stream_is_writeable(), so a
 * level-triggered writer does not dribble tiny writes), or the write side
 * is shut (a write then fails at once). RDHUP: the peer's FIN arrived.
 * HUP: the connection is closed, or both sides sent their FIN. ERR: it
 * failed; the error is what px_tcp_read() returns. A connection still
 * opening (SYN_SENT, SYN_RCVD) reports nothing. Cheap: a few loads.
 * As Linux's tcp_poll() sets SOCK_NOSPACE, a poll that finds the
 * connection not writable arms on_writable: it runs once the send buffer
 * is back at the threshold, so a poller that waits for OUT hears of it
 * even though no write failed.
 *
 * @return a mask of PX_TCP_POLL_* bits.
 */
uint32_t px_tcp_poll(struct px_tcp_conn *c);

/**
 * The error a failed connection reports: -ECONNRESET, -ECONNREFUSED,
 * -ETIMEDOUT, -ECONNABORTED..., or 0 while it has none (SO_ERROR).
 */
int px_tcp_error(const struct px_tcp_conn *c);

/* ---- counters ---- */

/** Sum of every lcore's counters. */
void px_tcp_stats(const struct px_netif *nif, struct px_tcp_stats *out);

/**
 * One executor's counters.
 *
 * @param lcore_id
 *   The executor's lcore.
 * @return 0, or -EINVAL (no TCP on nif, or no executor on *lcore_id*).
 */
int px_tcp_stats_lcore(const struct px_netif *nif, unsigned int lcore_id,
		struct px_tcp_stats *out);

/**
 * Print the summed counters: "tcp.name=value" lines, or with *json* a
 * member `"tcp": {...}` of an object the caller opens and closes.
 */
void px_tcp_stats_print(const struct px_netif *nif, FILE *f, bool json);

/**
 * The counters' names, in the order of struct px_tcp_stats's fields, for
 * px_counters_print() and other renderings of the same set.
 *
 * @param n
 *   Receives the count, PX_COUNTERS_N(struct px_tcp_stats).
 */
const char *const *px_tcp_stats_names(unsigned int *n);

/**
 * Print the calling lcore's connections, one per line (state, addresses,
 * windows, counters), for debugging.
 */
void px_tcp_dump(const struct px_netif *nif, FILE *f);

#ifdef __cplusplus
}
#endif
#endif /* _PX_TCP_H_ */
