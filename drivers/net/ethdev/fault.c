/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/* rte_ipv4_udptcp_cksum_mbuf() is experimental in 22.11. */
#define ALLOW_EXPERIMENTAL_API

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_malloc.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include <px_common.h>
#include <px_counters.h>

#include "px_fault.h"

#define RELEASE_MAX 64

struct held {
	struct rte_mbuf *m;
	uint64_t due;
};

struct px_fault {
	struct px_fault_conf c;
	struct rte_mempool *mp;
	uint64_t rng;
	uint64_t delay;        /* cycles */
	uint64_t hold;         /* cycles, reordered packets */
	/* Delay line: FIFO (every packet gets the same delay, so FIFO is due
	 * order) plus a small side queue for reordered packets. */
	struct held q[PX_FAULT_QUEUE];
	uint32_t qh, qn;
	struct held r[PX_FAULT_QUEUE];
	uint32_t rh, rn;
	struct px_fault_stats st;
};

/* xorshift64*: fast, seeded, reproducible. */
static uint64_t
rnd(struct px_fault *f)
{
	f->rng ^= f->rng >> 12;
	f->rng ^= f->rng << 25;
	f->rng ^= f->rng >> 27;
	return f->rng * 0x2545f4914f6cdd1dull;
}

static int
hit(struct px_fault *f, uint32_t ppm)
{
	return ppm != 0 && rnd(f) % 1000000u < ppm;
}

int
px_fault_create(const struct px_fault_conf *conf, struct rte_mempool *mp,
		struct px_fault **out)
{
	struct px_fault *f;
	uint64_t us = rte_get_tsc_hz() / 1000000;

	if (conf == NULL || mp == NULL || out == NULL ||
			conf->drop_ppm > 1000000 || conf->dup_ppm > 1000000 ||
			conf->corrupt_ppm > 1000000 || conf->reorder_ppm > 1000000)
		return -EINVAL;
	f = rte_zmalloc("px_fault", sizeof(*f), RTE_CACHE_LINE_SIZE);
	if (f == NULL)
		return -ENOMEM;
	f->c = *conf;
	f->mp = mp;
	f->rng = conf->seed != 0 ? conf->seed : 0x5eed5eed5eed5eedull;
	f->delay = us * conf->delay_us;
	f->hold = us * (conf->reorder_us != 0 ? conf->reorder_us : 1000);
	*out = f;
	return 0;
}

void
px_fault_free(struct px_fault *f)
{
	if (f == NULL)
		return;
	while (f->qn > 0) {
		rte_pktmbuf_free(f->q[f->qh].m);
		f->qh = (f->qh + 1) % PX_FAULT_QUEUE;
		f->qn--;
	}
	while (f->rn > 0) {
		rte_pktmbuf_free(f->r[f->rh].m);
		f->rh = (f->rh + 1) % PX_FAULT_QUEUE;
		f->rn--;
	}
	rte_free(f);
}

/* Compute in software the IPv4 and TCP/UDP checksums m asked the port
 * for (the L4 field holds the pseudo-header sum, as offload expects). */
static void
finish_tx_cksum(struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip;
	uint64_t l4 = m->ol_flags & RTE_MBUF_F_TX_L4_MASK;
	uint16_t *ck = NULL;

	if (m->l2_len == 0 || m->l3_len < sizeof(*ip) ||
			rte_pktmbuf_data_len(m) < m->l2_len + m->l3_len + 18u)
		return;
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);
	if (m->ol_flags & RTE_MBUF_F_TX_IP_CKSUM) {
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	if (l4 == RTE_MBUF_F_TX_TCP_CKSUM)
		ck = rte_pktmbuf_mtod_offset(m, uint16_t *, m->l2_len + m->l3_len + 16);
	else if (l4 == RTE_MBUF_F_TX_UDP_CKSUM)
		ck = rte_pktmbuf_mtod_offset(m, uint16_t *, m->l2_len + m->l3_len + 6);
	if (ck != NULL) {
		*ck = 0;
		*ck = rte_ipv4_udptcp_cksum_mbuf(m, ip, m->l2_len + m->l3_len);
	}
	m->ol_flags &= ~(RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK);
}

static void
corrupt(struct px_fault *f, struct rte_mbuf *m)
{
	uint32_t len = rte_pktmbuf_data_len(m), off;
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);

	/* Past the Ethernet header, so the frame still reaches the stack and
	 * a checksum has to catch it. */
	if (len <= RTE_ETHER_HDR_LEN)
		return;
	/* On transmit, checksums left to the port would be computed over
	 * the damage and hide it: finish them now, as the NIC would have
	 * before the wire flipped a bit. */
	if (m->ol_flags & (RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK))
		finish_tx_cksum(m);
	off = RTE_ETHER_HDR_LEN + (uint32_t)(rnd(f) % (len - RTE_ETHER_HDR_LEN));
	p[off] ^= (uint8_t)(1u << (rnd(f) % 8));
	/* The PMD may have checked the checksums already: this flip happens
	 * "on the wire", after it, so its verdict no longer holds. */
	m->ol_flags &= ~(RTE_MBUF_F_RX_IP_CKSUM_MASK | RTE_MBUF_F_RX_L4_CKSUM_MASK);
}

/* Queue m in a delay line, or drop it when the line is full. */
static void
hold(struct px_fault *f, struct held *line, uint32_t *head, uint32_t *n,
		struct rte_mbuf *m, uint64_t due)
{
	if (*n == PX_FAULT_QUEUE) {
		f->st.overflow++;
		rte_pktmbuf_free(m);
		return;
	}
	line[(*head + *n) % PX_FAULT_QUEUE] = (struct held){ m, due };
	(*n)++;
}

static unsigned int
release(struct held *line, uint32_t *head, uint32_t *n, struct rte_mbuf **out,
		unsigned int room, uint64_t now)
{
	unsigned int k = 0;

	while (*n > 0 && k < room && line[*head].due <= now) {
		out[k++] = line[*head].m;
		*head = (*head + 1) % PX_FAULT_QUEUE;
		(*n)--;
	}
	return k;
}

unsigned int
px_fault_process(struct px_fault *f, struct rte_mbuf **in, unsigned int n,
		struct rte_mbuf **out, uint64_t now)
{
	unsigned int i, k = 0;
	struct rte_mbuf *m, *d;

	/* What was delayed and is due goes first: it was sent first. */
	k += release(f->q, &f->qh, &f->qn, out + k, RELEASE_MAX / 2, now);
	for (i = 0; i < n; i++) {
		m = in[i];
		f->st.seen++;
		if (hit(f, f->c.drop_ppm)) {
			f->st.dropped++;
			rte_pktmbuf_free(m);
			continue;
		}
		if (hit(f, f->c.corrupt_ppm)) {
			f->st.corrupted++;
			corrupt(f, m);
		}
		d = NULL;
		if (hit(f, f->c.dup_ppm)) {
			d = rte_pktmbuf_copy(m, f->mp, 0, UINT32_MAX);
			if (d != NULL)
				f->st.duplicated++;
			else
				f->st.nombuf++;
		}
		if (hit(f, f->c.reorder_ppm)) {
			f->st.reordered++;
			hold(f, f->r, &f->rh, &f->rn, m, now + f->delay + f->hold);
		} else if (f->delay != 0) {
			f->st.delayed++;
			hold(f, f->q, &f->qh, &f->qn, m, now + f->delay);
		} else {
			out[k++] = m;
		}
		if (d != NULL) {
			if (f->delay != 0)
				hold(f, f->q, &f->qh, &f->qn, d, now + f->delay);
			else
				out[k++] = d;
		}
	}
	/* Held-back packets come out after the ones that overtook them. */
	k += release(f->r, &f->rh, &f->rn, out + k, RELEASE_MAX / 2, now);
	return k;
}

void
px_fault_stats_get(const struct px_fault *f, struct px_fault_stats *out)
{
	*out = f->st;
}

/* "1%" / "0.5%" / "250ppm" -> ppm; -1 if malformed. */
static long
parse_rate(const char *v)
{
	char *end;
	double d = strtod(v, &end);

	if (end == v || d < 0)
		return -1;
	if (strcmp(end, "%") == 0)
		d *= 10000.0;
	else if (strcmp(end, "ppm") != 0)
		return -1;
	return d > 1000000.0 ? -1 : (long)(d + 0.5);
}

/* "25ms" / "300us" -> us; -1 if malformed. */
static long
parse_time(const char *v)
{
	char *end;
	double d = strtod(v, &end);

	if (end == v || d < 0)
		return -1;
	if (strcmp(end, "ms") == 0)
		d *= 1000.0;
	else if (strcmp(end, "us") != 0)
		return -1;
	return d > 60e6 ? -1 : (long)(d + 0.5);
}

int
px_fault_parse(const char *spec, struct px_fault_conf *conf)
{
	char buf[256], *tok, *save, *eq;
	long v;

	if (spec == NULL || conf == NULL || strlen(spec) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, spec);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
			tok = strtok_r(NULL, ",", &save)) {
		eq = strchr(tok, '=');
		if (eq == NULL)
			return -EINVAL;
		*eq++ = '\0';
		if (strcmp(tok, "delay") == 0 || strcmp(tok, "hold") == 0) {
			v = parse_time(eq);
			if (v < 0)
				return -EINVAL;
			if (tok[0] == 'd')
				conf->delay_us = (uint32_t)v;
			else
				conf->reorder_us = (uint32_t)v;
			continue;
		}
		v = parse_rate(eq);
		if (v < 0)
			return -EINVAL;
		if (strcmp(tok, "drop") == 0)
			conf->drop_ppm = (uint32_t)v;
		else if (strcmp(tok, "dup") == 0)
			conf->dup_ppm = (uint32_t)v;
		else if (strcmp(tok, "corrupt") == 0)
			conf->corrupt_ppm = (uint32_t)v;
		else if (strcmp(tok, "reorder") == 0)
			conf->reorder_ppm = (uint32_t)v;
		else
			return -EINVAL;
	}
	return 0;
}

static const char *const fault_stat_names[] = {
	"seen", "dropped", "duplicated", "corrupted", "reordered", "delayed",
	"overflow", "nombuf",
};

_Static_assert(PX_ARRAY_SIZE(fault_stat_names) ==
		PX_COUNTERS_N(struct px_fault_stats),
		"fault_stat_names must list every px_fault_stats counter");

const char *const *
px_fault_stats_names(unsigned int *n)
{
	if (n != NULL)
		*n = PX_ARRAY_SIZE(fault_stat_names);
	return fault_stat_names;
}
