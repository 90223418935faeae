/* SPDX-License-Identifier: MIT */
/* Tests of which messages offline storage keeps and of their stored form (archive/offline_*). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base.h"
#include "offline.h"

static struct stanza *parse(const char *xml)
{
    struct stanza *st = offline_parse(xml, strlen(xml));
    assert_non_null(st);
    return st;
}

struct rule_case {
    const char *xml;
    enum offline_verdict want;
};

static const struct rule_case rule_cases[] = {
    { "<message type='chat'><body>hi</body></message>", OFFLINE_STORE },
    { "<message><body>hi</body></message>", OFFLINE_STORE }, /* normal */
    { "<message type='normal'><subject>s</subject></message>", OFFLINE_STORE },
    { "<message type='headline'><body>hi</body></message>", OFFLINE_SKIP },
    { "<message type='groupchat'><body>hi</body></message>", OFFLINE_SKIP },
    { "<message type='error'><body>hi</body></message>", OFFLINE_SKIP },
    /* chat states alone (with incidental children) are dropped */
    { "<message type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/>"
      "</message>",
      OFFLINE_DROP },
    { "<message type='chat'><active xmlns='http://jabber.org/protocol/chatstates'/>"
      "<thread>t</thread><no-store xmlns='urn:xmpp:hints'/>"
      "<origin-id xmlns='urn:xmpp:sid:0' id='o'/></message>",
      OFFLINE_DROP },
    /* a chat state with anything meaningful is stored */
    { "<message type='chat'><active xmlns='http://jabber.org/protocol/chatstates'/>"
      "<body>hi</body></message>",
      OFFLINE_STORE },
    { "<message type='chat'><paused xmlns='http://jabber.org/protocol/chatstates'/>"
      "<x xmlns='jabber:x:oob'><url>u</url></x></message>",
      OFFLINE_STORE },
    /* receipts and markers are stored */
    { "<message><received xmlns='urn:xmpp:receipts' id='m1'/></message>", OFFLINE_STORE },
    { "<message type='chat'><displayed xmlns='urn:xmpp:chat-markers:0' id='m1'/></message>",
      OFFLINE_STORE },
    /* XEP-0334 */
    { "<message type='chat'><body>hi</body><no-store xmlns='urn:xmpp:hints'/></message>",
      OFFLINE_SKIP },
    { "<message type='chat'><body>hi</body><store xmlns='urn:xmpp:hints'/></message>",
      OFFLINE_STORE },
};

static void test_classify(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(rule_cases); i++) {
        struct stanza *st = parse(rule_cases[i].xml);
        if (offline_classify(st) != rule_cases[i].want)
            fail_msg("case %zu (%s): got %d, want %d", i, rule_cases[i].xml,
                     offline_classify(st), rule_cases[i].want);
        stanza_unref(st);
    }
}

static void test_stanza_id_of_owner(void **state)
{
    (void)state;
    struct stanza *st = parse("<message><stanza-id xmlns='urn:xmpp:sid:0' by='b@x' id='1'/>"
                              "<stanza-id xmlns='urn:xmpp:sid:0' by='a@x' id='2'/>"
                              "<stanza-id xmlns='other' by='c@x' id='3'/></message>");
    assert_string_equal(offline_stanza_id(st, "a@x"), "2");
    assert_string_equal(offline_stanza_id(st, "b@x"), "1");
    assert_null(offline_stanza_id(st, "c@x"));
    stanza_unref(st);
}

/* The stored form keeps everything, adds one delay from the domain, and reads back. */
static void test_serialize_round_trip(void **state)
{
    (void)state;
    struct stanza *st = parse("<message from='b@x/r' to='a@x' type='chat' id='i&amp;1'>"
                              "<body>a &lt; b \xc3\xa9</body>"
                              "<x xmlns='urn:example' k='v'><y/></x></message>");
    struct buf out;
    buf_init(&out);
    assert_true(offline_serialize(st, "x", 86400 * 365, &out));
    buf_append(&out, "", 1);
    assert_string_equal(out.data, "<message from='b@x/r' to='a@x' type='chat' id='i&amp;1'>"
                                  "<body>a &lt; b \xc3\xa9</body>"
                                  "<x xmlns='urn:example' k='v'><y/></x>"
                                  "<delay xmlns='urn:xmpp:delay' stamp='1971-01-01T00:00:00Z'"
                                  " from='x'/></message>");
    struct stanza *back = offline_parse(out.data, out.len - 1);
    assert_non_null(back);
    assert_string_equal(back->id, "i&1");
    assert_int_equal(back->type, MSG_CHAT);
    struct xel *d = xel_child(back->root, "delay", "urn:xmpp:delay");
    assert_non_null(d);
    assert_string_equal(xel_attr(d, "stamp"), "1971-01-01T00:00:00Z");
    stanza_unref(back);
    /* an empty message gets its delay as the only child */
    stanza_unref(st);
    st = parse("<message to='a@x'/>");
    buf_reset(&out);
    assert_true(offline_serialize(st, "x", 0, &out));
    buf_append(&out, "", 1);
    assert_string_equal(out.data, "<message to='a@x'><delay xmlns='urn:xmpp:delay'"
                                  " stamp='1970-01-01T00:00:00Z' from='x'/></message>");
    buf_fini(&out);
    stanza_unref(st);
}

static void test_from_store(void **state)
{
    (void)state;
    struct stanza *st = parse("<message><body>b</body></message>");
    assert_false(offline_from_store(st, "x"));
    struct buf out;
    buf_init(&out);
    assert_true(offline_serialize(st, "x", 0, &out));
    struct stanza *back = offline_parse(out.data, out.len);
    assert_true(offline_from_store(back, "x"));
    assert_false(offline_from_store(back, "y"));
    stanza_unref(back);
    stanza_unref(st);
    /* a delay from elsewhere, or ours not last, is a live message's */
    st = parse("<message><delay xmlns='urn:xmpp:delay' from='x' stamp='s'/><body>b</body>"
               "</message>");
    assert_false(offline_from_store(st, "x"));
    stanza_unref(st);
    buf_fini(&out);
}

static void test_parse_refuses_damage(void **state)
{
    (void)state;
    const char *bad[] = {
        "", "<message>", "<message/><message/>", "<message/><mess", "<iq type='get'/>",
        "not xml", "<message><body></message>",
    };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++)
        if (offline_parse(bad[i], strlen(bad[i])))
            fail_msg("accepted %s", bad[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_stanza_id_of_owner),
        cmocka_unit_test(test_serialize_round_trip),
        cmocka_unit_test(test_from_store),
        cmocka_unit_test(test_parse_refuses_damage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
