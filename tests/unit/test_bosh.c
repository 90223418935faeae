/* SPDX-License-Identifier: MIT */
/* Tests of the BOSH session logic (web/bosh_*.c): creation and its table of refusals, the rid
 * window, repeats, holding, deadlines, pause, terminate, overactivity; every body written is
 * parsed back with the stream parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base.h"
#include "bosh.h"
#include "ns.h"
#include "parser.h"

#define R(n) ((void *)(uintptr_t)(n))
#define RID0 1000u
#define MAX_EVENTS 64
#define FEATURES "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>" \
                 "</stream:features>"
#define MSG "<message xmlns='jabber:client'/>"
#define OPEN_BODY "<body xmlns='" NS_HTTPBIND "' xmlns:xmpp='" NS_XBOSH "'"

static const struct bosh_limits lim = { .domain = "example.org", .max_wait = 60, .max_hold = 2,
                                        .inactivity = 30, .maxpause = 120, .polling = 2,
                                        .max_body_bytes = 4096 };

/* ---- reading XML with the stream parser ------------------------------------------------- */

/* A <body/> read back: its element (attributes) and its children written out again. */
struct parsed {
    struct stanza *head;
    int children;
    struct buf payload;
    bool closed;
};

static void on_open(void *ctx, const struct xel *header, const char *default_ns)
{
    struct parsed *p = ctx;
    (void)default_ns;
    p->head = stanza_new_empty();
    p->head->root = xel_copy_into(p->head, NULL, header);
}

static void on_stanza(void *ctx, struct stanza *st)
{
    struct parsed *p = ctx;
    p->children++;
    xel_write(st->root, NULL, &p->payload);
    stanza_unref(st);
}

static void on_close(void *ctx)
{
    ((struct parsed *)ctx)->closed = true;
}

static const struct parser_events events = { on_open, on_stanza, on_close };

/* Parses a whole <body/>: it must be well-formed, namespace-well-formed and complete. */
static void parse(const char *text, struct parsed *out)
{
    static const struct parser_limits plim = { 65536, 16, 32 };
    memset(out, 0, sizeof(*out));
    buf_init(&out->payload);
    struct parser *ps = parser_new(&plim, &events, out);
    size_t used;
    enum parser_error err = PARSE_OK;
    assert_int_equal(parser_feed(ps, text, strlen(text), &used, &err), PL_OK);
    parser_free(ps);
    assert_non_null(out->head);
    assert_true(out->closed);
}

static void parsed_fini(struct parsed *p)
{
    stanza_unref(p->head);
    buf_fini(&p->payload);
}

static const char *attr(const struct parsed *p, const char *name)
{
    return xel_attr(p->head->root, name);
}

static const char *xbosh_attr(const struct parsed *p, const char *name)
{
    for (const struct xattr *a = p->head->root->attrs; a; a = a->next)
        if (a->ns && strcmp(a->ns, NS_XBOSH) == 0 && strcmp(a->name, name) == 0)
            return a->value;
    return NULL;
}

/* ---- a fake glue ------------------------------------------------------------------------ */

struct glue {
    struct bosh_session *s;
    void *answered[MAX_EVENTS];
    char *bodies[MAX_EVENTS];
    int n_answers;
    void *processed[MAX_EVENTS];
    unsigned flags[MAX_EVENTS];
    int n_processed;
    bool echo; /* each processed request queues <message id='its handle'/> */
};

static void glue_process(void *ctx, void *request, unsigned flags)
{
    struct glue *g = ctx;
    assert_true(g->n_processed < MAX_EVENTS);
    g->processed[g->n_processed] = request;
    g->flags[g->n_processed++] = flags;
    if (g->echo) {
        char msg[80];
        snprintf(msg, sizeof(msg), "<message xmlns='jabber:client' id='%lu'/>",
                 (unsigned long)(uintptr_t)request);
        bosh_session_send(g->s, msg, strlen(msg));
    }
}

/* Every answer must be one well-formed <body/> in the httpbind namespace. */
static void glue_answer(void *ctx, void *request, const struct buf *body)
{
    struct glue *g = ctx;
    struct parsed p;
    parse(body->data, &p);
    assert_string_equal(p.head->root->name, "body");
    assert_string_equal(p.head->root->ns, NS_HTTPBIND);
    parsed_fini(&p);
    assert_true(g->n_answers < MAX_EVENTS);
    g->answered[g->n_answers] = request;
    g->bodies[g->n_answers++] = xstrdup(body->data);
}

static const struct bosh_hooks hooks = { glue_process, glue_answer };

static void glue_fini(struct glue *g)
{
    for (int i = 0; i < g->n_answers; i++)
        free(g->bodies[i]);
    bosh_session_free(g->s);
}

/* The body of the last answer given to request (NULL: none). */
static const char *answer_to(const struct glue *g, void *request)
{
    for (int i = g->n_answers - 1; i >= 0; i--)
        if (g->answered[i] == request)
            return g->bodies[i];
    return NULL;
}

static int answers_to(const struct glue *g, void *request)
{
    int n = 0;
    for (int i = 0; i < g->n_answers; i++)
        n += g->answered[i] == request;
    return n;
}

/* ---- building requests ------------------------------------------------------------------ */

static struct parsed parse_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static struct parsed parse_fmt(const char *fmt, ...)
{
    char text[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    struct parsed p;
    parse(text, &p);
    return p;
}

static enum bosh_condition negotiate(const struct bosh_limits *l, const char *attrs,
                                     struct bosh_params *out)
{
    struct parsed p = parse_fmt(OPEN_BODY " %s/>", attrs);
    enum bosh_condition c = bosh_negotiate(l, p.head->root, out);
    parsed_fini(&p);
    return c;
}

/* Creates a session from rid with extra creation attributes; the glue sends the features and
 * flushes, as the real one does. */
static void start_with(struct glue *g, const struct bosh_limits *l, uint64_t rid,
                       const char *attrs, uint64_t now)
{
    struct bosh_params p;
    memset(g, 0, sizeof(*g));
    char all[512];
    snprintf(all, sizeof(all), "rid='%llu' to='example.org' %s", (unsigned long long)rid,
             attrs);
    assert_int_equal(negotiate(l, all, &p), BOSH_COND_NONE);
    g->s = bosh_session_new(l, &p, &hooks, g, R(rid), now);
    assert_non_null(g->s);
    bosh_session_send(g->s, FEATURES, strlen(FEATURES));
    bosh_session_set_authid(g->s, "stream-1");
    bosh_session_flush(g->s, now);
}

#define X10 "xmpp:version='1.0' "
#define start(g, attrs, now) start_with(g, &lim, RID0, X10 attrs, now)

/* Sends a later request with rid, extra attributes and payload (NULL: empty); its handle is
 * R(handle). */
static int request_h(struct glue *g, uint64_t rid, const char *attrs, const char *payload,
                     uintptr_t handle, uint64_t now)
{
    struct parsed p = parse_fmt(OPEN_BODY " sid='%s' rid='%llu' %s>%s</body>",
                                bosh_session_sid(g->s), (unsigned long long)rid, attrs,
                                payload ? payload : "");
    int rc = bosh_session_request(g->s, p.head->root, p.children == 0, R(handle), now);
    parsed_fini(&p);
    return rc;
}

static int request(struct glue *g, uint64_t rid, const char *attrs, const char *payload,
                   uint64_t now)
{
    return request_h(g, rid, attrs, payload, (uintptr_t)rid, now);
}

static bool contains(const char *text, const char *piece)
{
    return text && strstr(text, piece) != NULL;
}

static void assert_ended_with(const struct glue *g, void *request, const char *condition)
{
    char want[64];
    snprintf(want, sizeof(want), "condition='%s'", condition);
    assert_true(contains(answer_to(g, request), want));
    assert_true(contains(answer_to(g, request), "type='terminate'"));
    assert_true(bosh_session_ended(g->s));
}

/* ---- creation --------------------------------------------------------------------------- */

static void test_creation_response(void **state)
{
    (void)state;
    struct glue g;
    start(&g, "wait='45' hold='1' ver='1.6' ack='1' xml:lang='en'", 0);
    assert_int_equal(g.n_answers, 1);
    assert_ptr_equal(g.answered[0], R(RID0));
    char want_text[1024];
    snprintf(want_text, sizeof(want_text),
             "<body xmlns='" NS_HTTPBIND "' xmlns:stream='" NS_STREAM "' xmlns:xmpp='" NS_XBOSH
             "' sid='%s' wait='45' requests='2' hold='1' inactivity='30' polling='2' "
             "maxpause='120' ver='1.6' from='example.org' authid='stream-1' xmpp:version='1.0' "
             "xmpp:restartlogic='true' ack='1000'>" FEATURES "</body>",
             bosh_session_sid(g.s));
    assert_string_equal(g.bodies[0], want_text);
    struct parsed p;
    parse(g.bodies[0], &p); /* the features' stream: prefix must be declared on the body */
    assert_string_equal(attr(&p, "sid"), bosh_session_sid(g.s));
    assert_int_equal(strlen(bosh_session_sid(g.s)), BOSH_SID_LEN);
    static const char *const want[][2] = {
        { "wait", "45" }, { "requests", "2" }, { "hold", "1" }, { "inactivity", "30" },
        { "polling", "2" }, { "maxpause", "120" }, { "ver", "1.6" }, { "from", "example.org" },
        { "authid", "stream-1" }, { "ack", "1000" },
    };
    for (size_t i = 0; i < ARRAY_LEN(want); i++)
        assert_string_equal(attr(&p, want[i][0]), want[i][1]);
    assert_string_equal(xbosh_attr(&p, "version"), "1.0");
    assert_string_equal(xbosh_attr(&p, "restartlogic"), "true");
    assert_null(attr(&p, "type"));
    assert_int_equal(p.children, 1);
    assert_true(contains(p.payload.data, "features"));
    parsed_fini(&p);
    const struct bosh_params *bp = bosh_session_params(g.s);
    assert_string_equal(bp->lang, "en");
    assert_string_equal(bp->content, "text/xml; charset=utf-8");
    assert_true(bp->acks && bp->xmpp_1);
    glue_fini(&g);
}

struct neg_case {
    const char *name, *attrs;
    enum bosh_condition cond;
    unsigned wait, hold, ver_minor;
    bool xmpp_1;
};

#define TO " to='example.org'"
static const struct neg_case neg_cases[] = {
    { "good", "rid='1'" TO " wait='30' hold='1' ver='1.6' " X10, 0, 30, 1, 6, true },
    { "defaults", "rid='1'" TO, 0, 60, 1, 11, false },
    { "clamped to limits", "rid='1'" TO " wait='3600' hold='9'", 0, 60, 2, 11, false },
    { "polling", "rid='1'" TO " wait='0' hold='0'", 0, 0, 0, 11, false },
    { "later versions", "rid='1'" TO " ver='2.0' xmpp:version='2.1'", 0, 60, 1, 11, true },
    { "XMPP 0.9", "rid='1'" TO " xmpp:version='0.9'", 0, 60, 1, 11, false },
    { "domain prepared", "rid='1' to='EXAMPLE.org'", 0, 60, 1, 11, false },
    { "rid 2^53-1", "rid='9007199254740991'" TO, 0, 60, 1, 11, false },
    { "no rid", "to='example.org'", BOSH_BAD_REQUEST, 0, 0, 0, false },
    { "rid 0", "rid='0'" TO, BOSH_BAD_REQUEST, 0, 0, 0, false },
    { "rid signed", "rid='+5'" TO, BOSH_BAD_REQUEST, 0, 0, 0, false },
    { "rid 2^53", "rid='9007199254740992'" TO, BOSH_BAD_REQUEST, 0, 0, 0, false },
    { "sid given", "rid='1' sid='abc'" TO, BOSH_BAD_REQUEST, 0, 0, 0, false },
    { "no to", "rid='1'", BOSH_IMPROPER_ADDRESSING, 0, 0, 0, false },
    { "empty to", "rid='1' to=''", BOSH_IMPROPER_ADDRESSING, 0, 0, 0, false },
    { "other host", "rid='1' to='example.net'", BOSH_HOST_UNKNOWN, 0, 0, 0, false },
    { "a user's jid", "rid='1' to='u@example.org'", BOSH_HOST_UNKNOWN, 0, 0, 0, false },
    { "wait negative", "rid='1'" TO " wait='-1'", BOSH_BAD_REQUEST, 0, 0, 0, false },
    { "hold a word", "rid='1'" TO " hold='one'", BOSH_BAD_REQUEST, 0, 0, 0, false },
    { "xmpp:version a word", "rid='1'" TO " xmpp:version='one'", BOSH_BAD_REQUEST, 0, 0, 0,
      false },
    { "content forging a header", "rid='1'" TO " content='text/xml&#13;&#10;X: y'",
      BOSH_BAD_REQUEST, 0, 0, 0, false },
};

static void test_negotiation_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(neg_cases); i++) {
        const struct neg_case *c = &neg_cases[i];
        struct bosh_params p;
        print_message("%s\n", c->name);
        assert_int_equal(negotiate(&lim, c->attrs, &p), c->cond);
        if (c->cond != BOSH_COND_NONE)
            continue;
        assert_int_equal(p.wait, c->wait);
        assert_int_equal(p.hold, c->hold);
        assert_int_equal(p.requests, c->hold + 1);
        assert_int_equal(p.ver_major, 1);
        assert_int_equal(p.ver_minor, c->ver_minor);
        assert_int_equal(p.xmpp_1, c->xmpp_1);
    }
    struct parsed p = parse_fmt("<stream xmlns='" NS_HTTPBIND "' rid='1'" TO "/>");
    struct bosh_params bp;
    assert_int_equal(bosh_negotiate(&lim, p.head->root, &bp), BOSH_BAD_REQUEST);
    parsed_fini(&p);
}

/* XEP-0206: without xmpp:version the stream is not XMPP 1.0: no restart logic announced, and a
 * restart is refused. */
static void test_no_xmpp_version(void **state)
{
    (void)state;
    struct glue g;
    start_with(&g, &lim, RID0, "hold='1'", 0);
    struct parsed p;
    parse(g.bodies[0], &p);
    assert_null(xbosh_attr(&p, "version"));
    assert_null(xbosh_attr(&p, "restartlogic"));
    parsed_fini(&p);
    assert_int_equal(request(&g, RID0 + 1, "xmpp:restart='true'", NULL, 1), PL_ECLOSED);
    assert_ended_with(&g, R(RID0 + 1), "bad-request");
    assert_int_equal(g.n_processed, 0);
    glue_fini(&g);
}

static void test_restart(void **state)
{
    (void)state;
    struct glue g;
    start(&g, "hold='1'", 0);
    assert_int_equal(request(&g, RID0 + 1, "xmpp:restart='true'", NULL, 1), PL_OK);
    assert_int_equal(g.n_processed, 1);
    assert_int_equal(g.flags[0], BOSH_REQ_RESTART);
    /* XEP-0206 §5: a restart carries no payload */
    assert_int_equal(request(&g, RID0 + 2, "xmpp:restart='true'", "<iq xmlns='jabber:client'/>",
                             2), PL_ECLOSED);
    assert_ended_with(&g, R(RID0 + 2), "bad-request");
    assert_ended_with(&g, R(RID0 + 1), "other-request");
    glue_fini(&g);
}

/* A polling session's creation request is answered at the first flush; values escaped. */
static void test_escaped_authid(void **state)
{
    (void)state;
    struct bosh_params bp;
    struct glue g = { 0 };
    assert_int_equal(negotiate(&lim, "rid='5'" TO " hold='0'", &bp), BOSH_COND_NONE);
    g.s = bosh_session_new(&lim, &bp, &hooks, &g, R(5), 0);
    bosh_session_set_authid(g.s, "a'b&c<\"");
    bosh_session_flush(g.s, 0);
    struct parsed p;
    parse(answer_to(&g, R(5)), &p);
    assert_string_equal(attr(&p, "authid"), "a'b&c<\"");
    assert_int_equal(p.children, 0);
    parsed_fini(&p);
    glue_fini(&g);
}

/* ---- the rid window --------------------------------------------------------------------- */

static void test_in_order(void **state)
{
    (void)state;
    struct glue g;
    start(&g, "hold='1'", 0);
    g.echo = true;
    for (uint64_t rid = RID0 + 1; rid <= RID0 + 3; rid++) {
        assert_int_equal(request(&g, rid, "", "<message xmlns='jabber:client'/>", rid), PL_OK);
        assert_ptr_equal(g.processed[rid - RID0 - 1], R(rid));
        char id[32];
        snprintf(id, sizeof(id), "id='%llu'", (unsigned long long)rid);
        assert_true(contains(answer_to(&g, R(rid)), id));
    }
    glue_fini(&g);
}

static void test_early_then_gap_filled(void **state)
{
    (void)state;
    struct glue g;
    start(&g, "hold='2'", 0); /* requests = 3 */
    assert_int_equal(request(&g, RID0 + 2, "", "<message xmlns='jabber:client'/>", 10), PL_OK);
    assert_int_equal(g.n_processed, 0);
    assert_int_equal(request(&g, RID0 + 1, "", NULL, 20), PL_OK);
    assert_int_equal(g.n_processed, 2);
    assert_ptr_equal(g.processed[0], R(RID0 + 1));
    assert_ptr_equal(g.processed[1], R(RID0 + 2));
    assert_int_equal(g.n_answers, 1); /* both held: hold is 2 */
    bosh_session_send(g.s, "<iq xmlns='jabber:client'/>", 27);
    bosh_session_flush(g.s, 30);
    assert_true(contains(answer_to(&g, R(RID0 + 1)), "<iq"));
    assert_null(answer_to(&g, R(RID0 + 2)));
    assert_int_equal(bosh_session_deadline(g.s), 10 + 60000);
    glue_fini(&g);
}

static void test_early_beyond_window(void **state)
{
    (void)state;
    struct glue g;
    start(&g, "hold='1'", 0); /* window: rid_next and one more */
    assert_int_equal(request(&g, RID0 + 1, "", NULL, 1), PL_OK);
    assert_int_equal(request(&g, RID0 + 4, "", NULL, 2), PL_ECLOSED);
    assert_ended_with(&g, R(RID0 + 4), "item-not-found");
    assert_ended_with(&g, R(RID0 + 1), "other-request");
    glue_fini(&g);
}

static void test_repeats(void **state)
{
    (void)state;
    struct glue g;
    start(&g, "hold='2'", 0); /* requests = 3: three responses kept */
    g.echo = true;
    for (uint64_t rid = RID0 + 1; rid <= RID0 + 3; rid++)
        assert_int_equal(request(&g, rid, "", NULL, rid), PL_OK);
    for (uint64_t rid = RID0 + 1; rid <= RID0 + 3; rid++) {
        assert_int_equal(request_h(&g, rid, "", NULL, 7000 + rid, 10), PL_OK);
        assert_string_equal(answer_to(&g, R(7000 + rid)), answer_to(&g, R(rid)));
    }
    assert_int_equal(g.n_processed, 3); /* repeats are not processed again */
    assert_int_equal(request_h(&g, RID0, "", NULL, 7000, 20), PL_ECLOSED);
    assert_ended_with(&g, R(7000), "item-not-found");
    glue_fini(&g);
}

/* XEP-0124 §14.1: rids stop below 2^53; one beyond is malformed, never wrapped. */
static void test_rid_top(void **state)
{
    (void)state;
    struct glue g;
    uint64_t top = BOSH_RID_MAX;
    start_with(&g, &lim, top - 2, X10 "hold='1'", 0);
    assert_int_equal(request(&g, top - 1, "", NULL, 1), PL_OK);
    assert_int_equal(request(&g, top, "", NULL, 3000), PL_OK);
    assert_int_equal(g.n_processed, 2);
    assert_int_equal(request(&g, top + 1, "", NULL, 6000), PL_ECLOSED);
    assert_ended_with(&g, R(top + 1), "bad-request");
    glue_fini(&g);
}

static void test_wrong_sid(void **state)
{
    (void)state;
    struct glue g;
    start(&g, "hold='1'", 0);
    struct parsed p = parse_fmt(OPEN_BODY " sid='nope' rid='1001'/>");
    assert_int_equal(bosh_session_request(g.s, p.head->root, true, R(1), 1), PL_ECLOSED);
    parsed_fini(&p);
    assert_ended_with(&g, R(1), "item-not-found");
    struct buf b;
    buf_init(&b);
    bosh_write_terminate(&b, BOSH_ITEM_NOT_FOUND);
    assert_string_equal(b.data, "<body xmlns='" NS_HTTPBIND "' type='terminate' "
                                "condition='item-not-found'/>");
    parse(b.data, &p);
    assert_string_equal(attr(&p, "condition"), "item-not-found");
    parsed_fini(&p);
    buf_fini(&b);
    glue_fini(&g);
}

/* ---- holding and deadlines -------------------------------------------------------------- */

static void test_hold_overflow(void **state)
{
    (void)state;
    struct glue g;
    start(&g, "hold='1'", 0);
    assert_int_equal(request(&g, RID0 + 1, "", NULL, 1), PL_OK);
    assert_null(answer_to(&g, R(RID0 + 1)));
    assert_int_equal(request(&g, RID0 + 2, "", "<message xmlns='jabber:client'/>", 2), PL_OK);
    assert_string_equal(answer_to(&g, R(RID0 + 1)), "<body xmlns='" NS_HTTPBIND "'/>");
    assert_null(answer_to(&g, R(RID0 + 2)));
    glue_fini(&g);
}

static void test_wait_then_inactivity(void **state)
{
    (void)state;
    struct glue g;
    start(&g, "hold='1'", 0);
    assert_int_equal(bosh_session_deadline(g.s), 30000); /* nothing held: inactivity */
    assert_int_equal(request(&g, RID0 + 1, "", NULL, 20000), PL_OK);
    assert_int_equal(bosh_session_deadline(g.s), 80000);
    bosh_session_tick(g.s, 50000); /* past inactivity, but a request is held */
    assert_false(bosh_session_ended(g.s));
    bosh_session_tick(g.s, 79999);
    assert_null(answer_to(&g, R(RID0 + 1)));
    bosh_session_tick(g.s, 80000);
    assert_string_equal(answer_to(&g, R(RID0 + 1)), "<body xmlns='" NS_HTTPBIND "'/>");
    assert_int_equal(bosh_session_deadline(g.s), 110000);
    bosh_session_tick(g.s, 109999);
    assert_false(bosh_session_ended(g.s));
    bosh_session_tick(g.s, 110000);
    assert_true(bosh_session_ended(g.s));
    assert_int_equal(bosh_session_deadline(g.s), UINT64_MAX);
    assert_int_equal(request(&g, RID0 + 2, "", NULL, 110001), PL_ECLOSED);
    assert_ended_with(&g, R(RID0 + 2), "item-not-found");
    glue_fini(&g);
}

/* An early request whose gap stays open past its wait gets XEP-0124 §17.3's recoverable
 * error; sent again with the missing one, both go through. */
static void test_gap_not_filled(void **state)
{
    (void)state;
    struct glue g;
    start(&g, "hold='2'", 0);
    assert_int_equal(request(&g, RID0 + 2, "", NULL, 1000), PL_OK);
    bosh_session_tick(g.s, 61000);
    assert_true(contains(answer_to(&g, R(RID0 + 2)), "type='error'"));
    assert_int_equal(request(&g, RID0 + 1, "", NULL, 62000), PL_OK);
    assert_int_equal(request_h(&g, RID0 + 2, "", NULL, 9002, 62000), PL_OK);
    assert_int_equal(g.n_processed, 2);
    assert_ptr_equal(g.processed[1], R(9002));
    glue_fini(&g);
}

static void test_pause(void **state)
{
    (void)state;
    struct glue g;
    start(&g, "hold='1'", 0);
    assert_int_equal(request(&g, RID0 + 1, "", NULL, 1000), PL_OK);
    bosh_session_send(g.s, "<message xmlns='jabber:client'/>", 32);
    assert_int_equal(request(&g, RID0 + 2, "pause='600'", "<presence xmlns='jabber:client'/>",
                             2000), PL_OK);
    assert_true(contains(answer_to(&g, R(RID0 + 1)), "<message"));
    assert_string_equal(answer_to(&g, R(RID0 + 2)), "<body xmlns='" NS_HTTPBIND "'/>");
    assert_int_equal(bosh_session_deadline(g.s), 2000 + 120000); /* clamped to maxpause */
    bosh_session_tick(g.s, 2000 + 30000);
    assert_false(bosh_session_ended(g.s));
    /* the next request ends the pause; a pause answer is not kept for a repeat */
    assert_int_equal(request(&g, RID0 + 3, "", NULL, 50000), PL_OK);
    bosh_session_tick(g.s, 110000);
    assert_int_equal(bosh_session_deadline(g.s), 110000 + 30000);
    assert_int_equal(request_h(&g, RID0 + 2, "", NULL, 9002, 110001), PL_ECLOSED);
    assert_ended_with(&g, R(9002), "item-not-found");
    glue_fini(&g);
}

static void test_pause_expires(void **state)
{
    (void)state;
    struct glue g;
    start(&g, "hold='1'", 0);
    assert_int_equal(request(&g, RID0 + 1, "pause='60'", NULL, 1000), PL_OK);
    bosh_session_tick(g.s, 60999);
    assert_false(bosh_session_ended(g.s));
    bosh_session_tick(g.s, 61000);
    assert_true(bosh_session_ended(g.s));
    glue_fini(&g);
}

/* ---- ends ------------------------------------------------------------------------------- */

static void test_terminate(void **state)
{
    (void)state;
    struct glue g;
    start(&g, "hold='1'", 0);
    assert_int_equal(request(&g, RID0 + 1, "", NULL, 1), PL_OK);
    assert_int_equal(request(&g, RID0 + 2, "type='terminate'",
                             "<presence xmlns='jabber:client' type='unavailable'/>", 2),
                     PL_ECLOSED);
    assert_int_equal(g.flags[1], BOSH_REQ_TERMINATE);
    struct parsed p;
    for (uint64_t rid = RID0 + 1; rid <= RID0 + 2; rid++) {
        parse(answer_to(&g, R(rid)), &p);
        assert_string_equal(attr(&p, "type"), "terminate");
        assert_null(attr(&p, "condition"));
        parsed_fini(&p);
    }
    assert_true(bosh_session_ended(g.s));
    glue_fini(&g);
}

/* XEP-0124 §11: a third request while two are unanswered, neither pause nor terminate. */
static void test_overactivity(void **state)
{
    (void)state;
    struct glue g;
    start(&g, "hold='1'", 0);
    assert_int_equal(request(&g, RID0 + 1, "", MSG, 1), PL_OK);
    assert_int_equal(request(&g, RID0 + 3, "", MSG, 2), PL_OK);
    assert_int_equal(request(&g, RID0 + 2, "", MSG, 3), PL_ECLOSED);
    assert_ended_with(&g, R(RID0 + 2), "policy-violation");
    assert_ended_with(&g, R(RID0 + 1), "other-request");
    assert_ended_with(&g, R(RID0 + 3), "other-request");
    glue_fini(&g);
    /* ...but one more is allowed to terminate */
    start(&g, "hold='1'", 0);
    assert_int_equal(request(&g, RID0 + 1, "", MSG, 1), PL_OK);
    assert_int_equal(request(&g, RID0 + 3, "", MSG, 2), PL_OK);
    assert_int_equal(request(&g, RID0 + 2, "type='terminate'", NULL, 3), PL_ECLOSED);
    for (uint64_t rid = RID0 + 1; rid <= RID0 + 3; rid++)
        assert_true(contains(answer_to(&g, R(rid)), "type='terminate'"));
    assert_false(contains(answer_to(&g, R(RID0 + 3)), "condition="));
    glue_fini(&g);
}

/* §12: a polling session may not send two empty requests within 'polling' seconds after an
 * empty answer. */
static void test_polling_too_often(void **state)
{
    (void)state;
    struct glue g;
    start(&g, "wait='0' hold='0'", 0);
    assert_int_equal(request(&g, RID0 + 1, "", NULL, 100), PL_OK);
    assert_non_null(answer_to(&g, R(RID0 + 1)));
    assert_int_equal(request(&g, RID0 + 2, "", NULL, 2100), PL_OK);
    assert_int_equal(request(&g, RID0 + 3, "", NULL, 3000), PL_ECLOSED);
    assert_ended_with(&g, R(RID0 + 3), "policy-violation");
    glue_fini(&g);
    /* §11: nor fill all of 'requests' with empty ones that close together */
    start(&g, "hold='1'", 0);
    assert_int_equal(request(&g, RID0 + 1, "", NULL, 100), PL_OK);
    assert_int_equal(request(&g, RID0 + 2, "", MSG, 200), PL_OK); /* a payload is fine */
    assert_int_equal(request(&g, RID0 + 3, "", NULL, 2300), PL_OK); /* so is a pause in time */
    assert_int_equal(request(&g, RID0 + 4, "", NULL, 2400), PL_ECLOSED);
    assert_ended_with(&g, R(RID0 + 4), "policy-violation");
    glue_fini(&g);
}

static void test_remote_stream_error(void **state)
{
    (void)state;
    struct glue g;
    start(&g, "hold='1'", 0);
    assert_int_equal(request(&g, RID0 + 1, "", NULL, 1), PL_OK);
    static const char msg[] = "<message xmlns='jabber:client'/>";
    static const char err[] = "<stream:error><host-unknown "
                              "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>";
    bosh_session_send(g.s, msg, strlen(msg));
    bosh_session_send(g.s, err, strlen(err));
    bosh_session_close(g.s, BOSH_REMOTE_STREAM_ERROR, NULL, 2);
    assert_ended_with(&g, R(RID0 + 1), "remote-stream-error");
    struct parsed p;
    parse(answer_to(&g, R(RID0 + 1)), &p); /* the body declares stream: for the error */
    assert_int_equal(p.children, 2);
    assert_true(contains(p.payload.data, "host-unknown"));
    parsed_fini(&p);
    glue_fini(&g);
}

/* With nothing held the end waits for the next request, which is not processed. */
static void test_close_then_request(void **state)
{
    (void)state;
    struct glue g;
    start(&g, "hold='1'", 0);
    bosh_session_close(g.s, BOSH_SEE_OTHER_URI, "https://other.example/bind?a=1&b=2", 1);
    assert_false(bosh_session_ended(g.s));
    assert_int_equal(request(&g, RID0 + 1, "", "<message xmlns='jabber:client'/>", 2),
                     PL_ECLOSED);
    assert_int_equal(g.n_processed, 0);
    assert_ended_with(&g, R(RID0 + 1), "see-other-uri");
    struct parsed p;
    parse(answer_to(&g, R(RID0 + 1)), &p);
    assert_true(contains(p.payload.data, ">https://other.example/bind?a=1&amp;b=2</uri>"));
    parsed_fini(&p);
    glue_fini(&g);
}

/* ---- broken connections, body size, acks, memory ---------------------------------------- */

/* A held request whose connection went away: its answer waits in the cache for the repeat;
 * an early one is dropped, to be sent again. */
static void test_forget(void **state)
{
    (void)state;
    struct glue g;
    start(&g, "hold='2'", 0);
    assert_int_equal(request(&g, RID0 + 1, "", NULL, 1), PL_OK);
    bosh_session_forget(g.s, R(RID0 + 1), 2);
    bosh_session_send(g.s, "<message xmlns='jabber:client'/>", 32);
    bosh_session_flush(g.s, 3);
    assert_int_equal(answers_to(&g, R(RID0 + 1)), 0);
    assert_int_equal(request_h(&g, RID0 + 1, "", NULL, 9001, 4), PL_OK);
    assert_true(contains(answer_to(&g, R(9001)), "<message"));
    assert_int_equal(request(&g, RID0 + 3, "", NULL, 5), PL_OK);
    bosh_session_forget(g.s, R(RID0 + 3), 6);
    assert_int_equal(request(&g, RID0 + 2, "", NULL, 7), PL_OK);
    assert_int_equal(request_h(&g, RID0 + 3, "", NULL, 9003, 8), PL_OK);
    assert_int_equal(g.n_processed, 3);
    assert_ptr_equal(g.processed[2], R(9003));
    glue_fini(&g);
}

/* The same rid again while the first is held: the new request takes the answer. */
static void test_resent_while_held(void **state)
{
    (void)state;
    struct glue g;
    start(&g, "hold='1'", 0);
    assert_int_equal(request(&g, RID0 + 1, "", NULL, 1), PL_OK);
    assert_int_equal(request_h(&g, RID0 + 1, "", NULL, 9001, 2), PL_OK);
    assert_string_equal(answer_to(&g, R(RID0 + 1)), "<body xmlns='" NS_HTTPBIND "'/>");
    bosh_session_send(g.s, "<message xmlns='jabber:client'/>", 32);
    bosh_session_flush(g.s, 3);
    assert_true(contains(answer_to(&g, R(9001)), "<message"));
    assert_int_equal(g.n_processed, 1);
    glue_fini(&g);
}

/* A response carries at most max_body_bytes of whole pieces; a larger piece goes alone. */
static void test_body_cut(void **state)
{
    (void)state;
    struct bosh_limits small = lim;
    small.max_body_bytes = 100;
    struct glue g;
    start_with(&g, &small, RID0, X10 "hold='1'", 0);
    char piece[61], big[151];
    snprintf(piece, sizeof(piece), "<message xmlns='jabber:client' id='%022d'/>", 0);
    snprintf(big, sizeof(big), "<message xmlns='jabber:client' id='%0112d'/>", 0);
    assert_int_equal(strlen(piece), 60);
    for (int i = 0; i < 2; i++)
        bosh_session_send(g.s, piece, 60);
    bosh_session_send(g.s, big, 150);
    for (uint64_t rid = RID0 + 1; rid <= RID0 + 3; rid++) {
        assert_int_equal(request(&g, rid, "", NULL, rid), PL_OK);
        struct parsed p;
        parse(answer_to(&g, R(rid)), &p);
        assert_int_equal(p.children, 1);
        parsed_fini(&p);
    }
    assert_true(contains(answer_to(&g, R(RID0 + 3)), big));
    assert_int_equal(bosh_session_queued(g.s), 0);
    glue_fini(&g);
}

static void test_acks(void **state)
{
    (void)state;
    struct glue g;
    start(&g, "hold='2' ack='1'", 0);
    assert_int_equal(request(&g, RID0 + 1, "", NULL, 1), PL_OK);
    assert_int_equal(request(&g, RID0 + 2, "", NULL, 2), PL_OK);
    bosh_session_send(g.s, "<message xmlns='jabber:client'/>", 32);
    bosh_session_flush(g.s, 3);
    struct parsed p;
    parse(answer_to(&g, R(RID0 + 1)), &p); /* §9.1: rid 1002 was received too */
    assert_string_equal(attr(&p, "ack"), "1002");
    parsed_fini(&p);
    bosh_session_tick(g.s, 60002);
    assert_null(strstr(answer_to(&g, R(RID0 + 2)), "ack=")); /* it would only repeat 1002 */
    /* §9.2: the client has the answers up to 1001: those are not kept for repeats */
    assert_int_equal(request(&g, RID0 + 3, "ack='1001'", NULL, 60003), PL_OK);
    assert_int_equal(request_h(&g, RID0 + 2, "", NULL, 9002, 60004), PL_OK);
    assert_int_equal(request_h(&g, RID0 + 1, "", NULL, 9001, 60005), PL_ECLOSED);
    assert_ended_with(&g, R(9001), "item-not-found");
    glue_fini(&g);
}

/* Idle memory: once a wait passes quietly the session keeps its slots and the last
 * `requests` responses, fitted; acknowledged ones go. */
static void test_idle_memory(void **state)
{
    (void)state;
    struct glue g;
    start(&g, "hold='1' ack='1'", 0);
    char big[3001];
    memset(big, 'x', sizeof(big));
    memcpy(big, "<message xmlns='jabber:client'><body>", 37);
    memcpy(big + 3000 - 17, "</body></message>", 18);
    uint64_t rid = RID0 + 1, now = 0;
    for (; rid <= RID0 + 50; rid++, now += 100) {
        assert_int_equal(request(&g, rid, "", MSG, now), PL_OK);
        bosh_session_send(g.s, big, 3000);
        bosh_session_flush(g.s, now);
    }
    size_t busy = bosh_session_memory(g.s);
    assert_int_equal(request(&g, rid, "", MSG, now), PL_OK);
    bosh_session_tick(g.s, now + 60000);
    size_t idle = bosh_session_memory(g.s);
    assert_int_equal(request(&g, ++rid, "ack='1051'", MSG, now + 60001), PL_OK);
    bosh_session_tick(g.s, now + 120001);
    size_t acked = bosh_session_memory(g.s);
    print_message("busy %zu, idle %zu, acknowledged %zu bytes\n", busy, idle, acked);
    assert_true(busy < 5 * 4096 && idle < 3000 + 2048 && acked < 2048);
    glue_fini(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_creation_response),
        cmocka_unit_test(test_negotiation_table),
        cmocka_unit_test(test_no_xmpp_version),
        cmocka_unit_test(test_restart),
        cmocka_unit_test(test_escaped_authid),
        cmocka_unit_test(test_in_order),
        cmocka_unit_test(test_early_then_gap_filled),
        cmocka_unit_test(test_early_beyond_window),
        cmocka_unit_test(test_repeats),
        cmocka_unit_test(test_rid_top),
        cmocka_unit_test(test_wrong_sid),
        cmocka_unit_test(test_hold_overflow),
        cmocka_unit_test(test_wait_then_inactivity),
        cmocka_unit_test(test_gap_not_filled),
        cmocka_unit_test(test_pause),
        cmocka_unit_test(test_pause_expires),
        cmocka_unit_test(test_terminate),
        cmocka_unit_test(test_overactivity),
        cmocka_unit_test(test_polling_too_often),
        cmocka_unit_test(test_remote_stream_error),
        cmocka_unit_test(test_close_then_request),
        cmocka_unit_test(test_forget),
        cmocka_unit_test(test_resent_while_held),
        cmocka_unit_test(test_body_cut),
        cmocka_unit_test(test_acks),
        cmocka_unit_test(test_idle_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
