/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#include <math.h>

#include <rte_cycles.h>

#include "hist.h"

const double hist_pcts[HIST_NPCT] = { 50, 90, 99, 99.9, 99.99 };

static unsigned int
bucket(uint64_t v)
{
	unsigned int e;

	if (v < HIST_SUB)
		return (unsigned int)v;
	e = 63u - (unsigned int)__builtin_clzll(v);
	return (e - 3) * HIST_SUB + (unsigned int)((v >> (e - 4)) & (HIST_SUB - 1));
}

/* The middle of bucket i, in cycles. */
static double
bucket_value(unsigned int i)
{
	unsigned int e = i / HIST_SUB + 3, sub = i % HIST_SUB;

	if (i < HIST_SUB)
		return i;
	return (double)((uint64_t)(HIST_SUB + sub) << (e - 4)) +
		(double)(1ull << (e - 4)) / 2;
}

void
hist_add(struct hist *h, uint64_t cycles)
{
	h->b[bucket(cycles)]++;
	h->count++;
	if (cycles > h->max)
		h->max = cycles;
}

void
hist_merge(struct hist *dst, const struct hist *src)
{
	unsigned int i;

	for (i = 0; i < HIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
	dst->count += src->count;
	if (src->max > dst->max)
		dst->max = src->max;
}

static double
us(double cycles)
{
	return cycles * 1e6 / (double)rte_get_tsc_hz();
}

double
hist_pct_us(const struct hist *h, double pct)
{
	uint64_t want, seen = 0;
	unsigned int i;
	double v;

	if (h->count == 0)
		return 0;
	want = (uint64_t)((double)h->count * pct / 100.0);
	for (i = 0; i < HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen > want) {
			v = bucket_value(i);
			/* Never report above what was seen. */
			return us(v < (double)h->max ? v : (double)h->max);
		}
	}
	return us((double)h->max);
}

double
hist_max_us(const struct hist *h)
{
	return us((double)h->max);
}

void
hist_write_csv(const struct hist *h, FILE *f)
{
	double p;
	int k;

	fprintf(f, "percentile,latency_us\n");
	/* 1 - p = 10^(-k/10): ten points per nine, up to 99.9999. */
	for (k = 0; k <= 60; k++) {
		p = 100.0 * (1.0 - pow(10.0, -k / 10.0));
		if (h->count > 0 && (1.0 - p / 100.0) * (double)h->count < 0.5)
			break;
		fprintf(f, "%.6f,%.3f\n", p, hist_pct_us(h, p));
	}
	fprintf(f, "100,%.3f\n", hist_max_us(h));
}
