/* SPDX-License-Identifier: MIT */
/* The bot's end of one WebSocket carrying XMPP (RFC 6455, RFC 7395), sans-IO: the opening
 * handshake (ws_upgrade), then frames through libwslay's client context; socket bytes in,
 * whole text messages up, masked frames out through a callback. */
#ifndef PB_WS_CLIENT_H
#define PB_WS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Close codes (RFC 6455 §7.4.1) the bot sends or reports. */
enum ws_client_code {
    WS_CLIENT_NORMAL = 1000,
    WS_CLIENT_PROTOCOL_ERROR = 1002,
    WS_CLIENT_UNSUPPORTED_DATA = 1003, /* a binary message: RFC 7395 uses text only */
    WS_CLIENT_NO_STATUS = 1005,        /* reported when the server's close had no code */
    WS_CLIENT_TOO_BIG = 1009,
};

/* Events, called from inside ws_client_feed (output: from any call that frames). A callback
 * may call ws_client_send_text and ws_client_close, never ws_client_free. */
struct ws_client_events {
    /* Framed bytes (or the upgrade request) for the socket, in order; borrowed. */
    void (*output)(void *ctx, const void *data, size_t n);
    /* The server's 101 came and checked out: messages may go out now. */
    void (*opened)(void *ctx);
    /* One whole text message from the server, valid UTF-8 (borrowed for the call). */
    void (*text)(void *ctx, const char *data, size_t n);
    /*
     * The WebSocket is over, once: the server's close frame came (code is its code, 1005
     * when it had none), or ours went after an error in its frames (code is ours), or the
     * handshake failed (code 0). why says what happened, in words.
     */
    void (*closed)(void *ctx, uint16_t code, const char *why);
};

struct ws_client;

/*
 * Returns an owned client end and writes its upgrade request for path on host (the Host
 * header, e.g. "localhost:5280") through the output event at once. Messages above
 * max_message_bytes close the WebSocket with 1009. The events are copied. NULL when no key
 * could be drawn.
 */
struct ws_client *ws_client_new(const char *host, const char *path, size_t max_message_bytes,
                                const struct ws_client_events *ev, void *ctx);
void ws_client_free(struct ws_client *w);
/* Feeds bytes read from the socket; *used says how many were taken: all, unless the
 * WebSocket ended (what follows the server's close frame is dropped). PL_OK, or PL_ECLOSED
 * once over: then close the socket. */
int ws_client_feed(struct ws_client *w, const void *data, size_t n, size_t *used);
/* Frames one text message (one XMPP element), masked; data is not kept. PL_OK; PL_EINVAL
 * before the server's 101 (nothing may go out then); PL_ECLOSED once a close was sent or the
 * WebSocket is over. */
int ws_client_send_text(struct ws_client *w, const void *data, size_t n);
/* Sends a close frame with code (once); nothing is sent after it. The WebSocket is over when
 * the server's close frame answers, or its connection ends. */
void ws_client_close(struct ws_client *w, uint16_t code);
/* True between the server's 101 and the end. */
bool ws_client_is_open(const struct ws_client *w);

#endif
