/* SPDX-License-Identifier: MIT */
/* Tests of the SQLite publish-subscribe ops (storage/sqlite_pubsub.c): the load order across
 * a reopen, item replacement, deletion and purge, node deletion, long items loaded without
 * their XML, item lookups, members removed by 0/0, a rollback, and an account's rows going
 * with it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base.h"
#include "storage_fx.h"

/* What pubsub_load gave, one line per row in call order (owned copies). */
struct seen {
    char *v[32];
    size_t n;
};

static void seen_add(struct seen *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void seen_add(struct seen *s, const char *fmt, ...)
{
    va_list ap;
    char *line = NULL;

    assert_true(s->n < ARRAY_LEN(s->v));
    va_start(ap, fmt);
    int n = vasprintf(&line, fmt, ap);
    va_end(ap);
    assert_true(n >= 0);
    s->v[s->n++] = line;
}

static void seen_free(struct seen *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    s->n = 0;
}

static void on_node(void *ctx, const struct pubsub_node_row *r)
{
    seen_add(ctx, "N %s %s %s", r->service, r->node, r->config);
}

/* "-" stands for a NULL publisher or XML; the length is always the stored one. */
static void on_item(void *ctx, const struct pubsub_item_row *r)
{
    seen_add(ctx, "I %s %s %s %lld %s %s %zu", r->service, r->node, r->id, r->seq,
             r->publisher ? r->publisher : "-", r->xml ? r->xml : "-", r->xml_len);
}

static void on_member(void *ctx, const struct pubsub_member_row *r)
{
    seen_add(ctx, "M %s %s %s %d %d", r->service, r->node, r->jid, r->affiliation,
             r->subscription);
}

/* Loads everything with the given max_xml and checks the lines against want, in order. */
static void assert_load(struct storage *st, size_t max_xml, const char *const *want, size_t n)
{
    struct seen got = { 0 };
    struct pubsub_loader l = {
        .ctx = &got,
        .max_xml = max_xml,
        .node = on_node,
        .item = on_item,
        .member = on_member,
    };
    assert_int_equal(pubsub_load(st, &l), PL_OK);
    for (size_t i = 0; i < got.n && i < n; i++)
        assert_string_equal(got.v[i], want[i]);
    assert_int_equal(got.n, n);
    seen_free(&got);
}

static void put_node(struct storage *st, const char *service, const char *node,
                     const char *config)
{
    struct pubsub_node_row r = { .service = service, .node = node, .config = config };
    assert_int_equal(pubsub_node_put(st, &r), PL_OK);
}

static void put_item(struct storage *st, const char *service, const char *node, const char *id,
                     long long seq, const char *xml)
{
    struct pubsub_item_row r = {
        .service = service,
        .node = node,
        .id = id,
        .seq = seq,
        .publisher = "pub@x",
        .xml = xml,
        .xml_len = strlen(xml),
    };
    assert_int_equal(pubsub_item_put(st, &r), PL_OK);
}

static void put_member(struct storage *st, const char *service, const char *node,
                       const char *jid, int affiliation, int subscription)
{
    struct pubsub_member_row r = {
        .service = service,
        .node = node,
        .jid = jid,
        .affiliation = affiliation,
        .subscription = subscription,
    };
    assert_int_equal(pubsub_member_put(st, &r), PL_OK);
}

/* want NULL: the item must be absent. */
static void assert_item(struct storage *st, const char *service, const char *node,
                        const char *id, const char *want)
{
    char *xml = NULL;
    int rc = pubsub_item_get(st, service, node, id, &xml);
    assert_stored_text(rc, xml, want);
}

static long long raw_count(struct fx *f, const char *sql)
{
    assert_int_equal(storage_flush(&f->st), PL_OK); /* the raw connection sees commits only */
    return raw_int_file(f->path, sql);
}

/* Rows written members first, items out of seq order and nodes last come back nodes, then
 * items by service, node and seq, then members, after a close and a reopen. */
static void test_pubsub_round_trip_in_load_order(void **state)
{
    struct fx *f = *state;
    fx_open(f);
    put_member(&f->st, "ps.x", "news", "b@x", 1, 2);
    put_member(&f->st, "a@x", "mood", "b@x", 0, 1);
    put_item(&f->st, "ps.x", "news", "n3", 3, "<item id='n3'/>");
    put_item(&f->st, "ps.x", "news", "n1", 1, "<item id='n1'/>");
    put_item(&f->st, "a@x", "mood", "m1", 7, "<item id='m1'/>");
    put_item(&f->st, "ps.x", "news", "n2", 2, "<item id='n2'>\xc3\xa9</item>");
    put_node(&f->st, "ps.x", "news", "c=news");
    put_node(&f->st, "a@x", "mood", "c=mood");
    assert_int_equal(storage_flush(&f->st), PL_OK);
    storage_close(&f->st);
    fx_open(f);
    static const char *const want[] = {
        "N a@x mood c=mood",
        "N ps.x news c=news",
        "I a@x mood m1 7 pub@x <item id='m1'/> 15",
        "I ps.x news n1 1 pub@x <item id='n1'/> 15",
        "I ps.x news n2 2 pub@x <item id='n2'>\xc3\xa9</item> 23",
        "I ps.x news n3 3 pub@x <item id='n3'/> 15",
        "M a@x mood b@x 0 1",
        "M ps.x news b@x 1 2",
    };
    assert_load(&f->st, 1024, want, ARRAY_LEN(want));
}

/* Unflushed writes go with a rollback; flushed ones stay. */
static void test_pubsub_rollback(void **state)
{
    struct fx *f = *state;
    fx_open(f);
    put_node(&f->st, "ps.x", "news", "");
    put_item(&f->st, "ps.x", "news", "i1", 1, "<item id='i1'/>");
    assert_int_equal(storage_flush(&f->st), PL_OK);
    put_item(&f->st, "ps.x", "news", "i2", 2, "<item id='i2'/>");
    put_member(&f->st, "ps.x", "news", "b@x", 1, 0);
    assert_int_equal(pubsub_node_delete(&f->st, "ps.x", "news"), PL_OK);
    assert_int_equal(storage_rollback(&f->st), PL_OK);
    static const char *const want[] = {
        "N ps.x news ",
        "I ps.x news i1 1 pub@x <item id='i1'/> 15",
    };
    assert_load(&f->st, 1024, want, ARRAY_LEN(want));
}

/* A replaced item is one row with the new seq and XML; delete and purge take items only. */
static void test_pubsub_item_replace_delete_purge(void **state)
{
    struct fx *f = *state;
    fx_open(f);
    put_node(&f->st, "ps.x", "a", "");
    put_node(&f->st, "ps.x", "b", "");
    put_item(&f->st, "ps.x", "a", "i1", 1, "<item id='i1'>old</item>");
    put_item(&f->st, "ps.x", "a", "i2", 2, "<item id='i2'/>");
    put_item(&f->st, "ps.x", "a", "i3", 3, "<item id='i3'/>");
    put_item(&f->st, "ps.x", "b", "i1", 1, "<item id='i1'>b</item>");
    put_item(&f->st, "ps.x", "a", "i1", 4, "<item id='i1'>new</item>");
    assert_int_equal(raw_count(f, "SELECT count(*) FROM pubsub_items WHERE node = 'a'"
                                  " AND id = 'i1'"),
                     1);
    static const char *const replaced[] = {
        "N ps.x a ",
        "N ps.x b ",
        "I ps.x a i2 2 pub@x <item id='i2'/> 15",
        "I ps.x a i3 3 pub@x <item id='i3'/> 15",
        "I ps.x a i1 4 pub@x <item id='i1'>new</item> 24",
        "I ps.x b i1 1 pub@x <item id='i1'>b</item> 22",
    };
    assert_load(&f->st, 1024, replaced, ARRAY_LEN(replaced));
    assert_int_equal(pubsub_item_delete(&f->st, "ps.x", "a", "i2"), PL_OK);
    assert_int_equal(pubsub_item_delete(&f->st, "ps.x", "a", "i2"), PL_OK); /* none left */
    assert_item(&f->st, "ps.x", "a", "i2", NULL);
    assert_item(&f->st, "ps.x", "a", "i3", "<item id='i3'/>");
    assert_int_equal(pubsub_items_purge(&f->st, "ps.x", "a"), PL_OK);
    assert_int_equal(pubsub_items_purge(&f->st, "ps.x", "a"), PL_OK); /* none left */
    assert_int_equal(storage_flush(&f->st), PL_OK);
    static const char *const purged[] = {
        "N ps.x a ",
        "N ps.x b ",
        "I ps.x b i1 1 pub@x <item id='i1'>b</item> 22",
    };
    assert_load(&f->st, 1024, purged, ARRAY_LEN(purged));
}

/* A node goes with its items and members; its namesake elsewhere and its siblings stay, and
 * a new configuration keeps the node's items. */
static void test_pubsub_node_delete(void **state)
{
    struct fx *f = *state;
    fx_open(f);
    static const char *const services[] = { "ps.x", "a@x" };
    for (size_t i = 0; i < ARRAY_LEN(services); i++) {
        put_node(&f->st, services[i], "n", "c1");
        put_item(&f->st, services[i], "n", "i", 1, "<item id='i'/>");
        put_member(&f->st, services[i], "n", "b@x", 1, 1);
    }
    put_node(&f->st, "ps.x", "other", "");
    put_item(&f->st, "ps.x", "other", "i", 1, "<item id='i'/>");
    put_member(&f->st, "ps.x", "other", "b@x", 2, 0);
    put_node(&f->st, "a@x", "n", "c2");
    assert_int_equal(pubsub_node_delete(&f->st, "ps.x", "n"), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    static const char *const want[] = {
        "N a@x n c2",
        "N ps.x other ",
        "I a@x n i 1 pub@x <item id='i'/> 14",
        "I ps.x other i 1 pub@x <item id='i'/> 14",
        "M a@x n b@x 1 1",
        "M ps.x other b@x 2 0",
    };
    assert_load(&f->st, 1024, want, ARRAY_LEN(want));
    assert_item(&f->st, "ps.x", "n", "i", NULL);
}

/* Items longer than max_xml bytes (not characters) come without XML but with their length;
 * item_get still gives them whole. The stored text is xml_len bytes of xml. */
static void test_pubsub_max_xml(void **state)
{
    struct fx *f = *state;
    fx_open(f);
    put_node(&f->st, "ps.x", "n", "");
    put_item(&f->st, "ps.x", "n", "short", 1, "<item/>");
    put_item(&f->st, "ps.x", "n", "exact", 2, "<item>1</item>");
    put_item(&f->st, "ps.x", "n", "over", 3, "<item>12</item>");
    /* 14 characters (fits), 15 bytes (does not) */
    put_item(&f->st, "ps.x", "n", "utf8", 4, "<item>\xc3\xa9</item>");
    struct pubsub_item_row cut = {
        .service = "ps.x",
        .node = "n",
        .id = "cut",
        .seq = 5,
        .xml = "<item/>trailing",
        .xml_len = 7, /* the bytes after it are not the item's */
    };
    assert_int_equal(pubsub_item_put(&f->st, &cut), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    static const char *const want[] = {
        "N ps.x n ",
        "I ps.x n short 1 pub@x <item/> 7",
        "I ps.x n exact 2 pub@x <item>1</item> 14",
        "I ps.x n over 3 pub@x - 15",
        "I ps.x n utf8 4 pub@x - 15",
        "I ps.x n cut 5 - <item/> 7",
    };
    assert_load(&f->st, 14, want, ARRAY_LEN(want));
    assert_item(&f->st, "ps.x", "n", "over", "<item>12</item>");
    assert_item(&f->st, "ps.x", "n", "utf8", "<item>\xc3\xa9</item>");
    assert_item(&f->st, "ps.x", "n", "cut", "<item/>");
}

/* item_get knows an item by service, node and id together. */
static void test_pubsub_item_get(void **state)
{
    static const struct {
        const char *service, *node, *id, *want;
    } cases[] = {
        { "ps.x", "n", "i", "<item id='i'>ps</item>" },
        { "a@x", "n", "i", "<item id='i'>pep</item>" },
        { "ps.x", "n", "j", NULL },
        { "ps.x", "m", "i", NULL },
        { "b@x", "n", "i", NULL },
        { "ps.x", "n", "I", NULL },
    };
    struct fx *f = *state;
    fx_open(f);
    put_item(&f->st, "ps.x", "n", "i", 1, "<item id='i'>ps</item>");
    put_item(&f->st, "a@x", "n", "i", 1, "<item id='i'>pep</item>");
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        print_message("item_get %s %s %s\n", cases[i].service, cases[i].node, cases[i].id);
        assert_item(&f->st, cases[i].service, cases[i].node, cases[i].id, cases[i].want);
    }
}

/* A member changes in place; 0/0 removes it (also when there is none), one of them alone
 * does not. */
static void test_pubsub_member_put(void **state)
{
    struct fx *f = *state;
    fx_open(f);
    put_member(&f->st, "ps.x", "n", "b@x", 1, 0);
    put_member(&f->st, "ps.x", "n", "c@x", 0, 1);
    put_member(&f->st, "ps.x", "n", "b@x", 3, 2);
    static const char *const changed[] = { "M ps.x n b@x 3 2", "M ps.x n c@x 0 1" };
    assert_load(&f->st, 1024, changed, ARRAY_LEN(changed));
    put_member(&f->st, "ps.x", "n", "b@x", 0, 0);
    put_member(&f->st, "ps.x", "n", "d@x", 0, 0);
    assert_int_equal(raw_count(f, "SELECT count(*) FROM pubsub_members"), 1);
    static const char *const removed[] = { "M ps.x n c@x 0 1" };
    assert_load(&f->st, 1024, removed, ARRAY_LEN(removed));
}

/* A deleted account takes its PEP service and its memberships (bare or full JID) along;
 * others' services, items it published there and namesakes of its JID stay. */
static void test_pubsub_goes_with_the_account(void **state)
{
    struct fx *f = *state;
    fx_open(f);
    struct scram_creds c = creds_for(1);
    assert_int_equal(account_create(&f->st, "a@x", &c), PL_OK);
    assert_int_equal(account_create(&f->st, "b@x", &c), PL_OK);
    put_node(&f->st, "a@x", "mood", "");
    put_item(&f->st, "a@x", "mood", "m", 1, "<item id='m'/>");
    put_member(&f->st, "a@x", "mood", "b@x", 0, 1);
    put_node(&f->st, "b@x", "tune", "");
    put_item(&f->st, "b@x", "tune", "t", 1, "<item id='t'/>");
    put_member(&f->st, "b@x", "tune", "a@x", 0, 1);
    put_member(&f->st, "b@x", "tune", "a@x.y", 0, 1);
    put_node(&f->st, "ps.x", "news", "");
    put_item(&f->st, "ps.x", "news", "n", 1, "<item id='n'/>");
    put_member(&f->st, "ps.x", "news", "a@x", 1, 0);
    put_member(&f->st, "ps.x", "news", "a@x/phone", 0, 1);
    put_member(&f->st, "ps.x", "news", "b@x", 2, 1);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    assert_int_equal(account_delete(&f->st, "a@x"), PL_OK);
    assert_int_equal(storage_flush(&f->st), PL_OK);
    static const char *const want[] = {
        "N b@x tune ",
        "N ps.x news ",
        "I b@x tune t 1 pub@x <item id='t'/> 14",
        "I ps.x news n 1 pub@x <item id='n'/> 14",
        "M b@x tune a@x.y 0 1",
        "M ps.x news b@x 2 1",
    };
    assert_load(&f->st, 1024, want, ARRAY_LEN(want));
    assert_item(&f->st, "a@x", "mood", "m", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pubsub_round_trip_in_load_order, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_pubsub_rollback, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_pubsub_item_replace_delete_purge, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_pubsub_node_delete, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_pubsub_max_xml, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_pubsub_item_get, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_pubsub_member_put, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_pubsub_goes_with_the_account, fx_setup,
                                        fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
