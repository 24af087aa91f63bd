/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#ifndef _APP_OPT_H_
#define _APP_OPT_H_

/*
 * Command-line pieces the apps share: the "[EAL args] -- [app options]"
 * split around px_init(), and parsers for the option values they have in
 * common. Each parser prints "<app>: ..." on stderr and returns -1 on a
 * bad value, 0 otherwise.
 */

#include <getopt.h>
#include <stdint.h>

#include <px_exec.h>
#include <px_fault.h>
#include <px_inet.h>

struct app_start {
	const char *app;                            /* "pollux-echo" */
	int (*parse)(int argc, char **argv);        /* the app's options */
	void (*usage)(const char *prog);
	const enum px_idle_policy *idle;            /* read after parse */
	const int *verbose;                         /* pollux.* at debug */
};

/* --help anywhere: usage, exit 0. Otherwise parse the options after "--"
 * (none: parse an empty list), then px_init() the EAL arguments before it
 * with the chosen idle policy. Returns 0, 2 (bad options) or 1 (the
 * runtime did not start). */
int app_start(int argc, char **argv, const struct app_start *s);

/* The options the networked apps share, with one meaning and range in
 * all of them (each app lists those it takes in its getopt table). */
struct app_common {
	enum px_idle_policy idle;            /* --idle busy|adaptive */
	uint32_t mbufs;                      /* --mbufs N, 1023..16777215 */
	uint32_t queues;                     /* --queues N; 0: the default */
	struct px_fault_conf fault_rx, fault_tx; /* --fault-rx/-tx/-seed */
	int have_fault_rx, have_fault_tx;
	const char *pcap;                    /* --pcap FILE */
	int verbose;                         /* --verbose */
	uint32_t drain_ms;                   /* --drain-ms N, 0..3600000 */
};

/* Their getopt codes, above every letter. */
enum {
	APP_OPT_IDLE = 0x100,
	APP_OPT_MBUFS,
	APP_OPT_QUEUES,
	APP_OPT_FAULT_RX,
	APP_OPT_FAULT_TX,
	APP_OPT_FAULT_SEED,
	APP_OPT_PCAP,
	APP_OPT_VERBOSE,
	APP_OPT_DRAIN_MS,
	APP_OPT_APP = 0x200, /* an app's own long-only options from here */
};
_Static_assert(APP_OPT_DRAIN_MS < APP_OPT_APP,
		"the common getopt codes run into the apps' own");

/* struct option entries for an app's getopt_long() table. */
#define APP_OPTS_PORT \
	{ "idle", required_argument, NULL, APP_OPT_IDLE }, \
	{ "mbufs", required_argument, NULL, APP_OPT_MBUFS }, \
	{ "queues", required_argument, NULL, APP_OPT_QUEUES }, \
	{ "pcap", required_argument, NULL, APP_OPT_PCAP }, \
	{ "verbose", no_argument, NULL, APP_OPT_VERBOSE }
#define APP_OPTS_FAULT \
	{ "fault-rx", required_argument, NULL, APP_OPT_FAULT_RX }, \
	{ "fault-tx", required_argument, NULL, APP_OPT_FAULT_TX }, \
	{ "fault-seed", required_argument, NULL, APP_OPT_FAULT_SEED }
#define APP_OPTS_DRAIN \
	{ "drain-ms", required_argument, NULL, APP_OPT_DRAIN_MS }

/* The end of an app's getopt switch (its default case), for option c
 * with its argument: one of the options above (stored in *co*: 0, or -1
 * on a bad value after a message), 'h' (usage() and exit 0) or an unknown
 * option (usage(), -1). */
int app_opt_common(const char *app, int c, const char *arg,
		struct app_common *co, void (*usage)(const char *prog),
		const char *prog);

/* After getopt_long(): -1 (with a message) if arguments are left over. */
int app_opt_end(const char *app, int argc, char **argv);
/* A.B.C.D/N into c->ip and c->prefix. */
int app_opt_cidr(const char *app, const char *opt, const char *s,
		struct px_inet_conf *c);
/* A.B.C.D (network order). */
int app_opt_ip(const char *app, const char *opt, const char *s, uint32_t *ip);
/* A.B.C.D:PORT (both network order). */
int app_opt_ipport(const char *app, const char *opt, const char *s,
		uint32_t *ip, uint16_t *port);
/* An integer in lo..hi. */
int app_opt_u32(const char *app, const char *opt, const char *s,
		unsigned long lo, unsigned long hi, uint32_t *out);
/* A unicast MAC, aa:bb:cc:dd:ee:ff. */
int app_opt_mac(const char *app, const char *s, struct rte_ether_addr *mac);
/* busy | adaptive. */
int app_opt_idle(const char *app, const char *s, enum px_idle_policy *out);
/* A fault spec (see px_fault_parse()) for --fault-rx / --fault-tx. */
int app_opt_fault(const char *app, const char *opt, const char *s,
		struct px_fault_conf *c);
/* --fault-seed: the receive and transmit PRNGs get related seeds. */
int app_opt_fault_seed(const char *app, const char *s,
		struct px_fault_conf *rx, struct px_fault_conf *tx);

#endif /* _APP_OPT_H_ */
