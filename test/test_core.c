/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

/*
 * lib/core without a runtime: counter sets summed and printed as text and
 * as JSON (the exact bytes, with and without a prefix, blocks and plain
 * names mixed), and the telemetry object registry.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <px_common.h>
#include <px_counters.h>
#include <px_tel.h>

#include "test.h"

static char out[1024];

/* Print through px_counters_print() into out. */
static int
render(const char *prefix, const char *const *names, const uint64_t *v,
		unsigned int n, bool json, bool *first)
{
	FILE *f = fmemopen(out, sizeof(out), "w");

	if (f == NULL)
		return -1;
	px_counters_print(f, prefix, names, v, n, json, first);
	fclose(f);
	return 0;
}

static int
test_counters(void)
{
	static const char *const mixed[] = { "eth.rx", "eth.runt", "ip.rx", "conns" };
	static const char *const flat[] = { "a", "b" };
	uint64_t src[4] = { 1, 2, 3, 4 }, v[4] = { 10, 20, 30, 40 };
	bool first = true;

	px_counters_add(v, src, 4);
	PX_TEST_ASSERT(v[0] == 11 && v[3] == 44);
	PX_TEST_ASSERT_OK(render(NULL, mixed, v, 4, false, NULL));
	PX_TEST_ASSERT(strcmp(out, "eth.rx=11\neth.runt=22\nip.rx=33\nconns=44\n") == 0,
		"%s", out);
	PX_TEST_ASSERT_OK(render("front.tcp", flat, v, 2, false, NULL));
	PX_TEST_ASSERT(strcmp(out, "front.tcp.a=11\nfront.tcp.b=22\n") == 0, "%s", out);
	PX_TEST_ASSERT_OK(render(NULL, mixed, v, 4, true, &first));
	PX_TEST_ASSERT(strcmp(out, "\"eth\": {\"rx\": 11, \"runt\": 22}, "
			"\"ip\": {\"rx\": 33}, \"conns\": 44") == 0, "%s", out);
	PX_TEST_ASSERT(!first);
	/* A second set in the same object starts with its comma. */
	PX_TEST_ASSERT_OK(render("tcp", flat, v, 2, true, &first));
	PX_TEST_ASSERT(strcmp(out, ", \"tcp\": {\"a\": 11, \"b\": 22}") == 0, "%s", out);
	PX_TEST_ASSERT_OK(render("lcore0", mixed, v, 2, true, NULL));
	PX_TEST_ASSERT(strcmp(out, "\"lcore0\": {\"eth\": {\"rx\": 11, \"runt\": 22}}") == 0,
		"%s", out);
	PX_TEST_ASSERT_OK(render("empty", flat, v, 0, true, NULL));
	PX_TEST_ASSERT(strcmp(out, "\"empty\": {}") == 0, "%s", out);
	return TEST_SUCCESS;
}

static int
test_tel_objs(void)
{
	static struct px_tel_objs t;
	int a = 1, b = 2, c[PX_TEL_OBJS_MAX];
	unsigned int i;

	PX_TEST_ASSERT_EQ(px_tel_obj_add(&t, &a), 0);
	PX_TEST_ASSERT_EQ(px_tel_obj_add(&t, &b), 1);
	px_tel_lock();
	PX_TEST_ASSERT(px_tel_obj_get(&t, NULL) == &a);
	PX_TEST_ASSERT(px_tel_obj_get(&t, "") == &a);
	PX_TEST_ASSERT(px_tel_obj_get(&t, "1") == &b);
	PX_TEST_ASSERT(px_tel_obj_get(&t, "2") == NULL);
	PX_TEST_ASSERT(px_tel_obj_get(&t, "1x") == NULL);
	PX_TEST_ASSERT(px_tel_obj_get(&t, "99999999999999999999") == NULL);
	px_tel_unlock();
	/* A freed slot is reused; a full table says so. */
	px_tel_obj_del(&t, &a);
	PX_TEST_ASSERT(px_tel_obj_get(&t, "0") == NULL);
	PX_TEST_ASSERT_EQ(px_tel_obj_add(&t, &a), 0);
	for (i = 2; i < PX_TEL_OBJS_MAX; i++)
		PX_TEST_ASSERT_EQ(px_tel_obj_add(&t, &c[i]), (int)i);
	PX_TEST_ASSERT_EQ(px_tel_obj_add(&t, &c[0]), -ENOSPC);
	return TEST_SUCCESS;
}

static int
test_core(void)
{
	PX_TEST_RUN(test_counters);
	PX_TEST_RUN(test_tel_objs);
	return TEST_SUCCESS;
}

PX_REGISTER_TEST(core_autotest, 0, test_core);
