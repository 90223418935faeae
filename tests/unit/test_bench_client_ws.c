/* SPDX-License-Identifier: MIT */
/* Tests of the bot's sessions over WebSocket (bench/client_ws.c with the engine): a scripted
 * server's 101 and RFC 7395 messages, fed whole, byte by byte and split at every offset into a
 * real session's input; what the session framed back is read from its output and decoded. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <wslay/wslay.h>

#include "base.h"
#include "buf.h"
#include "engine.h"
#include "ns.h"
#include "ws_upgrade.h"

#define FRAMING "xmlns='" NS_FRAMING "'"
#define SERVER_OPEN "<open " FRAMING " from='localhost' id='s1' version='1.0' xml:lang='en'/>"
#define STREAM_NS "xmlns:stream='" NS_STREAM "'"
#define SASL_FEATURES                                                                   \
    "<stream:features " STREAM_NS "><mechanisms xmlns='" NS_SASL "'><mechanism>PLAIN" \
    "</mechanism></mechanisms></stream:features>"
#define BIND_FEATURES \
    "<stream:features " STREAM_NS "><bind xmlns='" NS_BIND "'/></stream:features>"
#define BOUND                                                                         \
    "<iq xmlns='jabber:client' type='result' id='bind'><bind xmlns='" NS_BIND "'><jid>" \
    "user1@localhost/bench</jid></bind></iq>"
#define CHAT(body)                                                                  \
    "<message xmlns='jabber:client' from='user2@localhost/b' type='chat'><body>" body \
    "</body></message>"

/* What the session sends up to its initial presence: <open/>, PLAIN, <open/> again, a bind
 * and the presence, each stanza with its namespace declared, every one a message of its own;
 * then the answer to the server's ping. */
static const char login_out[] =
    "text <open " FRAMING " to='localhost' version='1.0'/>;"
    "text <auth xmlns='" NS_SASL "' mechanism='PLAIN'>AHVzZXIxAHB3</auth>;"
    "text <open " FRAMING " to='localhost' version='1.0'/>;"
    "text <iq xmlns='jabber:client' type='set' id='bind'><bind xmlns='" NS_BIND "'>"
    "<resource>bench</resource></bind></iq>;"
    "text <presence xmlns='jabber:client'/>;"
    "pong p;";

enum { FIN = 1, PART = 0, PING = 2, BINARY = 3, CLOSE_FRAME = 4 };

struct sframe {
    int kind;
    const char *payload; /* NULL ends a list */
};

/* The server's messages up to a bound session that got three chats: one split over two
 * frames with a ping between them, one with an undeclared namespace (the wrapper's serves),
 * one with whitespace after it. */
static const struct sframe login_script[] = {
    { FIN, SERVER_OPEN }, { FIN, SASL_FEATURES }, { FIN, "<success xmlns='" NS_SASL "'/>" },
    { FIN, SERVER_OPEN }, { FIN, BIND_FEATURES }, { FIN, BOUND },
    { PART, "<message xmlns='jabber:client' type='chat'><bo" }, { PING, "p" },
    { FIN, "dy>one</body></message>" },
    { FIN, "<message type='chat'><body>two</body></message>" },
    { FIN, CHAT("three") "\r\n" },
    { 0, NULL },
};

static const char *text(const struct buf *b)
{
    return b->data ? b->data : "";
}

struct harness {
    struct bench_opts o;
    struct engine e;
    int listener;
    char port[8], keycache[64];
    struct buf log; /* what the hooks heard */
};

static void on_online(void *ctx, struct client *c, uint64_t now_us)
{
    struct harness *h = ctx;
    (void)c, (void)now_us;
    buf_puts(&h->log, "online;");
}

static void on_message(void *ctx, struct client *c, const struct stanza *st, uint64_t now_us)
{
    struct harness *h = ctx;
    (void)c, (void)now_us;
    const struct xel *body = xel_child(st->root, "body", NS_CLIENT);
    buf_printf(&h->log, "message %s;", body ? xel_text(body) : "?");
}

static void on_closed(void *ctx, struct client *c, bool failed)
{
    struct harness *h = ctx;
    (void)c;
    buf_printf(&h->log, failed ? "failed: %s;" : "closed;", h->e.last_error);
}

static const struct engine_hooks hooks = {
    .online = on_online, .message = on_message, .closed = on_closed,
};

/* A loopback listener the sessions connect to and nobody reads: the loop never runs, so
 * their bytes stay in their output, and the server's are put in their input by hand. */
static int setup(void **state)
{
    struct harness *h = xcalloc(1, sizeof(*h));
    h->listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    assert_int_equal(bind(h->listener, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(h->listener, 64), 0);
    assert_int_equal(getsockname(h->listener, (struct sockaddr *)&a, &len), 0);
    snprintf(h->port, sizeof(h->port), "%u", ntohs(a.sin_port));
    snprintf(h->keycache, sizeof(h->keycache), "/tmp/test_bench_client_ws.%d", (int)getpid());
    char *argv[] = { "parley-bench", "login", "--transport", "ws", "--tls", "none", "--port",
                     h->port, "--sasl", "plain", "--password", "pw", "--count", "1",
                     "--keycache", h->keycache, NULL };
    assert_int_equal(opts_parse(ARRAY_LEN(argv) - 1, argv, &h->o, stderr), -1);
    assert_int_equal(engine_init(&h->e, &h->o, &hooks, h), PL_OK);
    buf_init(&h->log);
    *state = h;
    return 0;
}

static int teardown(void **state)
{
    struct harness *h = *state;
    engine_fini(&h->e);
    close(h->listener);
    unlink(h->keycache);
    buf_fini(&h->log);
    free(h);
    return 0;
}

static ssize_t to_buf(const uint8_t *data, size_t len, int flags, void *user)
{
    (void)flags;
    buf_append(user, data, len);
    return (ssize_t)len;
}

struct reader {
    const char *data;
    size_t len, pos;
};

static ssize_t from_reader(uint8_t *buf, size_t len, int flags, void *user)
{
    struct reader *r = user;
    (void)flags;
    size_t n = r->len - r->pos < len ? r->len - r->pos : len;
    if (n == 0)
        return -1;
    memcpy(buf, r->data + r->pos, n);
    r->pos += n;
    return (ssize_t)n;
}

static int no_mask(uint8_t *buf, size_t len, void *user)
{
    (void)user;
    memset(buf, 0, len);
    return 0;
}

static const struct wslay_frame_callbacks frame_cb = { to_buf, from_reader, no_mask };

/* A server frame: unmasked. */
static void put_frame(struct buf *wire, int kind, const char *payload)
{
    static const uint8_t opcodes[] = { WSLAY_TEXT_FRAME, WSLAY_TEXT_FRAME, WSLAY_PING,
                                       WSLAY_BINARY_FRAME, WSLAY_CONNECTION_CLOSE };
    static bool continuing;
    wslay_frame_context_ptr fc;
    assert_int_equal(wslay_frame_context_init(&fc, &frame_cb, wire), 0);
    size_t n = kind == CLOSE_FRAME ? 2 : strlen(payload);
    struct wslay_frame_iocb io = {
        .fin = kind != PART, .opcode = continuing && kind <= FIN ? 0 : opcodes[kind],
        .payload_length = n, .data = (const uint8_t *)payload, .data_length = n,
    };
    assert_int_equal(wslay_frame_send(fc, &io), (ssize_t)n);
    if (kind <= FIN)
        continuing = kind == PART;
    wslay_frame_context_free(fc);
}

/*
 * The session's frames as text ("text PAYLOAD;", "pong PAYLOAD;", "close CODE;"), taken from
 * its output. A
 * frame must be masked (RFC 6455 §5.3); its payload comes unmasked from wslay, in pieces.
 */
static void take_output(struct client *c, struct buf *out)
{
    struct evbuffer *ev = bufferevent_get_output(c->bev);
    size_t len = evbuffer_get_length(ev);
    struct reader r = { (const char *)evbuffer_pullup(ev, -1), len, 0 };
    wslay_frame_context_ptr fc;
    assert_int_equal(wslay_frame_context_init(&fc, &frame_cb, &r), 0);
    uint64_t left = 0;
    struct wslay_frame_iocb io;
    while (memset(&io, 0, sizeof(io)), wslay_frame_recv(fc, &io) >= 0) {
        assert_true(io.mask);
        if (left == 0 && io.opcode == WSLAY_CONNECTION_CLOSE)
            buf_printf(out, "close %u", (unsigned)(io.data[0] << 8 | io.data[1]));
        else if (left == 0)
            buf_puts(out, io.opcode == WSLAY_PONG ? "pong " : "text ");
        left = left ? left : io.payload_length;
        if (io.opcode != WSLAY_CONNECTION_CLOSE)
            buf_append(out, io.data, io.data_length);
        left -= io.data_length;
        if (left == 0 && io.fin)
            buf_puts(out, ";");
    }
    wslay_frame_context_free(fc);
    evbuffer_drain(ev, len);
}

/* Starts the session and answers its upgrade request: the 101 for its key, into wire. */
static struct client *start(struct harness *h, struct buf *wire)
{
    struct client *c = &h->e.clients[0];
    buf_reset(&h->log);
    assert_int_equal(client_start(c), PL_OK);
    struct evbuffer *ev = bufferevent_get_output(c->bev);
    size_t len = evbuffer_get_length(ev);
    char *req = xstrndup((const char *)evbuffer_pullup(ev, -1), len);
    assert_true(strncmp(req, "GET /xmpp-websocket HTTP/1.1\r\nHost: localhost:", 46) == 0);
    const char *k = strstr(req, "Sec-WebSocket-Key: ");
    assert_non_null(k);
    char key[WS_UPGRADE_KEY_LEN + 1] = { 0 };
    memcpy(key, k + 19, WS_UPGRADE_KEY_LEN);
    struct ws_upgrade u;
    assert_int_equal(ws_upgrade_init_key(&u, key), PL_OK);
    buf_printf(wire, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: "
                     "Upgrade\r\nSec-WebSocket-Accept: %s\r\nSec-WebSocket-Protocol: xmpp\r\n\r\n",
               u.accept);
    evbuffer_drain(ev, len);
    free(req);
    return c;
}

/* The server's bytes into the session, as its socket's reads would bring them. */
static void feed(struct client *c, const char *data, size_t n)
{
    if (!c->bev || n == 0)
        return;
    evbuffer_add(bufferevent_get_input(c->bev), data, n);
    bufferevent_trigger(c->bev, EV_READ, 0);
}

static void feed_split(struct client *c, const struct buf *wire, size_t at)
{
    feed(c, wire->data, at < wire->len ? at : wire->len);
    if (at < wire->len)
        feed(c, wire->data + at, wire->len - at);
}

/* Pending connections of the sessions that went: the listener's backlog stays short. */
static void drain_listener(struct harness *h)
{
    int fd;
    while ((fd = accept(h->listener, NULL, NULL)) >= 0)
        close(fd);
}

static void put_script(struct buf *wire, const struct sframe *f)
{
    for (; f->payload; f++)
        put_frame(wire, f->kind, f->payload);
}

/* A whole session, its login script fed split at `at` (0: byte by byte), then a clean end:
 * our <close/>, the server's, our close frame, the server's close frame. */
static void run_session(struct harness *h, size_t at, const char *how)
{
    struct buf wire, out;
    buf_init(&wire);
    buf_init(&out);
    struct client *c = start(h, &wire);
    put_script(&wire, login_script);
    if (at == 0)
        for (size_t i = 0; i < wire.len; i++)
            feed(c, wire.data + i, 1);
    else
        feed_split(c, &wire, at);
    assert_non_null(c->bev);
    take_output(c, &out);
    if (strcmp(text(&out), login_out) != 0 ||
        strcmp(text(&h->log), "online;message one;message two;message three;") != 0)
        fail_msg("%s: sent '%s', heard '%s'", how, text(&out), text(&h->log));
    buf_reset(&out);
    client_end(c);
    buf_reset(&wire);
    put_frame(&wire, FIN, "<close " FRAMING "/>");
    feed(c, wire.data, wire.len);
    take_output(c, &out);
    assert_string_equal(text(&out), "text <close " FRAMING "/>;close 1000;");
    buf_reset(&wire);
    put_frame(&wire, CLOSE_FRAME, "\x03\xe8");
    feed(c, wire.data, wire.len);
    assert_null(c->bev);
    assert_string_equal(text(&h->log), "online;message one;message two;message three;closed;");
    buf_fini(&wire);
    buf_fini(&out);
    drain_listener(h);
}

static void test_session(void **state)
{
    struct harness *h = *state;
    struct buf wire;
    buf_init(&wire);
    run_session(h, SIZE_MAX, "whole");
    run_session(h, 0, "byte by byte");
    start(h, &wire);
    put_script(&wire, login_script);
    client_close(&h->e.clients[0], false, NULL);
    size_t len = wire.len;
    for (size_t at = 1; at < len; at++) {
        char how[32];
        snprintf(how, sizeof(how), "split at %zu", at);
        run_session(h, at, how);
    }
    buf_fini(&wire);
}

/* What the server does wrong after the login, and why the session fails. */
struct failure {
    const char *name;
    struct sframe frames[3];
    const char *why;
};

static const struct failure failures[] = {
    { "a message ends inside an element",
      { { FIN, "<message xmlns='jabber:client'><body>x" }, { FIN, "</body></message>" } },
      "holds a partial element" },
    { "two messages, the second cut short", { { FIN, CHAT("ok") "<message><body>" } },
      "holds a partial element" },
    { "malformed XML", { { FIN, "<message><body></message>" } }, "malformed XML" },
    { "a stream error", { { FIN, "<stream:error " STREAM_NS "><conflict xmlns='"
      "urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>" } }, "stream error: conflict" },
    { "the server's <close/> unasked", { { FIN, "<close " FRAMING "/>" } },
      "the server ended the stream" },
    { "a close frame", { { CLOSE_FRAME, "\x03\xe9" } },
      "the server closed the WebSocket (code 1001)" },
    { "a binary message", { { BINARY, "<a/>" } }, "binary message (code 1003)" },
};

static void test_failures(void **state)
{
    struct harness *h = *state;
    for (size_t i = 0; i < ARRAY_LEN(failures); i++) {
        const struct failure *f = &failures[i];
        struct buf wire;
        buf_init(&wire);
        struct client *c = start(h, &wire);
        put_script(&wire, login_script);
        put_script(&wire, f->frames);
        feed(c, wire.data, wire.len);
        if (c->bev || !strstr(text(&h->log), "failed: ") || !strstr(text(&h->log), f->why))
            fail_msg("%s: heard '%s', want a failure with '%s'", f->name, text(&h->log), f->why);
        buf_fini(&wire);
        drain_listener(h);
    }
}

/* An answer other than 101 ends the session before any XMPP. */
static void test_refused_upgrade(void **state)
{
    struct harness *h = *state;
    struct buf wire;
    buf_init(&wire);
    struct client *c = start(h, &wire);
    const char *no = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n";
    feed(c, no, strlen(no));
    assert_null(c->bev);
    assert_non_null(strstr(text(&h->log), "failed: WebSocket upgrade refused"));
    buf_fini(&wire);
    drain_listener(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_upgrade, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
