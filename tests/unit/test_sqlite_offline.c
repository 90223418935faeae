/* SPDX-License-Identifier: MIT */
/* Tests of the SQLite offline message ops (storage/sqlite_offline.c) on real files, with faults. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "base.h"
#include "fault_vfs.h"
#include "sqlite_int.h"
#include "storage_fx.h"
#include "tmp_store.h"

#define FAULT_MAX_RUNS 200

static int fault_setup(void **state) { return tmp_store_fault_setup(state, fx_setup); }
static int fault_teardown(void **state) { return tmp_store_fault_teardown(state, fx_teardown); }

/* The body of message n, recognisable in what offline_load gives back. */
static void msg_xml(char *out, size_t size, unsigned n)
{
    snprintf(out, size, "<message to='a@x'><body>m%u &amp; \xc3\xa9</body></message>", n);
}

/* Stores message n for owner with stanza-id sid (NULL: none). */
static int put(struct storage *st, const char *owner, unsigned n, const char *sid)
{
    char xml[128];
    msg_xml(xml, sizeof(xml), n);
    struct offline_row row = {
        .stamp = 1700000000 + n, .stanza_id = sid, .xml = xml, .xml_len = strlen(xml)
    };
    return offline_put(st, owner, &row);
}

/* What offline_load gave: the message numbers in order, and the last id seen. */
struct slice {
    unsigned n[64];
    long long id[64];
    size_t len;
};

static void collect(void *ctx, const struct offline_row *r)
{
    struct slice *s = ctx;
    unsigned n;
    assert_true(s->len < ARRAY_LEN(s->n));
    assert_int_equal(r->xml_len, strlen(r->xml));
    assert_int_equal(sscanf(r->xml, "<message to='a@x'><body>m%u", &n), 1);
    char want[128];
    msg_xml(want, sizeof(want), n);
    assert_string_equal(r->xml, want);
    assert_int_equal(r->stamp, 1700000000 + n);
    assert_true(s->len == 0 || r->id > s->id[s->len - 1]);
    s->n[s->len] = n;
    s->id[s->len++] = r->id;
}

static struct slice load(struct storage *st, const char *owner, long long after, size_t max)
{
    struct slice s = { .len = 0 };
    assert_int_equal(offline_load(st, owner, after, max, collect, &s), PL_OK);
    return s;
}

static size_t count(struct storage *st, const char *owner)
{
    size_t n = 99;
    assert_int_equal(offline_count(st, owner, &n), PL_OK);
    return n;
}

/* Slices in arrival order after an id, bounded; per-owner counts; delete up to an id. */
static void test_slices_in_order(void **state)
{
    struct fx *f = *state;
    fx_open(f);
    assert_int_equal(count(&f->st, "a@x"), 0);
    assert_int_equal(load(&f->st, "a@x", 0, 10).len, 0);
    for (unsigned n = 1; n <= 7; n++) {
        assert_int_equal(put(&f->st, "a@x", n, NULL), PL_OK);
        if (n == 3)
            assert_int_equal(put(&f->st, "b@x", 100, NULL), PL_OK);
    }
    assert_int_equal(storage_flush(&f->st), PL_OK);
    assert_int_equal(count(&f->st, "a@x"), 7);
    assert_int_equal(count(&f->st, "b@x"), 1);
    struct slice s = load(&f->st, "a@x", 0, 3);
    assert_int_equal(s.len, 3);
    assert_int_equal(s.n[0] * 100 + s.n[1] * 10 + s.n[2], 123);
    struct slice t = load(&f->st, "a@x", s.id[2], 3);
    assert_int_equal(t.n[0] * 100 + t.n[1] * 10 + t.n[2], 456);
    struct slice u = load(&f->st, "a@x", t.id[2], 3);
    assert_int_equal(u.len, 1);
    assert_int_equal(u.n[0], 7);
    /* delete the first slice: the rest stays, in order, and b's row is untouched */
    assert_int_equal(offline_delete(&f->st, "a@x", s.id[2]), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    assert_int_equal(count(&f->st, "a@x"), 4);
    assert_int_equal(count(&f->st, "b@x"), 1);
    struct slice all = load(&f->st, "a@x", 0, 64);
    assert_int_equal(all.len, 4);
    assert_int_equal(all.n[0], 4);
    assert_int_equal(all.id[0], t.id[0]);
    /* survives a reopen; ids go on growing after every row went */
    assert_int_equal(offline_delete(&f->st, "a@x", u.id[0]), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    storage_close(&f->st);
    fx_open(f);
    assert_int_equal(count(&f->st, "a@x"), 0);
    assert_int_equal(put(&f->st, "a@x", 8, NULL), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    struct slice v = load(&f->st, "a@x", 0, 64);
    assert_int_equal(v.len, 1);
    assert_true(v.id[0] > u.id[0]);
}

/* The same stanza-id for the same owner is stored once; the batch goes on after the clash. */
static void test_stanza_id_stored_once(void **state)
{
    struct fx *f = *state;
    fx_open(f);
    assert_int_equal(put(&f->st, "a@x", 1, "sid-1"), PL_OK);
    assert_int_equal(put(&f->st, "a@x", 2, "sid-1"), PL_EEXIST);
    assert_int_equal(put(&f->st, "a@x", 3, NULL), PL_OK);
    assert_int_equal(put(&f->st, "a@x", 4, NULL), PL_OK); /* no id: never a clash */
    assert_int_equal(put(&f->st, "b@x", 5, "sid-1"), PL_OK); /* another owner's */
    assert_int_equal(storage_flush(&f->st), PL_OK);
    assert_int_equal(put(&f->st, "a@x", 6, "sid-1"), PL_EEXIST); /* in a later batch too */
    assert_int_equal(storage_flush(&f->st), PL_OK);
    struct slice s = load(&f->st, "a@x", 0, 64);
    assert_int_equal(s.len, 3);
    assert_int_equal(s.n[0] * 100 + s.n[1] * 10 + s.n[2], 134);
    assert_int_equal(count(&f->st, "b@x"), 1);
}

/* parleyctl deluser: the account's messages go with it; others stay. */
static void test_account_delete_takes_messages(void **state)
{
    struct fx *f = *state;
    fx_open(f);
    struct scram_creds c = creds_for(1);
    assert_int_equal(account_create(&f->st, "a@x", &c), PL_OK);
    assert_int_equal(account_create(&f->st, "b@x", &c), PL_OK);
    assert_int_equal(put(&f->st, "a@x", 1, "s"), PL_OK);
    assert_int_equal(put(&f->st, "b@x", 2, "s"), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    assert_int_equal(account_delete(&f->st, "a@x"), PL_OK);
    assert_int_equal(count(&f->st, "a@x"), 0);
    assert_int_equal(count(&f->st, "b@x"), 1);
    sqlite3 *db = raw_open(f->path);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM offline_messages"), 1);
    sqlite3_close(db);
}

/* Under an I/O fault at every point in turn, put + flush stores the message whole or not at
 * all, and what was acknowledged (both PL_OK) is there after a reopen. */
static void test_put_under_faults(void **state)
{
    struct fx *f = *state;
    bool acked[FAULT_MAX_RUNS] = { false };
    char owner[32];
    unsigned n;
    fx_open(f);
    capture_begin(&f->cap);
    for (n = 1; n < FAULT_MAX_RUNS; n++) {
        snprintf(owner, sizeof(owner), "u%u@x", n);
        fault_vfs_arm((int)n);
        int rc = put(&f->st, owner, n, "sid");
        int frc = storage_flush(&f->st);
        bool fired = fault_vfs_fired();
        fault_vfs_arm(0);
        acked[n] = rc == PL_OK && frc == PL_OK;
        assert_true(fired || acked[n]);
        assert_true(sqlite3_get_autocommit(sq_store(&f->st)->db)); /* nothing left open */
        if (!fired)
            break;
    }
    free(capture_end(&f->cap));
    assert_in_range(n, 2, FAULT_MAX_RUNS - 1);
    storage_close(&f->st);
    fx_open(f);
    unsigned lost = 0;
    for (unsigned k = 1; k <= n; k++) {
        snprintf(owner, sizeof(owner), "u%u@x", k);
        struct slice s = load(&f->st, owner, 0, 64);
        assert_true(s.len <= 1);
        assert_true(s.len == 1 || !acked[k]);
        if (s.len == 1)
            assert_int_equal(s.n[0], k);
        lost += s.len == 0;
    }
    print_message("offline put+flush: %u fault points, %u not stored\n", n - 1, lost);
    assert_true(lost > 0);
}

/* Stores messages 1..6 for owner (unarmed) and returns the id of the third. */
static long long put_six(struct storage *st, const char *owner)
{
    for (unsigned k = 1; k <= 6; k++)
        assert_int_equal(put(st, owner, k, NULL), PL_OK);
    assert_int_equal(storage_flush(st), PL_OK);
    return load(st, owner, 0, 3).id[2];
}

/* Under an I/O fault at every point in turn, delete + flush removes the slice whole or not at
 * all; load and count answer PL_EIO or the truth, and the connection keeps working. */
static void test_delete_and_reads_under_faults(void **state)
{
    struct fx *f = *state;
    bool acked[FAULT_MAX_RUNS] = { false };
    char owner[32];
    unsigned n;
    fx_open(f);
    capture_begin(&f->cap);
    for (n = 1; n < FAULT_MAX_RUNS; n++) {
        struct slice s = { .len = 0 };
        size_t c = 0;
        snprintf(owner, sizeof(owner), "u%u@x", n);
        long long third = put_six(&f->st, owner);
        fault_vfs_arm((int)n);
        int lrc = offline_load(&f->st, owner, 0, 64, collect, &s);
        int crc = offline_count(&f->st, owner, &c);
        int rc = offline_delete(&f->st, owner, third);
        int frc = storage_flush(&f->st);
        bool fired = fault_vfs_fired();
        fault_vfs_arm(0);
        acked[n] = rc == PL_OK && frc == PL_OK;
        assert_true(fired || (lrc == PL_OK && crc == PL_OK && acked[n]));
        assert_true(lrc != PL_OK || s.len == 6);
        assert_true(crc != PL_OK || c == 6);
        size_t now = count(&f->st, owner);
        assert_true(now == 3 || (now == 6 && !acked[n]));
        if (!fired)
            break;
    }
    free(capture_end(&f->cap));
    assert_in_range(n, 2, FAULT_MAX_RUNS - 1);
    storage_close(&f->st);
    fx_open(f);
    unsigned kept = 0;
    for (unsigned k = 1; k <= n; k++) {
        snprintf(owner, sizeof(owner), "u%u@x", k);
        struct slice rest = load(&f->st, owner, 0, 64);
        assert_true(rest.len == 3 || (rest.len == 6 && !acked[k]));
        assert_int_equal(rest.n[rest.len - 3], 4);
        kept += rest.len == 6;
    }
    print_message("offline delete+flush: %u fault points, %u kept whole\n", n - 1, kept);
    assert_true(kept > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_slices_in_order, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_stanza_id_stored_once, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_account_delete_takes_messages, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_put_under_faults, fault_setup, fault_teardown),
        cmocka_unit_test_setup_teardown(test_delete_and_reads_under_faults, fault_setup,
                                        fault_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
