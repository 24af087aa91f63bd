/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * The Internet checksum's raw sum (RFC 1071) over a buffer or an mbuf
 * chain, as rte_raw_cksum() and rte_raw_cksum_mbuf() give it (16-bit
 * words as they lie in memory, folded), but several times faster over a
 * segment's payload: 32-bit words into a 64-bit sum (2^16 = 1 modulo
 * 0xffff, so the fold is the same), four lanes at a time with AVX2 where
 * the CPU has it (chosen once at start-up; the build stays portable).
 */

#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#if defined(RTE_ARCH_X86_64)
#include <immintrin.h>
#endif

#include "inet_l4.h"

static uint64_t
sum_scalar(const uint8_t *p, size_t n, uint64_t acc)
{
	uint64_t w, x;
	uint32_t v32;
	uint16_t v16;

	while (n >= 16) {
		memcpy(&w, p, 8);
		memcpy(&x, p + 8, 8);
		acc += (w & 0xffffffffu) + (w >> 32) + (x & 0xffffffffu) + (x >> 32);
		p += 16;
		n -= 16;
	}
	if (n >= 8) {
		memcpy(&w, p, 8);
		acc += (w & 0xffffffffu) + (w >> 32);
		p += 8;
		n -= 8;
	}
	if (n >= 4) {
		memcpy(&v32, p, 4);
		acc += v32;
		p += 4;
		n -= 4;
	}
	if (n >= 2) {
		memcpy(&v16, p, 2);
		acc += v16;
		p += 2;
		n -= 2;
	}
	if (n > 0) /* the last byte, as the first of a word padded with 0 */
		acc += rte_cpu_to_be_16(1) == 1 ? (uint64_t)*p << 8 : *p;
	return acc;
}

#if defined(RTE_ARCH_X86_64)
__attribute__((target("avx2")))
static uint64_t
sum_avx2(const uint8_t *p, size_t n, uint64_t acc)
{
	const __m256i lo = _mm256_set1_epi64x(0xffffffff);
	__m256i a = _mm256_setzero_si256(), b = _mm256_setzero_si256();
	__m256i v, w;
	__m128i h;

	while (n >= 64) {
		v = _mm256_loadu_si256((const __m256i *)(const void *)p);
		w = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
		a = _mm256_add_epi64(a, _mm256_and_si256(v, lo));
		b = _mm256_add_epi64(b, _mm256_srli_epi64(v, 32));
		a = _mm256_add_epi64(a, _mm256_and_si256(w, lo));
		b = _mm256_add_epi64(b, _mm256_srli_epi64(w, 32));
		p += 64;
		n -= 64;
	}
	if (n >= 32) {
		v = _mm256_loadu_si256((const __m256i *)(const void *)p);
		a = _mm256_add_epi64(a, _mm256_and_si256(v, lo));
		b = _mm256_add_epi64(b, _mm256_srli_epi64(v, 32));
		p += 32;
		n -= 32;
	}
	a = _mm256_add_epi64(a, b);
	h = _mm_add_epi64(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
	acc += (uint64_t)_mm_cvtsi128_si64(h) +
		(uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(h, h));
	return sum_scalar(p, n, acc);
}
#endif

static uint64_t (*sum_fn)(const uint8_t *, size_t, uint64_t) = sum_scalar;

RTE_INIT(cksum_init)
{
#if defined(RTE_ARCH_X86_64)
	if (__builtin_cpu_supports("avx2"))
		sum_fn = sum_avx2;
#endif
}

int
px__inet_cksum_simd(int on)
{
	int was = sum_fn != sum_scalar;

#if defined(RTE_ARCH_X86_64)
	if (on > 0 && __builtin_cpu_supports("avx2"))
		sum_fn = sum_avx2;
#endif
	if (on == 0)
		sum_fn = sum_scalar;
	return was;
}

static inline uint16_t
fold64(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* Short ranges (headers, small messages) take DPDK's inline 16-bit sum
 * (right for a flat buffer, and fewest instructions there): below this
 * the 64-bit loops' set-up and the indirect call cost more than they
 * save. */
#define CKSUM_VEC_MIN 128

static inline uint64_t
sum_any(const uint8_t *p, uint32_t n)
{
	return n < CKSUM_VEC_MIN ? __rte_raw_cksum(p, n, 0) : sum_fn(p, n, 0);
}

uint16_t
px__inet_cksum(const void *buf, uint32_t len)
{
	return fold64(sum_any((const uint8_t *)buf, len));
}

int
px__inet_cksum_mbuf(const struct rte_mbuf *m, uint32_t off, uint32_t len,
		uint16_t *raw)
{
	uint32_t done = 0, n;
	uint64_t sum = 0;
	uint16_t s;

	if (off + len > rte_pktmbuf_pkt_len(m))
		return -EINVAL;
	while (m != NULL && off >= m->data_len) {
		off -= m->data_len;
		m = m->next;
	}
	if (likely(m != NULL && off + len <= m->data_len)) {
		*raw = fold64(sum_any(rte_pktmbuf_mtod_offset(m, const uint8_t *,
				off), len));
		return 0;
	}
	for (; m != NULL && done < len; m = m->next, off = 0) {
		n = RTE_MIN((uint32_t)m->data_len - off, len - done);
		s = fold64(sum_any(rte_pktmbuf_mtod_offset(m, const uint8_t *, off),
				n));
		/* A segment that starts at an odd byte of the range has its
		 * words' bytes the other way round. */
		sum += (done & 1) ? rte_bswap16(s) : s;
		done += n;
	}
	if (done < len)
		return -EINVAL;
	*raw = fold64(sum);
	return 0;
}
