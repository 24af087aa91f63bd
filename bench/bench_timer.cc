/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * px_timer wheel against rte_timer, in pairs a script can match by name:
 * BM_timer_<op>_pollux and BM_timer_<op>_rte_timer.
 *
 * arm_cancel: with 1024 other timers armed at random delays (1 us to 100 ms),
 * arm one more at a random delay in the same range and cancel it. One item
 * is one arm + cancel pair.
 *
 * arm_expire: arm a batch of 256 timers due one cycle later, then run the
 * timer code until all callbacks ran. One item is one timer armed and fired.
 * rte_timer needs real time to pass, so rte_timer_manage() spins until the
 * batch is done; the wheel is advanced one tick of synthetic time instead,
 * which fires the same batch through its ordinary (level 0 slot) path.
 */

#include <cerrno>
#include <cstdint>
#include <vector>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_timer.h>

#include <px_timer.h>

#include <benchmark/benchmark.h>

namespace {

constexpr unsigned int kBackground = 1024;
constexpr unsigned int kDelays = 4096; /* power of two: index with a mask */
constexpr unsigned int kBatch = 256;

/* Random delays in [1 us, 100 ms], made before the timed loop. */
std::vector<uint64_t>
make_delays(unsigned int n, uint64_t seed)
{
	uint64_t hz = rte_get_tsc_hz(), lo = hz / 1000000, hi = hz / 10;
	std::vector<uint64_t> d(n);

	for (auto &v : d) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		v = lo + seed % (hi - lo + 1);
	}
	return d;
}

bool
rte_timer_ready(benchmark::State &state)
{
	static int ret = rte_timer_subsystem_init();

	if (ret != 0 && ret != -EALREADY) {
		state.SkipWithError("rte_timer_subsystem_init failed");
		return false;
	}
	return true;
}

void
px_count_cb(struct px_timer *, void *arg)
{
	++*static_cast<uint64_t *>(arg);
}

void
rte_count_cb(struct rte_timer *, void *arg)
{
	++*static_cast<uint64_t *>(arg);
}

void
BM_timer_arm_cancel_pollux(benchmark::State &state)
{
	std::vector<uint64_t> bg_delay = make_delays(kBackground, 1);
	std::vector<uint64_t> delay = make_delays(kDelays, 2);
	std::vector<struct px_timer> bg(kBackground);
	struct px_timer_wheel *w;
	struct px_timer tim{};
	uint64_t fired = 0;
	unsigned int i = 0;

	if (px_timer_wheel_create(nullptr, &w) != 0) {
		state.SkipWithError("px_timer_wheel_create failed");
		return;
	}
	for (i = 0; i < kBackground; i++)
		px_timer_arm(w, &bg[i], bg_delay[i], px_count_cb, &fired);
	for (auto _ : state) {
		benchmark::DoNotOptimize(px_timer_arm(w, &tim,
			delay[i++ & (kDelays - 1)], px_count_cb, &fired));
		benchmark::DoNotOptimize(px_timer_cancel(w, &tim));
	}
	state.SetItemsProcessed(state.iterations() * 1);
	px_timer_wheel_free(w);
}

void
BM_timer_arm_cancel_rte_timer(benchmark::State &state)
{
	std::vector<uint64_t> bg_delay = make_delays(kBackground, 1);
	std::vector<uint64_t> delay = make_delays(kDelays, 2);
	std::vector<struct rte_timer> bg(kBackground);
	unsigned int lcore = rte_lcore_id();
	struct rte_timer tim;
	uint64_t fired = 0;
	unsigned int i = 0;

	if (!rte_timer_ready(state))
		return;
	rte_timer_init(&tim);
	for (i = 0; i < kBackground; i++) {
		rte_timer_init(&bg[i]);
		rte_timer_reset(&bg[i], bg_delay[i], SINGLE, lcore,
			rte_count_cb, &fired);
	}
	for (auto _ : state) {
		benchmark::DoNotOptimize(rte_timer_reset(&tim,
			delay[i++ & (kDelays - 1)], SINGLE, lcore, rte_count_cb,
			&fired));
		benchmark::DoNotOptimize(rte_timer_stop(&tim));
	}
	state.SetItemsProcessed(state.iterations() * 1);
	for (auto &t : bg)
		rte_timer_stop(&t);
}

void
BM_timer_arm_expire_pollux(benchmark::State &state)
{
	std::vector<struct px_timer> tim(kBatch);
	struct px_timer_wheel *w;
	uint64_t now, tick, fired = 0;
	unsigned int i;

	if (px_timer_wheel_create(nullptr, &w) != 0) {
		state.SkipWithError("px_timer_wheel_create failed");
		return;
	}
	now = px_timer_wheel_now(w);
	tick = px_timer_wheel_tick(w);
	for (auto _ : state) {
		for (i = 0; i < kBatch; i++)
			px_timer_arm(w, &tim[i], 1, px_count_cb, &fired);
		now += tick;
		px_timer_wheel_advance(w, now);
	}
	if (fired != (uint64_t)state.iterations() * kBatch)
		state.SkipWithError("not every timer fired");
	state.SetItemsProcessed(state.iterations() * kBatch);
	px_timer_wheel_free(w);
}

void
BM_timer_arm_expire_rte_timer(benchmark::State &state)
{
	std::vector<struct rte_timer> tim(kBatch);
	unsigned int lcore = rte_lcore_id();
	uint64_t fired = 0, want = 0;
	unsigned int i;

	if (!rte_timer_ready(state))
		return;
	for (auto &t : tim)
		rte_timer_init(&t);
	for (auto _ : state) {
		for (i = 0; i < kBatch; i++)
			rte_timer_reset(&tim[i], 1, SINGLE, lcore, rte_count_cb,
				&fired);
		want += kBatch;
		while (fired < want)
			rte_timer_manage();
	}
	state.SetItemsProcessed(state.iterations() * kBatch);
}

} /* namespace */

BENCHMARK(BM_timer_arm_cancel_pollux)->Unit(benchmark::kNanosecond);
BENCHMARK(BM_timer_arm_cancel_rte_timer)->Unit(benchmark::kNanosecond);
BENCHMARK(BM_timer_arm_expire_pollux)->Unit(benchmark::kNanosecond);
BENCHMARK(BM_timer_arm_expire_rte_timer)->Unit(benchmark::kNanosecond);
