/* SPDX-License-Identifier: MIT */
/* Tests of the SQLite message archive (storage/sqlite_archive*.c): writes, paging, search,
 * purge, corrections, preferences and the asynchronous reader completions. */
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

#include "base.h"
#include "capture.h"
#include "fault_vfs.h"
#include "sqlite_int.h"
#include "storage.h"
#include "tmp_store.h"

struct fx {
    char dir[256];
    char path[320];
    struct storage st;
    int wake[2]; /* the readers write a byte to wake[1] when completions are ready */
};

static void wake_pipe(void *ctx)
{
    struct fx *f = ctx;
    ssize_t w = write(f->wake[1], "x", 1);
    (void)w;
}

static int store_open(struct fx *f)
{
    if (storage_open_sqlite(&f->st, f->path) != PL_OK)
        return -1;
    storage_set_wake(&f->st, wake_pipe, f);
    return 0;
}

static int setup(void **state)
{
    struct fx *f = xcalloc(1, sizeof(*f));
    if (tmp_store_make(f->dir, sizeof(f->dir), f->path, sizeof(f->path), "archive") != 0 ||
        pipe(f->wake) != 0) {
        free(f);
        return -1;
    }
    *state = f;
    return store_open(f);
}

static int teardown(void **state)
{
    struct fx *f = *state;
    storage_close(&f->st);
    close(f->wake[0]);
    close(f->wake[1]);
    tmp_store_remove(f->dir);
    free(f);
    return 0;
}

/* What a query gave: stanza ids joined by ',' and the page flags. */
struct got {
    bool called;
    int rc;
    char ids[4096];
    char xml_last[512];
    bool complete;
    long long count;
    size_t n;
};

/* Message n of put() has key n seconds and tag n; tests name it "sN" (other keys "x"). */
static const char *S(int n)
{
    static char ring[8][ARCHIVE_SID_LEN + 1];
    static unsigned next;
    char *out = ring[next++ % 8];
    archive_sid_format((long long)n * 1000000, (unsigned long long)n, out);
    return out;
}

static void short_name(const char *sid, char *out, size_t len)
{
    long long key;
    unsigned long long tag;
    long long n = 0;
    if (sid && archive_sid_parse(sid, &key, &tag) && key % 1000000 == 0 &&
        tag == (unsigned long long)(n = key / 1000000))
        snprintf(out, len, "s%lld", n);
    else
        snprintf(out, len, "%s", sid ? "x" : "-");
}

static void page_done(void *ctx, const struct archive_page *p)
{
    struct got *g = ctx;
    g->called = true;
    g->rc = p->rc;
    g->complete = p->complete;
    g->count = p->count;
    g->n = p->n;
    g->ids[0] = '\0';
    for (size_t i = 0; i < p->n; i++) {
        size_t len = strlen(g->ids);
        char name[32];
        short_name(p->items[i].stanza_id, name, sizeof(name));
        snprintf(g->ids + len, sizeof(g->ids) - len, "%s%s", i ? "," : "", name);
        snprintf(g->xml_last, sizeof(g->xml_last), "%s", p->items[i].xml);
    }
}

/* Waits (bounded) for the readers' wake and runs completions until done was called. */
static void wait_done(struct fx *f, const bool *called)
{
    for (int i = 0; i < 100 && !*called; i++) {
        struct pollfd p = { .fd = f->wake[0], .events = POLLIN };
        if (poll(&p, 1, 100) == 1) {
            char c;
            assert_int_equal(read(f->wake[0], &c, 1), 1);
        }
        storage_run_completions(&f->st);
    }
    assert_true(*called);
}

static struct got run_query(struct fx *f, const struct archive_filter *flt)
{
    struct got g = { 0 };
    assert_int_equal(archive_query(&f->st, flt, page_done, &g), PL_OK);
    wait_done(f, &g.called);
    return g;
}

/* Appends message n, kept in owner's archive only: sent to peer when n is even, else
 * received from peer (resource r1 either way); key n seconds, tag n. */
static int put(struct fx *f, const char *owner, const char *peer, int n, const char *body)
{
    char id[32], xml[128];
    snprintf(id, sizeof(id), "m%d", n);
    snprintf(xml, sizeof(xml), "<message id='m%d'><body>%s</body></message>", n, body);
    bool sent = n % 2 == 0;
    struct archive_msg m = { .key = (long long)n * 1000000, .tag = (unsigned long long)n,
                             .sender = sent ? owner : peer, .rcpt = sent ? peer : owner,
                             .sender_res = "r1", .rcpt_res = "r1", .sender_keeps = sent,
                             .rcpt_keeps = !sent, .msg_id = id, .body = body, .xml = xml };
    return archive_append(&f->st, &m);
}

static long long mam_far_future(void) { return 1LL << 62; }

/* FTS5's own consistency check of the external-content index against the table. */
static void raw_check_fts(struct fx *f)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    const char *check = "INSERT INTO archive_index (archive_index) VALUES ('integrity-check')";
    assert_int_equal(sqlite3_exec(db, check, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* Indexes everything appended for search, and commits. */
static void index_all(struct fx *f)
{
    unsigned n;
    do
        assert_int_equal(archive_index(&f->st, 4, &n), PL_OK);
    while (n >= 4);
    assert_int_equal(storage_flush(&f->st), PL_OK);
}

/* 10 messages of a@x: odd ones with b@x, even ones with c@x; and 3 of d@x with b@x. */
static void fill(struct fx *f)
{
    char body[64];
    for (int n = 1; n <= 10; n++) {
        snprintf(body, sizeof(body), "hello number%d %s", n, n % 3 ? "apple" : "pear");
        assert_int_equal(put(f, "a@x", n % 2 ? "b@x" : "c@x", n, body), PL_OK);
    }
    for (int n = 11; n <= 13; n++)
        assert_int_equal(put(f, "d@x", "b@x", n, "apple"), PL_OK);
    index_all(f);
}

static void test_archive_paging(void **state)
{
    struct fx *f = *state;
    fill(f);
    struct archive_filter q = { .owner = "a@x", .max = 4 };
    struct got g = run_query(f, &q);
    assert_int_equal(g.rc, PL_OK);
    assert_string_equal(g.ids, "s1,s2,s3,s4");
    assert_false(g.complete);
    q.after[1] = S(4); /* forward paging: no overlap, no gap */
    g = run_query(f, &q);
    assert_string_equal(g.ids, "s5,s6,s7,s8");
    q.after[1] = S(8);
    g = run_query(f, &q);
    assert_string_equal(g.ids, "s9,s10");
    assert_true(g.complete);
    assert_int_equal(g.count, -1); /* paged: the total is not cheap */

    struct archive_filter last = { .owner = "a@x", .max = 3, .from_end = true };
    g = run_query(f, &last);
    assert_string_equal(g.ids, "s8,s9,s10");
    assert_false(g.complete);
    last.before[1] = S(8);
    g = run_query(f, &last);
    assert_string_equal(g.ids, "s5,s6,s7");
    last.before[1] = S(2);
    g = run_query(f, &last);
    assert_string_equal(g.ids, "s1");
    assert_true(g.complete);

    struct archive_filter all = { .owner = "a@x", .max = 50 };
    g = run_query(f, &all);
    assert_int_equal(g.n, 10);
    assert_true(g.complete);
    assert_int_equal(g.count, 10);
    all.max = 10; /* exactly max rows: still complete */
    g = run_query(f, &all);
    assert_true(g.complete);
}

static void test_archive_filters(void **state)
{
    struct fx *f = *state;
    fill(f);
    struct archive_filter q = { .owner = "a@x", .with = "b@x", .max = 50 };
    struct got g = run_query(f, &q);
    assert_string_equal(g.ids, "s1,s3,s5,s7,s9");
    q.with_res = "r2"; /* a full JID whose resource never wrote */
    g = run_query(f, &q);
    assert_int_equal(g.n, 0);
    assert_true(g.complete);
    q.with_res = "r1";
    q.start_us = 3000000; /* inclusive bounds */
    q.end_us = 7000000;
    g = run_query(f, &q);
    assert_string_equal(g.ids, "s3,s5,s7");
    q.after[0] = S(3); /* after-id and before-id narrow further */
    q.before[0] = S(7);
    g = run_query(f, &q);
    assert_string_equal(g.ids, "s5");
    q.before[0] = S(12); /* another owner's message is unknown here */
    g = run_query(f, &q);
    assert_int_equal(g.rc, PL_ENOTFOUND);

    const char *ids[] = { S(9), S(2), "nope", S(11) };
    struct archive_filter byid = { .owner = "a@x", .ids = ids, .n_ids = 4, .max = 50 };
    g = run_query(f, &byid);
    assert_int_equal(g.rc, PL_OK);
    assert_string_equal(g.ids, "s2,s9");

    struct archive_filter none = { .owner = "nobody@x", .max = 5 };
    g = run_query(f, &none);
    assert_int_equal(g.rc, PL_OK);
    assert_int_equal(g.n, 0);
    assert_true(g.complete);
    none.after[1] = S(1);
    g = run_query(f, &none);
    assert_int_equal(g.rc, PL_ENOTFOUND);
}

static void test_archive_fulltext(void **state)
{
    struct fx *f = *state;
    fill(f);
    struct archive_filter q = { .owner = "a@x", .fulltext = "pear", .max = 50 };
    struct got g = run_query(f, &q);
    assert_string_equal(g.ids, "s3,s6,s9");
    q.fulltext = "HELLO   apple"; /* every word, any case */
    q.max = 3;
    g = run_query(f, &q);
    assert_string_equal(g.ids, "s1,s2,s4");
    assert_false(g.complete);
    q.after[1] = S(4);
    g = run_query(f, &q);
    assert_string_equal(g.ids, "s5,s7,s8");
    q.after[1] = NULL;
    q.from_end = true;
    g = run_query(f, &q);
    assert_string_equal(g.ids, "s7,s8,s10");
    q.with = "b@x";
    q.from_end = false;
    g = run_query(f, &q);
    assert_string_equal(g.ids, "s1,s5,s7");
    struct archive_filter other = { .owner = "d@x", .fulltext = "apple", .max = 50 };
    g = run_query(f, &other); /* only the owner's own rows */
    assert_string_equal(g.ids, "s11,s12,s13");
    other.fulltext = "\"owner : 1\" OR *"; /* FTS syntax is taken as words */
    g = run_query(f, &other);
    assert_int_equal(g.rc, PL_OK);
    assert_int_equal(g.n, 0);
    other.fulltext = "   ";
    g = run_query(f, &other);
    assert_int_equal(g.rc, PL_EINVAL);
}

static void test_archive_amend_and_purge(void **state)
{
    struct fx *f = *state;
    fill(f);
    /* A correction of m3 (received from b@x) replaces text and xml; search follows. */
    assert_int_equal(archive_amend(&f->st, "b@x", "a@x", "m3", "fixed text",
                                   "<message id='m3'><body>fixed text</body></message>"),
                     PL_OK);
    assert_int_equal(archive_amend(&f->st, "a@x", "b@x", "m3", "x", "<x/>"),
                     PL_ENOTFOUND); /* the other direction is not the author's */
    assert_int_equal(archive_amend(&f->st, "a@x", "c@x", "m4", NULL, "<retracted/>"),
                     PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    const char *ids[] = { S(3) };
    struct archive_filter q = { .owner = "a@x", .ids = ids, .n_ids = 1, .max = 5 };
    struct got g = run_query(f, &q);
    assert_string_equal(g.xml_last, "<message id='m3'><body>fixed text</body></message>");
    struct archive_filter s = { .owner = "a@x", .fulltext = "fixed", .max = 5 };
    g = run_query(f, &s);
    assert_string_equal(g.ids, "s3");
    s.fulltext = "number4"; /* a retracted body leaves the index */
    g = run_query(f, &s);
    assert_int_equal(g.n, 0);
    s.fulltext = "number3";
    g = run_query(f, &s);
    assert_int_equal(g.n, 0);
    /* A row amended before it was indexed is indexed with its new text. */
    assert_int_equal(put(f, "a@x", "b@x", 21, "typo"), PL_OK);
    s.fulltext = "typo";
    g = run_query(f, &s);
    assert_int_equal(g.n, 0); /* not indexed yet */
    assert_int_equal(archive_amend(&f->st, "b@x", "a@x", "m21", "typing", "<m/>"), PL_OK);
    index_all(f);
    g = run_query(f, &s);
    assert_int_equal(g.n, 0);
    s.fulltext = "typing";
    g = run_query(f, &s);
    assert_string_equal(g.ids, "s21");

    unsigned n = 99;
    assert_int_equal(archive_purge(&f->st, 5000000, 3, &n), PL_OK); /* before 5 s: s1..s4 */
    assert_int_equal(n, 3);
    assert_int_equal(archive_purge(&f->st, 5000000, 3, &n), PL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(archive_purge(&f->st, 5000000, 3, &n), PL_OK);
    assert_int_equal(n, 0);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    struct archive_filter all = { .owner = "a@x", .max = 50 };
    g = run_query(f, &all);
    assert_string_equal(g.ids, "s5,s6,s7,s8,s9,s10,s21");
    s.fulltext = "hello";
    g = run_query(f, &s);
    assert_string_equal(g.ids, "s5,s6,s7,s8,s9");
    /* Unindexed rows that are purged leave nothing behind in the index. */
    assert_int_equal(put(f, "a@x", "b@x", 22, "ephemeral"), PL_OK);
    assert_int_equal(archive_purge(&f->st, mam_far_future(), 100, &n), PL_OK);
    index_all(f);
    s.fulltext = "ephemeral hello typing";
    g = run_query(f, &s);
    assert_int_equal(g.rc, PL_OK);
    assert_int_equal(g.n, 0);
    raw_check_fts(f);
}

static void meta_done(void *ctx, const struct archive_meta *m)
{
    struct got *g = ctx;
    g->called = true;
    g->rc = m->rc;
    char first[32], last[32];
    short_name(m->first_id, first, sizeof(first));
    short_name(m->last_id, last, sizeof(last));
    snprintf(g->ids, sizeof(g->ids), "%s..%s", first, last);
    g->count = m->last_us - m->first_us;
}

static void test_archive_meta_and_order(void **state)
{
    struct fx *f = *state;
    struct got g = { 0 };
    assert_int_equal(archive_meta(&f->st, "a@x", meta_done, &g), PL_OK);
    wait_done(f, &g.called);
    assert_int_equal(g.rc, PL_OK);
    assert_string_equal(g.ids, "-..-");
    fill(f);
    /* A key asked with a clock that went back comes after the newest: order stays. */
    long long key;
    assert_int_equal(archive_new_key(&f->st, 1, &key), PL_OK);
    assert_true(key > 13000000);
    struct archive_msg m = { .key = key, .tag = 5, .sender = "b@x", .rcpt = "a@x",
                             .rcpt_keeps = true, .xml = "<m/>" };
    assert_int_equal(archive_append(&f->st, &m), PL_OK);
    assert_int_equal(archive_append(&f->st, &m), PL_EEXIST);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    g = (struct got){ 0 };
    assert_int_equal(archive_meta(&f->st, "a@x", meta_done, &g), PL_OK);
    wait_done(f, &g.called);
    assert_string_equal(g.ids, "s1..x");
    assert_true(g.count > 12000000 - 1000000);
    struct archive_filter q = { .owner = "a@x", .max = 2, .from_end = true };
    g = run_query(f, &q);
    assert_string_equal(g.ids, "s10,x");
}

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
    fill(f);
    struct got g = { 0 };
    struct archive_filter q = { .owner = "a@x", .max = 2 };
    assert_int_equal(archive_query(&f->st, &q, page_done, &g), PL_OK);
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
    fill(f);
    struct got g[8] = { 0 };
    struct archive_filter q = { .owner = "a@x", .fulltext = "apple", .max = 50 };
    for (int i = 0; i < 8; i++)
        assert_int_equal(archive_query(&f->st, &q, page_done, &g[i]), PL_OK);
    storage_close(&f->st);
    for (int i = 0; i < 8; i++)
        assert_false(g[i].called);
    assert_int_equal(store_open(f), 0);
}

/* A deleted account takes its archive along. */
static void test_archive_account_gone(void **state)
{
    struct fx *f = *state;
    struct scram_creds c = { .iterations = 4096, .salt_len = 4 };
    assert_int_equal(account_create(&f->st, "a@x", &c), PL_OK);
    fill(f);
    assert_int_equal(account_delete(&f->st, "a@x"), PL_OK);
    struct archive_filter q = { .owner = "a@x", .max = 50 };
    struct got g = run_query(f, &q);
    assert_int_equal(g.n, 0);
    struct archive_filter d = { .owner = "d@x", .fulltext = "apple", .max = 50 };
    g = run_query(f, &d);
    assert_int_equal(g.n, 3);
    raw_check_fts(f);
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
            index_all(f); /* 1..2 indexed, 3..4 not */
    }
    assert_int_equal(storage_flush(&f->st), PL_OK);
    assert_int_equal(account_delete(&f->st, "a@x"), PL_OK);
    struct archive_filter qa = { .owner = "a@x", .max = 50 };
    struct archive_filter qb = { .owner = "b@x", .with = "a@x", .max = 50 };
    for (int pass = 0; pass < 2; pass++) {
        assert_int_equal(run_query(f, &qa).n, 0);
        assert_string_equal(run_query(f, &qb).ids, "s1,s3");
        index_all(f);
    }
    raw_check_fts(f);
}

/* One row for both parties: the same stanza-id in each archive, with the direction as each
 * sees it; a note to self; and a key the index had already passed when it was appended. All
 * are found before and after indexing. */
static void test_archive_shared_rows(void **state)
{
    struct fx *f = *state;
    struct archive_msg m = { .key = 1000000, .tag = 1, .sender = "a@x", .rcpt = "b@x",
                             .sender_res = "pc", .rcpt_res = "phone", .sender_keeps = true,
                             .rcpt_keeps = true, .body = "both", .xml = "<m>both</m>" };
    assert_int_equal(archive_append(&f->st, &m), PL_OK);
    struct archive_msg self = { .key = 2000000, .tag = 2, .sender = "a@x", .rcpt = "a@x",
                                .rcpt_keeps = true, .body = "memo", .xml = "<m>memo</m>" };
    assert_int_equal(archive_append(&f->st, &self), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    for (int pass = 0; pass < 2; pass++) {
        struct archive_filter qa = { .owner = "a@x", .max = 50 };
        struct archive_filter qb = { .owner = "b@x", .with = "a@x", .with_res = "pc", .max = 50 };
        struct archive_filter qs = { .owner = "a@x", .with = "a@x", .max = 50 };
        assert_string_equal(run_query(f, &qa).ids, "s1,s2");
        assert_string_equal(run_query(f, &qb).ids, "s1");
        assert_string_equal(run_query(f, &qs).ids, "s2");
        qb.with_res = "pc2";
        assert_int_equal(run_query(f, &qb).n, 0);
        index_all(f); /* the same answers from the index */
    }
    /* Appended after the index passed its key: indexed at once, so still found. */
    struct archive_msg late = { .key = 1500000, .tag = 9, .sender = "b@x", .rcpt = "a@x",
                                .rcpt_keeps = true, .body = "late", .xml = "<m>late</m>" };
    assert_int_equal(archive_append(&f->st, &late), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    struct archive_filter q = { .owner = "a@x", .fulltext = "late", .max = 50 };
    assert_string_equal(run_query(f, &q).ids, "x");
    struct archive_filter qb = { .owner = "b@x", .max = 50 }; /* b did not keep it */
    assert_string_equal(run_query(f, &qb).ids, "s1");
    raw_check_fts(f);
}

static void test_archive_sid_format(void **state)
{
    (void)state;
    char sid[ARCHIVE_SID_LEN + 1];
    long long key;
    unsigned long long tag, top = (1ULL << ARCHIVE_TAG_BITS) - 1;
    archive_sid_format(0x662035440735dLL, top, sid);
    assert_string_equal(sid, "0662035440735d________");
    assert_true(archive_sid_parse(sid, &key, &tag));
    assert_true(key == 0x662035440735dLL && tag == top);
    archive_sid_format(1, 0, sid);
    assert_string_equal(sid, "00000000000001AAAAAAAA");
    assert_false(archive_sid_parse("00000000000001AAAAAAA", &key, &tag));   /* short */
    assert_false(archive_sid_parse("0000000000000GAAAAAAAA", &key, &tag));  /* not hex */
    assert_false(archive_sid_parse("00000000000001AAAAAAA+", &key, &tag));  /* not base64url */
    assert_false(archive_sid_parse("00000000000001AAAAAAAAA", &key, &tag)); /* long */
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
    assert_int_equal(store_open(f), 0);
    struct archive_filter q = { .owner = "a@x", .with = "b@x", .max = 50 };
    struct got g = run_query(f, &q);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.xml_last, "<m2/>");
    q.with_res = "phone"; /* the resource of the peer the copy was sent to */
    assert_int_equal(run_query(f, &q).n, 1);
    struct archive_filter b = { .owner = "b@x", .max = 50 }; /* b kept nothing */
    assert_int_equal(run_query(f, &b).n, 0);
    index_all(f);
    struct archive_filter s = { .owner = "a@x", .fulltext = "old", .max = 50 };
    assert_int_equal(run_query(f, &s).n, 2);
    assert_int_equal(archive_amend(&f->st, "a@x", "b@x", "m1", "new hello", "<m1b/>"), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    raw_check_fts(f);
}

static int fault_setup(void **state) { return tmp_store_fault_setup(state, setup); }
static int fault_teardown(void **state) { return tmp_store_fault_teardown(state, teardown); }

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
        int a = put(f, "a@x", "b@x", (int)n, body);
        if (a == PL_OK)
            a = archive_index(&f->st, 10, &k);
        int fl = storage_flush(&f->st);
        acked[n] = a == PL_OK && fl == PL_OK;
        failed += !acked[n];
        struct archive_filter q = { .owner = "a@x", .fulltext = body, .max = 5 };
        struct got g = run_query(f, &q);
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
    assert_int_equal(store_open(f), 0);
    for (unsigned i = 1; i <= n; i++) {
        if (!acked[i])
            continue;
        const char *ids[] = { S((int)i) };
        struct archive_filter q = { .owner = "a@x", .ids = ids, .n_ids = 1, .max = 1 };
        struct got g = run_query(f, &q);
        assert_int_equal(g.n, 1);
    }
    print_message("archive: %u fault points, %u writes and %u queries failed\n", n - 1, failed,
                  qfailed);
    assert_true(failed > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_archive_paging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_archive_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_archive_fulltext, setup, teardown),
        cmocka_unit_test_setup_teardown(test_archive_amend_and_purge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_archive_meta_and_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_archive_prefs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_archive_wake_then_complete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_archive_close_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(test_archive_account_gone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_archive_account_gone_shared, setup, teardown),
        cmocka_unit_test_setup_teardown(test_archive_shared_rows, setup, teardown),
        cmocka_unit_test(test_archive_sid_format),
        cmocka_unit_test_setup_teardown(test_archive_upgrade_keeps_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_archive_under_faults, fault_setup, fault_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
