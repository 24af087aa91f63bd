/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/* tcp_peer_autotest cases, part two: path MTU, SACK and D-SACK, RACK and
 * TLP, Fast Open, socket options, GRO (test_tcp_peer.h). */

#include "test_tcp_peer.h"

/* A.18 (RFC 7323 7.1): each connection's TSvals carry an offset keyed
 * by its 4-tuple, so two connections' clocks differ by far more than the
 * time between them (the old code sent the host's uptime in ms to all
 * alike), and the same 4-tuple gets the same clock again (its TSvals
 * pass the peer's PAWS if it takes over a TIME_WAIT). */
void *
case_ts_offset(void)
{
	struct px_tcp_conn *c1, *c2, *c3;
	struct peer p1, p2, p3;
	uint32_t uptime;
	int32_t d12, d13;
	void *r;

	if ((r = accept7(&p1, 40050, &c1)) != NULL ||
			(r = accept7(&p2, 40051, &c2)) != NULL)
		return r;
	uptime = (uint32_t)(rte_rdtsc() / (rte_get_tsc_hz() / 1000));
	T_EQ(px_tcp_abort(c1), 0);
	run_for(10 * MS);
	if ((r = accept7(&p3, 40050, &c3)) != NULL)
		return r;
	d12 = (int32_t)(p2.ts_recent - p1.ts_recent);
	d13 = (int32_t)(p3.ts_recent - p1.ts_recent);
	printf("    TSvals: %u, %u (another port), %u (the first port again),"
		" uptime %u ms\n", p1.ts_recent, p2.ts_recent, p3.ts_recent,
		uptime);
	T_CHECK(d12 > 1000 || d12 < -1000);
	T_CHECK(d13 >= 10 && d13 < 1000);
	T_CHECK((int32_t)(p1.ts_recent - uptime) > 1000 ||
		(int32_t)(p1.ts_recent - uptime) < -1000);
	T_EQ(px_tcp_abort(c2), 0);
	T_EQ(px_tcp_abort(c3), 0);
	cap_clear();
	return NULL;
}

/* Keepalive probes captured for p: segments at SEG.SEQ = SND.NXT - 1. */
static unsigned int
ka_probes_to(const struct peer *p)
{
	const struct rte_tcp_hdr *th;
	unsigned int i, n = 0;

	for (i = 0; i < ncap; i++) {
		th = cap_tcp(i);
		if (th != NULL && th->dst_port == p->sport &&
				ntohl(th->sent_seq) == p->ack - 1)
			n++;
	}
	return n;
}

/* A.18: keepalive runs in CLOSE_WAIT and in a FIN_WAIT_2 the
 * application holds, as in ESTABLISHED (the old code probed in
 * ESTABLISHED only); and only a segment in the window counts as the
 * peer being there (the old code restarted the idle time on any, so a
 * blind sender out of window kept a dead connection alive). Three
 * connections idle for 1 s: one receiving an out-of-window segment
 * every 100 ms, one in CLOSE_WAIT, one in FIN_WAIT_2. Each gets its
 * probe. */
void *
case_keepalive_states(void)
{
	struct px_tcp_conn *c[3];
	struct px_tcp_info inf;
	struct peer p[3];
	unsigned int k, i;
	void *r;

	for (k = 0; k < 3; k++) {
		if ((r = accept7(&p[k], (uint16_t)(40054 + k), &c[k])) != NULL)
			return r;
		T_EQ(px_tcp_setopt(c[k], PX_TCP_OPT_KEEPIDLE, 1), 0);
		T_EQ(px_tcp_setopt(c[k], PX_TCP_OPT_KEEPINTVL, 1), 0);
		T_EQ(px_tcp_setopt(c[k], PX_TCP_OPT_KEEPALIVE, 1), 0);
	}
	/* 1: the peer closes its side. */
	peer_seg(&p[1], TH_FIN | TH_ACK, NULL, 0);
	p[1].seq++;
	/* 2: we close ours; the peer ACKs the FIN. */
	T_EQ(px_tcp_shutdown(c[2]), 0);
	run_for(1 * MS);
	p[2].ack++;
	peer_seg(&p[2], TH_ACK, NULL, 0);
	T_EQ(px_tcp_info(c[1], &inf), 0);
	T_EQ(inf.state, PX_TCP_CLOSE_WAIT);
	T_EQ(px_tcp_info(c[2], &inf), 0);
	T_EQ(inf.state, PX_TCP_FIN_WAIT_2);
	cap_clear();
	for (i = 0; i < 13; i++) {
		peer_send(&p[0], TH_ACK, p[0].seq + 100000, p[0].ack, NULL, 0, 0, 0);
		run_for(100 * MS);
	}
	printf("    probes after 1.3 s idle: %u (out-of-window segments), "
		"%u (CLOSE_WAIT), %u (FIN_WAIT_2)\n", ka_probes_to(&p[0]),
		ka_probes_to(&p[1]), ka_probes_to(&p[2]));
	for (k = 0; k < 3; k++)
		T_EQ(ka_probes_to(&p[k]), 1);
	for (k = 0; k < 3; k++)
		T_EQ(px_tcp_abort(c[k]), 0);
	cap_clear();
	return NULL;
}

/* A.18: a FIN that came past a hole ends the stream there. Data that
 * then arrives across it is cut at the FIN (the old code took it, moved
 * RCV.NXT past the FIN and lost the end of the stream: the reader never
 * saw EOF); and a FIN below data already held out of order is not
 * taken for the end. */
void *
case_ooo_fin(void)
{
	static char d[300];
	struct px_tcp_conn *c;
	struct peer p;
	char buf[512];
	ssize_t n, got = 0;
	int i;
	void *r;

	if ((r = accept7(&p, 40057, &c)) != NULL)
		return r;
	memset(d, 'f', sizeof(d));
	/* [100, 200) and the FIN at 200, past the hole [0, 100) ... */
	peer_send(&p, TH_ACK | TH_FIN, p.seq + 100, p.ack, d, 100, 0, 0);
	/* ... then [0, 250), across the FIN. */
	peer_send(&p, TH_ACK, p.seq, p.ack, d, 250, 0, 0);
	for (i = 0; i < 10; i++) {
		n = px_tcp_read(c, buf, sizeof(buf), 20 * MS);
		if (n <= 0)
			break;
		got += n;
	}
	printf("    FIN at 200, data to 250: read %zd bytes, then %zd\n", got, n);
	T_EQ(got, 200);
	T_EQ(n, 0);
	T_EQ(px_tcp_abort(c), 0);

	if ((r = accept7(&p, 40058, &c)) != NULL)
		return r;
	/* [150, 250) held, then a FIN at 100 below it: not the end. */
	peer_send(&p, TH_ACK, p.seq + 150, p.ack, d, 100, 0, 0);
	peer_send(&p, TH_ACK | TH_FIN, p.seq + 50, p.ack, d, 50, 0, 0);
	peer_send(&p, TH_ACK, p.seq, p.ack, d, 150, 0, 0);
	/* The stream goes on to 250 and the real FIN. */
	peer_send(&p, TH_ACK | TH_FIN, p.seq + 250, p.ack, NULL, 0, 0, 0);
	got = 0;
	for (i = 0; i < 10; i++) {
		n = px_tcp_read(c, buf, sizeof(buf), 20 * MS);
		if (n <= 0)
			break;
		got += n;
	}
	printf("    a FIN at 100 below data held to 250: read %zd, then %zd\n",
		got, n);
	T_EQ(got, 250);
	T_EQ(n, 0);
	T_EQ(px_tcp_abort(c), 0);
	cap_clear();
	return NULL;
}

/* A.18 (RFC 6191, RFC 1122 4.2.2.13): a SYN that takes over our
 * TIME-WAIT gets a SYN-ACK whose ISS lies above all the old
 * connection sent (old SND.NXT + 65537, as Linux). The old code took the
 * ISN clock (4 us), which 20 KB sent in a few ms had outrun: the new
 * ISS lay below the old SND.NXT. */
void *
case_tw_iss(void)
{
	static char blob[20000];
	struct px_tcp_stats s0;
	struct px_tcp_conn *c;
	struct peer p;
	uint32_t una, old_nxt, iss;
	int i;
	void *r;

	if ((r = accept7(&p, 40059, &c)) != NULL)
		return r;
	T_EQ(px_tcp_write(c, blob, sizeof(blob), 100 * MS), (ssize_t)sizeof(blob));
	una = p.ack;
	for (i = 0; i < 50 && una != p.ack + sizeof(blob); i++) {
		run_for(1 * MS);
		ack_all_data(&p, &una);
	}
	T_EQ(una, p.ack + sizeof(blob));
	p.ack = una;
	/* We close first; the peer ACKs and closes: TIME-WAIT. */
	T_EQ(px_tcp_close(c), 0);
	run_for(1 * MS);
	p.ack++; /* our FIN */
	peer_seg(&p, TH_FIN | TH_ACK, NULL, 0);
	p.seq++;
	old_nxt = p.ack;
	s0 = stats();
	/* A new SYN from the same port, above the old sequence space. */
	p.seq += 100000;
	T_EQ(peer_syn(&p, 1460), 1);
	T_EQ(stats().tw_reuse - s0.tw_reuse, 1);
	iss = p.ack - 1;
	printf("    old SND.NXT %u, new ISS %u\n", old_nxt, iss);
	T_EQ(iss, old_nxt + 65537);
	peer_seg(&p, TH_ACK, NULL, 0);
	T_EQ(px_tcp_accept(lst7, &c, 100 * MS), 0);
	T_EQ(px_tcp_abort(c), 0);
	cap_clear();
	return NULL;
}

/* A.1: the orphan limit (max_orphans, 8 here). Ten connections each
 * closed with data the peer never acknowledges: eight stay to finish
 * (tcp.orphans), the ninth and tenth are reset at once
 * (tcp.orphan_reset, a RST to their peers); the eight end on their
 * retries, and the gauge comes back to 0. The old code kept them all. */
void *
case_orphan_limit(void)
{
	const struct rte_tcp_hdr *th;
	struct px_tcp_stats s0, s1;
	struct px_tcp_conn *c[10];
	struct peer p[10];
	unsigned int k, i, rst = 0;
	void *r;

	for (i = 0; i < 300 && stats().conns > 0; i++)
		run_for(10 * MS);
	T_EQ(stats().orphans, 0);
	s0 = stats();
	for (k = 0; k < 10; k++) {
		if ((r = accept7(&p[k], (uint16_t)(40060 + k), &c[k])) != NULL)
			return r;
		T_EQ(px_tcp_write(c[k], "orphan", 6, 100 * MS), 6);
	}
	run_for(1 * MS);
	cap_clear();
	for (k = 0; k < 10; k++)
		T_EQ(px_tcp_close(c[k]), 0);
	s1 = stats();
	for (k = 8; k < 10; k++)
		rst += to_peer(&p[k], TH_RST, TH_RST, &th);
	printf("    10 closes: %" PRIu64 " orphans, %" PRIu64 " reset, "
		"%u RSTs\n", s1.orphans, s1.orphan_reset - s0.orphan_reset, rst);
	T_EQ(s1.orphans, 8);
	T_EQ(s1.orphan_reset - s0.orphan_reset, 2);
	T_EQ(rst, 2);
	for (k = 0; k < 8; k++)
		T_EQ(to_peer(&p[k], TH_RST, TH_RST, &th), 0);
	for (i = 0; i < 300 && stats().orphans > 0; i++)
		run_for(10 * MS);
	T_EQ(stats().orphans, 0);
	cap_clear();
	return NULL;
}

/* One round trip of the peer's: the data segments captured so far are
 * ACKed one by one, each delay_ms after it was sent (so the RTT the
 * stack measures does not depend on how fast this loop runs: a
 * sanitized build is slow), echoing its TSval; returns how many. */
static unsigned int
ack_each_after(struct peer *p, uint64_t delay_ms)
{
	uint32_t seq[64], len[64], ts[64];
	uint64_t sent[64], due, now, hz = rte_get_tsc_hz();
	const struct rte_tcp_hdr *th;
	unsigned int i, k = 0, n = data_segs_ts(p, seq, len, ts, 64);

	for (i = 0; i < ncap && k < n; i++) {
		th = cap_tcp(i);
		if (th != NULL && th->dst_port == p->sport &&
				ntohl(th->sent_seq) == seq[k])
			sent[k++] = cap_tsc[i];
	}
	cap_clear();
	for (i = 0; i < n; i++) {
		due = sent[i < k ? i : k - 1] + delay_ms * hz / 1000;
		now = rte_rdtsc();
		if (due > now)
			run_for((due - now) * 1000000000ull / hz);
		p->ts_recent = ts[i];
		peer_send(p, TH_ACK, p->seq, seq[i] + len[i], NULL, 0, 0, 0);
	}
	return n;
}

/* HyStart++ (RFC 9406; issue 16): a slow start whose RTT grows from
 * 2 ms to 12 ms at the second of ten rounds (the peer's ACKs held longer:
 * a queue filling) turns conservative then and, five rounds on, ends
 * with ssthresh at the window reached: no loss needed (without
 * HyStart++ slow start goes on until one). The same rounds at a steady
 * 2 ms stay in slow start. */
void *
case_hystart(void)
{
	static char blob[700000];
	struct px_tcp_stats s0, s1;
	struct px_tcp_info inf;
	struct px_tcp_conn *c;
	struct peer p;
	unsigned int k, n, grow;
	void *r;

	peer_wnd = 65535;
	for (grow = 0; grow < 2; grow++) {
		s0 = stats();
		/* 40 ms handshake: an RTO (120 ms) far above the rounds. */
		if ((r = accept7_rtt(&p, (uint16_t)(40070 + grow), &c, 40)) != NULL)
			return r;
		T_EQ(px_tcp_setopt(c, PX_TCP_OPT_SNDBUF, 1 << 20), 0);
		T_EQ(px_tcp_write(c, blob, sizeof(blob), 100 * MS),
			(ssize_t)sizeof(blob));
		run_for(1 * MS);
		for (k = 0; k < 10; k++) {
			n = ack_each_after(&p, grow && k >= 1 ? 12 : 2);
			T_CHECK(n >= 8);
			run_for(1 * MS);
		}
		s1 = stats();
		T_EQ(px_tcp_info(c, &inf), 0);
		printf("    RTT %s: cwnd %u ssthresh %u, css %" PRIu64 " exit %" PRIu64
			"\n", grow ? "2 -> 12 ms" : "2 ms steady", inf.cwnd,
			inf.ssthresh, s1.hystart_css - s0.hystart_css,
			s1.hystart_exit - s0.hystart_exit);
		if (grow) {
			T_EQ(s1.hystart_css - s0.hystart_css, 1);
			T_EQ(s1.hystart_exit - s0.hystart_exit, 1);
			T_CHECK(inf.ssthresh < UINT32_MAX / 2);
		} else {
			T_EQ(s1.hystart_css - s0.hystart_css, 0);
			T_EQ(inf.ssthresh, UINT32_MAX / 2);
		}
		T_EQ(px_tcp_abort(c), 0);
		cap_clear();
	}
	peer_wnd = 8192;
	return NULL;
}

/* Tail loss probe (RFC 8985 7; issue 16): five segments, the last two
 * lost. The probe timeout (2 SRTT here, well before the 5 ms RTO)
 * resends the last segment; the peer SACKs it, which shows the one
 * below lost (RACK's rule for the probe): it is resent at once, in
 * recovery, with no timeout at all. A probe the peer reports with a
 * D-SACK (it had the segment) counts as spurious. */
void *
case_tlp(void)
{
	static char buf[5 * 1448];
	struct px_tcp_stats s0, s1;
	struct px_tcp_conn *c;
	struct peer p;
	uint32_t seq[8], len[8], una;
	unsigned int n, i;
	void *r;

	peer_wnd = 65535;
	r = accept7_sack(&p, 40046, &c, 0);
	if (r != NULL)
		return r;
	T_EQ(px_tcp_setopt(c, PX_TCP_OPT_NODELAY, 1), 0);
	/* An RTT sample first (about 1 ms). */
	T_EQ(px_tcp_write(c, buf, 100, 100 * MS), 100);
	run_for(1 * MS);
	T_EQ(data_segs(&p, seq, len, 8), 1);
	una = seq[0] + 100;
	peer_send(&p, TH_ACK, p.seq, una, NULL, 0, 0, 0);
	cap_clear();
	s0 = stats();
	T_EQ(px_tcp_write(c, buf, sizeof(buf), 100 * MS), (ssize_t)sizeof(buf));
	T_EQ(data_segs(&p, seq, len, 8), 5);
	cap_clear();
	/* The first three arrive; the tail is lost. */
	peer_send(&p, TH_ACK, p.seq, seq[3], NULL, 0, 0, 0);
	for (i = 0; i < 40 && stats().tlp_probes == s0.tlp_probes; i++)
		run_for(100000);
	s1 = stats();
	printf("    probe %u00 us after the ACK\n", i);
	T_EQ(s1.tlp_probes - s0.tlp_probes, 1);
	T_EQ(s1.rto - s0.rto, 0);
	n = data_segs(&p, seq + 5, len + 5, 3);
	T_EQ(n, 1);
	T_EQ(seq[5], seq[4]);      /* the last segment again */
	T_EQ(len[5], len[4]);
	cap_clear();
	/* Its SACK: the segment below it is lost, and resent now. */
	peer_sblk[0] = seq[4];
	peer_sblk[1] = seq[4] + len[4];
	peer_send(&p, TH_ACK, p.seq, seq[3], NULL, 0, 0, 0);
	n = data_segs(&p, seq + 5, len + 5, 3);
	T_EQ(n, 1);
	T_EQ(seq[5], seq[3]);
	s1 = stats();
	T_EQ(s1.tlp_recoveries - s0.tlp_recoveries, 1);
	T_EQ(s1.rto - s0.rto, 0);
	cap_clear();
	peer_send(&p, TH_ACK, p.seq, seq[4] + len[4], NULL, 0, 0, 0);
	/* Spurious: one segment out, its ACK is late; the probe's copy is
	 * reported with a D-SACK. (A flight of one segment waits a
	 * delayed ACK more: 2 segments here.) */
	cap_clear();
	T_EQ(px_tcp_write(c, buf, 2 * 1448, 100 * MS), 2 * 1448);
	T_EQ(data_segs(&p, seq, len, 8), 2);
	cap_clear();
	for (i = 0; i < 40 && stats().tlp_probes - s0.tlp_probes < 2; i++)
		run_for(100000);
	T_EQ(stats().tlp_probes - s0.tlp_probes, 2);
	peer_sblk[0] = seq[1];
	peer_sblk[1] = seq[1] + len[1];
	peer_send(&p, TH_ACK, p.seq, seq[1] + len[1], NULL, 0, 0, 0);
	s1 = stats();
	T_EQ(s1.tlp_spurious - s0.tlp_spurious, 1);
	T_EQ(s1.rto - s0.rto, 0);
	T_EQ(px_tcp_abort(c), 0);
	cap_clear();
	peer_wnd = 8192;
	return NULL;
}

/* PRR (RFC 6937; issue 16): a loss in a flight of about 40 segments. In
 * SACK recovery the window comes down to ssthresh (0.7 of the flight
 * with CUBIC) by sending about 0.7 segment per segment the peer reports
 * delivered, from the first ACK on; RFC 6675 alone (cwnd = ssthresh at
 * once) would send nothing until the pipe fell below ssthresh, about
 * 0.3 of the flight (12 ACKs) later, and then one per ACK. */
void *
case_prr(void)
{
	static char blob[65536];
	struct px_tcp_info inf;
	struct px_tcp_conn *c;
	struct peer p;
	uint32_t seq[64], len[64], una, k, n, f, first5 = 0, most = 0;
	void *r;

	peer_wnd = 65535;
	r = accept7_sack(&p, 40047, &c, 0);
	if (r != NULL)
		return r;
	una = p.ack;
	/* Grow the window: bulk data, every segment ACKed at once. */
	for (k = 0; k < 8; k++) {
		T_EQ(px_tcp_write(c, blob, sizeof(blob), 100 * MS), (ssize_t)sizeof(blob));
		for (n = 0; n < 4000 && px_tcp_info(c, &inf) == 0 &&
				inf.unacked + inf.unsent > 0; n++) {
			run_for(100000);
			ack_all_data(&p, &una);
		}
	}
	T_EQ(px_tcp_info(c, &inf), 0);
	printf("    cwnd %u\n", inf.cwnd);
	T_CHECK(inf.cwnd >= 30 * 1448);
	/* A flight of the peer's whole window (64 KiB, 45 segments), and
	 * more queued behind it. */
	cap_clear();
	for (k = 0; k < 3; k++)
		T_EQ(px_tcp_write(c, blob, sizeof(blob), 100 * MS), (ssize_t)sizeof(blob));
	f = data_segs(&p, seq, len, 64);
	printf("    flight of %u segments\n", f);
	T_CHECK(f >= 30);
	cap_clear();
	/* The first is lost; the peer SACKs the others one by one. */
	for (k = 1; k < f; k++) {
		peer_sblk[0] = seq[1];
		peer_sblk[1] = seq[k] + len[k];
		peer_send(&p, TH_ACK, p.seq, seq[0], NULL, 0, 0, 0);
		n = data_segs(&p, seq + f, len + f, 64 - f);
		cap_clear();
		if (k >= 3 && k < 3 + 5)
			first5 += n;
		if (k >= 4)
			most = RTE_MAX(most, n);
	}
	printf("    in recovery: %u segments for the 5 ACKs after the first, "
		"at most %u per ACK after it\n", first5, most);
	T_EQ(stats().sack_recoveries >= 1, 1);
	T_CHECK(first5 >= 3);   /* the retransmission and PRR's new data */
	T_CHECK(most <= 2);
	T_EQ(px_tcp_abort(c), 0);
	cap_clear();
	peer_wnd = 8192;
	return NULL;
}

/* Segments to p in the capture whose payload starts at seq. */
static unsigned int
segs_at(struct peer *p, uint32_t seq)
{
	uint32_t sq[64], ln[64];
	unsigned int i, n = data_segs(p, sq, ln, 64), k = 0;

	for (i = 0; i < n; i++)
		k += sq[i] == seq;
	return k;
}

/* RACK (RFC 8985 6; issue 16): a resent segment lost again is resent
 * once more as soon as data sent after it is SACKed, not a timeout
 * later. The first of ten segments is lost, SACKs of the next three
 * start recovery and resend it; that resend is lost too, and the peer
 * goes on SACKing, including the new data recovery sends after the
 * resend (fails with RACK off: never resent in 40 ACKs). RFC 6675 alone never resends below HighRxt: the RTO (3 x the
 * 30 ms handshake here) would. */
void *
case_rack_lost_rtx(void)
{
	static char buf[24 * 1448];
	struct px_tcp_stats s0, s1;
	struct px_tcp_conn *c;
	struct peer p;
	uint32_t seq[64], len[64], sq[64], ln[64], top;
	unsigned int n, k, i, j, m, again = 0;
	uint64_t t0;
	void *r;

	peer_wnd = 65535;
	r = accept7_sack(&p, 40048, &c, 30);
	if (r != NULL)
		return r;
	T_EQ(px_tcp_setopt(c, PX_TCP_OPT_NODELAY, 1), 0);
	s0 = stats();
	T_EQ(px_tcp_write(c, buf, sizeof(buf), 100 * MS), (ssize_t)sizeof(buf));
	n = data_segs(&p, seq, len, 64);
	T_CHECK(n >= 8);
	top = seq[n - 1] + len[n - 1];
	cap_clear();
	t0 = rte_rdtsc();
	/* seq[0] lost; SACK the others one by one: the third starts
	 * recovery and resends seq[0]; the peer loses that too. */
	for (k = 1; k < 4; k++) {
		peer_sblk[0] = seq[1];
		peer_sblk[1] = seq[k] + len[k];
		peer_send(&p, TH_ACK, p.seq, seq[0], NULL, 0, 0, 0);
	}
	T_EQ(segs_at(&p, seq[0]), 1);
	T_EQ(stats().sack_recoveries - s0.sack_recoveries, 1);
	/* Go on: SACK up to the highest byte sent so far, which soon is
	 * new data sent after the resend. */
	cap_clear();
	for (i = 0; i < 40 && again == 0; i++) {
		peer_sblk[0] = seq[1];
		peer_sblk[1] = k < n ? seq[k] + len[k] : top;
		k++;
		peer_send(&p, TH_ACK, p.seq, seq[0], NULL, 0, 0, 0);
		again = segs_at(&p, seq[0]);
		m = data_segs(&p, sq, ln, 64);
		for (j = 0; j < m; j++)
			if (SEQ_GT(sq[j] + ln[j], top))
				top = sq[j] + ln[j];
		cap_clear();
	}
	s1 = stats();
	printf("    resent again after %u more ACKs, %.2f ms (RTO %.0f ms); "
		"rack_lost_rtx %" PRIu64 "\n", i,
		(double)(rte_rdtsc() - t0) * 1e3 / rte_get_tsc_hz(), 90.0,
		s1.rack_lost_rtx - s0.rack_lost_rtx);
	T_EQ(again, 1);
	T_CHECK(s1.rack_lost_rtx - s0.rack_lost_rtx >= 1);
	T_EQ(s1.rto - s0.rto, 0);
	T_EQ(px_tcp_abort(c), 0);
	cap_clear();
	peer_wnd = 8192;
	return NULL;
}

/* RACK's reordering window (RFC 8985 6.2): with two of four segments
 * SACKed above a hole (too few for RFC 6675), the hole is resent once
 * a quarter of the least RTT (here the 40 ms handshake: 10 ms) has
 * passed, by the reordering timer; not at once (it may be reordering:
 * the second connection's hole is filled 3 ms later and nothing is
 * resent), and not after the probe timeout (2 SRTT, 80 ms) or the RTO
 * as before (RACK off: not resent in 150 ms). */
void *
case_rack_reo_timer(void)
{
	static char buf[4 * 1448];
	struct px_tcp_stats s0, s1;
	struct px_tcp_conn *c;
	struct peer p;
	uint32_t seq[8], len[8];
	unsigned int i, pass;
	uint64_t t0;
	void *r;

	peer_wnd = 65535;
	for (pass = 0; pass < 2; pass++) {
		r = accept7_sack(&p, (uint16_t)(40049 + pass), &c, 40);
		if (r != NULL)
			return r;
		T_EQ(px_tcp_setopt(c, PX_TCP_OPT_NODELAY, 1), 0);
		s0 = stats();
		T_EQ(px_tcp_write(c, buf, sizeof(buf), 100 * MS), (ssize_t)sizeof(buf));
		T_EQ(data_segs(&p, seq, len, 8), 4);
		cap_clear();
		t0 = rte_rdtsc();
		for (i = 1; i < 3; i++) {
			peer_sblk[0] = seq[1];
			peer_sblk[1] = seq[i] + len[i];
			peer_send(&p, TH_ACK, p.seq, seq[0], NULL, 0, 0, 0);
		}
		run_for(3 * MS);
		T_EQ(segs_at(&p, seq[0]), 0);
		if (pass == 1) {
			/* Reordering: seq[0] arrives late after all. */
			peer_send(&p, TH_ACK, p.seq, seq[2] + len[2], NULL, 0, 0, 0);
			run_for(60 * MS);
			T_EQ(segs_at(&p, seq[0]), 0);
			T_EQ(stats().rack_lost - s0.rack_lost, 0);
		} else {
			for (i = 0; i < 300 && segs_at(&p, seq[0]) == 0; i++)
				run_for(MS / 2);
			s1 = stats();
			printf("    hole resent %.1f ms after the SACKs\n",
				(double)(rte_rdtsc() - t0) * 1e3 / rte_get_tsc_hz());
			T_EQ(segs_at(&p, seq[0]), 1);
			T_CHECK(s1.rack_reo_timeouts - s0.rack_reo_timeouts >= 1);
			T_CHECK(s1.rack_lost - s0.rack_lost >= 1);
			T_EQ(s1.tlp_probes - s0.tlp_probes, 0);
			T_EQ(s1.rto - s0.rto, 0);
		}
		T_EQ(px_tcp_abort(c), 0);
		cap_clear();
	}
	peer_wnd = 8192;
	return NULL;
}

/* A SYN with data and the Fast Open option of len bytes (opt: kind,
 * len, cookie); the SYN-ACK in *sa (NULL if none). */
static void
tfo_syn(struct peer *p, const uint8_t *opt, uint8_t len, const char *data,
		const struct rte_tcp_hdr **sa)
{
	*sa = NULL;
	cap_clear();
	memcpy(peer_tfo, opt, len);
	peer_tfo_len = len;
	peer_send(p, TH_SYN, p->seq, 0, data, (uint16_t)strlen(data), 1460, 0);
	peer_tfo_len = 0;
	if (to_peer(p, 0xff, TH_SYN | TH_ACK, sa) == 1) {
		p->ack = ntohl((*sa)->sent_seq) + 1;
		p->ts_recent = tcp_tsval(*sa);
	}
}

/* TCP Fast Open, server side (RFC 7413; issue 16, PX_TCP_CONF_F_FASTOPEN
 * here): a SYN asking for a cookie gets one in the SYN-ACK; a SYN with
 * it and data has the data acknowledged by the SYN-ACK, the connection
 * accepted and read before the handshake completes, and the answer sent
 * right after the SYN-ACK; a wrong cookie gets the right one, its data
 * is not acknowledged (RFC 7413 4.2.2: the client sends it again), and
 * nothing is accepted before the ACK. (Before: the SYN's data was
 * dropped, no cookie.) */
void *
case_fastopen(void)
{
	static const uint8_t req[2] = { 34, 2 };
	const struct rte_tcp_hdr *sa, *th;
	struct px_tcp_stats s0, s1;
	struct px_tcp_conn *c;
	struct peer p;
	uint8_t cookie[18], opt[18], v[16];
	uint32_t isn, seq[4], len[4];
	char buf[16];
	ssize_t n;

	s0 = stats();
	/* A cookie request: no data, a cookie back. */
	peer_init(&p, 40051, 7);
	tfo_syn(&p, req, 2, "", &sa);
	T_CHECK(sa != NULL);
	T_EQ(tcp_opt(sa, 34, cookie + 2), 10u);
	cookie[0] = 34;
	cookie[1] = 10;
	p.seq++;
	peer_seg(&p, TH_ACK, NULL, 0);
	T_EQ(px_tcp_accept(lst7, &c, 100 * MS), 0);
	T_EQ(px_tcp_abort(c), 0);
	/* The cookie and data: taken at once. */
	peer_init(&p, 40052, 7);
	tfo_syn(&p, cookie, 10, "hello", &sa);
	T_CHECK(sa != NULL);
	isn = ntohl(sa->sent_seq);
	T_EQ(ntohl(sa->recv_ack), p.seq + 1 + 5);
	T_EQ(tcp_opt(sa, 34, v), 0u);
	T_EQ(px_tcp_accept(lst7, &c, 0), 0);     /* before the ACK */
	n = px_tcp_read(c, buf, sizeof(buf), 0);
	T_EQ(n, 5);
	T_EQ(memcmp(buf, "hello", 5), 0);
	cap_clear();
	T_EQ(px_tcp_write(c, "world", 5, 0), 5);
	T_EQ(px_tcp_close(c), 0);                /* the FIN waits */
	T_EQ(data_segs(&p, seq, len, 4), 1);     /* the answer, at once */
	T_EQ(seq[0], isn + 1);
	T_EQ(len[0], 5u);
	T_EQ(to_peer(&p, TH_FIN, TH_FIN, NULL), 0);
	/* The handshake completes, acknowledging the answer: the FIN. */
	p.seq += 1 + 5;
	cap_clear();
	peer_send(&p, TH_ACK, p.seq, isn + 1 + 5, NULL, 0, 0, 0);
	T_EQ(to_peer(&p, TH_FIN, TH_FIN, &th), 1);
	T_EQ(ntohl(th->sent_seq), isn + 1 + 5);
	peer_send(&p, TH_ACK | TH_FIN, p.seq, isn + 1 + 5 + 1, NULL, 0, 0, 0);
	/* A wrong cookie: the right one back, the data not taken. */
	memcpy(opt, cookie, 10);
	opt[5] ^= 0x5a;
	peer_init(&p, 40053, 7);
	tfo_syn(&p, opt, 10, "stale", &sa);
	T_CHECK(sa != NULL);
	T_EQ(ntohl(sa->recv_ack), p.seq + 1);
	T_EQ(tcp_opt(sa, 34, v), 10u);
	T_EQ(memcmp(v, cookie + 2, 8), 0);
	T_EQ(px_tcp_accept(lst7, &c, 0), -EAGAIN);
	p.seq++;
	peer_seg(&p, TH_ACK | TH_PSH, "stale", 5);
	T_EQ(px_tcp_accept(lst7, &c, 100 * MS), 0);
	T_EQ(px_tcp_read(c, buf, sizeof(buf), 100 * MS), 5);
	T_EQ(px_tcp_abort(c), 0);
	s1 = stats();
	printf("    cookies %" PRIu64 ", accepted %" PRIu64 ", dropped %" PRIu64 "\n",
		s1.tfo_cookies_sent - s0.tfo_cookies_sent,
		s1.tfo_accepted - s0.tfo_accepted,
		s1.syn_data_dropped - s0.syn_data_dropped);
	T_EQ(s1.tfo_cookies_sent - s0.tfo_cookies_sent, 2);
	T_EQ(s1.tfo_accepted - s0.tfo_accepted, 1);
	T_EQ(s1.syn_data_dropped - s0.syn_data_dropped, 1);
	cap_clear();
	return NULL;
}

/* Data on a SYN-ACK (RFC 9293 3.10.7.3; issue 16): taken as in
 * ESTABLISHED, and acknowledged (before: dropped, the ACK said
 * IRS + 1, the peer had to send it again). */
void *
case_synack_data(void)
{
	const struct rte_tcp_hdr *th = NULL;
	struct px_tcp_conn *c;
	struct px_tcp_info inf;
	struct peer p;
	char buf[8];

	cap_clear();
	T_EQ(px_tcp_connect_cb(na, ip_p, htons(5557), NULL, NULL, &c), 0);
	run_for(1 * MS);
	T_CHECK(ncap > 0 && (th = cap_tcp(ncap - 1)) != NULL);
	T_EQ(th->tcp_flags, TH_SYN);
	peer_init(&p, 5557, ntohs(th->src_port));
	p.ts_recent = tcp_tsval(th);
	cap_clear();
	peer_send(&p, TH_SYN | TH_ACK, p.seq, ntohl(th->sent_seq) + 1,
			"hi!", 3, 1460, 0);
	run_for(1 * MS);
	T_EQ(px_tcp_info(c, &inf), 0);
	T_EQ(inf.state, PX_TCP_ESTABLISHED);
	T_EQ(to_peer(&p, TH_ACK, TH_ACK, &th), 1);
	T_EQ(ntohl(th->recv_ack), p.seq + 1 + 3);
	T_EQ(px_tcp_read(c, buf, sizeof(buf), 0), 3);
	T_EQ(memcmp(buf, "hi!", 3), 0);
	T_EQ(px_tcp_abort(c), 0);
	cap_clear();
	return NULL;
}

/* PX_TCP_OPT_USER_TIMEOUT (RFC 5482; issue 16): data nobody answers
 * ends the connection with -ETIMEDOUT once the user timeout has passed
 * (250 ms here), not after max_retries backed-off RTOs (120 + 240 + 480
 * + 960 + 1920 ms after this 40 ms handshake). */
void *
case_user_timeout(void)
{
	struct px_tcp_info inf;
	struct px_tcp_conn *c;
	struct peer p;
	uint64_t t0, ms;
	char b;
	int i;
	void *r;

	if ((r = accept7_rtt(&p, 40043, &c, 40)) != NULL)
		return r;
	T_EQ(px_tcp_setopt(c, PX_TCP_OPT_USER_TIMEOUT, -1), -EINVAL);
	T_EQ(px_tcp_setopt(c, PX_TCP_OPT_USER_TIMEOUT, 250), 0);
	t0 = rte_rdtsc();
	T_EQ(px_tcp_write(c, "abcd", 4, 100 * MS), 4);
	for (i = 0; i < 400; i++) {
		T_EQ(px_tcp_info(c, &inf), 0);
		if (inf.state == PX_TCP_CLOSED)
			break;
		run_for(10 * MS);
	}
	ms = (rte_rdtsc() - t0) * 1000 / rte_get_tsc_hz();
	printf("    closed %" PRIu64 " ms after the write (user timeout 250)\n", ms);
	T_EQ(inf.state, PX_TCP_CLOSED);
	T_CHECK(ms >= 240 && ms < 700);
	T_EQ(px_tcp_read(c, &b, 1, 0), -ETIMEDOUT);
	T_EQ(px_tcp_close(c), 0);
	cap_clear();
	return NULL;
}

static volatile ssize_t lowat_got;

static void *
lowat_reader(void *arg)
{
	static char buf[256];

	lowat_got = px_tcp_read(arg, buf, sizeof(buf), 2000 * MS);
	return NULL;
}

/* PX_TCP_OPT_RCVLOWAT (SO_RCVLOWAT; issue 16): a read waits for the
 * low-water mark (50 bytes in are not enough for a mark of 100, 110
 * are), a read of fewer bytes than the mark for those, and the end of
 * the stream gives what there is. */
void *
case_rcvlowat(void)
{
	static const char data[100] = "lowat";
	struct px_tcp_conn *c;
	struct px_task *t;
	struct peer p;
	char buf[64];
	void *r;

	if ((r = accept7(&p, 40044, &c)) != NULL)
		return r;
	T_EQ(px_tcp_setopt(c, PX_TCP_OPT_RCVLOWAT, 0), -EINVAL);
	T_EQ(px_tcp_setopt(c, PX_TCP_OPT_RCVLOWAT, 100), 0);
	lowat_got = -1;
	T_EQ(px_spawn(lowat_reader, c, NULL, &t), 0);
	run_for(1 * MS);
	peer_seg(&p, TH_ACK | TH_PSH, data, 50);
	run_for(20 * MS);
	T_EQ(lowat_got, -1);            /* 50 < 100: still waiting */
	peer_seg(&p, TH_ACK | TH_PSH, data, 60);
	T_EQ(px_task_join(t, NULL, PX_TIMEOUT_INF), 0);
	T_EQ(lowat_got, 110);
	/* Fewer wanted than the mark: those are enough. */
	peer_seg(&p, TH_ACK | TH_PSH, data, 40);
	T_EQ(px_tcp_read(c, buf, 30, 100 * MS), 30);
	T_EQ(px_tcp_read(c, buf, sizeof(buf), 0), 10); /* no wait: what is there */
	/* The end of the stream gives what there is. */
	peer_seg(&p, TH_ACK | TH_PSH, data, 10);
	peer_seg(&p, TH_ACK | TH_FIN, NULL, 0);
	T_EQ(px_tcp_read(c, buf, sizeof(buf), 100 * MS), 10);
	T_EQ(px_tcp_read(c, buf, sizeof(buf), 100 * MS), 0);
	T_EQ(px_tcp_abort(c), 0);
	cap_clear();
	return NULL;
}

/* px_tcp_poll(), what the preload library's epoll is built on: readiness
 * as Linux's tcp_poll() reports it, OUT only at half the send buffer
 * free (sk_stream_is_writeable()), and a poll that finds the connection
 * not writable arms on_writable although no write failed (SOCK_NOSPACE;
 * without it a level-triggered writer that stopped on its own never
 * heard again: the redis MGET stall of issue 15). */
static int poll_writable;

static void
poll_on_writable(struct px_tcp_conn *c, void *arg)
{
	(void)c;
	(void)arg;
	poll_writable++;
}

void *
case_poll(void)
{
	static const struct px_tcp_cbs cbs = { .on_writable = poll_on_writable };
	static char big[3000];
	struct px_tcp_conn *c;
	struct peer p;
	char buf[64];
	void *r;

	if ((r = accept7(&p, 40045, &c)) != NULL)
		return r;
	T_EQ(px_tcp_poll(c), PX_TCP_POLL_OUT);
	T_EQ(px_tcp_error(c), 0);
	peer_seg(&p, TH_ACK | TH_PSH, "hello", 5);
	T_EQ(px_tcp_poll(c), PX_TCP_POLL_IN | PX_TCP_POLL_OUT);
	T_EQ(px_tcp_read(c, buf, sizeof(buf), 0), 5);
	T_EQ(px_tcp_poll(c), PX_TCP_POLL_OUT);
	/* 3000 of 4096 queued: 1096 free is less than half of 3000. */
	T_EQ(px_tcp_setopt(c, PX_TCP_OPT_SNDBUF, 4096), 0);
	T_EQ(px_tcp_setopt(c, PX_TCP_OPT_NODELAY, 1), 0);  /* all of it sent */
	T_EQ(px_tcp_set_cbs(c, &cbs, NULL), 0);
	T_EQ(px_tcp_write(c, big, sizeof(big), 0), (ssize_t)sizeof(big));
	T_EQ(px_tcp_writable(c), 4096 - sizeof(big));
	poll_writable = 0;
	T_EQ(px_tcp_poll(c) & PX_TCP_POLL_OUT, 0);
	run_for(1 * MS);
	T_EQ(poll_writable, 0);
	/* The peer takes it all: on_writable runs, OUT is back. */
	peer_send(&p, TH_ACK, p.seq, p.ack + sizeof(big), NULL, 0, 0, 0);
	run_for(1 * MS);
	T_EQ(poll_writable, 1);
	T_EQ(px_tcp_poll(c), PX_TCP_POLL_OUT);
	/* The peer's FIN: IN and RDHUP; ours too: HUP. */
	p.ack += sizeof(big);
	peer_seg(&p, TH_ACK | TH_FIN, NULL, 0);
	T_EQ(px_tcp_poll(c), PX_TCP_POLL_IN | PX_TCP_POLL_OUT |
			PX_TCP_POLL_RDHUP);
	T_EQ(px_tcp_shutdown(c), 0);
	T_EQ(px_tcp_poll(c) & (PX_TCP_POLL_HUP | PX_TCP_POLL_ERR),
			PX_TCP_POLL_HUP);
	T_EQ(px_tcp_abort(c), 0);
	/* A reset: everything at once, ERR, and the error. */
	if ((r = accept7(&p, 40046, &c)) != NULL)
		return r;
	peer_seg(&p, TH_RST | TH_ACK, NULL, 0);
	T_EQ(px_tcp_poll(c), PX_TCP_POLL_IN | PX_TCP_POLL_OUT |
			PX_TCP_POLL_RDHUP | PX_TCP_POLL_HUP | PX_TCP_POLL_ERR);
	T_EQ(px_tcp_error(c), -ECONNRESET);
	T_EQ(px_tcp_abort(c), 0);
	cap_clear();
	return NULL;
}

/* Whether a segment captured for p carried FIN. */
static int
cap_fin(const struct peer *p)
{
	const struct rte_tcp_hdr *th;
	unsigned int i;

	for (i = 0; i < ncap; i++) {
		th = cap_tcp(i);
		if (th != NULL && th->dst_port == p->sport &&
				(th->tcp_flags & TH_FIN))
			return 1;
	}
	return 0;
}

/* PX_TCP_OPT_CORK (TCP_CORK): writes smaller than a segment are held
 * until uncorked, then leave as one segment; full segments go at once
 * and only the tail waits; the held tail goes by itself after one
 * retransmission timeout (the persist timer; Linux's ceiling is 200 ms,
 * here it is the RTO, 5 ms at least) or with a FIN. Fails (the 200 +
 * 1024 bytes leave as two segments) without the cork in tcp_output(). */
void *
case_cork(void)
{
	static char hdr[200], body[3000];
	struct px_tcp_conn *c;
	struct peer p;
	uint32_t seqs[8], lens[8], una, full;
	unsigned int n, i;
	uint64_t waited;
	void *r;

	if ((r = accept7(&p, 40090, &c)) != NULL)
		return r;
	una = p.ack;
	T_EQ(px_tcp_setopt(c, PX_TCP_OPT_NODELAY, 1), 0);
	T_EQ(px_tcp_setopt(c, PX_TCP_OPT_CORK, 1), 0);
	T_EQ(px_tcp_write(c, hdr, sizeof(hdr), 0), (ssize_t)sizeof(hdr));
	run_for(1 * MS);
	T_EQ(px_tcp_write(c, body, 1024, 0), 1024);
	run_for(1 * MS);
	T_EQ(data_segs(&p, seqs, lens, 8), 0);
	T_EQ(px_tcp_setopt(c, PX_TCP_OPT_CORK, 0), 0);
	run_for(1 * MS);
	T_EQ(data_segs(&p, seqs, lens, 8), 1);
	T_EQ(lens[0], sizeof(hdr) + 1024);
	T_EQ(ack_all_data(&p, &una), 1);
	cap_clear();
	/* Corked, 3000 bytes: the full segments go, the tail waits... */
	T_EQ(px_tcp_setopt(c, PX_TCP_OPT_CORK, 1), 0);
	T_EQ(px_tcp_write(c, body, sizeof(body), 0), (ssize_t)sizeof(body));
	run_for(1 * MS);
	n = data_segs(&p, seqs, lens, 8);
	T_CHECK(n >= 1 && n < 8);
	for (i = 1; i < n; i++)
		T_EQ(lens[i], lens[0]);
	full = lens[0];
	T_CHECK(n * full < sizeof(body));
	T_EQ(ack_all_data(&p, &una), n);
	cap_clear();
	run_for(1 * MS);   /* under the RTO (5 ms at least) */
	T_EQ(data_segs(&p, seqs, lens, 8), 0);
	/* ... until the persist timer lets it go, corked still. */
	for (waited = 0; waited < 3000 && data_segs(&p, seqs, lens, 8) == 0;
			waited += 5)
		run_for(5 * MS);
	T_EQ(data_segs(&p, seqs, lens, 8), 1);
	T_EQ(lens[0], sizeof(body) - n * full);
	T_EQ(ack_all_data(&p, &una), 1);
	cap_clear();
	/* A FIN takes what is held with it. */
	T_EQ(px_tcp_write(c, hdr, 10, 0), 10);
	run_for(1 * MS);
	T_EQ(data_segs(&p, seqs, lens, 8), 0);
	T_EQ(px_tcp_shutdown(c), 0);
	run_for(1 * MS);
	T_EQ(data_segs(&p, seqs, lens, 8), 1);
	T_EQ(lens[0], 10);
	T_EQ(cap_fin(&p), 1);
	T_EQ(px_tcp_abort(c), 0);
	cap_clear();
	return NULL;
}

/* ICMP errors to TCP (RFC 1122 4.2.3.9, RFC 5927; issue 16): a connect()
 * answered by port unreachable ends at once with ECONNREFUSED, by host
 * unreachable with EHOSTUNREACH; an error quoting a sequence number not
 * in flight is ignored (a blind attacker's guess); on an established
 * connection the error is kept, not fatal. */
void *
case_icmp_errors(void)
{
	static const struct px_tcp_cbs cbs = { .on_close = on_close_note };
	struct px_tcp_stats s0, s1;
	struct px_tcp_info inf;
	struct px_tcp_conn *c;
	struct peer p;
	void *r;

	s0 = stats();
	cap_clear();
	close_status = 1;
	T_EQ(px_tcp_connect_cb(na, ip_p, htons(5557), &cbs, NULL, &c), 0);
	run_for(1 * MS);
	T_EQ(ncap, 1);
	icmp_about(0, 3, 3, 1000); /* not our SYN's sequence number */
	run_for(1 * MS);
	T_EQ(close_status, 1);
	T_EQ(px_tcp_info(c, &inf), 0);
	T_EQ(inf.state, PX_TCP_SYN_SENT);
	icmp_about(0, 3, 3, 0);
	run_for(1 * MS);
	T_EQ(close_status, -ECONNREFUSED);
	T_EQ(px_tcp_close(c), 0);
	cap_clear();
	close_status = 1;
	T_EQ(px_tcp_connect_cb(na, ip_p, htons(5558), &cbs, NULL, &c), 0);
	run_for(1 * MS);
	icmp_about(0, 3, 1, 0);
	run_for(1 * MS);
	T_EQ(close_status, -EHOSTUNREACH);
	T_EQ(px_tcp_close(c), 0);
	s1 = stats();
	T_EQ(s1.icmp_err - s0.icmp_err, 2);
	T_EQ(s1.drop_icmp_err - s0.drop_icmp_err, 1);
	/* Established: kept, the connection lives. */
	if ((r = accept7(&p, 40032, &c)) != NULL)
		return r;
	T_EQ(px_tcp_write(c, "x", 1, 100 * MS), 1);
	run_for(1 * MS);
	T_CHECK(ncap > 0);
	icmp_about(ncap - 1, 3, 1, 0);
	T_EQ(px_tcp_info(c, &inf), 0);
	T_EQ(inf.state, PX_TCP_ESTABLISHED);
	T_EQ(stats().icmp_err - s0.icmp_err, 3);
	T_EQ(px_tcp_abort(c), 0);
	cap_clear();
	return NULL;
}

/* Read up to want bytes from c into buf (waiting 100 ms at most for
 * each piece); returns how many came. */
static unsigned int
read_n(struct px_tcp_conn *c, uint8_t *buf, unsigned int want)
{
	unsigned int got = 0;
	ssize_t n;

	while (got < want &&
			(n = px_tcp_read(c, buf + got, want - got, 100 * MS)) > 0)
		got += (unsigned int)n;
	return got;
}

/* Receive coalescing (GRO): in-order segments of one connection that
 * come back to back in one burst with the same ACK, window and options
 * go through TCP as one; anything else breaks the run, and the data of
 * every segment arrives once, in order. */
void *
case_gro(void)
{
	static uint8_t data[6000], buf[4096];
	struct px_tcp_stats s0, s1;
	const struct rte_tcp_hdr *th = NULL;
	struct px_tcp_conn *c, *c2;
	struct peer p, q;
	uint32_t seq0, ts;
	unsigned int k;
	ssize_t n;
	void *r;

	for (k = 0; k < sizeof(data); k++)
		data[k] = (uint8_t)(k * 13 + 5);
	if ((r = accept7(&p, 40030, &c)) != NULL)
		return r;
	if ((r = accept7(&q, 40031, &c2)) != NULL)
		return r;
	/* Three segments, one timestamp: joined, one ACK for all of them
	 * at once (two full segments and more: no delayed ACK). */
	s0 = stats();
	seq0 = p.seq;
	ts = p.ts;
	peer_batching = 1;
	for (k = 0; k < 3; k++) {
		p.ts = ts;
		peer_seg(&p, TH_ACK, data + 600 * k, 600);
	}
	peer_burst();
	s1 = stats();
	T_EQ(s1.gro_merged - s0.gro_merged, 2);
	T_EQ(s1.seg_in - s0.seg_in, 3);
	T_EQ(to_peer(&p, TH_ACK, TH_ACK, &th), 1);
	T_EQ(ntohl(th->recv_ack), seq0 + 1800);
	n = px_tcp_read(c, buf, sizeof(buf), 100 * MS);
	T_EQ(n, 1800);
	T_CHECK(memcmp(buf, data, 1800) == 0);
	cap_clear();
	/* A timestamp that differs, then a PSH: the PSH segment joins and
	 * ends the run. Small segments start none. (Two bursts: the
	 * window is 4 KiB.) */
	s0 = stats();
	peer_batching = 1;
	peer_seg(&p, TH_ACK, data + 1800, 600);           /* ts t: held */
	ts = p.ts;
	peer_seg(&p, TH_ACK, data + 2400, 600);           /* t + 1: held */
	p.ts = ts;
	peer_seg(&p, TH_ACK | TH_PSH, data + 3000, 600);  /* joins, ends */
	peer_burst();
	s1 = stats();
	T_EQ(s1.gro_merged - s0.gro_merged, 1);
	T_EQ(read_n(c, buf, 1800), 1800);
	T_CHECK(memcmp(buf, data + 1800, 1800) == 0);
	s0 = stats();
	ts = p.ts;
	peer_batching = 1;
	peer_seg(&p, TH_ACK, data + 3600, 600);           /* held */
	p.ts = ts;
	peer_seg(&p, TH_ACK | TH_PSH, data + 4200, 100);  /* joins, ends */
	p.ts = ts;
	peer_seg(&p, TH_ACK, data + 4300, 100);           /* small: not held */
	p.ts = ts;
	peer_seg(&p, TH_ACK, data + 4400, 100);           /* nor joined */
	peer_burst();
	s1 = stats();
	T_EQ(s1.gro_merged - s0.gro_merged, 1);
	T_EQ(read_n(c, buf, 900), 900);
	T_CHECK(memcmp(buf, data + 3600, 900) == 0);
	cap_clear();
	/* Another connection in between, a bad checksum, a gap, a FIN:
	 * nothing joined across any of them, the data in order. */
	s0 = stats();
	seq0 = p.seq;
	ts = p.ts;
	peer_batching = 1;
	peer_seg(&p, TH_ACK, data + 4500, 600);           /* held */
	peer_seg(&q, TH_ACK, data, 600);                  /* q's: p's goes on */
	p.ts = ts;
	peer_seg(&p, TH_ACK, data + 5100, 600);           /* q held: alone */
	p.ts = ts;
	peer_send(&p, TH_ACK, p.seq, p.ack, data + 5700, 100, 0,
			RTE_MBUF_F_RX_L4_CKSUM_BAD);              /* dropped */
	p.ts = ts;
	peer_send(&p, TH_ACK, p.seq + 100, p.ack, data + 5800, 100, 0, 0);
	p.ts = ts;
	peer_seg(&p, TH_ACK, data + 5700, 100);           /* the resend */
	p.seq += 100;
	p.ts = ts;
	peer_seg(&p, TH_ACK | TH_FIN, NULL, 0);
	peer_burst();
	s1 = stats();
	T_EQ(s1.gro_merged - s0.gro_merged, 0);
	T_EQ(s1.drop_bad_checksum - s0.drop_bad_checksum, 1);
	T_EQ(read_n(c, buf, 1400), 1400);
	T_CHECK(memcmp(buf, data + 4500, 1400) == 0);
	T_EQ(px_tcp_read(c, buf, sizeof(buf), 100 * MS), 0); /* the FIN */
	T_EQ(px_tcp_read(c2, buf, sizeof(buf), 100 * MS), 600);
	T_CHECK(memcmp(buf, data, 600) == 0);
	T_CHECK(to_peer(&p, TH_ACK, TH_ACK, &th) >= 1);
	T_EQ(ntohl(th->recv_ack), seq0 + 1400 + 1);
	T_EQ(px_tcp_abort(c), 0);
	T_EQ(px_tcp_abort(c2), 0);
	cap_clear();
	return NULL;
}
