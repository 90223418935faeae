/* SPDX-License-Identifier: MIT */
/* Tests of the SQLite privacy list ops (storage/sqlite_privacy.c) on real files, with faults. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>
#include <unistd.h>

#include "base.h"
#include "capture.h"
#include "fault_vfs.h"
#include "storage.h"
#include "tmp_store.h"

#define FAULT_MAX_RUNS 200

struct fx {
    char dir[256];
    char path[320];
    struct storage st;
};

static int fx_setup(void **state)
{
    struct fx *f = xcalloc(1, sizeof(*f));
    if (tmp_store_make(f->dir, sizeof(f->dir), f->path, sizeof(f->path), "privacy") != 0) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    if (f->st.impl)
        storage_close(&f->st);
    tmp_store_remove(f->dir);
    free(f);
    return 0;
}

static int fault_setup(void **state) { return tmp_store_fault_setup(state, fx_setup); }
static int fault_teardown(void **state) { return tmp_store_fault_teardown(state, fx_teardown); }

static void fx_open(struct fx *f) { assert_int_equal(storage_open_sqlite(&f->st, f->path), PL_OK); }

/* What privacy_load returned, flattened to "list:order:type:value:allow:kinds" lines. */
struct dump {
    char text[4096];
    size_t len;
};

static void dump_row(void *ctx, const struct privacy_row *r)
{
    struct dump *d = ctx;
    int n = snprintf(d->text + d->len, sizeof(d->text) - d->len, "%s:%u:%d:%s:%d:%u\n", r->list,
                     r->order, r->type, r->value ? r->value : "-", r->allow, r->kinds);
    assert_true(n > 0 && (size_t)n < sizeof(d->text) - d->len);
    d->len += (size_t)n;
}

/* Loads owner's lists; returns the default name (owned) and fills d. */
static char *load(struct storage *st, const char *owner, struct dump *d, int *rc)
{
    char *def = (char *)1;
    d->len = 0;
    d->text[0] = '\0';
    *rc = privacy_load(st, owner, &def, dump_row, d);
    return def;
}

static const struct privacy_row two_rows[] = {
    { "public", 3, 1, "bob@example.com", false, 15 },
    { "public", 68, 0, NULL, true, 15 },
};
static const struct privacy_row other_rows[] = {
    { "private", 10, 3, "both", true, 15 },
    { "private", 15, 0, NULL, false, 1 | 4 },
};

static void test_round_trip(void **state)
{
    struct fx *f = *state;
    struct dump d;
    int rc;
    fx_open(f);
    char *def = load(&f->st, "alice@x", &d, &rc);
    assert_int_equal(rc, PL_OK);
    assert_null(def);
    assert_string_equal(d.text, "");
    assert_int_equal(privacy_list_set(&f->st, "alice@x", "public", two_rows, 2), PL_OK);
    assert_int_equal(privacy_list_set(&f->st, "alice@x", "private", other_rows, 2), PL_OK);
    assert_int_equal(privacy_list_set(&f->st, "bob@x", "public", other_rows, 1), PL_OK);
    assert_int_equal(privacy_default_set(&f->st, "alice@x", "public"), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    def = load(&f->st, "alice@x", &d, &rc);
    assert_int_equal(rc, PL_OK);
    assert_string_equal(def, "public");
    free(def);
    assert_string_equal(d.text, "private:10:3:both:1:15\nprivate:15:0:-:0:5\n"
                                "public:3:1:bob@example.com:0:15\npublic:68:0:-:1:15\n");
    /* replace, remove, clear the default; survives a reopen */
    assert_int_equal(privacy_list_set(&f->st, "alice@x", "public", two_rows + 1, 1), PL_OK);
    assert_int_equal(privacy_list_set(&f->st, "alice@x", "private", NULL, 0), PL_OK);
    assert_int_equal(privacy_default_set(&f->st, "alice@x", NULL), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    storage_close(&f->st);
    fx_open(f);
    def = load(&f->st, "alice@x", &d, &rc);
    assert_null(def);
    assert_string_equal(d.text, "public:68:0:-:1:15\n");
    def = load(&f->st, "bob@x", &d, &rc);
    assert_null(def);
    assert_string_equal(d.text, "public:10:3:both:1:15\n");
}

/* A duplicate order is the caller's bug: refused whole, the old list stays. */
static void test_duplicate_order_refused_whole(void **state)
{
    struct fx *f = *state;
    struct dump d;
    int rc;
    struct capture cap;
    const struct privacy_row dup[] = { { "l", 1, 0, NULL, true, 15 },
                                       { "l", 1, 0, NULL, false, 15 } };
    fx_open(f);
    assert_int_equal(privacy_list_set(&f->st, "a@x", "l", two_rows, 2), PL_OK);
    capture_begin(&cap);
    rc = privacy_list_set(&f->st, "a@x", "l", dup, 2);
    free(capture_end(&cap));
    assert_int_not_equal(rc, PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    free(load(&f->st, "a@x", &d, &rc));
    assert_string_equal(d.text, "l:3:1:bob@example.com:0:15\nl:68:0:-:1:15\n");
}

/* Under an I/O fault at every point in turn, a list is stored whole or not at all, and what
 * was acknowledged (set and flush both PL_OK) is there after a reopen. */
static void test_list_set_under_faults(void **state)
{
    struct fx *f = *state;
    bool acked[FAULT_MAX_RUNS] = { false };
    char owner[32];
    struct capture cap;
    unsigned n;
    fx_open(f);
    capture_begin(&cap);
    for (n = 1; n < FAULT_MAX_RUNS; n++) {
        snprintf(owner, sizeof(owner), "u%u@x", n);
        fault_vfs_arm((int)n);
        int rc = privacy_list_set(&f->st, owner, "public", two_rows, 2);
        int frc = storage_flush(&f->st);
        bool fired = fault_vfs_fired();
        fault_vfs_arm(0);
        acked[n] = rc == PL_OK && frc == PL_OK;
        assert_true(fired || acked[n]);
        if (!fired)
            break;
    }
    free(capture_end(&cap));
    assert_in_range(n, 2, FAULT_MAX_RUNS - 1);
    storage_close(&f->st);
    fx_open(f);
    for (unsigned k = 1; k <= n; k++) {
        struct dump d;
        int rc;
        snprintf(owner, sizeof(owner), "u%u@x", k);
        free(load(&f->st, owner, &d, &rc));
        assert_int_equal(rc, PL_OK);
        if (acked[k])
            assert_string_equal(d.text, "public:3:1:bob@example.com:0:15\npublic:68:0:-:1:15\n");
        else
            assert_true(d.len == 0 || strcmp(d.text, "public:3:1:bob@example.com:0:15\n"
                                                      "public:68:0:-:1:15\n") == 0);
    }
    print_message("privacy list set+flush: %u fault points\n", n - 1);
}

static void create_account(struct storage *st, const char *bare)
{
    struct scram_creds c;
    memset(&c, 0, sizeof(c));
    c.salt_len = 16;
    c.iterations = SCRAM_MIN_ITERATIONS;
    memset(c.salt, 7, c.salt_len);
    assert_int_equal(account_create(st, bare, &c), PL_OK);
}

/* parleyctl deluser: the account's lists and default go with it; others stay. */
static void test_account_delete_takes_lists(void **state)
{
    struct fx *f = *state;
    struct dump d;
    int rc;
    fx_open(f);
    create_account(&f->st, "alice@x");
    create_account(&f->st, "bob@x");
    assert_int_equal(privacy_list_set(&f->st, "alice@x", "public", two_rows, 2), PL_OK);
    assert_int_equal(privacy_default_set(&f->st, "alice@x", "public"), PL_OK);
    assert_int_equal(privacy_list_set(&f->st, "bob@x", "private", other_rows, 2), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    assert_int_equal(account_delete(&f->st, "alice@x"), PL_OK);
    char *def = load(&f->st, "alice@x", &d, &rc);
    assert_int_equal(rc, PL_OK);
    assert_null(def);
    assert_string_equal(d.text, ""); /* a new alice@x would not inherit them */
    free(load(&f->st, "bob@x", &d, &rc));
    assert_string_equal(d.text, "private:10:3:both:1:15\nprivate:15:0:-:0:5\n");
}

/* A store from before migration 4, with rows of an account deleted back then: the upgrade
 * drops them and keeps those of live accounts. */
static void test_upgrade_drops_orphan_rows(void **state)
{
    struct fx *f = *state;
    struct dump d;
    int rc;
    fx_open(f);
    create_account(&f->st, "bob@x");
    assert_int_equal(privacy_list_set(&f->st, "bob@x", "private", other_rows, 1), PL_OK);
    assert_int_equal(privacy_list_set(&f->st, "gone@x", "public", two_rows, 2), PL_OK);
    assert_int_equal(privacy_default_set(&f->st, "gone@x", "public"), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    storage_close(&f->st);
    /* back to version 3: what later steps made goes too */
    raw_exec_file(f->path, "DROP TRIGGER privacy_account_gone; DROP TRIGGER offline_account_gone;"
                      " DROP TABLE offline_messages; DROP TRIGGER archive_account_gone;"
                      " DROP TABLE archive_index; DROP TABLE archive_msgs;"
                      " PRAGMA user_version = 3");
    fx_open(f);
    char *def = load(&f->st, "gone@x", &d, &rc);
    assert_null(def);
    assert_string_equal(d.text, "");
    free(load(&f->st, "bob@x", &d, &rc));
    assert_string_equal(d.text, "private:10:3:both:1:15\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_order_refused_whole, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_list_set_under_faults, fault_setup, fault_teardown),
        cmocka_unit_test_setup_teardown(test_account_delete_takes_lists, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_upgrade_drops_orphan_rows, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
