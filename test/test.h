/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#ifndef _PX_TEST_H_
#define _PX_TEST_H_

/*
 * px-test: one binary, many tests. Each test_<lib>_<topic>.c ends with
 * PX_REGISTER_TEST(name_autotest, flags, fn); the runner picks a test by
 * the PX_TEST environment variable (or its first non-EAL argument), calls
 * rte_eal_init() first when the test asked for EAL, and maps the result to
 * an exit code meson understands (0 pass, 1 fail, 77 skip).
 */

#include <stdio.h>
#include <stdint.h>
#include <inttypes.h>

#define TEST_SUCCESS 0
#define TEST_FAILED -1
#define TEST_SKIPPED 77

#define PX_TEST_F_EAL 1 /* run rte_eal_init() with the command line first */

struct px_test {
	const char *name;
	int (*fn)(void);
	unsigned int flags;
	struct px_test *next;
};

void px_test_register(struct px_test *t);

/* The command line the runner got (EAL args), for tests that call px_init(). */
extern int px_test_argc;
extern char **px_test_argv;

#define PX_REGISTER_TEST(name_, flags_, fn_) \
	static struct px_test px_test_ ## name_ = { \
		.name = RTE_STR(name_), .fn = (fn_), .flags = (flags_), \
	}; \
	static void __attribute__((constructor)) \
	px_test_reg_ ## name_(void) \
	{ \
		px_test_register(&px_test_ ## name_); \
	}

#ifndef RTE_STR
#define RTE__STR(x) #x
#define RTE_STR(x) RTE__STR(x)
#endif

#define PX_TEST_FAIL(...) do { \
		printf("FAIL %s:%d: ", __FILE__, __LINE__); \
		printf(__VA_ARGS__); \
		printf("\n"); \
		return TEST_FAILED; \
	} while (0)

/* The expression is printed with %s, never used as a format: it may
 * contain '%'. The optional message is a format and its arguments. */
#define PX_TEST_ASSERT(cond, ...) do { \
		if (!(cond)) { \
			printf("FAIL %s:%d: assert '%s'", __FILE__, __LINE__, #cond); \
			printf(" " __VA_ARGS__); \
			printf("\n"); \
			return TEST_FAILED; \
		} \
	} while (0)

#define PX_TEST_ASSERT_EQ(a, b, ...) do { \
		long long a_ = (long long)(a), b_ = (long long)(b); \
		if (a_ != b_) { \
			printf("  %s = %lld, %s = %lld\n", #a, a_, #b, b_); \
			PX_TEST_ASSERT(a_ == b_, __VA_ARGS__); \
		} \
	} while (0)

#define PX_TEST_ASSERT_OK(expr, ...) PX_TEST_ASSERT_EQ((expr), 0, __VA_ARGS__)

/* Run a sub-case, stop at its first failure. */
#define PX_TEST_RUN(fn_) do { \
		int r_ = (fn_)(); \
		if (r_ != TEST_SUCCESS) { \
			printf("  sub-case %s failed\n", #fn_); \
			return r_; \
		} \
		printf("  %s ok\n", #fn_); \
	} while (0)

#endif /* _PX_TEST_H_ */
