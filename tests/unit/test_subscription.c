/* SPDX-License-Identifier: MIT */
/* RFC 6121 Appendix A, row by row, against the subscription table (roster/subscription.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "subscription.h"

#define NONE 0u
#define N_PO SUB_PENDING_OUT
#define N_PI SUB_PENDING_IN
#define N_POPI (SUB_PENDING_OUT | SUB_PENDING_IN)
#define TO SUB_TO
#define TO_PI (SUB_TO | SUB_PENDING_IN)
#define FROM SUB_FROM
#define FROM_PO (SUB_FROM | SUB_PENDING_OUT)
#define BOTH (SUB_TO | SUB_FROM)
#define R SUB_ACT_ROUTE
#define AUTO SUB_ACT_AUTOREPLY

struct row {
    const char *where; /* the Appendix A table the row comes from */
    enum sub_event ev;
    unsigned from, to, actions;
};

static const struct row rows[] = {
    /* A.2.1 outbound subscribe: always routed */
    { "A.2.1", SUB_OUT_SUBSCRIBE, NONE, N_PO, R },
    { "A.2.1", SUB_OUT_SUBSCRIBE, N_PO, N_PO, R },
    { "A.2.1", SUB_OUT_SUBSCRIBE, N_PI, N_POPI, R },
    { "A.2.1", SUB_OUT_SUBSCRIBE, N_POPI, N_POPI, R },
    { "A.2.1", SUB_OUT_SUBSCRIBE, TO, TO, R },
    { "A.2.1", SUB_OUT_SUBSCRIBE, TO_PI, TO_PI, R },
    { "A.2.1", SUB_OUT_SUBSCRIBE, FROM, FROM_PO, R },
    { "A.2.1", SUB_OUT_SUBSCRIBE, FROM_PO, FROM_PO, R },
    { "A.2.1", SUB_OUT_SUBSCRIBE, BOTH, BOTH, R },
    /* A.2.2 outbound subscribed: routed only when it answers a pending request */
    { "A.2.2", SUB_OUT_SUBSCRIBED, NONE, NONE | SUB_APPROVED, 0 },
    { "A.2.2", SUB_OUT_SUBSCRIBED, N_PO, N_PO | SUB_APPROVED, 0 },
    { "A.2.2", SUB_OUT_SUBSCRIBED, N_PI, FROM, R },
    { "A.2.2", SUB_OUT_SUBSCRIBED, N_POPI, FROM_PO, R },
    { "A.2.2", SUB_OUT_SUBSCRIBED, TO, TO | SUB_APPROVED, 0 },
    { "A.2.2", SUB_OUT_SUBSCRIBED, TO_PI, BOTH, R },
    { "A.2.2", SUB_OUT_SUBSCRIBED, FROM, FROM, 0 },
    { "A.2.2", SUB_OUT_SUBSCRIBED, FROM_PO, FROM_PO, 0 },
    { "A.2.2", SUB_OUT_SUBSCRIBED, BOTH, BOTH, 0 },
    /* A.2.3 outbound unsubscribe */
    { "A.2.3", SUB_OUT_UNSUBSCRIBE, NONE, NONE, R },
    { "A.2.3", SUB_OUT_UNSUBSCRIBE, N_PO, NONE, R },
    { "A.2.3", SUB_OUT_UNSUBSCRIBE, N_PI, N_PI, R },
    { "A.2.3", SUB_OUT_UNSUBSCRIBE, N_POPI, N_PI, R },
    { "A.2.3", SUB_OUT_UNSUBSCRIBE, TO, NONE, R },
    { "A.2.3", SUB_OUT_UNSUBSCRIBE, TO_PI, N_PI, R },
    { "A.2.3", SUB_OUT_UNSUBSCRIBE, FROM, FROM, R },
    { "A.2.3", SUB_OUT_UNSUBSCRIBE, FROM_PO, FROM, R },
    { "A.2.3", SUB_OUT_UNSUBSCRIBE, BOTH, FROM, R },
    /* A.2.4 outbound unsubscribed */
    { "A.2.4", SUB_OUT_UNSUBSCRIBED, NONE, NONE, R },
    { "A.2.4", SUB_OUT_UNSUBSCRIBED, N_PO, N_PO, R },
    { "A.2.4", SUB_OUT_UNSUBSCRIBED, N_PI, NONE, R },
    { "A.2.4", SUB_OUT_UNSUBSCRIBED, N_POPI, N_PO, R },
    { "A.2.4", SUB_OUT_UNSUBSCRIBED, TO, TO, R },
    { "A.2.4", SUB_OUT_UNSUBSCRIBED, TO_PI, TO, R },
    { "A.2.4", SUB_OUT_UNSUBSCRIBED, FROM, NONE, R },
    { "A.2.4", SUB_OUT_UNSUBSCRIBED, FROM_PO, N_PO, R },
    { "A.2.4", SUB_OUT_UNSUBSCRIBED, BOTH, TO, R },
    /* A.3.1 inbound subscribe: delivered, or answered at once when already granted */
    { "A.3.1", SUB_IN_SUBSCRIBE, NONE, N_PI, R },
    { "A.3.1", SUB_IN_SUBSCRIBE, N_PO, N_POPI, R },
    { "A.3.1", SUB_IN_SUBSCRIBE, N_PI, N_PI, 0 },
    { "A.3.1", SUB_IN_SUBSCRIBE, N_POPI, N_POPI, 0 },
    { "A.3.1", SUB_IN_SUBSCRIBE, TO, TO_PI, R },
    { "A.3.1", SUB_IN_SUBSCRIBE, TO_PI, TO_PI, 0 },
    { "A.3.1", SUB_IN_SUBSCRIBE, FROM, FROM, AUTO },
    { "A.3.1", SUB_IN_SUBSCRIBE, FROM_PO, FROM_PO, AUTO },
    { "A.3.1", SUB_IN_SUBSCRIBE, BOTH, BOTH, AUTO },
    /* §3.4 pre-approval: the request is answered and the contact gets From */
    { "3.4", SUB_IN_SUBSCRIBE, NONE | SUB_APPROVED, FROM, AUTO },
    { "3.4", SUB_IN_SUBSCRIBE, N_PO | SUB_APPROVED, FROM_PO, AUTO },
    { "3.4", SUB_IN_SUBSCRIBE, TO | SUB_APPROVED, BOTH, AUTO },
    { "3.4", SUB_OUT_UNSUBSCRIBED, NONE | SUB_APPROVED, NONE, R },
    /* A.3.2 inbound subscribed */
    { "A.3.2", SUB_IN_SUBSCRIBED, NONE, NONE, 0 },
    { "A.3.2", SUB_IN_SUBSCRIBED, N_PO, TO, R },
    { "A.3.2", SUB_IN_SUBSCRIBED, N_PI, N_PI, 0 },
    { "A.3.2", SUB_IN_SUBSCRIBED, N_POPI, TO_PI, R },
    { "A.3.2", SUB_IN_SUBSCRIBED, TO, TO, 0 },
    { "A.3.2", SUB_IN_SUBSCRIBED, TO_PI, TO_PI, 0 },
    { "A.3.2", SUB_IN_SUBSCRIBED, FROM, FROM, 0 },
    { "A.3.2", SUB_IN_SUBSCRIBED, FROM_PO, BOTH, R },
    { "A.3.2", SUB_IN_SUBSCRIBED, BOTH, BOTH, 0 },
    /* A.3.3 inbound unsubscribe */
    { "A.3.3", SUB_IN_UNSUBSCRIBE, NONE, NONE, 0 },
    { "A.3.3", SUB_IN_UNSUBSCRIBE, N_PO, N_PO, 0 },
    { "A.3.3", SUB_IN_UNSUBSCRIBE, N_PI, NONE, R },
    { "A.3.3", SUB_IN_UNSUBSCRIBE, N_POPI, N_PO, R },
    { "A.3.3", SUB_IN_UNSUBSCRIBE, TO, TO, 0 },
    { "A.3.3", SUB_IN_UNSUBSCRIBE, TO_PI, TO, R },
    { "A.3.3", SUB_IN_UNSUBSCRIBE, FROM, NONE, R },
    { "A.3.3", SUB_IN_UNSUBSCRIBE, FROM_PO, N_PO, R },
    { "A.3.3", SUB_IN_UNSUBSCRIBE, BOTH, TO, R },
    /* A.3.4 inbound unsubscribed */
    { "A.3.4", SUB_IN_UNSUBSCRIBED, NONE, NONE, 0 },
    { "A.3.4", SUB_IN_UNSUBSCRIBED, N_PO, NONE, R },
    { "A.3.4", SUB_IN_UNSUBSCRIBED, N_PI, N_PI, 0 },
    { "A.3.4", SUB_IN_UNSUBSCRIBED, N_POPI, N_PI, R },
    { "A.3.4", SUB_IN_UNSUBSCRIBED, TO, NONE, R },
    { "A.3.4", SUB_IN_UNSUBSCRIBED, TO_PI, N_PI, R },
    { "A.3.4", SUB_IN_UNSUBSCRIBED, FROM, FROM, 0 },
    { "A.3.4", SUB_IN_UNSUBSCRIBED, FROM_PO, FROM, R },
    { "A.3.4", SUB_IN_UNSUBSCRIBED, BOTH, FROM, R },
};

static void test_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct row *r = &rows[i];
        struct sub_result got = subscription_apply(r->from, r->ev);
        if (got.state != r->to || got.actions != r->actions)
            fail_msg("%s row %zu (event %d, state %#x): got state %#x actions %#x, want %#x %#x",
                     r->where, i, (int)r->ev, r->from, got.state, got.actions, r->to,
                     r->actions);
    }
}

/* Every event over every bit combination lands on one of the nine states (plus approval). */
static void test_closed(void **state)
{
    (void)state;
    for (unsigned bits = 0; bits < 32; bits++) {
        for (int ev = 0; ev < SUB_EVENT_COUNT; ev++) {
            unsigned s = subscription_apply(bits, (enum sub_event)ev).state;
            assert_false((s & SUB_TO) && (s & SUB_PENDING_OUT));
            assert_false((s & SUB_FROM) && (s & SUB_PENDING_IN));
            assert_false((s & SUB_FROM) && (s & SUB_APPROVED));
        }
    }
    struct sub_result bad = subscription_apply(FROM, SUB_EVENT_COUNT);
    assert_int_equal(bad.state, FROM);
    assert_int_equal(bad.actions, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_closed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
