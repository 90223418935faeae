/* SPDX-License-Identifier: MIT */
/* Tests of the HTTP request reader (web/http_req.c): a table of requests and what each must
 * give, every one fed whole, byte by byte and split in two at every offset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "http_req.h"

static const struct http_limits lim = { .max_head_bytes = 512, .max_headers = 8,
                                        .max_body_bytes = 64, .max_put_bytes = 100 };

#define HUNDRED "0123456789012345678901234567890123456789012345678901234567890123456789" \
                "012345678901234567890123456789"

struct want {
    const char *name;
    const char *bytes;
    enum http_req_state state;
    int status;          /* HTTP_REQ_ERROR */
    const char *method, *path, *host, *upgrade, *body;
    size_t left;         /* bytes after the request, not taken */
    bool keep_alive;
};

#define GET_WS "GET /xmpp-websocket?x=1 HTTP/1.1\r\nHost: example.org\r\nUpgrade: websocket\r\n" \
               "Connection: keep-alive, Upgrade\r\nSec-WebSocket-Protocol: xmpp\r\n\r\n"

#define ERR(n, b, code) { .name = n, .bytes = b, .state = HTTP_REQ_ERROR, .status = code }

static const struct want table[] = {
    { "plain get", "GET /.well-known/host-meta HTTP/1.1\r\nHost: example.org\r\n\r\n",
      HTTP_REQ_DONE, 0, "GET", "/.well-known/host-meta", "example.org", NULL, "", 0, true },
    { "websocket upgrade, frame bytes after it", GET_WS "\x81\x85", HTTP_REQ_DONE, 0, "GET",
      "/xmpp-websocket", "example.org", "websocket", "", 2, true },
    { "post with a body", "POST /http-bind HTTP/1.1\r\nHost: h\r\nContent-Length: 9\r\n\r\n"
      "<body/>\r\n", HTTP_REQ_DONE, 0, "POST", "/http-bind", "h", NULL, "<body/>\r\n", 0, true },
    { "chunked body", "POST /u HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", HTTP_REQ_DONE, 0, "POST", "/u", "h", NULL, "abcde", 0,
      true },
    { "pipelined: the second stays", "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\n\r\n",
      HTTP_REQ_DONE, 0, "GET", "/a", "h", NULL, "", 19, true },
    { "HTTP/1.0 closes", "GET / HTTP/1.0\r\n\r\n", HTTP_REQ_DONE, 0, "GET", "/", NULL, NULL,
      "", 0, false },
    { "empty header value", "GET / HTTP/1.1\r\nX-Empty:\r\nHost: h\r\n\r\n", HTTP_REQ_DONE, 0,
      "GET", "/", "h", NULL, "", 0, true },
    { "a PUT has a limit of its own", "PUT /u/f HTTP/1.1\r\nHost: h\r\nContent-Length: 100"
      "\r\n\r\n" HUNDRED, HTTP_REQ_DONE, 0, "PUT", "/u/f", "h", NULL, HUNDRED, 0, true },
    ERR("a PUT beyond its limit", "PUT /u/f HTTP/1.1\r\nContent-Length: 101\r\n\r\n", 413),
    ERR("a POST is held to the body limit", "POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n"
        HUNDRED, 413),
    ERR("not HTTP", "HELLO\r\n\r\n", 400),
    ERR("body too big (length)", "POST / HTTP/1.1\r\nContent-Length: 65\r\n\r\n", 413),
    ERR("body too big (chunked)", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        "41\r\n" "0123456789012345678901234567890123456789012345678901234567890123X\r\n", 413),
    ERR("too many headers", "GET / HTTP/1.1\r\na: 1\r\nb: 1\r\nc: 1\r\nd: 1\r\ne: 1\r\nf: 1\r\n"
        "g: 1\r\nh: 1\r\ni: 1\r\n\r\n", 431),
    ERR("HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400),
    ERR("another version", "GET / HTTP/2.0\r\n\r\n", 505),
    ERR("bad header line", "GET / HTTP/1.1\r\nno colon here\r\n\r\n", 400),
    ERR("head too long", "GET / HTTP/1.1\r\nX: " "0123456789012345678901234567890123456789"
        "0123456789012345678901234567890123456789012345678901234567890123456789012345678901"
        "2345678901234567890123456789012345678901234567890123456789012345678901234567890123"
        "4567890123456789012345678901234567890123456789012345678901234567890123456789012345"
        "6789012345678901234567890123456789012345678901234567890123456789012345678901234567"
        "8901234567890123456789012345678901234567890123456789012345678901234567890123456789"
        "0123456789012345678901234567890123456789012345678901234567890123456789\r\n\r\n", 431),
    { .name = "incomplete", .bytes = "GET / HTTP/1.1\r\nHost: h\r\n", .state = HTTP_REQ_MORE },
};

/* Feeds the bytes in pieces cut at cuts[] (ascending, within n); checks the outcome. */
static void feed_cut(const struct want *w, const size_t *cuts, size_t n_cuts)
{
    struct http_req r;
    http_req_init(&r, &lim);
    size_t n = strlen(w->bytes), pos = 0, used;
    enum http_req_state st = HTTP_REQ_MORE;
    for (size_t i = 0; i <= n_cuts && st == HTTP_REQ_MORE; i++) {
        size_t end = i < n_cuts ? cuts[i] : n;
        st = http_req_feed(&r, w->bytes + pos, end - pos, &used);
        pos += used;
        if (st == HTTP_REQ_MORE)
            assert_int_equal(pos, end);
    }
    if (st != w->state)
        fail_msg("%s: state %d, wanted %d", w->name, st, w->state);
    if (st == HTTP_REQ_ERROR && r.status != w->status)
        fail_msg("%s: status %d, wanted %d", w->name, r.status, w->status);
    if (st == HTTP_REQ_DONE) {
        char path[128];
        assert_string_equal(http_req_method(&r), w->method);
        assert_string_equal(http_req_path(&r, path, sizeof(path)), w->path);
        const char *host = http_req_header(&r, "host"), *up = http_req_header(&r, "Upgrade");
        if (w->host ? !host || strcmp(host, w->host) : host != NULL)
            fail_msg("%s: host %s", w->name, host ? host : "(none)");
        if (w->upgrade ? !up || strcmp(up, w->upgrade) : up != NULL)
            fail_msg("%s: upgrade %s", w->name, up ? up : "(none)");
        assert_int_equal(r.body.len, strlen(w->body));
        assert_memory_equal(r.body.data ? r.body.data : "", w->body, r.body.len);
        if (n - pos != w->left)
            fail_msg("%s: %zu bytes left, wanted %zu", w->name, n - pos, w->left);
        assert_int_equal(http_req_keep_alive(&r), w->keep_alive);
    }
    http_req_fini(&r);
}

static void test_whole(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        feed_cut(&table[i], NULL, 0);
}

static void test_byte_by_byte(void **state)
{
    (void)state;
    static size_t cuts[1024];
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        size_t n = strlen(table[i].bytes);
        for (size_t k = 1; k < n; k++)
            cuts[k - 1] = k;
        feed_cut(&table[i], cuts, n - 1);
    }
}

static void test_split_at_every_offset(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        for (size_t k = 1; k < strlen(table[i].bytes); k++)
            feed_cut(&table[i], &k, 1);
}

static void test_connection_tokens_and_reset(void **state)
{
    (void)state;
    struct http_req r;
    http_req_init(&r, &lim);
    size_t used;
    assert_int_equal(http_req_feed(&r, GET_WS, strlen(GET_WS), &used), HTTP_REQ_DONE);
    assert_true(http_req_upgrade(&r));
    assert_true(http_req_header_has(&r, "connection", "upgrade"));
    assert_true(http_req_header_has(&r, "Connection", "Keep-Alive"));
    assert_false(http_req_header_has(&r, "Connection", "close"));
    assert_false(http_req_header_has(&r, "Sec-WebSocket-Protocol", "xmp"));
    http_req_reset(&r);
    const char *next = "GET /chat/ HTTP/1.1\r\nHost: h\r\n\r\n";
    assert_int_equal(http_req_feed(&r, next, strlen(next), &used), HTTP_REQ_DONE);
    char path[64];
    assert_string_equal(http_req_path(&r, path, sizeof(path)), "/chat/");
    assert_null(http_req_header(&r, "Upgrade"));
    http_req_fini(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole),
        cmocka_unit_test(test_byte_by_byte),
        cmocka_unit_test(test_split_at_every_offset),
        cmocka_unit_test(test_connection_tokens_and_reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
