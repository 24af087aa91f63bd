/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * Pollux tasks against the obvious alternatives, in pairs a script can match
 * by name: BM_task_<op>_pollux and BM_task_<op>_<baseline>.
 *
 * switch: two tasks hand the lcore to each other with px_yield(); the
 * baseline is two ucontext_t contexts swapping with swapcontext(). One item
 * is one hand-over from one side to the other.
 *
 * spawn_join: spawn a task that returns at once and join it; the baseline
 * is pthread_create() + pthread_join() of the same function. One item is
 * one spawn + join.
 *
 * chan_pingpong (no baseline): two tasks bounce an 8-byte item over two
 * local px_chan. One item is one message received.
 *
 * The Pollux bodies run inside a task (px_run() on the main lcore): the
 * benchmark loop itself is the main task, which is where application code
 * calling px_yield() or px_spawn() runs too. px_run() also starts the
 * worker lcores' executors; they find no work and spin, which does not
 * touch the main lcore.
 *
 * Rates use CPU time, as bench_timer.cc does, except for the pthread
 * baseline: its work happens in another thread and while the benchmark
 * thread sleeps in pthread_join(), so only wall-clock time counts it.
 * Everything else keeps the benchmark thread busy, so on a quiet machine
 * the two clocks agree; CPU time keeps the figures usable when another
 * process shares the core (bench/compare warns when the clocks differ).
 */

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <pthread.h>
#include <ucontext.h>

#include <px_exec.h>
#include <px_sync.h>
#include <px_task.h>

#include <benchmark/benchmark.h>

namespace {

/*
 * Start the runtime once, on first use, so the benchmarks that do not need
 * it (timers, rings) run without executors. bench_xchan.cc does the same
 * with the same configuration; whichever comes first wins, the other sees
 * -EALREADY.
 */
int
runtime_start(void)
{
	struct px_conf conf = {};

	conf.idle = PX_IDLE_BUSY;
	/* Google Benchmark's State bookkeeping runs on the task stack;
	 * 256 KiB leaves it ample room (pages are committed on touch). */
	conf.stack_size = 256 * 1024;
	return px_init_after_eal(&conf);
}

bool
runtime_ready(benchmark::State &state)
{
	static int ret = runtime_start();

	if (ret != 0 && ret != -EALREADY) {
		state.SkipWithError("px_init_after_eal failed");
		return false;
	}
	return true;
}

using body_fn = void (*)(benchmark::State &);

struct task_body {
	benchmark::State *state;
	body_fn fn;
};

void *
task_body_entry(void *arg)
{
	auto *b = static_cast<struct task_body *>(arg);

	b->fn(*b->state);
	return nullptr;
}

/* Run a benchmark body as the main task of px_run(). */
void
run_in_task(benchmark::State &state, body_fn fn)
{
	struct task_body b = { &state, fn };

	if (!runtime_ready(state))
		return;
	if (px_run(task_body_entry, &b, nullptr) != 0)
		state.SkipWithError("px_run failed");
}

/* ---- context switch ---- */

struct yield_peer {
	int done;
	int err;
};

void *
yield_peer_fn(void *arg)
{
	auto *p = static_cast<struct yield_peer *>(arg);

	/* Relaxed is enough: both tasks run on this lcore; the atomic only
	 * keeps the compiler from hoisting the load out of the loop. */
	while (!__atomic_load_n(&p->done, __ATOMIC_RELAXED))
		if (px_yield() != 0)
			p->err = 1;
	return nullptr;
}

void
task_switch_body(benchmark::State &state)
{
	struct yield_peer peer = {};
	struct px_task *t;

	if (px_spawn(yield_peer_fn, &peer, nullptr, &t) != 0) {
		state.SkipWithError("px_spawn failed");
		return;
	}
	/* Each px_yield() hands over to the peer, whose px_yield() hands
	 * back: two switches per iteration. */
	for (auto _ : state)
		px_yield();
	__atomic_store_n(&peer.done, 1, __ATOMIC_RELAXED);
	if (px_task_join(t, nullptr, PX_TIMEOUT_INF) != 0 || peer.err)
		state.SkipWithError("peer task failed");
	state.SetItemsProcessed(state.iterations() * 2);
}

void
BM_task_switch_pollux(benchmark::State &state)
{
	run_in_task(state, task_switch_body);
}

constexpr size_t kUcStack = 64 * 1024;

ucontext_t uc_main, uc_peer;

void
uc_peer_fn(void)
{
	/* Never returns: the benchmark drops this context when it is done
	 * (it holds nothing but its stack). */
	for (;;)
		swapcontext(&uc_peer, &uc_main);
}

void
BM_task_switch_swapcontext(benchmark::State &state)
{
	void *stack = malloc(kUcStack);

	if (stack == nullptr || getcontext(&uc_peer) != 0) {
		free(stack);
		state.SkipWithError("getcontext failed");
		return;
	}
	uc_peer.uc_stack.ss_sp = stack;
	uc_peer.uc_stack.ss_size = kUcStack;
	uc_peer.uc_link = nullptr;
	makecontext(&uc_peer, uc_peer_fn, 0);
	/* Two swaps per iteration: there and back, as the Pollux pair. */
	for (auto _ : state)
		swapcontext(&uc_main, &uc_peer);
	state.SetItemsProcessed(state.iterations() * 2);
	free(stack);
}

/* ---- spawn + join ---- */

void *
trivial_fn(void *arg)
{
	return arg;
}

void
task_spawn_join_body(benchmark::State &state)
{
	struct px_task *t;
	void *res;

	for (auto _ : state) {
		if (px_spawn(trivial_fn, &state, nullptr, &t) != 0 ||
				px_task_join(t, &res, PX_TIMEOUT_INF) != 0) {
			state.SkipWithError("px_spawn or px_task_join failed");
			break;
		}
		benchmark::DoNotOptimize(res);
	}
	state.SetItemsProcessed(state.iterations());
}

void
BM_task_spawn_join_pollux(benchmark::State &state)
{
	run_in_task(state, task_spawn_join_body);
}

void
BM_task_spawn_join_pthread(benchmark::State &state)
{
	pthread_t th;
	void *res;

	/* The thread inherits the main lcore's affinity, so both ends share
	 * one CPU, as the task pair does. */
	for (auto _ : state) {
		if (pthread_create(&th, nullptr, trivial_fn, &state) != 0 ||
				pthread_join(th, &res) != 0) {
			state.SkipWithError("pthread_create/join failed");
			break;
		}
		benchmark::DoNotOptimize(res);
	}
	state.SetItemsProcessed(state.iterations());
}

/* ---- channel ping-pong ---- */

struct pingpong {
	struct px_chan *ping;
	struct px_chan *pong;
	int err;
};

void *
pong_fn(void *arg)
{
	auto *pp = static_cast<struct pingpong *>(arg);
	uint64_t v;
	int ret;

	/* Echo until the main task closes the ping channel (-EPIPE). */
	while ((ret = px_chan_recv(pp->ping, &v, PX_TIMEOUT_INF)) == 0)
		if (px_chan_send(pp->pong, &v, PX_TIMEOUT_INF) != 0) {
			pp->err = 1;
			return nullptr;
		}
	if (ret != -EPIPE)
		pp->err = 1;
	return nullptr;
}

void
task_chan_pingpong_body(benchmark::State &state)
{
	struct pingpong pp = {};
	struct px_task *t = nullptr;
	uint64_t v = 0;

	if (px_chan_create(16, sizeof(v), &pp.ping) != 0 ||
			px_chan_create(16, sizeof(v), &pp.pong) != 0 ||
			px_spawn(pong_fn, &pp, nullptr, &t) != 0) {
		state.SkipWithError("px_chan_create or px_spawn failed");
		goto out;
	}
	for (auto _ : state) {
		if (px_chan_send(pp.ping, &v, PX_TIMEOUT_INF) != 0 ||
				px_chan_recv(pp.pong, &v, PX_TIMEOUT_INF) != 0) {
			state.SkipWithError("px_chan_send/recv failed");
			break;
		}
		v++;
	}
	px_chan_close(pp.ping);
	if (px_task_join(t, nullptr, PX_TIMEOUT_INF) != 0 || pp.err)
		state.SkipWithError("pong task failed");
	state.SetItemsProcessed(state.iterations() * 2);
out:
	px_chan_free(pp.ping);
	px_chan_free(pp.pong);
}

void
BM_task_chan_pingpong_pollux(benchmark::State &state)
{
	run_in_task(state, task_chan_pingpong_body);
}

} /* namespace */

/* A single-core pair, but the VM's timer and neighbours still move single
 * runs by +-5 %: compare medians of interleaved repetitions. */
BENCHMARK(BM_task_switch_pollux)->MinTime(0.3)->Repetitions(5);
BENCHMARK(BM_task_switch_swapcontext)->MinTime(0.3)->Repetitions(5);
BENCHMARK(BM_task_spawn_join_pollux);
BENCHMARK(BM_task_spawn_join_pthread)->UseRealTime();
BENCHMARK(BM_task_chan_pingpong_pollux);
