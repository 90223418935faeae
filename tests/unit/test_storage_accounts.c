/* SPDX-License-Identifier: MIT */
/* Tests of the SQLite storage backend's account ops (storage/sqlite_accounts.c): credentials,
 * listing, malformed rows, the logger, and whether any account exists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <limits.h>
#include <sqlite3.h>
#include <time.h>

#include "base.h"
#include "capture.h"
#include "scram.h"
#include "storage.h"
#include "storage_fx.h"

static const struct {
    const char *jid;
    unsigned seed;
    size_t salt_len;
    unsigned iterations;
} round_trips[] = {
    { "alice@example.com", 0, SCRAM_SALT_LEN, SCRAM_MIN_ITERATIONS }, /* bytes 0x00 inside */
    { "bob@example.com", 200, 1, UINT_MAX },
    { "\xc3\xa4lice@example.com", 9, 7, 100000 },
    { "example.com", 77, 12, 1 },
};

static void test_create_get_round_trip(void **state)
{
    struct fx *f = *state;
    struct scram_creds got;
    time_t t0 = time(NULL);

    fx_open(f);
    for (size_t i = 0; i < ARRAY_LEN(round_trips); i++) {
        struct scram_creds c = creds_fixed(round_trips[i].seed, round_trips[i].salt_len,
                                           round_trips[i].iterations);
        assert_int_equal(account_create(&f->st, round_trips[i].jid, &c), PL_OK);
    }
    for (size_t i = 0; i < ARRAY_LEN(round_trips); i++) {
        struct scram_creds c = creds_fixed(round_trips[i].seed, round_trips[i].salt_len,
                                           round_trips[i].iterations);
        memset(&got, 0xaa, sizeof(got));
        assert_int_equal(creds_get(&f->st, round_trips[i].jid, &got), PL_OK);
        assert_creds_equal(&got, &c);
    }
    sqlite3 *db = raw_open(f->path);
    assert_in_range(raw_int(db, "SELECT min(created) FROM accounts"), t0, time(NULL));
    assert_in_range(raw_int(db, "SELECT max(created) FROM accounts"), t0, time(NULL));
    sqlite3_close(db);
}

static void test_create_duplicate(void **state)
{
    struct fx *f = *state;
    struct scram_creds a = creds_for(1), b = creds_for(2), got;

    fx_open(f);
    assert_int_equal(account_create(&f->st, "a@x", &a), PL_OK);
    assert_int_equal(account_create(&f->st, "a@x", &b), PL_EEXIST);
    assert_int_equal(creds_get(&f->st, "a@x", &got), PL_OK);
    assert_creds_equal(&got, &a); /* the first account is untouched */
}

static void test_create_rejects_bad_creds(void **state)
{
    struct fx *f = *state;
    const struct scram_creds bad[] = {
        creds_fixed(1, 0, 4096),
        creds_fixed(1, SCRAM_SALT_LEN + 1, 4096),
        creds_fixed(1, 8, 0),
    };

    fx_open(f);
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        assert_int_equal(account_create(&f->st, "a@x", &bad[i]), PL_EINVAL);
        assert_int_equal(account_set_creds(&f->st, "a@x", &bad[i]), PL_EINVAL);
    }
    struct scram_creds got;
    assert_int_equal(creds_get(&f->st, "a@x", &got), PL_ENOTFOUND);
}

static void test_set_creds(void **state)
{
    struct fx *f = *state;
    struct scram_creds a = creds_for(1), b = creds_for(2), other = creds_for(3), got;

    fx_open(f);
    assert_int_equal(account_create(&f->st, "a@x", &a), PL_OK);
    assert_int_equal(account_create(&f->st, "b@x", &other), PL_OK);
    assert_int_equal(account_set_creds(&f->st, "a@x", &b), PL_OK);
    assert_int_equal(creds_get(&f->st, "a@x", &got), PL_OK);
    assert_creds_equal(&got, &b);
    assert_int_equal(creds_get(&f->st, "b@x", &got), PL_OK);
    assert_creds_equal(&got, &other);
}

static void test_delete(void **state)
{
    struct fx *f = *state;
    struct scram_creds a = creds_for(1), got;
    struct names l = { .n = 0 };

    fx_open(f);
    assert_int_equal(account_create(&f->st, "a@x", &a), PL_OK);
    assert_int_equal(account_create(&f->st, "b@x", &a), PL_OK);
    assert_int_equal(account_delete(&f->st, "a@x"), PL_OK);
    assert_int_equal(creds_get(&f->st, "a@x", &got), PL_ENOTFOUND);
    assert_int_equal(account_delete(&f->st, "a@x"), PL_ENOTFOUND);
    assert_int_equal(account_list(&f->st, names_collect, &l), PL_OK);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.v[0], "b@x");
    names_free(&l);
    /* The name is free again. */
    assert_int_equal(account_create(&f->st, "a@x", &a), PL_OK);
}

static void test_missing_account(void **state)
{
    struct fx *f = *state;
    struct scram_creds a = creds_for(1), got;
    const char *missing[] = { "nobody@x", "", "A@x", "a@x/r", "a@" };

    fx_open(f);
    assert_int_equal(account_create(&f->st, "a@x", &a), PL_OK);
    for (size_t i = 0; i < ARRAY_LEN(missing); i++) {
        assert_int_equal(creds_get(&f->st, missing[i], &got), PL_ENOTFOUND);
        assert_int_equal(account_set_creds(&f->st, missing[i], &a), PL_ENOTFOUND);
        assert_int_equal(account_delete(&f->st, missing[i]), PL_ENOTFOUND);
    }
    assert_int_equal(creds_get(&f->st, "a@x", &got), PL_OK);
}

static void test_list_in_jid_order(void **state)
{
    struct fx *f = *state;
    /* Inserted shuffled; expected in byte order of the prepared (UTF-8) bare JIDs. */
    const char *in[] = { "z@a", "ab@x", "\xc3\xa4@x", "a@x", "a.b@x", "example.com", "a@w" };
    const char *want[] = { "a.b@x", "a@w", "a@x", "ab@x", "example.com", "z@a", "\xc3\xa4@x" };
    struct scram_creds c = creds_for(1);
    struct names l = { .n = 0 };

    fx_open(f);
    assert_int_equal(account_list(&f->st, names_collect, &l), PL_OK);
    assert_int_equal(l.n, 0);
    for (size_t i = 0; i < ARRAY_LEN(in); i++)
        assert_int_equal(account_create(&f->st, in[i], &c), PL_OK);
    assert_int_equal(account_list(&f->st, names_collect, &l), PL_OK);
    assert_int_equal(l.n, ARRAY_LEN(want));
    for (size_t i = 0; i < ARRAY_LEN(want); i++)
        assert_string_equal(l.v[i], want[i]);
    names_free(&l);
}

/* A row callback that calls back into the store. */
struct reentry {
    struct storage *st;
    int inner_list_rc, get_rc;
    size_t rows;
};

static void reenter(void *ctx, const char *bare)
{
    struct reentry *r = ctx;
    struct scram_creds got;
    struct names l = { .n = 0 };

    r->rows++;
    r->get_rc = creds_get(r->st, bare, &got);
    r->inner_list_rc = account_list(r->st, names_collect, &l);
    names_free(&l);
}

static void test_list_callback_reentry(void **state)
{
    struct fx *f = *state;
    struct scram_creds c = creds_for(1);
    struct reentry r = { .st = &f->st };

    fx_open(f);
    assert_int_equal(account_create(&f->st, "a@x", &c), PL_OK);
    assert_int_equal(account_create(&f->st, "b@x", &c), PL_OK);
    capture_begin(&f->cap);
    int rc = account_list(&f->st, reenter, &r);
    char *err = capture_end(&f->cap);
    assert_int_equal(rc, PL_OK);
    assert_int_equal(r.rows, 2); /* the outer loop was not restarted */
    assert_int_equal(r.get_rc, PL_OK);
    assert_int_equal(r.inner_list_rc, PL_EIO);
    assert_non_null(strstr(err, "re-entrant"));
    free(err);
}

/* Rows another tool wrote badly are refused rather than handed to SCRAM. */
static const char *const corrupt_rows[] = {
    "UPDATE accounts SET salt = x''",
    "UPDATE accounts SET salt = zeroblob(17)",
    "UPDATE accounts SET iterations = 0",
    "UPDATE accounts SET iterations = 4294967296",
    "UPDATE accounts SET iterations = 'many'",
    "UPDATE accounts SET stored_key_sha1 = x'0102'",
    "UPDATE accounts SET server_key_sha1 = zeroblob(32)",
    "UPDATE accounts SET stored_key_sha256 = zeroblob(20)",
    "UPDATE accounts SET server_key_sha256 = 'abcdefghijklmnopqrstuvwxyz012345'",
};

static void test_corrupt_row(void **state)
{
    struct fx *f = *state;
    struct scram_creds c = creds_for(1), got;

    fx_open(f);
    assert_int_equal(account_create(&f->st, "a@x", &c), PL_OK);
    sqlite3 *db = raw_open(f->path);
    for (size_t i = 0; i < ARRAY_LEN(corrupt_rows); i++) {
        assert_int_equal(account_set_creds(&f->st, "a@x", &c), PL_OK); /* repair, then spoil */
        raw_exec(db, corrupt_rows[i]);
        capture_begin(&f->cap);
        int rc = creds_get(&f->st, "a@x", &got);
        char *err = capture_end(&f->cap);
        assert_int_equal(rc, PL_EIO);
        assert_non_null(strstr(err, "storage: account a@x: stored credentials are malformed"));
        free(err);
    }
    sqlite3_close(db);
}

/* What a logger set before opening receives: every message, with its level, and no stderr. */
struct logged {
    enum storage_log_level level[4];
    char msg[4][256];
    size_t n;
};

static void log_into(void *ctx, enum storage_log_level level, const char *msg)
{
    struct logged *l = ctx;
    if (l->n < ARRAY_LEN(l->level)) {
        l->level[l->n] = level;
        snprintf(l->msg[l->n], sizeof(l->msg[l->n]), "%s", msg);
    }
    l->n++;
}

static void test_logger_gets_errors(void **state)
{
    struct fx *f = *state;
    struct scram_creds c = creds_for(1), got;
    struct logged l = { .n = 0 };

    f->st.log = (struct storage_logger){ log_into, &l };
    fx_open(f);
    assert_int_equal(account_create(&f->st, "a@x", &c), PL_OK);
    sqlite3 *db = raw_open(f->path);
    raw_exec(db, corrupt_rows[0]);
    sqlite3_close(db);
    capture_begin(&f->cap);
    int rc = creds_get(&f->st, "a@x", &got);
    char *err = capture_end(&f->cap);
    assert_int_equal(rc, PL_EIO);
    assert_string_equal(err, "");
    assert_int_equal(l.n, 1);
    assert_int_equal(l.level[0], STORAGE_LOG_ERROR);
    assert_string_equal(l.msg[0], "account a@x: stored credentials are malformed");
    free(err);
}

static void test_accounts_exist(void **state)
{
    struct fx *f = *state;
    struct scram_creds c = creds_for(1);
    bool any = true;

    fx_open(f);
    assert_int_equal(accounts_exist(&f->st, &any), PL_OK);
    assert_false(any);
    assert_int_equal(account_create(&f->st, "a@x", &c), PL_OK);
    assert_int_equal(account_create(&f->st, "b@x", &c), PL_OK);
    assert_int_equal(accounts_exist(&f->st, &any), PL_OK);
    assert_true(any);
    assert_int_equal(account_delete(&f->st, "a@x"), PL_OK);
    assert_int_equal(account_delete(&f->st, "b@x"), PL_OK);
    assert_int_equal(accounts_exist(&f->st, &any), PL_OK);
    assert_false(any);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_get_round_trip, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_create_duplicate, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_create_rejects_bad_creds, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_set_creds, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_delete, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_missing_account, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_list_in_jid_order, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_list_callback_reentry, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_row, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_logger_gets_errors, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_accounts_exist, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
