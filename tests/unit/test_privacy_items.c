/* SPDX-License-Identifier: MIT */
/* Table-driven tests of <item/> parsing and checking for privacy lists (privacy/items.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "privacy.h"

#define MAX_ITEMS 3

/* One <item/> as attributes (NULL: absent) and child element names (space-separated). */
struct item_xml {
    const char *type, *value, *action, *order, *children;
    const char *elem; /* NULL: "item" in jabber:iq:privacy */
};

struct items_case {
    const char *what;
    struct item_xml items[MAX_ITEMS];
    size_t n;
    enum stanza_cond cond;
    unsigned orders[MAX_ITEMS]; /* expected, sorted, when cond is COND_NONE */
    unsigned kinds0;            /* expected kinds of the first sorted item */
};

#define OK COND_NONE
#define BAD COND_BAD_REQUEST

static const struct items_case cases[] = {
    { "jid item", { { "jid", "bob@example.com", "deny", "3", NULL, NULL } }, 1, OK, { 3 },
      PRIV_KINDS_ALL },
    { "fall-through", { { NULL, NULL, "allow", "0", NULL, NULL } }, 1, OK, { 0 },
      PRIV_KINDS_ALL },
    { "sorted by order",
      { { NULL, NULL, "allow", "68", NULL, NULL }, { "jid", "a@b", "deny", "5", "message", NULL },
        { "group", "Friends", "allow", "4294967295", NULL, NULL } },
      3, OK, { 5, 68, 4294967295u }, PRIV_MESSAGE },
    { "kinds", { { "subscription", "both", "deny", "1", "iq presence-in presence-out", NULL } },
      1, OK, { 1 }, PRIV_IQ | PRIV_PRES_IN | PRIV_PRES_OUT },
    { "all four kinds", { { NULL, NULL, "deny", "1", "message iq presence-in presence-out",
                            NULL } },
      1, OK, { 1 }, PRIV_KINDS_ALL },
    { "empty list", { { 0 } }, 0, OK, { 0 }, 0 },
    { "duplicate order",
      { { NULL, NULL, "allow", "1", NULL, NULL }, { "jid", "a@b", "deny", "1", NULL, NULL } }, 2,
      BAD, { 0 }, 0 },
    { "no action", { { NULL, NULL, NULL, "1", NULL, NULL } }, 1, BAD, { 0 }, 0 },
    { "bad action", { { NULL, NULL, "block", "1", NULL, NULL } }, 1, BAD, { 0 }, 0 },
    { "no order", { { NULL, NULL, "deny", NULL, NULL, NULL } }, 1, BAD, { 0 }, 0 },
    { "negative order", { { NULL, NULL, "deny", "-1", NULL, NULL } }, 1, BAD, { 0 }, 0 },
    { "order too big", { { NULL, NULL, "deny", "4294967296", NULL, NULL } }, 1, BAD, { 0 }, 0 },
    { "order not a number", { { NULL, NULL, "deny", "1x", NULL, NULL } }, 1, BAD, { 0 }, 0 },
    { "empty order", { { NULL, NULL, "deny", "", NULL, NULL } }, 1, BAD, { 0 }, 0 },
    { "unknown type", { { "color", "red", "deny", "1", NULL, NULL } }, 1, BAD, { 0 }, 0 },
    { "jid without value", { { "jid", NULL, "deny", "1", NULL, NULL } }, 1, BAD, { 0 }, 0 },
    { "invalid jid", { { "jid", "a@b@c", "deny", "1", NULL, NULL } }, 1, BAD, { 0 }, 0 },
    { "empty group", { { "group", "", "deny", "1", NULL, NULL } }, 1, BAD, { 0 }, 0 },
    { "subscription remove", { { "subscription", "remove", "deny", "1", NULL, NULL } }, 1, BAD,
      { 0 }, 0 },
    { "subscription missing", { { "subscription", NULL, "deny", "1", NULL, NULL } }, 1, BAD,
      { 0 }, 0 },
    { "unknown child", { { NULL, NULL, "deny", "1", "message chat", NULL } }, 1, BAD, { 0 }, 0 },
    { "not an item", { { NULL, NULL, "deny", "1", NULL, "rule" } }, 1, BAD, { 0 }, 0 },
    { "bad one among good ones",
      { { NULL, NULL, "allow", "2", NULL, NULL }, { "jid", "", "deny", "1", NULL, NULL } }, 2,
      BAD, { 0 }, 0 },
};

static void set(struct stanza *st, struct xel *el, const char *name, const char *value)
{
    if (value)
        xel_set_attr(st, el, name, value);
}

static struct stanza *build(const struct items_case *c)
{
    struct stanza *st = stanza_new("list", NS_PRIVACY);
    for (size_t i = 0; i < c->n; i++) {
        const struct item_xml *x = &c->items[i];
        struct xel *it = xel_add_child(st, st->root, x->elem ? x->elem : "item", NS_PRIVACY);
        set(st, it, "type", x->type);
        set(st, it, "value", x->value);
        set(st, it, "action", x->action);
        set(st, it, "order", x->order);
        char kids[64];
        strcpy(kids, x->children ? x->children : "");
        for (char *k = strtok(kids, " "); k; k = strtok(NULL, " "))
            xel_add_child(st, it, k, NS_PRIVACY);
    }
    return st;
}

static void test_items_table(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        const struct items_case *c = &cases[k];
        struct stanza *st = build(c);
        struct priv_item *items = (struct priv_item *)1;
        size_t n = 99;
        enum stanza_cond cond = priv_items_parse(st->root, &items, &n);
        if (cond != c->cond)
            fail_msg("case '%s': condition %d, expected %d", c->what, cond, c->cond);
        if (cond == COND_NONE) {
            assert_int_equal(n, c->n);
            for (size_t i = 0; i < n; i++)
                if (items[i].order != c->orders[i])
                    fail_msg("case '%s': item %zu has order %u", c->what, i, items[i].order);
            if (n)
                assert_int_equal(items[0].kinds, c->kinds0);
        } else {
            assert_null(items);
            assert_int_equal(n, 0);
        }
        priv_items_free(cond == COND_NONE ? items : NULL, n);
        stanza_unref(st);
    }
}

/* A JID value is stored prepared; subscription words are parsed. */
static void test_values_prepared(void **state)
{
    (void)state;
    static const struct items_case c = {
        "prepared", { { "jid", "Bob@Example.COM/Phone", "deny", "1", NULL, NULL },
                      { "subscription", "from", "allow", "2", NULL, NULL } },
        2, OK, { 1, 2 }, PRIV_KINDS_ALL,
    };
    struct stanza *st = build(&c);
    struct priv_item *items;
    size_t n;
    assert_int_equal(priv_items_parse(st->root, &items, &n), COND_NONE);
    assert_string_equal(items[0].value, "bob@example.com/Phone");
    assert_non_null(items[0].jid);
    assert_int_equal(items[1].type, PRIV_T_SUB);
    assert_int_equal(items[1].sub, PRIV_SUB_FROM);
    assert_true(items[1].allow);
    priv_items_free(items, n);
    stanza_unref(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_items_table),
        cmocka_unit_test(test_values_prepared),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
