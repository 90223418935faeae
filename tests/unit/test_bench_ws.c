/* SPDX-License-Identifier: MIT */
/* Tests of the bot's WebSocket client end (bench/ws_upgrade.c, bench/ws_client.c): tables of
 * server answers and server frames (built with wslay's frame API, unmasked as a server sends
 * them), each fed whole, byte by byte and split at every offset; what the bot frames is read
 * back with wslay's frame API and must be masked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <wslay/wslay.h>

#include "base.h"
#include "buf.h"
#include "ws_client.h"
#include "ws_upgrade.h"

#define RFC_KEY "dGhlIHNhbXBsZSBub25jZQ=="         /* RFC 6455 §1.3's example */
#define RFC_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" /* and its answer */
#define MAX_MESSAGE 64
#define A64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

/* --- the handshake ---------------------------------------------------------------------- */

static void test_request(void **state)
{
    (void)state;
    struct ws_upgrade u;
    assert_int_equal(ws_upgrade_init_key(&u, RFC_KEY), PL_OK);
    assert_string_equal(u.accept, RFC_ACCEPT);
    struct buf out;
    buf_init(&out);
    ws_upgrade_request(&u, "localhost:5280", "/xmpp-websocket", &out);
    assert_string_equal(out.data, "GET /xmpp-websocket HTTP/1.1\r\nHost: localhost:5280\r\n"
                                  "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                  "Sec-WebSocket-Key: " RFC_KEY "\r\n"
                                  "Sec-WebSocket-Version: 13\r\n"
                                  "Sec-WebSocket-Protocol: xmpp\r\n\r\n");
    buf_fini(&out);
    assert_int_equal(ws_upgrade_init_key(&u, "short"), PL_EINVAL);
    /* a drawn key: 16 bytes in base64, different each time */
    struct ws_upgrade a, b;
    assert_int_equal(ws_upgrade_init(&a), PL_OK);
    assert_int_equal(ws_upgrade_init(&b), PL_OK);
    assert_int_equal(strlen(a.key), WS_UPGRADE_KEY_LEN);
    assert_string_equal(a.key + 22, "==");
    assert_string_not_equal(a.key, b.key);
}

#define HEAD_101 "HTTP/1.1 101 Switching Protocols\r\n"
#define GOOD_HEADERS                                                                       \
    "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " RFC_ACCEPT "\r\n" \
    "Sec-WebSocket-Protocol: xmpp\r\n"

struct answer_case {
    const char *name;
    const char *head;  /* the HTTP answer */
    const char *after; /* bytes after it, the server's first frames */
    enum ws_upgrade_state want;
    const char *why; /* FAILED: part of the reason */
};

static const struct answer_case answers[] = {
    { "good", HEAD_101 GOOD_HEADERS "\r\n", "", WS_UPGRADE_DONE, NULL },
    { "frames after it", HEAD_101 GOOD_HEADERS "\r\n", "\x81\x02hi", WS_UPGRADE_DONE, NULL },
    { "names and values in other cases, blanks after values",
      "HTTP/1.1 101 OK\r\nupgrade: WebSocket  \r\nCONNECTION: keep-alive, upgrade\r\n"
      "sec-websocket-accept: " RFC_ACCEPT " \r\nSec-Websocket-Protocol:xmpp\r\n"
      "Server: test\r\nDate: Mon, 07 Dec 2026 10:00:00 GMT\r\n\r\n",
      "", WS_UPGRADE_DONE, NULL },
    { "an empty header and a long unknown one",
      HEAD_101 "X-Empty:\r\nX-A-Very-Long-Header-Name-Beyond-The-Buffer: " A64 A64 "\r\n"
      GOOD_HEADERS "\r\n", "", WS_UPGRADE_DONE, NULL },
    { "200", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", "ok", WS_UPGRADE_FAILED,
      "another status than 101" },
    { "403 with a body", "HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\n\r\n", "forbidden",
      WS_UPGRADE_FAILED, "another status than 101" },
    { "no subprotocol",
      HEAD_101 "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " RFC_ACCEPT
      "\r\n\r\n", "", WS_UPGRADE_FAILED, "Sec-WebSocket-Protocol: xmpp" },
    { "another subprotocol", HEAD_101 "Sec-WebSocket-Protocol: mqtt\r\n" GOOD_HEADERS "\r\n", "",
      WS_UPGRADE_FAILED, "other than xmpp" },
    { "subprotocol in another case", HEAD_101 "Sec-WebSocket-Protocol: XMPP\r\n\r\n", "",
      WS_UPGRADE_FAILED, "other than xmpp" },
    { "wrong accept", HEAD_101 "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOO=\r\n\r\n", "",
      WS_UPGRADE_FAILED, "does not answer our key" },
    { "accept cut short", HEAD_101 "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYG\r\n\r\n", "",
      WS_UPGRADE_FAILED, "does not answer our key" },
    { "no Upgrade",
      HEAD_101 "Connection: Upgrade\r\nSec-WebSocket-Accept: " RFC_ACCEPT "\r\n"
      "Sec-WebSocket-Protocol: xmpp\r\n\r\n", "", WS_UPGRADE_FAILED, "no Upgrade" },
    { "Upgrade to something else",
      HEAD_101 "Upgrade: h2c\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " RFC_ACCEPT "\r\n"
      "Sec-WebSocket-Protocol: xmpp\r\n\r\n", "", WS_UPGRADE_FAILED, "no Upgrade" },
    { "Connection without upgrade",
      HEAD_101 "Upgrade: websocket\r\nConnection: keep-alive\r\nSec-WebSocket-Accept: "
      RFC_ACCEPT "\r\nSec-WebSocket-Protocol: xmpp\r\n\r\n", "", WS_UPGRADE_FAILED,
      "no Connection" },
    { "no accept",
      HEAD_101 "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Protocol: xmpp\r\n"
      "\r\n", "", WS_UPGRADE_FAILED, "no Sec-WebSocket-Accept" },
    { "an extension", HEAD_101 GOOD_HEADERS "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
      "", WS_UPGRADE_FAILED, "extension" },
    { "not HTTP", "SSH-2.0-OpenSSH_9.2\r\n", "", WS_UPGRADE_FAILED, "not HTTP/1.1" },
    { "XMPP instead", "<?xml version='1.0'?><stream:stream>", "", WS_UPGRADE_FAILED,
      "not HTTP/1.1" },
};

/* Feeds the answer and what follows in the pieces cut at cuts[]; checks the verdict and that
 * exactly the head was taken. */
static void feed_answer(const struct answer_case *c, const size_t *cuts, size_t n_cuts,
                        const char *how)
{
    char all[1024];
    size_t head = strlen(c->head), len = head + strlen(c->after);
    snprintf(all, sizeof(all), "%s%s", c->head, c->after);
    struct ws_upgrade u;
    assert_int_equal(ws_upgrade_init_key(&u, RFC_KEY), PL_OK);
    enum ws_upgrade_state st = WS_UPGRADE_MORE;
    size_t pos = 0;
    for (size_t i = 0; i <= n_cuts && st == WS_UPGRADE_MORE; i++) {
        size_t end = i < n_cuts ? cuts[i] : len, used = 0;
        st = ws_upgrade_feed(&u, all + pos, end - pos, &used);
        if (st == WS_UPGRADE_MORE && used != end - pos)
            fail_msg("%s (%s): took %zu of %zu before the end", c->name, how, used, end - pos);
        pos += used;
    }
    if (st != c->want)
        fail_msg("%s (%s): state %d, want %d (%s)", c->name, how, st, c->want,
                 u.why ? u.why : "");
    if (st == WS_UPGRADE_DONE && pos != head)
        fail_msg("%s (%s): took %zu bytes, the head is %zu", c->name, how, pos, head);
    if (st == WS_UPGRADE_FAILED && (!u.why || !strstr(u.why, c->why)))
        fail_msg("%s (%s): why '%s', want '%s'", c->name, how, u.why ? u.why : "", c->why);
    size_t used = 1;
    assert_int_equal(ws_upgrade_feed(&u, "x", 1, &used), st); /* settled: takes nothing */
    assert_int_equal(used, 0);
}

static void test_answers(void **state)
{
    (void)state;
    static size_t cuts[1024];
    for (size_t i = 0; i < ARRAY_LEN(answers); i++) {
        const struct answer_case *c = &answers[i];
        size_t len = strlen(c->head) + strlen(c->after);
        assert_true(len < ARRAY_LEN(cuts));
        feed_answer(c, NULL, 0, "whole");
        for (size_t k = 0; k + 1 < len; k++)
            cuts[k] = k + 1;
        feed_answer(c, cuts, len - 1, "byte by byte");
        for (size_t at = 1; at < len; at++)
            feed_answer(c, &at, 1, "split");
    }
}

/* --- frames ---------------------------------------------------------------------------- */

enum { MASKED = 1, REPEAT = 2 };

struct frame {
    uint8_t fin, opcode;
    const char *payload; /* NULL ends a case's frames */
    size_t len;          /* 0: strlen(payload); with REPEAT, payload[0] this many times */
    unsigned flags;
};

struct frames_case {
    const char *name;
    struct frame frames[4];
    const char *texts; /* each message handed up, then '\n' */
    const char *out;   /* what the bot framed back, decoded (see describe_frames) */
    int closed;        /* the code reported; -1: still open */
};

#define FRAME(fin, op, s) { fin, op, s, 0, 0 }
#define TEXT(s) FRAME(1, WSLAY_TEXT_FRAME, s)
#define FIRST(s) FRAME(0, WSLAY_TEXT_FRAME, s)
#define LAST(s) FRAME(1, WSLAY_CONTINUATION_FRAME, s)
#define CLOSE(s) { 1, WSLAY_CONNECTION_CLOSE, s, sizeof(s) - 1, 0 }

static const struct frames_case frame_cases[] = {
    { "one text", { TEXT("<message/>") }, "<message/>\n", "", -1 },
    { "two in one read", { TEXT("<a/>"), TEXT("<b/>") }, "<a/>\n<b/>\n", "", -1 },
    { "empty text", { TEXT("") }, "\n", "", -1 },
    { "fragmented", { FIRST("<mess"), FRAME(0, WSLAY_CONTINUATION_FRAME, "age"), LAST("/>") },
      "<message/>\n", "", -1 },
    { "ping answered", { FRAME(1, WSLAY_PING, "pp"), TEXT("<a/>") }, "<a/>\n", "pong pp;",
      -1 },
    { "ping between fragments", { FIRST("<a"), FRAME(1, WSLAY_PING, "p"), LAST("/>") },
      "<a/>\n", "pong p;", -1 },
    { "UTF-8 across fragments", { FIRST("caf\xc3"), LAST("\xa9") }, "caf\xc3\xa9\n", "", -1 },
    { "at the limit", { { 1, WSLAY_TEXT_FRAME, "a", MAX_MESSAGE, REPEAT } }, A64 "\n", "", -1 },
    { "close answered, bytes after it ignored", { CLOSE("\x03\xe8"), TEXT("late") }, "",
      "close 1000;", 1000 },
    { "close without a code", { CLOSE("") }, "", "close;", 1005 },
    { "text, then close", { TEXT("<close/>"), CLOSE("\x03\xe9") }, "<close/>\n",
      "close 1001;", 1001 },
    { "too big", { { 1, WSLAY_TEXT_FRAME, "a", MAX_MESSAGE + 1, REPEAT } }, "", "close 1009;",
      1009 },
    { "too big in fragments", { { 0, WSLAY_TEXT_FRAME, "a", 40, REPEAT },
      { 1, WSLAY_CONTINUATION_FRAME, "a", 25, REPEAT } }, "", "close 1009;", 1009 },
    { "binary", { FRAME(1, WSLAY_BINARY_FRAME, "ab") }, "", "close 1003;", 1003 },
    { "masked by the server", { { 1, WSLAY_TEXT_FRAME, "<a/>", 0, MASKED } }, "",
      "close 1002;", 1002 },
    { "bad UTF-8", { TEXT("\xc3\x28") }, "", "close 1007;", 1007 },
    { "continuation first", { LAST("ab") }, "", "close 1002;", 1002 },
};

static ssize_t to_buf(const uint8_t *data, size_t len, int flags, void *user)
{
    (void)flags;
    buf_append(user, data, len);
    return (ssize_t)len;
}

struct reader {
    const struct buf *wire;
    size_t pos;
};

static ssize_t from_reader(uint8_t *buf, size_t len, int flags, void *user)
{
    struct reader *r = user;
    (void)flags;
    size_t n = r->wire->len - r->pos < len ? r->wire->len - r->pos : len;
    if (n == 0)
        return -1;
    memcpy(buf, r->wire->data + r->pos, n);
    r->pos += n;
    return (ssize_t)n;
}

static int fixed_mask(uint8_t *buf, size_t len, void *user)
{
    (void)user;
    memcpy(buf, "\x5a\xa5\x3c\xc3", len < 4 ? len : 4);
    return 0;
}

static void put_frame(struct buf *wire, const struct frame *f)
{
    static const struct wslay_frame_callbacks cb = { to_buf, from_reader, fixed_mask };
    static char payload[256];
    wslay_frame_context_ptr fc;
    assert_int_equal(wslay_frame_context_init(&fc, &cb, wire), 0);
    size_t n = f->len ? f->len : strlen(f->payload);
    assert_true(n <= sizeof(payload));
    if (f->flags & REPEAT)
        memset(payload, f->payload[0], n);
    else
        memcpy(payload, f->payload, n);
    struct wslay_frame_iocb io = {
        .fin = f->fin, .opcode = f->opcode, .mask = (f->flags & MASKED) != 0,
        .payload_length = n, .data = (const uint8_t *)payload, .data_length = n,
    };
    assert_int_equal(wslay_frame_send(fc, &io), (ssize_t)n);
    wslay_frame_context_free(fc);
}

/* One frame's start, as describe_frames writes it. */
static void describe_start(const struct wslay_frame_iocb *io, struct buf *out)
{
    if (io->opcode == WSLAY_CONNECTION_CLOSE && io->payload_length >= 2)
        buf_printf(out, "close %u", (unsigned)(io->data[0] << 8 | io->data[1]));
    else if (io->opcode == WSLAY_CONNECTION_CLOSE)
        buf_puts(out, "close");
    else if (io->opcode == WSLAY_PONG)
        buf_puts(out, "pong ");
    else if (io->opcode == WSLAY_TEXT_FRAME)
        buf_puts(out, "text ");
}

/*
 * The bot's frames after its upgrade request, as text: "text PAYLOAD;" (fragments joined),
 * "pong PAYLOAD;", "close CODE;". Every one must be masked (RFC 6455 §5.3). wslay hands a
 * frame's payload over in pieces, unmasked.
 */
static void describe_frames(const struct buf *wire, size_t from, struct buf *out)
{
    static const struct wslay_frame_callbacks cb = { to_buf, from_reader, fixed_mask };
    struct buf rest = { .data = wire->data + from, .len = wire->len - from };
    struct reader r = { &rest, 0 };
    wslay_frame_context_ptr fc;
    assert_int_equal(wslay_frame_context_init(&fc, &cb, &r), 0);
    uint64_t left = 0; /* of the frame under way */
    for (;;) {
        struct wslay_frame_iocb io = { 0 };
        if (wslay_frame_recv(fc, &io) < 0)
            break;
        assert_true(io.mask); /* a client masks every frame */
        if (left == 0) {
            describe_start(&io, out);
            left = io.payload_length;
        }
        if (io.opcode != WSLAY_CONNECTION_CLOSE)
            buf_append(out, io.data, io.data_length);
        left -= io.data_length;
        if (left == 0 && (io.fin || wslay_is_ctrl_frame(io.opcode)))
            buf_puts(out, ";");
    }
    assert_int_equal(left, 0);
    wslay_frame_context_free(fc);
}

/* What a test's client end told, and what it wrote. */
struct seen {
    struct buf wire;  /* the bot's output: its request, then its frames */
    struct buf texts; /* each message and '\n' */
    int opened;
    int closed;       /* -1 while open */
    char why[128];
    struct ws_client *w;
    const char *on_open_send; /* sent from the opened event */
};

static void on_output(void *ctx, const void *data, size_t n)
{
    struct seen *s = ctx;
    buf_append(&s->wire, data, n);
}

static void on_opened(void *ctx)
{
    struct seen *s = ctx;
    s->opened++;
    if (s->on_open_send)
        assert_int_equal(ws_client_send_text(s->w, s->on_open_send, strlen(s->on_open_send)),
                         PL_OK);
}

static void on_text(void *ctx, const char *data, size_t n)
{
    struct seen *s = ctx;
    buf_append(&s->texts, data, n);
    buf_append(&s->texts, "\n", 1);
}

static void on_closed(void *ctx, uint16_t code, const char *why)
{
    struct seen *s = ctx;
    assert_int_equal(s->closed, -1); /* once */
    s->closed = code;
    snprintf(s->why, sizeof(s->why), "%s", why);
}

static const struct ws_client_events events = { on_output, on_opened, on_text, on_closed };

static void seen_init(struct seen *s)
{
    memset(s, 0, sizeof(*s));
    buf_init(&s->wire);
    buf_init(&s->texts);
    s->closed = -1;
    s->w = ws_client_new("localhost:5280", "/xmpp-websocket", MAX_MESSAGE, &events, s);
    assert_non_null(s->w);
}

static void seen_fini(struct seen *s)
{
    ws_client_free(s->w);
    buf_fini(&s->wire);
    buf_fini(&s->texts);
}

/* The server's 101 to the request the client wrote (its key read back from it). */
static void answer_101(const struct seen *s, struct buf *server)
{
    const char *k = strstr(s->wire.data, "Sec-WebSocket-Key: ");
    assert_non_null(k);
    char key[WS_UPGRADE_KEY_LEN + 1];
    memcpy(key, k + 19, WS_UPGRADE_KEY_LEN);
    key[WS_UPGRADE_KEY_LEN] = '\0';
    struct ws_upgrade u;
    assert_int_equal(ws_upgrade_init_key(&u, key), PL_OK);
    buf_printf(server, HEAD_101 "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Accept: %s\r\nSec-WebSocket-Protocol: xmpp\r\n\r\n",
               u.accept);
}

/* Feeds server in the pieces cut at cuts[] until the client says it is over. */
static void feed_pieces(struct seen *s, const struct buf *server, const size_t *cuts,
                        size_t n_cuts)
{
    size_t pos = 0;
    for (size_t i = 0; i <= n_cuts; i++) {
        size_t end = i < n_cuts ? cuts[i] : server->len, used = 0;
        if (end <= pos)
            continue;
        int rc = ws_client_feed(s->w, server->data + pos, end - pos, &used);
        if (rc == PL_ECLOSED)
            return;
        assert_int_equal(rc, PL_OK);
        assert_int_equal(used, end - pos);
        pos = end;
    }
}

/* Runs a case on the pieces cut at cuts[] (NULL and 1: byte by byte); returns how many bytes
 * the server sent. */
static size_t run_frames(const struct frames_case *c, const size_t *cuts, size_t n_cuts,
                         const char *how)
{
    struct seen s;
    seen_init(&s);
    size_t request_len = s.wire.len;
    struct buf server;
    buf_init(&server);
    answer_101(&s, &server);
    for (const struct frame *f = c->frames; f->payload; f++)
        put_frame(&server, f);
    size_t all[1024];
    size_t n = n_cuts;
    if (cuts == NULL && n_cuts == 1) { /* byte by byte */
        assert_true(server.len < ARRAY_LEN(all));
        for (n = 0; n + 1 < server.len; n++)
            all[n] = n + 1;
        cuts = all;
    }
    feed_pieces(&s, &server, cuts, n);
    struct buf out;
    buf_init(&out);
    describe_frames(&s.wire, request_len, &out);
    if (s.opened != 1 || strcmp(s.texts.data ? s.texts.data : "", c->texts) != 0 ||
        strcmp(out.data ? out.data : "", c->out) != 0 || s.closed != c->closed)
        fail_msg("%s (%s): opened %d, texts '%s' want '%s', out '%s' want '%s', closed %d "
                 "want %d (%s)", c->name, how, s.opened, s.texts.data ? s.texts.data : "",
                 c->texts, out.data ? out.data : "", c->out, s.closed, c->closed, s.why);
    size_t len = server.len;
    buf_fini(&out);
    buf_fini(&server);
    seen_fini(&s);
    return len;
}

static void test_frames(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(frame_cases); i++) {
        const struct frames_case *c = &frame_cases[i];
        size_t len = run_frames(c, NULL, 0, "whole");
        run_frames(c, NULL, 1, "byte by byte");
        for (size_t at = 1; at < len; at++)
            run_frames(c, &at, 1, "split");
    }
}

/* --- sending ----------------------------------------------------------------------------- */

static void test_sending(void **state)
{
    (void)state;
    struct seen s;
    seen_init(&s);
    s.on_open_send = "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' "
                     "version='1.0'/>";
    size_t request_len = s.wire.len;
    assert_true(strncmp(s.wire.data, "GET /xmpp-websocket HTTP/1.1\r\n", 30) == 0);
    /* nothing but the handshake before the 101 (RFC 6455 §4.1) */
    assert_int_equal(ws_client_send_text(s.w, "<a/>", 4), PL_EINVAL);
    assert_false(ws_client_is_open(s.w));
    ws_client_close(s.w, WS_CLIENT_NORMAL); /* nothing to close yet */
    assert_int_equal(s.wire.len, request_len);
    struct buf server;
    buf_init(&server);
    answer_101(&s, &server);
    feed_pieces(&s, &server, NULL, 0);
    assert_int_equal(s.opened, 1);
    assert_true(ws_client_is_open(s.w));
    static char big[5000];
    memset(big, 'b', sizeof(big));
    assert_int_equal(ws_client_send_text(s.w, "<presence/>", 11), PL_OK);
    assert_int_equal(ws_client_send_text(s.w, "<presence/>", 11), PL_OK);
    assert_int_equal(ws_client_send_text(s.w, big, sizeof(big)), PL_OK);
    ws_client_close(s.w, WS_CLIENT_NORMAL);
    assert_int_equal(ws_client_send_text(s.w, "<late/>", 7), PL_ECLOSED);
    struct buf out, want;
    buf_init(&out);
    buf_init(&want);
    describe_frames(&s.wire, request_len, &out);
    buf_printf(&want, "text %s;text <presence/>;text <presence/>;text %.*s;close 1000;",
               s.on_open_send, (int)sizeof(big), big);
    assert_string_equal(out.data, want.data);
    /* a fresh key per frame: the same message twice is not the same bytes twice (two bytes
     * of header, four of key, then the payload) */
    const char *twice = s.wire.data + request_len + 2 + 4 + strlen(s.on_open_send);
    assert_int_equal(twice[1] & 0x7f, 11);
    assert_memory_not_equal(twice, twice + 2 + 4 + 11, 2 + 4 + 11);
    /* the server's close answers ours: the end */
    buf_reset(&server);
    put_frame(&server, &(struct frame)CLOSE("\x03\xe8"));
    size_t used;
    assert_int_equal(ws_client_feed(s.w, server.data, server.len, &used), PL_ECLOSED);
    assert_int_equal(s.closed, 1000);
    assert_false(ws_client_is_open(s.w));
    assert_int_equal(ws_client_feed(s.w, "x", 1, &used), PL_ECLOSED);
    buf_fini(&out);
    buf_fini(&want);
    buf_fini(&server);
    seen_fini(&s);
}

/* A refused upgrade is the end, reported with code 0 and the reason. */
static void test_refused_upgrade(void **state)
{
    (void)state;
    struct seen s;
    seen_init(&s);
    const char *no = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    size_t used;
    assert_int_equal(ws_client_feed(s.w, no, strlen(no), &used), PL_ECLOSED);
    assert_int_equal(s.closed, 0);
    assert_non_null(strstr(s.why, "101"));
    assert_int_equal(s.opened, 0);
    assert_int_equal(ws_client_send_text(s.w, "<a/>", 4), PL_ECLOSED);
    seen_fini(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request),
        cmocka_unit_test(test_answers),
        cmocka_unit_test(test_frames),
        cmocka_unit_test(test_sending),
        cmocka_unit_test(test_refused_upgrade),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
