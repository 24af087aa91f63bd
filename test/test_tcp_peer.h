/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#ifndef _TEST_TCP_PEER_H_
#define _TEST_TCP_PEER_H_

/*
 * The hand-played TCP peer of tcp_peer_autotest (test_tcp_peer.c: the
 * peer, the stack under test and the runner; the cases in
 * test_tcp_peer_a.c and test_tcp_peer_b.c).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include <px_exec.h>
#include <px_inet.h>
#include <px_task.h>
#include <px_tcp.h>

#include "tcp_private.h" /* tcp_hash(), for the A.16 case */
#define TEST_CAPTURE_SHARED 1   /* one capture for the three files */
#include "test_capture.h"
#include "test_exec.h"
#include "test_frames.h"

#define MS 1000000ull

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

struct peer {
	uint16_t sport, dport;     /* network order */
	uint32_t seq, ack;         /* next to send; what we acknowledge */
	uint32_t ts, ts_recent;    /* our TSval; the stack's, echoed */
	uint32_t src;              /* source address, network order */
};

/* The harness (test_tcp_peer.c, each documented there). */
extern struct rte_mempool *mp;
extern struct px_netif *na;
extern unsigned int baseline;
extern uint32_t ip_a, ip_p;
extern const struct rte_ether_addr mac_a;
extern const struct rte_ether_addr mac_p;
struct px_tcp_stats stats(void);
const struct rte_tcp_hdr *cap_tcp(unsigned int i);
uint32_t tcp_opt(const struct rte_tcp_hdr *th, uint8_t kind, uint8_t *val);
uint32_t tcp_tsval(const struct rte_tcp_hdr *th);
void peer_init(struct peer *p, uint16_t sport, uint16_t dport);
extern uint16_t peer_wnd; /* the window the peer offers */
extern int peer_sack;            /* its SYN offers SACK (RFC 2018) */
extern uint32_t peer_sblk[2];    /* a SACK block for the next segment */
extern uint8_t peer_tfo[18];     /* a Fast Open option for its SYN ... */
extern uint8_t peer_tfo_len;     /* ... this long (0: none) */
extern int peer_batching;         /* peer_send() queues for peer_burst() */
extern struct rte_mbuf *peer_batch[16];
extern unsigned int peer_nbatch;
void peer_send(struct peer *p, uint8_t flags, uint32_t seq, uint32_t ack,
		const void *data, uint16_t len, uint16_t mss, uint64_t ol);
void peer_burst(void);
void peer_seg(struct peer *p, uint8_t flags, const void *data, uint16_t len);
unsigned int to_peer(const struct peer *p, uint8_t mask, uint8_t want,
		const struct rte_tcp_hdr **last);
unsigned int peer_syn(struct peer *p, uint16_t mss);
void *peer_connect(struct peer *p);
void run_for(uint64_t ns);
extern struct px_tcp_listener *lst7;
void *accept7(struct peer *p, uint16_t sport, struct px_tcp_conn **c);
void *accept7_rtt(struct peer *p, uint16_t sport, struct px_tcp_conn **c,
		unsigned int rtt_ms);
void *accept7_sack(struct peer *p, uint16_t sport, struct px_tcp_conn **c,
		unsigned int rtt_ms);
extern int close_status;
void on_close_note(struct px_tcp_conn *c, int status, void *arg);
unsigned int ack_all_data(struct peer *p, uint32_t *una);
void icmp_about(unsigned int i, uint8_t type, uint8_t code, uint32_t dseq);
unsigned int data_segs_ts(struct peer *p, uint32_t *seq, uint32_t *len,
		uint32_t *ts, unsigned int max);
unsigned int data_segs(struct peer *p, uint32_t *seq, uint32_t *len,
		unsigned int max);
void icmp_about_info(unsigned int i, uint8_t type, uint8_t code, uint32_t dseq,
		uint32_t info);
const struct rte_ipv4_hdr *cap_ip(unsigned int i);

/* The cases (each returns NULL or its failure). */
void *case_oow_ack_limit(void);
void *case_challenge_per_conn(void);
void *case_challenge_random(void);
void *case_zero_window_seq(void);
void *case_accept_overflow(void);
void *case_closed_port_rst(void);
void *case_simopen_refused(void);
void *case_cookie_small_mss(void);
void *case_source_and_cksum(void);
void *case_shrunk_window(void);
void *case_fin_zero_window(void);
void *case_ooo_tiny_segments(void);
void *case_orphan_zero_window(void);
void *case_hash_keyed(void);
void *case_cwnd_idle(void);
void *case_ts_required_tw_rst(void);
void *case_iw_after_synack_loss(void);
void *case_handshake_rtt(void);
void *case_pmtu(void);
void *case_blackhole(void);
void *case_dsack(void);
void *case_wnd_old_seq(void);
void *case_ack_at_edge(void);
void *case_ts_offset(void);
void *case_keepalive_states(void);
void *case_ooo_fin(void);
void *case_tw_iss(void);
void *case_orphan_limit(void);
void *case_hystart(void);
void *case_tlp(void);
void *case_prr(void);
void *case_rack_lost_rtx(void);
void *case_rack_reo_timer(void);
void *case_fastopen(void);
void *case_synack_data(void);
void *case_user_timeout(void);
void *case_rcvlowat(void);
void *case_poll(void);
void *case_cork(void);
void *case_icmp_errors(void);
void *case_gro(void);

#endif /* _TEST_TCP_PEER_H_ */
