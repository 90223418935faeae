/* SPDX-License-Identifier: MIT */
/* Tests of the SQLite roster and last-activity ops (storage/sqlite_roster.c) on a temp file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <unistd.h>

#include "base.h"
#include "capture.h"
#include "fault_vfs.h"
#include "storage.h"
#include "tmp_store.h"

struct fx {
    char dir[256];
    char path[320];
    struct storage st;
};

static int setup(void **state)
{
    struct fx *f = xcalloc(1, sizeof(*f));
    if (tmp_store_make(f->dir, sizeof(f->dir), f->path, sizeof(f->path), "roster") != 0) {
        free(f);
        return -1;
    }
    if (storage_open_sqlite(&f->st, f->path) != PL_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    storage_close(&f->st);
    tmp_store_remove(f->dir);
    free(f);
    return 0;
}

/* What roster_load reported, flattened to one line per row. */
struct seen {
    char rows[8][200];
    size_t n;
};

static void collect(void *ctx, const struct roster_row *r)
{
    struct seen *s = ctx;
    if (s->n < 8)
        snprintf(s->rows[s->n++], sizeof(s->rows[0]), "%s|%s|%s|%u|%d|%s", r->contact,
                 r->name ? r->name : "-", r->groups, r->state, r->in_roster,
                 r->status ? r->status : "-");
}

static void test_roster_round_trip(void **state)
{
    struct fx *f = *state;
    struct seen s = { .n = 0 };
    long long ver = -1;
    assert_int_equal(roster_load(&f->st, "a@x", &ver, collect, &s), PL_OK);
    assert_int_equal(ver, 0);
    assert_int_equal(s.n, 0);

    struct roster_row r = { .contact = "b@x", .name = "Bob", .groups = "G1\nG2", .state = 3,
                            .in_roster = true };
    assert_int_equal(roster_put(&f->st, "a@x", &r, 1), PL_OK);
    struct roster_row p = { .contact = "c@x", .groups = "", .state = 8, .status = "hi" };
    assert_int_equal(roster_put(&f->st, "a@x", &p, 2), PL_OK);
    r.name = NULL; /* an update replaces the row */
    assert_int_equal(roster_put(&f->st, "a@x", &r, 3), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);

    assert_int_equal(roster_load(&f->st, "a@x", &ver, collect, &s), PL_OK);
    assert_int_equal(ver, 3);
    assert_int_equal(s.n, 2);
    const char *want_b = "b@x|-|G1\nG2|3|1|-", *want_c = "c@x|-||8|0|hi";
    bool b_first = strcmp(s.rows[0], want_b) == 0;
    assert_string_equal(s.rows[b_first ? 0 : 1], want_b);
    assert_string_equal(s.rows[b_first ? 1 : 0], want_c);

    assert_int_equal(roster_remove(&f->st, "a@x", "b@x", 4), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    s.n = 0;
    assert_int_equal(roster_load(&f->st, "a@x", &ver, collect, &s), PL_OK);
    assert_int_equal(ver, 4);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.rows[0], "c@x|-||8|0|hi");
    s.n = 0; /* another owner's roster is separate */
    assert_int_equal(roster_load(&f->st, "b@x", &ver, collect, &s), PL_OK);
    assert_int_equal(s.n, 0);
}

static void test_last_round_trip(void **state)
{
    struct fx *f = *state;
    long long when = 0;
    char *status = (char *)"unset";
    assert_int_equal(last_get(&f->st, "a@x", &when, &status), PL_ENOTFOUND);
    assert_null(status);
    assert_int_equal(last_set(&f->st, "a@x", 1000, "gone"), PL_OK);
    assert_int_equal(last_set(&f->st, "b@x", 2000, NULL), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    assert_int_equal(last_get(&f->st, "a@x", &when, &status), PL_OK);
    assert_int_equal(when, 1000);
    assert_string_equal(status, "gone");
    free(status);
    assert_int_equal(last_get(&f->st, "b@x", &when, &status), PL_OK);
    assert_int_equal(when, 2000);
    assert_null(status);
    assert_int_equal(last_set(&f->st, "a@x", 3000, NULL), PL_OK); /* replaces */
    assert_int_equal(last_get(&f->st, "a@x", &when, &status), PL_OK);
    assert_int_equal(when, 3000);
    assert_null(status);
}

/* A roster set that failed half-way drops its batch: nothing of it is stored, and the writes
 * after it start a batch of their own. */
static void test_roster_rollback(void **state)
{
    struct fx *f = *state;
    struct seen s = { .n = 0 };
    long long ver = -1;
    struct roster_row r = { .contact = "b@x", .groups = "", .state = 1, .in_roster = true };
    assert_int_equal(storage_rollback(&f->st), PL_OK); /* no batch: nothing to do */
    assert_int_equal(roster_put(&f->st, "a@x", &r, 1), PL_OK);
    assert_int_equal(roster_remove(&f->st, "a@x", "c@x", 2), PL_OK);
    assert_int_equal(storage_rollback(&f->st), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    assert_int_equal(roster_load(&f->st, "a@x", &ver, collect, &s), PL_OK);
    assert_int_equal(s.n, 0);
    assert_int_equal(ver, 0);
    r.contact = "c@x";
    assert_int_equal(roster_put(&f->st, "a@x", &r, 3), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    assert_int_equal(roster_load(&f->st, "a@x", &ver, collect, &s), PL_OK);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.rows[0], "c@x|-||1|1|-");
    assert_int_equal(ver, 3);
}

static int fault_setup(void **state) { return tmp_store_fault_setup(state, setup); }
static int fault_teardown(void **state) { return tmp_store_fault_teardown(state, teardown); }

#define FAULT_RUNS 200

static void count_row(void *ctx, const struct roster_row *r)
{
    bool *seen = ctx;
    unsigned n;
    if (sscanf(r->contact, "c%u@x", &n) == 1 && n < FAULT_RUNS)
        seen[n] = true;
}

/* The Nth I/O call fails for every N in turn: each write answers PL_EIO or is acknowledged
 * (put and flush succeeded), and what was acknowledged is there after a clean reopen. */
static void test_roster_writes_under_faults(void **state)
{
    struct fx *f = *state;
    bool acked[FAULT_RUNS] = { false }, seen[FAULT_RUNS] = { false };
    char contact[32];
    struct capture cap = { 0 };
    unsigned n = 1;
    capture_begin(&cap);
    for (; n < FAULT_RUNS; n++) {
        snprintf(contact, sizeof(contact), "c%u@x", n);
        struct roster_row r = { .contact = contact, .groups = "", .state = 3, .in_roster = true };
        fault_vfs_arm((int)n);
        int put = roster_put(&f->st, "a@x", &r, n);
        int flush = storage_flush(&f->st);
        acked[n] = put == PL_OK && flush == PL_OK;
        if (!fault_vfs_fired())
            break;
    }
    fault_vfs_arm(0);
    free(capture_end(&cap));
    assert_true(n < FAULT_RUNS); /* some write met no fault at all */
    storage_close(&f->st);
    assert_int_equal(storage_open_sqlite(&f->st, f->path), PL_OK);
    long long ver;
    assert_int_equal(roster_load(&f->st, "a@x", &ver, count_row, seen), PL_OK);
    unsigned failed = 0;
    for (unsigned i = 1; i <= n; i++) {
        failed += !acked[i];
        if (acked[i])
            assert_true(seen[i]);
    }
    print_message("roster put+flush: %u fault points, %u answered PL_EIO\n", n - 1, failed);
    assert_true(failed > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_roster_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_last_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_roster_rollback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_roster_writes_under_faults, fault_setup,
                                        fault_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
