/* SPDX-License-Identifier: MIT */
/* Stanza builders, accessors, the serializer's escaping and namespaces, error replies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base.h"
#include "ns.h"
#include "stanza.h"
#include "stanza_error.h"

struct escape_case {
    const char *in;
    const char *out;
};

static const struct escape_case escapes[] = {
    { "", "" },
    { "plain", "plain" },
    { "<&>", "&lt;&amp;&gt;" },
    { "'\"", "&apos;&quot;" },
    { "a&&b", "a&amp;&amp;b" },
    { "\xc3\xa9\xe2\x9c\x93", "\xc3\xa9\xe2\x9c\x93" },
    { "&amp;", "&amp;amp;" },
};

static void test_escape_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(escapes); i++) {
        struct buf b;
        buf_init(&b);
        xml_escape(escapes[i].in, strlen(escapes[i].in), &b);
        assert_string_equal(b.data ? b.data : "", escapes[i].out);
        buf_fini(&b);
    }
}

static char *written(const struct stanza *st)
{
    struct buf b;
    buf_init(&b);
    stanza_write(st, &b);
    return b.data;
}

static void test_build_and_write(void **state)
{
    (void)state;
    struct stanza *st = stanza_new("message", NS_CLIENT);
    xel_set_attr(st, st->root, "type", "chat");
    stanza_set_to(st, "b@x/r");
    struct xel *body = xel_add_child(st, st->root, "body", NS_CLIENT);
    xel_add_text(st, body, "1 < 2 & 'q'", 11);
    struct xel *ext = xel_add_child(st, st->root, "active", "http://jabber.org/protocol/chatstates");
    xel_add_child(st, ext, "inner", "http://jabber.org/protocol/chatstates");
    stanza_summarize(st);
    assert_int_equal(st->kind, STANZA_MESSAGE);
    assert_int_equal(st->type, MSG_CHAT);
    assert_string_equal(st->to, "b@x/r");
    char *out = written(st);
    assert_string_equal(out, "<message to='b@x/r' type='chat'><body>1 &lt; 2 &amp; &apos;q&apos;"
                             "</body><active xmlns='http://jabber.org/protocol/chatstates'>"
                             "<inner/></active></message>");
    free(out);
    stanza_set_to(st, NULL);
    assert_null(st->to);
    assert_null(xel_attr(st->root, "to"));
    assert_string_equal(xel_text(xel_child(st->root, "body", NULL)), "1 < 2 & 'q'");
    assert_null(xel_child(st->root, "body", "urn:other"));
    stanza_unref(st);
}

struct type_case {
    const char *elem;
    const char *type;
    enum stanza_kind kind;
    unsigned bit;
};

static const struct type_case types[] = {
    { "message", NULL, STANZA_MESSAGE, MSG_NORMAL },
    { "message", "headline", STANZA_MESSAGE, MSG_HEADLINE },
    { "message", "bogus", STANZA_MESSAGE, MSG_NORMAL },
    { "presence", NULL, STANZA_PRESENCE, PRES_AVAILABLE },
    { "presence", "available", STANZA_PRESENCE, 0 }, /* never written explicitly */
    { "presence", "probe", STANZA_PRESENCE, PRES_PROBE },
    { "iq", NULL, STANZA_IQ, 0 },
    { "iq", "result", STANZA_IQ, IQ_RESULT },
    { "foo", "get", STANZA_OTHER, 0 },
};

static void test_summary_types(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(types); i++) {
        struct stanza *st = stanza_new(types[i].elem, NS_CLIENT);
        if (types[i].type)
            xel_set_attr(st, st->root, "type", types[i].type);
        stanza_summarize(st);
        assert_int_equal(st->kind, types[i].kind);
        assert_int_equal(st->type, types[i].bit);
        stanza_unref(st);
    }
}

static void test_error_reply(void **state)
{
    (void)state;
    struct stanza *iq = stanza_new("iq", NS_CLIENT);
    xel_set_attr(iq, iq->root, "type", "get");
    xel_set_attr(iq, iq->root, "id", "q1");
    stanza_set_from(iq, "a@x/r");
    stanza_set_to(iq, "x");
    xel_add_child(iq, iq->root, "query", "urn:unknown");
    stanza_summarize(iq);
    struct stanza *r = stanza_error_reply(iq, COND_SERVICE_UNAVAILABLE, "no");
    char *out = written(r);
    assert_string_equal(out, "<iq from='x' to='a@x/r' type='error' id='q1'>"
                             "<query xmlns='urn:unknown'/><error type='cancel'>"
                             "<service-unavailable xmlns='" NS_STANZAS "'/>"
                             "<text xmlns='" NS_STANZAS "'>no</text></error></iq>");
    assert_int_equal(r->type, IQ_ERROR);
    free(out);
    stanza_unref(r);
    r = stanza_iq_result(iq);
    out = written(r);
    assert_string_equal(out, "<iq from='x' to='a@x/r' type='result' id='q1'/>");
    free(out);
    stanza_unref(r);
    stanza_unref(iq);
}

/* Many small allocations spill over several arena blocks; refs keep the tree alive. */
static void test_arena_growth_and_refs(void **state)
{
    (void)state;
    struct stanza *st = stanza_new("iq", NS_CLIENT);
    for (int i = 0; i < 2000; i++)
        xel_set_attr(st, xel_add_child(st, st->root, "item", "urn:x"), "n", "value");
    char big[100000];
    memset(big, 'z', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    xel_add_text(st, st->root, big, sizeof(big) - 1);
    stanza_ref(st);
    stanza_unref(st);
    assert_int_equal(strlen(xel_text(st->root)), sizeof(big) - 1);
    struct stanza *copy = stanza_new("iq", NS_CLIENT);
    xel_copy_into(copy, copy->root, xel_first_elem(st->root));
    assert_string_equal(xel_attr(xel_first_elem(copy->root), "n"), "value");
    stanza_unref(copy);
    stanza_unref(st);
}

/* A compact copy says the same, keeps its summary, and outlives its source. */
static void test_compact_copy(void **state)
{
    (void)state;
    struct stanza *small = stanza_new("presence", NS_CLIENT);
    stanza_set_from(small, "a@x/r");
    xel_add_text_child(small, small->root, "show", "away");
    struct stanza *big = stanza_new("iq", NS_CLIENT);
    xel_set_attr(big, big->root, "type", "set");
    for (int i = 0; i < 500; i++)
        xel_set_attr(big, xel_add_child(big, big->root, "item", "urn:x"), "n", "value");
    struct stanza *src[] = { small, big };
    for (size_t i = 0; i < ARRAY_LEN(src); i++) {
        stanza_summarize(src[i]);
        char *want = written(src[i]);
        struct stanza *copy = stanza_compact(src[i]);
        assert_int_equal(copy->kind, src[i]->kind);
        assert_int_equal(copy->type, src[i]->type);
        stanza_unref(src[i]);
        char *got = written(copy);
        assert_string_equal(got, want);
        if (copy->kind == STANZA_PRESENCE)
            assert_string_equal(copy->from, "a@x/r");
        free(want);
        free(got);
        stanza_unref(copy);
    }
}

/* A fan-out's bytes, addressed: the same as the stanza written with that 'to', escaped. */
static void test_splice_to(void **state)
{
    (void)state;
    struct stanza *st = stanza_new("message", NS_CLIENT);
    xel_set_attr(st, st->root, "type", "groupchat");
    stanza_set_from(st, "room@muc.example/Al");
    xel_add_text_child(st, st->root, "body", "hi");
    stanza_summarize(st);
    struct buf once, spliced, direct;
    buf_init(&once);
    buf_init(&spliced);
    buf_init(&direct);
    stanza_write(st, &once);
    const char *to = "o'brien@example.com/a&b";
    stanza_splice_to(&spliced, once.data, once.len, 1 + strlen("message"), to);
    stanza_set_to(st, to);
    /* stanza_write puts attributes in the root's order: 'to' comes last there */
    assert_non_null(strstr(spliced.data, " to='o&apos;brien@example.com/a&amp;b'"));
    assert_int_equal(strncmp(spliced.data, "<message to='", 13), 0);
    stanza_write(st, &direct);
    assert_int_equal(spliced.len, direct.len);
    struct stanza *back = stanza_parse(spliced.data, spliced.len);
    assert_non_null(back);
    assert_string_equal(back->to, to);
    assert_string_equal(back->from, "room@muc.example/Al");
    assert_string_equal(xel_text(xel_child(back->root, "body", NULL)), "hi");
    stanza_unref(back);
    buf_fini(&once);
    buf_fini(&spliced);
    buf_fini(&direct);
    stanza_unref(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape_table),
        cmocka_unit_test(test_build_and_write),
        cmocka_unit_test(test_summary_types),
        cmocka_unit_test(test_error_reply),
        cmocka_unit_test(test_arena_growth_and_refs),
        cmocka_unit_test(test_compact_copy),
        cmocka_unit_test(test_splice_to),
    };
    return cmocka_run_group_tests_name("stanza", tests, NULL, NULL);
}
