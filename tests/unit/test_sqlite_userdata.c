/* SPDX-License-Identifier: MIT */
/* Tests of the SQLite account data ops (storage/sqlite_userdata.c): fragments by kind and
 * name, replacement and removal, counts, accounts apart, a rollback, persistence, and the
 * fragments going with a deleted account. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base.h"
#include "storage_fx.h"

static void assert_fragment(struct storage *st, const char *owner, enum userdata_kind kind,
                            const char *name, const char *want)
{
    char *xml = NULL;
    int rc = userdata_get(st, owner, kind, name, &xml);
    assert_stored_text(rc, xml, want);
}

static long long count(struct storage *st, const char *owner, enum userdata_kind kind)
{
    long long n = -1;
    assert_int_equal(userdata_count(st, owner, kind, &n), PL_OK);
    return n;
}

static void test_userdata_kinds_names_owners(void **state)
{
    struct fx *f = *state;
    fx_open(f);
    struct storage *st = &f->st;
    assert_fragment(st, "a@x", USERDATA_VCARD, "", NULL);
    assert_int_equal(userdata_put(st, "a@x", USERDATA_VCARD, "", "<vCard/>"), PL_OK);
    assert_int_equal(userdata_put(st, "a@x", USERDATA_PRIVATE, "{u:p}p", "<p xmlns='u:p'/>"),
                     PL_OK);
    assert_int_equal(userdata_put(st, "a@x", USERDATA_PRIVATE, "{u:q}q", "<q xmlns='u:q'/>"),
                     PL_OK);
    assert_int_equal(userdata_put(st, "b@x", USERDATA_PRIVATE, "{u:p}p", "<p xmlns='u:p'>b</p>"),
                     PL_OK);
    assert_int_equal(storage_flush(st), PL_OK);
    assert_fragment(st, "a@x", USERDATA_VCARD, "", "<vCard/>");
    assert_fragment(st, "a@x", USERDATA_PRIVATE, "", NULL); /* kinds stay apart */
    assert_fragment(st, "b@x", USERDATA_PRIVATE, "{u:p}p", "<p xmlns='u:p'>b</p>");
    assert_int_equal(count(st, "a@x", USERDATA_PRIVATE), 2);
    assert_int_equal(count(st, "a@x", USERDATA_VCARD), 1);
    assert_int_equal(count(st, "c@x", USERDATA_PRIVATE), 0);
    assert_int_equal(userdata_put(st, "a@x", USERDATA_PRIVATE, "{u:p}p", "<p xmlns='u:p'>2</p>"),
                     PL_OK);
    assert_int_equal(userdata_put(st, "a@x", USERDATA_PRIVATE, "{u:q}q", NULL), PL_OK);
    assert_int_equal(userdata_put(st, "a@x", USERDATA_PRIVATE, "{u:none}n", NULL), PL_OK);
    assert_int_equal(storage_flush(st), PL_OK);
    assert_fragment(st, "a@x", USERDATA_PRIVATE, "{u:p}p", "<p xmlns='u:p'>2</p>");
    assert_fragment(st, "a@x", USERDATA_PRIVATE, "{u:q}q", NULL);
    assert_int_equal(count(st, "a@x", USERDATA_PRIVATE), 1);
}

static void test_userdata_rollback_and_reopen(void **state)
{
    struct fx *f = *state;
    fx_open(f);
    assert_int_equal(userdata_put(&f->st, "a@x", USERDATA_VCARD, "", "<vCard>1</vCard>"), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    assert_int_equal(userdata_put(&f->st, "a@x", USERDATA_VCARD, "", "<vCard>2</vCard>"), PL_OK);
    assert_int_equal(storage_rollback(&f->st), PL_OK);
    assert_fragment(&f->st, "a@x", USERDATA_VCARD, "", "<vCard>1</vCard>");
    storage_close(&f->st);
    fx_open(f);
    assert_fragment(&f->st, "a@x", USERDATA_VCARD, "", "<vCard>1</vCard>");
}

static void test_userdata_goes_with_the_account(void **state)
{
    struct fx *f = *state;
    fx_open(f);
    struct scram_creds c = creds_for(1);
    assert_int_equal(account_create(&f->st, "a@x", &c), PL_OK);
    assert_int_equal(userdata_put(&f->st, "a@x", USERDATA_VCARD, "", "<vCard/>"), PL_OK);
    assert_int_equal(userdata_put(&f->st, "a@x", USERDATA_PRIVATE, "{u:p}p", "<p/>"), PL_OK);
    assert_int_equal(userdata_put(&f->st, "b@x", USERDATA_VCARD, "", "<vCard>b</vCard>"), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    assert_int_equal(account_delete(&f->st, "a@x"), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    assert_fragment(&f->st, "a@x", USERDATA_VCARD, "", NULL);
    assert_int_equal(count(&f->st, "a@x", USERDATA_PRIVATE), 0);
    assert_fragment(&f->st, "b@x", USERDATA_VCARD, "", "<vCard>b</vCard>");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_userdata_kinds_names_owners, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_userdata_rollback_and_reopen, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_userdata_goes_with_the_account, fx_setup,
                                        fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
