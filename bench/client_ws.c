/* SPDX-License-Identifier: MIT */
/* XMPP over WebSocket (RFC 7395) for the client engine: the ws_client under each session, its
 * messages read by the same parser and protocol code as a TCP stream. */
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "base.h"
#include "engine.h"
#include "ns.h"
#include "ws_client.h"

/*
 * Fed to the parser at every (re)start of the stream and never closed: the server's messages
 * become its children, so one parser reads them all with the namespaces a TCP stream header
 * declares, and the code that reads a TCP stream's stanzas reads these. <open/> and <close/>
 * arrive as elements of the framing namespace (client_xmpp.c).
 */
static const char wrapper[] = "<stream:stream xmlns='" NS_CLIENT "' xmlns:stream='" NS_STREAM
                              "'>";

static void wrap(struct client *c)
{
    size_t used;
    enum parser_error err;
    parser_feed(c->parser, wrapper, sizeof(wrapper) - 1, &used, &err);
}

/* After SASL success: a new stream over the same WebSocket, opened with <open/> again. */
static void restart(struct client *c)
{
    c->want_restart = false;
    parser_reset(c->parser);
    wrap(c);
    client_send_header(c);
}

static void on_output(void *ctx, const void *data, size_t n)
{
    struct client *c = ctx;
    evbuffer_add(bufferevent_get_output(c->bev), data, n);
}

/* RFC 6455 §4.1: nothing but the handshake goes out before the server's answer. */
static void on_opened(void *ctx)
{
    client_send_header(ctx);
}

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* One message holds whole elements (RFC 7395 §3.3.3); one that stops inside an element
 * cannot be completed by the next. Whitespace after the last one means nothing, and expat
 * would hold a final CR back as if the message were cut short. */
static void on_text(void *ctx, const char *data, size_t n)
{
    struct client *c = ctx;
    while (n > 0 && is_space(data[n - 1]))
        n--;
    while (n > 0 && !c->want_close) {
        size_t used = 0;
        enum parser_error perr;
        int rc = parser_feed(c->parser, data, n, &used, &perr);
        if (rc == PL_EINVAL) {
            client_close(c, true, "the server sent malformed XML");
            return;
        }
        if (rc != PL_ECLOSED || !c->want_restart)
            break;
        restart(c);
        data += used;
        n -= used;
    }
    if (!c->want_close && !parser_between_elements(c->parser))
        client_close(c, true, "a WebSocket message of the server's holds a partial element");
}

/* After our <close/> and the server's (client_ws_close), its close frame is the clean end. */
static void on_closed(void *ctx, uint16_t code, const char *why)
{
    struct client *c = ctx;
    char text[160];
    if (code)
        snprintf(text, sizeof(text), "%s (code %u)", why, code);
    else
        snprintf(text, sizeof(text), "WebSocket upgrade refused: %s", why);
    client_close(c, !c->ending, text);
}

static const struct ws_client_events ws_events = {
    .output = on_output, .opened = on_opened, .text = on_text, .closed = on_closed,
};

int client_ws_start(struct client *c)
{
    struct engine *e = c->eng;
    c->ws = ws_client_new(e->ws_host, e->o->ws_path, e->limits.max_stanza_bytes, &ws_events, c);
    if (!c->ws)
        return PL_EIO;
    wrap(c);
    return PL_OK;
}

void client_ws_feed(struct client *c, struct evbuffer *in)
{
    while (!c->want_close && c->ws && evbuffer_get_length(in) > 0) {
        struct evbuffer_iovec v;
        if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
            break;
        size_t used = 0;
        int rc = ws_client_feed(c->ws, v.iov_base, v.iov_len, &used);
        evbuffer_drain(in, used);
        if (rc != PL_OK)
            break;
    }
}

void client_ws_send(struct client *c, const void *data, size_t n)
{
    if (c->ws)
        ws_client_send_text(c->ws, data, n); /* before the 101 or after a close: dropped */
}

bool client_ws_is_open(const struct client *c)
{
    return c->ws && ws_client_is_open(c->ws);
}

bool client_ws_close(struct client *c)
{
    if (!client_ws_is_open(c))
        return false;
    ws_client_close(c->ws, WS_CLIENT_NORMAL);
    return true;
}

void client_ws_free(struct client *c)
{
    ws_client_free(c->ws);
    c->ws = NULL;
}
