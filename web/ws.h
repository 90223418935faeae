/* SPDX-License-Identifier: MIT */
/* The server end of one WebSocket (RFC 6455) carrying XMPP (RFC 7395), sans-IO over Debian's
 * libwslay: socket bytes in, whole text messages up, framed bytes out. */
#ifndef PL_WS_H
#define PL_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Close codes (RFC 6455 §7.4.1) the endpoint sends or reports. */
enum ws_close_code {
    WS_CLOSE_NORMAL = 1000,
    WS_CLOSE_GOING_AWAY = 1001,
    WS_CLOSE_PROTOCOL_ERROR = 1002,
    WS_CLOSE_UNSUPPORTED_DATA = 1003, /* a binary message: RFC 7395 uses text only */
    WS_CLOSE_NO_STATUS = 1005,        /* reported when the peer's close frame had no code */
    WS_CLOSE_INVALID_PAYLOAD = 1007,  /* a text message that is not UTF-8 */
    WS_CLOSE_TOO_BIG = 1009,
    WS_CLOSE_INTERNAL_ERROR = 1011,
};

/* Events go up through these, called from inside ws_feed. A callback may call ws_send_text
 * and ws_close, never ws_free. */
struct ws_events {
    /* One complete text message from the peer, valid UTF-8 (borrowed for the call). */
    void (*text)(void *ctx, const char *data, size_t n);
    /* The WebSocket is over: the peer's close frame came (code is its code, or 1005 when it
     * had none), or ours went after a protocol error (code is ours). Called once. */
    void (*closed)(void *ctx, uint16_t code);
};

struct ws;

/* Returns an owned endpoint, just after a 101 answer; messages above max_message_bytes close
 * it with 1009. The events are copied. */
struct ws *ws_new(size_t max_message_bytes, const struct ws_events *ev, void *ctx);
void ws_free(struct ws *w);
/* Feeds bytes read from the socket; *used says how many were taken: all, unless the
 * WebSocket closed (bytes after the peer's close frame are dropped either way). Returns
 * PL_OK, or PL_ECLOSED once closed: flush the output, then close the socket. */
int ws_feed(struct ws *w, const void *data, size_t n, size_t *used);
/* Queues one text message (one XMPP element), framed at once (data is not kept). PL_OK, or
 * PL_ECLOSED once a close frame was queued or the WebSocket is over. */
int ws_send_text(struct ws *w, const void *data, size_t n);
/* Queues a close frame with code and a short UTF-8 reason (cut at 123 bytes); nothing is
 * sent after it. The WebSocket is over when the peer's close frame answers. */
void ws_close(struct ws *w, uint16_t code, const char *reason);
/* Appends the framed bytes queued so far to out. */
void ws_output(struct ws *w, struct buf *out);
/* Is the WebSocket over (closing handshake done or failed)? */
bool ws_closed(const struct ws *w);
/* Frees wslay's framing state while idle (no part of a frame or message in, no close of ours
 * awaiting its answer), like the XML parser's idle release, and the buffers that are empty;
 * the next call recreates them. Not from an event. Returns true when it released the framing
 * state. */
bool ws_trim(struct ws *w);

#endif
