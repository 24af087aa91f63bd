/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "test.h"

static struct px_test *tests;
int px_test_argc;
char **px_test_argv;

void
px_test_register(struct px_test *t)
{
	t->next = tests;
	tests = t;
}

static struct px_test *
find(const char *name)
{
	struct px_test *t;

	for (t = tests; t != NULL; t = t->next)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

static void
list(void)
{
	struct px_test *t;

	for (t = tests; t != NULL; t = t->next)
		printf("%s%s\n", t->name, (t->flags & PX_TEST_F_EAL) ? " (eal)" : "");
}

int
main(int argc, char **argv)
{
	const char *name = getenv("PX_TEST");
	struct px_test *t;
	int ret;

	if (name == NULL || *name == '\0') {
		/* px-test [EAL args --] name */
		if (argc < 2) {
			printf("usage: PX_TEST=<name> %s [EAL args]\n"
				"   or: %s [EAL args --] <name>\ntests:\n", argv[0], argv[0]);
			list();
			return 2;
		}
		name = argv[argc - 1];
		argc--;
	}
	t = find(name);
	if (t == NULL) {
		printf("unknown test '%s'; tests:\n", name);
		list();
		return 2;
	}
	px_test_argc = argc;
	px_test_argv = argv;
	if (t->flags & PX_TEST_F_EAL) {
		ret = rte_eal_init(argc, argv);
		if (ret < 0) {
			printf("rte_eal_init failed: %s\n", rte_strerror(rte_errno));
			return 1;
		}
	}
	printf("== %s\n", t->name);
	ret = t->fn();
	if (t->flags & PX_TEST_F_EAL)
		rte_eal_cleanup();
	if (ret == TEST_SKIPPED) {
		printf("== %s skipped\n", t->name);
		return 77;
	}
	printf("== %s %s\n", t->name, ret == TEST_SUCCESS ? "passed" : "FAILED");
	return ret == TEST_SUCCESS ? 0 : 1;
}
