/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/* tcp_peer_autotest cases, part one: the TCP review's section A
 * scenarios and what followed them (test_tcp_peer.h). */

#include "test_tcp_peer.h"

/* A.10: out-of-window and PAWS segments without data, each of which
 * would be answered with an ACK, draw at most one ACK per oow_ack_ms
 * per connection (no ACK storm, no 1:1 reflection); the ones with data
 * are all answered, and after the interval the next one is again. */
void *
case_oow_ack_limit(void)
{
	const struct rte_tcp_hdr *th = NULL;
	struct px_tcp_stats s0, s1;
	struct px_tcp_conn *c;
	struct peer p;
	char buf[16];
	unsigned int i;
	void *r;

	if ((r = accept7(&p, 40001, &c)) != NULL)
		return r;
	peer_seg(&p, TH_ACK | TH_PSH, "0123456789", 10);
	T_EQ(px_tcp_read(c, buf, sizeof(buf), 100 * MS), 10);
	run_for(5 * MS);
	cap_clear();
	s0 = stats();
	for (i = 0; i < 20; i++)
		peer_send(&p, TH_ACK, p.seq + 100000, p.ack, NULL, 0, 0, 0);
	T_EQ(to_peer(&p, 0xff, TH_ACK, &th), 1);
	T_EQ(ntohl(th->recv_ack), p.seq);
	for (i = 0; i < 5; i++) {
		p.ts -= 1000; /* older than the last one seen: PAWS */
		peer_send(&p, TH_ACK, p.seq, p.ack, NULL, 0, 0, 0);
		p.ts += 1000;
	}
	T_EQ(to_peer(&p, 0xff, TH_ACK, NULL), 1);
	s1 = stats();
	T_EQ(s1.drop_out_of_window - s0.drop_out_of_window, 20);
	T_EQ(s1.drop_paws - s0.drop_paws, 5);
	T_EQ(s1.oow_ack_limited - s0.oow_ack_limited, 24);
	/* With data: old (a duplicate) or past the window, each answered. */
	for (i = 0; i < 3; i++)
		peer_send(&p, TH_ACK | TH_PSH, p.seq - 10, p.ack, "0123456789", 10, 0, 0);
	for (i = 0; i < 3; i++)
		peer_send(&p, TH_ACK | TH_PSH, p.seq + 100000, p.ack, "abcde", 5, 0, 0);
	T_EQ(to_peer(&p, 0xff, TH_ACK, NULL), 7);
	/* The interval over, the next one is answered. */
	run_for(600 * MS);
	cap_clear();
	peer_send(&p, TH_ACK, p.seq + 100000, p.ack, NULL, 0, 0, 0);
	T_EQ(to_peer(&p, 0xff, TH_ACK, NULL), 1);
	T_EQ(px_tcp_abort(c), 0);
	cap_clear();
	return NULL;
}

/* A.4 (CVE-2016-5696): challenge ACKs (an in-window RST that is not
 * exact, a SYN, an ACK of data never sent) are limited per connection
 * first, so an attacker's own connection cannot count what another one
 * drew; the connection still works. */
void *
case_challenge_per_conn(void)
{
	const struct rte_tcp_hdr *th = NULL;
	struct px_tcp_stats s0, s1;
	struct px_tcp_conn *c;
	struct peer p;
	char buf[8];
	unsigned int i;
	void *r;

	if ((r = accept7(&p, 40002, &c)) != NULL)
		return r;
	s0 = stats();
	for (i = 0; i < 10; i++)
		peer_send(&p, TH_RST, p.seq + 100, 0, NULL, 0, 0, 0);
	T_EQ(to_peer(&p, 0xff, TH_ACK, &th), 1);
	T_EQ(ntohl(th->recv_ack), p.seq);
	for (i = 0; i < 10; i++)
		peer_send(&p, TH_SYN, p.seq + 7777 * i, 0, NULL, 0, 1460, 0);
	for (i = 0; i < 10; i++)
		peer_send(&p, TH_ACK, p.seq, p.ack + 100000, NULL, 0, 0, 0);
	T_EQ(to_peer(&p, 0, 0, NULL), 1);
	s1 = stats();
	T_EQ(s1.challenge_acks - s0.challenge_acks, 1);
	T_EQ(s1.challenge_limited - s0.challenge_limited, 29);
	T_EQ(s1.drop_bad_ack - s0.drop_bad_ack, 10);
	T_EQ(s1.rst_in - s0.rst_in, 0);
	peer_seg(&p, TH_ACK | TH_PSH, "alive", 5);
	T_EQ(px_tcp_read(c, buf, sizeof(buf), 100 * MS), 5);
	T_CHECK(memcmp(buf, "alive", 5) == 0);
	T_EQ(px_tcp_abort(c), 0);
	cap_clear();
	return NULL;
}

/* A.4: the per-lcore challenge budget is drawn at random each second
 * between half and one and a half times challenge_per_s (8 here: 4 to
 * 11), so what is left of it tells an attacker nothing. 16 connections
 * draw one challenge each, five seconds running: each second answers
 * 4..11 of them, and not always the same number. */
void *
case_challenge_random(void)
{
	static struct peer p[16];
	static struct px_tcp_conn *c[16];
	unsigned int i, k, n, got[5], differ = 0;
	void *r;

	for (i = 0; i < 16; i++)
		if ((r = accept7(&p[i], (uint16_t)(40100 + i), &c[i])) != NULL)
			return r;
	for (k = 0; k < 5; k++) {
		run_for(1050 * MS);
		cap_clear();
		for (i = 0; i < 16; i++)
			peer_send(&p[i], TH_RST, p[i].seq + 100, 0, NULL, 0, 0, 0);
		for (i = 0, n = 0; i < 16; i++)
			n += to_peer(&p[i], 0xff, TH_ACK, NULL);
		printf("    second %u: %u of 16 challenges answered\n", k, n);
		T_CHECK(n >= 4 && n <= 11);
		got[k] = n;
		differ += k > 0 && got[k] != got[0];
	}
	T_CHECK(differ > 0);
	for (i = 0; i < 16; i++)
		T_EQ(px_tcp_abort(c[i]), 0);
	cap_clear();
	return NULL;
}

/* A.14: with our window at zero only SEG.SEQ = RCV.NXT is acceptable. A
 * blind ACK at a later sequence number, acknowledging our data, is
 * dropped (and answered) and does not move SND.UNA; the same ACK at
 * RCV.NXT is the "valid ACK" RFC 9293 makes room for, and does. */
void *
case_zero_window_seq(void)
{
	static char blob[1024];
	const struct rte_tcp_hdr *th = NULL;
	struct px_tcp_stats s0, s1;
	struct px_tcp_info inf;
	struct px_tcp_conn *c;
	struct peer p;
	uint32_t una, i;
	void *r;

	if ((r = accept7(&p, 40003, &c)) != NULL)
		return r;
	T_EQ(px_tcp_write(c, blob, 1000, 100 * MS), 1000);
	run_for(2 * MS);
	T_EQ(to_peer(&p, TH_ACK | TH_PSH, TH_ACK | TH_PSH, &th), 1);
	una = ntohl(th->sent_seq);
	/* Fill the 4 KiB receive buffer; nothing reads it. */
	for (i = 0; i < 4; i++)
		peer_seg(&p, TH_ACK, blob, sizeof(blob));
	run_for(5 * MS);
	T_CHECK(to_peer(&p, TH_ACK, TH_ACK, &th) > 0);
	T_EQ(th->rx_win, 0);
	T_EQ(ntohl(th->recv_ack), p.seq);
	T_EQ(px_tcp_info(c, &inf), 0);
	T_EQ(inf.unacked, 1000);
	cap_clear();
	s0 = stats();
	peer_send(&p, TH_ACK, p.seq + 3000, una + 1000, NULL, 0, 0, 0);
	T_EQ(px_tcp_info(c, &inf), 0);
	T_EQ(inf.unacked, 1000);
	s1 = stats();
	T_EQ(s1.drop_out_of_window - s0.drop_out_of_window, 1);
	T_EQ(to_peer(&p, 0xff, TH_ACK, NULL), 1);
	/* At RCV.NXT, with a byte of data past the window: the byte is
	 * dropped, the ACK taken. */
	peer_send(&p, TH_ACK, p.seq, una + 1000, "x", 1, 0, 0);
	T_EQ(px_tcp_info(c, &inf), 0);
	T_EQ(inf.unacked, 0);
	T_EQ(stats().drop_rcvq_full - s0.drop_rcvq_full, 1);
	T_EQ(px_tcp_abort(c), 0);
	cap_clear();
	return NULL;
}

/* A.15: the third ACK of a handshake that finds the accept queue full
 * is dropped and the connection stays half open (Linux's
 * tcp_abort_on_overflow=0), not reset: once the application accepts,
 * the client's next segment (its data, or the ACK of the SYN-ACK sent
 * again) completes it, and nothing the client sent is lost. */
void *
case_accept_overflow(void)
{
	const struct rte_tcp_hdr *th;
	struct px_tcp_listener *l;
	struct px_tcp_stats s0, s1;
	struct px_tcp_conn *c[3];
	struct peer p[3];
	char buf[8];
	unsigned int i, n;

	T_EQ(px_tcp_listen(na, htons(9), 1, &l), 0);
	s0 = stats();
	for (i = 0; i < 3; i++) {
		peer_init(&p[i], (uint16_t)(40010 + i), 9);
		T_EQ(peer_syn(&p[i], 1460), 1);
	}
	cap_clear();
	for (i = 0; i < 3; i++)
		peer_seg(&p[i], TH_ACK, NULL, 0);
	for (i = 0; i < 3; i++)
		T_EQ(to_peer(&p[i], TH_RST, TH_RST, NULL), 0);
	s1 = stats();
	T_EQ(s1.accept_overflow - s0.accept_overflow, 2);
	T_EQ(s1.rst_out - s0.rst_out, 0);
	T_EQ(px_tcp_accept(l, &c[0], 10 * MS), 0);
	/* The second client's request completes it. */
	peer_seg(&p[1], TH_ACK | TH_PSH, "req", 3);
	T_EQ(px_tcp_accept(l, &c[1], 10 * MS), 0);
	T_EQ(px_tcp_read(c[1], buf, sizeof(buf), 100 * MS), 3);
	T_CHECK(memcmp(buf, "req", 3) == 0);
	/* The third: the SYN-ACK again on its timer, ACKed again. */
	for (n = 0; n < 100 && to_peer(&p[2], 0xff, TH_SYN | TH_ACK, &th) == 0; n++)
		run_for(10 * MS);
	T_CHECK(n < 100);
	peer_seg(&p[2], TH_ACK, NULL, 0);
	T_EQ(px_tcp_accept(l, &c[2], 10 * MS), 0);
	for (i = 0; i < 3; i++)
		T_EQ(px_tcp_abort(c[i]), 0);
	T_EQ(px_tcp_listener_close(l), 0);
	cap_clear();
	return NULL;
}

/* A.18: a closed port answers every segment without RST with one (RFC
 * 9293 3.10.7.1), a bare FIN and a segment with no flags included:
 * <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, the FIN counted. */
void *
case_closed_port_rst(void)
{
	const struct rte_tcp_hdr *th = NULL;
	struct peer p;

	peer_init(&p, 40020, 12);
	cap_clear();
	peer_send(&p, TH_FIN, 777, 0, NULL, 0, 0, 0);
	T_EQ(to_peer(&p, 0xff, TH_RST | TH_ACK, &th), 1);
	T_EQ(ntohl(th->recv_ack), 778);
	T_EQ(ntohl(th->sent_seq), 0);
	cap_clear();
	peer_send(&p, 0, 900, 0, "hello", 5, 0, 0);
	T_EQ(to_peer(&p, 0xff, TH_RST | TH_ACK, &th), 1);
	T_EQ(ntohl(th->recv_ack), 905);
	cap_clear();
	/* A RST is never answered. */
	peer_send(&p, TH_RST, 900, 0, NULL, 0, 0, 0);
	T_EQ(ncap, 0);
	return NULL;
}

/* A.18: a RST in SYN-RECEIVED that came from SYN-SENT (a simultaneous
 * open) refuses the connection (RFC 9293 3.10.7.4): ECONNREFUSED, as in
 * SYN-SENT, not ECONNRESET. */
void *
case_simopen_refused(void)
{
	static const struct px_tcp_cbs cbs = { .on_close = on_close_note };
	const struct rte_tcp_hdr *th = NULL;
	struct px_tcp_conn *c;
	struct px_tcp_info inf;
	struct peer p;

	cap_clear();
	T_EQ(px_tcp_connect_cb(na, ip_p, htons(5556), &cbs, NULL, &c), 0);
	run_for(1 * MS);
	T_CHECK(ncap > 0 && (th = cap_tcp(ncap - 1)) != NULL);
	T_EQ(th->tcp_flags, TH_SYN);
	peer_init(&p, 5556, ntohs(th->src_port));
	peer_send(&p, TH_SYN, p.seq, 0, NULL, 0, 1460, 0);
	T_EQ(px_tcp_info(c, &inf), 0);
	T_EQ(inf.state, PX_TCP_SYN_RCVD);
	peer_send(&p, TH_RST, p.seq + 1, 0, NULL, 0, 0, 0);
	run_for(1 * MS);
	T_EQ(close_status, -ECONNREFUSED);
	T_EQ(px_tcp_close(c), 0);
	cap_clear();
	return NULL;
}

/* A.18: a SYN cookie carries an MSS no larger than the peer's: a peer
 * that asks for 300 gets segments of at most 300 bytes (the cookie's
 * table starts at the stack's floor, not at 536). */
void *
case_cookie_small_mss(void)
{
	static struct peer h[64];
	struct px_tcp_listener *l;
	struct px_tcp_stats s0, s1;
	struct px_tcp_info inf;
	struct px_tcp_conn *c;
	struct peer p;
	unsigned int i;

	T_EQ(px_tcp_listen(na, htons(10), 4, &l), 0);
	for (i = 0; i < 64; i++) { /* the half-open limit: max(backlog, 64) */
		peer_init(&h[i], (uint16_t)(41000 + i), 10);
		T_EQ(peer_syn(&h[i], 1460), 1);
	}
	s0 = stats();
	peer_init(&p, 42000, 10);
	T_EQ(peer_syn(&p, 300), 1);
	s1 = stats();
	T_EQ(s1.syncookies_sent - s0.syncookies_sent, 1);
	peer_seg(&p, TH_ACK, NULL, 0);
	s1 = stats();
	T_EQ(s1.syncookies_ok - s0.syncookies_ok, 1);
	T_EQ(px_tcp_accept(l, &c, 10 * MS), 0);
	T_EQ(px_tcp_info(c, &inf), 0);
	printf("    cookie connection: peer MSS 300, send MSS %u\n", inf.mss);
	T_CHECK(inf.mss <= 300);
	T_EQ(px_tcp_abort(c), 0);
	/* The half-open ones: an exact RST sends each back to LISTEN. */
	for (i = 0; i < 64; i++)
		peer_send(&h[i], TH_RST, h[i].seq, 0, NULL, 0, 0, 0);
	T_EQ(px_tcp_listener_close(l), 0);
	cap_clear();
	return NULL;
}

/* A.13 at TCP: a SYN from our own address and port (LAND) or from a
 * broadcast source creates nothing and draws nothing; A.8 at TCP: a
 * segment whose checksum field is wrong but which the port flagged
 * NONE (verified) is taken. */
void *
case_source_and_cksum(void)
{
	struct px_inet_stats i0, i1;
	struct px_tcp_stats s0, s1;
	struct rte_tcp_hdr *th;
	struct rte_mbuf *m;
	struct peer p;
	struct tframe_tcp f = {
		.src_mac = mac_p, .dst_mac = mac_a, .src = ip_a, .dst = ip_a,
		.sport = htons(7), .dport = htons(7), .seq = 1, .flags = TH_SYN,
		.wnd = 8192,
	};

	px_netif_stats(na, &i0);
	s0 = stats();
	cap_clear();
	m = tframe_tcp(mp, &f);
	px_netif_input(na, &m, 1);
	f.src = inet_addr("255.255.255.255");
	m = tframe_tcp(mp, &f);
	px_netif_input(na, &m, 1);
	f.src = inet_addr("10.10.0.255");
	m = tframe_tcp(mp, &f);
	px_netif_input(na, &m, 1);
	px_netif_stats(na, &i1);
	s1 = stats();
	T_EQ(i1.ip_bad_src - i0.ip_bad_src, 3);
	T_EQ(s1.seg_in - s0.seg_in, 0);
	T_EQ(ncap, 0);
	/* A SYN with a wrong checksum the port says it verified. */
	peer_init(&p, 40030, 7);
	f.src = ip_p;
	f.sport = p.sport;
	f.seq = p.seq;
	m = tframe_tcp(mp, &f);
	th = rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *, 14 + 20);
	th->cksum ^= 0x5555;
	m->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_NONE;
	px_netif_input(na, &m, 1);
	T_EQ(to_peer(&p, 0xff, TH_SYN | TH_ACK, NULL), 1);
	T_EQ(stats().drop_bad_checksum - s0.drop_bad_checksum, 0);
	peer_send(&p, TH_RST, p.seq + 1, 0, NULL, 0, 0, 0);
	cap_clear();
	return NULL;
}

/* A.7 (a): the peer ACKs part of a flight and shrinks its window to
 * zero. The RTO cannot resend into it: it probes instead, and while the
 * peer answers (at a zero window) the connection lives on well past
 * max_retries (4 here) timeouts. When the window opens the rest goes
 * out and is acknowledged. */
void *
case_shrunk_window(void)
{
	static char blob[3000];
	const struct rte_tcp_hdr *th = NULL;
	struct px_tcp_stats s0, s1;
	struct px_tcp_info inf;
	struct px_tcp_conn *c;
	struct peer p;
	uint32_t una, got, end;
	unsigned int i;
	void *r;

	if ((r = accept7(&p, 40004, &c)) != NULL)
		return r;
	s0 = stats();
	T_EQ(px_tcp_write(c, blob, sizeof(blob), 100 * MS), (ssize_t)sizeof(blob));
	run_for(2 * MS);
	T_CHECK(to_peer(&p, TH_ACK, TH_ACK, &th) >= 2);
	una = ntohl(cap_tcp(0)->sent_seq);
	end = una + sizeof(blob);
	/* ACK the first segment, window shut. */
	peer_wnd = 0;
	got = (uint32_t)(rte_pktmbuf_pkt_len(cap[0]) - 14 - 20 -
			(cap_tcp(0)->data_off >> 4) * 4);
	una += got;
	cap_clear();
	peer_send(&p, TH_ACK, p.seq, una, NULL, 0, 0, 0);
	/* A second of it, answering every probe at the zero window. */
	for (i = 0; i < 200; i++) {
		run_for(5 * MS);
		if (ncap > 0) {
			cap_clear();
			peer_send(&p, TH_ACK, p.seq, una, NULL, 0, 0, 0);
		}
	}
	s1 = stats();
	printf("    %" PRIu64 " probes, %" PRIu64 " timeouts in 1 s\n",
		s1.zero_wnd_probes - s0.zero_wnd_probes, s1.timeouts - s0.timeouts);
	T_CHECK(s1.zero_wnd_probes - s0.zero_wnd_probes > 4);
	T_EQ(px_tcp_info(c, &inf), 0);
	T_EQ(inf.state, PX_TCP_ESTABLISHED);
	/* Open it: the rest arrives (resent), and is acknowledged. */
	peer_wnd = 8192;
	peer_send(&p, TH_ACK, p.seq, una, NULL, 0, 0, 0);
	for (i = 0; i < 100 && una != end; i++) {
		run_for(5 * MS);
		while (to_peer(&p, TH_ACK, TH_ACK, &th) > 0 &&
				ntohl(th->sent_seq) == una &&
				rte_pktmbuf_pkt_len(cap[ncap - 1]) > 14 + 20 + 32u) {
			una += (uint32_t)(rte_pktmbuf_pkt_len(cap[ncap - 1]) - 14 -
					20 - (th->data_off >> 4) * 4);
			peer_send(&p, TH_ACK, p.seq, una, NULL, 0, 0, 0);
		}
		cap_clear();
	}
	T_EQ(una, end);
	T_EQ(px_tcp_info(c, &inf), 0);
	T_EQ(inf.unacked, 0);
	T_EQ(px_tcp_abort(c), 0);
	cap_clear();
	return NULL;
}

/* A.7 (b): the application closes while the peer's window is zero and
 * all data is acknowledged: the FIN (a sequence number of the window)
 * waits, the window is probed, and the FIN goes when it opens. */
void *
case_fin_zero_window(void)
{
	const struct rte_tcp_hdr *th = NULL;
	struct px_tcp_conn *c;
	struct peer p;
	unsigned int i, fins = 0;
	void *r;

	if ((r = accept7(&p, 40005, &c)) != NULL)
		return r;
	peer_wnd = 0;
	peer_seg(&p, TH_ACK, NULL, 0);
	T_EQ(px_tcp_close(c), 0);
	for (i = 0; i < 20; i++) {
		run_for(5 * MS);
		fins += to_peer(&p, TH_FIN, TH_FIN, NULL);
		if (ncap > 0)
			peer_seg(&p, TH_ACK, NULL, 0);
		cap_clear();
	}
	T_EQ(fins, 0);
	T_CHECK(stats().zero_wnd_probes > 0);
	peer_wnd = 8192;
	peer_seg(&p, TH_ACK, NULL, 0);
	for (i = 0; i < 50 && to_peer(&p, TH_FIN, TH_FIN, &th) == 0; i++)
		run_for(5 * MS);
	T_CHECK(i < 50);
	p.ack = ntohl(th->sent_seq) + 1;
	peer_seg(&p, TH_FIN | TH_ACK, NULL, 0); /* both closed: TIME_WAIT here */
	cap_clear();
	return NULL;
}

/* A.2: a peer leaves byte rcv_nxt out and sends 1-byte segments after
 * it. Forwards, each is copied into the range it extends (a handful of
 * mbufs for 2000 bytes, not 2000); backwards, each would pin an mbuf,
 * and the connection's cap (rcvbuf / 512, at least 16) drops the
 * excess. Filling the hole delivers exactly what was sent. */
void *
case_ooo_tiny_segments(void)
{
	static uint8_t data[2001], buf[4096];
	struct px_tcp_stats s0, s1;
	struct px_tcp_conn *c;
	struct peer p;
	unsigned int k, held, got;
	ssize_t n;
	void *r;

	for (k = 0; k < sizeof(data); k++)
		data[k] = (uint8_t)(k * 7 + 3);
	if ((r = accept7(&p, 40006, &c)) != NULL)
		return r;
	s0 = stats();
	for (k = 1; k < sizeof(data); k++)
		peer_send(&p, TH_ACK, p.seq + k, p.ack, data + k, 1, 0, 0);
	cap_clear(); /* the duplicate ACKs */
	held = rte_mempool_in_use_count(mp) - baseline;
	printf("    forwards: 2000 one-byte segments held in %u mbufs\n", held);
	T_CHECK(held <= 8);
	peer_send(&p, TH_ACK | TH_PSH, p.seq, p.ack, data, 1, 0, 0);
	for (got = 0; got < sizeof(data); got += (unsigned int)n) {
		n = px_tcp_read(c, buf + got, sizeof(buf) - got, 100 * MS);
		T_CHECK(n > 0);
	}
	T_EQ(got, sizeof(data));
	T_CHECK(memcmp(buf, data, sizeof(data)) == 0);
	p.seq += sizeof(data);
	/* Backwards: the cap holds. */
	for (k = sizeof(data) - 1; k >= 1; k--)
		peer_send(&p, TH_ACK, p.seq + k, p.ack, data + k, 1, 0, 0);
	cap_clear(); /* the duplicate ACKs */
	held = rte_mempool_in_use_count(mp) - baseline;
	s1 = stats();
	printf("    backwards: %u mbufs held, %" PRIu64 " segments dropped\n",
		held, s1.ooo_drop - s0.ooo_drop);
	T_CHECK(held <= 16 + 2);
	T_CHECK(s1.ooo_drop - s0.ooo_drop >= 2000 - 16);
	/* The peer sends it all again, in order. */
	peer_send(&p, TH_ACK | TH_PSH, p.seq, p.ack, data, 1000, 0, 0);
	peer_send(&p, TH_ACK | TH_PSH, p.seq + 1000, p.ack, data + 1000, 1001, 0, 0);
	for (got = 0; got < sizeof(data); got += (unsigned int)n) {
		n = px_tcp_read(c, buf + got, sizeof(buf) - got, 100 * MS);
		T_CHECK(n > 0);
	}
	T_EQ(got, sizeof(data));
	T_CHECK(memcmp(buf, data, sizeof(data)) == 0);
	T_EQ(px_tcp_abort(c), 0);
	cap_clear();
	return NULL;
}

/* A.1: an orphan (closed by the application with data unsent) facing a
 * window the peer keeps at zero is not kept for ever: its probes count
 * towards max_retries (4 here) even when answered, then it is dropped.
 * A connection the application still holds lives on (case above). */
void *
case_orphan_zero_window(void)
{
	static char blob[1000];
	struct px_tcp_stats s0, s1;
	struct px_tcp_conn *c;
	struct peer p;
	unsigned int i;
	void *r;

	if ((r = accept7(&p, 40007, &c)) != NULL)
		return r;
	peer_wnd = 0;
	peer_seg(&p, TH_ACK, NULL, 0);
	T_EQ(px_tcp_write(c, blob, sizeof(blob), 100 * MS), (ssize_t)sizeof(blob));
	s0 = stats();
	T_EQ(px_tcp_close(c), 0);
	for (i = 0; i < 1200 && stats().timeouts == s0.timeouts; i++) {
		run_for(5 * MS);
		if (ncap > 0) {
			cap_clear();
			peer_seg(&p, TH_ACK, NULL, 0);
		}
	}
	s1 = stats();
	printf("    orphan dropped after %u ms, %" PRIu64 " probes\n", i * 5,
		s1.zero_wnd_probes - s0.zero_wnd_probes);
	T_EQ(s1.timeouts - s0.timeouts, 1);
	T_CHECK(s1.zero_wnd_probes - s0.zero_wnd_probes >= 4);
	peer_wnd = 8192;
	cap_clear();
	return NULL;
}

/* A.16: 4-tuples built to share a bucket of an unkeyed hash (the
 * address and the ports XOR to one value, as they did in the old
 * multiplicative hash) spread over the table under the keyed one, for
 * any seed; and two seeds place them differently. */
void *
case_hash_keyed(void)
{
	static struct tcp_lcore a, b;
	static uint8_t seen[TCP_HASH_SIZE];
	unsigned int i, distinct = 0, same = 0;
	uint32_t raddr, ha, hb;
	uint16_t rport;

	a.hash_seed = (uint32_t)rte_rand();
	b.hash_seed = a.hash_seed ^ 0x5bd1e995u;
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < 64; i++) {
		rport = (uint16_t)(1000 + i);
		raddr = 0x0a0a0000u ^ ((uint32_t)rport << 16); /* raddr ^ rport<<16 fixed */
		ha = tcp_hash(&a, raddr, rport, htons(7));
		hb = tcp_hash(&b, raddr, rport, htons(7));
		distinct += !seen[ha];
		seen[ha] = 1;
		same += ha == hb;
	}
	printf("    64 colliding tuples: %u buckets; %u placed alike by two seeds\n",
		distinct, same);
	T_CHECK(distinct >= 56);
	T_CHECK(same <= 4);
	return NULL;
}

/* A.17: (a) RFC 7661: an application-limited sender (one small write
 * per round trip) does not grow its window; (b) RFC 5681 4.1: after an
 * idle period longer than the RTO, a window grown by a bulk transfer
 * restarts from the initial window: a 60 KB write after 300 ms idle
 * goes out as at most 10 segments before an ACK, not the old window. */
void *
case_cwnd_idle(void)
{
	static char blob[65536];
	struct px_tcp_info i0, i1;
	struct px_tcp_conn *c;
	struct peer p;
	uint32_t una = 0, cwnd_grown;
	unsigned int k, n, burst;
	void *r;

	peer_wnd = 65535;
	if ((r = accept7(&p, 40008, &c)) != NULL)
		return r;
	una = p.ack; /* the stack's first data byte */
	T_EQ(px_tcp_setopt(c, PX_TCP_OPT_NODELAY, 1), 0);
	T_EQ(px_tcp_info(c, &i0), 0);
	for (k = 0; k < 100; k++) { /* (a): 100 bytes a round trip */
		T_EQ(px_tcp_write(c, blob, 100, 100 * MS), 100);
		run_for(200000);
		/* One segment; two if a slow round let the probe
		 * timeout (2 ms, once SRTT is down to the rounds' 0.2 ms)
		 * resend it. */
		T_CHECK(ack_all_data(&p, &una) >= 1);
	}
	T_EQ(px_tcp_info(c, &i1), 0);
	printf("    application-limited: cwnd %u -> %u\n", i0.cwnd, i1.cwnd);
	T_EQ(i1.cwnd, i0.cwnd);
	/* (b): grow it with bulk data, every segment ACKed at once. */
	for (k = 0; k < 4; k++)
		T_EQ(px_tcp_write(c, blob, sizeof(blob), 100 * MS), (ssize_t)sizeof(blob));
	for (n = 0; n < 4000 && px_tcp_info(c, &i1) == 0 &&
			i1.unacked + i1.unsent > 0; n++) {
		run_for(100000);
		ack_all_data(&p, &una);
	}
	T_EQ(i1.unacked + i1.unsent, 0);
	T_EQ(px_tcp_info(c, &i1), 0);
	cwnd_grown = i1.cwnd;
	T_CHECK(cwnd_grown >= 2 * i0.cwnd);
	run_for(300 * MS);
	cap_clear();
	T_EQ(px_tcp_write(c, blob, 60000, 100 * MS), 60000);
	run_for(1 * MS);
	burst = to_peer(&p, 0xff, TH_ACK, NULL) + to_peer(&p, 0xff, TH_ACK | TH_PSH, NULL);
	printf("    cwnd %u after bulk; after 300 ms idle %u segments before an ACK\n",
		cwnd_grown, burst);
	T_CHECK(burst <= 10);
	T_EQ(px_tcp_abort(c), 0);
	cap_clear();
	peer_wnd = 8192;
	return NULL;
}

/* A.18: (a) on a connection with timestamps a segment without one is
 * dropped (RFC 7323 3.2; tcp.drop_no_ts), a RST without one is not
 * (the exact one below ends the connection); (b) RFC 1337: an exact RST
 * does not end TIME-WAIT early. */
void *
case_ts_required_tw_rst(void)
{
	struct px_tcp_stats s0, s1;
	struct px_tcp_conn *c;
	struct rte_mbuf *m;
	struct peer p;
	char buf[8];
	unsigned int i;
	void *r;
	struct tframe_tcp f = {
		.src_mac = mac_p, .dst_mac = mac_a, .src = ip_p, .dst = ip_a,
		.dport = htons(7), .flags = TH_ACK | TH_PSH, .wnd = 8192,
		.data = "nots", .len = 4,
	};

	/* The count of connections tells when this one's TIME-WAIT ends:
	 * let those of earlier cases (a TIME-WAIT, an orphan) end first. */
	for (i = 0; i < 300 && stats().conns > 0; i++)
		run_for(10 * MS);
	T_EQ(stats().conns, 0);
	if ((r = accept7(&p, 40009, &c)) != NULL)
		return r;
	s0 = stats();
	f.sport = p.sport;
	f.seq = p.seq;
	f.ack = p.ack;
	m = tframe_tcp(mp, &f);
	px_netif_input(na, &m, 1);
	T_EQ(stats().drop_no_ts - s0.drop_no_ts, 1);
	T_EQ(px_tcp_read(c, buf, sizeof(buf), 0), -EAGAIN);
	peer_seg(&p, TH_ACK | TH_PSH, "ts", 2);
	T_EQ(px_tcp_read(c, buf, sizeof(buf), 100 * MS), 2);
	/* (b): we close first, the peer ACKs and closes: TIME-WAIT. */
	cap_clear();
	T_EQ(px_tcp_close(c), 0);
	run_for(1 * MS);
	p.ack++; /* our FIN */
	peer_seg(&p, TH_FIN | TH_ACK, NULL, 0);
	p.seq++;
	s0 = stats();
	peer_send(&p, TH_RST, p.seq, 0, NULL, 0, 0, 0);
	s1 = stats();
	T_EQ(s1.rst_in - s0.rst_in, 0);
	T_EQ(s1.conns, s0.conns);
	for (i = 0; i < 100 && stats().conns == s0.conns; i++)
		run_for(10 * MS);
	printf("    TIME-WAIT ended after %u ms (2 MSL = 200)\n", i * 10);
	T_CHECK(i >= 15 && i < 100);
	cap_clear();
	return NULL;
}

/* A.18: the SYN-ACK had to be sent again: the first flight after the
 * handshake is one segment (RFC 6928 2, RFC 5681 3.1), not IW10. */
void *
case_iw_after_synack_loss(void)
{
	static char blob[20000];
	const struct rte_tcp_hdr *th = NULL;
	struct px_tcp_conn *c;
	struct peer p;
	unsigned int n, k;

	peer_init(&p, 40031, 7);
	T_EQ(peer_syn(&p, 1460), 1);
	cap_clear(); /* that SYN-ACK is "lost" */
	for (k = 0; k < 50 && to_peer(&p, 0xff, TH_SYN | TH_ACK, &th) == 0; k++)
		run_for(10 * MS); /* the retransmitted SYN-ACK (100 ms) */
	T_CHECK(k < 50);
	peer_seg(&p, TH_ACK, NULL, 0);
	T_EQ(px_tcp_accept(lst7, &c, 100 * MS), 0);
	T_EQ(px_tcp_setopt(c, PX_TCP_OPT_NODELAY, 1), 0);
	cap_clear();
	T_EQ(px_tcp_write(c, blob, sizeof(blob), 100 * MS), (ssize_t)sizeof(blob));
	run_for(1 * MS);
	n = to_peer(&p, 0xff, TH_ACK, NULL) + to_peer(&p, 0xff, TH_ACK | TH_PSH, NULL);
	printf("    after a lost SYN-ACK: %u segment(s) in the first flight\n", n);
	T_EQ(n, 1);
	T_EQ(px_tcp_abort(c), 0);
	cap_clear();
	return NULL;
}

/* A.18 (RFC 6298 5.7): the handshake's RTT. A passive connection
 * times its SYN-ACK (the old code learnt nothing before the first data
 * was acknowledged, so its first flight waited rto_init); after a
 * resent SYN-ACK and no timestamp to say which copy was answered, the
 * RTO is three rto_init (3 s at the default) with no back-off. */
void *
case_handshake_rtt(void)
{
	const struct rte_tcp_hdr *th = NULL;
	struct px_tcp_info inf;
	struct px_tcp_conn *c;
	struct peer p;
	unsigned int k;

	peer_init(&p, 40052, 7);
	T_EQ(peer_syn(&p, 1460), 1);
	run_for(20 * MS);
	peer_seg(&p, TH_ACK, NULL, 0);
	T_EQ(px_tcp_accept(lst7, &c, 100 * MS), 0);
	T_EQ(px_tcp_info(c, &inf), 0);
	printf("    handshake: srtt %u us after a 20 ms wait\n", inf.srtt_us);
	T_CHECK(inf.srtt_us >= 19000 && inf.srtt_us < 60000);
	T_EQ(px_tcp_abort(c), 0);

	peer_init(&p, 40053, 7);
	T_EQ(peer_syn(&p, 1460), 1);
	cap_clear(); /* that SYN-ACK is lost */
	for (k = 0; k < 50 && to_peer(&p, 0xff, TH_SYN | TH_ACK, &th) == 0; k++)
		run_for(10 * MS);
	T_CHECK(k < 50);
	p.ts_recent = 0; /* the ACK echoes no timestamp */
	peer_seg(&p, TH_ACK, NULL, 0);
	T_EQ(px_tcp_accept(lst7, &c, 100 * MS), 0);
	T_EQ(px_tcp_info(c, &inf), 0);
	printf("    after a resent SYN-ACK, no sample: rto %u us\n", inf.rto_us);
	T_EQ(inf.srtt_us, 0);
	T_EQ(inf.rto_us, 3 * 100 * 1000);
	T_EQ(px_tcp_abort(c), 0);
	cap_clear();
	return NULL;
}

/* Captured data segments to p from frame i0 on: how many, the largest IP
 * total length, how many had DF set; the sequence number of the first
 * in *first. */
static unsigned int
data_to_peer(const struct peer *p, unsigned int i0, uint32_t *maxlen,
		unsigned int *df, uint32_t *first)
{
	const struct rte_tcp_hdr *th;
	const struct rte_ipv4_hdr *ip;
	unsigned int i, n = 0;
	uint32_t len, dlen;

	*maxlen = 0;
	*df = 0;
	for (i = i0; i < ncap; i++) {
		th = cap_tcp(i);
		if (th == NULL || th->dst_port != p->sport)
			continue;
		ip = cap_ip(i);
		len = ntohs(ip->total_length);
		dlen = len - 20 - (uint32_t)(th->data_off >> 4) * 4;
		if (dlen == 0)
			continue;
		if (n == 0 && first != NULL)
			*first = ntohl(th->sent_seq);
		n++;
		*maxlen = RTE_MAX(*maxlen, len);
		if (ip->fragment_offset & htons(RTE_IPV4_HDR_DF_FLAG))
			(*df)++;
	}
	return n;
}

/* Path MTU discovery (RFC 1191, RFC 5927; issue 16): TCP sends with DF;
 * fragmentation needed quoting a sequence number not in flight, or
 * reporting an MTU the quoted datagram fitted, is ignored; a valid one
 * lowers the MSS and what is in flight goes again at once in smaller
 * segments; a router that reports no MTU gets RFC 1191's plateau below
 * the datagram; a report below 552 is raised to it and DF cleared (no
 * tiny segments for a forger); the next connection to that destination
 * starts at the learned MTU. */
void *
case_pmtu(void)
{
	static char buf[3 * 1448];
	struct px_tcp_stats s0, s1;
	struct px_tcp_info inf;
	struct px_tcp_conn *c, *c2;
	struct peer p, p2;
	unsigned int df, n, mark;
	uint32_t maxlen, first, una;
	void *r;

	s0 = stats();
	if ((r = accept7(&p, 40040, &c)) != NULL)
		return r;
	T_EQ(px_tcp_info(c, &inf), 0);
	T_EQ(inf.mss, 1448);
	T_EQ(px_tcp_write(c, buf, sizeof(buf), 100 * MS), (ssize_t)sizeof(buf));
	run_for(1 * MS);
	n = data_to_peer(&p, 0, &maxlen, &df, &una);
	T_EQ(n, 3);
	T_EQ(maxlen, 1500);
	T_EQ(df, 3);
	/* Not in flight; an MTU the datagram fitted: both ignored. */
	icmp_about_info(ncap - 1, 3, 4, 100000, 1280);
	icmp_about_info(ncap - 1, 3, 4, 0, 1500);
	T_EQ(px_tcp_info(c, &inf), 0);
	T_EQ(inf.mss, 1448);
	s1 = stats();
	T_EQ(s1.drop_icmp_err - s0.drop_icmp_err, 2);
	T_EQ(s1.pmtu_lowered - s0.pmtu_lowered, 0);
	/* A router with a 1280-byte next hop. */
	mark = ncap;
	icmp_about_info(ncap - 1, 3, 4, 0, 1280);
	T_EQ(px_tcp_info(c, &inf), 0);
	T_EQ(inf.mss, 1228);
	T_EQ(stats().pmtu_lowered - s0.pmtu_lowered, 1);
	/* Resent at once from the first byte in flight, in smaller
	 * segments, DF still set. */
	n = data_to_peer(&p, mark, &maxlen, &df, &first);
	T_CHECK(n >= 4);
	T_EQ(first, una);
	T_EQ(maxlen, 1280);
	T_EQ(df, n);
	/* The same report again: nothing lower, ignored. */
	icmp_about_info(0, 3, 4, 0, 1280);
	T_EQ(stats().pmtu_lowered - s0.pmtu_lowered, 1);
	/* No MTU in the report (about a 1280-byte datagram): the plateau
	 * below it, 1006. */
	T_EQ(ntohs(cap_ip(mark)->total_length), 1280);
	icmp_about_info(mark, 3, 4, 0, 0);
	T_EQ(px_tcp_info(c, &inf), 0);
	T_EQ(inf.mss, 1006 - 40 - 12);
	/* 300: raised to 552, and DF off. */
	mark = ncap;
	icmp_about_info(mark - 1, 3, 4, 0, 300);
	T_EQ(px_tcp_info(c, &inf), 0);
	T_EQ(inf.mss, 552 - 40 - 12);
	T_EQ(stats().pmtu_lowered - s0.pmtu_lowered, 3);
	n = data_to_peer(&p, mark, &maxlen, &df, NULL);
	T_CHECK(n > 0);
	T_EQ(maxlen, 552);
	T_EQ(df, 0);
	/* The next connection from that host starts at what was learned. */
	if ((r = accept7(&p2, 40041, &c2)) != NULL)
		return r;
	T_EQ(px_tcp_info(c2, &inf), 0);
	T_EQ(inf.mss, 552 - 40 - 12);
	T_EQ(px_tcp_write(c2, buf, 1000, 100 * MS), 1000);
	run_for(1 * MS);
	n = data_to_peer(&p2, 0, &maxlen, &df, NULL);
	T_EQ(n, 2);
	T_EQ(df, 0);
	T_EQ(px_tcp_abort(c), 0);
	T_EQ(px_tcp_abort(c2), 0);
	cap_clear();
	return NULL;
}

/* Black-hole detection (RFC 4821 5.5; issue 16): full-size segments
 * vanish and no ICMP says why. Once the timeouts in a row have lasted
 * half a second, the next resends the first segment at 1024 bytes of
 * MSS, the one after at 536; smaller segments are never cut. (The
 * CI's memif run had two quick timeouts of a descheduled peer cut a
 * path that only dropped a burst.) */
void *
case_blackhole(void)
{
	static char buf[3 * 1448];
	struct px_tcp_stats s0;
	struct px_tcp_info inf;
	struct px_tcp_conn *c;
	struct peer p;
	unsigned int df, n, i, k = 0;
	uint32_t maxlen, lens[16];
	const struct rte_tcp_hdr *th;
	void *r;

	s0 = stats();
	/* A 40 ms handshake: an RTO of 120 ms. */
	if ((r = accept7_rtt(&p, 40042, &c, 40)) != NULL)
		return r;
	T_EQ(px_tcp_write(c, buf, sizeof(buf), 100 * MS), (ssize_t)sizeof(buf));
	run_for(1 * MS);
	n = data_to_peer(&p, 0, &maxlen, &df, NULL);
	T_EQ(n, 3);
	T_EQ(maxlen, 1500);
	cap_clear();
	/* RTOs at 120, 240, 480, 960 ms (backed off), 0.12, 0.36, 0.84,
	 * 1.8 s after the segments left; the fifth would end the
	 * connection (max_retries 4): stop before it.
	 * The series is a black hole from TCP_BH_MIN_MS (500 ms) on: the
	 * third and fourth cut the segments. */
	for (i = 0; i < 3000 && stats().pmtu_blackhole - s0.pmtu_blackhole < 2; i++)
		run_for(1 * MS);
	run_for(1 * MS);
	for (i = 0; i < ncap && k < PX_ARRAY_SIZE(lens); i++) {
		th = cap_tcp(i);
		if (th == NULL || th->dst_port != p.sport)
			continue;
		lens[k++] = ntohs(cap_ip(i)->total_length) - 20 -
			(uint32_t)(th->data_off >> 4) * 4;
	}
	T_EQ(stats().pmtu_blackhole - s0.pmtu_blackhole, 2);
	T_EQ(k, 4);
	T_EQ(lens[0], 1448);
	T_EQ(lens[1], 1448);
	T_EQ(lens[2], 1024 - 12);
	T_EQ(lens[3], 536 - 12);
	T_EQ(px_tcp_info(c, &inf), 0);
	T_EQ(inf.mss, 536 - 12);
	T_EQ(px_tcp_abort(c), 0);
	cap_clear();
	return NULL;
}

/* The SACK blocks of th (at most 4) in b; returns how many. */
static unsigned int
sack_blocks(const struct rte_tcp_hdr *th, uint32_t b[4][2])
{
	uint8_t o[38];
	uint32_t v, k, len, n = 0;

	len = tcp_opt(th, 5, o);
	for (k = 0; len >= 2 && k < (len - 2u) / 8 && n < 4; k++, n++) {
		memcpy(&v, o + 8 * k, 4);
		b[n][0] = ntohl(v);
		memcpy(&v, o + 4 + 8 * k, 4);
		b[n][1] = ntohl(v);
	}
	return n;
}

/* D-SACK (RFC 2883; issue 16): data that comes twice is reported to
 * its sender in the first SACK block of the next ACK: an old segment
 * below the cumulative ACK (the block lies below it), a segment that
 * overlaps the ACK in part (the old part), and a duplicate of data held
 * out of order (the block, then the range that holds it). */
void *
case_dsack(void)
{
	static const char data[300] = "dsack";
	const struct rte_tcp_hdr *th = NULL;
	struct px_tcp_stats s0 = stats();
	struct px_tcp_conn *c;
	struct peer p;
	uint32_t b[4][2], s, n;
	void *r;

	r = accept7_sack(&p, 40045, &c, 0);
	if (r != NULL)
		return r;
	s = p.seq;
	peer_seg(&p, TH_ACK | TH_PSH, data, 100);
	run_for(2 * MS);
	cap_clear();
	/* The whole segment again. */
	peer_send(&p, TH_ACK | TH_PSH, s, p.ack, data, 100, 0, 0);
	T_EQ(to_peer(&p, TH_ACK, TH_ACK, &th), 1);
	T_EQ(ntohl(th->recv_ack), s + 100);
	T_EQ(sack_blocks(th, b), 1);
	T_EQ(b[0][0], s);
	T_EQ(b[0][1], s + 100);
	cap_clear();
	/* 50 old bytes and 50 new: the old part is reported. */
	peer_send(&p, TH_ACK | TH_PSH, s + 50, p.ack, data, 100, 0, 0);
	p.seq = s + 150;
	run_for(2 * MS);
	T_CHECK(to_peer(&p, TH_ACK, TH_ACK, &th) >= 1);
	T_EQ(ntohl(th->recv_ack), s + 150);
	T_EQ(sack_blocks(th, b), 1);
	T_EQ(b[0][0], s + 50);
	T_EQ(b[0][1], s + 100);
	cap_clear();
	/* Out of order, then again: D-SACK, then the range holding it. */
	peer_send(&p, TH_ACK | TH_PSH, s + 250, p.ack, data, 50, 0, 0);
	T_EQ(to_peer(&p, TH_ACK, TH_ACK, &th), 1);
	T_EQ(sack_blocks(th, b), 1);
	T_EQ(b[0][0], s + 250);
	cap_clear();
	peer_send(&p, TH_ACK | TH_PSH, s + 250, p.ack, data, 50, 0, 0);
	T_EQ(to_peer(&p, TH_ACK, TH_ACK, &th), 1);
	n = sack_blocks(th, b);
	T_EQ(n, 2);
	T_EQ(b[0][0], s + 250);
	T_EQ(b[0][1], s + 300);
	T_EQ(b[1][0], s + 250);
	T_EQ(b[1][1], s + 300);
	cap_clear();
	/* The next ACK has no D-SACK left. */
	peer_send(&p, TH_ACK | TH_PSH, s + 150, p.ack, data, 100, 0, 0);
	T_EQ(to_peer(&p, TH_ACK, TH_ACK, &th), 1);
	T_EQ(ntohl(th->recv_ack), s + 300);
	T_EQ(sack_blocks(th, b), 0);
	T_EQ(stats().dsack_out - s0.dsack_out, 3);
	T_EQ(px_tcp_abort(c), 0);
	cap_clear();
	return NULL;
}

/* Issue 16 (a memif run that stalled both ends): an ACK that
 * acknowledges new data updates the send window even when its sequence
 * number is below the segment that set it last (SND.WL1). The peer's
 * retransmission that fills a hole below data we have is such a
 * segment, and it carries the peer's newest window. Keeping the older,
 * larger one (RFC 9293's rule to the letter) moved the right edge past
 * the one just offered: the peer dropped what we sent there, and then
 * our ACKs, at a sequence number past its shut window; neither side
 * moved again. Linux's tcp_may_update_window() takes every ACK that
 * advances SND.UNA. */
void *
case_wnd_old_seq(void)
{
	static char blob[20000], pd[200];
	uint32_t una, s, hi = 0, seq[32], len[32];
	struct px_tcp_conn *c;
	struct peer p;
	unsigned int i, n;
	void *r;

	if ((r = accept7(&p, 40048, &c)) != NULL)
		return r;
	T_EQ(px_tcp_write(c, blob, sizeof(blob), 100 * MS), (ssize_t)sizeof(blob));
	run_for(2 * MS);
	n = data_segs(&p, seq, len, 32);
	T_CHECK(n > 0);
	una = seq[0];
	for (i = 0; i < n; i++)
		T_CHECK(seq[i] + len[i] - una <= 8192u);
	/* The peer's later segment arrives first (a hole below it) ... */
	s = p.seq;
	peer_send(&p, TH_ACK, s + 100, una, pd, 100, 0, 0);
	/* ... then the one that fills the hole: it acknowledges 4000 bytes
	 * and offers 1000 more (the edge moves back from una + 8192). */
	peer_wnd = 1000;
	cap_clear();
	peer_send(&p, TH_ACK, s, una + 4000, pd, 100, 0, 0);
	p.seq = s + 200;
	run_for(5 * MS);
	n = data_segs(&p, seq, len, 32);
	for (i = 0; i < n; i++)
		if (SEQ_GT(seq[i] + len[i], una + hi))
			hi = seq[i] + len[i] - una;
	printf("    sent up to una + %u after the window fell to una + 5000\n", hi);
	/* Nothing new went past the edge offered before (una + 8192). */
	T_CHECK(hi <= 8192u);
	peer_wnd = 8192;
	T_EQ(px_tcp_abort(c), 0);
	cap_clear();
	return NULL;
}

/* Issue 16: a pure ACK at the right edge of our window (SEG.SEQ =
 * RCV.NXT + RCV.WND) is taken, as Linux's tcp_sequence() takes it: the
 * peer filled the window and a segment below was lost, so all its ACKs
 * carry that sequence number; RFC 9293's table (SEG.SEQ < RCV.NXT +
 * RCV.WND) would drop each of them, and their news about our data,
 * until the peer resends. One byte past the edge is still dropped. */
void *
case_ack_at_edge(void)
{
	static char blob[1000];
	const struct rte_tcp_hdr *th = NULL;
	struct px_tcp_stats s0, s1;
	struct px_tcp_info inf;
	struct px_tcp_conn *c;
	struct peer p;
	uint32_t una, wnd;
	void *r;

	if ((r = accept7(&p, 40049, &c)) != NULL)
		return r;
	T_EQ(px_tcp_write(c, blob, sizeof(blob), 100 * MS), (ssize_t)sizeof(blob));
	run_for(2 * MS);
	T_CHECK(to_peer(&p, TH_ACK, TH_ACK, &th) >= 1);
	una = ntohl(th->sent_seq);
	wnd = ntohs(th->rx_win); /* unscaled: the peer offered no WS */
	T_CHECK(wnd > 0);
	s0 = stats();
	/* One past the edge: out of window, dropped. */
	peer_send(&p, TH_ACK, p.seq + wnd + 1, una + 500, NULL, 0, 0, 0);
	s1 = stats();
	T_EQ(s1.drop_out_of_window - s0.drop_out_of_window, 1);
	T_EQ(px_tcp_info(c, &inf), 0);
	T_EQ(inf.unacked, sizeof(blob));
	/* At the edge: its ACK is taken. */
	peer_send(&p, TH_ACK, p.seq + wnd, una + sizeof(blob), NULL, 0, 0, 0);
	s0 = stats();
	T_EQ(s0.drop_out_of_window, s1.drop_out_of_window);
	T_EQ(px_tcp_info(c, &inf), 0);
	T_EQ(inf.unacked, 0);
	T_EQ(px_tcp_abort(c), 0);
	cap_clear();
	return NULL;
}
