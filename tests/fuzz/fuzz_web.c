/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the web front's sans-IO parts: the first byte picks HTTP requests
 * (with the WebSocket handshake and host-meta on each whole one), a WebSocket whose messages
 * feed a framed stream, or BOSH bodies against one session; the rest comes in chunks whose
 * size the input also picks. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base.h"
#include "bosh.h"
#include "fuzz_hooks.h"
#include "host_meta.h"
#include "http_req.h"
#include "parser.h"
#include "ws.h"
#include "ws_handshake.h"

static void http_requests(const uint8_t *data, size_t size, size_t step)
{
    static const char *const put_paths[] = { "/upload/", NULL };
    static const struct http_limits lim = { 2048, 16, 4096, 8192, put_paths };
    struct http_req r;
    http_req_init(&r, &lim);
    struct buf out;
    buf_init(&out);
    for (size_t pos = 0; pos < size;) {
        size_t n = size - pos < step ? size - pos : step, used = 0;
        enum http_req_state st = http_req_feed(&r, (const char *)data + pos, n, &used);
        pos += used;
        if (st == HTTP_REQ_ERROR)
            break;
        if (st == HTTP_REQ_DONE) {
            const char *why;
            struct ws_policy p = { .origins = "https://a.example *" };
            buf_reset(&out);
            ws_handshake(&r, &p, &out, &why);
            host_meta_xrd("https://h:1", &out);
            http_req_reset(&r);
        }
    }
    buf_fini(&out);
    http_req_fini(&r);
}

static void ws_text(void *ctx, const char *data, size_t n)
{
    struct stream *s = ctx;
    stream_feed(s, data, n);
    stream_output_clear(s);
}

static void on_ws_closed(void *ctx, uint16_t code) { (void)ctx, (void)code; }

static void websocket(const uint8_t *data, size_t size, size_t step)
{
    static const struct ws_events ev = { ws_text, on_ws_closed };
    struct stream *s = stream_new(&fuzz_cfg, &fuzz_hooks, NULL, true, false);
    stream_set_framing(s, FRAMING_WEBSOCKET);
    struct ws *w = ws_new(4096, &ev, s);
    struct buf out;
    buf_init(&out);
    for (size_t pos = 0; pos < size;) {
        size_t n = size - pos < step ? size - pos : step, used = 0;
        int rc = ws_feed(w, data + pos, n, &used);
        pos += n;
        buf_reset(&out);
        ws_output(w, &out);
        ws_trim(w);
        if (rc != PL_OK)
            break;
    }
    buf_fini(&out);
    ws_free(w);
    stream_free(s);
}

static void pick_open(void *ctx, const struct xel *header, const char *default_ns)
{
    struct stanza *hold = ctx;
    (void)default_ns;
    xel_copy_into(hold, hold->root, header);
}

static void pick_item(void *ctx, struct stanza *st)
{
    (void)ctx;
    stanza_unref(st);
}

static void pick_close(void *ctx) { (void)ctx; }

/* The <body/> of one request, as the server's glue reads it, or NULL. */
static struct stanza *read_body(const uint8_t *d, size_t n)
{
    static const struct parser_events ev = { pick_open, pick_item, pick_close };
    struct stanza *hold = stanza_new("request", NULL);
    struct parser *p = parser_new(&fuzz_cfg.limits, &ev, hold);
    size_t used;
    enum parser_error err;
    parser_feed(p, (const char *)d, n, &used, &err);
    parser_free(p);
    if (xel_first_elem(hold->root))
        return hold;
    stanza_unref(hold);
    return NULL;
}

static void b_process(void *ctx, void *request, unsigned flags)
{
    bosh_session_send(ctx, "<message xmlns='jabber:client'/>", 32);
    (void)request, (void)flags;
}

static void b_answer(void *ctx, void *request, const struct buf *body)
{
    (void)ctx, (void)request, (void)body;
}

/* Bodies separated by NUL bytes: the first creates the session, the rest are its requests,
 * each a second or more after the one before. */
static void bosh(const uint8_t *data, size_t size)
{
    static const struct bosh_limits lim = { "localhost", 60, 2, 60, 120, 2, 4096 };
    static const struct bosh_hooks hooks = { b_process, b_answer };
    struct bosh_session *s = NULL;
    uint64_t now = 1000000;
    uintptr_t handle = 1;
    for (size_t pos = 0; pos < size;) {
        const uint8_t *end = memchr(data + pos, 0, size - pos);
        size_t n = end ? (size_t)(end - data) - pos : size - pos;
        struct stanza *hold = read_body(data + pos, n);
        const struct xel *body = hold ? xel_first_elem(hold->root) : NULL;
        now += 1000u * (n % 90);
        if (body && !s) {
            struct bosh_params p;
            if (bosh_negotiate(&lim, body, &p) == BOSH_COND_NONE &&
                (s = bosh_session_new(&lim, &p, &hooks, NULL, (void *)handle++, now)))
                bosh_session_flush(s, now);
        } else if (body && bosh_session_request(s, body, !body->first, (void *)handle++, now)) {
            stanza_unref(hold);
            break;
        }
        if (s)
            bosh_session_tick(s, now);
        stanza_unref(hold);
        pos += n + 1;
    }
    if (s)
        bosh_session_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t step = (size_t)(data[1] % 64) + 1;
    switch (data[0] % 3) {
    case 0: http_requests(data + 2, size - 2, step); break;
    case 1: websocket(data + 2, size - 2, step); break;
    default: bosh(data + 2, size - 2); break;
    }
    return 0;
}
