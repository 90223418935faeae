/* SPDX-License-Identifier: MIT */
/* Table-driven tests of the XEP-0016 rule evaluator (privacy/rules.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rules.h"

#define ALL PRIV_KINDS_ALL
#define MSG PRIV_MESSAGE
#define IQ PRIV_IQ
#define PIN PRIV_PRES_IN
#define POUT PRIV_PRES_OUT

/* An item as text: type, value, allow, kinds, order. */
struct item_spec {
    enum priv_type type;
    const char *value;
    bool allow;
    unsigned kinds;
    unsigned order;
};

/* The peer: its JID and what the owner's roster says about it. */
struct peer_spec {
    const char *jid;
    bool in_roster;
    enum priv_sub sub;
    const char *groups[3];
};

#define MAX_ITEMS 4
struct rule_case {
    const char *what;
    struct item_spec items[MAX_ITEMS];
    size_t n;
    unsigned kind;
    struct peer_spec peer;
    bool allow;
    int matched; /* index of the deciding item, -1 for none */
};

static const struct peer_spec stranger = { "eve@evil.example/pc", false, PRIV_SUB_NONE, { 0 } };
static const struct peer_spec friend_both = { "bob@example.com/phone", true, PRIV_SUB_BOTH,
                                              { "Friends", "Work", NULL } };
static const struct peer_spec friend_to = { "carol@example.com", true, PRIV_SUB_TO, { 0 } };
static const struct peer_spec friend_from = { "dave@example.com/x", true, PRIV_SUB_FROM,
                                              { "Enemies", NULL } };
static const struct peer_spec listed_none = { "fred@example.com/y", true, PRIV_SUB_NONE, { 0 } };

static const struct rule_case cases[] = {
    /* empty list and fall-through */
    { "empty list allows", { { 0 } }, 0, MSG, stranger, true, -1 },
    { "fall-through deny", { { PRIV_T_ANY, NULL, false, ALL, 1 } }, 1, MSG, stranger, false, 0 },
    { "fall-through allow", { { PRIV_T_ANY, NULL, true, ALL, 1 } }, 1, IQ, stranger, true, 0 },
    /* jid items */
    { "bare jid covers any resource", { { PRIV_T_JID, "bob@example.com", false, ALL, 1 } }, 1,
      MSG, friend_both, false, 0 },
    { "bare jid does not cover others", { { PRIV_T_JID, "bob@example.com", false, ALL, 1 } }, 1,
      MSG, stranger, true, -1 },
    { "full jid covers that resource", { { PRIV_T_JID, "bob@example.com/phone", false, ALL, 1 } },
      1, IQ, friend_both, false, 0 },
    { "full jid not another resource", { { PRIV_T_JID, "bob@example.com/pc", false, ALL, 1 } },
      1, IQ, friend_both, true, -1 },
    { "full jid not the bare jid", { { PRIV_T_JID, "carol@example.com/r", false, ALL, 1 } }, 1,
      MSG, friend_to, true, -1 },
    { "domain covers its users", { { PRIV_T_JID, "evil.example", false, ALL, 1 } }, 1, MSG,
      stranger, false, 0 },
    { "domain covers subdomains", { { PRIV_T_JID, "example", false, ALL, 1 } }, 1, MSG, stranger,
      false, 0 },
    { "domain is not a suffix match", { { PRIV_T_JID, "il.example", false, ALL, 1 } }, 1, MSG,
      stranger, true, -1 },
    { "domain/resource is exact", { { PRIV_T_JID, "evil.example/pc", false, ALL, 1 } }, 1, MSG,
      stranger, true, -1 },
    /* group items */
    { "group member denied", { { PRIV_T_GROUP, "Work", false, ALL, 1 } }, 1, MSG, friend_both,
      false, 0 },
    { "not in group", { { PRIV_T_GROUP, "Work", false, ALL, 1 } }, 1, MSG, friend_from, true,
      -1 },
    { "stranger in no group", { { PRIV_T_GROUP, "Work", false, ALL, 1 } }, 1, MSG, stranger,
      true, -1 },
    /* subscription items */
    { "sub both", { { PRIV_T_SUB, "both", false, ALL, 1 } }, 1, MSG, friend_both, false, 0 },
    { "sub to", { { PRIV_T_SUB, "to", false, ALL, 1 } }, 1, MSG, friend_to, false, 0 },
    { "sub from", { { PRIV_T_SUB, "from", false, ALL, 1 } }, 1, MSG, friend_from, false, 0 },
    { "sub to is not both", { { PRIV_T_SUB, "to", false, ALL, 1 } }, 1, MSG, friend_both, true,
      -1 },
    { "sub none covers strangers", { { PRIV_T_SUB, "none", false, ALL, 1 } }, 1, MSG, stranger,
      false, 0 },
    { "sub none covers listed none", { { PRIV_T_SUB, "none", false, ALL, 1 } }, 1, MSG,
      listed_none, false, 0 },
    { "sub none is not from", { { PRIV_T_SUB, "none", false, ALL, 1 } }, 1, MSG, friend_from,
      true, -1 },
    /* kinds */
    { "message item, message", { { PRIV_T_ANY, NULL, false, MSG, 1 } }, 1, MSG, stranger, false,
      0 },
    { "message item, iq", { { PRIV_T_ANY, NULL, false, MSG, 1 } }, 1, IQ, stranger, true, -1 },
    { "iq item, iq", { { PRIV_T_ANY, NULL, false, IQ, 1 } }, 1, IQ, stranger, false, 0 },
    { "presence-in item, presence-in", { { PRIV_T_ANY, NULL, false, PIN, 1 } }, 1, PIN, stranger,
      false, 0 },
    { "presence-in item, presence-out", { { PRIV_T_ANY, NULL, false, PIN, 1 } }, 1, POUT,
      stranger, true, -1 },
    { "presence-out item, presence-out", { { PRIV_T_ANY, NULL, false, POUT, 1 } }, 1, POUT,
      stranger, false, 0 },
    { "two kinds", { { PRIV_T_ANY, NULL, false, MSG | PIN, 1 } }, 1, PIN, stranger, false, 0 },
    { "subscription stanza: only child-less items",
      { { PRIV_T_ANY, NULL, false, MSG | IQ | PIN | POUT, 1 } }, 1, 0, stranger, false, 0 },
    { "subscription stanza, message item", { { PRIV_T_ANY, NULL, false, MSG | PIN, 1 } }, 1, 0,
      stranger, true, -1 },
    { "outgoing message (mutual block)", { { PRIV_T_JID, "bob@example.com", false, ALL, 1 } }, 1,
      0, friend_both, false, 0 },
    /* ordering: the first matching item decides */
    { "allow before deny",
      { { PRIV_T_JID, "bob@example.com", true, ALL, 1 }, { PRIV_T_ANY, NULL, false, ALL, 2 } },
      2, MSG, friend_both, true, 0 },
    { "deny reached after non-matching allow",
      { { PRIV_T_JID, "carol@example.com", true, ALL, 1 }, { PRIV_T_ANY, NULL, false, ALL, 2 } },
      2, MSG, friend_both, false, 1 },
    { "kind mismatch skips to the next",
      { { PRIV_T_JID, "bob@example.com", false, IQ, 1 },
        { PRIV_T_GROUP, "Friends", true, ALL, 5 }, { PRIV_T_ANY, NULL, false, ALL, 9 } },
      3, MSG, friend_both, true, 1 },
    { "whitelist: both allowed, rest denied",
      { { PRIV_T_SUB, "both", true, ALL, 10 }, { PRIV_T_ANY, NULL, false, ALL, 15 } }, 2, IQ,
      friend_to, false, 1 },
};

/* Builds the items of c into out (JIDs parsed into jids, freed by the caller). */
static void build_items(const struct rule_case *c, struct priv_item *out, struct jid **jids)
{
    for (size_t i = 0; i < c->n; i++) {
        const struct item_spec *s = &c->items[i];
        out[i] = (struct priv_item){ .order = s->order, .type = s->type, .allow = s->allow,
                                     .kinds = s->kinds, .value = s->value };
        jids[i] = NULL;
        if (s->type == PRIV_T_JID) {
            jids[i] = jid_parse(s->value);
            assert_non_null(jids[i]);
            out[i].jid = jids[i];
        }
        if (s->type == PRIV_T_SUB)
            assert_true(priv_sub_parse(s->value, &out[i].sub));
    }
}

static void test_rule_table(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        const struct rule_case *c = &cases[k];
        struct priv_item items[MAX_ITEMS];
        struct jid *jids[MAX_ITEMS];
        build_items(c, items, jids);
        struct jid *pj = jid_parse(c->peer.jid);
        assert_non_null(pj);
        size_t ng = 0;
        while (ng < 3 && c->peer.groups[ng])
            ng++;
        struct priv_peer peer = { pj, c->peer.in_roster, c->peer.sub, c->peer.groups, ng };
        const struct priv_item *m = (const struct priv_item *)1;
        bool allow = priv_rules_allow(items, c->n, c->kind, &peer, &m);
        if (allow != c->allow || m != (c->matched < 0 ? NULL : &items[c->matched]))
            fail_msg("case '%s': got %s (item %td)", c->what, allow ? "allow" : "deny",
                     m ? m - items : -1);
        jid_free(pj);
        for (size_t i = 0; i < c->n; i++)
            jid_free(jids[i]);
    }
}

static void test_sub_parse(void **state)
{
    (void)state;
    static const struct { const char *in; bool ok; enum priv_sub out; } t[] = {
        { "none", true, PRIV_SUB_NONE }, { "to", true, PRIV_SUB_TO },
        { "from", true, PRIV_SUB_FROM }, { "both", true, PRIV_SUB_BOTH },
        { "remove", false, 0 },          { "", false, 0 },
        { "Both", false, 0 },            { NULL, false, 0 },
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        enum priv_sub s = PRIV_SUB_NONE;
        assert_int_equal(priv_sub_parse(t[i].in, &s), t[i].ok);
        if (t[i].ok)
            assert_int_equal(s, t[i].out);
    }
}

static void test_need_roster(void **state)
{
    (void)state;
    struct priv_item jid_only[] = { { .type = PRIV_T_JID }, { .type = PRIV_T_ANY } };
    struct priv_item with_group[] = { { .type = PRIV_T_JID }, { .type = PRIV_T_GROUP } };
    struct priv_item with_sub[] = { { .type = PRIV_T_SUB } };
    assert_false(priv_rules_need_roster(jid_only, 2));
    assert_true(priv_rules_need_roster(with_group, 2));
    assert_true(priv_rules_need_roster(with_sub, 1));
    assert_false(priv_rules_need_roster(NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule_table),
        cmocka_unit_test(test_sub_parse),
        cmocka_unit_test(test_need_roster),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
