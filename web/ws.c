/* SPDX-License-Identifier: MIT */
/* A WebSocket's server end over wslay's event API, fed from memory and framing into a buffer.
 *
 * wslay 1.1.1 already refuses unmasked client frames, reserved bits and opcodes, misordered
 * fragments, bad close codes and invalid UTF-8 in text, in both buffering modes (a close
 * reason's only when its frame is read in one piece), and answers pings and close frames.
 * Left to us: binary messages (1003), a close payload of one byte (1002), the size of a whole
 * fragmented message when wslay does not buffer it, and the code of the close frame after a
 * malformed frame header (a fragmented or long control frame), which wslay sends without one.
 *
 * Output is framed as soon as it is queued, from inside wslay_event_recv's callbacks too (an
 * event may answer at once, from bytes it only lends): sending and receiving share nothing in
 * wslay but the close state, and wslay never holds output between our calls.
 *
 * Memory: an event context costs about 9.4 KiB (two 4 KiB buffers), too much to keep for
 * thousands of idle sessions, so ws_trim drops it between messages and the next call makes a
 * new one. Messages are reassembled in one buffer of ours (wslay would take several mallocs
 * per message) and our messages are framed straight from the caller's bytes (wslay's copy of
 * a queued message is one malloc more). */
#include "ws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wslay/wslay.h>

#include "base.h"

#define WS_MAX_REASON 123 /* a control frame's 125 bytes, less the code */

struct ws {
    wslay_event_context_ptr ctx; /* NULL while idle */
    uint64_t max_message;
    struct ws_events ev;
    void *ev_ctx;
    struct buf out;              /* framed, waiting for ws_output */
    struct buf msg;              /* the text message under way */
    uint64_t msg_declared;       /* its frames' announced lengths, bounded before they come */
    const uint8_t *in;           /* the bytes of the ws_feed under way */
    size_t in_len, in_pos;
    uint64_t given, framed;      /* bytes given to ctx; the size of the frames it started */
    bool in_frame, in_message, data_frame;
    bool closing;                /* our close frame went: no more to send, await the peer's */
    bool closed;
    uint16_t refused;            /* the code of a close of ours for a rule wslay leaves to us */
};

/* wslay allocates with malloc: failing, it goes the way of xmalloc. */
static void check_mem(int rc)
{
    if (rc == WSLAY_ERR_NOMEM) {
        fputs("parley: out of memory\n", stderr);
        abort();
    }
}

static ssize_t recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                       void *user)
{
    struct ws *w = user;
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
    w->given += n;
    return (ssize_t)n;
}

static ssize_t send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                       void *user)
{
    struct ws *w = user;
    (void)ctx, (void)flags;
    buf_append(&w->out, data, len);
    return (ssize_t)len;
}

/* Everything queued is framed at once, so wslay never holds output between our calls. */
static void flush(struct ws *w)
{
    check_mem(wslay_event_send(w->ctx));
}

/* Fails the WebSocket on a rule of ours: our close frame, and nothing more is read. */
static void refuse(struct ws *w, uint16_t code)
{
    if (w->refused)
        return;
    w->refused = code;
    check_mem(wslay_event_queue_close(w->ctx, code, NULL, 0));
    wslay_event_shutdown_read(w->ctx);
}

/* A client frame's size on the wire (RFC 6455 §5.2): exact, as wslay refuses lengths not in
 * their shortest form. Summed, it tells when wslay holds no part of a frame. */
static uint64_t client_frame_bytes(uint64_t payload)
{
    uint64_t head = 2 + 4; /* 4: the masking key */
    if (payload > 0xffff)
        head += 8;
    else if (payload >= 126)
        head += 2;
    return head + payload;
}

static void on_frame_start(wslay_event_context_ptr ctx,
                           const struct wslay_event_on_frame_recv_start_arg *arg, void *user)
{
    struct ws *w = user;
    (void)ctx;
    w->framed += client_frame_bytes(arg->payload_length);
    w->in_frame = true;
    w->data_frame = !wslay_is_ctrl_frame(arg->opcode);
    if (!w->data_frame) {
        if (arg->opcode == WSLAY_CONNECTION_CLOSE && arg->payload_length == 1)
            refuse(w, WS_CLOSE_PROTOCOL_ERROR); /* half a code: wslay would read none */
        return;
    }
    w->in_message = !arg->fin;
    if (arg->opcode == WSLAY_BINARY_FRAME)
        refuse(w, WS_CLOSE_UNSUPPORTED_DATA);
    else if (arg->payload_length > w->max_message - w->msg_declared)
        refuse(w, WS_CLOSE_TOO_BIG); /* before its bytes come, not once they are buffered */
    else
        w->msg_declared += arg->payload_length;
}

/* wslay has checked these bytes' UTF-8 before handing them over. */
static void on_frame_chunk(wslay_event_context_ptr ctx,
                           const struct wslay_event_on_frame_recv_chunk_arg *arg, void *user)
{
    struct ws *w = user;
    (void)ctx;
    if (w->data_frame && !w->refused)
        buf_append(&w->msg, arg->data, arg->data_length);
}

static void on_frame_end(wslay_event_context_ptr ctx, void *user)
{
    struct ws *w = user;
    (void)ctx;
    w->in_frame = false;
}

/* A pong goes out here, before a later frame of the same read can go wrong. */
static void on_message(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
                       void *user)
{
    struct ws *w = user;
    (void)ctx;
    if (arg->opcode == WSLAY_TEXT_FRAME && !w->refused)
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
    .on_frame_recv_start_callback = on_frame_start,
    .on_frame_recv_chunk_callback = on_frame_chunk,
    .on_frame_recv_end_callback = on_frame_end,
    .on_msg_recv_callback = on_message,
};

/* Makes the event context, first or again after ws_trim, which left nothing partial. */
static void revive(struct ws *w)
{
    if (w->ctx)
        return;
    check_mem(wslay_event_context_server_init(&w->ctx, &callbacks, w));
    wslay_event_config_set_no_buffering(w->ctx, 1);
    wslay_event_config_set_max_recv_msg_length(w->ctx, w->max_message);
    w->given = w->framed = 0;
}

struct ws *ws_new(size_t max_message_bytes, const struct ws_events *ev, void *ctx)
{
    struct ws *w = xcalloc(1, sizeof(*w));
    w->max_message = max_message_bytes;
    w->ev = *ev;
    w->ev_ctx = ctx;
    buf_init(&w->out);
    buf_init(&w->msg);
    return w;
}

void ws_free(struct ws *w)
{
    if (!w)
        return;
    wslay_event_context_free(w->ctx);
    buf_fini(&w->out);
    buf_fini(&w->msg);
    free(w);
}

/*
 * wslay's frame reader stopped on a malformed header (a fragmented or long control frame, a
 * length not in its shortest form) and queued a close without a code. What came before is
 * framed already, so that context goes and a fresh one says 1002. After a close of ours
 * nothing more may be sent.
 */
static void fail_framing(struct ws *w)
{
    if (w->closing)
        return;
    wslay_event_context_free(w->ctx);
    w->ctx = NULL;
    revive(w);
    refuse(w, WS_CLOSE_PROTOCOL_ERROR);
}

/* Reading stopped: the peer's close came, or we sent ours after an error. */
static void finish(struct ws *w)
{
    bool answered = wslay_event_get_close_received(w->ctx) && !w->refused;
    uint16_t code = answered ? wslay_event_get_status_code_received(w->ctx)
                             : wslay_event_get_status_code_sent(w->ctx);
    w->closed = true;
    w->ev.closed(w->ev_ctx, code);
}

int ws_feed(struct ws *w, const void *data, size_t n, size_t *used)
{
    *used = 0;
    if (w->closed)
        return PL_ECLOSED;
    if (n == 0)
        return PL_OK;
    revive(w);
    w->in = data;
    w->in_len = n;
    w->in_pos = 0;
    int rc = wslay_event_recv(w->ctx);
    *used = w->in_pos;
    w->in = NULL;
    w->in_len = w->in_pos = 0;
    if (rc == WSLAY_ERR_CALLBACK_FAILURE)
        fail_framing(w);
    check_mem(rc);
    flush(w);
    if (!wslay_event_get_read_enabled(w->ctx))
        finish(w);
    return w->closed ? PL_ECLOSED : PL_OK;
}

struct outgoing {
    const uint8_t *data;
    size_t len, off;
};

/* wslay copies from here into its frame buffer, 4 KiB per frame. */
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

int ws_send_text(struct ws *w, const void *data, size_t n)
{
    if (w->closed || w->closing)
        return PL_ECLOSED;
    revive(w);
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

void ws_close(struct ws *w, uint16_t code, const char *reason)
{
    if (w->closed || w->closing)
        return;
    revive(w);
    size_t n = reason ? strlen(reason) : 0;
    int rc = wslay_event_queue_close(w->ctx, code, (const uint8_t *)reason,
                                     n < WS_MAX_REASON ? n : WS_MAX_REASON);
    check_mem(rc);
    w->closing = true; /* ours now, or wslay's queued during this feed */
    flush(w);
}

void ws_output(struct ws *w, struct buf *out)
{
    if (w->out.len)
        buf_append(out, w->out.data, w->out.len);
    buf_reset(&w->out);
}

bool ws_closed(const struct ws *w)
{
    return w->closed;
}

bool ws_trim(struct ws *w)
{
    if (w->in) /* called from an event: the message handed up lives in msg */
        return false;
    buf_shrink(&w->out, 0);
    buf_shrink(&w->msg, 0);
    bool partial = w->in_frame || w->in_message || w->framed != w->given;
    if (!w->ctx || (!w->closed && (partial || w->closing)))
        return false;
    wslay_event_context_free(w->ctx);
    w->ctx = NULL;
    return true;
}
