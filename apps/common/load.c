/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_lcore.h>

#include <px_exec.h>
#include <px_task.h>
#include <px_tcp.h>

#include "load.h"

#define FIFO 1024                       /* open loop: requests in flight */
#define NS(ms) ((uint64_t)(ms) * 1000000ull)
#define POLL_NS NS(10)                  /* reader wake-ups to check the end */
#define GRACE_MS 1000                   /* after the end, for late answers */
#define UDP_HDR 16                      /* seq, scheduled TSC */

struct job {
	const struct load_conf *c;
	unsigned int idx;
	uint64_t warm, end;                 /* TSC */
	double gap;                         /* open loop: mean cycles apart */
	uint64_t rng;
	uint8_t *out, *in;
	/* open loop */
	struct px_tcp_conn *conn;
	struct px_udp_sock *us;
	uint64_t fifo[FIFO];                /* TCP: scheduled send times */
	uint32_t head, tail;
	volatile int writer_done;
	/* results */
	struct hist h;
	uint64_t msgs, sent, lost, skipped, bad;
	int ret;
};

static uint8_t
pattern(unsigned int idx, uint32_t i)
{
	return (uint8_t)(i * 7 + idx * 13 + 1);
}

static uint64_t
rnd(struct job *j)
{
	uint64_t x = j->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return j->rng = x;
}

/* The gap to the next scheduled request, cycles. */
static uint64_t
next_gap(struct job *j)
{
	double u;

	if (!j->c->poisson)
		return (uint64_t)j->gap;
	u = ((double)(rnd(j) >> 11) + 0.5) / 9007199254740992.0; /* (0, 1) */
	return (uint64_t)(-log(u) * j->gap);
}

static void
count(struct job *j, uint64_t sched, uint64_t now)
{
	if (sched < j->warm || sched >= j->end)
		return;
	hist_add(&j->h, now - sched);
	j->msgs++;
}

/* ---- TCP ---- */

static int
tcp_open(struct job *j, struct px_tcp_conn **c)
{
	int ret = px_tcp_connect(j->c->nif, j->c->ip, j->c->port, NS(5000), c);

	if (ret == 0)
		px_tcp_setopt(*c, PX_TCP_OPT_NODELAY, 1);
	return ret;
}

/* Read exactly size bytes (or fail). */
static int
tcp_read_all(struct job *j, struct px_tcp_conn *c, uint64_t timeout_ns)
{
	size_t got;
	ssize_t n;

	for (got = 0; got < j->c->size; got += (size_t)n) {
		n = px_tcp_read(c, j->in + got, j->c->size - got, timeout_ns);
		if (n <= 0)
			return n < 0 ? (int)n : -ECONNRESET;
	}
	j->bad += memcmp(j->in, j->out, j->c->size) != 0;
	return 0;
}

static void *
tcp_closed(void *arg)
{
	struct job *j = arg;
	struct px_tcp_conn *c = NULL;
	uint64_t t0;
	ssize_t n;

	while ((t0 = rte_rdtsc()) < j->end) {
		if (c == NULL && (j->ret = tcp_open(j, &c)) < 0)
			return NULL;
		n = px_tcp_write(c, j->out, j->c->size, NS(1000));
		if (n != (ssize_t)j->c->size) {
			j->ret = n < 0 ? (int)n : -EIO;
			break;
		}
		j->ret = tcp_read_all(j, c, NS(1000));
		if (j->ret < 0)
			break;
		if (j->c->crr) {
			px_tcp_close(c);
			c = NULL;
		}
		if (t0 >= j->warm)
			j->sent++;
		count(j, t0, rte_rdtsc());
	}
	if (c != NULL)
		px_tcp_close(c);
	return NULL;
}

/* Open loop, the reading side: answers come back in order. */
static void *
tcp_reader(void *arg)
{
	struct job *j = arg;
	uint64_t give_up = j->end + rte_get_tsc_hz() / 1000 * GRACE_MS;
	size_t got = 0;
	ssize_t n;

	for (;;) {
		if (j->head == j->tail && j->writer_done)
			break;
		if (rte_rdtsc() > give_up)
			break;
		n = px_tcp_read(j->conn, j->in + got, j->c->size - got, POLL_NS);
		if (n == -ETIMEDOUT)
			continue;
		if (n <= 0) {
			if (j->ret == 0)
				j->ret = n < 0 ? (int)n : -ECONNRESET;
			break;
		}
		got += (size_t)n;
		if (got < j->c->size)
			continue;
		got = 0;
		if (j->head == j->tail) { /* more answers than requests */
			j->bad++;
			continue;
		}
		j->bad += memcmp(j->in, j->out, j->c->size) != 0;
		count(j, j->fifo[j->head++ % FIFO], rte_rdtsc());
	}
	for (; j->head != j->tail; j->head++) {
		uint64_t s = j->fifo[j->head % FIFO];

		j->lost += s >= j->warm && s < j->end;
	}
	return NULL;
}

static void *
tcp_open_loop(void *arg)
{
	struct job *j = arg;
	struct px_task *reader;
	uint64_t next;
	ssize_t n;

	if ((j->ret = tcp_open(j, &j->conn)) < 0)
		return NULL;
	if (px_spawn(tcp_reader, j, NULL, &reader) != 0) {
		j->ret = -EAGAIN;
		px_tcp_close(j->conn);
		return NULL;
	}
	/* A random phase, so the connections do not send in lockstep. */
	next = rte_rdtsc() + rnd(j) % ((uint64_t)j->gap + 1);
	while (next < j->end) {
		if (next > rte_rdtsc())
			px_sleep_until(next);
		if (j->tail - j->head == FIFO) {
			j->skipped += next >= j->warm;
		} else {
			j->fifo[j->tail++ % FIFO] = next;
			j->sent += next >= j->warm;
			n = px_tcp_write(j->conn, j->out, j->c->size, NS(1000));
			if (n != (ssize_t)j->c->size) {
				j->ret = n < 0 ? (int)n : -EIO;
				break;
			}
		}
		next += next_gap(j);
	}
	j->writer_done = 1;
	px_task_join(reader, NULL, PX_TIMEOUT_INF);
	px_tcp_close(j->conn);
	return NULL;
}

/* ---- UDP ---- */

/* A socket on a source port whose answers the steering brings here. */
static int
udp_open(struct job *j)
{
	unsigned int self = (unsigned int)px_exec_index_self();
	uint32_t cand;

	for (cand = 49152 + j->idx % 8192; cand < 65536; cand++)
		if (px_flow_owner(j->c->ip, j->c->local_ip, j->c->port,
				rte_cpu_to_be_16((uint16_t)cand),
				px_exec_count()) == self) {
			if (px_udp_open(j->c->nif, rte_cpu_to_be_16((uint16_t)cand),
					4096, &j->us) == 0)
				return 0;
		}
	return -EADDRINUSE;
}

static int
udp_send(struct job *j, uint64_t seq, uint64_t sched)
{
	struct px_udp_addr to = { .ip = j->c->ip, .port = j->c->port };
	ssize_t n;

	memcpy(j->out, &seq, 8);
	memcpy(j->out + 8, &sched, 8);
	n = px_udp_sendto(j->us, j->out, j->c->size, &to);
	return n == (ssize_t)j->c->size ? 0 : (n < 0 ? (int)n : -EIO);
}

/* One answer: its seq and scheduled time, or an error (-ETIMEDOUT). */
static int
udp_recv(struct job *j, uint64_t timeout_ns, uint64_t *seq, uint64_t *sched)
{
	struct px_udp_addr from;
	ssize_t n = px_udp_recvfrom(j->us, j->in, j->c->size, &from, timeout_ns);

	if (n < 0)
		return (int)n;
	if ((uint32_t)n != j->c->size ||
			memcmp(j->in + UDP_HDR, j->out + UDP_HDR,
				j->c->size - UDP_HDR) != 0) {
		j->bad++;
		return -EAGAIN;
	}
	memcpy(seq, j->in, 8);
	memcpy(sched, j->in + 8, 8);
	return 0;
}

static void *
udp_closed(void *arg)
{
	struct job *j = arg;
	uint64_t seq = 0, rseq = 0, sched = 0, t0;
	int ret;

	if ((j->ret = udp_open(j)) < 0)
		return NULL;
	while ((t0 = rte_rdtsc()) < j->end) {
		if ((j->ret = udp_send(j, ++seq, t0)) < 0)
			break;
		j->sent += t0 >= j->warm;
		/* Wait for this request's answer; older ones are late. */
		do
			ret = udp_recv(j, NS(200), &rseq, &sched);
		while ((ret == 0 && rseq != seq) || ret == -EAGAIN);
		if (ret == -ETIMEDOUT) {
			j->lost += t0 >= j->warm;
			continue;
		}
		if (ret < 0) {
			j->ret = ret;
			break;
		}
		count(j, sched, rte_rdtsc());
	}
	px_udp_close(j->us);
	return NULL;
}

static void *
udp_reader(void *arg)
{
	struct job *j = arg;
	uint64_t give_up = j->end + rte_get_tsc_hz() / 1000 * GRACE_MS;
	uint64_t seq = 0, sched = 0;
	int ret;

	while (rte_rdtsc() < give_up) {
		ret = udp_recv(j, POLL_NS, &seq, &sched);
		if (ret == 0)
			count(j, sched, rte_rdtsc());
		else if (ret == -ETIMEDOUT && j->writer_done &&
				j->msgs >= j->sent)
			break;
		else if (ret < 0 && ret != -ETIMEDOUT && ret != -EAGAIN)
			break;
	}
	return NULL;
}

static void *
udp_open_loop(void *arg)
{
	struct job *j = arg;
	struct px_task *reader;
	uint64_t next, seq = 0;

	if ((j->ret = udp_open(j)) < 0)
		return NULL;
	if (px_spawn(udp_reader, j, NULL, &reader) != 0) {
		j->ret = -EAGAIN;
		px_udp_close(j->us);
		return NULL;
	}
	next = rte_rdtsc() + rnd(j) % ((uint64_t)j->gap + 1);
	while (next < j->end) {
		if (next > rte_rdtsc())
			px_sleep_until(next);
		/* No mbuf: the datagram is lost, not the schedule. */
		if (udp_send(j, ++seq, next) == 0)
			j->sent += next >= j->warm;
		else
			j->skipped += next >= j->warm;
		next += next_gap(j);
	}
	j->writer_done = 1;
	px_task_join(reader, NULL, PX_TIMEOUT_INF);
	j->lost = j->sent > j->msgs ? j->sent - j->msgs : 0;
	px_udp_close(j->us);
	return NULL;
}

/* ---- driver ---- */

static void
progress_line(struct job *jobs, unsigned int n, uint64_t t0, uint64_t warm,
		uint64_t end, uint64_t *last_msgs, uint64_t *last_t)
{
	uint64_t now = rte_rdtsc(), msgs = 0, hz = rte_get_tsc_hz();
	unsigned int k;
	int failed = 0;

	for (k = 0; k < n; k++) {
		msgs += jobs[k].msgs;
		failed += jobs[k].ret < 0;
	}
	/* On a terminal one line rewritten in place; else a line a second. */
	fprintf(stderr, "%s[%5.1f/%.1f s]%s %12.0f req/s  %llu done  %d failed%s",
		isatty(STDERR_FILENO) ? "\r" : "",
		(double)(now - t0) / (double)hz, (double)(end - t0) / (double)hz,
		now < warm ? " warm-up" : "",
		now > *last_t ? (double)(msgs - *last_msgs) * (double)hz /
			(double)(now - *last_t) : 0.0,
		(unsigned long long)msgs, failed,
		isatty(STDERR_FILENO) ? "   " : "\n");
	*last_msgs = msgs;
	*last_t = now;
}

int
load_run(const struct load_conf *c, struct load_result *r)
{
	px_task_fn_t fn;
	struct job *jobs;
	struct px_task **tasks;
	uint64_t hz = rte_get_tsc_hz(), t0, last_msgs = 0, last_t;
	unsigned int k, n = px_exec_count(), failed = 0;

	memset(r, 0, sizeof(*r));
	if (c->conns == 0 || c->size == 0 || c->run_ms == 0 ||
			(c->proto == LOAD_UDP && c->size < UDP_HDR) ||
			(c->crr && (c->proto != LOAD_TCP || c->rate > 0)))
		return -EINVAL;
	if (c->proto == LOAD_TCP)
		fn = c->rate > 0 ? tcp_open_loop : tcp_closed;
	else
		fn = c->rate > 0 ? udp_open_loop : udp_closed;
	jobs = calloc(c->conns, sizeof(*jobs));
	tasks = calloc(c->conns, sizeof(*tasks));
	if (jobs == NULL || tasks == NULL) {
		free(jobs);
		free(tasks);
		return -ENOMEM;
	}
	t0 = last_t = rte_rdtsc();
	for (k = 0; k < c->conns; k++) {
		struct job *j = &jobs[k];
		uint32_t i;

		j->c = c;
		j->idx = k;
		j->warm = t0 + hz / 1000 * c->warm_ms;
		j->end = j->warm + hz / 1000 * c->run_ms;
		j->gap = c->rate > 0 ? (double)hz * c->conns / c->rate : 0;
		j->rng = 0x9e3779b97f4a7c15ull * (k + 1);
		j->out = malloc(c->size);
		j->in = malloc(c->size);
		j->ret = -EINPROGRESS;
		if (j->out == NULL || j->in == NULL) {
			j->ret = -ENOMEM;
			continue;
		}
		for (i = 0; i < c->size; i++)
			j->out[i] = pattern(k, i);
		j->ret = 0;
		if (px_spawn_on((unsigned int)px_exec_lcore(k % n), fn, j, NULL,
				&tasks[k]) != 0) {
			j->ret = -EAGAIN;
			tasks[k] = NULL;
		}
	}
	if (c->progress) {
		while (rte_rdtsc() < jobs[0].end) {
			px_sleep_ns(NS(1000));
			progress_line(jobs, c->conns, t0, jobs[0].warm, jobs[0].end,
					&last_msgs, &last_t);
		}
		if (isatty(STDERR_FILENO))
			fputc('\n', stderr);
	}
	for (k = 0; k < c->conns; k++) {
		struct job *j = &jobs[k];

		if (tasks[k] != NULL)
			px_task_join(tasks[k], NULL, PX_TIMEOUT_INF);
		failed += j->ret < 0;
		hist_merge(&r->hist, &j->h);
		r->msgs += j->msgs;
		r->sent += j->sent;
		r->lost += j->lost;
		r->skipped += j->skipped;
		r->mismatched += j->bad;
		free(j->out);
		free(j->in);
	}
	r->errors = failed;
	r->secs = (double)c->run_ms / 1000.0;
	free(jobs);
	free(tasks);
	return failed == 0 && r->mismatched == 0 && r->msgs > 0 ? 0 : -EIO;
}
