/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * pollux-bench: a load generator on Pollux itself. TCP or UDP requests to
 * an echo server, closed loop or open loop (fixed rate or Poisson), N
 * connections over the lcores; every response timed with the TSC into a
 * log-linear histogram; throughput and percentiles printed, and on
 * request written as CSV or JSON and plotted to PNG with gnuplot.
 * Usage: pollux-bench [EAL args] -- --ip A.B.C.D/N --target IP:PORT
 * [options]; see --help.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_log.h>

#include <px_exec.h>
#include <px_task.h>

#include "hist.h"
#include "load.h"
#include "net.h"
#include "opt.h"

#define APP "pollux-bench"

extern char **environ;

struct bench_opts {
	struct px_inet_conf inet;
	int have_ip, have_mac, have_target, quiet;
	struct load_conf load;
	double duration, warmup, wait;
	struct app_common co;       /* idle, mbufs, queues, pcap, verbose */
	const char *csv, *json, *plot;
};

static struct bench_opts opts;
static struct load_result result;
static int load_ret;

static void
usage(const char *prog)
{
	printf("usage: %s [EAL args] -- --ip A.B.C.D/N --target IP:PORT [options]\n"
		"  --ip A.B.C.D/N      this end's address and prefix (required)\n"
		"  --gw A.B.C.D        default gateway (default: none)\n"
		"  --mac MAC           set the port's MAC (default: the port's own)\n"
		"  --target IP:PORT    the echo server (required)\n"
		"  --proto tcp|udp     (default tcp)\n"
		"  --conns N           connections (UDP: sockets), spread over the\n"
		"                      lcores (default 1)\n"
		"  --size N            request = response bytes (default 64; UDP >= 16)\n"
		"  --rate R            open loop: R requests/s in all, on a schedule,\n"
		"                      latency from the scheduled time (default: closed\n"
		"                      loop, one request in flight per connection)\n"
		"  --poisson           open loop with exponential gaps (Poisson arrivals)\n"
		"  --crr               TCP closed loop: a new connection per request\n"
		"  --duration S        counted seconds (default 10)\n"
		"  --warmup S          seconds before counting (default 1)\n"
		"  --csv FILE          percentile table (percentile,latency_us)\n"
		"  --json FILE         summary, percentiles and the table as JSON\n"
		"  --plot FILE.png     latency by percentile, drawn with gnuplot\n"
		"  --quiet             no progress line\n"
		"  --wait S            before the load, wait up to S seconds for the\n"
		"                      target to answer one request (default 5)\n"
		"  --mbufs N           mbufs in the port's pool (default 32767)\n"
		"  --queues N          port queue pairs (default: one per lcore;\n"
		"                      match a net_memif peer's count)\n"
		"  --idle MODE         busy | adaptive (default: busy)\n"
		"  --pcap FILE         capture the port's traffic (pcapng)\n"
		"  --verbose           pollux.* log types at debug\n"
		"  --help              this text\n"
		"Prints throughput and p50/p90/p99/p99.9/p99.99/max, then a 'result:'\n"
		"line for scripts. Exit status 0 when every request was answered\n"
		"correctly, 1 otherwise, 3 if an mbuf leaked.\n"
		"Example: %s --no-pci -l 0,1 --vdev=net_tap0,iface=px0 -- --ip 10.0.0.2/24 \\\n"
		"           --target 10.0.0.1:7 --conns 32 --rate 50000 --poisson\n",
		prog, prog);
}

static int
parse_num(const char *opt, const char *s, double lo, double hi, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (*s == '\0' || *end != '\0' || !(v >= lo && v <= hi)) {
		fprintf(stderr, "pollux-bench: bad --%s '%s' (%g..%g)\n", opt, s, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

static int
parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ip", required_argument, NULL, 'i' },
		{ "gw", required_argument, NULL, 'g' },
		{ "mac", required_argument, NULL, 'M' },
		{ "target", required_argument, NULL, 't' },
		{ "proto", required_argument, NULL, 'p' },
		{ "conns", required_argument, NULL, 'c' },
		{ "size", required_argument, NULL, 's' },
		{ "rate", required_argument, NULL, 'r' },
		{ "poisson", no_argument, NULL, 'P' },
		{ "crr", no_argument, NULL, 'C' },
		{ "duration", required_argument, NULL, 'd' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "csv", required_argument, NULL, 'V' },
		{ "json", required_argument, NULL, 'J' },
		{ "plot", required_argument, NULL, 'L' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "wait", required_argument, NULL, 'W' },
		APP_OPTS_PORT,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	double v;
	int c;

	opts.load.proto = LOAD_TCP;
	opts.load.conns = 1;
	opts.load.size = 64;
	opts.duration = 10;
	opts.warmup = 1;
	opts.wait = 5;
	opts.co.mbufs = 32767;
	opts.co.idle = PX_IDLE_BUSY;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (app_opt_cidr(APP, "ip", optarg, &opts.inet) != 0)
				return -1;
			opts.have_ip = 1;
			break;
		case 'g':
			if (app_opt_ip(APP, "gw", optarg, &opts.inet.gw) != 0)
				return -1;
			break;
		case 'M':
			if (app_opt_mac(APP, optarg, &opts.inet.mac) != 0)
				return -1;
			opts.have_mac = 1;
			break;
		case 't':
			if (app_opt_ipport(APP, "target", optarg, &opts.load.ip,
					&opts.load.port) != 0)
				return -1;
			opts.have_target = 1;
			break;
		case 'p':
			if (strcmp(optarg, "tcp") == 0)
				opts.load.proto = LOAD_TCP;
			else if (strcmp(optarg, "udp") == 0)
				opts.load.proto = LOAD_UDP;
			else {
				fprintf(stderr, "pollux-bench: --proto takes tcp or udp\n");
				return -1;
			}
			break;
		case 'c':
			if (parse_num("conns", optarg, 1, 100000, &v) != 0)
				return -1;
			opts.load.conns = (unsigned int)v;
			break;
		case 's':
			if (parse_num("size", optarg, 1, 65000, &v) != 0)
				return -1;
			opts.load.size = (uint32_t)v;
			break;
		case 'r':
			if (parse_num("rate", optarg, 1, 1e9, &v) != 0)
				return -1;
			opts.load.rate = v;
			break;
		case 'P':
			opts.load.poisson = 1;
			break;
		case 'C':
			opts.load.crr = 1;
			break;
		case 'd':
			if (parse_num("duration", optarg, 0.1, 86400, &opts.duration) != 0)
				return -1;
			break;
		case 'w':
			if (parse_num("warmup", optarg, 0, 3600, &opts.warmup) != 0)
				return -1;
			break;
		case 'V':
			opts.csv = optarg;
			break;
		case 'J':
			opts.json = optarg;
			break;
		case 'L':
			opts.plot = optarg;
			break;
		case 'q':
			opts.quiet = 1;
			break;
		case 'W':
			if (parse_num("wait", optarg, 0, 3600, &opts.wait) != 0)
				return -1;
			break;
		default:
			if (app_opt_common(APP, c, optarg, &opts.co, usage,
					argv[0]) != 0)
				return -1;
		}
	}
	if (app_opt_end(APP, argc, argv) != 0)
		return -1;
	if (!opts.have_ip || !opts.have_target) {
		fprintf(stderr, "pollux-bench: --ip and --target are required\n");
		return -1;
	}
	if (opts.load.proto == LOAD_UDP && opts.load.size < 16) {
		fprintf(stderr, "pollux-bench: UDP requests carry a 16-byte header: "
			"--size 16 or more\n");
		return -1;
	}
	if (opts.load.crr && (opts.load.proto != LOAD_TCP || opts.load.rate > 0)) {
		fprintf(stderr, "pollux-bench: --crr is TCP closed loop only\n");
		return -1;
	}
	if (opts.load.poisson && opts.load.rate == 0) {
		fprintf(stderr, "pollux-bench: --poisson needs --rate\n");
		return -1;
	}
	opts.load.warm_ms = (uint64_t)(opts.warmup * 1000);
	opts.load.run_ms = (uint64_t)(opts.duration * 1000);
	/* A progress line when the run is long enough to wait for. */
	opts.load.progress = !opts.quiet && opts.duration + opts.warmup > 3;
	return 0;
}

static const char *
mode_name(void)
{
	if (opts.load.rate == 0)
		return opts.load.crr ? "closed loop, connection per request" :
			"closed loop";
	return opts.load.poisson ? "open loop, Poisson" : "open loop, fixed rate";
}

/* Until the target answers one request (ARP resolved, server up) or
 * --wait runs out. */
static int
wait_target(void)
{
	struct load_conf probe = opts.load;
	struct load_result r;
	uint64_t end = rte_rdtsc() + (uint64_t)(opts.wait * (double)rte_get_tsc_hz());

	probe.conns = 1;
	probe.rate = 0;
	probe.crr = 0;
	probe.warm_ms = 0;
	probe.run_ms = 100;
	probe.progress = 0;
	do {
		if (load_run(&probe, &r) == 0)
			return 0;
		px_sleep_ns(100 * 1000 * 1000);
	} while (rte_rdtsc() < end);
	return -ETIMEDOUT;
}

static void *
main_task(void *arg)
{
	char ip[INET_ADDRSTRLEN];

	(void)arg;
	inet_ntop(AF_INET, &opts.inet.ip, ip, sizeof(ip));
	printf("pollux-bench: ready mac=%02X:%02X:%02X:%02X:%02X:%02X ip=%s\n",
		opts.inet.mac.addr_bytes[0], opts.inet.mac.addr_bytes[1],
		opts.inet.mac.addr_bytes[2], opts.inet.mac.addr_bytes[3],
		opts.inet.mac.addr_bytes[4], opts.inet.mac.addr_bytes[5], ip);
	fflush(stdout);
	if (wait_target() != 0) {
		fprintf(stderr, "pollux-bench: the target did not answer within "
			"%.1f s (--wait)\n", opts.wait);
		load_ret = -EHOSTUNREACH;
		return NULL;
	}
	load_ret = load_run(&opts.load, &result);
	return NULL;
}

/* JSON: the summary, the headline percentiles and the table. */
static int
write_json(const char *path, const char *target)
{
	const struct hist *h = &result.hist;
	FILE *f = fopen(path, "w");
	char *table = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *t;
	int first = 1, i;

	if (f == NULL)
		return -errno;
	fprintf(f, "{\"proto\": \"%s\", \"mode\": \"%s\", \"target\": \"%s\", "
		"\"conns\": %u, \"lcores\": %u, \"size\": %u, \"rate_target\": %.0f, "
		"\"duration_s\": %.3f, \"warmup_s\": %.3f, \"throughput\": %.1f, "
		"\"responses\": %" PRIu64 ", \"sent\": %" PRIu64 ", \"lost\": %" PRIu64
		", \"skipped\": %" PRIu64 ", \"mismatched\": %" PRIu64
		", \"errors\": %" PRIu64 ", \"ok\": %s, \"latency_us\": {",
		opts.load.proto == LOAD_TCP ? "tcp" : "udp", mode_name(), target,
		opts.load.conns, px_exec_count(), opts.load.size, opts.load.rate,
		opts.duration, opts.warmup, (double)result.msgs / result.secs,
		result.msgs, result.sent, result.lost, result.skipped,
		result.mismatched, result.errors, load_ret == 0 ? "true" : "false");
	for (i = 0; i < HIST_NPCT; i++)
		fprintf(f, "\"p%g\": %.3f, ", hist_pcts[i], hist_pct_us(h, hist_pcts[i]));
	fprintf(f, "\"max\": %.3f}, \"percentiles\": [", hist_max_us(h));
	t = open_memstream(&table, &len);
	if (t != NULL) {
		hist_write_csv(h, t);
		fclose(t);
		strtok_r(table, "\n", &save); /* the header */
		while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
			fprintf(f, "%s[%s]", first ? "" : ", ", line);
			first = 0;
		}
		free(table);
	}
	fprintf(f, "]}\n");
	return fclose(f) == 0 ? 0 : -EIO;
}

/* gnuplot: latency against percentile on an HDR-style axis. */
static int
plot(const char *png, const char *csv, const char *title)
{
	char script[] = "/tmp/pollux-bench-plot-XXXXXX";
	char *argv[] = { (char *)(uintptr_t)"gnuplot", script, NULL };
	int fd = mkstemp(script), status;
	pid_t pid;
	FILE *f;

	if (fd < 0 || (f = fdopen(fd, "w")) == NULL)
		return -errno;
	fprintf(f, "set terminal pngcairo size 900,540\n"
		"set output '%s'\n"
		"set datafile separator ','\n"
		"set title '%s' noenhanced\n"
		"set logscale x\nset logscale y\n"
		"set xlabel 'percentile'\nset ylabel 'latency (us)'\n"
		/* tic labels are formats too: %%%% prints a gnuplot %% */
		"set xtics ('0%%%%' 1, '90%%%%' 10, '99%%%%' 100, '99.9%%%%' 1000, "
		"'99.99%%%%' 10000, '99.999%%%%' 100000, '99.9999%%%%' 1000000)\n"
		"set grid\nset key off\nset xrange [1:*]\n"
		"plot '%s' every ::1 using (100/(100.0001-$1)):2 with steps lw 2\n",
		png, title, csv);
	fclose(f);
	if (posix_spawnp(&pid, "gnuplot", NULL, NULL, argv, environ) != 0) {
		unlink(script);
		return -ENOENT;
	}
	waitpid(pid, &status, 0);
	unlink(script);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

static void
report(void)
{
	const struct hist *h = &result.hist;
	char target[32], ip[INET_ADDRSTRLEN], title[160], tmpcsv[] =
		"/tmp/pollux-bench-csv-XXXXXX";
	double rate = result.secs > 0 ? (double)result.msgs / result.secs : 0;
	const char *csv = opts.csv;
	FILE *f;
	int ret, fd;

	inet_ntop(AF_INET, &opts.load.ip, ip, sizeof(ip));
	snprintf(target, sizeof(target), "%s:%u", ip, ntohs(opts.load.port));
	printf("pollux-bench: %s %s to %s, %u connection(s) over %u lcore(s), "
		"%u B, %.1f s after %.1f s warm-up", opts.load.proto == LOAD_TCP ?
		"tcp" : "udp", mode_name(), target, opts.load.conns, px_exec_count(),
		opts.load.size, opts.duration, opts.warmup);
	if (opts.load.rate > 0)
		printf(", %.0f requests/s scheduled", opts.load.rate);
	printf("\nthroughput: %.0f responses/s (%" PRIu64 " responses, %" PRIu64
		" lost, %" PRIu64 " skipped, %" PRIu64 " mismatched, %" PRIu64
		" failed connections)\n", rate, result.msgs, result.lost,
		result.skipped, result.mismatched, result.errors);
	printf("latency_us: p50=%.2f p90=%.2f p99=%.2f p99.9=%.2f p99.99=%.2f "
		"max=%.2f\n", hist_pct_us(h, 50), hist_pct_us(h, 90),
		hist_pct_us(h, 99), hist_pct_us(h, 99.9), hist_pct_us(h, 99.99),
		hist_max_us(h));
	printf("result: proto=%s conns=%u size=%u rate=%.0f p50_us=%.2f "
		"p90_us=%.2f p99_us=%.2f p999_us=%.2f p9999_us=%.2f max_us=%.2f "
		"responses=%" PRIu64 " lost=%" PRIu64 " mismatched=%" PRIu64
		" errors=%" PRIu64 " %s\n", opts.load.proto == LOAD_TCP ? "tcp" : "udp",
		opts.load.conns, opts.load.size, rate, hist_pct_us(h, 50),
		hist_pct_us(h, 90), hist_pct_us(h, 99), hist_pct_us(h, 99.9),
		hist_pct_us(h, 99.99), hist_max_us(h), result.msgs, result.lost,
		result.mismatched, result.errors, load_ret == 0 ? "OK" : "FAILED");
	fflush(stdout);
	if (opts.plot != NULL && csv == NULL) {
		fd = mkstemp(tmpcsv);
		if (fd >= 0)
			close(fd);
		csv = fd >= 0 ? tmpcsv : NULL;
	}
	if (csv != NULL) {
		f = fopen(csv, "w");
		if (f == NULL) {
			fprintf(stderr, "pollux-bench: %s: %s\n", csv, strerror(errno));
		} else {
			hist_write_csv(h, f);
			fclose(f);
		}
	}
	if (opts.json != NULL && (ret = write_json(opts.json, target)) < 0)
		fprintf(stderr, "pollux-bench: %s: %s\n", opts.json, strerror(-ret));
	if (opts.plot != NULL && h->count == 0)
		fprintf(stderr, "pollux-bench: no responses, no plot\n");
	else if (opts.plot != NULL && csv != NULL) {
		snprintf(title, sizeof(title), "pollux-bench %s %s, %u conns, %u B: "
			"%.0f/s", opts.load.proto == LOAD_TCP ? "tcp" : "udp",
			mode_name(), opts.load.conns, opts.load.size, rate);
		ret = plot(opts.plot, csv, title);
		if (ret < 0)
			fprintf(stderr, "pollux-bench: plot %s: %s (is gnuplot "
				"installed?)\n", opts.plot, strerror(-ret));
	}
	if (csv == tmpcsv)
		unlink(tmpcsv);
}

int
main(int argc, char **argv)
{
	static const struct app_start start = { .app = APP, .parse = parse_args,
		.usage = usage, .idle = &opts.co.idle, .verbose = &opts.co.verbose };
	struct app_net_conf nc = { .app = APP };
	struct app_net net;
	unsigned int leaked;
	int ret;

	ret = app_start(argc, argv, &start);
	if (ret != 0)
		return ret;
	nc.inet = opts.inet;
	nc.have_mac = opts.have_mac;
	nc.mbufs = opts.co.mbufs;
	nc.queues = (uint16_t)opts.co.queues;
	nc.pcap = opts.co.pcap;
	ret = app_first_port("pollux-bench", &nc.port_id);
	if (ret == 0)
		ret = app_net_open(&nc, &net);
	if (ret < 0) {
		px_fini(true);
		return 1;
	}
	opts.load.nif = net.nif;
	opts.load.local_ip = nc.inet.ip;
	opts.inet.mac = nc.inet.mac;
	ret = px_run(main_task, NULL, NULL);
	if (load_ret == -EINVAL)
		fprintf(stderr, "pollux-bench: bad load settings\n");
	if (load_ret != -EHOSTUNREACH)
		report();
	leaked = app_net_close(&net);
	px_fini(true);
	if (leaked != 0) {
		fprintf(stderr, "pollux-bench: %u mbuf(s) leaked\n", leaked);
		return 3;
	}
	return ret == 0 && load_ret == 0 ? 0 : 1;
}
