/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * The Internet checksum's raw sum over one full TCP payload (1448 bytes,
 * the MSS with timestamps at a 1500-byte MTU): the stack's
 * px__inet_cksum() (lib/inet/cksum.c) against DPDK's rte_raw_cksum(),
 * which it replaced. On ports without checksum offload (net_tap and
 * net_memif here) each end of a bulk stream sums every byte once. One
 * item is one payload; bytes per second are reported too.
 */

#include <cstdint>
#include <vector>

#include <rte_ip.h>

#include "inet_l4.h"

#include <benchmark/benchmark.h>

namespace {

constexpr uint32_t kLen = 1448;

std::vector<uint8_t>
payloads()
{
	/* 64 payloads one after the other (92 KiB: in L2), odd offsets
	 * included, as mbuf data lies. */
	std::vector<uint8_t> b(64 * (kLen + 8));
	uint32_t x = 1;

	for (auto &v : b) {
		x = x * 1103515245u + 12345u;
		v = static_cast<uint8_t>(x >> 16);
	}
	return b;
}

template <typename F>
void
run(benchmark::State &state, F sum)
{
	std::vector<uint8_t> b = payloads();
	uint32_t i = 0, acc = 0;

	for (auto _ : state) {
		acc += sum(b.data() + (i % 64) * (kLen + 8) + (i % 3), kLen);
		i++;
	}
	benchmark::DoNotOptimize(acc);
	state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
	state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * kLen);
}

} // namespace

static void
BM_cksum_1448_pollux(benchmark::State &state)
{
	run(state, [](const uint8_t *p, uint32_t n) { return px__inet_cksum(p, n); });
}

/* The portable sum (what a CPU without AVX2 gets): for information. */
static void
BM_cksum_portable_pollux(benchmark::State &state)
{
	int was = px__inet_cksum_simd(0);

	run(state, [](const uint8_t *p, uint32_t n) { return px__inet_cksum(p, n); });
	px__inet_cksum_simd(was);
}

static void
BM_cksum_1448_rte_raw_cksum(benchmark::State &state)
{
	run(state, [](const uint8_t *p, uint32_t n) { return rte_raw_cksum(p, n); });
}

BENCHMARK(BM_cksum_1448_pollux)->Unit(benchmark::kNanosecond)->Repetitions(5);
BENCHMARK(BM_cksum_portable_pollux)->Unit(benchmark::kNanosecond)->Repetitions(5);
BENCHMARK(BM_cksum_1448_rte_raw_cksum)->Unit(benchmark::kNanosecond)->Repetitions(5);
