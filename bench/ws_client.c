/* SPDX-License-Identifier: MIT */
/* One WebSocket's client end over wslay's event API: the upgrade first, then frames fed from
 * memory and framed through the output callback.
 *
 * wslay's client context refuses masked server frames, reserved bits and opcodes, misordered
 * fragments and invalid UTF-8 in text, answers pings and close frames, and masks what we send
 * with keys from the genmask callback (OpenSSL's RAND_bytes, as RFC 6455 §5.3 asks for an
 * unpredictable key per frame). Left to us: binary messages (RFC 7395 speaks text) and the
 * size of a whole fragmented message, as wslay does not buffer here.
 *
 * Output is framed as soon as it is queued, from inside wslay_event_recv's callbacks too, so
 * wslay never holds output between our calls. Messages are reassembled in one buffer of ours
 * (wslay would take several mallocs per message) and ours are framed straight from the
 * caller's bytes (wslay's copy of a queued message would be one malloc more). */
#include "ws_client.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wslay/wslay.h>

#include "base.h"
#include "ws_upgrade.h"

struct ws_client {
    struct ws_upgrade up;
    wslay_event_context_ptr ctx; /* from the 101 on */
    uint64_t max_message;
    struct ws_client_events ev;
    void *ev_ctx;
    struct buf msg;        /* the text message under way */
    uint64_t msg_declared; /* its frames' announced lengths, bounded before they come */
    const uint8_t *in;     /* the bytes of the feed under way */
    size_t in_len, in_pos;
    bool data_frame; /* the frame being read is a data frame (text or continuation) */
    bool closing;    /* our close frame went: nothing more to send */
    bool closed;
    uint16_t refused; /* the code of a close of ours for a rule wslay leaves to us */
};

/* wslay allocates with malloc: failing, it goes the way of xmalloc. */
static void check_mem(int rc)
{
    if (rc == WSLAY_ERR_NOMEM) {
        fputs("parley-bench: out of memory\n", stderr);
        abort();
    }
}

static ssize_t recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                       void *user)
{
    struct ws_client *w = user;
    (void)flags;
    size_t n = w->in_len - w->in_pos;
    if (n == 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK); /* ends wslay_event_recv, no error */
        return -1;
    }
    if (n > len)
        n = len;
    memcpy(buf, w->in + w->in_pos, n);
    w->in_pos += n;
    return (ssize_t)n;
}

static ssize_t send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                       void *user)
{
    struct ws_client *w = user;
    (void)ctx, (void)flags;
    w->ev.output(w->ev_ctx, data, len);
    return (ssize_t)len;
}

static int genmask_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, void *user)
{
    (void)ctx, (void)user;
    return RAND_bytes(buf, (int)len) == 1 ? 0 : -1;
}

/* Everything queued is framed at once, so wslay never holds output between our calls. */
static void flush(struct ws_client *w)
{
    check_mem(wslay_event_send(w->ctx));
}

/* Fails the WebSocket on a rule of ours: our close frame, and nothing more is read. */
static void refuse(struct ws_client *w, uint16_t code)
{
    if (w->refused)
        return;
    w->refused = code;
    check_mem(wslay_event_queue_close(w->ctx, code, NULL, 0));
    wslay_event_shutdown_read(w->ctx);
}

static void on_frame_start(wslay_event_context_ptr ctx,
                           const struct wslay_event_on_frame_recv_start_arg *arg, void *user)
{
    struct ws_client *w = user;
    (void)ctx;
    w->data_frame = !wslay_is_ctrl_frame(arg->opcode);
    if (!w->data_frame)
        return;
    if (arg->opcode == WSLAY_BINARY_FRAME)
        refuse(w, WS_CLIENT_UNSUPPORTED_DATA);
    else if (arg->payload_length > w->max_message - w->msg_declared)
        refuse(w, WS_CLIENT_TOO_BIG); /* before its bytes come, not once they are buffered */
    else
        w->msg_declared += arg->payload_length;
}

/* wslay has checked these bytes' UTF-8 before handing them over. */
static void on_frame_chunk(wslay_event_context_ptr ctx,
                           const struct wslay_event_on_frame_recv_chunk_arg *arg, void *user)
{
    struct ws_client *w = user;
    (void)ctx;
    if (w->data_frame && !w->refused)
        buf_append(&w->msg, arg->data, arg->data_length);
}

/* A pong goes out here, before a later frame of the same read can go wrong. */
static void on_message(wslay_event_context_ptr ctx,
                       const struct wslay_event_on_msg_recv_arg *arg, void *user)
{
    struct ws_client *w = user;
    (void)ctx;
    if (arg->opcode == WSLAY_TEXT_FRAME && !w->refused && !w->closed)
        w->ev.text(w->ev_ctx, w->msg.data ? w->msg.data : "", w->msg.len);
    if (!wslay_is_ctrl_frame(arg->opcode)) {
        buf_reset(&w->msg);
        w->msg_declared = 0;
    }
    flush(w);
}

static const struct wslay_event_callbacks callbacks = {
    .recv_callback = recv_cb,
    .send_callback = send_cb,
    .genmask_callback = genmask_cb,
    .on_frame_recv_start_callback = on_frame_start,
    .on_frame_recv_chunk_callback = on_frame_chunk,
    .on_msg_recv_callback = on_message,
};

struct ws_client *ws_client_new(const char *host, const char *path, size_t max_message_bytes,
                                const struct ws_client_events *ev, void *ctx)
{
    struct ws_client *w = xcalloc(1, sizeof(*w));
    if (ws_upgrade_init(&w->up) != PL_OK) {
        free(w);
        return NULL;
    }
    w->max_message = max_message_bytes;
    w->ev = *ev;
    w->ev_ctx = ctx;
    buf_init(&w->msg);
    struct buf req;
    buf_init(&req);
    ws_upgrade_request(&w->up, host, path, &req);
    w->ev.output(w->ev_ctx, req.data, req.len);
    buf_fini(&req);
    return w;
}

void ws_client_free(struct ws_client *w)
{
    if (!w)
        return;
    if (w->ctx)
        wslay_event_context_free(w->ctx);
    buf_fini(&w->msg);
    free(w);
}

/* The end, told once. */
static void finish(struct ws_client *w, uint16_t code, const char *why)
{
    if (w->closed)
        return;
    w->closed = true;
    w->ev.closed(w->ev_ctx, code, why);
}

/* Reading stopped: the server's close came, or we sent ours after an error in its frames. */
static void finish_framing(struct ws_client *w)
{
    if (wslay_event_get_close_received(w->ctx) && !w->refused) {
        uint16_t code = wslay_event_get_status_code_received(w->ctx);
        finish(w, code ? code : WS_CLIENT_NO_STATUS, "the server closed the WebSocket");
        return;
    }
    uint16_t code = w->refused ? w->refused : wslay_event_get_status_code_sent(w->ctx);
    finish(w, code, code == WS_CLIENT_UNSUPPORTED_DATA ? "the server sent a binary message"
                    : code == WS_CLIENT_TOO_BIG      ? "the server's message is too big"
                                                     : "the server's frames break RFC 6455");
}

static int read_frames(struct ws_client *w, const void *data, size_t n, size_t *used)
{
    w->in = data;
    w->in_len = n;
    w->in_pos = 0;
    int rc = wslay_event_recv(w->ctx);
    *used = w->in_pos;
    w->in = NULL;
    w->in_len = w->in_pos = 0;
    check_mem(rc);
    if (rc != 0) { /* a malformed frame header stops wslay's reader without a close code */
        finish(w, WS_CLIENT_PROTOCOL_ERROR, "the server's frames break RFC 6455");
        return PL_ECLOSED;
    }
    flush(w);
    if (!wslay_event_get_read_enabled(w->ctx))
        finish_framing(w);
    return w->closed ? PL_ECLOSED : PL_OK;
}

/* The 101 is in: frames from here on. Our buffering is the message buffer, not wslay's. */
static void open_framing(struct ws_client *w)
{
    check_mem(wslay_event_context_client_init(&w->ctx, &callbacks, w));
    wslay_event_config_set_no_buffering(w->ctx, 1);
    wslay_event_config_set_max_recv_msg_length(w->ctx, w->max_message);
    w->ev.opened(w->ev_ctx);
}

int ws_client_feed(struct ws_client *w, const void *data, size_t n, size_t *used)
{
    *used = 0;
    if (w->closed)
        return PL_ECLOSED;
    size_t head = 0;
    if (!w->ctx) {
        enum ws_upgrade_state st = ws_upgrade_feed(&w->up, data, n, &head);
        *used = head;
        if (st == WS_UPGRADE_FAILED)
            finish(w, 0, w->up.why);
        if (st != WS_UPGRADE_DONE)
            return w->closed ? PL_ECLOSED : PL_OK;
        open_framing(w);
        if (w->closed)
            return PL_ECLOSED;
    }
    size_t framed = 0;
    int rc = head < n ? read_frames(w, (const uint8_t *)data + head, n - head, &framed) : PL_OK;
    *used = head + framed;
    return rc;
}

struct outgoing {
    const uint8_t *data;
    size_t len, off;
};

/* wslay copies from here into its frame buffer, a frame's worth at a time. */
static ssize_t read_outgoing(wslay_event_context_ptr ctx, uint8_t *buf, size_t len,
                             const union wslay_event_msg_source *source, int *eof, void *user)
{
    struct outgoing *o = source->data;
    (void)ctx, (void)user;
    size_t n = o->len - o->off < len ? o->len - o->off : len;
    memcpy(buf, o->data + o->off, n);
    o->off += n;
    *eof = o->off == o->len;
    return (ssize_t)n;
}

int ws_client_send_text(struct ws_client *w, const void *data, size_t n)
{
    if (w->closed || w->closing)
        return PL_ECLOSED;
    if (!w->ctx)
        return PL_EINVAL;
    struct outgoing o = { .data = data, .len = n };
    struct wslay_event_fragmented_msg msg = {
        .opcode = WSLAY_TEXT_FRAME, .source.data = &o, .read_callback = read_outgoing,
    };
    int rc = wslay_event_queue_fragmented_msg(w->ctx, &msg);
    if (rc == WSLAY_ERR_NO_MORE_MSG) /* wslay queued a close during this feed */
        return PL_ECLOSED;
    check_mem(rc);
    flush(w); /* o lives on this stack frame */
    return PL_OK;
}

void ws_client_close(struct ws_client *w, uint16_t code)
{
    if (w->closed || w->closing || !w->ctx)
        return;
    check_mem(wslay_event_queue_close(w->ctx, code, NULL, 0));
    w->closing = true;
    flush(w);
}

bool ws_client_is_open(const struct ws_client *w)
{
    return w->ctx && !w->closed;
}
