/* SPDX-License-Identifier: MIT */
/* Tests of the WAL checkpoints that a thread of the store runs while the writer commits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive_fx.h"
#include "base.h"
#include "sqlite_int.h"
#include "tmp_store.h"

#define ROW_BYTES 8000
#define ROWS_PER_COMMIT 50
/* Three checkpoints' worth of rows. */
#define TOTAL_BYTES (3 * SQ_CHECKPOINT_BYTES)

static long long file_size(const char *path, const char *suffix)
{
    char name[400];
    struct stat sb;
    snprintf(name, sizeof(name), "%s%s", path, suffix);
    return stat(name, &sb) == 0 ? (long long)sb.st_size : 0;
}

static void append_row(struct fx *f, const char *body)
{
    static long long now_us = 1000000;
    struct archive_msg m = { .tag = 1, .sender = "a@x", .rcpt = "b@x", .sender_keeps = true,
                             .body = body, .xml = body };
    assert_int_equal(archive_new_key(&f->st, now_us++, &m.key), PL_OK);
    assert_int_equal(archive_append(&f->st, &m), PL_OK);
}

/* Commits as the server does: not while the store asks commits to wait (bounded). */
static void commit_when_asked(struct fx *f)
{
    for (int waits = 0; waits < 1000; waits++) {
        int ms = storage_flush_delay_ms(&f->st);
        if (ms <= 0)
            break;
        usleep((useconds_t)ms * 1000);
    }
    assert_int_equal(storage_flush(&f->st), PL_OK);
}

/* The writer only commits; the database file still receives the pages (a checkpoint ran, and
 * the writer's own would come only at eight times the size), and the WAL is reused rather than
 * growing with everything written. */
static void test_checkpoint_runs_beside_the_writer(void **state)
{
    struct fx *f = *state;
    char *body = xmalloc(ROW_BYTES + 1);
    memset(body, 'w', ROW_BYTES);
    body[ROW_BYTES] = '\0';
    for (long long written = 0; written < TOTAL_BYTES;) {
        for (int i = 0; i < ROWS_PER_COMMIT; i++, written += ROW_BYTES)
            append_row(f, body);
        commit_when_asked(f);
    }
    free(body);
    long long db = 0;
    for (int i = 0; i < 1000 && db < SQ_CHECKPOINT_BYTES; i++) {
        usleep(10000);
        db = file_size(f->path, "");
    }
    assert_true(db >= SQ_CHECKPOINT_BYTES);
    assert_true(file_size(f->path, "-wal") < 2 * SQ_CHECKPOINT_BYTES);
}

/* Closing with a pass due or running joins the thread and leaves every row readable. */
static void test_checkpoint_close_keeps_rows(void **state)
{
    struct fx *f = *state;
    char *body = xmalloc(ROW_BYTES + 1);
    memset(body, 'c', ROW_BYTES);
    body[ROW_BYTES] = '\0';
    long long rows = 0;
    for (long long written = 0; written < SQ_CHECKPOINT_BYTES + ROW_BYTES * ROWS_PER_COMMIT;) {
        for (int i = 0; i < ROWS_PER_COMMIT; i++, written += ROW_BYTES, rows++)
            append_row(f, body);
        assert_int_equal(storage_flush(&f->st), PL_OK);
    }
    free(body);
    storage_close(&f->st);
    assert_int_equal(file_size(f->path, "-wal"), 0); /* the last close checkpointed it all */
    assert_int_equal(raw_int_file(f->path, "SELECT count(*) FROM archive_msgs"), rows);
    assert_int_equal(afx_open(f), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_checkpoint_runs_beside_the_writer, afx_setup,
                                        afx_teardown),
        cmocka_unit_test_setup_teardown(test_checkpoint_close_keeps_rows, afx_setup,
                                        afx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
