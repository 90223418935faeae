/* SPDX-License-Identifier: MIT */
/* Tests of the churn scenario's hold draw (bench/scen_churn.c): the bounds the soak relies on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "run.h"

/* Every session's hold lies in [hold/2, 3hold/2): sessions spread out instead of leaving in
 * waves, and none outlives the cycle timeout the suite derives from the longest hold. */
static void test_hold_bounds(void **state)
{
    (void)state;
    assert_int_equal(churn_hold_us(20, 0), 10000000);
    assert_int_equal(churn_hold_us(0, UINT64_MAX), 0);
    uint64_t top = churn_hold_us(20, UINT64_MAX);
    assert_true(top < 30000000 && top > 29999000);
    assert_int_equal(churn_hold_us(20, 1ull << 63), 20000000); /* the middle draw */
    uint64_t x = 88172645463325252ull, lo = UINT64_MAX, hi = 0;
    for (int i = 0; i < 100000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint64_t h = churn_hold_us(2, x);
        lo = h < lo ? h : lo;
        hi = h > hi ? h : hi;
    }
    assert_true(lo >= 1000000 && lo < 1010000); /* the whole range is used */
    assert_true(hi < 3000000 && hi > 2990000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hold_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
