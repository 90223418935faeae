/* SPDX-License-Identifier: MIT */
/* Tests of the WebSocket opening handshake (web/ws_handshake.c): a table of upgrade requests,
 * each read by the HTTP request reader, and the status and answer each must get. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ws_handshake.h"

static const struct http_limits lim = { .max_head_bytes = 2048, .max_headers = 16,
                                        .max_body_bytes = 16 };

#define LINE "GET /xmpp-websocket HTTP/1.1\r\n"
#define HOST "Host: example.org\r\n"
#define UPGRADE "Upgrade: websocket\r\nConnection: Upgrade\r\n"
#define VERSION "Sec-WebSocket-Version: 13\r\n"
#define KEY "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" /* RFC 6455 §1.3's example */
#define XMPP "Sec-WebSocket-Protocol: xmpp\r\n"
#define END "\r\n"
#define GOOD LINE HOST UPGRADE VERSION KEY XMPP

/* RFC 6455 §1.3: the example key's proof. */
#define ANSWER "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" \
               "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" \
               "Sec-WebSocket-Protocol: xmpp\r\n\r\n"

struct want {
    const char *name;
    const char *request;
    const char *origins; /* the policy */
    int status;
};

static const struct want table[] = {
    { "good", GOOD END, NULL, 101 },
    { "blanks after the key", LINE HOST UPGRADE VERSION
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ== \t\r\n" XMPP END, NULL, 101 },
    { "connection lists more", LINE HOST "Upgrade: WebSocket\r\nConnection: keep-alive, upgrade\r\n"
      VERSION KEY XMPP END, NULL, 101 },
    { "no subprotocol", LINE HOST UPGRADE VERSION KEY END, NULL, 400 },
    { "other subprotocols only", LINE HOST UPGRADE VERSION KEY
      "Sec-WebSocket-Protocol: chat, superchat\r\n" END, NULL, 400 },
    { "xmpp as a prefix only", LINE HOST UPGRADE VERSION KEY "Sec-WebSocket-Protocol: xmpp2\r\n"
      END, NULL, 400 },
    { "xmpp among several", LINE HOST UPGRADE VERSION KEY
      "Sec-WebSocket-Protocol: chat, xmpp ,mqtt\r\n" END, NULL, 101 },
    { "version 8", LINE HOST UPGRADE "Sec-WebSocket-Version: 8\r\n" KEY XMPP END, NULL, 426 },
    { "version 130", LINE HOST UPGRADE "Sec-WebSocket-Version: 130\r\n" KEY XMPP END, NULL, 426 },
    { "no version", LINE HOST UPGRADE KEY XMPP END, NULL, 426 },
    { "no key", LINE HOST UPGRADE VERSION XMPP END, NULL, 400 },
    { "key without padding", LINE HOST UPGRADE VERSION
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ\r\n" XMPP END, NULL, 400 },
    { "key of 17 bytes", LINE HOST UPGRADE VERSION "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZSE=\r\n"
      XMPP END, NULL, 400 },
    { "key of 15 bytes", LINE HOST UPGRADE VERSION "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25j\r\n"
      XMPP END, NULL, 400 },
    { "key padding inside", LINE HOST UPGRADE VERSION
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25j=Q==\r\n" XMPP END, NULL, 400 },
    { "key not base64", LINE HOST UPGRADE VERSION "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub2*jZQ==\r\n"
      XMPP END, NULL, 400 },
    { "origin allowed", GOOD "Origin: https://b.example\r\n" END,
      "https://a.example https://b.example", 101 },
    { "origin refused", GOOD "Origin: https://evil.example\r\n" END,
      "https://a.example https://b.example", 403 },
    { "origin as a prefix", GOOD "Origin: https://a.example.evil\r\n" END, "https://a.example",
      403 },
    { "any origin", GOOD "Origin: https://anywhere.example\r\n" END, "*", 101 },
    { "origin, no policy", GOOD "Origin: https://a.example\r\n" END, NULL, 403 },
    { "origin, empty policy", GOOD "Origin: https://a.example\r\n" END, "", 403 },
    { "no origin, no policy", GOOD END, NULL, 101 },
    { "no origin, a policy", GOOD END, "https://a.example", 101 },
    { "POST", "POST /xmpp-websocket HTTP/1.1\r\n" HOST UPGRADE VERSION KEY XMPP END, NULL, 400 },
    { "HTTP/1.0", "GET /xmpp-websocket HTTP/1.0\r\n" HOST UPGRADE VERSION KEY XMPP END, NULL,
      400 },
    { "no Upgrade header", LINE HOST "Connection: Upgrade\r\n" VERSION KEY XMPP END, NULL, 400 },
    { "upgrade to another protocol", LINE HOST "Upgrade: h2c\r\nConnection: Upgrade\r\n" VERSION
      KEY XMPP END, NULL, 400 },
    { "connection without upgrade", LINE HOST "Upgrade: websocket\r\nConnection: keep-alive\r\n"
      VERSION KEY XMPP END, NULL, 400 },
    { "no Host", LINE UPGRADE VERSION KEY XMPP END, NULL, 400 },
};

static void check(const struct want *w)
{
    struct http_req r;
    struct buf out;
    size_t used;
    http_req_init(&r, &lim);
    buf_init(&out);
    if (http_req_feed(&r, w->request, strlen(w->request), &used) != HTTP_REQ_DONE)
        fail_msg("%s: the request does not parse", w->name);
    struct ws_policy policy = { .origins = w->origins };
    const char *why = NULL;
    int status = ws_handshake(&r, &policy, &out, &why);
    if (status != w->status)
        fail_msg("%s: status %d (%s), wanted %d", w->name, status, why ? why : "", w->status);
    if (status == 101) {
        assert_string_equal(out.data, ANSWER);
    } else {
        assert_non_null(why);
        assert_int_equal(out.len, 0);
    }
    buf_fini(&out);
    http_req_fini(&r);
}

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        check(&table[i]);
}

static void test_error_headers(void **state)
{
    (void)state;
    struct buf out;
    buf_init(&out);
    ws_handshake_error_headers(400, &out);
    ws_handshake_error_headers(403, &out);
    assert_int_equal(out.len, 0);
    ws_handshake_error_headers(426, &out);
    assert_string_equal(out.data, "Sec-WebSocket-Version: 13\r\nUpgrade: websocket\r\n");
    buf_fini(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_error_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
