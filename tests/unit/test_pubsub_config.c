/* SPDX-License-Identifier: MIT */
/* Tests of a pubsub node's configuration (pubsub/config.c): forms applied whole or not at all,
 * max_items and its "max", publish-options preconditions, and the stored form read back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pubsub.h"

#define FORM_OPEN "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'>" \
                  "<value>http://jabber.org/protocol/pubsub#node_config</value></field>"
#define FIELD(var, value) "<field var='pubsub#" var "'><value>" value "</value></field>"
#define FORM(fields) FORM_OPEN fields "</x>"

static const struct ps_opts opts = { .max_items = 100 };

static int apply(struct ps_config *c, const char *xml)
{
    struct stanza *st = stanza_parse(xml, strlen(xml));
    assert_non_null(st);
    int res = ps_config_apply(c, st->root, &opts);
    stanza_unref(st);
    return res;
}

static bool matches(const struct ps_config *c, const char *xml)
{
    struct stanza *st = stanza_parse(xml, strlen(xml));
    assert_non_null(st);
    bool ok = ps_config_matches(c, st->root, &opts);
    stanza_unref(st);
    return ok;
}

static void test_pep_and_service_defaults(void **state)
{
    (void)state;
    struct ps_config pep, svc;
    ps_config_defaults(&pep, true);
    ps_config_defaults(&svc, false);
    assert_int_equal(pep.access, PS_PRESENCE);
    assert_int_equal(pep.max_items, 1);
    assert_int_equal(pep.send_last, PS_LAST_ON_SUB_AND_PRESENCE);
    assert_int_equal(svc.access, PS_OPEN);
    assert_int_equal(svc.max_items, 10);
    assert_true(pep.persist_items && svc.persist_items);
    ps_config_fini(&pep);
    ps_config_fini(&svc);
}

static void test_apply_sets_fields_and_max(void **state)
{
    (void)state;
    struct ps_config c;
    ps_config_defaults(&c, true);
    assert_int_equal(apply(&c, FORM(FIELD("access_model", "roster")
                                    FIELD("max_items", "max") FIELD("persist_items", "false")
                                    "<field var='pubsub#roster_groups_allowed'><value>friends"
                                    "</value><value>work</value></field>"
                                    FIELD("title", "Tunes") FIELD("unknown_thing", "x"))),
                     ROUTE_DONE);
    assert_int_equal(c.access, PS_ROSTER);
    assert_int_equal(c.max_items, 100); /* "max" is the bound */
    /* and so is a larger number, as clients ask for "all you keep" with one (9999) */
    assert_int_equal(apply(&c, FORM(FIELD("max_items", "9999"))), ROUTE_DONE);
    assert_int_equal(c.max_items, 100);
    assert_false(c.persist_items);
    assert_int_equal(c.n_groups, 2);
    assert_string_equal(c.groups[1], "work");
    assert_string_equal(c.title, "Tunes");
    ps_config_fini(&c);
}

static void test_a_bad_value_changes_nothing(void **state)
{
    (void)state;
    struct ps_config c;
    ps_config_defaults(&c, true);
    static const char *const bad[] = {
        FORM(FIELD("access_model", "open") FIELD("max_items", "0")),
        FORM(FIELD("access_model", "open") FIELD("max_items", "7x")),
        FORM(FIELD("access_model", "everyone")),
        FORM(FIELD("title", "t") FIELD("persist_items", "yes")),
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(apply(&c, bad[i]), ROUTE_ERROR(COND_NOT_ACCEPTABLE));
    assert_int_equal(c.access, PS_PRESENCE);
    assert_int_equal(c.max_items, 1);
    assert_null(c.title);
    assert_true(c.persist_items);
    ps_config_fini(&c);
}

static void test_preconditions(void **state)
{
    (void)state;
    struct ps_config c;
    ps_config_defaults(&c, true);
    assert_true(matches(&c, FORM(FIELD("access_model", "presence"))));
    assert_true(matches(&c, FORM(FIELD("persist_items", "1") FIELD("max_items", "1"))));
    assert_false(matches(&c, FORM(FIELD("access_model", "open"))));
    assert_false(matches(&c, FORM(FIELD("no_such_option", "1")))); /* cannot be met */
    assert_false(matches(&c, FORM(FIELD("max_items", "banana"))));
    assert_int_equal(apply(&c, FORM(FIELD("max_items", "max"))), ROUTE_DONE);
    assert_true(matches(&c, FORM(FIELD("max_items", "max"))));
    ps_config_fini(&c);
}

static void test_stored_form_reads_back(void **state)
{
    (void)state;
    struct ps_config c, back;
    ps_config_defaults(&c, false);
    assert_int_equal(apply(&c, FORM(FIELD("access_model", "whitelist")
                                    FIELD("max_items", "42") FIELD("notify_retract", "0")
                                    FIELD("send_last_published_item", "on_sub")
                                    FIELD("title", "a &lt;b&gt; &amp; 'c'"))),
                     ROUTE_DONE);
    char *text = ps_config_serialize(&c);
    ps_config_defaults(&back, true);
    ps_config_parse(&back, text, &opts);
    assert_int_equal(back.access, PS_WHITELIST);
    assert_int_equal(back.max_items, 42);
    assert_false(back.notify_retract);
    assert_int_equal(back.send_last, PS_LAST_ON_SUB);
    assert_string_equal(back.title, "a <b> & 'c'");
    /* stored under a larger bound than today's: today's bound */
    struct ps_opts smaller = { .max_items = 10 };
    ps_config_parse(&back, text, &smaller);
    assert_int_equal(back.max_items, 10);
    assert_int_equal(back.access, PS_WHITELIST);
    free(text);
    ps_config_fini(&c);
    ps_config_fini(&back);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pep_and_service_defaults),
        cmocka_unit_test(test_apply_sets_fields_and_max),
        cmocka_unit_test(test_a_bad_value_changes_nothing),
        cmocka_unit_test(test_preconditions),
        cmocka_unit_test(test_stored_form_reads_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
