/* SPDX-License-Identifier: MIT */
/* The stream engine framed for WebSocket (RFC 7395) and BOSH (XEP-0206): <open/> and <close/>,
 * one message per stream_feed, every element written recorded and parseable on its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base.h"
#include "stream.h"
#include "stream_fx.h"

#define FRAMING "urn:ietf:params:xml:ns:xmpp-framing"
#define OPEN_TO(to, ver) "<open xmlns='" FRAMING "' to='" to "' version='" ver "'/>"
#define OPEN OPEN_TO("localhost", "1.0")
#define CLOSE "<close xmlns='" FRAMING "'/>"
#define XSTREAM "xmlns:stream='http://etherx.jabber.org/streams'"
#define PLAIN "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" \
              "AHVzZXIAcGVuY2ls</auth>" /* "\0user\0pencil" */
#define BIND "<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>"
#define SM_NS "urn:xmpp:sm:3"

struct fake {
    int stanzas, closed, acks_wanted, resumed;
    char last[128]; /* "name ns body" of the last stanza */
    struct sm *sm;  /* the session's, owned here */
};

static void fk_closed(void *ctx) { ((struct fake *)ctx)->closed++; }
static void fk_resumed(void *ctx) { ((struct fake *)ctx)->resumed++; }
static void fk_ack_wanted(void *ctx) { ((struct fake *)ctx)->acks_wanted++; }

static void fk_stanza(void *ctx, struct stanza *st)
{
    struct fake *f = ctx;
    const struct xel *body = xel_child(st->root, "body", NULL);
    f->stanzas++;
    snprintf(f->last, sizeof(f->last), "%s %s %s", st->root->name, st->root->ns,
             body ? xel_text(body) : "");
    stanza_unref(st);
}

static struct sm *fk_sm_enable(void *ctx, bool resume, unsigned max_s)
{
    struct fake *f = ctx;
    (void)resume, (void)max_s;
    f->sm = sm_new("abcd", 300);
    return f->sm;
}

static int fk_sm_resume(void *ctx, const char *previd, struct sm **sm, uint32_t *h)
{
    struct fake *f = ctx;
    (void)h;
    if (strcmp(previd, "abcd") != 0)
        return PL_ENOTFOUND;
    *sm = f->sm = sm_new("abcd", 300);
    return PL_OK;
}

static const struct stream_hooks hooks = {
    .starttls = fx_starttls, .auth_allowed = fx_auth_ok, .auth_charge = fx_auth_ok,
    .auth_refund = fx_auth_refund, .auth_result = fx_auth_result, .get_creds = fx_creds_pencil,
    .bind = fx_bind_user, .stanza = fk_stanza, .closed = fk_closed, .sm_enable = fk_sm_enable,
    .sm_resume = fk_sm_resume, .sm_resumed = fk_resumed, .sm_ack_wanted = fk_ack_wanted,
};

static const struct stream_config cfg = {
    .domain = "localhost",
    .limits = { .max_stanza_bytes = 1024, .max_depth = 16, .max_attrs = 16 },
    .max_bytes_before_auth = 65536,
    .tls_available = true, /* STARTTLS would be offered on TCP */
    .max_auth_failures = 3,
};

/* The elements taken from the output, each as its own string. */
struct taken {
    size_t n;
    char el[8][1024];
};

/* A parser with no namespace declared around the element: it must declare its own. */
static void on_nothing(void *ctx, const struct xel *h, const char *ns)
{
    (void)ctx, (void)h, (void)ns;
}
static void on_one(void *ctx, struct stanza *st)
{
    (*(int *)ctx)++;
    assert_non_null(st->root->ns); /* qualified: unqualified would be a bare "" */
    assert_true(st->root->ns[0] != '\0');
    stanza_unref(st);
}
static void on_end(void *ctx) { (void)ctx; }

static void assert_standalone(const char *el, size_t n)
{
    static const struct parser_events ev = { on_nothing, on_one, on_end };
    struct parser_limits lim = { 4096, 16, 16 };
    int count = 0;
    struct parser *p = parser_new(&lim, &ev, &count);
    size_t used;
    enum parser_error err;
    assert_int_equal(parser_feed(p, "<w>", 3, &used, &err), PL_OK);
    assert_int_equal(parser_feed(p, el, n, &used, &err), PL_OK);
    assert_int_equal(count, 1);
    assert_true(parser_between_elements(p));
    parser_free(p);
}

/* Takes the whole output as its recorded elements, checking that they cover it. */
static void take(struct stream *s, struct taken *t)
{
    const size_t *ends;
    const struct buf *out = stream_output(s);
    t->n = stream_output_ends(s, &ends);
    assert_true(t->n <= 8);
    assert_int_equal(t->n ? ends[t->n - 1] : 0, out->len);
    for (size_t i = 0, start = 0; i < t->n; start = ends[i++]) {
        size_t len = ends[i] - start;
        assert_true(len > 0 && len < sizeof(t->el[i]));
        memcpy(t->el[i], out->data + start, len);
        t->el[i][len] = '\0';
        assert_standalone(t->el[i], len);
    }
    stream_output_clear(s);
    assert_int_equal(stream_output(s)->len, 0);
    assert_int_equal(stream_output_ends(s, &ends), 0);
}

static int msg(struct stream *s, const char *xml) { return stream_feed(s, xml, strlen(xml)); }

/* Feeds one message and takes what it produced. */
static int say(struct stream *s, const char *xml, struct taken *t)
{
    int rc = msg(s, xml);
    take(s, t);
    return rc;
}

static void assert_has(const char *el, const char *part) { assert_non_null(strstr(el, part)); }

static struct stream *framed(struct fake *f, enum stream_framing framing, bool tls)
{
    struct stream *s = stream_new(&cfg, &hooks, f, tls, true);
    stream_set_framing(s, framing);
    assert_int_equal(stream_output(s)->len, 0); /* nothing before the client's <open/> */
    return s;
}

/* A WebSocket (or BOSH) stream up to binding, each step checked. */
static struct stream *bound(struct fake *f, enum stream_framing framing)
{
    bool ws = framing == FRAMING_WEBSOCKET;
    struct taken t;
    struct stream *s = framed(f, framing, true);
    assert_int_equal(say(s, OPEN, &t), PL_OK);
    assert_int_equal(t.n, ws ? 2 : 1);
    assert_int_equal(say(s, PLAIN, &t), PL_OK);
    assert_int_equal(t.n, 1);
    assert_string_equal(t.el[0], "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
    assert_int_equal(stream_state(s), STREAM_WAIT_HEADER);
    assert_int_equal(say(s, OPEN, &t), PL_OK); /* the restart */
    assert_int_equal(t.n, ws ? 2 : 1);
    assert_has(t.el[t.n - 1], "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>");
    assert_int_equal(say(s, BIND, &t), PL_OK);
    assert_int_equal(t.n, 1);
    assert_string_equal(t.el[0], "<iq xmlns='jabber:client' type='result' id='b'><bind "
                                 "xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>user@localhost/r"
                                 "</jid></bind></iq>");
    assert_int_equal(stream_state(s), STREAM_BOUND);
    return s;
}

static void done(struct stream *s, struct fake *f)
{
    stream_free(s);
    sm_free(f->sm);
}

static void test_ws_open_answers_open_and_features(void **state)
{
    (void)state;
    struct fake f = { 0 };
    struct taken t;
    struct stream *s = framed(&f, FRAMING_WEBSOCKET, false);
    assert_null(stream_id(s));
    assert_int_equal(say(s, OPEN, &t), PL_OK);
    assert_int_equal(t.n, 2);
    char open[160];
    snprintf(open, sizeof(open), "<open xmlns='" FRAMING "' id='%s' from='localhost' "
             "version='1.0' xml:lang='en'/>", stream_id(s));
    assert_string_equal(t.el[0], open);
    assert_has(t.el[1], "<stream:features " XSTREAM ">");
    assert_has(t.el[1], "<mechanism>SCRAM-SHA-256</mechanism>");
    assert_null(strstr(t.el[1], "starttls"));
    assert_int_equal(stream_state(s), STREAM_NEGOTIATE);
    done(s, &f);
}

static void test_ws_login_bind_stanza_close(void **state)
{
    (void)state;
    struct fake f = { 0 };
    struct taken t;
    struct stream *s = bound(&f, FRAMING_WEBSOCKET);
    /* Unqualified, as some clients send it: jabber:client, as on TCP. */
    assert_int_equal(say(s, "<message to='a@localhost'><body>hi</body></message>", &t), PL_OK);
    assert_int_equal(f.stanzas, 1);
    assert_string_equal(f.last, "message jabber:client hi");
    /* Whitespace around an element is nothing, even a last CR that expat would hold back. */
    assert_int_equal(say(s, "\n<message xmlns='jabber:client' to='a@localhost'><body>yo</body>"
                            "</message>\r", &t), PL_OK);
    assert_string_equal(f.last, "message jabber:client yo");
    assert_int_equal(say(s, " \r\n", &t), PL_OK);
    assert_int_equal(say(s, "", &t), PL_OK);
    assert_int_equal(t.n, 0);
    assert_int_equal(f.stanzas, 2);
    assert_int_equal(say(s, CLOSE, &t), PL_ECLOSED);
    assert_int_equal(t.n, 1);
    assert_string_equal(t.el[0], CLOSE);
    assert_int_equal(f.closed, 1);
    assert_int_equal(stream_state(s), STREAM_CLOSED);
    done(s, &f);
}

static void test_restart_draws_a_new_id(void **state)
{
    (void)state;
    struct fake f = { 0 };
    struct taken t;
    struct stream *s = framed(&f, FRAMING_WEBSOCKET, true);
    say(s, OPEN, &t);
    char first[40];
    snprintf(first, sizeof(first), "%s", stream_id(s));
    say(s, PLAIN, &t);
    say(s, OPEN, &t);
    assert_string_not_equal(first, stream_id(s));
    assert_has(t.el[0], stream_id(s));
    done(s, &f);
}

struct error_case {
    const char *name;
    const char *script[4]; /* messages, one stream_feed each */
    const char *condition; /* in the <stream:error/> written before <close/> */
};

static const struct error_case error_cases[] = {
    { "stanza before open", { "<message to='a@localhost'/>" }, "invalid-namespace" },
    { "element in another namespace", { "<open xmlns='jabber:client' to='localhost' "
                                        "version='1.0'/>" }, "invalid-namespace" },
    { "cut inside an element", { OPEN, "<message><body>hi" }, "not-well-formed" },
    { "cut inside a start tag", { OPEN, "<message to='a@loc" }, "not-well-formed" },
    { "cut after a whole element", { OPEN, "<abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"
                                           "<auth" }, "not-well-formed" },
    { "not well-formed", { OPEN, "<message></iq>" }, "not-well-formed" },
    { "another host", { OPEN_TO("example.org", "1.0") }, "host-unknown" },
    { "wrong version", { OPEN_TO("localhost", "2.0") }, "unsupported-version" },
    { "no version", { "<open xmlns='" FRAMING "' to='localhost'/>" }, "unsupported-version" },
    { "open twice", { OPEN, OPEN }, "bad-format" },
    { "not authenticated", { OPEN, "<message to='a@localhost'/>" }, "not-authorized" },
    { "too big", { OPEN, "<iq type='get' id='x'><query xmlns='jabber:iq:register'>"
                         "<x>0123456789012345678901234567890123456789012345678901234567890123"
                         "4567890123456789012345678901234567890123456789012345678901234567"
                         "8901234567890123456789012345678901234567890123456789012345678901"
                         "2345678901234567890123456789012345678901234567890123456789012345"
                         "6789012345678901234567890123456789012345678901234567890123456789"
                         "0123456789012345678901234567890123456789012345678901234567890123"
                         "4567890123456789012345678901234567890123456789012345678901234567"
                         "8901234567890123456789012345678901234567890123456789012345678901"
                         "2345678901234567890123456789012345678901234567890123456789012345"
                         "6789012345678901234567890123456789012345678901234567890123456789"
                         "0123456789012345678901234567890123456789012345678901234567890123"
                         "4567890123456789012345678901234567890123456789012345678901234567"
                         "8901234567890123456789012345678901234567890123456789012345678901"
                         "2345678901234567890123456789012345678901234567890123456789012345"
                         "6789012345678901234567890123456789012345678901234567890123456789"
                         "0123456789012345678901234567890123456789012345678901234567890123"
                         "</x></query></iq>" }, "policy-violation" },
};

static void test_ws_stream_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(error_cases); i++) {
        const struct error_case *c = &error_cases[i];
        struct fake f = { 0 };
        struct taken t;
        struct stream *s = framed(&f, FRAMING_WEBSOCKET, false);
        int rc = PL_OK;
        for (size_t k = 0; k < ARRAY_LEN(c->script) && c->script[k]; k++)
            rc = say(s, c->script[k], &t);
        print_message("%s\n", c->name);
        assert_int_equal(rc, PL_ECLOSED);
        assert_int_equal(f.closed, 1);
        assert_true(t.n >= 2);
        char error[160];
        snprintf(error, sizeof(error), "<stream:error " XSTREAM "><%s "
                 "xmlns='urn:ietf:params:xml:ns:xmpp-streams'", c->condition);
        assert_ptr_equal(strstr(t.el[t.n - 2], error), t.el[t.n - 2]);
        assert_string_equal(t.el[t.n - 1], CLOSE);
        /* Before the client's <open/>, ours still opens the stream the error ends. */
        if (c->script[1] == NULL && t.n == 3)
            assert_has(t.el[0], "<open xmlns='" FRAMING "' id='");
        assert_int_equal(msg(s, "<presence/>"), PL_ECLOSED); /* nothing more is read */
        done(s, &f);
    }
}

static void test_ws_starttls_refused(void **state)
{
    (void)state;
    struct fake f = { 0 };
    struct taken t;
    struct stream *s = framed(&f, FRAMING_WEBSOCKET, false);
    say(s, OPEN, &t);
    assert_int_equal(say(s, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", &t),
                     PL_ECLOSED);
    assert_int_equal(t.n, 2);
    assert_string_equal(t.el[0], "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    assert_string_equal(t.el[1], CLOSE);
    assert_int_equal(f.closed, 1);
    done(s, &f);
}

static void test_ws_owner_error_then_close(void **state)
{
    (void)state;
    struct fake f = { 0 };
    struct taken t;
    struct stream *s = bound(&f, FRAMING_WEBSOCKET);
    stream_error(s, "conflict", "replaced by a newer <session>");
    take(s, &t);
    assert_int_equal(t.n, 2);
    assert_string_equal(t.el[0], "<stream:error " XSTREAM "><conflict xmlns='urn:ietf:params:xml"
                                 ":ns:xmpp-streams'/><text xmlns='urn:ietf:params:xml:ns:xmpp-s"
                                 "treams'>replaced by a newer &lt;session&gt;</text>"
                                 "</stream:error>");
    assert_string_equal(t.el[1], CLOSE);
    assert_int_equal(stream_state(s), STREAM_CLOSED);
    done(s, &f);
}

static void test_ws_stream_management(void **state)
{
    (void)state;
    struct fake f = { 0 };
    struct taken t;
    struct stream *s = bound(&f, FRAMING_WEBSOCKET);
    say(s, "<enable xmlns='" SM_NS "' resume='true'/>", &t);
    assert_int_equal(t.n, 1);
    assert_string_equal(t.el[0], "<enabled xmlns='" SM_NS "' id='abcd' resume='true' "
                                 "max='300'/>");
    say(s, "<message to='a@localhost'><body>1</body></message>", &t);
    say(s, "<r xmlns='" SM_NS "'/>", &t);
    assert_int_equal(f.acks_wanted, 1);
    f.sm->h_committed = f.sm->h_in;
    stream_sm_ack(s);
    stream_sm_ack(s); /* two elements, two messages */
    take(s, &t);
    assert_int_equal(t.n, 2);
    assert_string_equal(t.el[0], "<a xmlns='" SM_NS "' h='1'/>");
    assert_string_equal(t.el[1], "<a xmlns='" SM_NS "' h='1'/>");
    say(s, "<enable xmlns='" SM_NS "'/>", &t);
    assert_has(t.el[0], "<failed xmlns='" SM_NS "'><unexpected-request ");
    done(s, &f);
}

/* A new WebSocket resumes the session 'abcd' (the fake's only one). */
static void test_ws_stream_resumption(void **state)
{
    (void)state;
    struct fake f = { 0 };
    struct taken t;
    struct stream *s = framed(&f, FRAMING_WEBSOCKET, true);
    say(s, OPEN, &t);
    say(s, PLAIN, &t);
    say(s, OPEN, &t);
    say(s, "<resume xmlns='" SM_NS "' previd='zz' h='0'/>", &t);
    assert_int_equal(t.n, 1);
    assert_has(t.el[0], "<failed xmlns='" SM_NS "'><item-not-found ");
    say(s, "<resume xmlns='" SM_NS "' previd='abcd' h='0'/>", &t);
    assert_int_equal(t.n, 1);
    assert_string_equal(t.el[0], "<resumed xmlns='" SM_NS "' previd='abcd' h='0'/>");
    assert_int_equal(f.resumed, 1);
    assert_int_equal(stream_state(s), STREAM_BOUND);
    done(s, &f);
}

static void test_bosh_writes_no_open_or_close(void **state)
{
    (void)state;
    struct fake f = { 0 };
    struct taken t;
    struct stream *s = bound(&f, FRAMING_BOSH); /* features alone after each <open/> */
    assert_non_null(stream_id(s));
    assert_int_equal(strlen(stream_id(s)), 32);
    assert_int_equal(say(s, "<presence/>", &t), PL_OK);
    assert_string_equal(f.last, "presence jabber:client ");
    stream_error(s, "system-shutdown", NULL);
    take(s, &t);
    assert_int_equal(t.n, 1);
    assert_string_equal(t.el[0], "<stream:error " XSTREAM "><system-shutdown xmlns='urn:ietf:"
                                 "params:xml:ns:xmpp-streams'/></stream:error>");
    assert_int_equal(stream_state(s), STREAM_CLOSED);
    done(s, &f);

    memset(&f, 0, sizeof(f));
    s = framed(&f, FRAMING_BOSH, true);
    assert_int_equal(say(s, OPEN, &t), PL_OK);
    assert_int_equal(t.n, 1);
    assert_ptr_equal(strstr(t.el[0], "<stream:features " XSTREAM ">"), t.el[0]);
    assert_int_equal(say(s, CLOSE, &t), PL_ECLOSED); /* the client's type='terminate' */
    assert_int_equal(t.n, 0);
    assert_int_equal(f.closed, 1);
    done(s, &f);
}

static void test_redirect(void **state)
{
    (void)state;
    struct fake f = { 0 };
    struct taken t;
    struct stream *s = framed(&f, FRAMING_WEBSOCKET, true);
    say(s, OPEN, &t);
    stream_redirect(s, "wss://other.example/xmpp?a=1&b=2");
    take(s, &t);
    assert_int_equal(t.n, 1);
    assert_string_equal(t.el[0], "<close xmlns='" FRAMING "' see-other-uri='wss://other.example"
                                 "/xmpp?a=1&amp;b=2'/>");
    assert_int_equal(stream_state(s), STREAM_CLOSED);
    assert_int_equal(f.closed, 1);
    done(s, &f);

    s = framed(&f, FRAMING_WEBSOCKET, true); /* at any point: even before <open/> */
    stream_redirect(s, "wss://o.example/");
    take(s, &t);
    assert_int_equal(t.n, 1);
    assert_string_equal(t.el[0], "<close xmlns='" FRAMING "' see-other-uri='wss://o.example/'/>");
    done(s, &f);

    s = framed(&f, FRAMING_BOSH, true);
    say(s, OPEN, &t);
    stream_redirect(s, "https://other.example/http-bind");
    take(s, &t);
    assert_int_equal(t.n, 0);
    assert_int_equal(stream_state(s), STREAM_CLOSED);
    done(s, &f);
}

/* TCP: see-other-host with the URI's host; its port is the URI scheme's, not c2s's. */
static void test_redirect_tcp(void **state)
{
    (void)state;
    struct fake f = { 0 };
    static const char *const uris[][2] = {
        { "wss://other.example:5281/xmpp", "other.example" },
        { "wss://u:p@[2001:db8::1]:443/", "[2001:db8::1]" },
        { "xmpp.example.net", "xmpp.example.net" },
    };
    for (size_t i = 0; i < ARRAY_LEN(uris); i++) {
        char want[200];
        struct stream *s = stream_new(&cfg, &hooks, &f, true, false);
        stream_redirect(s, uris[i][0]);
        snprintf(want, sizeof(want), "<stream:error><see-other-host xmlns='urn:ietf:params:xml:"
                 "ns:xmpp-streams'>%s</see-other-host></stream:error></stream:stream>",
                 uris[i][1]);
        assert_non_null(strstr(stream_output(s)->data, want));
        assert_int_equal(stream_output_ends(s, &(const size_t *){ NULL }), 0);
        done(s, &f);
    }
}

static void test_idle_trim_then_more_messages(void **state)
{
    (void)state;
    struct fake f = { 0 };
    struct taken t;
    struct stream *s = bound(&f, FRAMING_WEBSOCKET);
    assert_true(stream_trim(s));
    assert_int_equal(say(s, "<message to='a@localhost'><body>after</body></message>", &t),
                     PL_OK);
    assert_string_equal(f.last, "message jabber:client after");
    assert_true(stream_trim(s));
    assert_int_equal(say(s, "<message to='a@localhost'><body>cut", &t), PL_ECLOSED);
    assert_has(t.el[0], "<not-well-formed ");
    done(s, &f);
}

/* The wrapper the engine opens in its parser is not the client's: it counts toward no limit. */
static void test_wrapper_not_counted_before_auth(void **state)
{
    (void)state;
    struct stream_config small = cfg;
    small.max_bytes_before_auth = strlen(OPEN) + strlen(PLAIN);
    struct fake f = { 0 };
    struct taken t;
    struct stream *s = stream_new(&small, &hooks, &f, true, false);
    stream_set_framing(s, FRAMING_WEBSOCKET);
    assert_int_equal(say(s, OPEN, &t), PL_OK);
    assert_int_equal(say(s, PLAIN, &t), PL_OK);
    assert_string_equal(t.el[0], "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
    done(s, &f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ws_open_answers_open_and_features),
        cmocka_unit_test(test_ws_login_bind_stanza_close),
        cmocka_unit_test(test_restart_draws_a_new_id),
        cmocka_unit_test(test_ws_stream_errors),
        cmocka_unit_test(test_ws_starttls_refused),
        cmocka_unit_test(test_ws_owner_error_then_close),
        cmocka_unit_test(test_ws_stream_management),
        cmocka_unit_test(test_ws_stream_resumption),
        cmocka_unit_test(test_bosh_writes_no_open_or_close),
        cmocka_unit_test(test_redirect),
        cmocka_unit_test(test_redirect_tcp),
        cmocka_unit_test(test_idle_trim_then_more_messages),
        cmocka_unit_test(test_wrapper_not_counted_before_auth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
