/* SPDX-License-Identifier: MIT */
/* The client's side of the WebSocket opening handshake for XMPP (RFC 6455 §4.1, RFC 7395 §3.1):
 * the upgrade request, and the server's 101 read with libhttp-parser and checked. */
#ifndef PB_WS_UPGRADE_H
#define PB_WS_UPGRADE_H

#include <http_parser.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define WS_UPGRADE_KEY_LEN 24    /* 16 random bytes in base64 */
#define WS_UPGRADE_ACCEPT_LEN 28 /* a SHA-1 in base64 */
#define WS_UPGRADE_VALUE_MAX 64  /* longer values of the headers we check are refused */

enum ws_upgrade_state {
    WS_UPGRADE_MORE,   /* every byte taken, the answer's head is not whole yet */
    WS_UPGRADE_DONE,   /* a good 101; the bytes after its head are the server's first frames */
    WS_UPGRADE_FAILED, /* not a WebSocket for XMPP: why says what was wrong */
};

/* The checks of the answer's headers, as bits of ws_upgrade.seen. */
enum ws_upgrade_check {
    WS_SEEN_UPGRADE = 1,    /* Upgrade: websocket */
    WS_SEEN_CONNECTION = 2, /* Connection lists upgrade */
    WS_SEEN_ACCEPT = 4,     /* Sec-WebSocket-Accept proves our key */
    WS_SEEN_PROTOCOL = 8,   /* Sec-WebSocket-Protocol: xmpp */
    WS_SEEN_ALL = 15,
};

/* One handshake, in the caller's storage; nothing to free. */
struct ws_upgrade {
    http_parser parser;
    char key[WS_UPGRADE_KEY_LEN + 1];       /* Sec-WebSocket-Key we send */
    char accept[WS_UPGRADE_ACCEPT_LEN + 1]; /* the Sec-WebSocket-Accept that proves it */
    char name[32];                          /* the header being read; cut names match none */
    size_t name_len;
    char value[WS_UPGRADE_VALUE_MAX + 1];
    size_t value_len;
    bool in_value;  /* the pieces coming are a value's */
    bool value_cut; /* longer than WS_UPGRADE_VALUE_MAX */
    unsigned seen;  /* enum ws_upgrade_check bits */
    const char *why;
    enum ws_upgrade_state state;
};

/* Draws a new key (OpenSSL's RAND_bytes) and readies the reader. PL_OK, or PL_EIO when no
 * randomness could be drawn. */
int ws_upgrade_init(struct ws_upgrade *u);
/* The same with a given key (24 characters of base64: tests, RFC 6455's example): PL_OK,
 * PL_EINVAL for a key of another length, PL_EIO without SHA-1. */
int ws_upgrade_init_key(struct ws_upgrade *u, const char *key);
/* Appends the GET request for path (from the request line on: "/xmpp-websocket") on host
 * (the Host header: "example.org:5280") to out. */
void ws_upgrade_request(const struct ws_upgrade *u, const char *host, const char *path,
                        struct buf *out);
/* Feeds the server's bytes; *used says how many belonged to the HTTP answer (all but the
 * frames after it). Once DONE or FAILED, feeds take nothing and return the same. */
enum ws_upgrade_state ws_upgrade_feed(struct ws_upgrade *u, const char *data, size_t n,
                                      size_t *used);

#endif
