/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#ifndef _PX_SYNC_H_
#define _PX_SYNC_H_

/**
 * @file
 * Task synchronisation: bounded channel, oneshot, mutex, semaphore,
 * notify, wait group, and px_select() over several of them.
 *
 * Where they work:
 * - px_chan: any lcore may send and receive (items travel through a
 *   lock-free rte_ring; parked tasks on other lcores are woken through
 *   their mailboxes).
 * - px_oneshot: sender on any lcore (or a non-lcore thread), receiver on
 *   one lcore.
 * - px_notify, px_sem, px_wg: waiters on the owner lcore (the one that
 *   initialised the object); px_notify_one/all, px_sem_release and
 *   px_wg_done from another lcore are forwarded to the owner through its
 *   mailbox, so the object must outlive those messages.
 * - px_mutex: owner lcore only (shared nothing: hand work to the owner
 *   instead of locking across lcores); other lcores get -EXDEV.
 *
 * Objects are caller-owned (px_*_init) except channels (px_chan_create).
 * Every blocking call takes a timeout in ns (PX_TIMEOUT_INF, or 0 to try
 * once) and returns -ETIMEDOUT, or -ECANCELED if the task is cancelled. A
 * call that would have to wait but is made outside a task (the lcore's
 * own code between px_lcore_poll() calls) returns -EDEADLK.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include <px_task.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Internal: a parked task's entry in a wait list. */
struct px__waiter {
	TAILQ_ENTRY(px__waiter) link;
	struct px_task *task;
	int linked;
	int fired;
};
TAILQ_HEAD(px__waitq, px__waiter);

/* ---- bounded channel (multi-lcore) ---- */

struct px_chan;

/**
 * Create a bounded channel of fixed-size items.
 *
 * @param capacity
 *   Items it holds (>= 1).
 * @param elem_size
 *   Item size in bytes, a multiple of 4 (rte_ring element rule), <= 256.
 * @param out
 *   Receives the channel.
 * @return
 *   - 0 on success.
 *   - -EINVAL on a bad size or NULL *out*, or without a runtime.
 *   - -ENOMEM if memory is short.
 */
int px_chan_create(uint32_t capacity, uint32_t elem_size, struct px_chan **out);

/**
 * Free a channel. No task may be using it; wake-ups still in flight keep
 * the memory until they are handled.
 *
 * @param ch
 *   The channel, or NULL.
 */
void px_chan_free(struct px_chan *ch);

/**
 * Close a channel: later sends fail with -EPIPE; receivers get the items
 * still queued, then -EPIPE. Wakes every waiter. Idempotent.
 */
void px_chan_close(struct px_chan *ch);

/**
 * Send one item (copied in), parking while the channel is full.
 *
 * @param ch
 *   The channel.
 * @param item
 *   Points to elem_size bytes.
 * @param timeout_ns
 *   How long to wait for room.
 * @return
 *   - 0 on success.
 *   - -EPIPE if the channel is closed.
 *   - -ETIMEDOUT (or -EAGAIN with timeout 0) if it stayed full.
 *   - -ECANCELED if the task was cancelled.
 *   - -EINVAL on NULL arguments; -EDEADLK if it would have to wait outside
 *     a task.
 */
int px_chan_send(struct px_chan *ch, const void *item, uint64_t timeout_ns);

/**
 * Receive one item (copied out), parking while the channel is empty.
 *
 * @return
 *   - 0 on success.
 *   - -EPIPE if the channel is closed and empty.
 *   - -ETIMEDOUT (or -EAGAIN with timeout 0), -ECANCELED, -EINVAL,
 *     -EDEADLK as px_chan_send().
 */
int px_chan_recv(struct px_chan *ch, void *item, uint64_t timeout_ns);

/**
 * Items queued now (a snapshot).
 */
unsigned int px_chan_len(const struct px_chan *ch);

/* ---- oneshot: one value, once ---- */

/** A single-value hand-off; caller-owned, init with px_oneshot_init(). */
struct px_oneshot {
	uint64_t value;
	struct px_task *waiter;
	uint64_t waiter_id;
	uint32_t state;
	uint32_t owner_lcore;
};

/**
 * Initialise a oneshot; the calling lcore becomes the receiving side.
 *
 * @return
 *   0, or -EINVAL if *os* is NULL.
 */
int px_oneshot_init(struct px_oneshot *os);

/**
 * Deliver the value (from any lcore or thread) and wake the receiver.
 *
 * @return
 *   - 0 on success.
 *   - -EALREADY if a value was already sent.
 *   - -EINVAL if *os* is NULL.
 */
int px_oneshot_send(struct px_oneshot *os, uint64_t value);

/**
 * Wait for the value (owner lcore).
 *
 * @return
 *   - 0 with *value* set.
 *   - -ETIMEDOUT (also with timeout 0 and no value yet), -ECANCELED.
 *   - -EALREADY if the value was already taken.
 *   - -EBUSY if another task is already waiting on it.
 *   - -EXDEV from another lcore; -EINVAL on NULL; -EDEADLK outside a task.
 */
int px_oneshot_recv(struct px_oneshot *os, uint64_t *value, uint64_t timeout_ns);

/* ---- mutex (owner lcore only) ---- */

/** A task mutex; FIFO hand-off to waiters. */
struct px_mutex {
	struct px__waitq waiters;
	struct px_task *holder;
	uint32_t owner_lcore;
};

/** Initialise a mutex owned by the calling lcore. @return 0 or -EINVAL. */
int px_mutex_init(struct px_mutex *m);

/**
 * Lock, parking while another task holds it.
 *
 * @return
 *   - 0 on success.
 *   - -EDEADLK if the caller already holds it.
 *   - -ETIMEDOUT (-EBUSY with timeout 0), -ECANCELED.
 *   - -EXDEV from another lcore; -EINVAL outside a task (only a task
 *     can hold a task mutex).
 */
int px_mutex_lock(struct px_mutex *m, uint64_t timeout_ns);

/**
 * Unlock; the next waiter gets the lock directly.
 *
 * @return
 *   - 0 on success.
 *   - -EPERM if the caller does not hold it.
 */
int px_mutex_unlock(struct px_mutex *m);

/* ---- counting semaphore ---- */

/** A counting semaphore. */
struct px_sem {
	struct px__waitq waiters;
	uint64_t count;
	uint32_t owner_lcore;
};

/** Initialise with *count* permits; the calling lcore owns it. @return 0 or -EINVAL. */
int px_sem_init(struct px_sem *s, uint64_t count);

/**
 * Take one permit, parking while there is none (owner lcore).
 *
 * @return
 *   0, -ETIMEDOUT (-EAGAIN with timeout 0), -ECANCELED, -EXDEV, -EINVAL.
 */
int px_sem_acquire(struct px_sem *s, uint64_t timeout_ns);

/**
 * Return one permit (any lcore; forwarded to the owner).
 *
 * @return
 *   0, -EAGAIN if the owner's mailbox is full, -EINVAL.
 */
int px_sem_release(struct px_sem *s);

/* ---- notify ---- */

/**
 * Wake-up signal with one stored permit (as tokio::sync::Notify):
 * px_notify_one() wakes one waiter, or stores a permit the next wait takes
 * at once; px_notify_all() wakes every current waiter and stores nothing.
 */
struct px_notify {
	struct px__waitq waiters;
	uint64_t permit;     /* 0 or 1 */
	uint32_t owner_lcore;
};

/** Initialise a notify owned by the calling lcore. @return 0 or -EINVAL. */
int px_notify_init(struct px_notify *n);

/**
 * Wait for a notification (owner lcore).
 *
 * @return
 *   0, -ETIMEDOUT (-EAGAIN with timeout 0), -ECANCELED, -EXDEV, -EINVAL.
 */
int px_notify_wait(struct px_notify *n, uint64_t timeout_ns);

/** Wake one waiter or store a permit (any lcore). @return 0, -EAGAIN, -EINVAL. */
int px_notify_one(struct px_notify *n);

/** Wake every waiter (any lcore). @return 0, -EAGAIN, -EINVAL. */
int px_notify_all(struct px_notify *n);

/* ---- wait group ---- */

/** Waits until a counter of outstanding jobs drops to zero. */
struct px_wg {
	struct px__waitq waiters;
	int64_t count;
	uint32_t owner_lcore;
};

/** Initialise a wait group owned by the calling lcore. @return 0 or -EINVAL. */
int px_wg_init(struct px_wg *wg);

/**
 * Add *n* outstanding jobs (owner lcore).
 *
 * @return
 *   0, -EXDEV from another lcore, -EINVAL.
 */
int px_wg_add(struct px_wg *wg, uint32_t n);

/**
 * Mark one job done (any lcore; forwarded to the owner).
 *
 * @return
 *   0, -EAGAIN if the owner's mailbox is full, -EOVERFLOW if the count
 *   would go below zero (owner lcore; from another lcore it is counted as
 *   a dropped message instead), -EINVAL.
 */
int px_wg_done(struct px_wg *wg);

/**
 * Wait until the count is zero (owner lcore).
 *
 * @return
 *   0, -ETIMEDOUT, -ECANCELED, -EXDEV, -EINVAL.
 */
int px_wg_wait(struct px_wg *wg, uint64_t timeout_ns);

/* ---- select ---- */

/** What one px_select() case waits for. */
enum px_sel_op {
	PX_SEL_CHAN_RECV = 1, /**< an item to receive from .chan into .buf */
	PX_SEL_CHAN_SEND,     /**< room to send .cbuf into .chan */
	PX_SEL_NOTIFY,        /**< a notification on .notify */
	PX_SEL_ONESHOT,       /**< the value of .oneshot into *.value */
	PX_SEL_SEM,           /**< a permit of .sem */
};

/** One case of a px_select(). */
struct px_sel {
	enum px_sel_op op;
	union {
		struct px_chan *chan;
		struct px_notify *notify;
		struct px_oneshot *oneshot;
		struct px_sem *sem;
	};
	union {
		void *buf;
		const void *cbuf;
		uint64_t *value;
	};
};

/** Most cases one px_select() takes. */
#define PX_SELECT_MAX 16

/**
 * Wait until one of several cases is ready and perform it. Cases are tried
 * in order, so earlier ones win ties; exactly one case completes.
 *
 * @param cases
 *   Array of *n* cases.
 * @param n
 *   1..PX_SELECT_MAX.
 * @param timeout_ns
 *   How long to wait.
 * @return
 *   - the index of the case that completed.
 *   - -EPIPE if no case can ever complete: every case is a closed
 *     channel or an already-taken oneshot (such cases are skipped while
 *     others remain).
 *   - -ETIMEDOUT, or -EAGAIN with timeout 0; -ECANCELED; -EDEADLK outside
 *     a task.
 *   - -EBUSY if a oneshot case already has another waiting task.
 *   - -EINVAL on a bad case; -EXDEV for a non-channel case of another
 *     lcore.
 */
int px_select(struct px_sel *cases, unsigned int n, uint64_t timeout_ns);

#ifdef __cplusplus
}
#endif
#endif /* _PX_SYNC_H_ */
