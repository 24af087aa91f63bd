/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * The preload library's frame: the libc functions underneath, the
 * settings, bringing the stack up at the first data-plane use, the exit
 * report, fork, and the descriptor table.
 */

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_pause.h>
#include <rte_ether.h>

#include <px_counters.h>
#include <px_exec.h>
#include <px_port.h>

#include "net.h"
#include "preload.h"

struct real_fns real;
struct pl_conf pl_conf;
struct pl_stats pl_st;
struct px_netif *pl_nif;
pid_t pl_pid;
volatile int pl_up;
PL_TLS int pl_inside;
PL_TLS unsigned int pl_depth;
pid_t pl_self;

unsigned int pl_nsocks;

static struct app_net pl_net;
static unsigned int pl_lcore;

/* ---- libc underneath ---- */

void
preload_resolve(void)
{
#define R(f) do { if (real.f == NULL) \
		*(void **)&real.f = dlsym(RTLD_NEXT, #f); } while (0)
	R(socket); R(bind); R(listen); R(accept4); R(connect); R(read);
	R(write); R(readv); R(writev); R(recvfrom); R(recvmsg); R(sendto);
	R(sendmsg); R(sendfile); R(close); R(shutdown); R(getsockopt);
	R(setsockopt); R(getsockname); R(getpeername); R(fcntl); R(ioctl);
	R(poll); R(ppoll); R(select); R(pselect); R(epoll_create1);
	R(epoll_ctl); R(epoll_pwait); R(epoll_pwait2); R(dup); R(dup2); R(dup3);
	R(fork); R(sigaction);
#undef R
}

/* ---- settings ---- */

static uint32_t
env_u32(const char *name, uint32_t def)
{
	const char *v = getenv(name);
	char *end;
	unsigned long x;

	if (v == NULL || *v == '\0')
		return def;
	errno = 0;
	x = strtoul(v, &end, 10);
	if (errno != 0 || *end != '\0' || x > UINT32_MAX) {
		fprintf(stderr, "pollux-preload: %s=%s is not a number, using "
			"%u\n", name, v, def);
		return def;
	}
	return (uint32_t)x;
}

static void
conf_load(void)
{
	const char *v;
	char buf[64], *slash;
	unsigned long plen = 24;
	struct in_addr a;

	v = getenv("PX_EAL");
	snprintf(pl_conf.eal, sizeof(pl_conf.eal), "%s",
		v != NULL ? v : "--no-pci --no-telemetry");
	v = getenv("PX_IP");
	if (v != NULL && *v != '\0') {
		snprintf(buf, sizeof(buf), "%s", v);
		slash = strchr(buf, '/');
		if (slash != NULL) {
			*slash = '\0';
			plen = strtoul(slash + 1, NULL, 10);
		}
		if (inet_pton(AF_INET, buf, &a) != 1 || plen < 1 || plen > 32) {
			fprintf(stderr, "pollux-preload: PX_IP=%s is not "
				"A.B.C.D/N; every socket stays with the kernel\n", v);
		} else {
			pl_conf.ip = a.s_addr;
			pl_conf.mask = htonl(plen == 32 ? UINT32_MAX :
				~(UINT32_MAX >> plen));
			pl_conf.enabled = true;
		}
	}
	v = getenv("PX_GW");
	if (v != NULL && *v != '\0' && inet_pton(AF_INET, v, &a) == 1)
		pl_conf.gw = a.s_addr;
	pl_conf.mbufs = env_u32("PX_MBUFS", 0);
	v = getenv("PX_POSIX_IDLE");
	pl_conf.idle = v != NULL && strcmp(v, "busy") == 0 ?
		PL_IDLE_BUSY : PL_IDLE_ADAPTIVE;
	pl_conf.spin_us = env_u32("PX_POSIX_SPIN_US", 50);
	pl_conf.sleep_max_us = env_u32("PX_POSIX_SLEEP_MAX_US", 1000);
	if (pl_conf.sleep_max_us == 0)
		pl_conf.sleep_max_us = 1;
	pl_conf.os_ratio = env_u32("PX_POSIX_OS_RATIO", 16);
	if (pl_conf.os_ratio == 0)
		pl_conf.os_ratio = 1;
	pl_conf.drain_ms = env_u32("PX_POSIX_DRAIN_MS", 200);
	/* Copied: programs such as redis rewrite the environment's memory
	 * for their process title. */
	v = getenv("PX_POSIX_STATS");
	pl_conf.stats = v != NULL && *v != '\0' ? strdup(v) : NULL;
}

int
pl_unsupported(const char *what, int err)
{
	static PL_TLS const char *told[16];
	unsigned int i;

	pl_st.unsupported++;
	for (i = 0; i < RTE_DIM(told) && told[i] != NULL; i++)
		if (told[i] == what)
			break;
	if (i < RTE_DIM(told) && told[i] == NULL) {
		told[i] = what;
		fprintf(stderr, "pollux-preload: %s is not supported on a Pollux "
			"socket (%s); counted in posix.unsupported\n", what,
			strerror(err));
	}
	errno = err;
	return -1;
}

/* ---- the stack lock ---- */

/* A ticket lock: threads are served in the order they asked, so a thread
 * spinning in a wait hands the stack to the one that queued behind it
 * (a plain mutex would let the spinner take it straight back). A waiter
 * spins briefly, then sleeps on a futex. */
static uint32_t lk_next, lk_serving, lk_sleepers;   /* __atomic */
static PL_TLS unsigned int lk_saved_lcore;
static PL_TLS bool lk_seen;   /* this thread counted in posix.threads */

static void
futex_op(uint32_t *addr, int op, uint32_t val)
{
	syscall(SYS_futex, addr, op | FUTEX_PRIVATE_FLAG, val,
		NULL, NULL, 0);
}

void
pl_lock(void)
{
	uint32_t t, s;
	unsigned int spins = 0;
	int err;

	if (pl_depth++ > 0)
		return;
	t = __atomic_fetch_add(&lk_next, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&lk_serving, __ATOMIC_SEQ_CST) != t) {
		err = errno;
		pl_st.lock_waits++;   /* racy by design: a hint */
		while ((s = __atomic_load_n(&lk_serving, __ATOMIC_SEQ_CST)) != t) {
			if (++spins < 200) {
				rte_pause();
				continue;
			}
			__atomic_fetch_add(&lk_sleepers, 1, __ATOMIC_SEQ_CST);
			if (__atomic_load_n(&lk_serving, __ATOMIC_SEQ_CST) == s)
				futex_op(&lk_serving, FUTEX_WAIT, s);
			__atomic_fetch_sub(&lk_sleepers, 1, __ATOMIC_SEQ_CST);
		}
		errno = err;
	}
	if (!lk_seen) {
		lk_seen = true;
		pl_st.threads++;
	}
	/* This thread is the stack's lcore while it holds the lock. */
	lk_saved_lcore = RTE_PER_LCORE(_lcore_id);
	if (pl_up == 1)
		RTE_PER_LCORE(_lcore_id) = pl_lcore;
}

void
pl_unlock(void)
{
	int err;

	if (pl_depth == 0 || --pl_depth > 0)
		return;
	RTE_PER_LCORE(_lcore_id) = lk_saved_lcore;
	__atomic_fetch_add(&lk_serving, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&lk_sleepers, __ATOMIC_SEQ_CST) != 0) {
		err = errno;
		futex_op(&lk_serving, FUTEX_WAKE, INT32_MAX);
		errno = err;
	}
}

void
pl_scope_end(unsigned int *depth)
{
	while (pl_depth > *depth)
		pl_unlock();
}

bool
pl_lock_wanted(void)
{
	return __atomic_load_n(&lk_next, __ATOMIC_RELAXED) -
		__atomic_load_n(&lk_serving, __ATOMIC_RELAXED) > 1;
}

unsigned int
pl_lock_drop(void)
{
	unsigned int d = pl_depth;

	if (d > 0) {
		pl_depth = 1;
		pl_unlock();
	}
	return d;
}

void
pl_lock_take(unsigned int depth)
{
	if (depth == 0)
		return;
	pl_lock();
	pl_depth = depth;
}

/* ---- the descriptor table ---- */

/* One pointer per possible descriptor (the hard RLIMIT_NOFILE), mapped
 * without reserve: NULL is a kernel descriptor. Written under the stack
 * lock; read without it (a NULL entry needs no lock). */
static struct psock *_Atomic *fdtab;
static unsigned int fdtab_len;
static struct pl_pool ps_pool = { sizeof(struct psock),
	offsetof(struct psock, pool_next), NULL };

void *
pl_pool_get(struct pl_pool *pool)
{
	char *obj, *slab;
	unsigned int i, n = 256;

	if (pool->free == NULL) {
		/* Set-up paths, not the data path: a slab at a time. */
		slab = calloc(n, pool->size);
		if (slab == NULL)
			return NULL;
		for (i = 0; i < n; i++)
			pl_pool_put(pool, slab + (size_t)i * pool->size);
	}
	obj = pool->free;
	memcpy(&pool->free, obj + pool->link, sizeof(void *));
	memset(obj, 0, pool->size);
	return obj;
}

void
pl_pool_put(struct pl_pool *pool, void *obj)
{
	/* Zeroed while free (a socket freed meanwhile reads refs 0). */
	memset(obj, 0, pool->size);
	memcpy((char *)obj + pool->link, &pool->free, sizeof(void *));
	pool->free = obj;
}

static int
fdtab_init(void)
{
	struct rlimit rl;
	size_t len;
	void *p;

	if (fdtab != NULL)
		return 0;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_max == RLIM_INFINITY ||
			rl.rlim_max > (1u << 22))
		rl.rlim_max = 1u << 22;
	len = (size_t)rl.rlim_max * sizeof(*fdtab);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	fdtab_len = (unsigned int)rl.rlim_max;
	fdtab = p;
	return 0;
}

struct psock *
psock_of(int fd)
{
	if (fdtab == NULL || fd < 0 || (unsigned int)fd >= fdtab_len)
		return NULL;
	return atomic_load_explicit(&fdtab[fd], memory_order_acquire);
}

void
psock_set(int fd, struct psock *ps)
{
	if (fdtab == NULL || fd < 0 || (unsigned int)fd >= fdtab_len)
		return;
	ps->refs++;
	atomic_store_explicit(&fdtab[fd], ps, memory_order_release);
}

void
psock_unlink(int fd)
{
	if (psock_of(fd) != NULL)
		atomic_store_explicit(&fdtab[fd], NULL, memory_order_release);
}

struct psock *
psock_alloc(void)
{
	struct psock *ps;

	if (fdtab_init() < 0)
		return NULL;
	ps = pl_pool_get(&ps_pool);
	if (ps != NULL)
		ps->linger_s = -1;
	return ps;
}

void
psock_free(struct psock *ps)
{
	free(ps->fifo);
	pl_pool_put(&ps_pool, ps);
}

void
psock_drop(int fd)
{
	struct psock *ps = psock_of(fd);

	if (ps == NULL)
		return;
	psock_unlink(fd);
	/* Registrations live while a descriptor of the socket does (Linux:
	 * an epitem goes with the file's last reference, not with fd). */
	if (--ps->refs > 0)
		return;
	pep_forget(ps);
	psock_release(ps);
	psock_free(ps);
}

/* ---- bring-up ---- */

static void pl_exit(void);

static void
fork_child(void)
{
	/* DPDK is not fork-safe and its memory is shared with the parent:
	 * in a child every Pollux descriptor is inert (close only closes
	 * the placeholder; the rest fails with EBADF). */
	pl_up = pl_up == 1 ? -2 : pl_up;
	pl_self = getpid();
	/* The forking thread's view; another thread of the parent may have
	 * held the lock, and it does not exist here. */
	__atomic_store_n(&lk_next, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&lk_serving, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&lk_sleepers, 0, __ATOMIC_SEQ_CST);
	pl_depth = 0;
}

/* Split PX_EAL into argv (in place in a copy; at most 63 words). */
static int
eal_argv(char *buf, char **argv, int max)
{
	int n = 0;
	char *save = NULL, *w;

	argv[n++] = (char *)(uintptr_t)"pollux-preload";
	for (w = strtok_r(buf, " \t", &save); w != NULL && n < max - 1;
			w = strtok_r(NULL, " \t", &save))
		argv[n++] = w;
	argv[n] = NULL;
	return n;
}

static int
bringup_locked(void)
{
	static char buf[sizeof(pl_conf.eal)];
	struct app_net_conf nc = { .app = "pollux-preload" };
	struct px_conf pc = { .blocking_threads = 1, .stack_prealloc = 1 };
	char macs[RTE_ETHER_ADDR_FMT_SIZE], ips[INET_ADDRSTRLEN];
	struct rte_ether_addr mac;
	cpu_set_t cpus;
	bool have_cpus;
	char *argv[64];
	int argc, ret;

	have_cpus = pthread_getaffinity_np(pthread_self(), sizeof(cpus),
			&cpus) == 0;
	memcpy(buf, pl_conf.eal, sizeof(buf));
	argc = eal_argv(buf, argv, (int)RTE_DIM(argv));
	ret = px_init(argc, argv, &pc);
	if (ret < 0) {
		fprintf(stderr, "pollux-preload: runtime start failed (PX_EAL=%s): "
			"%s\n", pl_conf.eal, strerror(-ret));
		return ret;
	}
	nc.inet.ip = pl_conf.ip;
	nc.inet.prefix = (uint8_t)__builtin_popcount(pl_conf.mask);
	nc.inet.gw = pl_conf.gw;
	nc.mbufs = pl_conf.mbufs;
	nc.queues = 1;
	nc.log = stderr;   /* stdout is the program's */
	ret = app_first_port("pollux-preload", &nc.port_id);
	if (ret == 0)
		ret = app_net_open(&nc, &pl_net);
	if (ret < 0) {
		px_fini(true);
		return ret;
	}
	pl_nif = pl_net.nif;
	/* EAL pinned this thread to the lcore's CPU; threads the program
	 * starts later would inherit that. Give it back what it had. */
	if (have_cpus)
		pthread_setaffinity_np(pthread_self(), sizeof(cpus), &cpus);
	pl_pid = pl_self;
	pl_lcore = rte_lcore_id();
	pl_up = 1;
	ret = px_netif_announce(pl_nif);
	if (ret < 0)
		fprintf(stderr, "pollux-preload: gratuitous ARP: %s\n",
			strerror(-ret));
	px_port_mac(pl_net.port, &mac);
	rte_ether_format_addr(macs, sizeof(macs), &mac);
	inet_ntop(AF_INET, &pl_conf.ip, ips, sizeof(ips));
	fprintf(stderr, "pollux-preload: ready mac=%s ip=%s\n", macs, ips);
	atexit(pl_exit);
	return 0;
}

int
pl_bringup(void)
{
	int ret;

	if (pl_up == 1)
		return pl_pid == pl_self ? 0 : -EBADF;
	if (pl_up < 0 || !pl_conf.enabled)
		return -ENETDOWN;
	pl_inside++;
	ret = bringup_locked();
	pl_inside--;
	if (ret < 0)
		pl_up = -1;
	return ret;
}

unsigned int
pl_poll(void)
{
	unsigned int n;

	pl_inside++;
	n = px_lcore_poll();
	pl_inside--;
	pl_st.polls++;
	return n;
}

uint64_t
pl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- exit ---- */

static void
stats_write(FILE *f, unsigned int leaked)
{
#define S(x) fprintf(f, "posix." #x "=%" PRIu64 "\n", pl_st.x)
	S(sockets); S(offloaded); S(accepted); S(accepted_kernel); S(accept_overflow);
	S(connects); S(reads); S(read_bytes); S(writes); S(write_bytes);
	S(eagain_rd); S(eagain_wr); S(nobufs); S(sendfile_bytes); S(waits);
	S(polls); S(os_checks); S(sleeps); S(wakeups_early); S(events);
	S(unsupported); S(threads); S(lock_waits); S(wakes); S(sigpipe);
#undef S
	fprintf(f, "mbuf.leaked=%u\n", leaked);
}

/* The port's and TCP's counters, "port.x=N" and "tcp.x=N" lines. */
static void
stack_stats(FILE *f)
{
	struct px_port_stats pst;
	const char *const *names;
	unsigned int n;

	px_port_stats_get(pl_net.port, &pst);
	names = px_port_stats_names(&n);
	px_counters_print(f, "port", names, (const uint64_t *)&pst, n, false,
			NULL);
	px_tcp_stats_print(pl_nif, f, false);
}

static void
pl_exit(void)
{
	char *tcp_buf = NULL;
	size_t tcp_len = 0;
	FILE *f, *tcp_f;
	uint64_t end;
	unsigned int i, leaked;
	struct psock *ps;

	if (pl_up != 1 || pl_pid != pl_self)
		return;
	/* Whichever thread exits takes the stack down, once every other
	 * thread is out of it (they see pl_up != 1 when they come back). */
	pl_lock();
	if (pl_up != 1) {
		pl_unlock();
		return;
	}
	pl_inside++;
	/* Listeners go first; open connections get drain_ms to finish. */
	for (i = 0; i < fdtab_len; i++) {
		ps = psock_of((int)i);
		if (ps != NULL && ps->kind == PS_LISTEN)
			psock_drop((int)i);
	}
	end = pl_now_ns() + (uint64_t)pl_conf.drain_ms * 1000000u;
	while (pl_now_ns() < end) {
		px_lcore_poll();
		if (px_tcp_open_count(pl_nif) <= 0)
			break;
	}
	for (i = 0; i < fdtab_len; i++)
		if (psock_of((int)i) != NULL)
			psock_drop((int)i);
	px_tcp_reset_all(pl_nif);
	for (end = pl_now_ns() + 10000000u; pl_now_ns() < end;)
		px_lcore_poll();
	/* The stack's counters first (the file is written whole below). */
	tcp_f = pl_conf.stats != NULL ? open_memstream(&tcp_buf, &tcp_len) :
		NULL;
	if (tcp_f != NULL) {
		stack_stats(tcp_f);
		fclose(tcp_f);
	}
	pl_up = -3;
	pl_net.log = fopen("/dev/null", "w");   /* our own line follows */
	if (pl_net.log == NULL)
		pl_net.log = stderr;
	leaked = app_net_close(&pl_net);
	if (pl_net.log != stderr)
		fclose(pl_net.log);
	px_fini(true);
	pl_inside--;
	pl_unlock();
	fprintf(stderr, "pollux-preload: exit, mbuf.leaked=%u\n", leaked);
	if (pl_conf.stats != NULL) {
		f = fopen(pl_conf.stats, "w");
		if (f != NULL) {
			if (tcp_buf != NULL)
				fputs(tcp_buf, f);
			stats_write(f, leaked);
			fclose(f);
		}
	}
	free(tcp_buf);
}

__attribute__((constructor)) static void
preload_init(void)
{
	preload_resolve();
	conf_load();
	pl_self = getpid();
	pthread_atfork(NULL, NULL, fork_child);
}
