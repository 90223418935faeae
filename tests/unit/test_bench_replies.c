/* SPDX-License-Identifier: MIT */
/* Tests of the bot's reply parsing (bench/replies.c): SM counters, offline bodies, MAM fin. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "replies.h"

struct h_case {
    const char *text;
    bool ok;
    uint32_t h;
};

static void test_parse_h(void **state)
{
    (void)state;
    static const struct h_case cases[] = {
        { "0", true, 0 },           { "42", true, 42 },
        { "4294967295", true, UINT32_MAX }, /* counters wrap at 2^32 */
        { "4294967296", false, 0 }, { "", false, 0 },
        { NULL, false, 0 },         { "-1", false, 0 },
        { "+1", false, 0 },         { " 1", false, 0 },
        { "1 ", false, 0 },         { "0x10", false, 0 },
        { "99999999999999999999999", false, 0 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint32_t h = 7;
        assert_int_equal(reply_parse_h(cases[i].text, &h), cases[i].ok);
        assert_int_equal(h, cases[i].ok ? cases[i].h : 7); /* untouched on failure */
    }
}

static void test_offline_seq(void **state)
{
    (void)state;
    uint64_t seq = 0;
    assert_true(reply_offline_seq("parley-offline 0", &seq));
    assert_int_equal(seq, 0);
    assert_true(reply_offline_seq("parley-offline 999", &seq));
    assert_int_equal(seq, 999);
    static const char *const bad[] = { "parley-offline ", "parley-offline -1",
                                       "parley-offline 1x", "parley-bench 5",
                                       "parley-offline  5", "", NULL };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        seq = 5;
        assert_false(reply_offline_seq(bad[i], &seq));
        assert_int_equal(seq, 5);
    }
}

static struct stanza *parse(const char *xml)
{
    struct stanza *st = stanza_parse(xml, strlen(xml));
    assert_non_null(st);
    return st;
}

static void test_mam_fin(void **state)
{
    (void)state;
    struct mam_fin fin;
    struct stanza *st = parse("<iq type='result' id='q1'><fin xmlns='urn:xmpp:mam:2' "
                              "complete='true'><set xmlns='http://jabber.org/protocol/rsm'>"
                              "<first index='0'>a1</first><last>b2</last><count>1000000</count>"
                              "</set></fin></iq>");
    assert_true(reply_mam_fin(st, &fin));
    assert_true(fin.complete);
    assert_string_equal(fin.first, "a1");
    assert_string_equal(fin.last, "b2");
    assert_true(fin.has_count);
    assert_int_equal(fin.count, 1000000);
    stanza_unref(st);

    /* an empty page: no first or last; no count; not complete */
    st = parse("<iq type='result' id='q2'><fin xmlns='urn:xmpp:mam:2'><set "
               "xmlns='http://jabber.org/protocol/rsm'/></fin></iq>");
    assert_true(reply_mam_fin(st, &fin));
    assert_false(fin.complete);
    assert_false(fin.has_count);
    assert_string_equal(fin.first, "");
    stanza_unref(st);

    /* a count that is not a number is no count; a fin of another namespace is no fin */
    st = parse("<iq type='result' id='q3'><fin xmlns='urn:xmpp:mam:2' complete='false'><set "
               "xmlns='http://jabber.org/protocol/rsm'><count>many</count></set></fin></iq>");
    assert_true(reply_mam_fin(st, &fin));
    assert_false(fin.has_count);
    stanza_unref(st);
    st = parse("<iq type='result' id='q4'><fin xmlns='urn:xmpp:mam:1' complete='true'/></iq>");
    assert_false(reply_mam_fin(st, &fin));
    stanza_unref(st);
}

static void test_mam_queryid(void **state)
{
    (void)state;
    struct stanza *st = parse("<message to='a@b/c'><result xmlns='urn:xmpp:mam:2' "
                              "queryid='q7' id='x'><forwarded xmlns='urn:xmpp:forward:0'/>"
                              "</result></message>");
    assert_string_equal(reply_mam_queryid(st), "q7");
    stanza_unref(st);
    st = parse("<message to='a@b/c'><result xmlns='urn:xmpp:mam:2' id='x'/></message>");
    assert_string_equal(reply_mam_queryid(st), ""); /* a query sent without a queryid */
    stanza_unref(st);
    st = parse("<message to='a@b/c' type='chat'><body>hi</body></message>");
    assert_null(reply_mam_queryid(st));
    stanza_unref(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_h),
        cmocka_unit_test(test_offline_seq),
        cmocka_unit_test(test_mam_fin),
        cmocka_unit_test(test_mam_queryid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
