/* SPDX-License-Identifier: MIT */
/* Tests of the SQLite message archive (storage/sqlite_archive*.c): writes, paging, filters,
 * search, corrections, purge and the shared rows both parties' archives keep. */
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

static long long mam_far_future(void) { return 1LL << 62; }

static void test_archive_paging(void **state)
{
    struct fx *f = *state;
    afx_fill(f);
    struct archive_filter q = { .owner = "a@x", .max = 4 };
    struct got g = afx_query(f, &q);
    assert_int_equal(g.rc, PL_OK);
    assert_string_equal(g.ids, "s1,s2,s3,s4");
    assert_false(g.complete);
    q.after[1] = sid_of(4); /* forward paging: no overlap, no gap */
    g = afx_query(f, &q);
    assert_string_equal(g.ids, "s5,s6,s7,s8");
    q.after[1] = sid_of(8);
    g = afx_query(f, &q);
    assert_string_equal(g.ids, "s9,s10");
    assert_true(g.complete);
    assert_int_equal(g.count, -1); /* paged: the total is not cheap */

    struct archive_filter last = { .owner = "a@x", .max = 3, .from_end = true };
    g = afx_query(f, &last);
    assert_string_equal(g.ids, "s8,s9,s10");
    assert_false(g.complete);
    last.before[1] = sid_of(8);
    g = afx_query(f, &last);
    assert_string_equal(g.ids, "s5,s6,s7");
    last.before[1] = sid_of(2);
    g = afx_query(f, &last);
    assert_string_equal(g.ids, "s1");
    assert_true(g.complete);

    struct archive_filter all = { .owner = "a@x", .max = 50 };
    g = afx_query(f, &all);
    assert_int_equal(g.n, 10);
    assert_true(g.complete);
    assert_int_equal(g.count, 10);
    all.max = 10; /* exactly max rows: still complete */
    g = afx_query(f, &all);
    assert_true(g.complete);
}

static void test_archive_filters(void **state)
{
    struct fx *f = *state;
    afx_fill(f);
    struct archive_filter q = { .owner = "a@x", .with = "b@x", .max = 50 };
    struct got g = afx_query(f, &q);
    assert_string_equal(g.ids, "s1,s3,s5,s7,s9");
    q.with_res = "r2"; /* a full JID whose resource never wrote */
    g = afx_query(f, &q);
    assert_int_equal(g.n, 0);
    assert_true(g.complete);
    q.with_res = "r1";
    q.start_us = 3000000; /* inclusive bounds */
    q.end_us = 7000000;
    g = afx_query(f, &q);
    assert_string_equal(g.ids, "s3,s5,s7");
    q.after[0] = sid_of(3); /* after-id and before-id narrow further */
    q.before[0] = sid_of(7);
    g = afx_query(f, &q);
    assert_string_equal(g.ids, "s5");
    q.before[0] = sid_of(12); /* another owner's message is unknown here */
    g = afx_query(f, &q);
    assert_int_equal(g.rc, PL_ENOTFOUND);

    const char *ids[] = { sid_of(9), sid_of(2), "nope", sid_of(11) };
    struct archive_filter byid = { .owner = "a@x", .ids = ids, .n_ids = 4, .max = 50 };
    g = afx_query(f, &byid);
    assert_int_equal(g.rc, PL_OK);
    assert_string_equal(g.ids, "s2,s9");

    struct archive_filter none = { .owner = "nobody@x", .max = 5 };
    g = afx_query(f, &none);
    assert_int_equal(g.rc, PL_OK);
    assert_int_equal(g.n, 0);
    assert_true(g.complete);
    none.after[1] = sid_of(1);
    g = afx_query(f, &none);
    assert_int_equal(g.rc, PL_ENOTFOUND);
}

static void fulltext_answers(struct fx *f)
{
    struct archive_filter q = { .owner = "a@x", .fulltext = "pear", .max = 50 };
    struct got g = afx_query(f, &q);
    assert_string_equal(g.ids, "s3,s6,s9");
    q.fulltext = "HELLO   apple"; /* every word, any case */
    q.max = 3;
    g = afx_query(f, &q);
    assert_string_equal(g.ids, "s1,s2,s4");
    assert_false(g.complete);
    q.after[1] = sid_of(4);
    g = afx_query(f, &q);
    assert_string_equal(g.ids, "s5,s7,s8");
    q.after[1] = NULL;
    q.from_end = true;
    g = afx_query(f, &q);
    assert_string_equal(g.ids, "s7,s8,s10");
    q.with = "b@x";
    q.from_end = false;
    g = afx_query(f, &q);
    assert_string_equal(g.ids, "s1,s5,s7");
    struct archive_filter other = { .owner = "d@x", .fulltext = "apple", .max = 50 };
    g = afx_query(f, &other); /* only the owner's own rows */
    assert_string_equal(g.ids, "s11,s12,s13");
    other.fulltext = "\"owner : 1\" OR *"; /* FTS syntax is taken as words */
    g = afx_query(f, &other);
    assert_int_equal(g.rc, PL_OK);
    assert_int_equal(g.n, 0);
    other.fulltext = "   ";
    g = afx_query(f, &other);
    assert_int_equal(g.rc, PL_EINVAL);
    /* Words as the tokenizer folds them; a word of several tokens is a phrase. */
    static const struct {
        const char *text, *ids;
    } folded[] = {
        { "creme BRULEE", "s31" }, { "parley-bench", "s31" }, { "Parley bench", "s31,s32" },
        { "bench-parley", "" },    { "then, parley", "s32" }, { "!!! crème", "s31" },
        { "!!!", "" },             { "brul", "" },
    };
    for (size_t i = 0; i < ARRAY_LEN(folded); i++) {
        struct archive_filter e = { .owner = "e@x", .fulltext = folded[i].text, .max = 50 };
        assert_string_equal(afx_query(f, &e).ids, folded[i].ids);
    }
}

/* Searches give the same answers whether the rows are indexed or not (pass 0: none is; the
 * readers match their words with the index's tokenizer). */
static void test_archive_fulltext(void **state)
{
    struct fx *f = *state;
    afx_fill_unindexed(f);
    assert_int_equal(afx_put(f, "e@x", "b@x", 31, "Crème Brûlée, parley-bench!"), PL_OK);
    assert_int_equal(afx_put(f, "e@x", "b@x", 32, "bench, then parley"), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    for (int pass = 0; pass < 2; pass++) {
        fulltext_answers(f);
        afx_index_all(f);
    }
}


static void test_archive_amend_and_purge(void **state)
{
    struct fx *f = *state;
    afx_fill(f);
    /* A correction of m3 (received from b@x) replaces text and xml; search follows. */
    assert_int_equal(archive_amend(&f->st, "b@x", "a@x", "m3", "fixed text",
                                   "<message id='m3'><body>fixed text</body></message>"),
                     PL_OK);
    assert_int_equal(archive_amend(&f->st, "a@x", "b@x", "m3", "x", "<x/>"),
                     PL_ENOTFOUND); /* the other direction is not the author's */
    assert_int_equal(archive_amend(&f->st, "a@x", "c@x", "m4", NULL, "<retracted/>"),
                     PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    const char *ids[] = { sid_of(3) };
    struct archive_filter q = { .owner = "a@x", .ids = ids, .n_ids = 1, .max = 5 };
    struct got g = afx_query(f, &q);
    assert_string_equal(g.xml_last, "<message id='m3'><body>fixed text</body></message>");
    struct archive_filter s = { .owner = "a@x", .fulltext = "fixed", .max = 5 };
    g = afx_query(f, &s);
    assert_string_equal(g.ids, "s3");
    s.fulltext = "number4"; /* a retracted body leaves the index */
    g = afx_query(f, &s);
    assert_int_equal(g.n, 0);
    s.fulltext = "number3";
    g = afx_query(f, &s);
    assert_int_equal(g.n, 0);
    /* A row amended before it was indexed is found by its new text, before and after. */
    assert_int_equal(afx_put(f, "a@x", "b@x", 21, "typo"), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    s.fulltext = "typo";
    assert_string_equal(afx_query(f, &s).ids, "s21"); /* not indexed yet: found all the same */
    assert_int_equal(archive_amend(&f->st, "b@x", "a@x", "m21", "typing", "<m/>"), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    for (int pass = 0; pass < 2; pass++) {
        s.fulltext = "typo";
        assert_int_equal(afx_query(f, &s).n, 0);
        s.fulltext = "typing";
        assert_string_equal(afx_query(f, &s).ids, "s21");
        afx_index_all(f);
    }

    unsigned n = 99;
    assert_int_equal(archive_purge(&f->st, 5000000, 3, &n), PL_OK); /* before 5 s: s1..s4 */
    assert_int_equal(n, 3);
    assert_int_equal(archive_purge(&f->st, 5000000, 3, &n), PL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(archive_purge(&f->st, 5000000, 3, &n), PL_OK);
    assert_int_equal(n, 0);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    struct archive_filter all = { .owner = "a@x", .max = 50 };
    g = afx_query(f, &all);
    assert_string_equal(g.ids, "s5,s6,s7,s8,s9,s10,s21");
    s.fulltext = "hello";
    g = afx_query(f, &s);
    assert_string_equal(g.ids, "s5,s6,s7,s8,s9");
    /* Unindexed rows that are purged leave nothing behind in the index. */
    assert_int_equal(afx_put(f, "a@x", "b@x", 22, "ephemeral"), PL_OK);
    assert_int_equal(archive_purge(&f->st, mam_far_future(), 100, &n), PL_OK);
    afx_index_all(f);
    s.fulltext = "ephemeral hello typing";
    g = afx_query(f, &s);
    assert_int_equal(g.rc, PL_OK);
    assert_int_equal(g.n, 0);
    afx_check_index(f);
}

static void meta_done(void *ctx, const struct archive_meta *m)
{
    struct got *g = ctx;
    g->called = true;
    g->rc = m->rc;
    char first[32], last[32];
    afx_short_name(m->first_id, first, sizeof(first));
    afx_short_name(m->last_id, last, sizeof(last));
    snprintf(g->ids, sizeof(g->ids), "%s..%s", first, last);
    g->count = m->last_us - m->first_us;
}

static void test_archive_meta_and_order(void **state)
{
    struct fx *f = *state;
    struct got g = { 0 };
    assert_int_equal(archive_meta(&f->st, "a@x", meta_done, &g), PL_OK);
    afx_wait(f, &g.called);
    assert_int_equal(g.rc, PL_OK);
    assert_string_equal(g.ids, "-..-");
    afx_fill(f);
    /* A key asked with a clock that went back comes after the newest: order stays. */
    long long key;
    assert_int_equal(archive_new_key(&f->st, 1, &key), PL_OK);
    assert_true(key > 13000000);
    struct archive_msg m = { .key = key, .tag = 5, .sender = "b@x", .rcpt = "a@x",
                             .rcpt_keeps = true, .xml = "<m/>" };
    assert_int_equal(archive_append(&f->st, &m), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    g = (struct got){ 0 };
    assert_int_equal(archive_meta(&f->st, "a@x", meta_done, &g), PL_OK);
    afx_wait(f, &g.called);
    assert_string_equal(g.ids, "s1..x");
    assert_true(g.count > 12000000 - 1000000);
    struct archive_filter q = { .owner = "a@x", .max = 2, .from_end = true };
    g = afx_query(f, &q);
    assert_string_equal(g.ids, "s10,x");
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
        assert_string_equal(afx_query(f, &qa).ids, "s1,s2");
        assert_string_equal(afx_query(f, &qb).ids, "s1");
        assert_string_equal(afx_query(f, &qs).ids, "s2");
        qb.with_res = "pc2";
        assert_int_equal(afx_query(f, &qb).n, 0);
        afx_index_all(f); /* the same answers from the index */
    }
    /* Appended after the index passed its key: indexed at once, so still found. */
    struct archive_msg late = { .key = 1500000, .tag = 9, .sender = "b@x", .rcpt = "a@x",
                                .rcpt_keeps = true, .body = "late", .xml = "<m>late</m>" };
    assert_int_equal(archive_append(&f->st, &late), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    struct archive_filter q = { .owner = "a@x", .fulltext = "late", .max = 50 };
    assert_string_equal(afx_query(f, &q).ids, "x");
    struct archive_filter qb = { .owner = "b@x", .max = 50 }; /* b did not keep it */
    assert_string_equal(afx_query(f, &qb).ids, "s1");
    afx_check_index(f);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_archive_paging, afx_setup, afx_teardown),
        cmocka_unit_test_setup_teardown(test_archive_filters, afx_setup, afx_teardown),
        cmocka_unit_test_setup_teardown(test_archive_fulltext, afx_setup, afx_teardown),
        cmocka_unit_test_setup_teardown(test_archive_amend_and_purge, afx_setup, afx_teardown),
        cmocka_unit_test_setup_teardown(test_archive_meta_and_order, afx_setup, afx_teardown),
        cmocka_unit_test_setup_teardown(test_archive_shared_rows, afx_setup, afx_teardown),
        cmocka_unit_test(test_archive_sid_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
