/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#ifndef _PRELOAD_H_
#define _PRELOAD_H_

/*
 * libpollux-preload.so: the socket calls of an unmodified Linux program,
 * served by Pollux for the TCP sockets of the Pollux interface and by the
 * kernel for everything else (doc/posix.md).
 *
 * Pieces:
 *   preload.c  the libc symbols underneath (real_*), settings from the
 *              environment, bring-up at the first data-plane use, exit,
 *              fork, the fd table and the socket objects (psock);
 *   sock.c     socket, bind, listen, accept, connect, the reads and
 *              writes, options, close, fcntl, ioctl;
 *   wait.c     readiness: epoll (level, edge, one-shot), poll, and the
 *              loop that drives the stack while the program waits.
 * Any thread may use Pollux sockets; one at a time holds the stack lock
 * (pl_lock()) and runs the stack while it does.
 */

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <px_inet.h>
#include <px_tcp.h>

/* ---- the libc functions underneath ---- */

struct real_fns {
	int (*socket)(int, int, int);
	int (*bind)(int, const struct sockaddr *, socklen_t);
	int (*listen)(int, int);
	int (*accept4)(int, struct sockaddr *, socklen_t *, int);
	int (*connect)(int, const struct sockaddr *, socklen_t);
	ssize_t (*read)(int, void *, size_t);
	ssize_t (*write)(int, const void *, size_t);
	ssize_t (*readv)(int, const struct iovec *, int);
	ssize_t (*writev)(int, const struct iovec *, int);
	ssize_t (*recvfrom)(int, void *, size_t, int, struct sockaddr *,
			socklen_t *);
	ssize_t (*recvmsg)(int, struct msghdr *, int);
	ssize_t (*sendto)(int, const void *, size_t, int,
			const struct sockaddr *, socklen_t);
	ssize_t (*sendmsg)(int, const struct msghdr *, int);
	ssize_t (*sendfile)(int, int, off_t *, size_t);
	int (*close)(int);
	int (*shutdown)(int, int);
	int (*getsockopt)(int, int, int, void *, socklen_t *);
	int (*setsockopt)(int, int, int, const void *, socklen_t);
	int (*getsockname)(int, struct sockaddr *, socklen_t *);
	int (*getpeername)(int, struct sockaddr *, socklen_t *);
	int (*fcntl)(int, int, ...);
	int (*ioctl)(int, unsigned long, ...);
	int (*poll)(struct pollfd *, nfds_t, int);
	int (*ppoll)(struct pollfd *, nfds_t, const struct timespec *,
			const sigset_t *);
	int (*select)(int, fd_set *, fd_set *, fd_set *, struct timeval *);
	int (*pselect)(int, fd_set *, fd_set *, fd_set *,
			const struct timespec *, const sigset_t *);
	int (*epoll_create1)(int);
	int (*epoll_ctl)(int, int, int, struct epoll_event *);
	int (*epoll_pwait)(int, struct epoll_event *, int, int,
			const sigset_t *);
	int (*epoll_pwait2)(int, struct epoll_event *, int,
			const struct timespec *, const sigset_t *);
	int (*dup)(int);
	int (*dup2)(int, int);
	int (*dup3)(int, int, int);
	pid_t (*fork)(void);
	int (*sigaction)(int, const struct sigaction *, struct sigaction *);
};
extern struct real_fns real;

/* Resolve real.* (idempotent; the interposers call it on first use, as a
 * constructor of another library may call them before ours ran). */
void preload_resolve(void);
#define REAL(f) (real.f != NULL ? real.f : (preload_resolve(), real.f))

/* ---- settings (environment; pollux-run sets them) ---- */

enum pl_idle { PL_IDLE_ADAPTIVE, PL_IDLE_BUSY };

struct pl_conf {
	char eal[1024];          /* PX_EAL */
	uint32_t ip, mask, gw;   /* PX_IP (A.B.C.D/N), PX_GW; network order */
	uint32_t mbufs;          /* PX_MBUFS */
	enum pl_idle idle;       /* PX_POSIX_IDLE */
	uint32_t spin_us;        /* PX_POSIX_SPIN_US: 50 */
	uint32_t sleep_max_us;   /* PX_POSIX_SLEEP_MAX_US: 1000 */
	uint32_t os_ratio;       /* PX_POSIX_OS_RATIO: 16 */
	const char *stats;       /* PX_POSIX_STATS: counters file at exit */
	uint32_t drain_ms;       /* PX_POSIX_DRAIN_MS: 200 */
	bool enabled;            /* PX_IP was given */
};
extern struct pl_conf pl_conf;

/* ---- counters (PX_POSIX_STATS and the exit report) ---- */

struct pl_stats {
	uint64_t sockets;        /* AF_INET stream sockets seen */
	uint64_t offloaded;      /* ... that went to Pollux */
	uint64_t accepted;
	uint64_t accepted_kernel;/* ... from a wildcard listener's kernel side */
	uint64_t accept_overflow;/* dropped: the backlog was full (RST) */
	uint64_t connects;
	uint64_t reads, read_bytes;
	uint64_t writes, write_bytes;
	uint64_t eagain_rd, eagain_wr;
	uint64_t nobufs;         /* writes that found the pool short */
	uint64_t sendfile_bytes;
	uint64_t waits;          /* epoll_wait/poll calls that polled */
	uint64_t polls;          /* px_lcore_poll() iterations */
	uint64_t os_checks;      /* zero-timeout kernel waits */
	uint64_t sleeps;         /* kernel sleeps while idle */
	uint64_t wakeups_early;  /* ... ended by a kernel fd */
	uint64_t events;         /* events given to the program */
	uint64_t unsupported;    /* calls refused on a Pollux fd */
	uint64_t threads;        /* threads that used the stack */
	uint64_t lock_waits;     /* a thread waited for the stack lock */
	uint64_t wakes;          /* a sleeping epoll waiter woken by another */
	uint64_t sigpipe;
};
extern struct pl_stats pl_st;

/* Log an unsupported call on a Pollux descriptor once per call site and
 * count it; sets errno to err and returns -1. */
int pl_unsupported(const char *what, int err);

/* ---- the stack ---- */

struct px_netif;
extern struct px_netif *pl_nif;
extern pid_t pl_pid;        /* the process that brought the stack up */
extern volatile int pl_up;  /* 1 up, -1 failed, -2 forked child, -3 ended */
/* Thread-local variables of the library: initial-exec (the library is
 * preloaded, so it is in the static TLS block; the default model would
 * call __tls_get_addr() on every access). */
#define PL_TLS __thread __attribute__((tls_model("initial-exec")))

extern PL_TLS int pl_inside; /* inside bring-up or the stack: pass through */
/* This process's id (getpid() is a system call; kept by an atfork
 * handler). */
extern pid_t pl_self;

/* The stack lock. The stack and every structure of this library (the
 * descriptor table's entries, the socket objects, the epoll state) are
 * used by one thread at a time, the one holding it; while it holds it the
 * thread is the EAL lcore the stack runs on (RTE_PER_LCORE(_lcore_id)).
 * The lock is recursive on a thread (pl_depth counts), FIFO between
 * threads (a ticket lock that sleeps on a futex after a short spin), and
 * held only inside an interposed call: psock_check() takes it, PL_SCOPE()
 * at the top of the call releases it on return, a wait drops it while it
 * sleeps in the kernel and whenever another thread queues for it. */
extern PL_TLS unsigned int pl_depth;
void pl_lock(void);
void pl_unlock(void);

/* Cleanup handler of PL_SCOPE(): unlock down to the depth at entry. */
void pl_scope_end(unsigned int *depth);
#define PL_SCOPE() unsigned int pl_scope_depth_ \
	__attribute__((cleanup(pl_scope_end), unused)) = pl_depth
/* Release what the call took before it returns (ahead of a kernel call
 * that may block). */
#define PL_SCOPE_RELEASE() pl_scope_end(&pl_scope_depth_)

/* Another thread waits for the lock. */
bool pl_lock_wanted(void);

/* Release the lock whatever the depth (0 if not held: a no-op), and take
 * it back at that depth. Whatever the caller held may have changed in
 * between (closed by another thread, the stack ended). */
unsigned int pl_lock_drop(void);
void pl_lock_take(unsigned int depth);

/* Bring the stack up if it is not (0, or -errno with a message on
 * stderr). The caller holds the lock. */
int pl_bringup(void);

/* Pollux listeners and connections alive. */
extern unsigned int pl_nsocks;

/* One iteration of the stack (px_lcore_poll()), counted. */
unsigned int pl_poll(void);

/* ---- descriptors ---- */

enum ps_kind {
	PS_NEW,      /* AF_INET stream socket, not yet bound or connected */
	PS_LISTEN,
	PS_CONN,
};

struct pep;
struct preg;

struct psock {
	enum ps_kind kind;
	uint32_t refs;           /* descriptors pointing here (dup) */
	bool nonblock;
	bool connecting;         /* connect() sent the SYN */
	bool connected;          /* ... and it completed */
	bool connect_told;       /* connect() again said 0 once (Linux) */
	bool rd_shut;            /* shutdown(SHUT_RD) */
	bool err_cleared;        /* SO_ERROR read the error */
	bool reset_told;         /* a read reported the reset; then EOF */
	bool bound;
	bool klisten;            /* wildcard listener: the kernel socket
	                            listens too (loopback clients) */
	uint8_t kturn;           /* accepts since the kernel's was tried */
	int so_error;            /* a failed connect's error (negative) */
	uint32_t laddr, raddr;   /* network order */
	uint16_t lport, rport;
	struct px_tcp_conn *c;
	struct px_tcp_listener *l;
	/* listener: completed connections not yet accepted */
	struct px_tcp_conn **fifo;
	uint32_t fifo_cap, fifo_head, fifo_len;
	/* options (a listener's are inherited by what it accepts) */
	int nodelay, keepalive, keepidle, keepintvl, keepcnt;
	int cork;                /* TCP_CORK (not inherited by accept) */
	int sndbuf, rcvbuf, rcvlowat;
	int linger_on, linger_s;
	struct preg *regs;       /* epoll registrations (wait.c) */
	bool nobufs;             /* on the pool-short list (sock.c) */
	struct psock *nnext;           /* pool-short list */
	uint64_t rcvtimeo_ns, sndtimeo_ns; /* SO_RCVTIMEO/SO_SNDTIMEO; 0 none */
	void *pool_next;         /* pl_pool's link while free */
};

/* A free list of objects of one size (the socket objects, the epoll
 * registrations), grown by calloc() a slab of 256 at a time: set-up
 * paths only. get: a zeroed object, or NULL; put: zeroed and back on the
 * list, linked through the pointer field at offset link. */
struct pl_pool {
	size_t size, link;
	void *free;
};
void *pl_pool_get(struct pl_pool *pool);
void pl_pool_put(struct pl_pool *pool, void *obj);

/* The socket behind fd, or NULL for a kernel descriptor. */
struct psock *psock_of(int fd);

/* fd now refers to ps (a reference taken). */
void psock_set(int fd, struct psock *ps);

/* fd no longer refers to its socket; the last reference frees it
 * (closing the Pollux side first). */
void psock_drop(int fd);

/* fd no longer refers to its socket, which is left as it is (a close
 * from a thread that may not touch the stack). */
void psock_unlink(int fd);

/* A fresh socket object (zeroed, refs 0), or NULL. */
struct psock *psock_alloc(void);

/* The socket's readiness as EPOLL* bits (EPOLLIN|EPOLLRDNORM, ...). */
uint32_t psock_level(const struct psock *ps);

/* Something changed on ps (a callback, an accept): queue it on its
 * epoll's ready list if it is registered. */
void psock_notify(struct psock *ps);

/* Release the Pollux side of a socket (close, last reference). */
void psock_release(struct psock *ps);

/* Return an unused socket object to the pool. */
void psock_free(struct psock *ps);

/* Forget every epoll registration of ps (its last descriptor closed). */
void pep_forget(struct psock *ps);

/* ps stays a kernel socket after all: its registrations made with fd go
 * to the kernel's epoll instances, and all are forgotten. */
void pep_to_kernel(struct psock *ps, int fd);

/* fd is being closed (or replaced by dup2): if it is an epoll instance
 * with Pollux registrations, drop them and the instance's state. */
void pep_forget_fd(int fd);

/* Wait on one socket: run the stack until psock_level(ps) & want, kfd
 * (a kernel descriptor, or -1) is readable, the deadline (ns,
 * CLOCK_MONOTONIC; 0 = none) passes (-ETIMEDOUT) or a signal arrives
 * (-EINTR). */
int pl_wait_one(struct psock *ps, uint32_t want, uint64_t deadline_ns,
		int kfd);

/* A wildcard listener's kernel socket (fd) now listens too: add it to
 * the kernel epoll instances the socket is registered in with fd. */
void pep_kernel_mirror(struct psock *ps, int fd);

/* Writers that found the pool short (-ENOBUFS): they hear EPOLLOUT again
 * once a millisecond has passed (sock.c). Called by the wait loop. */
void pl_nobufs_retry(uint64_t now_ns);

/* Take the stack lock for a call on ps (the caller has PL_SCOPE()): 0,
 * or -1 with errno set (EBADF in a forked child, after exit, or if ps
 * was closed by another thread meanwhile; ENETDOWN if the stack failed). */
int psock_check(struct psock *ps);

/* Bumped by every application signal handler (signal.c); whether the
 * last one asked for SA_RESTART. */
extern volatile sig_atomic_t pl_sig_gen;
extern volatile sig_atomic_t pl_sig_restart;

/* CLOCK_MONOTONIC in ns. */
uint64_t pl_now_ns(void);

#endif /* _PRELOAD_H_ */
