/* SPDX-License-Identifier: MIT */
/* A connection as its session's transport: the tables the core writes through, for XMPP over
 * TCP (and TLS) and over a WebSocket. */
#include "conn_int.h"

#include "server.h"
#include "sources.h"

static void tcp_send(struct transport *t, const void *bytes, size_t n, bool bulk)
{
    conn_send_bytes(conn_of(t), bytes, n, bulk);
}

static int tcp_send_slices(struct transport *t,
                           bool (*next)(void *arg, struct buf *out, size_t budget),
                           void (*release)(void *arg), void *arg)
{
    return conn_send_slices(conn_of(t), next, release, arg);
}

static uint64_t sent_mark(const struct transport *t, uint64_t *gate)
{
    const struct conn *c = conn_of_const(t);
    *gate = c->slices ? c->replies_done + c->n_slices : 0;
    return c->out_total + c->held;
}

static bool mark_written(const struct transport *t, uint64_t mark, uint64_t gate)
{
    const struct conn *c = conn_of_const(t);
    if (gate && c->replies_done < gate)
        return false;
    if (gate && mark < c->last_reply_end) /* the held bytes went out after the replies' rest */
        mark = c->last_reply_end;
    return c->out_total - conn_queued(c) >= mark;
}

/* The stream's output as it is: a TCP stream has no frames to keep. */
static void tcp_flush_stream(struct transport *t)
{
    struct buf *o = stream_output(t->stream);
    if (o->len) {
        conn_send_bytes(conn_of(t), o->data, o->len, false);
        stream_output_clear(t->stream);
    }
}

static void close_stream(struct transport *t, const char *condition, const char *text)
{
    conn_close(conn_of(t), condition, text);
}

static void drop(struct transport *t, const char *why) { conn_drop(conn_of(t), why); }

static void charge(struct transport *t, unsigned tokens)
{
    conn_charge(conn_of(t), tokens);
}

static void authenticated(struct transport *t) { conn_authenticated(conn_of(t)); }

static void tcp_starttls(struct transport *t) { conn_of(t)->tls_pending = true; }

/* A WebSocket's connection keeps the byte counts, the close and the limits; what it sends
 * is framed. */
const struct transport_ops conn_ws_transport_ops = {
    .send = conn_ws_send,
    .send_slices = transport_send_whole,
    .sent_mark = sent_mark,
    .mark_written = mark_written,
    .flush_stream = conn_ws_flush_stream,
    .close = close_stream,
    .drop = drop,
    .charge = charge,
    .authenticated = authenticated,
    .starttls = NULL,
};

const struct transport_ops conn_transport_ops = {
    .send = tcp_send,
    .send_slices = tcp_send_slices,
    .sent_mark = sent_mark,
    .mark_written = mark_written,
    .flush_stream = tcp_flush_stream,
    .close = close_stream,
    .drop = drop,
    .charge = charge,
    .authenticated = authenticated,
    .starttls = tcp_starttls,
};

void conn_authenticated(struct conn *c)
{
    if (c->unauthenticated)
        sources_authenticated(&c->tp.srv->sources, c->tp.peer_key);
    c->unauthenticated = false;
}

void conn_charge(struct conn *c, unsigned tokens) { c->tokens -= (double)tokens; }
