/* SPDX-License-Identifier: MIT */
/* The server's answer to a WebSocket upgrade request for XMPP (RFC 6455 §4.2, RFC 7395 §3). */
#ifndef PL_WS_HANDSHAKE_H
#define PL_WS_HANDSHAKE_H

#include "buf.h"
#include "http_req.h"

struct ws_policy {
    const char *origins; /* allowed Origin values, space-separated; "*": any;
                          * NULL or "": only requests without Origin */
};

/*
 * Checks a whole upgrade request (http_req_feed gave HTTP_REQ_DONE): GET, HTTP/1.1, a Host,
 * Upgrade: websocket, Connection listing upgrade, Sec-WebSocket-Version 13, a
 * Sec-WebSocket-Key of 16 bytes in base64, "xmpp" among the offered subprotocols (RFC 7395
 * §3.1: refused without it) and the Origin, when there is one, allowed by p (clients outside
 * browsers send none). Returns 101 with the whole 101 response appended to out, or the error
 * status (400; 403 for a refused origin; 426 for another WebSocket version; 500 when OpenSSL
 * offers no SHA-1) with *why set to a short static English reason and nothing appended.
 */
int ws_handshake(const struct http_req *r, const struct ws_policy *p, struct buf *out,
                 const char **why);

/* Appends the header lines the error answer for status needs besides the caller's own:
 * for 426, "Sec-WebSocket-Version: 13" (RFC 6455 §4.4) and "Upgrade: websocket" (RFC 9110
 * §15.5.22); nothing for the other statuses. */
void ws_handshake_error_headers(int status, struct buf *out);

#endif
