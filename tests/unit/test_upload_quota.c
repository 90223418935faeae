/* SPDX-License-Identifier: MIT */
/* Tests of upload/quota.c: what files and open slots charge an account, slots found, closed,
 * pruned in expiry order, and everything of a deleted account forgotten. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base.h"
#include "upload.h"

static int setup(void **state)
{
    static struct upload up;
    memset(&up, 0, sizeof(up));
    up.opts.slot_timeout = 300;
    hmap_init(&up.slots);
    hmap_init(&up.owners);
    *state = &up;
    return 0;
}

static int teardown(void **state)
{
    upload_quota_fini(*state);
    return 0;
}

static void test_charges(void **state)
{
    struct upload *up = *state;
    assert_true(upload_charge(0) == UPLOAD_MIN_CHARGE && upload_charge(1) == UPLOAD_MIN_CHARGE);
    assert_true(upload_charge(5000) == 5000);
    upload_owner_account(up, "a@x", 10000, true);
    upload_owner_account(up, "a@x", 10, true);
    struct upload_owner *o = upload_owner_get(up, "a@x", false);
    assert_non_null(o);
    assert_true(o->stored == 10000 + UPLOAD_MIN_CHARGE);
    upload_owner_account(up, "a@x", 10000, false);
    upload_owner_account(up, "a@x", 10, false);
    assert_null(upload_owner_get(up, "a@x", false)); /* nothing charged: forgotten */
    upload_owner_account(up, "b@x", 10, false); /* giving back what was never charged */
    assert_null(upload_owner_get(up, "b@x", false));
}

static void test_slots(void **state)
{
    struct upload *up = *state;
    struct upload_owner *o = upload_owner_get(up, "a@x", true);
    struct upload_slot *s1 = upload_slot_open(up, o, "one", NULL, 100);
    struct upload_slot *s2 = upload_slot_open(up, o, "two", "text/plain", 9000);
    assert_non_null(s1);
    assert_non_null(s2);
    assert_true(upload_token_ok(s1->token, strlen(s1->token)));
    assert_string_not_equal(s1->token, s2->token);
    assert_true(o->n_slots == 2 && o->reserved == UPLOAD_MIN_CHARGE + 9000);
    assert_ptr_equal(upload_slot_find(up, s2->token), s2);
    upload_slot_close(up, s1);
    assert_true(o->n_slots == 1 && o->reserved == 9000);
    assert_ptr_equal(up->oldest, s2);
    assert_ptr_equal(up->newest, s2);
    upload_owner_account(up, "a@x", 9000, true); /* the PUT: stored, then the slot goes */
    upload_slot_close(up, s2);
    assert_ptr_equal(upload_owner_get(up, "a@x", false), o);
    assert_true(o->stored == 9000 && o->reserved == 0 && o->n_slots == 0);
    assert_null(up->oldest);
}

static void test_prune_in_expiry_order(void **state)
{
    struct upload *up = *state;
    struct upload_owner *o = upload_owner_get(up, "a@x", true);
    up->opts.slot_timeout = 0; /* expired as soon as opened */
    struct upload_slot *gone = upload_slot_open(up, o, "old", NULL, 1);
    char token[UPLOAD_TOKEN_LEN + 1];
    strcpy(token, gone->token);
    up->opts.slot_timeout = 300;
    struct upload_slot *kept = upload_slot_open(up, o, "new", NULL, 1);
    assert_null(upload_slot_find(up, token));
    assert_ptr_equal(upload_slot_find(up, kept->token), kept);
    assert_true(o->n_slots == 1);
}

static void test_forget(void **state)
{
    struct upload *up = *state;
    struct upload_owner *a = upload_owner_get(up, "a@x", true);
    struct upload_owner *b = upload_owner_get(up, "b@x", true);
    upload_slot_open(up, a, "1", NULL, 1);
    struct upload_slot *keep = upload_slot_open(up, b, "2", NULL, 1);
    upload_slot_open(up, a, "3", NULL, 1);
    upload_owner_account(up, "a@x", 50000, true);
    upload_owner_forget(up, "a@x");
    assert_null(upload_owner_get(up, "a@x", false));
    assert_ptr_equal(up->oldest, keep);
    assert_ptr_equal(up->newest, keep);
    assert_true(b->n_slots == 1);
    upload_owner_forget(up, "nobody@x");
    upload_owner_account(up, "c@x", 10, true);
    upload_owner_forget(up, "c@x"); /* files only, no slots */
    assert_null(upload_owner_get(up, "c@x", false));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_charges, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slots, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prune_in_expiry_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forget, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
