/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * The fault-injection stage: measured drop, duplication, corruption and
 * reordering rates within tolerance of the configured ones, delays never
 * short, the same seed giving the same faults, a bounded delay line, and
 * every mbuf accounted for.
 */

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include <px_fault.h>

#include "test.h"

#define N 100000
#define LEN 64

static struct rte_mempool *mp;

static struct rte_mbuf *
pkt(uint32_t seq)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint8_t *p;

	if (m == NULL)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_append(m, LEN);
	memset(p, 0, LEN);
	memcpy(p + LEN - 4, &seq, 4);
	return m;
}

static uint32_t
seq_of(const struct rte_mbuf *m)
{
	uint32_t s;

	memcpy(&s, rte_pktmbuf_mtod_offset(m, const uint8_t *, LEN - 4), 4);
	return s;
}

/* Run N packets through a stage in bursts of 32 at a fake clock stepping
 * 1 us per burst; record output sequence numbers (NULL: don't). */
static int
run(const struct px_fault_conf *c, uint32_t *outseq, unsigned int *nout,
		struct px_fault_stats *st, unsigned int *ncorrupt)
{
	struct px_fault *f;
	struct rte_mbuf *in[32], *out[2 * 32 + 64];
	uint64_t now = 1000000, us = rte_get_tsc_hz() / 1000000;
	unsigned int i, k, n, o = 0, bad = 0;
	uint32_t seq = 0;
	const uint8_t zero[LEN - 4] = { 0 };

	if (px_fault_create(c, mp, &f) != 0)
		return -1;
	while (seq < N || o < N * 2) {
		n = 0;
		while (n < 32 && seq < N)
			in[n++] = pkt(seq++);
		k = px_fault_process(f, in, n, out, now);
		for (i = 0; i < k; i++) {
			if (memcmp(rte_pktmbuf_mtod(out[i], uint8_t *), zero,
					sizeof(zero)) != 0)
				bad++;
			if (outseq != NULL && o < 2 * N)
				outseq[o] = seq_of(out[i]);
			o++;
			rte_pktmbuf_free(out[i]);
		}
		now += us;
		if (seq >= N && k == 0 && n == 0) {
			/* Drain: jump past every delay. */
			now += 100000 * us;
			k = px_fault_process(f, NULL, 0, out, now);
			for (i = 0; i < k; i++) {
				if (outseq != NULL && o < 2 * N)
					outseq[o] = seq_of(out[i]);
				o++;
				rte_pktmbuf_free(out[i]);
			}
			if (k == 0)
				break;
		}
	}
	px_fault_stats_get(f, st);
	px_fault_free(f);
	*nout = o;
	if (ncorrupt != NULL)
		*ncorrupt = bad;
	return 0;
}

/* |measured - expected| within 5 standard deviations of a binomial. */
static int
near(uint64_t got, uint32_t ppm)
{
	double p = ppm / 1e6, mean = N * p, sd = sqrt(N * p * (1 - p));

	return fabs((double)got - mean) <= 5 * sd + 1;
}

static int
test_fault(void)
{
	static uint32_t a[2 * N], b[2 * N];
	struct px_fault_conf c = { .drop_ppm = 10000, .dup_ppm = 5000,
		.corrupt_ppm = 2000, .reorder_ppm = 50000, .reorder_us = 20,
		.seed = 42 };
	struct px_fault_stats st, st2;
	unsigned int na, nb, bad, i, inversions = 0;
	struct px_fault *f;

	mp = rte_pktmbuf_pool_create("t_fault", 16383, 0, 0,
			RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	PX_TEST_ASSERT(mp != NULL, "pool");
	PX_TEST_ASSERT_EQ(px_fault_create(&(struct px_fault_conf){ .drop_ppm = 1000001 },
			mp, &f), -EINVAL);

	/* Rates: 1 % drop, 0.5 % dup, 0.2 % corrupt, 5 % reorder. */
	PX_TEST_ASSERT_OK(run(&c, a, &na, &st, &bad));
	printf("  seen %lu dropped %lu dup %lu corrupt %lu reorder %lu out %u\n",
		(unsigned long)st.seen, (unsigned long)st.dropped,
		(unsigned long)st.duplicated, (unsigned long)st.corrupted,
		(unsigned long)st.reordered, na);
	PX_TEST_ASSERT_EQ(st.seen, N);
	PX_TEST_ASSERT(near(st.dropped, c.drop_ppm), "drop rate");
	PX_TEST_ASSERT(near(st.duplicated, c.dup_ppm), "dup rate");
	PX_TEST_ASSERT(near(st.corrupted, c.corrupt_ppm), "corrupt rate");
	PX_TEST_ASSERT(near(st.reordered, c.reorder_ppm), "reorder rate");
	/* Conservation: out = in - dropped + duplicated. */
	PX_TEST_ASSERT_EQ(na, N - st.dropped + st.duplicated);
	/* A corrupted packet differs in exactly the bytes it should (the
	 * sequence number may be hit too, so <=). */
	PX_TEST_ASSERT(bad <= st.corrupted && bad >= st.corrupted * 9 / 10,
		"corrupted payloads %u vs %lu", bad, (unsigned long)st.corrupted);
	for (i = 1; i < na; i++)
		if (a[i] < a[i - 1])
			inversions++;
	PX_TEST_ASSERT(inversions >= st.reordered / 2, "reordered %u", inversions);

	/* Same seed, same faults, same order. */
	PX_TEST_ASSERT_OK(run(&c, b, &nb, &st2, NULL));
	PX_TEST_ASSERT_EQ(na, nb);
	PX_TEST_ASSERT(memcmp(a, b, na * sizeof(a[0])) == 0, "not reproducible");
	PX_TEST_ASSERT_EQ(st.dropped, st2.dropped);
	/* Another seed, other drops. */
	c.seed = 43;
	PX_TEST_ASSERT_OK(run(&c, b, &nb, &st2, NULL));
	PX_TEST_ASSERT(na != nb || memcmp(a, b, na * sizeof(a[0])) != 0, "seed ignored");

	/* Delay: nothing comes out before it is due, everything after. */
	{
		struct px_fault_conf d = { .delay_us = 500 };
		struct rte_mbuf *in[8], *out[80];
		uint64_t now = rte_rdtsc(), us = rte_get_tsc_hz() / 1000000;
		unsigned int k;

		PX_TEST_ASSERT_OK(px_fault_create(&d, mp, &f));
		for (i = 0; i < 8; i++)
			in[i] = pkt(i);
		PX_TEST_ASSERT_EQ(px_fault_process(f, in, 8, out, now), 0);
		PX_TEST_ASSERT_EQ(px_fault_process(f, NULL, 0, out, now + 499 * us), 0);
		k = px_fault_process(f, NULL, 0, out, now + 500 * us);
		PX_TEST_ASSERT_EQ(k, 8);
		for (i = 0; i < k; i++) {
			PX_TEST_ASSERT_EQ(seq_of(out[i]), i);
			rte_pktmbuf_free(out[i]);
		}
		/* Bounded: past PX_FAULT_QUEUE waiting packets, overflow. */
		for (i = 0; i < PX_FAULT_QUEUE + 100; i++) {
			struct rte_mbuf *m = pkt(i);

			PX_TEST_ASSERT_EQ(px_fault_process(f, &m, 1, out, now), 0);
		}
		px_fault_stats_get(f, &st);
		PX_TEST_ASSERT_EQ(st.overflow, 100);
		px_fault_free(f); /* frees what waits */
	}

	/* A corrupted packet loses the PMD's checksum verdict, so the stack
	 * checks it again (the flip happened after the NIC looked). */
	{
		struct px_fault_conf cc = { .corrupt_ppm = 1000000 };
		struct rte_mbuf *m = pkt(1), *out[80];

		m->ol_flags = RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
		PX_TEST_ASSERT_OK(px_fault_create(&cc, mp, &f));
		PX_TEST_ASSERT_EQ(px_fault_process(f, &m, 1, out, rte_rdtsc()), 1);
		PX_TEST_ASSERT_EQ(out[0]->ol_flags & (RTE_MBUF_F_RX_IP_CKSUM_MASK |
				RTE_MBUF_F_RX_L4_CKSUM_MASK), 0);
		rte_pktmbuf_free(out[0]);
		px_fault_free(f);
	}

	/* Spec parsing. */
	memset(&c, 0, sizeof(c));
	PX_TEST_ASSERT_OK(px_fault_parse("drop=1%,dup=0.5%,corrupt=250ppm,"
			"reorder=10%,delay=25ms,hold=300us", &c));
	PX_TEST_ASSERT_EQ(c.drop_ppm, 10000);
	PX_TEST_ASSERT_EQ(c.dup_ppm, 5000);
	PX_TEST_ASSERT_EQ(c.corrupt_ppm, 250);
	PX_TEST_ASSERT_EQ(c.reorder_ppm, 100000);
	PX_TEST_ASSERT_EQ(c.delay_us, 25000);
	PX_TEST_ASSERT_EQ(c.reorder_us, 300);
	PX_TEST_ASSERT_EQ(px_fault_parse("drop=1", &c), -EINVAL);
	PX_TEST_ASSERT_EQ(px_fault_parse("drop=101%", &c), -EINVAL);
	PX_TEST_ASSERT_EQ(px_fault_parse("loss=1%", &c), -EINVAL);
	PX_TEST_ASSERT_EQ(px_fault_parse("delay=5s", &c), -EINVAL);

	PX_TEST_ASSERT_EQ(rte_mempool_in_use_count(mp), 0);
	rte_mempool_free(mp);
	return TEST_SUCCESS;
}

PX_REGISTER_TEST(fault_autotest, PX_TEST_F_EAL, test_fault);
