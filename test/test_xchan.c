/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The Pollux authors
 */

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <rte_lcore.h>

#include <px_xchan.h>

#include "test.h"

static int
test_xchan(void)
{
	struct px_xchan *ch;
	struct px_msg in[8], out[8];
	unsigned int i;

	PX_TEST_ASSERT_EQ(px_xchan_create("x", 6, SOCKET_ID_ANY, 0, &ch), -EINVAL);
	PX_TEST_ASSERT_EQ(px_xchan_create(NULL, 8, SOCKET_ID_ANY, 0, &ch), -EINVAL);
	PX_TEST_ASSERT_EQ(px_xchan_create("x", 8, SOCKET_ID_ANY, 0, NULL), -EINVAL);
	PX_TEST_ASSERT_OK(px_xchan_create("x", 4, SOCKET_ID_ANY, PX_XCHAN_F_SP, &ch));
	PX_TEST_ASSERT_EQ(px_xchan_create("x", 4, SOCKET_ID_ANY, 0,
			&(struct px_xchan *){ NULL }), -EEXIST);
	memset(in, 0, sizeof(in));
	for (i = 0; i < 8; i++) {
		in[i].type = (uint16_t)i;
		in[i].a = i * 3;
		in[i].c = ~(uint64_t)i;
	}
	/* Capacity is exact; a full ring is a partial send, counted. */
	PX_TEST_ASSERT_EQ(px_xchan_send_burst(ch, in, 6), 4);
	PX_TEST_ASSERT_EQ(ch->full, 2);
	PX_TEST_ASSERT_EQ(ch->full_events, 1);
	PX_TEST_ASSERT_EQ(px_xchan_count(ch), 4);
	PX_TEST_ASSERT_EQ(px_xchan_recv_burst(ch, out, 8), 4);
	for (i = 0; i < 4; i++)
		PX_TEST_ASSERT(memcmp(&in[i], &out[i], sizeof(in[i])) == 0,
			"message %u differs", i);
	PX_TEST_ASSERT_EQ(px_xchan_recv_burst(ch, out, 8), 0);
	/* The caller resends what was refused, in order. */
	PX_TEST_ASSERT_EQ(px_xchan_send_burst(ch, &in[4], 2), 2);
	PX_TEST_ASSERT_EQ(px_xchan_recv_burst(ch, out, 8), 2);
	PX_TEST_ASSERT_EQ(out[0].a, 12);
	px_xchan_free(ch);
	px_xchan_free(NULL);
	return TEST_SUCCESS;
}

PX_REGISTER_TEST(xchan_autotest, PX_TEST_F_EAL, test_xchan);
