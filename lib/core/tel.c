/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

#include "px_common.h"
#include "px_tel.h"

#define TEL_MAX_CMDS 32

static pthread_mutex_t tel_mutex = PTHREAD_MUTEX_INITIALIZER;
static const char *registered[TEL_MAX_CMDS];
static unsigned int n_registered;

void
px_tel_lock(void)
{
	pthread_mutex_lock(&tel_mutex);
}

void
px_tel_unlock(void)
{
	pthread_mutex_unlock(&tel_mutex);
}

int
px_tel_register(const char *cmd, telemetry_cb fn, const char *help)
{
	unsigned int i;
	int ret = 0;

	px_tel_lock();
	for (i = 0; i < n_registered; i++)
		if (strcmp(registered[i], cmd) == 0)
			goto out;
	if (n_registered == TEL_MAX_CMDS) {
		ret = -ENOSPC;
		goto out;
	}
	ret = rte_telemetry_register_cmd(cmd, fn, help);
	if (ret == 0)
		registered[n_registered++] = cmd;
out:
	px_tel_unlock();
	return ret;
}

int
px_tel_counters(struct rte_tel_data *d, const char *const *names,
		const uint64_t *v, unsigned int n)
{
	struct rte_tel_data *sub = NULL;
	char block[64];
	const char *dot;
	unsigned int i, entries = 0;
	size_t blen;

	rte_tel_data_start_dict(d);
	for (i = 0; i < n; i++) {
		dot = strchr(names[i], '.');
		if (dot == NULL) {
			if (++entries > RTE_TEL_MAX_DICT_ENTRIES)
				return -ENOSPC;
			rte_tel_data_add_dict_u64(d, names[i], v[i]);
			continue;
		}
		blen = (size_t)(dot - names[i]);
		if (blen >= sizeof(block))
			blen = sizeof(block) - 1;
		if (sub == NULL || strncmp(block, names[i], blen) != 0 ||
				block[blen] != '\0') {
			if (sub != NULL && rte_tel_data_add_dict_container(d, block,
					sub, 0) != 0)
				rte_tel_data_free(sub);
			if (++entries > RTE_TEL_MAX_DICT_ENTRIES)
				return -ENOSPC;
			memcpy(block, names[i], blen);
			block[blen] = '\0';
			sub = rte_tel_data_alloc();
			if (sub == NULL)
				return -ENOMEM;
			rte_tel_data_start_dict(sub);
		}
		rte_tel_data_add_dict_u64(sub, dot + 1, v[i]);
	}
	if (sub != NULL && rte_tel_data_add_dict_container(d, block, sub, 0) != 0)
		rte_tel_data_free(sub);
	return 0;
}

int
px_tel_lines(struct rte_tel_data *d, const char *name, char *text)
{
	struct rte_tel_data *arr = rte_tel_data_alloc();
	char *line, *save = NULL;
	char cut[RTE_TEL_MAX_STRING_LEN];

	if (arr == NULL)
		return -ENOMEM;
	rte_tel_data_start_array(arr, RTE_TEL_STRING_VAL);
	for (line = strtok_r(text, "\n", &save); line != NULL;
			line = strtok_r(NULL, "\n", &save)) {
		snprintf(cut, sizeof(cut), "%s", line);
		if (rte_tel_data_add_array_string(arr, cut) != 0)
			break;
	}
	if (rte_tel_data_add_dict_container(d, name, arr, 0) != 0) {
		rte_tel_data_free(arr);
		return -ENOSPC;
	}
	return 0;
}

int
px_tel_obj_add(struct px_tel_objs *t, void *obj)
{
	int i, ret = -ENOSPC;

	px_tel_lock();
	for (i = 0; i < PX_TEL_OBJS_MAX; i++)
		if (t->obj[i] == NULL) {
			t->obj[i] = obj;
			ret = i;
			break;
		}
	px_tel_unlock();
	return ret;
}

void
px_tel_obj_del(struct px_tel_objs *t, void *obj)
{
	unsigned int i;

	px_tel_lock();
	for (i = 0; i < PX_TEL_OBJS_MAX; i++)
		if (t->obj[i] == obj)
			t->obj[i] = NULL;
	px_tel_unlock();
}

void *
px_tel_obj_get(const struct px_tel_objs *t, const char *params)
{
	unsigned long i = 0;
	char *end;

	if (params != NULL && *params != '\0') {
		i = strtoul(params, &end, 10);
		if (*end != '\0')
			return NULL;
	}
	return i < PX_TEL_OBJS_MAX ? t->obj[i] : NULL;
}
