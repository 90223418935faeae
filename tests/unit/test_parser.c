/* SPDX-License-Identifier: MIT */
/* Stream parser: every input fed whole, byte by byte and split at every offset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base.h"
#include "ns.h"
#include "parser.h"

/* Events are recorded as text so that feeding strategies can be compared exactly. */
struct recorder {
    struct buf log;
    struct parser *p;
    int stop_after; /* call parser_stop after this many stanzas (0: never) */
    int stanzas;
};

static void rec_open(void *ctx, const struct xel *h, const char *default_ns)
{
    struct recorder *r = ctx;
    buf_printf(&r->log, "open[%s|%s|%s|to=%s]", h->name, h->ns ? h->ns : "", default_ns,
               xel_attr(h, "to") ? xel_attr(h, "to") : "");
}

static void rec_stanza(void *ctx, struct stanza *st)
{
    struct recorder *r = ctx;
    buf_printf(&r->log, "stanza[%d,%u,%s]", st->kind, st->type, st->id ? st->id : "");
    stanza_write(st, &r->log);
    stanza_unref(st);
    if (++r->stanzas == r->stop_after)
        parser_stop(r->p);
}

static void rec_close(void *ctx)
{
    struct recorder *r = ctx;
    buf_puts(&r->log, "close");
}

static const struct parser_events events = { rec_open, rec_stanza, rec_close };
static const struct parser_limits limits = { 1024, 8, 8 };

#define HEADER                                                                                 \
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "                               \
    "xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>"

/* Feeds text in pieces of `step` bytes (0: whole, then split at `split`). Returns the last
 * parser error and fills r->log. */
static enum parser_error feed(struct recorder *r, const char *text, size_t step, size_t split)
{
    size_t len = strlen(text);
    enum parser_error err = PARSE_OK;
    buf_init(&r->log);
    r->stanzas = 0;
    r->p = parser_new(&limits, &events, r);
    size_t pos = 0;
    while (pos < len && err == PARSE_OK) {
        size_t n = step ? step : (split && pos < split ? split : len - pos);
        if (n > len - pos)
            n = len - pos;
        size_t used;
        int rc = parser_feed(r->p, text + pos, n, &used, &err);
        if (rc == PL_ECLOSED)
            break;
        pos += n;
    }
    parser_free(r->p);
    return err;
}

struct good_case {
    const char *name;
    const char *input;
    const char *expect;
};

static const struct good_case good[] = {
    { "header only", HEADER, "open[stream|" NS_STREAM "|jabber:client|to=localhost]" },
    { "message with escapes",
      HEADER "<message to='b@x' id='1' type='chat'><body>a &amp; &lt;b&gt; &#233;</body>"
             "</message></stream:stream>",
      "open[stream|" NS_STREAM "|jabber:client|to=localhost]stanza[1,32,1]"
      "<message to='b@x' id='1' type='chat'><body>a &amp; &lt;b&gt; \xc3\xa9</body></message>"
      "close" },
    { "nested namespaces and keepalives",
      HEADER " \n <iq type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq> \n"
             "<presence/>",
      "open[stream|" NS_STREAM "|jabber:client|to=localhost]stanza[3,1,p]"
      "<iq type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>stanza[2,512,]<presence/>" },
    { "prefixed child and xml:lang",
      HEADER "<message xml:lang='en'><x:y xmlns:x='urn:x' a='&apos;&quot;'>t</x:y></message>",
      "open[stream|" NS_STREAM "|jabber:client|to=localhost]stanza[1,16,]"
      "<message xml:lang='en'><y xmlns='urn:x' a='&apos;&quot;'>t</y></message>" },
    { "unicode text split across chunks",
      HEADER "<message><body>\xe2\x9c\x93\xf0\x9f\x98\x80</body></message>",
      "open[stream|" NS_STREAM "|jabber:client|to=localhost]stanza[1,16,]"
      "<message><body>\xe2\x9c\x93\xf0\x9f\x98\x80</body></message>" },
};

static void check_all_splits(const char *input, const char *expect, enum parser_error want)
{
    struct recorder r = { 0 };
    size_t len = strlen(input);
    assert_int_equal(feed(&r, input, 0, 0), want);
    if (expect)
        assert_string_equal(r.log.data ? r.log.data : "", expect);
    char *whole = xstrdup(r.log.data ? r.log.data : "");
    buf_fini(&r.log);
    assert_int_equal(feed(&r, input, 1, 0), want);
    assert_string_equal(r.log.data ? r.log.data : "", whole);
    buf_fini(&r.log);
    for (size_t split = 1; split < len; split++) {
        assert_int_equal(feed(&r, input, 0, split), want);
        assert_string_equal(r.log.data ? r.log.data : "", whole);
        buf_fini(&r.log);
    }
    free(whole);
}

static void test_good_inputs(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(good); i++) {
        print_message("case: %s\n", good[i].name);
        check_all_splits(good[i].input, good[i].expect, PARSE_OK);
    }
}

struct bad_case {
    const char *name;
    const char *input;
    enum parser_error want;
};

static char *repeat(const char *head, const char *unit, int n, const char *tail)
{
    struct buf b;
    buf_init(&b);
    buf_puts(&b, head);
    for (int i = 0; i < n; i++)
        buf_puts(&b, unit);
    buf_puts(&b, tail);
    return b.data;
}

static const struct bad_case bad[] = {
    { "junk", HEADER "<<", PARSE_NOT_WELL_FORMED },
    { "mismatched tag", HEADER "<message><body></message>", PARSE_NOT_WELL_FORMED },
    { "undefined entity", HEADER "<message>&foo;</message>", PARSE_NOT_WELL_FORMED },
    { "doctype", "<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><x/>",
      PARSE_RESTRICTED_XML },
    { "comment", HEADER "<!-- hi -->", PARSE_RESTRICTED_XML },
    { "comment in stanza", HEADER "<message><!-- hi --></message>", PARSE_RESTRICTED_XML },
    { "processing instruction", HEADER "<?foo bar?>", PARSE_RESTRICTED_XML },
    { "latin-1 declaration", "<?xml version='1.0' encoding='ISO-8859-1'?><a>",
      PARSE_UNSUPPORTED_ENCODING },
    { "invalid utf-8", HEADER "<message><body>\xff\xfe</body></message>",
      PARSE_UNSUPPORTED_ENCODING },
    { "overlong utf-8", HEADER "<message><body>\xc0\xaf</body></message>",
      PARSE_UNSUPPORTED_ENCODING },
    { "overlong 3-byte utf-8", HEADER "<message><body>\xe0\x80\xaf</body></message>",
      PARSE_UNSUPPORTED_ENCODING },
    { "utf-16 surrogate in utf-8", HEADER "<message><body>\xed\xa0\x80</body></message>",
      PARSE_UNSUPPORTED_ENCODING },
    { "too many attributes on the header",
      "<stream:stream xmlns='jabber:client' xmlns:stream='" NS_STREAM "' a='1' b='2' c='3' "
      "d='4' e='5' f='6' g='7' h='8' i='9'>",
      PARSE_POLICY_VIOLATION },
    { "too many attributes", HEADER "<message a='1' b='2' c='3' d='4' e='5' f='6' g='7' "
                                    "h='8' i='9'/>",
      PARSE_POLICY_VIOLATION },
    { "too deep", HEADER "<a><b><c><d><e><f><g><h><i/></h></g></f></e></d></c></b></a>",
      PARSE_POLICY_VIOLATION },
};

static void test_bad_inputs(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        print_message("case: %s\n", bad[i].name);
        check_all_splits(bad[i].input, NULL, bad[i].want);
        struct recorder r = { 0 };
        feed(&r, bad[i].input, 0, 0);
        assert_null(strstr(r.log.data ? r.log.data : "", "stanza[")); /* nothing leaks out */
        assert_null(strstr(r.log.data ? r.log.data : "", "close"));
        buf_fini(&r.log);
    }
}

static void test_size_limits(void **state)
{
    (void)state;
    /* One stanza over 1024 bytes, whatever the chunking. */
    char *big = repeat(HEADER "<message><body>", "0123456789", 120, "</body></message>");
    check_all_splits(big, NULL, PARSE_POLICY_VIOLATION);
    free(big);
    /* A start tag that never ends is cut off too, not buffered forever. */
    char *open_tag = repeat(HEADER "<message a='", "xxxxxxxxxx", 200, "");
    struct recorder r = { 0 };
    assert_int_equal(feed(&r, open_tag, 7, 0), PARSE_POLICY_VIOLATION);
    buf_fini(&r.log);
    free(open_tag);
    /* Small children of a stanza that never ends add up to its size. */
    char *endless = repeat(HEADER "<message>", "<a/>", 400, "");
    assert_int_equal(feed(&r, endless, 0, 0), PARSE_POLICY_VIOLATION);
    buf_fini(&r.log);
    assert_int_equal(feed(&r, endless, 5, 0), PARSE_POLICY_VIOLATION);
    buf_fini(&r.log);
    free(endless);
    /* Many small stanzas never trip the per-stanza limit. */
    char *many = repeat(HEADER, "<presence/>", 500, "");
    assert_int_equal(feed(&r, many, 13, 0), PARSE_OK);
    buf_fini(&r.log);
    free(many);
}

static void test_billion_laughs_is_refused_at_once(void **state)
{
    (void)state;
    const char *lol = "<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>"
                      "<!ENTITY lol2 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>"
                      "<!ENTITY lol3 '&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;'>]>"
                      "<stream:stream xmlns:stream='" NS_STREAM "'>&lol3;";
    struct recorder r = { 0 };
    assert_int_equal(feed(&r, lol, 0, 0), PARSE_RESTRICTED_XML);
    assert_null(r.log.data); /* no event at all */
    buf_fini(&r.log);
}

/* Feeds a string that must be accepted whole. */
static void feed_ok(struct recorder *r, const char *text, size_t n)
{
    size_t used;
    enum parser_error err;
    assert_int_equal(parser_feed(r->p, text, n, &used, &err), PL_OK);
}

static void rec_start(struct recorder *r)
{
    buf_init(&r->log);
    r->p = parser_new(&limits, &events, r);
}

static void rec_finish(struct recorder *r)
{
    parser_free(r->p);
    buf_fini(&r->log);
}

/* Releasing the parser between stanzas and reviving it keeps the namespace context. */
static void test_release_and_revive(void **state)
{
    (void)state;
    struct recorder r = { 0 };
    rec_start(&r);
    const char *part1 = HEADER "<presence/>";
    const char *part2 = "<message><body>x</body></message>";
    feed_ok(&r, part1, strlen(part1));
    assert_true(parser_release_idle(r.p));
    assert_false(parser_release_idle(r.p));
    feed_ok(&r, part2, 9);
    assert_false(parser_release_idle(r.p)); /* half a stanza is buffered */
    feed_ok(&r, part2 + 9, strlen(part2) - 9);
    assert_string_equal(r.log.data, "open[stream|" NS_STREAM "|jabber:client|to=localhost]"
                                    "stanza[2,512,]<presence/>"
                                    "stanza[1,16,]<message><body>x</body></message>");
    rec_finish(&r);
}

/* A stream element with another prefix survives a release: its closing tag still matches. */
static void test_revive_keeps_prefix(void **state)
{
    (void)state;
    struct recorder r = { 0 };
    rec_start(&r);
    const char *open = "<s:stream xmlns:s='" NS_STREAM "' xmlns='jabber:client' version='1.0'>";
    const char *rest = "<presence/></s:stream>";
    feed_ok(&r, open, strlen(open));
    assert_true(parser_release_idle(r.p));
    feed_ok(&r, rest, strlen(rest));
    assert_string_equal(r.log.data, "open[stream|" NS_STREAM "|jabber:client|to=]"
                                    "stanza[2,512,]<presence/>close");
    rec_finish(&r);
}

/* parser_stop in a callback reports exactly how much input belonged to the old stream. */
static void test_stop_reports_used_bytes(void **state)
{
    (void)state;
    struct recorder r = { .stop_after = 1 };
    rec_start(&r);
    const char *first = HEADER "<success/>";
    char *text = repeat(first, "<stream:stream>", 1, "");
    size_t used;
    enum parser_error err;
    assert_int_equal(parser_feed(r.p, text, strlen(text), &used, &err), PL_ECLOSED);
    assert_int_equal(used, strlen(first));
    parser_reset(r.p);
    feed_ok(&r, HEADER, strlen(HEADER));
    rec_finish(&r);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_inputs),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_size_limits),
        cmocka_unit_test(test_billion_laughs_is_refused_at_once),
        cmocka_unit_test(test_release_and_revive),
        cmocka_unit_test(test_revive_keeps_prefix),
        cmocka_unit_test(test_stop_reports_used_bytes),
    };
    return cmocka_run_group_tests_name("parser", tests, NULL, NULL);
}
