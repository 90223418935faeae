/* SPDX-License-Identifier: MIT */
/* Framed streams (RFC 7395 WebSocket, XEP-0206 BOSH): <open/> and <close/>, whole elements in
 * and out, the end of each element written. */
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "ns.h"
#include "stream_int.h"

/*
 * Opened in the parser at every framed (re)start and never closed: the messages become its
 * children, so one expat parser reads them all with the namespaces a TCP header declares (an
 * unqualified <message/> is jabber:client, as Prosody and ejabberd take it), and the idle
 * release replays this tag like a TCP header. Its bytes are not the peer's: they count toward
 * no limit.
 */
static const char wrapper[] = "<stream:stream xmlns='" NS_CLIENT "' xmlns:stream='" NS_STREAM "'>";

static void on_wrapper(void *ctx, const struct xel *header, const char *default_ns)
{
    (void)ctx, (void)header, (void)default_ns; /* ours: the stream opens with <open/> */
}

static bool is_framing(const struct xel *el, const char *name)
{
    return el->ns && strcmp(el->ns, NS_FRAMING) == 0 && strcmp(el->name, name) == 0;
}

/* RFC 7395 §3.4: <open/> is the stream header, once per (re)start. */
static void open_stream(struct stream *s, const struct xel *open)
{
    if (s->state != STREAM_WAIT_HEADER) {
        stream_error(s, "bad-format", "the stream is already open");
        parser_stop(s->parser);
        return;
    }
    stream_accept_header(s, open);
}

static void on_element(void *ctx, struct stanza *st)
{
    struct stream *s = ctx;
    if (is_framing(st->root, "close")) {
        stanza_unref(st);
        stream_on_close(s);
    } else if (is_framing(st->root, "open")) {
        open_stream(s, st->root);
        stanza_unref(st);
    } else if (s->state == STREAM_WAIT_HEADER) {
        /* As on TCP, where a first element other than <stream:stream> gets the same. */
        stanza_unref(st);
        stream_error(s, "invalid-namespace", "the stream starts with <open/>");
        parser_stop(s->parser);
    } else {
        stream_on_stanza(s, st);
    }
}

/* A peer that sends the wrapper's own end tag, </stream:stream>, is answered as for <close/>. */
static const struct parser_events framed_events = { on_wrapper, on_element, stream_on_close };

void stream_set_framing(struct stream *s, enum stream_framing f)
{
    s->framing = f;
    if (f == FRAMING_NONE)
        return;
    parser_set_events(s->parser, &framed_events);
    framing_start(s);
}

void framing_start(struct stream *s)
{
    size_t used;
    enum parser_error err;
    parser_feed(s->parser, wrapper, sizeof(wrapper) - 1, &used, &err);
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* One stream_feed is one message of whole elements (RFC 7395 §3.3.3, XEP-0206's body
 * children): one that stops inside an element cannot be completed by the next. */
void framing_feed(struct stream *s, const char *msg, size_t len)
{
    /* Whitespace after the last element means nothing, and expat would hold a final CR back
     * (an LF may follow it) as if the message were cut short. */
    while (len > 0 && is_space(msg[len - 1]))
        len--;
    stream_parse(s, msg, len);
    if (s->state != STREAM_CLOSED && !parser_between_elements(s->parser))
        stream_error(s, "not-well-formed", "a message must hold whole elements");
}

/* The array only grows (doubling) until the owner clears the output, so a warm stream
 * records ends without allocating; stream_trim frees it when idle. */
void framing_element_end(struct stream *s)
{
    size_t end = s->out.len;
    if (end == (s->n_ends ? s->ends[s->n_ends - 1] : 0))
        return; /* nothing written: no empty message */
    if (s->n_ends == s->cap_ends) {
        s->cap_ends = s->cap_ends ? 2 * s->cap_ends : 8;
        s->ends = xrealloc(s->ends, s->cap_ends * sizeof(*s->ends));
    }
    s->ends[s->n_ends++] = end;
}

size_t stream_output_ends(const struct stream *s, const size_t **ends)
{
    *ends = s->ends;
    return s->n_ends;
}

void stream_output_clear(struct stream *s)
{
    buf_reset(&s->out);
    s->n_ends = 0;
}

void stream_write_end(struct stream *s)
{
    if (s->framing == FRAMING_NONE) {
        buf_puts(&s->out, "</stream:stream>");
    } else if (s->framing == FRAMING_WEBSOCKET) {
        buf_puts(&s->out, "<close xmlns='" NS_FRAMING "'/>");
        framing_element_end(s);
    }
}

/* The host of a URI (RFC 3986 §3.2.2), an IPv6 literal keeping its brackets: what
 * see-other-host may name (RFC 6120 §4.9.3.19). Returns its length; *host points into uri. */
static size_t uri_host(const char *uri, const char **host)
{
    const char *p = strstr(uri, "://");
    p = p ? p + 3 : uri;
    size_t n = strcspn(p, "/?#");
    const char *at = memrchr(p, '@', n); /* user information */
    if (at) {
        n -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    const char *end = *p == '[' ? memchr(p, ']', n) : NULL;
    if (end)
        n = (size_t)(end + 1 - p);
    else if ((end = memchr(p, ':', n)))
        n = (size_t)(end - p); /* the port is the URI scheme's, not c2s's */
    *host = p;
    return n;
}

void stream_redirect(struct stream *s, const char *uri)
{
    if (s->state == STREAM_CLOSED)
        return;
    if (s->framing == FRAMING_NONE) {
        const char *host;
        size_t n = uri_host(uri, &host);
        stream_error_content(s, "see-other-host", host, n, NULL);
        return;
    }
    if (s->framing == FRAMING_WEBSOCKET) {
        buf_puts(&s->out, "<close xmlns='" NS_FRAMING "' see-other-uri='");
        xml_escape(uri, strlen(uri), &s->out);
        buf_puts(&s->out, "'/>");
        framing_element_end(s);
    }
    stream_finish(s);
}
