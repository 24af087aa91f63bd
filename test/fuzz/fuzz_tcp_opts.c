/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * libFuzzer target: px__tcp_parse_opts(), the TCP option parser, on its own.
 * An input is the option space of one segment (the bytes after the fixed
 * 20-byte header), copied into a heap buffer of exactly its size so that
 * ASan reports any read past the end. Each input is parsed as a SYN and as
 * a non-SYN segment, and each result must keep what the parser promises
 * its callers (see check_seg()): it returns 0 or -EINVAL; the option flags
 * are 0 or 1 and nsack is at most 4; it writes no field but the options,
 * and no value without its flag; MSS, window scale and SACK-permitted are
 * taken only from a SYN and SACK blocks only from a non-SYN. Across the
 * parses: a second parse gives an identical struct; the SYN bit changes
 * neither the verdict nor the timestamps; a leading no-operation changes
 * nothing; and an end-of-list appended to a valid list changes nothing.
 * Not checked, because the parser does not promise them: mss > 0 and
 * ws <= 14 (it passes the peer's values on; negotiate() clamps both).
 * The parser is internal to lib/tcp; it keeps a px__ name so that it stays
 * visible in libpx_tcp.a for this target (buildtools/localize.sh makes
 * other internals local), and lib/tcp is on pollux_dep's include path, so
 * tcp_private.h declares it here. No runtime is needed: the parser
 * touches neither EAL nor mbufs.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcp_private.h"

/* Failed invariant: say which, then abort so libFuzzer saves the input. */
#define CHECK(cond_) do { \
	if (!(cond_)) \
		fail(#cond_, __LINE__); \
} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void __attribute__((noreturn))
fail(const char *what, int line)
{
	fprintf(stderr, "fuzz_tcp_opts.c:%d: invariant failed: %s\n", line,
		what);
	abort();
}

/* As tcp_input() hands a segment to the parser: option flags zero. Every
 * other byte holds a pattern, so a field the parser wrote shows. */
static void
seg_init(struct tcp_seg *s)
{
	memset(s, 0xa5, sizeof(*s));
	s->has_mss = 0;
	s->has_ws = 0;
	s->sack_ok = 0;
	s->has_ts = 0;
	s->nsack = 0;
}

static int
parse(const uint8_t *p, uint32_t len, int syn, struct tcp_seg *s)
{
	seg_init(s);
	return px__tcp_parse_opts(p, len, s, syn);
}

/* What holds for one parse, whatever its verdict. */
static void
check_seg(const struct tcp_seg *s, int ret, int syn)
{
	struct tcp_seg ref;

	seg_init(&ref);
	CHECK(ret == 0 || ret == -EINVAL);
	CHECK(s->has_mss <= 1 && s->has_ws <= 1 && s->sack_ok <= 1 &&
			s->has_ts <= 1);
	CHECK(s->nsack <= 4);
	/* Header fields are the caller's. */
	CHECK(s->seq == ref.seq && s->ack == ref.ack && s->len == ref.len &&
			s->wnd == ref.wnd && s->flags == ref.flags);
	/* A value is only written together with its flag. */
	CHECK(s->has_mss || s->mss == ref.mss);
	CHECK(s->has_ws || s->ws == ref.ws);
	CHECK(s->has_ts || (s->tsval == ref.tsval && s->tsecr == ref.tsecr));
	CHECK(s->nsack > 0 || memcmp(s->sack, ref.sack, sizeof(ref.sack)) == 0);
	/* RFC 9293 3.7.1, RFC 7323 2.2, RFC 2018 2: SYN-only options; RFC
	 * 2018 3: SACK blocks never on a SYN. */
	if (syn)
		CHECK(s->nsack == 0);
	else
		CHECK(!s->has_mss && !s->has_ws && !s->sack_ok);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tcp_seg s[2], alt;
	uint8_t *p, *q;
	uint32_t len;
	int ret[2], syn;

	/* A header has at most 40 bytes of options and an option at most
	 * 255: longer inputs only repeat what shorter ones reach. */
	if (size > 4096)
		return 0;
	len = (uint32_t)size;
	p = malloc(size);
	q = malloc(size + 1);
	if ((p == NULL && size > 0) || q == NULL)
		abort();
	if (size > 0)
		memcpy(p, data, size);

	for (syn = 0; syn < 2; syn++) {
		ret[syn] = parse(p, len, syn, &s[syn]);
		check_seg(&s[syn], ret[syn], syn);
		/* Deterministic: the same bytes give the same struct. */
		CHECK(parse(p, len, syn, &alt) == ret[syn]);
		CHECK(memcmp(&alt, &s[syn], sizeof(alt)) == 0);
	}
	/* The SYN bit only selects which options are taken: lengths decide
	 * the verdict, and timestamps are read from any segment. */
	CHECK(ret[0] == ret[1]);
	CHECK(s[0].has_ts == s[1].has_ts);
	CHECK(!s[0].has_ts || (s[0].tsval == s[1].tsval &&
			s[0].tsecr == s[1].tsecr));

	/* RFC 9293 3.1: a no-operation is one byte and means nothing. */
	q[0] = 1;
	if (size > 0)
		memcpy(q + 1, p, size);
	for (syn = 0; syn < 2; syn++) {
		CHECK(parse(q, len + 1, syn, &alt) == ret[syn]);
		CHECK(memcmp(&alt, &s[syn], sizeof(alt)) == 0);
	}
	/* RFC 9293 3.1: end-of-list ends a valid list; what follows is
	 * padding. (After an invalid one it may not: the extra byte can
	 * complete a length that ran past the end.) */
	if (size > 0)
		memcpy(q, p, size);
	q[len] = 0;
	for (syn = 0; syn < 2; syn++) {
		if (ret[syn] != 0)
			continue;
		CHECK(parse(q, len + 1, syn, &alt) == 0);
		CHECK(memcmp(&alt, &s[syn], sizeof(alt)) == 0);
	}

	free(q);
	free(p);
	return 0;
}
