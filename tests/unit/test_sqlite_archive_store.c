/* SPDX-License-Identifier: MIT */
/* Tests of the SQLite message archive around its rows: preferences, the asynchronous reader
 * completions, the queue of appends, account deletion, the upgrades from versions 6 and 7,
 * and I/O faults. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <poll.h>
#include <unistd.h>

#include <sqlite3.h>

#include "archive_fx.h"
#include "base.h"
#include "capture.h"
#include "fault_vfs.h"
#include "sqlite_int.h"
#include "tmp_store.h"

static void jid_collect(void *ctx, const char *jid, bool always)
{
    char *out = ctx;
    size_t len = strlen(out);
    snprintf(out + len, 256 - len, "%s%s=%d", len ? "," : "", jid, always);
}

static void test_archive_prefs(void **state)
{
    struct fx *f = *state;
    enum archive_mode mode = ARCHIVE_NEVER;
    char seen[256] = "";
    int rule = 7;
    assert_int_equal(archive_prefs_get(&f->st, "a@x", &mode, jid_collect, seen), PL_OK);
    assert_int_equal(mode, ARCHIVE_NEVER); /* nothing stored: the caller's default stays */
    assert_string_equal(seen, "");
    const char *jids[] = { "b@x", "c@x" };
    bool always[] = { true, false };
    assert_int_equal(archive_prefs_set(&f->st, "a@x", ARCHIVE_ROSTER, jids, always, 2), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    assert_int_equal(archive_prefs_get(&f->st, "a@x", &mode, jid_collect, seen), PL_OK);
    assert_int_equal(mode, ARCHIVE_ROSTER);
    assert_string_equal(seen, "b@x=1,c@x=0");
    assert_int_equal(archive_pref_check(&f->st, "a@x", "c@x", &mode, &rule), PL_OK);
    assert_int_equal(rule, 0);
    assert_int_equal(archive_pref_check(&f->st, "a@x", "z@x", &mode, &rule), PL_OK);
    assert_int_equal(rule, -1);
    assert_int_equal(archive_prefs_set(&f->st, "a@x", ARCHIVE_NEVER, NULL, NULL, 0), PL_OK);
    seen[0] = '\0';
    assert_int_equal(archive_prefs_get(&f->st, "a@x", &mode, jid_collect, seen), PL_OK);
    assert_int_equal(mode, ARCHIVE_NEVER);
    assert_string_equal(seen, "");
}

/* The reader wakes the caller, and done runs only from storage_run_completions, on the
 * caller's thread. */
static void test_archive_wake_then_complete(void **state)
{
    struct fx *f = *state;
    afx_fill(f);
    struct got g = { 0 };
    struct archive_filter q = { .owner = "a@x", .max = 2 };
    assert_int_equal(archive_query(&f->st, &q, afx_page_done, &g), PL_OK);
    struct pollfd p = { .fd = f->wake[0], .events = POLLIN };
    assert_int_equal(poll(&p, 1, 5000), 1);
    assert_false(g.called);
    char c;
    assert_int_equal(read(f->wake[0], &c, 1), 1);
    storage_run_completions(&f->st);
    assert_true(g.called);
    assert_string_equal(g.ids, "s1,s2");
}

/* Queries still queued at close are dropped without a callback, and nothing leaks. */
static void test_archive_close_pending(void **state)
{
    struct fx *f = *state;
    afx_fill(f);
    struct got g[8] = { 0 };
    struct archive_filter q = { .owner = "a@x", .fulltext = "apple", .max = 50 };
    for (int i = 0; i < 8; i++)
        assert_int_equal(archive_query(&f->st, &q, afx_page_done, &g[i]), PL_OK);
    storage_close(&f->st);
    for (int i = 0; i < 8; i++)
        assert_false(g[i].called);
    assert_int_equal(afx_open(f), 0);
}

/* Appends wait in memory until the batch commits, yet whatever reads or changes the archive
 * sees them first: a correction finds its original, a rollback drops them, a deletion clears
 * them; and thousands (several full queues) all arrive, in order. */
static void test_archive_queue(void **state)
{
    struct fx *f = *state;
    struct scram_creds c = { .iterations = 4096, .salt_len = 4 };
    assert_int_equal(account_create(&f->st, "gone@x", &c), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    assert_int_equal(afx_put(f, "a@x", "b@x", 1, "first"), PL_OK);
    assert_int_equal(archive_amend(&f->st, "b@x", "a@x", "m1", "fixed", "<m1b/>"), PL_OK);
    assert_int_equal(afx_put(f, "a@x", "b@x", 3, "dropped"), PL_OK);
    assert_int_equal(storage_rollback(&f->st), PL_OK); /* both go: they shared the batch */
    assert_int_equal(afx_put(f, "a@x", "b@x", 5, "kept"), PL_OK);
    assert_int_equal(archive_amend(&f->st, "b@x", "a@x", "m5", "fixed", "<m5b/>"), PL_OK);
    assert_int_equal(afx_put(f, "gone@x", "b@x", 7, "gone"), PL_OK);
    assert_int_equal(account_delete(&f->st, "gone@x"), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    struct archive_filter a = { .owner = "a@x", .max = 50 };
    struct got g = afx_query(f, &a);
    assert_string_equal(g.ids, "s5");
    assert_string_equal(g.xml_last, "<m5b/>");
    struct archive_filter gone = { .owner = "gone@x", .max = 50 };
    assert_int_equal(afx_query(f, &gone).n, 0);
    enum { MANY = 3000 };
    for (int n = 10; n < 10 + MANY; n++)
        assert_int_equal(afx_put(f, "c@x", "d@x", n, "many"), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    struct archive_filter many = { .owner = "c@x", .max = 2, .from_end = true };
    assert_string_equal(afx_query(f, &many).ids, "s3008,s3009");
    afx_index_all(f);
    struct archive_filter words = { .owner = "c@x", .fulltext = "many", .max = 2,
                                    .from_end = true };
    assert_string_equal(afx_query(f, &words).ids, "s3008,s3009");
    words.from_end = false;
    assert_string_equal(afx_query(f, &words).ids, "s10,s11");
    afx_check_index(f);
}

/* A deleted account takes its archive along. */
static void test_archive_account_gone(void **state)
{
    struct fx *f = *state;
    struct scram_creds c = { .iterations = 4096, .salt_len = 4 };
    assert_int_equal(account_create(&f->st, "a@x", &c), PL_OK);
    afx_fill(f);
    assert_int_equal(account_delete(&f->st, "a@x"), PL_OK);
    struct archive_filter q = { .owner = "a@x", .max = 50 };
    struct got g = afx_query(f, &q);
    assert_int_equal(g.n, 0);
    struct archive_filter d = { .owner = "d@x", .fulltext = "apple", .max = 50 };
    g = afx_query(f, &d);
    assert_int_equal(g.n, 3);
    afx_check_index(f);
}

/* A message both kept stays in the other party's archive when one account goes. */
static void test_archive_account_gone_shared(void **state)
{
    struct fx *f = *state;
    struct scram_creds c = { .iterations = 4096, .salt_len = 4 };
    assert_int_equal(account_create(&f->st, "a@x", &c), PL_OK);
    for (int n = 1; n <= 4; n++) {
        struct archive_msg m = { .key = n * 1000000LL, .tag = (unsigned long long)n,
                                 .sender = "a@x", .rcpt = "b@x", .sender_keeps = true,
                                 .rcpt_keeps = n % 2 == 1, .body = "shared", .xml = "<m/>" };
        assert_int_equal(archive_append(&f->st, &m), PL_OK);
        if (n == 2)
            afx_index_all(f); /* 1..2 indexed, 3..4 not */
    }
    assert_int_equal(storage_flush(&f->st), PL_OK);
    assert_int_equal(account_delete(&f->st, "a@x"), PL_OK);
    struct archive_filter qa = { .owner = "a@x", .max = 50 };
    struct archive_filter qb = { .owner = "b@x", .with = "a@x", .max = 50 };
    for (int pass = 0; pass < 2; pass++) {
        assert_int_equal(afx_query(f, &qa).n, 0);
        assert_string_equal(afx_query(f, &qb).ids, "s1,s3");
        afx_index_all(f);
    }
    afx_check_index(f);
}

/* A store of version 6 (one row per owner's copy) comes to the shared rows with its
 * messages: each copy keeps its time and direction and stays searchable. */
static void test_archive_upgrade_keeps_rows(void **state)
{
    struct fx *f = *state;
    storage_close(&f->st);
    raw_exec_file(f->path, "DROP TRIGGER archive_account_gone; DROP TABLE archive_msgs;"
                      " DROP TABLE archive_index; DROP TRIGGER offline_account_gone;"
                      " DROP TABLE offline_messages");
    raw_exec_file(f->path, sq_migrations[4]); /* the version 5 archive, then version 6 */
    raw_exec_file(f->path, sq_migrations[5]);
    raw_exec_file(f->path, "PRAGMA user_version = 6;"
                      "INSERT INTO archive_owners (jid) VALUES ('a@x');"
                      "INSERT INTO archive (owner, stanza_id, peer, peer_res, ts, sent, msg_id,"
                      " body, xml) VALUES (1, 'o1', 'b@x', 'phone', 1000000, 1, 'm1',"
                      " 'old hello', '<m1/>'), (1, 'o2', 'b@x', '', 2000000, 0, 'm2',"
                      " 'old reply', '<m2/>');"
                      "INSERT INTO archive_fts (rowid, owner, body) SELECT id, owner, body"
                      " FROM archive WHERE id = 1;"
                      "UPDATE archive_fts_state SET upto = 1");
    assert_int_equal(afx_open(f), 0);
    struct archive_filter q = { .owner = "a@x", .with = "b@x", .max = 50 };
    struct got g = afx_query(f, &q);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.xml_last, "<m2/>");
    q.with_res = "phone"; /* the resource of the peer the copy was sent to */
    assert_int_equal(afx_query(f, &q).n, 1);
    struct archive_filter b = { .owner = "b@x", .max = 50 }; /* b kept nothing */
    assert_int_equal(afx_query(f, &b).n, 0);
    afx_index_all(f);
    struct archive_filter s = { .owner = "a@x", .fulltext = "old", .max = 50 };
    assert_int_equal(afx_query(f, &s).n, 2);
    assert_int_equal(archive_amend(&f->st, "a@x", "b@x", "m1", "new hello", "<m1b/>"), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    afx_check_index(f);
}

/* A store of version 7 (keys generated from the row, with conversation tokens) gets a plain
 * keys column with the parties' tokens (versions 8 and 9), and its index is made again with
 * them: rows indexed before stay findable by owner, conversation and word, and an account
 * deleted afterwards leaves the index consistent (the trigger recomputes keys with
 * archive_keys). */
static void test_archive_upgrade_keys_column(void **state)
{
    struct fx *f = *state;
    struct scram_creds c = { .iterations = 4096, .salt_len = 4 };
    static const long long rows[][3] = { { 1, 2, 3 }, { 1, 2, 3 }, { 2, 1, 1 }, { 1, 1, 3 },
                                         { 90071992547409, 7, 2 } }; /* sender, rcpt, keep */
    storage_close(&f->st);
    raw_exec_file(f->path, "DROP TRIGGER archive_account_gone; DROP TABLE archive_msgs;"
                           " DROP TABLE archive_index; DROP TRIGGER offline_account_gone;"
                           " DROP TABLE offline_messages");
    for (int v = 4; v < 7; v++) /* the version 5 archive, then 6 and 7 */
        raw_exec_file(f->path, sq_migrations[v]);
    raw_exec_file(f->path, "PRAGMA user_version = 7;"
                           "INSERT INTO archive_owners (jid) VALUES ('a@x'), ('b@x');"
                           "INSERT INTO archive_msgs (id, tag, sender, rcpt, keep, body, xml)"
                           " VALUES (1000000, 1, 1, 2, 3, 'shared apple', '<m1/>'),"
                           " (2000000, 2, 1, 2, 3, 'shared pear', '<m2/>'),"
                           " (3000000, 3, 2, 1, 1, 'from b', '<m3/>'),"
                           " (4000000, 4, 1, 1, 3, 'note to self', '<m4/>'),"
                           " (5000000, 5, 90071992547409, 7, 2, 'far', '<m5/>');"
                           "INSERT INTO archive_index (rowid, keys, body) SELECT id, keys, body"
                           " FROM archive_msgs WHERE id <= 2000000;"
                           "UPDATE archive_fts_state SET upto = 2000000");
    assert_int_equal(afx_open(f), 0);
    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        char sql[256], keys[SQ_KEYS_LEN];
        sq_archive_keys(rows[i][0], rows[i][1], (int)rows[i][2], keys);
        snprintf(sql, sizeof(sql),
                 "SELECT count(*) FROM archive_msgs WHERE id = %zu AND keys = '%s'",
                 (i + 1) * 1000000, keys);
        assert_int_equal(raw_int_file(f->path, sql), 1);
    }
    struct archive_filter qa = { .owner = "a@x", .max = 50 };
    struct archive_filter qb = { .owner = "b@x", .with = "a@x", .max = 50 };
    struct archive_filter apple = { .owner = "b@x", .fulltext = "apple", .max = 50 };
    struct archive_filter self = { .owner = "a@x", .with = "a@x", .max = 50 };
    for (int pass = 0; pass < 2; pass++) { /* rows 3..5 scanned, then indexed */
        assert_string_equal(afx_query(f, &qa).ids, "s1,s2,s4");
        assert_string_equal(afx_query(f, &qb).ids, "s1,s2,s3");
        assert_string_equal(afx_query(f, &apple).ids, "s1");
        assert_string_equal(afx_query(f, &self).ids, "s4");
        afx_check_index(f);
        afx_index_all(f);
    }
    assert_int_equal(account_create(&f->st, "a@x", &c), PL_OK);
    assert_int_equal(account_delete(&f->st, "a@x"), PL_OK);
    for (int pass = 0; pass < 2; pass++) {
        assert_int_equal(afx_query(f, &qa).n, 0);
        assert_string_equal(afx_query(f, &qb).ids, "s1,s2,s3");
        assert_string_equal(afx_query(f, &apple).ids, "s1");
        afx_index_all(f);
    }
    afx_check_index(f);
    /* a still named, as a party that no longer keeps the shared rows */
    assert_int_equal(raw_int_file(f->path, "SELECT count(*) FROM archive_msgs"
                                           " WHERE id <= 2000000 AND keys = 'p1 o2'"),
                     2);
}

/* The index's tokens: each party, as keeper (o) or not (p); a note to self (s); and the
 * MATCH expressions built from them. */
static void test_archive_tokens(void **state)
{
    static const struct {
        long long sender, rcpt;
        int keep;
        const char *keys;
    } cases[] = {
        { 1, 2, 3, "o1 o2" },
        { 1, 2, 1, "o1 p2" },
        { 2, 1, 2, "p2 o1" },
        { 4, 4, 2, "o4 s4" },
        { 90071992547409, 7, 2, "p90071992547409 o7" },
    };
    char out[SQ_MATCH_LEN];
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char keys[SQ_KEYS_LEN];
        sq_archive_keys(cases[i].sender, cases[i].rcpt, cases[i].keep, keys);
        assert_string_equal(keys, cases[i].keys);
    }
    sq_conv_match(2, 1, out);
    assert_string_equal(out, "(keys : o2 OR keys : p2) AND (keys : o1 OR keys : p1)");
    sq_conv_match(4, 4, out);
    assert_string_equal(out, "keys : s4");
    sq_owner_match(7, out);
    assert_string_equal(out, "keys : o7");
    sq_conv_match(LLONG_MAX, LLONG_MAX - 1, out); /* the longest fits */
    assert_int_equal(strlen(out), 4 * (7 + 1 + 19) + 4 + 2 * 4 + 5);
}

static int fault_setup(void **state) { return tmp_store_fault_setup(state, afx_setup); }
static int fault_teardown(void **state) { return tmp_store_fault_teardown(state, afx_teardown); }

#define FAULT_RUNS 400

/* The Nth I/O call fails for every N in turn: an append either answers an error or is
 * acknowledged (append and flush succeeded) and then found after a clean reopen; a query
 * either answers PL_EIO or the right page. */
static void test_archive_under_faults(void **state)
{
    struct fx *f = *state;
    bool acked[FAULT_RUNS] = { false };
    char body[32];
    struct capture cap = { 0 };
    unsigned n = 1, failed = 0, qfailed = 0;
    capture_begin(&cap);
    for (; n < FAULT_RUNS; n++) {
        snprintf(body, sizeof(body), "word%u", n);
        fault_vfs_arm((int)n);
        unsigned k;
        int a = afx_put(f, "a@x", "b@x", (int)n, body);
        if (a == PL_OK)
            a = archive_index(&f->st, 10, &k);
        int fl = storage_flush(&f->st);
        acked[n] = a == PL_OK && fl == PL_OK;
        failed += !acked[n];
        struct archive_filter q = { .owner = "a@x", .fulltext = body, .max = 5 };
        struct got g = afx_query(f, &q);
        bool fired = fault_vfs_fired();
        qfailed += g.rc != PL_OK;
        if (g.rc == PL_OK && acked[n])
            assert_int_equal(g.n, 1);
        if (!fired)
            break;
    }
    fault_vfs_arm(0);
    free(capture_end(&cap));
    assert_true(n < FAULT_RUNS);
    storage_close(&f->st);
    assert_int_equal(afx_open(f), 0);
    for (unsigned i = 1; i <= n; i++) {
        if (!acked[i])
            continue;
        const char *ids[] = { sid_of((int)i) };
        struct archive_filter q = { .owner = "a@x", .ids = ids, .n_ids = 1, .max = 1 };
        struct got g = afx_query(f, &q);
        assert_int_equal(g.n, 1);
    }
    print_message("archive: %u fault points, %u writes and %u queries failed\n", n - 1, failed,
                  qfailed);
    assert_true(failed > 0);
}
int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_archive_prefs, afx_setup, afx_teardown),
        cmocka_unit_test_setup_teardown(test_archive_wake_then_complete, afx_setup, afx_teardown),
        cmocka_unit_test_setup_teardown(test_archive_close_pending, afx_setup, afx_teardown),
        cmocka_unit_test_setup_teardown(test_archive_queue, afx_setup, afx_teardown),
        cmocka_unit_test_setup_teardown(test_archive_account_gone, afx_setup, afx_teardown),
        cmocka_unit_test_setup_teardown(test_archive_account_gone_shared, afx_setup, afx_teardown),
        cmocka_unit_test_setup_teardown(test_archive_upgrade_keeps_rows, afx_setup, afx_teardown),
        cmocka_unit_test_setup_teardown(test_archive_upgrade_keys_column, afx_setup,
                                        afx_teardown),
        cmocka_unit_test(test_archive_tokens),
        cmocka_unit_test_setup_teardown(test_archive_under_faults, fault_setup, fault_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
