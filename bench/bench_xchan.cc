/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * Cross-lcore hand-off throughput, in pairs a script can match by name:
 * BM_xchan_burst32_pollux against BM_xchan_burst32_rte_ring (and _spsc).
 *
 * The benchmark thread (main lcore) is the producer; a consumer launched
 * on the first worker lcore drains the ring in a loop until told to stop.
 * The producer sends bursts of 32 messages of 32 bytes (struct px_msg) and
 * retries the rest of a burst while the ring is full, so each message
 * counts once. One item is one message the consumer received during the
 * timed loop; the consumer reads every message (it sums a payload word) so
 * the copy out of the ring cannot be optimised away.
 *
 * burst32_pollux:   px_xchan as a mailbox (flags 0: multi-producer,
 *                   which xchan.c maps to rte_ring's RTS mode).
 * burst32_rte_ring: a plain rte_ring with classic MP enqueue and SC
 *                   dequeue, same element size and capacity.
 * burst32_spsc:     px_xchan with PX_XCHAN_F_SP (one producer per lcore
 *                   pair), to choose between mailbox and SPSC rings.
 * mailbox_send:     px_msg_send_burst() to the worker executor's mailbox,
 *                   handled by a registered handler inside px_lcore_loop():
 *                   the real path, dispatch included (no baseline).
 *
 * Cross-core timing on the project's VMs flips between two modes (see
 * BASELINES.md; here a line transfer costs about 4x more in the slow one,
 * and a mode lasts from a few seconds to minutes), so each of these runs
 * seven short repetitions (0.3 s, longer in the slow mode): run with
 * --benchmark_enable_random_interleaving=true to alternate them, and
 * compare medians, or better repetitions that ran in the same mode: each
 * one measures the cache-line round trip between the two lcores just
 * before and just after it runs (counters rtt_ns and rtt_end_ns).
 */

#include <cerrno>
#include <cstdint>

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_pause.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <px_exec.h>
#include <px_task.h>
#include <px_xchan.h>

#include <benchmark/benchmark.h>

namespace {

constexpr unsigned int kBurst = 32;
/* The executors' default mailbox size (px_conf.mbox_size). */
constexpr unsigned int kRingSize = 4096;
constexpr uint16_t kMsgType = PX_MSG_USER_BASE + 1;

static_assert(sizeof(struct px_msg) == 32, "px_msg is 32 bytes");

/* Shared between the producer (main lcore) and the consumer. Each side
 * writes its own cache line only. */
struct consumer {
	struct px_xchan *ch;
	struct rte_ring *ring;
	/* Written by the producer once, at the end. */
	alignas(RTE_CACHE_LINE_SIZE) int stop;
	/* Written by the consumer after each non-empty burst. */
	alignas(RTE_CACHE_LINE_SIZE) uint64_t delivered;
	uint64_t sum;
};

unsigned int
worker_lcore(void)
{
	return rte_get_next_lcore(-1, 1, 0);
}

/* A cache line bounced between the main lcore and the worker. */
struct probe {
	alignas(RTE_CACHE_LINE_SIZE) uint64_t ping; /* written by main */
	alignas(RTE_CACHE_LINE_SIZE) uint64_t pong; /* written by worker */
};

constexpr uint64_t kProbeRounds = 2000;

int
probe_echo(void *arg)
{
	auto *p = static_cast<struct probe *>(arg);
	uint64_t i;

	/* load-acquire pairs with the store-release in rtt_ns(); no data
	 * travels with it, but it keeps the probe a true round trip. */
	for (i = 1; i <= kProbeRounds; i++) {
		while (__atomic_load_n(&p->ping, __ATOMIC_ACQUIRE) != i)
			rte_pause();
		__atomic_store_n(&p->pong, i, __ATOMIC_RELEASE);
	}
	return 0;
}

/*
 * Cache-line round trip between the main lcore and *worker*, in ns: which
 * cross-core mode the VM is in right now (BASELINES.md: about 100 ns or
 * about 520 ns). About 1 ms; the worker lcore must be idle.
 */
double
rtt_ns(unsigned int worker)
{
	struct probe p = {};
	uint64_t i, t0, t1;

	if (rte_eal_remote_launch(probe_echo, &p, worker) != 0)
		return 0;
	t0 = rte_get_tsc_cycles();
	for (i = 1; i <= kProbeRounds; i++) {
		/* store-release pairs with the load-acquire in probe_echo() */
		__atomic_store_n(&p.ping, i, __ATOMIC_RELEASE);
		while (__atomic_load_n(&p.pong, __ATOMIC_ACQUIRE) != i)
			rte_pause();
	}
	t1 = rte_get_tsc_cycles();
	rte_eal_wait_lcore(worker);
	return (double)(t1 - t0) * 1e9 / (double)rte_get_tsc_hz() /
		(double)kProbeRounds;
}

template <typename Recv>
int
consume(struct consumer *c, Recv recv)
{
	struct px_msg msgs[kBurst];
	uint64_t total = 0, sum = 0;
	unsigned int i, n;

	/* Relaxed: the flag only ends the loop; nothing is published with
	 * it (the producer reads the counters after rte_eal_wait_lcore()). */
	while (!__atomic_load_n(&c->stop, __ATOMIC_RELAXED)) {
		n = recv(msgs, kBurst);
		if (n == 0) {
			/* As an idle PX_IDLE_BUSY executor does; it also
			 * keeps an empty poll from hammering the producer's
			 * tail line. */
			rte_pause();
			continue;
		}
		for (i = 0; i < n; i++)
			sum += msgs[i].a;
		total += n;
		/* Relaxed: a counter the producer samples, no payload. */
		__atomic_store_n(&c->delivered, total, __ATOMIC_RELAXED);
	}
	c->sum = sum;
	return 0;
}

int
xchan_consumer(void *arg)
{
	auto *c = static_cast<struct consumer *>(arg);

	return consume(c, [c](struct px_msg *m, unsigned int n) {
		return px_xchan_recv_burst(c->ch, m, n);
	});
}

int
ring_consumer(void *arg)
{
	auto *c = static_cast<struct consumer *>(arg);

	return consume(c, [c](struct px_msg *m, unsigned int n) {
		return rte_ring_sc_dequeue_burst_elem(c->ring, m, sizeof(*m), n,
				nullptr);
	});
}

void
fill_msgs(struct px_msg *msgs, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		msgs[i] = {};
		msgs[i].type = kMsgType;
		msgs[i].a = i;
	}
}

/*
 * Run the producer side on the benchmark thread against a consumer already
 * set up in *c*, launched on the worker lcore with *fn*.
 */
template <typename Send>
void
produce(benchmark::State &state, struct consumer *c, lcore_function_t *fn,
		Send send)
{
	unsigned int worker = worker_lcore();
	struct px_msg msgs[kBurst];
	unsigned int sent;
	double rtt;

	if (worker >= RTE_MAX_LCORE) {
		state.SkipWithError("needs a worker lcore (--lcores=0@0,1@1)");
		return;
	}
	rtt = rtt_ns(worker);
	if (rte_eal_remote_launch(fn, c, worker) != 0) {
		state.SkipWithError("worker lcore busy");
		return;
	}
	fill_msgs(msgs, kBurst);
	for (auto _ : state) {
		sent = 0;
		/* A full ring is back-pressure: retry the rest of the burst. */
		while ((sent += send(msgs + sent, kBurst - sent)) < kBurst)
			rte_pause();
	}
	/* Sampled as the timer stops: what the consumer had received. */
	state.SetItemsProcessed((int64_t)__atomic_load_n(&c->delivered,
			__ATOMIC_RELAXED));
	state.counters["rtt_ns"] = rtt;
	__atomic_store_n(&c->stop, 1, __ATOMIC_RELAXED);
	rte_eal_wait_lcore(worker);
	state.counters["rtt_end_ns"] = rtt_ns(worker);
	benchmark::DoNotOptimize(c->sum);
}

void
xchan_bench(benchmark::State &state, unsigned int flags)
{
	struct consumer c = {};

	if (px_xchan_create("bench_xchan", kRingSize, SOCKET_ID_ANY, flags,
			&c.ch) != 0) {
		state.SkipWithError("px_xchan_create failed");
		return;
	}
	produce(state, &c, xchan_consumer,
		[&c](const struct px_msg *m, unsigned int n) {
			return px_xchan_send_burst(c.ch, m, n);
		});
	px_xchan_free(c.ch);
}

void
BM_xchan_burst32_pollux(benchmark::State &state)
{
	xchan_bench(state, 0);
}

void
BM_xchan_burst32_spsc(benchmark::State &state)
{
	xchan_bench(state, PX_XCHAN_F_SP);
}

void
BM_xchan_burst32_rte_ring(benchmark::State &state)
{
	struct consumer c = {};

	/* Classic MP enqueue, SC dequeue. RING_F_EXACT_SZ as px_xchan uses,
	 * so both rings hold the same number of messages. */
	c.ring = rte_ring_create_elem("bench_ring", sizeof(struct px_msg),
			kRingSize, SOCKET_ID_ANY,
			RING_F_SC_DEQ | RING_F_EXACT_SZ);
	if (c.ring == nullptr) {
		state.SkipWithError("rte_ring_create_elem failed");
		return;
	}
	produce(state, &c, ring_consumer,
		[&c](const struct px_msg *m, unsigned int n) {
			return rte_ring_enqueue_burst_elem(c.ring, m,
					sizeof(*m), n, nullptr);
		});
	rte_ring_free(c.ring);
}

/* ---- the executor mailbox, dispatch included ---- */

struct mbox_sink {
	/* Written by the worker's handler only. */
	alignas(RTE_CACHE_LINE_SIZE) uint64_t delivered;
	uint64_t sum;
};

struct mbox_sink sink;

void
mbox_handler(const struct px_msg *m, void *ctx)
{
	auto *s = static_cast<struct mbox_sink *>(ctx);

	s->sum += m->a;
	/* Relaxed: a counter the producer samples; one writer. */
	__atomic_store_n(&s->delivered, s->delivered + 1, __ATOMIC_RELAXED);
}

/* Same configuration as bench_exec.cc: the first caller starts it. */
int
runtime_start(void)
{
	struct px_conf conf = {};
	int ret;

	conf.idle = PX_IDLE_BUSY;
	conf.stack_size = 256 * 1024;
	ret = px_init_after_eal(&conf);
	if (ret != 0 && ret != -EALREADY)
		return ret;
	/* Handlers are read without locks once executors run: register
	 * before the first px_run(). */
	return px_msg_register(kMsgType, mbox_handler, &sink);
}

/* Wait (bounded) until *cond* holds; false on timeout. */
template <typename Cond>
bool
wait_for(Cond cond, uint64_t timeout_ms)
{
	uint64_t end = rte_get_tsc_cycles() +
		rte_get_tsc_hz() / 1000 * timeout_ms;

	while (!cond()) {
		if (rte_get_tsc_cycles() > end)
			return false;
		rte_pause();
	}
	return true;
}

void *
mailbox_body(void *arg)
{
	auto &state = *static_cast<benchmark::State *>(arg);
	unsigned int worker = worker_lcore();
	struct px_exec_stats st0, st;
	struct px_msg msgs[kBurst];
	uint64_t bursts = 0;
	unsigned int sent;

	/* px_run() launched the worker's loop unless the lcore was busy:
	 * make sure it iterates before timing anything. */
	if (px_exec_stats_get(worker, &st0) != 0 ||
			!wait_for([&] {
				px_exec_stats_get(worker, &st);
				return st.loops != st0.loops;
			}, 1000)) {
		state.SkipWithError("worker executor not running");
		return nullptr;
	}
	fill_msgs(msgs, kBurst);
	for (auto _ : state) {
		sent = 0;
		while ((sent += px_msg_send_burst(worker, msgs + sent,
				kBurst - sent)) < kBurst)
			rte_pause();
		bursts++;
		/* Nothing else runs on this lcore, but a real sender yields
		 * now and then; it also keeps the stall detector quiet. */
		px_yield_maybe();
	}
	state.SetItemsProcessed((int64_t)__atomic_load_n(&sink.delivered,
			__ATOMIC_RELAXED));
	/* Let the worker handle the rest, so the next run starts with an
	 * empty mailbox and a counter nobody else writes. */
	if (!wait_for([&] {
			return __atomic_load_n(&sink.delivered,
				__ATOMIC_RELAXED) == bursts * kBurst;
		}, 1000))
		state.SkipWithError("mailbox not drained");
	return nullptr;
}

void
BM_mailbox_send_pollux(benchmark::State &state)
{
	static int ret = runtime_start();
	double rtt;

	if (ret != 0) {
		state.SkipWithError("runtime start failed");
		return;
	}
	if (worker_lcore() >= RTE_MAX_LCORE) {
		state.SkipWithError("needs a worker lcore (--lcores=0@0,1@1)");
		return;
	}
	/* Probe while the worker is still idle (px_run() occupies it). */
	rtt = rtt_ns(worker_lcore());
	/* No worker loop runs between px_run() calls: plain reset. */
	sink.delivered = 0;
	if (px_run(mailbox_body, &state, nullptr) != 0)
		state.SkipWithError("px_run failed");
	state.counters["rtt_ns"] = rtt;
	state.counters["rtt_end_ns"] = rtt_ns(worker_lcore());
}

} /* namespace */

/* Wall-clock time: the work is shared by two threads on two cores. */
#define CROSS_LCORE(bm) \
	BENCHMARK(bm)->MinTime(0.3)->Repetitions(7)->UseRealTime()

CROSS_LCORE(BM_xchan_burst32_pollux);
CROSS_LCORE(BM_xchan_burst32_rte_ring);
CROSS_LCORE(BM_xchan_burst32_spsc);
CROSS_LCORE(BM_mailbox_send_pollux);
