/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#ifndef _APP_HIST_H_
#define _APP_HIST_H_

/*
 * HDR-style log-linear latency histogram in TSC cycles: exact below
 * HIST_SUB cycles, then HIST_SUB buckets per power of two, so any value
 * is known to within 1/16 (6 %) from 1 cycle to 2^64. Adding is a few
 * instructions and never allocates; histograms of several tasks merge by
 * adding buckets.
 */

#include <stdint.h>
#include <stdio.h>

#define HIST_SUB 16
#define HIST_BUCKETS (64 * HIST_SUB)

struct hist {
	uint64_t count;
	uint64_t max;                 /* cycles */
	uint64_t b[HIST_BUCKETS];
};

/* Count one value (cycles). */
void hist_add(struct hist *h, uint64_t cycles);

/* dst += src. */
void hist_merge(struct hist *dst, const struct hist *src);

/* The value at percentile pct (0..100) in microseconds: the middle of
 * its bucket, or the exact maximum for the top one; 0 when empty. */
double hist_pct_us(const struct hist *h, double pct);

/* The largest value counted, in microseconds. */
double hist_max_us(const struct hist *h);

/* The percentiles reports print (p50 ... p99.99), HIST_NPCT of them. */
#define HIST_NPCT 5
extern const double hist_pcts[HIST_NPCT];

/* A percentile table for plots and CSV: "percentile,latency_us" rows from
 * p0 up to the maximum, denser towards the tail (HDR style). */
void hist_write_csv(const struct hist *h, FILE *f);

#endif /* _APP_HIST_H_ */
