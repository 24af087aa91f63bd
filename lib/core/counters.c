/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "px_counters.h"

void
px_counters_add(uint64_t *dst, const uint64_t *src, unsigned int n)
{
	unsigned int i;

	/* Relaxed loads: the owner keeps counting meanwhile. */
	for (i = 0; i < n; i++)
		dst[i] += __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

/* Length of name's block ("eth" of "eth.rx"), 0 if it has none. */
static size_t
block_len(const char *name)
{
	const char *dot = strchr(name, '.');

	return dot != NULL ? (size_t)(dot - name) : 0;
}

void
px_counters_print(FILE *f, const char *prefix, const char *const *names,
		const uint64_t *v, unsigned int n, bool json, bool *first)
{
	const char *block = NULL;
	size_t blen = 0, l;
	bool lead = first == NULL || *first;
	unsigned int i;

	if (!json) {
		for (i = 0; i < n; i++)
			fprintf(f, "%s%s%s=%" PRIu64 "\n", prefix != NULL ? prefix : "",
				prefix != NULL ? "." : "", names[i], v[i]);
		return;
	}
	if (prefix != NULL) {
		fprintf(f, "%s\"%s\": {", lead ? "" : ", ", prefix);
		lead = true;
	}
	for (i = 0; i < n; i++) {
		l = block_len(names[i]);
		if (block != NULL && (l != blen || strncmp(block, names[i], l) != 0)) {
			fputc('}', f); /* the block ends */
			block = NULL;
		}
		if (l != 0 && block == NULL) {
			fprintf(f, "%s\"%.*s\": {", lead ? "" : ", ", (int)l, names[i]);
			block = names[i];
			blen = l;
			lead = true;
		}
		fprintf(f, "%s\"%s\": %" PRIu64, lead ? "" : ", ",
			names[i] + (l != 0 ? l + 1 : 0), v[i]);
		lead = false;
	}
	if (block != NULL)
		fputc('}', f);
	if (prefix != NULL)
		fputc('}', f);
	if (first != NULL)
		*first = false;
}
