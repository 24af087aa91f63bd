/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * TCP against a peer played by hand: every segment the peer sends is
 * built by the test and fed to px_netif_input(), everything the stack
 * sends is captured, so each case is one packet scenario of the TCP
 * review (../shared/reviews/tcp-review-2026-12.md, section A) and checks
 * the stack's answer segment by segment: rate limits on invalid-segment
 * ACKs and challenge ACKs, the zero-window acceptance rule, a full
 * accept queue, RSTs from a closed port, a refused simultaneous open,
 * SYN cookies and a small MSS, spoofed sources and the port's checksum
 * verdicts, and the cases that followed them. This file holds the peer,
 * the stack under test and the runner; the cases are in
 * test_tcp_peer_a.c and test_tcp_peer_b.c (test_tcp_peer.h between).
 */

#define TEST_CAPTURE_DEFINE 1   /* the shared capture lives here */
#include "test_tcp_peer.h"

struct rte_mempool *mp;
struct px_netif *na;
unsigned int baseline;
uint32_t ip_a, ip_p;
const struct rte_ether_addr mac_a = {{ 0x02, 0, 0, 0, 0x0a, 0x01 }};
const struct rte_ether_addr mac_p = {{ 0x02, 0, 0, 0, 0x0a, 0x02 }};

struct px_tcp_stats
stats(void)
{
	struct px_tcp_stats s;

	px_tcp_stats(na, &s);
	return s;
}

/* The TCP header of captured frame i, or NULL (ARP, not TCP). */
const struct rte_tcp_hdr *
cap_tcp(unsigned int i)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(cap[i],
			const struct rte_ether_hdr *);
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eth + 1);

	if (eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
			ip->next_proto_id != IPPROTO_TCP)
		return NULL;
	return (const struct rte_tcp_hdr *)(ip + 1);
}

/* Option kind of th: its length (0 if absent), its value in val (up to
 * 38 bytes). */
uint32_t
tcp_opt(const struct rte_tcp_hdr *th, uint8_t kind, uint8_t *val)
{
	const uint8_t *o = (const uint8_t *)(th + 1);
	uint32_t len = (uint32_t)(th->data_off >> 4) * 4 - sizeof(*th), i = 0;

	while (i < len && o[i] != 0) {
		if (o[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len || o[i + 1] < 2 || i + o[i + 1] > len)
			break;
		if (o[i] == kind) {
			memcpy(val, o + i + 2, o[i + 1] - 2u);
			return o[i + 1];
		}
		i += o[i + 1];
	}
	return 0;
}

/* The TSval of th's timestamp option, 0 if none. */
uint32_t
tcp_tsval(const struct rte_tcp_hdr *th)
{
	uint8_t v[38];
	uint32_t ts;

	if (tcp_opt(th, 8, v) != 10)
		return 0;
	memcpy(&ts, v, 4);
	return ntohl(ts);
}

/* ---- the peer ---- */

void
peer_init(struct peer *p, uint16_t sport, uint16_t dport)
{
	memset(p, 0, sizeof(*p));
	p->sport = htons(sport);
	p->dport = htons(dport);
	p->seq = 1000000u * sport;
	p->ts = 5000;
	p->src = ip_p;
}

uint16_t peer_wnd = 8192; /* the window the peer offers */
int peer_sack;            /* its SYN offers SACK (RFC 2018) */
uint32_t peer_sblk[2];    /* a SACK block for the next segment */
uint8_t peer_tfo[18];     /* a Fast Open option for its SYN ... */
uint8_t peer_tfo_len;     /* ... this long (0: none) */
int peer_batching;         /* peer_send() queues for peer_burst() */
struct rte_mbuf *peer_batch[16];
unsigned int peer_nbatch;

/* Send one segment with a timestamp (and the MSS option on a SYN). */
void
peer_send(struct peer *p, uint8_t flags, uint32_t seq, uint32_t ack,
		const void *data, uint16_t len, uint16_t mss, uint64_t ol)
{
	uint8_t opts[44];
	uint32_t v;
	uint8_t n = 0;
	struct tframe_tcp f = {
		.src_mac = mac_p, .dst_mac = mac_a, .src = p->src, .dst = ip_a,
		.sport = p->sport, .dport = p->dport, .seq = seq, .ack = ack,
		.flags = flags, .wnd = peer_wnd, .opts = opts, .data = data,
		.len = len,
	};
	struct rte_mbuf *m;

	if (flags & TH_SYN) {
		opts[n++] = 2;
		opts[n++] = 4;
		opts[n++] = (uint8_t)(mss >> 8);
		opts[n++] = (uint8_t)mss;
		if (peer_sack) {
			opts[n++] = 4;
			opts[n++] = 2;
			opts[n++] = 1;
			opts[n++] = 1;
		}
		if (peer_tfo_len > 0) {
			memcpy(opts + n, peer_tfo, peer_tfo_len);
			n = (uint8_t)(n + peer_tfo_len);
			while (n % 4 != 0) /* whole words, as the rest */
				opts[n++] = 1;
		}
	}
	opts[n++] = 1;
	opts[n++] = 1;
	opts[n++] = 8;
	opts[n++] = 10;
	v = htonl(p->ts++);
	memcpy(opts + n, &v, 4);
	v = htonl((flags & TH_ACK) ? p->ts_recent : 0);
	memcpy(opts + n + 4, &v, 4);
	n += 8;
	if (peer_sblk[0] != peer_sblk[1]) {
		opts[n++] = 1;
		opts[n++] = 1;
		opts[n++] = 5;
		opts[n++] = 10;
		v = htonl(peer_sblk[0]);
		memcpy(opts + n, &v, 4);
		v = htonl(peer_sblk[1]);
		memcpy(opts + n + 4, &v, 4);
		n += 8;
		peer_sblk[0] = peer_sblk[1] = 0;
	}
	f.optlen = n;
	m = tframe_tcp(mp, &f);
	if (m == NULL)
		return;
	m->ol_flags = ol;
	if (peer_batching && peer_nbatch < RTE_DIM(peer_batch)) {
		peer_batch[peer_nbatch++] = m;
		return;
	}
	px_netif_input(na, &m, 1);
}

/* What peer_send() queued since peer_batching was set, as one burst. */
void
peer_burst(void)
{
	peer_batching = 0;
	px_netif_input(na, peer_batch, (uint16_t)peer_nbatch);
	peer_nbatch = 0;
}

/* A segment at the peer's own sequence and acknowledgment numbers. */
void
peer_seg(struct peer *p, uint8_t flags, const void *data, uint16_t len)
{
	peer_send(p, flags, p->seq, p->ack, data, len, 0, 0);
	p->seq += len;
}

/* How many captured segments to p have (flags & mask) == want; the last
 * one in *last. */
unsigned int
to_peer(const struct peer *p, uint8_t mask, uint8_t want,
		const struct rte_tcp_hdr **last)
{
	const struct rte_tcp_hdr *th;
	unsigned int i, n = 0;

	for (i = 0; i < ncap; i++) {
		th = cap_tcp(i);
		if (th == NULL || th->dst_port != p->sport ||
				(th->tcp_flags & mask) != want)
			continue;
		n++;
		if (last != NULL)
			*last = th;
	}
	return n;
}

/* The peer's SYN, with the given MSS; the SYN-ACK noted. Returns the
 * number of SYN-ACKs captured for it. */
unsigned int
peer_syn(struct peer *p, uint16_t mss)
{
	const struct rte_tcp_hdr *th = NULL;
	unsigned int n;

	cap_clear();
	peer_send(p, TH_SYN, p->seq, 0, NULL, 0, mss, 0);
	n = to_peer(p, 0xff, TH_SYN | TH_ACK, &th);
	if (n > 0) {
		p->ack = ntohl(th->sent_seq) + 1;
		p->ts_recent = tcp_tsval(th);
	}
	p->seq++;
	return n;
}

/* A three-way handshake to p->dport. */
void *
peer_connect(struct peer *p)
{
	T_EQ(peer_syn(p, 1460), 1);
	peer_seg(p, TH_ACK, NULL, 0);
	return NULL;
}

/* Let the executor run timers (delayed ACKs, retransmissions). */
void
run_for(uint64_t ns)
{
	px_sleep_ns(ns);
}

struct px_tcp_listener *lst7;

/* A connection to the listener on port 7 played by p, accepted. */
void *
accept7(struct peer *p, uint16_t sport, struct px_tcp_conn **c)
{
	void *r;

	peer_init(p, sport, 7);
	if ((r = peer_connect(p)) != NULL)
		return r;
	T_EQ(px_tcp_accept(lst7, c, 100 * MS), 0);
	cap_clear();
	return NULL;
}

/* accept7() with a handshake of rtt_ms: the connection's first RTO is
 * about 3 x rtt_ms (SRTT + 4 RTTVAR from its one sample). */
void *
accept7_rtt(struct peer *p, uint16_t sport, struct px_tcp_conn **c,
		unsigned int rtt_ms)
{
	peer_init(p, sport, 7);
	T_EQ(peer_syn(p, 1460), 1);
	run_for(rtt_ms * MS);
	peer_seg(p, TH_ACK, NULL, 0);
	T_EQ(px_tcp_accept(lst7, c, 100 * MS), 0);
	cap_clear();
	return NULL;
}

/* accept7() (rtt_ms 0) or accept7_rtt() with a SYN that offers SACK. */
void *
accept7_sack(struct peer *p, uint16_t sport, struct px_tcp_conn **c,
		unsigned int rtt_ms)
{
	void *r;

	peer_sack = 1;
	r = rtt_ms == 0 ? accept7(p, sport, c) : accept7_rtt(p, sport, c, rtt_ms);
	peer_sack = 0;
	return r;
}

int close_status = 1;

void
on_close_note(struct px_tcp_conn *c, int status, void *arg)
{
	RTE_SET_USED(c);
	RTE_SET_USED(arg);
	close_status = status;
}

/* ACK every data segment captured for p, at once; returns how many
 * data segments there were. */
unsigned int
ack_all_data(struct peer *p, uint32_t *una)
{
	const struct rte_tcp_hdr *th;
	unsigned int i, n = 0;
	uint32_t len, seq;

	for (i = 0; i < ncap; i++) {
		th = cap_tcp(i);
		if (th == NULL || th->dst_port != p->sport)
			continue;
		len = rte_pktmbuf_pkt_len(cap[i]) - 14 - 20 - (th->data_off >> 4) * 4;
		seq = ntohl(th->sent_seq);
		if (len == 0)
			continue;
		n++;
		if (SEQ_GT(seq + len, *una))
			*una = seq + len;
	}
	cap_clear();
	if (n > 0)
		peer_send(p, TH_ACK, p->seq, *una, NULL, 0, 0, 0);
	return n;
}

void
icmp_about(unsigned int i, uint8_t type, uint8_t code, uint32_t dseq)
{
	icmp_about_info(i, type, code, dseq, 0);
}

/* The data segments captured for p: their sequence numbers, lengths and
 * (if ts) TSvals (at most max); p's ts_recent takes the last one's
 * TSval. */
unsigned int
data_segs_ts(struct peer *p, uint32_t *seq, uint32_t *len, uint32_t *ts,
		unsigned int max)
{
	const struct rte_tcp_hdr *th;
	unsigned int i, n = 0;
	uint32_t l;

	for (i = 0; i < ncap && n < max; i++) {
		th = cap_tcp(i);
		if (th == NULL || th->dst_port != p->sport)
			continue;
		l = ntohs(cap_ip(i)->total_length) - 20 -
			(uint32_t)(th->data_off >> 4) * 4;
		if (l == 0)
			continue;
		seq[n] = ntohl(th->sent_seq);
		p->ts_recent = tcp_tsval(th);
		if (ts != NULL)
			ts[n] = p->ts_recent;
		len[n++] = l;
	}
	return n;
}

unsigned int
data_segs(struct peer *p, uint32_t *seq, uint32_t *len, unsigned int max)
{
	return data_segs_ts(p, seq, len, NULL, max);
}

/* An ICMP error from the peer's address about captured frame i (its IP
 * header and 8 bytes after it quoted, the sequence number moved by
 * dseq). */
void
icmp_about_info(unsigned int i, uint8_t type, uint8_t code, uint32_t dseq,
		uint32_t info)
{
	const struct rte_ipv4_hdr *oip = rte_pktmbuf_mtod_offset(cap[i],
			const struct rte_ipv4_hdr *, 14);
	uint16_t qlen = 20 + 8, len = 20 + 8 + qlen;
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_icmp_hdr *icmp;
	struct rte_tcp_hdr *qth;

	if (m == NULL)
		return;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, (uint16_t)(14 + len));
	eth->dst_addr = mac_a;
	eth->src_addr = mac_p;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = htons(len);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_ICMP;
	ip->src_addr = ip_p;
	ip->dst_addr = ip_a;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	icmp = (struct rte_icmp_hdr *)(ip + 1);
	memset(icmp, 0, sizeof(*icmp));
	icmp->icmp_type = type;
	icmp->icmp_code = code;
	icmp->icmp_ident = htons((uint16_t)(info >> 16));
	icmp->icmp_seq_nb = htons((uint16_t)info);
	memcpy(icmp + 1, oip, qlen);
	qth = (struct rte_tcp_hdr *)((uint8_t *)(icmp + 1) + 20);
	qth->sent_seq = htonl(ntohl(qth->sent_seq) + dseq);
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, 8 + qlen);
	px_netif_input(na, &m, 1);
}

/* The IPv4 header of captured frame i. */
const struct rte_ipv4_hdr *
cap_ip(unsigned int i)
{
	return rte_pktmbuf_mtod_offset(cap[i], const struct rte_ipv4_hdr *, 14);
}

static void *
peer_main(void *arg)
{
	struct px_inet_conf ca = { 0 };
	struct px_tcp_conf tc = { 0 };
	struct rte_arp_hdr *arp;
	struct rte_ether_hdr *eth;
	struct rte_mbuf *m;
	struct px_tcp_stats s;

	ip_a = inet_addr("10.10.0.1");
	ip_p = inet_addr("10.10.0.2");
	mp = rte_pktmbuf_pool_create("t_tcp_peer", 4095, 0, 0,
			RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	T_CHECK(mp != NULL);
	ca.mac = mac_a;
	ca.ip = ip_a;
	ca.prefix = 24;
	T_EQ(px_netif_create(&ca, mp, capture_tx, NULL, &na), 0);
	tc.max_conns = 256;
	tc.rcvbuf = 4096;
	tc.rto_init_ms = 100;
	tc.synack_retries = 3;
	tc.msl_ms = 100;
	tc.challenge_per_s = 8;
	tc.max_retries = 4;
	tc.max_orphans = 8;
	tc.flags = PX_TCP_CONF_F_FASTOPEN;
	tc.oow_ack_ms = 86400001; /* more than a day */
	T_EQ(px_tcp_attach(na, &tc), -EINVAL);
	tc.oow_ack_ms = 0;        /* the default, 500 */
	T_EQ(px_tcp_attach(na, &tc), 0);
	/* The peer's ARP request teaches the stack its MAC. */
	m = rte_pktmbuf_alloc(mp);
	T_CHECK(m != NULL);
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) + sizeof(*arp));
	memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr));
	eth->src_addr = mac_p;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	arp = (struct rte_arp_hdr *)(eth + 1);
	arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = 6;
	arp->arp_plen = 4;
	arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
	arp->arp_data.arp_sha = mac_p;
	arp->arp_data.arp_sip = ip_p;
	memset(&arp->arp_data.arp_tha, 0, sizeof(arp->arp_data.arp_tha));
	arp->arp_data.arp_tip = ip_a;
	px_netif_input(na, &m, 1);
	cap_clear();
	baseline = rte_mempool_in_use_count(mp);
	T_EQ(px_tcp_listen(na, htons(7), 64, &lst7), 0);
	T_RUN(case_oow_ack_limit);
	T_RUN(case_challenge_per_conn);
	T_RUN(case_challenge_random);
	T_RUN(case_zero_window_seq);
	T_RUN(case_accept_overflow);
	T_RUN(case_closed_port_rst);
	T_RUN(case_simopen_refused);
	T_RUN(case_cookie_small_mss);
	T_RUN(case_source_and_cksum);
	T_RUN(case_shrunk_window);
	T_RUN(case_wnd_old_seq);
	T_RUN(case_ack_at_edge);
	T_RUN(case_ts_offset);
	T_RUN(case_keepalive_states);
	T_RUN(case_ooo_fin);
	T_RUN(case_tw_iss);
	T_RUN(case_orphan_limit);
	T_RUN(case_hystart);
	T_RUN(case_fin_zero_window);
	T_RUN(case_ooo_tiny_segments);
	T_RUN(case_orphan_zero_window);
	T_RUN(case_hash_keyed);
	T_RUN(case_cwnd_idle);
	T_RUN(case_ts_required_tw_rst);
	T_RUN(case_iw_after_synack_loss);
	T_RUN(case_handshake_rtt);
	T_RUN(case_icmp_errors);
	T_RUN(case_blackhole);
	T_RUN(case_user_timeout);
	T_RUN(case_rcvlowat);
	T_RUN(case_poll);
	T_RUN(case_cork);
	T_RUN(case_dsack);
	T_RUN(case_tlp);
	T_RUN(case_prr);
	T_RUN(case_rack_lost_rtx);
	T_RUN(case_rack_reo_timer);
	T_RUN(case_fastopen);
	T_RUN(case_synack_data);
	T_RUN(case_gro);
	T_RUN(case_pmtu); /* last: the host's path MTU stays learnt */
	T_EQ(px_tcp_listener_close(lst7), 0);
	run_for(300 * MS); /* TIME_WAIT is 2 x 100 ms */
	cap_clear();
	s = stats();
	T_EQ(s.conns, 0);
	T_EQ(rte_mempool_in_use_count(mp), baseline);
	px_tcp_detach(na);
	px_netif_free(na);
	T_EQ(rte_mempool_in_use_count(mp), 0);
	rte_mempool_free(mp);
	return arg;
}

static int
test_tcp_peer(void)
{
	return texec_run(NULL, peer_main);
}

PX_REGISTER_TEST(tcp_peer_autotest, 0, test_tcp_peer);
