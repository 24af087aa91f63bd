/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_ring.h>

#include <px_log.h>

#include "exec_private.h"

/*
 * spawn_blocking: a job queue (MPMC rte_ring) served by plain pthreads.
 * The job lives on the waiting task's stack; the pool thread runs it and
 * posts MSG_BLOCKING_DONE to the task's lcore, which wakes the task. The
 * threads sleep on a POSIX semaphore: this is not the data path, and a
 * blocking call costs a system call anyway.
 */

#define BLOCKING_QUEUE 1024
#define BLOCKING_MAX_THREADS 64

struct blocking_job {
	px_task_fn_t fn;
	void *arg;
	void *result;
	struct px_task *task;
	unsigned int lcore_id;
	volatile int done;
};

static struct {
	struct rte_ring *jobs;
	sem_t sem;
	pthread_t threads[BLOCKING_MAX_THREADS];
	unsigned int n;
	volatile int stop;
} bp;

static void *
blocking_thread(void *arg)
{
	struct blocking_job *job;
	struct px_msg m;

	RTE_SET_USED(arg);
	for (;;) {
		while (sem_wait(&bp.sem) != 0 && errno == EINTR)
			;
		if (__atomic_load_n(&bp.stop, __ATOMIC_ACQUIRE))
			break;
		if (rte_ring_dequeue(bp.jobs, (void **)&job) != 0)
			continue;
		job->result = job->fn(job->arg);
		memset(&m, 0, sizeof(m));
		m.type = MSG_BLOCKING_DONE;
		m.a = (uint64_t)(uintptr_t)job;
		/* The ring's release/acquire publishes job->result. */
		exec_send_internal(NULL, job->lcore_id, &m);
	}
	return NULL;
}

int
blocking_init(unsigned int nthreads)
{
	unsigned int i;
	int ret;

	if (nthreads > BLOCKING_MAX_THREADS)
		nthreads = BLOCKING_MAX_THREADS;
	memset(&bp, 0, sizeof(bp));
	bp.jobs = rte_ring_create("px_blocking", BLOCKING_QUEUE, SOCKET_ID_ANY,
			RING_F_MP_RTS_ENQ | RING_F_MC_RTS_DEQ);
	if (bp.jobs == NULL)
		return -rte_errno;
	if (sem_init(&bp.sem, 0, 0) != 0) {
		ret = -errno;
		rte_ring_free(bp.jobs);
		return ret;
	}
	for (i = 0; i < nthreads; i++) {
		ret = pthread_create(&bp.threads[i], NULL, blocking_thread, NULL);
		if (ret != 0) {
			PX_LOG(ERR, exec, "blocking pool thread: %s", strerror(ret));
			bp.n = i;
			blocking_fini();
			return -ret;
		}
		pthread_setname_np(bp.threads[i], "px-blocking");
	}
	bp.n = nthreads;
	return 0;
}

void
blocking_fini(void)
{
	unsigned int i;

	if (bp.jobs == NULL)
		return;
	__atomic_store_n(&bp.stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < bp.n; i++)
		sem_post(&bp.sem);
	for (i = 0; i < bp.n; i++)
		pthread_join(bp.threads[i], NULL);
	sem_destroy(&bp.sem);
	rte_ring_free(bp.jobs);
	bp.jobs = NULL;
	bp.n = 0;
}

void
blocking_msg(struct exec *e, const struct px_msg *m)
{
	struct blocking_job *job = (struct blocking_job *)(uintptr_t)m->a;

	job->done = 1;
	e->st.blocking_calls++;
	task_wake(job->task, 0);
}

int
px_spawn_blocking(px_task_fn_t fn, void *arg, void **result)
{
	struct exec *e = exec_self();
	struct blocking_job job;

	if (fn == NULL || e == NULL || e->current == NULL)
		return -EINVAL;
	if (bp.n == 0)
		return -EAGAIN;
	if (px_task_cancelled())
		return -ECANCELED; /* like every blocking call after a cancel */
	memset(&job, 0, sizeof(job));
	job.fn = fn;
	job.arg = arg;
	job.task = e->current;
	job.lcore_id = e->lcore_id;
	if (rte_ring_enqueue(bp.jobs, &job) != 0)
		return -EAGAIN;
	sem_post(&bp.sem);
	/* Uninterruptible: the pool thread writes into this stack frame. */
	while (!job.done)
		task_park_nointr("blocking");
	if (result != NULL)
		*result = job.result;
	return px_task_cancelled() ? -ECANCELED : 0;
}
