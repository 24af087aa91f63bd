/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_log.h>

#include "opt.h"

int
app_start(int argc, char **argv, const struct app_start *s)
{
	struct px_conf conf = { 0 };
	int i, ret, sep = argc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			s->usage(argv[0]);
			exit(0);
		}
		if (strcmp(argv[i], "--") == 0 && sep == argc)
			sep = i;
	}
	/* The app's options first: the idle policy is fixed at px_init(). */
	if (sep == argc) {
		char *av[] = { argv[0], NULL };

		ret = s->parse(1, av);
	} else {
		argv[sep] = argv[0]; /* getopt wants a program name first */
		ret = s->parse(argc - sep, argv + sep);
		argv[sep] = (char *)(uintptr_t)"--";
	}
	if (ret < 0)
		return 2;
	conf.idle = *s->idle;
	ret = px_init(sep, argv, &conf);
	if (ret < 0) {
		fprintf(stderr, "%s: runtime start failed: %s\n", s->app,
			strerror(-ret));
		return 1;
	}
	if (s->verbose != NULL && *s->verbose)
		rte_log_set_level_pattern("pollux.*", RTE_LOG_DEBUG);
	return 0;
}

int
app_opt_end(const char *app, int argc, char **argv)
{
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", app, argv[optind]);
		return -1;
	}
	return 0;
}

int
app_opt_ip(const char *app, const char *opt, const char *s, uint32_t *ip)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1) {
		fprintf(stderr, "%s: bad --%s '%s'\n", app, opt, s);
		return -1;
	}
	*ip = a.s_addr;
	return 0;
}

int
app_opt_cidr(const char *app, const char *opt, const char *s,
		struct px_inet_conf *c)
{
	char buf[64], *slash, *end;
	struct in_addr a;
	unsigned long pfx;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash == NULL) {
		fprintf(stderr, "%s: --%s needs A.B.C.D/PREFIX\n", app, opt);
		return -1;
	}
	*slash++ = '\0';
	pfx = strtoul(slash, &end, 10);
	if (inet_pton(AF_INET, buf, &a) != 1 || *slash == '\0' || *end != '\0' ||
			pfx < 1 || pfx > 32) {
		fprintf(stderr, "%s: bad --%s '%s'\n", app, opt, s);
		return -1;
	}
	c->ip = a.s_addr;
	c->prefix = (uint8_t)pfx;
	return 0;
}

int
app_opt_ipport(const char *app, const char *opt, const char *s, uint32_t *ip,
		uint16_t *port)
{
	char buf[64], *colon, *end;
	struct in_addr a;
	unsigned long v;

	snprintf(buf, sizeof(buf), "%s", s);
	colon = strrchr(buf, ':');
	if (colon == NULL)
		goto bad;
	*colon = '\0';
	v = strtoul(colon + 1, &end, 10);
	if (inet_pton(AF_INET, buf, &a) != 1 || *end != '\0' || v == 0 || v > 65535)
		goto bad;
	*ip = a.s_addr;
	*port = htons((uint16_t)v);
	return 0;
bad:
	fprintf(stderr, "%s: --%s needs IP:PORT, not '%s'\n", app, opt, s);
	return -1;
}

int
app_opt_u32(const char *app, const char *opt, const char *s, unsigned long lo,
		unsigned long hi, uint32_t *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "%s: bad --%s '%s' (%lu..%lu)\n", app, opt, s, lo, hi);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

int
app_opt_mac(const char *app, const char *s, struct rte_ether_addr *mac)
{
	if (rte_ether_unformat_addr(s, mac) != 0 ||
			!rte_is_unicast_ether_addr(mac) || rte_is_zero_ether_addr(mac)) {
		fprintf(stderr, "%s: bad --mac '%s' (a unicast aa:bb:cc:dd:ee:ff)\n",
			app, s);
		return -1;
	}
	return 0;
}

int
app_opt_idle(const char *app, const char *s, enum px_idle_policy *out)
{
	if (strcmp(s, "busy") == 0)
		*out = PX_IDLE_BUSY;
	else if (strcmp(s, "adaptive") == 0)
		*out = PX_IDLE_ADAPTIVE;
	else {
		fprintf(stderr, "%s: --idle takes busy or adaptive\n", app);
		return -1;
	}
	return 0;
}

int
app_opt_fault(const char *app, const char *opt, const char *s,
		struct px_fault_conf *c)
{
	if (px_fault_parse(s, c) != 0) {
		fprintf(stderr, "%s: bad --%s '%s'\n", app, opt, s);
		return -1;
	}
	return 0;
}

int
app_opt_fault_seed(const char *app, const char *s, struct px_fault_conf *rx,
		struct px_fault_conf *tx)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	if (*s == '\0' || *end != '\0') {
		fprintf(stderr, "%s: bad --fault-seed '%s'\n", app, s);
		return -1;
	}
	rx->seed = v;
	tx->seed = v ^ 0x9e3779b97f4a7c15ull;
	return 0;
}

int
app_opt_common(const char *app, int c, const char *arg, struct app_common *co,
		void (*usage)(const char *prog), const char *prog)
{
	switch (c) {
	case APP_OPT_IDLE:
		return app_opt_idle(app, arg, &co->idle) == 0 ? 0 : -1;
	case APP_OPT_MBUFS:
		return app_opt_u32(app, "mbufs", arg, 1023, 16777215,
				&co->mbufs) == 0 ? 0 : -1;
	case APP_OPT_QUEUES:
		return app_opt_u32(app, "queues", arg, 1, PX_MAX_LCORES,
				&co->queues) == 0 ? 0 : -1;
	case APP_OPT_FAULT_RX:
	case APP_OPT_FAULT_TX:
		if (app_opt_fault(app, c == APP_OPT_FAULT_RX ? "fault-rx" :
				"fault-tx", arg, c == APP_OPT_FAULT_RX ?
				&co->fault_rx : &co->fault_tx) != 0)
			return -1;
		*(c == APP_OPT_FAULT_RX ? &co->have_fault_rx :
			&co->have_fault_tx) = 1;
		return 0;
	case APP_OPT_FAULT_SEED:
		return app_opt_fault_seed(app, arg, &co->fault_rx,
				&co->fault_tx) == 0 ? 0 : -1;
	case APP_OPT_PCAP:
		co->pcap = arg;
		return 0;
	case APP_OPT_VERBOSE:
		co->verbose = 1;
		return 0;
	case APP_OPT_DRAIN_MS:
		return app_opt_u32(app, "drain-ms", arg, 0, 3600000,
				&co->drain_ms) == 0 ? 0 : -1;
	case 'h':
		usage(prog);
		exit(0);
	default:
		usage(prog);
		return -1;
	}
}
