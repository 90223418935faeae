/* SPDX-License-Identifier: MIT */
/* XMPP over a WebSocket (RFC 7395): each text message in is one element for the stream
 * engine, in its framed mode; each element out is one text message. The session's side is
 * the connection's own (marks, close, charge), with sending and framing of its own. */
#include "conn_int.h"

#include <string.h>

#include "base.h"
#include "c2s.h"
#include "log.h"
#include "ns.h"
#include "server.h"
#include "ws.h"

static void push(struct conn *c, bool bulk)
{
    struct buf *out = server_buf_take(c->tp.srv);
    ws_output(c->ws, out);
    if (out->len)
        conn_send_bytes(c, out->data, out->len, bulk);
    server_buf_give(c->tp.srv, out);
}

static void queue_message(void *ctx, const char *bytes, size_t n)
{
    ws_send_text(ctx, bytes, n);
}

static void queue_element(struct conn *c, const char *bytes, size_t n)
{
    transport_qualify(c->tp.srv, bytes, n, queue_message, c->ws);
}

/* The core sends one element per call (stream management counts them so). */
void conn_ws_send(struct transport *t, const void *bytes, size_t n, bool bulk)
{
    struct conn *c = conn_of(t);
    if (c->reaped || ws_closed(c->ws))
        return;
    queue_element(c, bytes, n);
    push(c, bulk);
}

/* The stream engine marks where each element it wrote ends. */
void conn_ws_flush_stream(struct transport *t)
{
    struct conn *c = conn_of(t);
    struct buf *o = stream_output(t->stream);
    const size_t *ends;
    size_t n = stream_output_ends(t->stream, &ends), from = 0;
    for (size_t i = 0; i < n && !ws_closed(c->ws); i++) {
        queue_element(c, o->data + from, ends[i] - from);
        from = ends[i];
    }
    stream_output_clear(t->stream);
    push(c, false);
}

static void on_text(void *ctx, const char *data, size_t n)
{
    struct conn *c = ctx;
    if (c->tp.closing || stream_state(c->tp.stream) == STREAM_CLOSED)
        return;
    const char *redirect = c->tp.srv->cfg.websocket_redirect;
    if (redirect[0])
        stream_redirect(c->tp.stream, redirect); /* whatever it opened with */
    else
        stream_feed(c->tp.stream, data, n);
    conn_ws_flush_stream(&c->tp);
}

/* The peer's close frame (or ours after its protocol error): the stream ends with it. */
static void on_closed(void *ctx, uint16_t code)
{
    struct conn *c = ctx;
    log_debug(c->tp.tag, "WebSocket closed (%u)", code);
}

static const struct ws_events events = { on_text, on_closed };

void conn_ws_start(struct conn *c)
{
    struct server *srv = c->tp.srv;
    c->ws = ws_new((size_t)srv->cfg.max_stanza_bytes, &events, c);
    c->tp.ops = &conn_ws_transport_ops;
    c->tp.kind = "websocket";
    c->tp.stream = stream_new(&srv->stream_cfg, &c2s_hooks, &c->tp, c->direct_tls,
                              conn_plaintext_ok(c));
    stream_set_framing(c->tp.stream, FRAMING_WEBSOCKET);
    conn_auth_start(c);
    log_debug(c->tp.tag, "WebSocket from %s", c->tp.peer);
}

int conn_ws_read(struct conn *c, const char *data, size_t n, size_t *used)
{
    int rc = ws_feed(c->ws, data, n, used);
    push(c, false); /* pongs, and the answer to a close */
    return rc == PL_ECLOSED || stream_state(c->tp.stream) == STREAM_CLOSED ? PL_ECLOSED : PL_OK;
}

void conn_ws_closing(struct conn *c)
{
    if (!ws_closed(c->ws))
        ws_close(c->ws, 1000, "");
    push(c, false);
}

bool conn_ws_trim(struct conn *c) { return ws_trim(c->ws); }

void conn_ws_free(struct conn *c)
{
    ws_free(c->ws);
    c->ws = NULL;
}
