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
