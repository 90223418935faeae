/* SPDX-License-Identifier: MIT */
/* Stream management counters and the unacknowledged queue (xmpp/sm.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base.h"
#include "sm.h"

struct collected {
    char text[4096];
    unsigned n;
};

static void collect(void *ctx, const char *bytes, size_t n)
{
    struct collected *c = ctx;
    strncat(c->text, bytes, n);
    strcat(c->text, "|");
    c->n++;
}

static void send_numbered(struct sm *sm, unsigned from, unsigned to)
{
    char s[32];
    for (unsigned i = from; i < to; i++) {
        int n = snprintf(s, sizeof(s), "s%u", i);
        sm_sent(sm, s, (size_t)n);
    }
}

static void test_acks_drop_oldest_first(void **state)
{
    (void)state;
    struct sm *sm = sm_new("abc", 300);
    send_numbered(sm, 0, 5);
    assert_int_equal(sm_unacked(sm), 5);
    assert_int_equal(sm_acked(sm, 2), PL_OK);
    struct collected c = { "", 0 };
    sm_each_unacked(sm, collect, &c);
    assert_string_equal(c.text, "s2|s3|s4|");
    assert_int_equal(sm_acked(sm, 2), PL_OK); /* the same h again changes nothing */
    assert_int_equal(sm_unacked(sm), 3);
    assert_int_equal(sm_acked(sm, 5), PL_OK);
    assert_int_equal(sm_unacked(sm), 0);
    assert_int_equal(sm_unacked_bytes(sm), 0);
    sm_free(sm);
}

static void test_ack_beyond_sent_is_refused(void **state)
{
    (void)state;
    struct sm *sm = sm_new(NULL, 0);
    send_numbered(sm, 0, 3);
    assert_int_equal(sm_acked(sm, 4), PL_EINVAL);
    assert_int_equal(sm_unacked(sm), 3);
    assert_int_equal(sm_acked(sm, 1), PL_OK);
    assert_int_equal(sm_acked(sm, 0), PL_EINVAL); /* going back counts as far ahead */
    assert_string_equal(sm->id, "");
    sm_free(sm);
}

/* Counters wrap at 2^32 (XEP-0198 §4): acks across the wrap keep working. */
static void test_counters_wrap(void **state)
{
    (void)state;
    struct sm *sm = sm_new("w", 1);
    sm->h_out = sm->acked = UINT32_MAX - 2;
    send_numbered(sm, 0, 6);
    assert_int_equal(sm->h_out, 3);
    assert_int_equal(sm_unacked(sm), 6);
    assert_int_equal(sm_acked(sm, UINT32_MAX), PL_OK);
    assert_int_equal(sm_unacked(sm), 4);
    assert_int_equal(sm_acked(sm, 2), PL_OK);
    struct collected c = { "", 0 };
    sm_each_unacked(sm, collect, &c);
    assert_string_equal(c.text, "s5|");
    assert_int_equal(sm_acked(sm, 4), PL_EINVAL);
    sm_free(sm);
}

/* Many stanzas with acks in between: the ring and the byte buffer wrap and grow without
 * mixing stanzas up. */
static void test_ring_grows_and_wraps(void **state)
{
    (void)state;
    struct sm *sm = sm_new("r", 1);
    unsigned sent = 0, acked = 0;
    for (unsigned round = 0; round < 50; round++) {
        send_numbered(sm, sent, sent + 7 + round % 13);
        sent += 7 + round % 13;
        acked += (sent - acked) / 2;
        assert_int_equal(sm_acked(sm, acked), PL_OK);
        struct collected c = { "", 0 };
        sm_each_unacked(sm, collect, &c);
        assert_int_equal(c.n, sent - acked);
        char first[32];
        snprintf(first, sizeof(first), "s%u|", acked);
        assert_memory_equal(c.text, first, strlen(first));
    }
    sm_clear(sm);
    assert_int_equal(sm_unacked(sm), 0);
    sm_sent(sm, NULL, 0); /* a stanza that cannot be sent again still counts */
    assert_int_equal(sm_unacked(sm), 1);
    sm_free(sm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_acks_drop_oldest_first),
        cmocka_unit_test(test_ack_beyond_sent_is_refused),
        cmocka_unit_test(test_counters_wrap),
        cmocka_unit_test(test_ring_grows_and_wraps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
