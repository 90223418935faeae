/* SPDX-License-Identifier: MIT */
/* BOSH at /http-bind (XEP-0124, XEP-0206): each session is a transport of its own. Requests
 * arrive on any HTTP connection; their payloads go to the session's stream in rid order, and
 * what the stream and the session's deliveries write answers the requests held. */
#include "http_bind.h"

#include <event2/event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "bosh.h"
#include "c2s.h"
#include "clock.h"
#include "conn_int.h"
#include "log.h"
#include "ns.h"
#include "parser.h"
#include "server.h"

#define BOSH_CONTENT_TYPE "text/xml; charset=utf-8"

/* One BOSH session: the transport the core writes to. */
struct bind_session {
    struct transport tp; /* first */
    struct bosh_session *bs;
    struct event *timer;    /* bosh_session_deadline, or the authentication deadline */
    struct event *flush_ev; /* one answer per loop turn for what the turn sent */
    struct event *reap_ev;  /* frees the session outside every callback */
    struct conn *current;   /* the connection whose request is being processed */
    uint64_t out_total;     /* bytes given to the session, for marks */
    uint64_t auth_deadline;
    bool ending;  /* bosh_session_close called: the session goes once it has answered */
    bool errored; /* the stream ended with a stream error (queued for the last answer) */
    bool reaped;
    struct bind_request *requests; /* given to bs and not answered yet */
};

/* One request held by a session, with its payload until its turn comes. */
struct bind_request {
    struct conn *c;            /* NULL once its connection went */
    struct bind_session *s;    /* the session holding it */
    struct bind_request *prev, *next; /* the session's requests, for its end */
    struct stanza *body; /* holds a copy of the <body/> and the payload's elements */
    struct xel **items;
    size_t n_items;
    bool keep_alive;
    char cors[400];
};

static struct bind_session *session_of(struct transport *t) { return (struct bind_session *)t; }

/* ---- the body of a request, read as a tiny stream: <body/> is its header ---- */

struct body_read {
    struct stanza *hold; /* root's first child: the <body/>; then the payload */
    bool opened, closed;
};

static void body_open(void *ctx, const struct xel *header, const char *default_ns)
{
    struct body_read *br = ctx;
    (void)default_ns;
    xel_copy_into(br->hold, br->hold->root, header);
    br->opened = true;
}

static void body_item(void *ctx, struct stanza *st)
{
    struct body_read *br = ctx;
    xel_copy_into(br->hold, br->hold->root, st->root);
    stanza_unref(st);
}

static void body_close(void *ctx)
{
    struct body_read *br = ctx;
    br->closed = true;
}

static const struct parser_events body_events = { body_open, body_item, body_close };

/* Parses a whole request body; returns the holder (its root's children: <body/>, then the
 * payload) or NULL when it is not one well-formed <body/> in the httpbind namespace. */
static struct stanza *read_body(struct server *srv, const char *data, size_t n)
{
    struct body_read br = { .hold = stanza_new("request", NULL) };
    struct parser *p = parser_new(&srv->stream_cfg.limits, &body_events, &br);
    size_t used;
    enum parser_error err;
    int rc = parser_feed(p, data, n, &used, &err);
    parser_free(p);
    const struct xel *body = xel_first_elem(br.hold->root);
    bool ok = rc != PL_EINVAL && br.opened && br.closed && body &&
              strcmp(body->name, "body") == 0 && body->ns && strcmp(body->ns, NS_HTTPBIND) == 0;
    if (!ok) {
        stanza_unref(br.hold);
        return NULL;
    }
    return br.hold;
}

/* ---- answering requests ---- */

static void answer_now(struct conn *c, const struct buf *body, const char *cors,
                       bool keep_alive, const char *type)
{
    conn_http_respond(c, 200, type, body->data, body->len, cors, keep_alive);
}

static void request_free(struct bind_request *rq)
{
    if (rq->s) { /* out of the session's list */
        if (rq->prev)
            rq->prev->next = rq->next;
        else
            rq->s->requests = rq->next;
        if (rq->next)
            rq->next->prev = rq->prev;
    }
    stanza_unref(rq->body);
    free(rq->items);
    free(rq);
}

static void on_answer(void *ctx, void *request, const struct buf *body)
{
    struct bind_session *s = ctx;
    struct bind_request *rq = request;
    if (rq->c) /* given back to the connection's next request */
        answer_now(rq->c, body, rq->cors, rq->keep_alive,
                   bosh_session_params(s->bs)->content);
    request_free(rq);
}

/* A request with no session to go to: its own terminal answer. */
static int answer_terminal(struct conn *c, enum bosh_condition cond, const char *cors,
                           bool keep_alive)
{
    struct buf *out = server_buf_take(c->tp.srv);
    bosh_write_terminate(out, cond);
    answer_now(c, out, cors, keep_alive, BOSH_CONTENT_TYPE);
    server_buf_give(c->tp.srv, out);
    return keep_alive ? PL_OK : PL_ECLOSED;
}

/* ---- the session's deadlines and end ---- */

static void arm(struct bind_session *s)
{
    if (s->reaped)
        return;
    uint64_t due = bosh_session_deadline(s->bs), now = clock_now_ms();
    if (!s->tp.sess && s->auth_deadline < due)
        due = s->auth_deadline;
    if (due == UINT64_MAX) {
        evtimer_del(s->timer);
        return;
    }
    long ms = due > now ? (long)(due - now) : 0;
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
    evtimer_add(s->timer, &tv);
}

/* Over once every request is answered: freed at the next turn. */
static void check_ended(struct bind_session *s)
{
    if (!s->reaped && bosh_session_ended(s->bs)) {
        s->reaped = true;
        event_active(s->reap_ev, EV_TIMEOUT, 0);
    }
    arm(s);
}

static void end_session(struct bind_session *s, enum bosh_condition cond)
{
    if (s->ending)
        return;
    s->ending = true;
    s->tp.closing = true;
    bosh_session_close(s->bs, cond, NULL, clock_now_ms());
    check_ended(s);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct bind_session *s = arg;
    (void)fd, (void)what;
    uint64_t now = clock_now_ms();
    if (!s->tp.sess && now >= s->auth_deadline && !s->ending) {
        log_info(s->tp.tag, "no authenticated session after %lds", s->tp.srv->cfg.auth_timeout);
        s->tp.ops->close(&s->tp, "connection-timeout", NULL);
    }
    bosh_session_tick(s->bs, now);
    if (bosh_session_ended(s->bs) && !s->ending) { /* inactivity: the client is gone */
        s->ending = true;
        c2s_connection_lost(&s->tp);
    }
    check_ended(s);
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
    struct bind_session *s = arg;
    (void)fd, (void)what;
    bosh_session_flush(s->bs, clock_now_ms());
    check_ended(s);
}

static void bind_session_free(struct bind_session *s)
{
    struct server *srv = s->tp.srv;
    while (s->requests) { /* only when the server stops: an ended session answered all */
        if (s->requests->c)
            conn_http_hold(s->requests->c, NULL);
        request_free(s->requests);
    }
    if (s->bs)
        hmap_del(&srv->bosh_sessions, bosh_session_sid(s->bs));
    c2s_session_free(&s->tp);
    stream_free(s->tp.stream);
    if (s->bs)
        bosh_session_free(s->bs);
    event_free(s->timer);
    event_free(s->flush_ev);
    event_free(s->reap_ev);
    log_debug(s->tp.tag, "BOSH session freed");
    free(s);
}

static void on_reap(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    bind_session_free(arg);
}

/* ---- the session as a transport ---- */

static void queue_piece(void *ctx, const char *bytes, size_t n)
{
    struct bind_session *s = ctx;
    bosh_session_send(s->bs, bytes, n);
    s->out_total += n;
}

static void b_send(struct transport *t, const void *bytes, size_t n, bool bulk)
{
    struct bind_session *s = session_of(t);
    (void)bulk; /* a response gathers what the turn sent anyway */
    if (s->ending)
        return;
    transport_qualify(t->srv, bytes, n, queue_piece, s);
    if (bosh_session_queued(s->bs) > (size_t)t->srv->cfg.max_output_bytes) {
        log_warn(t->tag, "client is not fetching: %zu bytes queued, ending the session",
                 bosh_session_queued(s->bs));
        t->ops->close(t, "policy-violation", "too much output waiting");
        return;
    }
    event_active(s->flush_ev, EV_TIMEOUT, 0);
}

static uint64_t b_sent_mark(const struct transport *t, uint64_t *gate)
{
    *gate = 0;
    return ((const struct bind_session *)t)->out_total;
}

/* Bytes are out once a response carried them. */
static bool b_mark_written(const struct transport *t, uint64_t mark, uint64_t gate)
{
    const struct bind_session *s = (const struct bind_session *)t;
    (void)gate;
    return s->out_total - bosh_session_queued(s->bs) >= mark;
}

static void b_flush_stream(struct transport *t)
{
    struct buf *o = stream_output(t->stream);
    const size_t *ends;
    size_t n = stream_output_ends(t->stream, &ends), from = 0;
    for (size_t i = 0; i < n; i++) {
        const char *el = o->data + from;
        size_t len = ends[i] - from;
        if (len > 13 && memcmp(el, "<stream:error", 13) == 0)
            session_of(t)->errored = true;
        transport_qualify(t->srv, el, len, queue_piece, t);
        from = ends[i];
    }
    stream_output_clear(t->stream);
    event_active(session_of(t)->flush_ev, EV_TIMEOUT, 0);
}

/* The stream has ended (its error, if any, is queued): the session answers and goes. */
static void b_close(struct transport *t, const char *condition, const char *text)
{
    struct bind_session *s = session_of(t);
    if (s->ending)
        return;
    if (condition)
        stream_error(t->stream, condition, text);
    else
        stream_end(t->stream);
    b_flush_stream(t);
    c2s_session_detach(t);
    end_session(s, s->errored ? BOSH_REMOTE_STREAM_ERROR : BOSH_COND_NONE);
}

static void b_drop(struct transport *t, const char *why)
{
    struct bind_session *s = session_of(t);
    log_info(t->tag, "dropping the BOSH session: %s", why);
    if (s->ending)
        return;
    c2s_connection_lost(t);
    end_session(s, BOSH_REMOTE_CONNECTION_FAILED);
}

static void b_charge(struct transport *t, unsigned tokens)
{
    struct bind_session *s = session_of(t);
    if (s->current)
        conn_charge(s->current, tokens);
}

static void b_authenticated(struct transport *t)
{
    struct bind_session *s = session_of(t);
    if (s->current)
        conn_authenticated(s->current);
}

static const struct transport_ops bind_ops = {
    .send = b_send,
    .send_slices = transport_send_whole,
    .sent_mark = b_sent_mark,
    .mark_written = b_mark_written,
    .flush_stream = b_flush_stream,
    .close = b_close,
    .drop = b_drop,
    .charge = b_charge,
    .authenticated = b_authenticated,
    .starttls = NULL,
};

/* ---- feeding the stream ---- */

/* XEP-0206 §3, §5: the session's creation and each restart open a stream, as <open/> does
 * on a WebSocket. */
static void feed_open(struct bind_session *s)
{
    const struct bosh_params *p = bosh_session_params(s->bs);
    struct buf *b = server_buf_take(s->tp.srv);
    buf_puts(b, "<open xmlns='" NS_FRAMING "' to='");
    xml_escape(s->tp.srv->cfg.domain, strlen(s->tp.srv->cfg.domain), b);
    buf_puts(b, p->xmpp_1 ? "' version='1.0'" : "'");
    if (p->lang[0]) {
        buf_puts(b, " xml:lang='");
        xml_escape(p->lang, strlen(p->lang), b);
        buf_puts(b, "'");
    }
    buf_puts(b, "/>");
    stream_feed(s->tp.stream, b->data, b->len);
    server_buf_give(s->tp.srv, b);
}

static void feed_item(struct bind_session *s, const struct xel *item)
{
    struct buf *b = server_buf_take(s->tp.srv);
    xel_write(item, NULL, b);
    stream_feed(s->tp.stream, b->data, b->len);
    server_buf_give(s->tp.srv, b);
}

static void on_process(void *ctx, void *request, unsigned flags)
{
    struct bind_session *s = ctx;
    struct bind_request *rq = request;
    s->current = rq->c;
    if (flags & BOSH_REQ_RESTART)
        feed_open(s);
    for (size_t i = 0; i < rq->n_items && stream_state(s->tp.stream) != STREAM_CLOSED; i++)
        feed_item(s, rq->items[i]);
    b_flush_stream(&s->tp);
    if ((flags & BOSH_REQ_TERMINATE) || stream_state(s->tp.stream) == STREAM_CLOSED)
        b_close(&s->tp, NULL, NULL);
    s->current = NULL;
}

static const struct bosh_hooks hooks = { on_process, on_answer };

/* ---- requests ---- */

/* rq goes to s, which answers it (or is told it is gone). */
static void hand_over(struct bind_session *s, struct bind_request *rq)
{
    rq->s = s;
    rq->next = s->requests;
    if (s->requests)
        s->requests->prev = rq;
    s->requests = rq;
    conn_http_hold(rq->c, rq);
}

static struct bind_request *request_new(struct conn *c, struct stanza *hold, const char *cors,
                                        bool keep_alive)
{
    struct bind_request *rq = xcalloc(1, sizeof(*rq));
    rq->c = c;
    rq->body = hold;
    rq->keep_alive = keep_alive;
    snprintf(rq->cors, sizeof(rq->cors), "%s", cors);
    struct xel *body = xel_first_elem(hold->root);
    for (struct xel *e = body->next; e; e = e->next)
        rq->n_items += e->name != NULL;
    rq->items = xcalloc(rq->n_items ? rq->n_items : 1, sizeof(*rq->items));
    size_t i = 0;
    for (struct xel *e = body->next; e; e = e->next)
        if (e->name)
            rq->items[i++] = e;
    return rq;
}

static struct bind_session *bind_session_new(struct conn *c)
{
    struct server *srv = c->tp.srv;
    struct bind_session *s = xcalloc(1, sizeof(*s));
    s->tp.ops = &bind_ops;
    s->tp.srv = srv;
    s->tp.kind = "bosh";
    snprintf(s->tp.tag, sizeof(s->tp.tag), "b%lu", ++srv->next_conn_id);
    memcpy(s->tp.peer, c->tp.peer, sizeof(s->tp.peer));
    memcpy(s->tp.peer_key, c->tp.peer_key, sizeof(s->tp.peer_key));
    s->tp.stream = stream_new(&srv->stream_cfg, &c2s_hooks, &s->tp, conn_secure(c),
                              conn_plaintext_ok(c));
    stream_set_framing(s->tp.stream, FRAMING_BOSH);
    s->timer = evtimer_new(srv->base, on_timer, s);
    s->flush_ev = event_new(srv->base, -1, 0, on_flush, s);
    s->reap_ev = event_new(srv->base, -1, 0, on_reap, s);
    s->auth_deadline = clock_now_ms() + (uint64_t)srv->cfg.auth_timeout * 1000u;
    return s;
}

/* XEP-0124 §7: a request without sid creates a session; its answer carries the features. */
static int create(struct conn *c, struct bind_request *rq, const struct xel *body)
{
    struct server *srv = c->tp.srv;
    struct bosh_params p;
    enum bosh_condition cond = bosh_negotiate(srv->bosh_limits, body, &p);
    if (cond != BOSH_COND_NONE) {
        bool keep = rq->keep_alive;
        char cors[sizeof(rq->cors)];
        memcpy(cors, rq->cors, sizeof(cors));
        request_free(rq);
        return answer_terminal(c, cond, cors, keep);
    }
    struct bind_session *s = bind_session_new(c);
    uint64_t now = clock_now_ms();
    s->bs = bosh_session_new(srv->bosh_limits, &p, &hooks, s, rq, now);
    if (!s->bs) { /* no randomness for a sid */
        bind_session_free(s);
        request_free(rq);
        return answer_terminal(c, BOSH_INTERNAL_SERVER_ERROR, "", false);
    }
    hand_over(s, rq);
    hmap_put(&srv->bosh_sessions, bosh_session_sid(s->bs), s);
    log_debug(s->tp.tag, "BOSH session from %s over %s", s->tp.peer, c->tp.tag);
    s->current = c;
    feed_open(s);
    b_flush_stream(&s->tp);
    s->current = NULL;
    bosh_session_set_authid(s->bs, stream_id(s->tp.stream));
    bosh_session_flush(s->bs, now);
    check_ended(s);
    return PL_OK;
}

int http_bind_serve(struct conn *c, const char *data, size_t n, const char *cors,
                    bool keep_alive)
{
    struct server *srv = c->tp.srv;
    struct stanza *hold = read_body(srv, data, n);
    if (!hold)
        return answer_terminal(c, BOSH_BAD_REQUEST, cors, keep_alive);
    struct bind_request *rq = request_new(c, hold, cors, keep_alive);
    const struct xel *body = xel_first_elem(hold->root);
    const char *sid = xel_attr(body, "sid");
    if (!sid)
        return create(c, rq, body);
    struct bind_session *s = hmap_get(&srv->bosh_sessions, sid);
    if (!s || s->reaped) {
        request_free(rq);
        return answer_terminal(c, BOSH_ITEM_NOT_FOUND, cors, keep_alive);
    }
    hand_over(s, rq);
    bosh_session_request(s->bs, body, rq->n_items == 0, rq, clock_now_ms());
    check_ended(s);
    return PL_OK;
}

void http_bind_forget(void *request)
{
    struct bind_request *rq = request;
    struct bind_session *s = rq->s;
    bosh_session_forget(s->bs, rq, clock_now_ms());
    request_free(rq);
    check_ended(s);
}

void http_bind_init(struct server *srv)
{
    hmap_init(&srv->bosh_sessions);
    srv->bosh_limits = xcalloc(1, sizeof(*srv->bosh_limits));
    *srv->bosh_limits = (struct bosh_limits){
        .domain = srv->cfg.domain,
        .max_wait = (unsigned)srv->cfg.bosh_max_wait,
        .max_hold = (unsigned)srv->cfg.bosh_max_hold,
        .inactivity = (unsigned)srv->cfg.bosh_inactivity,
        .maxpause = (unsigned)srv->cfg.bosh_max_pause,
        .polling = (unsigned)srv->cfg.bosh_polling,
        .max_body_bytes = (size_t)srv->cfg.http_max_body_bytes,
    };
}

static void collect(void *ctx, const char *key, void *value)
{
    struct bind_session ***out = ctx;
    (void)key;
    *(*out)++ = value;
}

/* The sessions, taken out of the map's way: each call may end one. */
static size_t all_sessions(struct server *srv, struct bind_session ***out)
{
    *out = xcalloc(srv->bosh_sessions.used + 1, sizeof(**out));
    struct bind_session **end = *out;
    hmap_each(&srv->bosh_sessions, collect, &end);
    return (size_t)(end - *out);
}

void http_bind_shutdown(struct server *srv)
{
    struct bind_session **all;
    size_t n = all_sessions(srv, &all);
    for (size_t i = 0; i < n; i++)
        all[i]->tp.ops->close(&all[i]->tp, "system-shutdown", NULL);
    free(all);
}

void http_bind_fini(struct server *srv)
{
    struct bind_session **all;
    size_t n = all_sessions(srv, &all);
    for (size_t i = 0; i < n; i++)
        bind_session_free(all[i]);
    free(all);
    hmap_fini(&srv->bosh_sessions);
    free(srv->bosh_limits);
    srv->bosh_limits = NULL;
}
