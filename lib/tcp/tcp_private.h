/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#ifndef _TCP_PRIVATE_H_
#define _TCP_PRIVATE_H_

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include <rte_jhash.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_tcp.h>

#include <px_exec.h>
#include <px_sync.h>
#include <px_timer.h>

#include "inet_l4.h" /* all TCP may use of lib/inet */
#include "px_tcp.h"

#define TCP_HASH_SIZE 16384    /* buckets per lcore, power of 2 */
#define TCP_OOO_MAX 64         /* out-of-order segments, upper bound */
#define TCP_COALESCE 512       /* small segments are copied into the
                                  previous mbuf's tailroom */
#define TCP_DEFAULT_MSS 536    /* RFC 9293 3.7.1: no MSS option */
#define TCP_MEM_FAIR 2048     /* a connection holding less than this
                                  (about a segment) still takes data and
                                  grows its send buffer while the pool
                                  is short (tcp_mem_level()): a few
                                  mbufs each below the reserve, so many
                                  connections cannot take it all */
#define TCP_MIN_MSS 64         /* the floor of a peer's MSS (a tiny one
                                  would cost a segment per few bytes;
                                  Linux's tcp_min_snd_mss is 48) */
#define TCP_MAX_WSCALE 14      /* RFC 7323 2.3 */
#define TCP_OPT_SPACE 40
#define TCP_SACK_SB 32         /* SACKed ranges the sender keeps */
#define TCP_CONF_MAX_MS 86400000u /* a day: the bound on every configured
                                     time (px_tcp_attach()) */

/* Flags as on the wire. */
#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20
#define TH_ECE 0x40  /* RFC 3168 */
#define TH_CWR 0x80

/* Wrap-safe sequence arithmetic (RFC 9293 3.4). */
#define SEQ_LT(a, b)  ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b)  ((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)
#define SEQ_GEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) >= 0)

/* States are bits, so guards can test a set (TCP_IN_STATE()). */
enum tcp_state {
	TCP_CLOSED      = 1 << 0,
	TCP_LISTEN      = 1 << 1,
	TCP_SYN_SENT    = 1 << 2,
	TCP_SYN_RCVD    = 1 << 3,
	TCP_ESTABLISHED = 1 << 4,
	TCP_FIN_WAIT_1  = 1 << 5,
	TCP_FIN_WAIT_2  = 1 << 6,
	TCP_CLOSE_WAIT  = 1 << 7,
	TCP_CLOSING     = 1 << 8,
	TCP_LAST_ACK    = 1 << 9,
	TCP_TIME_WAIT   = 1 << 10,
};
#define TCP_IN_STATE(c, set) (((c)->state & (set)) != 0)
/* Synchronized states (RFC 9293 3.5.2). */
#define TCP_SYNCED (TCP_ESTABLISHED | TCP_FIN_WAIT_1 | TCP_FIN_WAIT_2 | \
		TCP_CLOSE_WAIT | TCP_CLOSING | TCP_LAST_ACK | TCP_TIME_WAIT)
/* States that still take data from the peer. */
#define TCP_RCV_OPEN (TCP_ESTABLISHED | TCP_FIN_WAIT_1 | TCP_FIN_WAIT_2)
/* States where the application may still queue data. */
#define TCP_SND_OPEN (TCP_SYN_SENT | TCP_SYN_RCVD | TCP_ESTABLISHED | \
		TCP_CLOSE_WAIT)

/* Connection flags. */
#define TF_ACK_NOW    (1u << 0)  /* send an ACK at the end of the burst */
#define TF_IN_ACKQ    (1u << 1)  /* on the lcore's burst-end list */
#define TF_NODELAY    (1u << 2)
#define TF_TS         (1u << 3)  /* timestamps in use */
#define TF_SACK       (1u << 4)  /* SACK permitted both ways */
#define TF_WS         (1u << 5)  /* window scaling in use */
#define TF_FIN_QUEUED (1u << 6)  /* shutdown: FIN after the queued data */
#define TF_RCVD_FIN   (1u << 7)  /* the peer's FIN is in (stream ended) */
#define TF_USER       (1u << 8)  /* the application holds the handle */
#define TF_KEEPALIVE  (1u << 9)
#define TF_RECOVERY   (1u << 10) /* in fast recovery (RFC 6582) */
#define TF_WR_BLOCKED (1u << 11) /* a writer found the buffer full */
#define TF_OOO_FIN    (1u << 12) /* a FIN arrived past a hole */
#define TF_PASSIVE    (1u << 13) /* created by a listener */
#define TF_RTT_TIMING (1u << 14) /* rtt_seq is being timed */
#define TF_PERSIST    (1u << 15) /* t_rtx is the persist timer */
#define TF_ORPHAN     (1u << 16) /* closed by the application */
#define TF_RD_SHUT    (1u << 17) /* reads report EOF (closed) */
#define TF_IN_CB      (1u << 18) /* a callback is running */
#define TF_FREE_LATER (1u << 19) /* released inside a callback */
#define TF_FORCE      (1u << 20) /* persist expired: send past SWS rules */
#define TF_UNDO       (1u << 21) /* a retransmission may be undone */
#define TF_UNDO_RTO   (1u << 22) /* ... and it was a timeout's */
#define TF_SACK_RECOV (1u << 23) /* recovery driven by SACK (RFC 6675) */
#define TF_COOKIE     (1u << 24) /* a stateless SYN-ACK (tcp_cookie.c) */
#define TF_RTT_KARN   (1u << 25) /* data was resent since the last RTT
                                    sample: the echoed timestamp may
                                    give the next (tcp_rtt_ack()) */
#define TF_NO_DF      (1u << 26) /* the path's MTU is below TCP_PMTU_MIN:
                                    send without DF (routers fragment) */
#define TF_DSACK      (1u << 27) /* dsack[] goes first in the next ACK */
#define TF_ORPHAN_CNT (1u << 28) /* counted in st.orphans */
#define TF_ECN        (1u << 29) /* ECN in use (RFC 3168 6.1.1) */
#define TF_ECE_SEND   (1u << 30) /* a CE mark came: ECE on our ACKs
                                    until the peer's CWR */
#define TF_CWR_SEND   (1u << 31) /* we reduced for an ECE: CWR on the
                                    next new data */

/* Tail loss probe states (RFC 8985 7). */
#define TFO_COOKIE 1 /* our Fast Open cookie goes in the SYN-ACK */
#define TFO_DATA   2 /* the SYN's data was taken (RFC 7413): accepted,
                        read and written in SYN-RECEIVED */
#define TFO_FIN    4 /* closed or shut down in SYN-RECEIVED: the FIN
                        goes once the handshake completes */
#define TFO_COOKIE_LEN 8

#define TLP_NONE  0
#define TLP_ARMED 1  /* t_rtx is the probe timeout (PTO), not the RTO */
#define TLP_NEW   2  /* a probe of new data is out */
#define TLP_RTX   3  /* a probe resending the last segment is out */
#define TCP_PTO_MIN_US 2000     /* Linux's TCP_TIMEOUT_MIN at HZ=1000 */
#define TCP_WC_DELACK_US 200000 /* RFC 8985 7.2: WCDelAckT */

/* Callback events, delivered at the end of the burst (tcp_flush()). */
#define TCP_EV_DATA     (1u << 0)
#define TCP_EV_WRITABLE (1u << 1)
#define TCP_EV_CLOSE    (1u << 2)
#define TCP_EV_ACCEPT   (1u << 3)

struct tcp_netif;
struct tcp_lcore;
struct tcp_conn;

/* Congestion control behind a small interface (RFC 5681 terms), so CUBIC
 * and others plug in beside NewReno. */
struct tcp_cc_ops {
	const char *name;
	void (*init)(struct tcp_conn *c);
	/* New data acknowledged outside recovery. */
	void (*on_ack)(struct tcp_conn *c, uint32_t acked);
	/* Loss detected (duplicate ACKs or SACK): set ssthresh, and cwnd to
	 * it (the caller adds NewReno's inflation). */
	void (*on_fast_loss)(struct tcp_conn *c);
	/* Retransmission timeout. */
	void (*on_rto)(struct tcp_conn *c);
	/* Recovery ended by a full ACK. */
	void (*on_recovered)(struct tcp_conn *c);
};
extern const struct tcp_cc_ops tcp_cc_newreno;
extern const struct tcp_cc_ops tcp_cc_cubic;
const struct tcp_cc_ops *tcp_cc_of(enum px_tcp_cc cc);

/* CUBIC's state (RFC 9438 4.1), bytes and seconds. */
struct tcp_cubic {
	uint64_t epoch;   /* TSC when this avoidance epoch began; 0: none */
	double k;         /* seconds from epoch to the plateau */
	double origin;    /* the plateau (W_max, or cwnd if above it) */
	double w_max;     /* window before the last reduction */
	double w_est;     /* Reno-friendly window */
	double frac;      /* growth not yet a whole byte */
};

/* HyStart++ (RFC 9406), in the first slow start: the round's RTT
 * samples, in microseconds (from the timestamps the peer echoes, so
 * 1 ms steps; UINT32_MAX: none). */
struct tcp_hystart {
	uint32_t window_end;    /* the round ends when snd_una passes it */
	uint32_t cur_min, last_min; /* this round's and the last's */
	uint32_t css_base;      /* the RTT that started CSS */
	uint8_t samples;        /* this round's so far */
	uint8_t css_rounds;
	uint8_t state;          /* HS_* */
};
#define HS_OFF 0            /* not slow start, or never again */
#define HS_SS  1            /* slow start, watching the RTT */
#define HS_CSS 2            /* conservative slow start (RFC 9406 4.2) */

/* RACK (RFC 8985 6; tcp_rack.c): when the data in flight was sent, in
 * microseconds (wrapping u32), coarsely. First transmissions are in
 * sequence order, so a few ranges hold their times: tx[k] covers from
 * its seq to the next one's (the last to snd_max), sent between lo and
 * hi. Resent ranges ("sweeps": resends in sequence order, across the
 * SACKed blocks between them) are kept apart, oldest first; one a
 * loss was found in is marked in rx_lost, and what of it is resent
 * again leaves it. Merging two ranges when full widens lo..hi: a loss
 * is then found later, never sooner. */
#define RACK_TX 8
#define RACK_RX 4
struct tcp_rack_tx {
	uint32_t seq, lo, hi;
};
struct tcp_rack_rx {
	uint32_t s, e, lo, hi;
};
struct tcp_rack {
	struct tcp_rack_tx tx[RACK_TX];
	struct tcp_rack_rx rx[RACK_RX];
	uint8_t tx_n, rx_n, rx_lost; /* rx_lost: bit k, rx[k] */
	uint8_t have;               /* xmit/end are set */
	uint8_t xmit_first;         /* ... by a first transmission */
	uint8_t reord;              /* reordering seen (RACK.reord) */
	uint8_t reo_mult, reo_persist; /* RFC 8985 6.2 step 4 (D-SACK) */
	uint8_t timer;              /* 0; 1: due is set; 2: and t_rtx is
	                               armed for it */
	uint8_t rx_since;           /* resent since tx's newest began */
	uint32_t xmit, end;         /* RACK.xmit_ts, RACK.end_seq */
	uint32_t rtt;               /* RACK.rtt, us */
	uint32_t min_rtt;           /* the least RTT sample, us */
	uint32_t fack;              /* the highest end delivered */
	uint32_t dsack_round;       /* one reo_mult step per round */
	uint32_t due;               /* the reordering timer's time, us */
};

/* A contiguous range held out of order: a chain of segments. */
struct tcp_ooo_ent {
	uint32_t seq;
	uint32_t len;
	struct rte_mbuf *m, *tail;
	uint32_t nseg;              /* mbufs in the chain */
};

/* A range of sequence space the peer SACKed, [s, e). */
struct tcp_sack_blk {
	uint32_t s, e;
};

/* A parsed segment. */
struct tcp_seg {
	uint32_t seq, ack, len; /* len: payload bytes */
	uint32_t wnd;           /* raw field */
	uint8_t flags;
	uint8_t ecn;            /* TH_ECE, TH_CWR as they came */
	uint8_t ip_ce;          /* the IP header said CE (RFC 3168 5) */
	/* options */
	uint8_t has_mss, has_ws, sack_ok, has_ts, nsack;
	uint8_t tfo_len;        /* Fast Open option's length (RFC 7413 2):
	                           0 none, 2 a cookie request */
	uint8_t ws;
	uint16_t mss;
	uint32_t tsval, tsecr;
	uint16_t segs;          /* segments joined by GRO (0: one) */
	uint32_t sack[4][2];
	uint8_t tfo_cookie[16]; /* tfo_len - 2 bytes (not cleared) */
};

struct tcp_conn {
	/* lookup */
	struct tcp_conn *hnext;
	uint32_t raddr, laddr;      /* network order */
	uint16_t rport, lport;      /* network order */
	uint32_t state;
	uint32_t flags;
	struct tcp_lcore *tl;
	struct px_tcp_listener *lst; /* passive: the listener, until accepted */
	TAILQ_ENTRY(tcp_conn) link;  /* lcore list: all, or TIME_WAIT */
	struct tcp_conn *ack_next;   /* burst-end list */
	/* send sequence space (RFC 9293 3.3.1) */
	uint32_t iss, snd_una, snd_nxt, snd_max;
	uint32_t snd_wnd, snd_wl1, snd_wl2, max_sndwnd;
	uint32_t cwnd, ssthresh, recover;
	uint32_t dupacks;
	uint32_t dupthresh;         /* 3, raised by detected reordering */
	uint32_t lt_allow;          /* limited transmit (RFC 3042), bytes */
	uint32_t undo_cwnd, undo_ssthresh, undo_tsval; /* RFC 3522 */
	uint32_t ca_acked;          /* bytes acked toward the next CA step */
	uint16_t mss;               /* peer's MSS, clamped to ours */
	uint16_t rmss;              /* ours, advertised */
	uint8_t snd_wscale, rcv_wscale;
	uint8_t backoff, retries;
	uint8_t bh_next;            /* the timeout of the series that may
	                               lower the MSS next (black hole) */
	uint8_t cork;               /* PX_TCP_OPT_CORK: full segments only */
	/* receive sequence space */
	uint32_t irs, rcv_nxt, rcv_adv, last_ack_sent;
	uint32_t fin_rseq;          /* seq of a FIN that came past a hole */
	uint32_t ts_recent;
	uint64_t ts_recent_tsc;
	uint32_t ts_off;            /* added to our TSvals (tcp_ts_now()) */
	uint32_t segs_unacked;      /* full segments since our last ACK */
	/* RTT (RFC 6298), in microseconds */
	uint32_t srtt_us, rttvar_us, rto_us;
	uint32_t rtt_seq;
	uint64_t rtt_tsc;
	uint64_t last_rx_tsc;       /* keepalive idle time */
	uint64_t last_tx_tsc;       /* when data last went out (RFC 5681 4.1) */
	uint64_t oow_tsc;           /* our last ACK to an invalid segment ... */
	uint64_t chal_tsc;          /* ... and our last challenge ACK */
	/* buffers */
	uint32_t sndbuf, rcvbuf;
	/* The send and receive queues: tcp_buf.h. */
	struct rte_mbuf *sq, *sq_tail; /* send buffer: unacked, then unsent */
	struct rte_mbuf *cur;       /* lookup cursor: a segment of sq ... */
	uint32_t cur_seq;           /* ... and its first sequence number */
	uint32_t sq_seq;            /* seq of the first byte in sq */
	uint32_t sq_bytes;          /* unacked + unsent */
	struct rte_mbuf *rq, *rq_tail; /* received in order, unread */
	uint32_t rq_bytes;
	uint32_t ooo_cnt, ooo_bytes, ooo_last;
	uint32_t ooo_segs;          /* mbufs the ranges pin (tcp_ooo_cap()) */
	uint32_t dsack[2];          /* a duplicate received: [start, end) */
	/* Tail loss probe (RFC 8985 7; tcp_out.c tcp_tlp_fire()) */
	uint8_t tlp_state;          /* TLP_* */
	uint8_t tfo;                /* TFO_* (tcp_in.c tfo_syn()) */
	uint8_t tlp_dsacked;        /* a D-SACK covered the probe */
	uint8_t lost_below_ok;      /* lost_below is set */
	uint32_t tlp_seq, tlp_end;  /* what the probe carried */
	/* Proportional rate reduction in SACK recovery (RFC 6937) */
	uint32_t prr_delivered;     /* bytes the peer got since it began */
	uint32_t prr_out;           /* bytes sent since it began */
	uint32_t recover_fs;        /* the flight when it began */
	uint32_t ecn_high;          /* snd_max when we last reduced for an
	                               ECE: once per window (RFC 3168 6.1.2) */
	uint32_t lost_below;        /* holes below this are lost: the probe
	                               past them was delivered (RACK's rule,
	                               RFC 8985 6.2, for the probe) */
	int err;                    /* why it ended: -ECONNRESET... */
	int soft_err;               /* an ICMP error seen while established:
	                               reported if it times out (RFC 1122
	                               4.2.3.9) */
	uint32_t ev;                /* TCP_EV_* pending for callbacks */
	int64_t linger_ms;
	uint32_t ka_idle_s, ka_intvl_s, ka_cnt, ka_probes;
	uint32_t user_to_ms;        /* PX_TCP_OPT_USER_TIMEOUT, 0: off */
	uint32_t rcvlowat;          /* PX_TCP_OPT_RCVLOWAT, >= 1 */
	uint64_t rtx_since_tsc;     /* when the data (or the probes) now
	                               unanswered went out first: the series
	                               of retries began one RTO before */
	/* timers on the owner lcore's wheel */
	struct px_timer t_rtx;      /* RTO, SYN retries, persist */
	struct px_timer t_dack;     /* delayed ACK */
	struct px_timer t_slow;     /* keepalive, FIN_WAIT_2, TIME_WAIT */
	/* tasks */
	struct px_notify rd, wr;
	/* callbacks */
	struct px_tcp_cbs cbs;
	void *cb_arg;
	const struct tcp_cc_ops *cc;
	struct tcp_cubic cub;
	struct tcp_hystart hs;
	struct tcp_rack rack;
	uint32_t ack_rtt_us;        /* the ACK being processed: its echoed
	                               timestamp's RTT, UINT32_MAX: none */
	/* per-connection counters */
	uint64_t seg_in, seg_out, retrans, dup_acks, ooo_in, bytes_in, bytes_out;
	/* SACK scoreboard (tcp_sack.c): sb_n sorted ranges above snd_una,
	 * sacked bytes in them; high_rxt is RFC 6675 HighRxt */
	uint32_t sb_n, sacked, high_rxt;
	struct tcp_ooo_ent ooo[TCP_OOO_MAX];
	struct tcp_sack_blk sb[TCP_SACK_SB];
};

TAILQ_HEAD(tcp_conn_list, tcp_conn);

/* One lcore's share of a listener. */
struct tcp_listen_lc {
	struct tcp_conn **q;     /* accept queue, backlog entries */
	uint32_t head, len;
	uint32_t synq;           /* half-open connections */
	uint32_t drained;        /* closed and emptied on this lcore */
	uint32_t ninit;          /* ready initialised (by this lcore) */
	uint64_t cookie_until;   /* TSC: cookies sent lately, ACKs may
	                            carry one */
	struct px_notify ready;
};

struct px_tcp_listener {
	struct px_netif *nif;
	uint16_t port;           /* network order */
	uint32_t backlog;
	uint32_t closed;
	struct px_tcp_cbs cbs;   /* callback mode when cbs.on_accept != NULL */
	void *cb_arg;
	struct px_tcp_listener *next; /* all listeners, freed at detach */
	struct tcp_listen_lc lc[];
};

/* Path MTU discovery (RFC 1191, RFC 5927; issue 16). Fragmentation
 * needed lowers the MTU a destination is known to take, down to
 * TCP_PMTU_MIN (Linux's min_pmtu: a lower report, true or forged, is
 * raised to it and the connection sends without DF, so a blind attacker
 * cannot make it send tiny segments). What one connection learns is kept
 * per lcore by destination for TCP_PMTU_EXPIRE_S (Linux's mtu_expires),
 * for the next connections there. A path that drops big segments
 * without saying so (a black hole: ICMP filtered) is found by timeouts
 * (RFC 4821 5.5 style, Linux's tcp_mtu_probing=1): once a series of
 * timeouts in a row has lasted TCP_BH_MIN_MS (and counts two at least),
 * its timeout of a segment larger than TCP_BH_BASE, and the next one of
 * a segment larger than TCP_BH_FLOOR, lower the MSS to those. */
#define TCP_PMTU_MIN      552
#define TCP_PMTU_SLOTS    64
#define TCP_PMTU_EXPIRE_S 600
#define TCP_BH_BASE       1024  /* Linux's tcp_base_mss */
#define TCP_BH_FLOOR      536   /* RFC 879's default MSS */
#define TCP_BH_MIN_MS     500   /* a series of timeouts this long, at
                                   least two, before it is taken for a
                                   black hole (Linux waits out
                                   tcp_retries1, 3 of its >= 200 ms RTOs:
                                   a short RTO and a descheduled peer
                                   would otherwise cut the MSS of a
                                   path that only lost a burst) */

struct tcp_pmtu {
	uint32_t dst;                /* network order; 0: empty */
	uint16_t mtu;
	uint8_t no_df;
	uint64_t expire_tsc;
};

/* Receive coalescing (tcp_in.c): the data segment being held, with the
 * ones joined behind it, until a segment that does not follow it or the
 * end of the burst. */
struct tcp_gro {
	struct tcp_conn *c;          /* NULL: nothing held */
	struct rte_mbuf *m, *tail;   /* payload chain */
	struct tcp_seg seg;          /* the first's, len and segs summed */
	uint32_t olen;               /* its option bytes */
	uint8_t opts[40];
};

struct tcp_lcore {
	struct px_tcp_stats st;
	struct tcp_netif *tn;
	struct px_netif *nif;
	struct px__inet_l4_lcore *ilc; /* the interface here: clock, output */
	struct rte_mempool *mp;      /* the interface's */
	struct px_timer_wheel *wheel;
	struct tcp_conn *ackq;       /* conns with output due at burst end */
	struct tcp_conn_list conns;  /* live, not TIME_WAIT */
	struct tcp_conn_list tw;     /* TIME_WAIT, oldest first */
	uint32_t port_hint;
	unsigned int index;
	uint64_t chal_tokens, chal_last; /* challenge ACKs left this second,
	                                    and when it began */
	uint64_t mem_tsc;            /* tcp_mem_level(): last reading ... */
	int mem_lvl;                 /* ... and what it said */
	uint32_t hash_seed;          /* tcp_hash()'s key, random */
	struct tcp_pmtu pmtu[TCP_PMTU_SLOTS]; /* by destination hash */
	struct tcp_conn *hash[TCP_HASH_SIZE];
	struct tcp_gro gro;
	struct tcp_conn scratch;     /* builds cookie SYN-ACKs (no state) */
};

struct tcp_netif {
	struct px_tcp_conf conf;
	struct px_netif *nif;
	const struct px_inet_conf *iconf; /* the interface's settings (live:
	                                     the port sets its offloads) */
	uint32_t n_lcores;
	struct rte_mempool *conn_pool;
	uint64_t hz;
	uint64_t cyc_per_us, cyc_per_ms;
	uint64_t delack_cyc, msl_cyc, fw2_cyc, oow_cyc;
	uint32_t max_seg;            /* payload that fits one mbuf with headers */
	uint32_t mem_low;            /* tcp_mem_level(): free mbufs kept */
	uint64_t isn_key[2];         /* RFC 6528 secret, per boot */
	uint64_t cookie_key[2];      /* SYN cookie secret, per boot */
	uint64_t ts_key[2];          /* TSval offsets' secret, per boot */
	struct px_tcp_listener *listen[65536]; /* by host-order port */
	struct px_tcp_listener *all;
	struct tcp_lcore *lc[PX_MAX_LCORES];
};

#define TCP_MSG_LCLOSE (PX_MSG_LIB_BASE + 16) /* a: listener */

/* TCP on an interface, or NULL if not attached. */
static inline struct tcp_netif *
tcp_netif_of(const struct px_netif *nif)
{
	return (struct tcp_netif *)px__inet_l4_ctx(nif, IPPROTO_TCP);
}

/* The calling lcore's TCP on an interface, or NULL. */
static inline struct tcp_lcore *
tcp_lcore_of(const struct px_netif *nif)
{
	return (struct tcp_lcore *)px__inet_l4_lctx(nif, IPPROTO_TCP);
}

/* Hand a segment (data at the TCP header) to IP: the checksum is filled
 * there, or by the port. Takes m. */
static inline int
tcp_ip_output(struct tcp_lcore *tl, struct rte_mbuf *m, uint32_t dst,
		unsigned int flags)
{
	return px__inet_output(tl->nif, tl->ilc, m, dst, IPPROTO_TCP,
			offsetof(struct rte_tcp_hdr, cksum), RTE_MBUF_F_TX_TCP_CKSUM,
			flags);
}

/* The connection table's bucket: Jenkins' hash keyed with a random seed
 * per lcore (as Linux's inet_ehashfn()), so a peer cannot compute
 * offline the 4-tuples that share a bucket and make every lookup walk
 * them (TCP review A.16). */
static inline uint32_t
tcp_hash(const struct tcp_lcore *tl, uint32_t raddr, uint16_t rport,
		uint16_t lport)
{
	return rte_jhash_3words(raddr, (uint32_t)rport << 16 | lport, 0,
			tl->hash_seed) & (TCP_HASH_SIZE - 1);
}

static inline struct tcp_conn *
tcp_lookup(struct tcp_lcore *tl, uint32_t raddr, uint16_t rport, uint16_t lport)
{
	struct tcp_conn *c = tl->hash[tcp_hash(tl, raddr, rport, lport)];

	while (c != NULL && (c->raddr != raddr || c->rport != rport ||
			c->lport != lport))
		c = c->hnext;
	return c;
}

/* How short the interface's mbuf pool runs, read at most every 10 us
 * (rte_mempool_avail_count() walks the lcore caches), against the
 * reserve mem_low. 0: fine; 1 (below the reserve): the receive windows
 * stop growing, out-of-order data is not kept, and the send buffers of
 * connections holding TCP_MEM_FAIR or more stop growing; 2 (below half
 * of it): arriving data is dropped too, but for connections holding
 * less than TCP_MEM_FAIR; 3 (below a quarter): all arriving data is
 * dropped and no send buffer grows. The pool keeps what the receive
 * ring needs to bring in the ACKs that free the queues, and connections
 * that hold little (a new one, an RPC) go on while others hold the rest
 * (TCP review A.1: slow readers wedged every connection). */
static inline int
tcp_mem_level(struct tcp_lcore *tl)
{
	uint64_t now = tl->ilc->now;
	unsigned int avail, low = tl->tn->mem_low;

	if (unlikely(now - tl->mem_tsc > tl->tn->cyc_per_us * 10)) {
		tl->mem_tsc = now;
		avail = rte_mempool_avail_count(tl->mp);
		tl->mem_lvl = avail >= low ? 0 : avail >= low / 2 ? 1 :
			avail >= low / 4 ? 2 : 3;
	}
	return tl->mem_lvl;
}

/* Payload bytes a connection holds in its queues. */
static inline uint32_t
tcp_conn_mem(const struct tcp_conn *c)
{
	return c->rq_bytes + c->ooo_bytes + c->sq_bytes;
}

/* May c take another mbuf for its queues at this memory level? */
static inline int
tcp_mem_allows(struct tcp_conn *c, int lvl)
{
	return lvl == 0 || (lvl < 3 && tcp_conn_mem(c) < TCP_MEM_FAIR);
}

/* Bytes of sequence space in flight. */
/* RFC 2883: data [s, e) came again; the next ACK reports it in a
 * D-SACK block, first (only the first duplicate since the last ACK is
 * kept, as 4 asks). */
static inline void
tcp_dsack_set(struct tcp_conn *c, uint32_t s, uint32_t e)
{
	if ((c->flags & (TF_SACK | TF_DSACK)) != TF_SACK || s == e)
		return;
	c->dsack[0] = s;
	c->dsack[1] = e;
	c->flags |= TF_DSACK;
}

static inline uint32_t
tcp_flight(const struct tcp_conn *c)
{
	return c->snd_max - c->snd_una;
}

/* Payload per segment after our per-segment options (RFC 9293 3.7.1). */
static inline uint32_t
tcp_eff_mss(const struct tcp_conn *c)
{
	return c->mss - ((c->flags & TF_TS) ? 12u : 0u);
}

/* The initial window, RFC 6928: min(10 * MSS, max(2 * MSS, 14600)). */
static inline uint32_t
tcp_iw(const struct tcp_conn *c)
{
	uint32_t mss = tcp_eff_mss(c);

	return RTE_MIN(10 * mss, RTE_MAX(2 * mss, 14600u));
}

/* Sequence number right after the last queued byte (where a FIN goes). */
static inline uint32_t
tcp_data_end(const struct tcp_conn *c)
{
	return c->sq_seq + c->sq_bytes;
}

/* Our TSval now: RFC 7323 5.4's 1 ms clock, plus the connection's
 * offset (7.1: a clock shared by all connections tells the host's
 * uptime and links its connections; tcp_ts_off()). */
static inline uint32_t
tcp_ts_now(const struct tcp_conn *c)
{
	return (uint32_t)(rte_rdtsc() / c->tl->tn->cyc_per_ms) + c->ts_off;
}

/* tcp.c */
uint32_t tcp_ts_off(const struct tcp_lcore *tl, const struct tcp_conn *c);
int tcp_conn_alloc(struct tcp_lcore *tl, struct tcp_conn **out);
void tcp_conn_insert(struct tcp_lcore *tl, struct tcp_conn *c);
/* The single state transition point; err (<= 0) is the reason it ends. */
void tcp_set_state(struct tcp_conn *c, uint32_t state, int err);
/* Free when neither the stack nor the application holds it. */
void tcp_conn_maybe_free(struct tcp_conn *c);
void tcp_wake(struct tcp_conn *c, int rd, int wr);
int tcp_accept_ready(struct tcp_conn *c);
/* Is c's listener's accept queue on this lcore full (a task listener;
 * callback listeners have none)? */
int tcp_accept_full(const struct tcp_conn *c);
struct tcp_listen_lc *tcp_listen_lc_of(struct px_tcp_listener *l,
		struct tcp_lcore *tl);
uint32_t tcp_isn(struct tcp_lcore *tl, const struct tcp_conn *c);
uint64_t tcp_siphash(const uint64_t k[2], uint64_t m0, uint64_t m1);
void tcp_conn_init_common(struct tcp_lcore *tl, struct tcp_conn *c);
void tcp_tfo_cookie(const struct tcp_lcore *tl, uint32_t raddr,
		uint8_t out[TFO_COOKIE_LEN]);
enum px_tcp_state tcp_state_public(uint32_t state);
/* Run output and callbacks of the connections queued on this lcore. */
void tcp_flush(struct tcp_lcore *tl);
/* Queue c for tcp_flush(). */
void tcp_enqueue(struct tcp_conn *c);

/* tcp_sock.c: another lcore closed a listener (TCP_MSG_LCLOSE). */
void tcp_queue_fin(struct tcp_conn *c);
void tcp_lclose_msg(const struct px_msg *msg, void *ctx);

/* tcp_in.c */
void tcp_input(struct px_netif *nif, void *lctx, struct rte_mbuf *m,
		const struct rte_ipv4_hdr *ip);
void tcp_burst_end(struct px_netif *nif, void *lctx);
/* Send the segments GRO holds (tcp_input()) on through the input path. */
void tcp_gro_flush(struct tcp_lcore *tl);
void tcp_tlp_fire(struct tcp_conn *c);
void tcp_sack_loss_check(struct tcp_conn *c);
int tcp_sack_covers(const struct tcp_conn *c, uint32_t s, uint32_t e);

/* tcp_icmp.c: ICMP errors, path MTU, black holes */
void tcp_set_snd_mss(struct tcp_conn *c, uint32_t peer_mss);
int tcp_pmtu_blackhole(struct tcp_conn *c);
void tcp_icmp_err(struct px_netif *nif, void *lctx,
		const struct rte_ipv4_hdr *quoted, uint8_t type, uint8_t code,
		uint32_t info);
/* tcp_in.c, tcp_listen_in.c: the input path */
void tcp_negotiate(struct tcp_conn *c, const struct tcp_seg *seg);
void tcp_cc_start(struct tcp_conn *c);
void tcp_rcv_data(struct tcp_conn *c, struct rte_mbuf *m, uint32_t seq,
		uint32_t len, uint32_t segs);
struct tcp_conn *tcp_listen_input(struct tcp_lcore *tl, struct rte_mbuf **mp,
		const struct rte_ipv4_hdr *ip, const struct rte_tcp_hdr *th,
		struct tcp_seg *seg, uint32_t tw_iss);
/* px__: the fuzz target calls it (test/fuzz/fuzz_tcp_opts.c). */
int px__tcp_parse_opts(const uint8_t *p, uint32_t len, struct tcp_seg *seg,
		int syn);

/* tcp_sack.c */
void tcp_sack_clear(struct tcp_conn *c);
void tcp_sack_update(struct tcp_conn *c, const struct tcp_seg *seg);
void tcp_sack_trim(struct tcp_conn *c);
int tcp_sack_is_lost(const struct tcp_conn *c, uint32_t seq);
uint32_t tcp_sack_pipe(const struct tcp_conn *c);
int tcp_sack_next_lost(const struct tcp_conn *c, uint32_t max, uint32_t *seq,
		uint32_t *len);
uint32_t tcp_sack_skip(struct tcp_conn *c, uint32_t end);

/* tcp_rack.c: RACK (RFC 8985 6) */
uint32_t tcp_rack_now(const struct tcp_conn *c);
void tcp_rack_sent(struct tcp_conn *c, uint32_t seq, uint32_t len);
void tcp_rack_delivered(struct tcp_conn *c, uint32_t s, uint32_t e,
		uint32_t now);
void tcp_rack_cumack(struct tcp_conn *c, uint32_t ack);
void tcp_rack_acked(struct tcp_conn *c);
int tcp_rack_detect(struct tcp_conn *c);
void tcp_rack_dsack(struct tcp_conn *c);
void tcp_rack_rto(struct tcp_conn *c);
void tcp_rack_recovered(struct tcp_conn *c);
uint32_t tcp_rack_lost_rx_bytes(const struct tcp_conn *c);
int tcp_rack_next_lost(struct tcp_conn *c, uint32_t max, uint32_t *seq,
		uint32_t *len);
void tcp_rack_reo_timeout(struct tcp_conn *c);
#define TCP_RACK_LOST  1 /* tcp_rack_detect(): something newly lost */
#define TCP_RACK_TIMER 2 /* ... the reordering timer's time changed */

/* tcp_cookie.c */
uint32_t tcp_cookie_make(const struct tcp_lcore *tl, const struct tcp_conn *c,
		uint32_t irs, uint16_t peer_mss);
int tcp_cookie_check(const struct tcp_lcore *tl, const struct tcp_conn *c,
		uint32_t irs, uint32_t cookie, uint16_t *mss);
uint32_t tcp_cookie_tsval(const struct tcp_conn *c, uint32_t now_ms);
void tcp_cookie_opts(struct tcp_conn *c, uint32_t tsecr);

/* tcp_out.c */
void tcp_output(struct tcp_conn *c);
int tcp_send_ctl(struct tcp_conn *c, uint32_t seq, uint8_t flags);
int tcp_retransmit_una(struct tcp_conn *c);
int tcp_retransmit(struct tcp_conn *c, uint32_t seq, uint32_t len);
void tcp_send_rst_reply(struct tcp_lcore *tl, uint32_t raddr, uint16_t rport,
		uint16_t lport, const struct tcp_seg *seg);
void tcp_ack_soon(struct tcp_conn *c, int now);
uint32_t tcp_rcv_wnd(struct tcp_conn *c);
void tcp_window_update(struct tcp_conn *c);

/* tcp_timer.c */
void tcp_timers_init(struct tcp_conn *c);
void tcp_timers_stop(struct tcp_conn *c);
void tcp_rtx_arm(struct tcp_conn *c);
void tcp_rtx_restart(struct tcp_conn *c);
void tcp_rtx_cancel(struct tcp_conn *c);
void tcp_persist_arm(struct tcp_conn *c);
void tcp_delack_arm(struct tcp_conn *c);
void tcp_delack_cancel(struct tcp_conn *c);
void tcp_slow_arm(struct tcp_conn *c, uint64_t cycles);
void tcp_keepalive_reset(struct tcp_conn *c);
void tcp_rtt_sample(struct tcp_conn *c, uint64_t cycles);
int tcp_rtt_ack(struct tcp_conn *c, uint32_t ack, const struct tcp_seg *seg);
void tcp_enter_time_wait(struct tcp_conn *c);

/* The library's log type "pollux.tcp" (tcp.c, px_log.h). */
extern int px_logtype_tcp;

#include "tcp_buf.h"

/* Linux's sk_stream_is_writeable(): the free send buffer is at least
 * half of what is queued; px_tcp_poll() reports OUT only then. A blocked
 * writer is still woken on any room (waking task writers at the threshold
 * made the lossy SACK test's bursts resend more: D-SACKs 12 % of resends
 * against 8 %); px_tcp_poll() re-arms the wake-up each time it finds the
 * connection below the threshold, so a poller hears when it is reached. */
static inline int
tcp_sq_writeable(const struct tcp_conn *c)
{
	uint32_t room = c->sndbuf > c->sq_bytes ? c->sndbuf - c->sq_bytes : 0;

	return room > 0 && room >= c->sq_bytes / 2;
}

#endif /* _TCP_PRIVATE_H_ */
