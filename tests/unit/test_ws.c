/* SPDX-License-Identifier: MIT */
/* Tests of the WebSocket endpoint (web/ws.c): tables of client frames, built with wslay's frame
 * API the way a client masks them, each fed whole, byte by byte and split at every offset with
 * ws_trim between the pieces; what the server frames is read back with wslay's client. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <wslay/wslay.h>

#include "base.h"
#include "ws.h"

#if defined(__SANITIZE_ADDRESS__)
size_t __sanitizer_get_current_allocated_bytes(void);
static size_t heap_in_use(void) { return __sanitizer_get_current_allocated_bytes(); }
#else
#include <malloc.h>
static size_t heap_in_use(void) { return mallinfo2().uordblks; }
#endif

#define MAX_MESSAGE 64
#define A64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

enum { UNMASKED = 1, LONG_CONTROL = 2 };

struct frame {
    uint8_t fin, rsv, opcode;
    const char *payload; /* NULL ends a case's frames */
    size_t repeat;       /* when not 0: the payload's first byte, this many times */
    unsigned flags;
};

struct expect {
    const char *texts; /* each message handed up, then '\n' */
    const char *out;   /* what the server framed: out_len bytes */
    size_t out_len;
    uint16_t closed;   /* the code reported; 0: still open */
};

struct want {
    const char *name;
    struct frame frames[4];
    struct expect e;
};

#define FRAME(fin, op, s) { fin, 0, op, s, 0, 0 }
#define TEXT(s) FRAME(1, WSLAY_TEXT_FRAME, s)
#define FIRST(s) FRAME(0, WSLAY_TEXT_FRAME, s)
#define MORE(s) FRAME(0, WSLAY_CONTINUATION_FRAME, s)
#define LAST(s) FRAME(1, WSLAY_CONTINUATION_FRAME, s)
#define PING(s) FRAME(1, WSLAY_PING, s)
#define CLOSE(s) FRAME(1, WSLAY_CONNECTION_CLOSE, s)
#define EXPECT(texts, out, code) { texts, out, sizeof(out) - 1, code }
#define OPEN(texts, out) EXPECT(texts, out, 0)

/* The server's close frames: unmasked, a code and no reason. */
#define CLOSE_1002 "\x88\x02\x03\xea"
#define FAIL(low_byte, code) EXPECT("", "\x88\x02\x03" low_byte, code)

static const struct want table[] = {
    { "single text", { TEXT("hello") }, OPEN("hello\n", "") },
    { "empty text", { TEXT("") }, OPEN("\n", "") },
    { "two messages in one read", { TEXT("one"), TEXT("two") }, OPEN("one\ntwo\n", "") },
    { "fragmented text", { FIRST("hel"), MORE("l"), LAST("o") }, OPEN("hello\n", "") },
    { "ping", { PING("pp") }, OPEN("", "\x8a\x02pp") },
    { "empty ping", { PING("") }, OPEN("", "\x8a\x00") },
    { "ping between fragments", { FIRST("hel"), PING("p"), LAST("lo") },
      OPEN("hello\n", "\x8a\x01p") },
    { "pong ignored", { FRAME(1, WSLAY_PONG, "x"), TEXT("a") }, OPEN("a\n", "") },
    { "UTF-8 across fragments", { FIRST("caf\xc3"), LAST("\xa9") }, OPEN("caf\xc3\xa9\n", "") },
    { "at the limit", { { 1, 0, WSLAY_TEXT_FRAME, "a", MAX_MESSAGE, 0 } }, OPEN(A64 "\n", "") },
    { "close echoed, bytes after ignored", { CLOSE("\x03\xe9" "bye"), TEXT("late") },
      EXPECT("", "\x88\x05\x03\xe9" "bye", 1001) },
    { "close without a code", { CLOSE("") }, EXPECT("", "\x88\x00", 1005) },
    { "text then close", { TEXT("last"), CLOSE("\x03\xe8") }, EXPECT("last\n", "\x88\x02\x03\xe8",
      1000) },
    { "oversized", { { 1, 0, WSLAY_TEXT_FRAME, "a", MAX_MESSAGE + 1, 0 } }, FAIL("\xf1", 1009) },
    { "oversized in fragments", { { 0, 0, WSLAY_TEXT_FRAME, "a", 40, 0 },
      { 1, 0, WSLAY_CONTINUATION_FRAME, "a", 25, 0 } }, FAIL("\xf1", 1009) },
    { "unmasked", { { 1, 0, WSLAY_TEXT_FRAME, "hello", 0, UNMASKED } }, FAIL("\xea", 1002) },
    { "fragmented ping", { FRAME(0, WSLAY_PING, "p"), LAST("q") }, FAIL("\xea", 1002) },
    { "ping, then a fragmented one", { PING("p"), FRAME(0, WSLAY_PING, "q") },
      EXPECT("", "\x8a\x01p" CLOSE_1002, 1002) },
    { "ping of 126 bytes", { { 1, 0, WSLAY_PING, "p", 126, LONG_CONTROL } }, FAIL("\xea", 1002) },
    { "close of 126 bytes", { { 1, 0, WSLAY_CONNECTION_CLOSE, "\x03", 126, LONG_CONTROL } },
      FAIL("\xea", 1002) },
    { "bad UTF-8", { TEXT("\xc3\x28") }, FAIL("\xef", 1007) },
    { "bad UTF-8 across fragments", { FIRST("ok\xc3"), LAST("\x28") }, FAIL("\xef", 1007) },
    { "UTF-8 cut at the end", { TEXT("\xe2\x82") }, FAIL("\xef", 1007) },
    { "UTF-16 surrogate", { TEXT("\xed\xa0\x80") }, FAIL("\xef", 1007) },
    { "binary", { FRAME(1, WSLAY_BINARY_FRAME, "ab") }, FAIL("\xeb", 1003) },
    { "text, then binary", { TEXT("ok"), FRAME(0, WSLAY_BINARY_FRAME, "ab") },
      EXPECT("ok\n", "\x88\x02\x03\xeb", 1003) },
    { "reserved bit", { { 1, 4, WSLAY_TEXT_FRAME, "ab", 0, 0 } }, FAIL("\xea", 1002) },
    { "reserved opcode 3", { FRAME(1, 3, "ab") }, FAIL("\xea", 1002) },
    { "reserved opcode 0xb", { FRAME(1, 0xb, "ab") }, FAIL("\xea", 1002) },
    { "continuation first", { LAST("ab") }, FAIL("\xea", 1002) },
    { "text inside a fragmented one", { FIRST("ab"), TEXT("cd") }, FAIL("\xea", 1002) },
    { "close with one byte", { CLOSE("\x03") }, FAIL("\xea", 1002) },
    { "close with code 1005", { CLOSE("\x03\xed") }, FAIL("\xea", 1002) },
};

struct raw_want {
    const char *name;
    const char *bytes;
    size_t len;
    struct expect e;
};

#define RAW(s) s, sizeof(s) - 1
#define NO_MASK "\x00\x00\x00\x00" /* masked, with a key that changes nothing */

/* What wslay's frame API cannot build: lengths not in their shortest form. */
static const struct raw_want raw_table[] = {
    { "16-bit length for 5", RAW("\x81\xfe\x00\x05" NO_MASK "hello"), FAIL("\xea", 1002) },
    { "64-bit length for 5", RAW("\x81\xff\x00\x00\x00\x00\x00\x00\x00\x05" NO_MASK "hello"),
      FAIL("\xea", 1002) },
    { "text, then 16-bit length for 5", RAW("\x81\x82" NO_MASK "ok\x81\xfe\x00\x05" NO_MASK
      "hello"), EXPECT("ok\n", CLOSE_1002, 1002) },
};

/* --- a client's side ------------------------------------------------------------------- */

static ssize_t to_buf(const uint8_t *data, size_t len, int flags, void *user)
{
    (void)flags;
    buf_append(user, data, len);
    return (ssize_t)len;
}

static ssize_t no_recv(uint8_t *buf, size_t len, int flags, void *user)
{
    (void)buf, (void)len, (void)flags, (void)user;
    return -1;
}

static int fixed_mask(uint8_t *buf, size_t len, void *user)
{
    (void)user;
    memcpy(buf, "\x5a\xa5\x3c\xc3", len < 4 ? len : 4);
    return 0;
}

/* One client frame. A control frame above 125 bytes, which wslay will not build, is built as
 * a text frame and given its opcode after. */
static void put_frame(struct buf *wire, const struct frame *f)
{
    static const struct wslay_frame_callbacks cb = { to_buf, no_recv, fixed_mask };
    wslay_frame_context_ptr fc;
    assert_int_equal(wslay_frame_context_init(&fc, &cb, wire), 0);
    static char payload[70000];
    size_t n = f->repeat ? f->repeat : strlen(f->payload), start = wire->len;
    assert_true(n <= sizeof(payload));
    memset(payload, f->payload[0], n);
    if (!f->repeat)
        memcpy(payload, f->payload, n);
    bool relabel = f->flags & LONG_CONTROL;
    struct wslay_frame_iocb io = {
        .fin = f->fin, .rsv = f->rsv, .opcode = relabel ? WSLAY_TEXT_FRAME : f->opcode,
        .mask = !(f->flags & UNMASKED), .payload_length = n, .data = (const uint8_t *)payload,
        .data_length = n,
    };
    assert_int_equal(wslay_frame_send(fc, &io), (ssize_t)n);
    if (relabel)
        wire->data[start] = (char)((wire->data[start] & 0xf0) | f->opcode);
    wslay_frame_context_free(fc);
}

static void put_frames(struct buf *wire, const struct frame *frames)
{
    for (; frames->payload; frames++)
        put_frame(wire, frames);
}

struct reader {
    const struct buf *wire;
    size_t pos;
    struct buf *texts;
};

static ssize_t reader_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                           void *user)
{
    struct reader *r = user;
    (void)flags;
    size_t n = r->wire->len - r->pos < len ? r->wire->len - r->pos : len;
    if (n == 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    memcpy(buf, r->wire->data + r->pos, n);
    r->pos += n;
    return (ssize_t)n;
}

static void reader_message(wslay_event_context_ptr ctx,
                           const struct wslay_event_on_msg_recv_arg *arg, void *user)
{
    struct reader *r = user;
    (void)ctx;
    if (arg->opcode == WSLAY_TEXT_FRAME) {
        if (arg->msg_length)
            buf_append(r->texts, arg->msg, arg->msg_length);
        buf_append(r->texts, "\n", 1);
    }
}

/* Reads the server's frames as a client does: each text message, then '\n'. */
static void read_as_client(const struct buf *wire, struct buf *texts)
{
    struct wslay_event_callbacks cb = { .recv_callback = reader_recv,
                                        .on_msg_recv_callback = reader_message };
    struct reader r = { .wire = wire, .texts = texts };
    wslay_event_context_ptr ctx;
    assert_int_equal(wslay_event_context_client_init(&ctx, &cb, &r), 0);
    assert_int_equal(wslay_event_recv(ctx), 0);
    assert_int_equal(r.pos, wire->len);
    assert_true(wslay_event_get_read_enabled(ctx)); /* no protocol error seen */
    wslay_event_context_free(ctx);
}

/* --- the server's side ----------------------------------------------------------------- */

struct seen {
    struct buf texts;
    uint16_t code;
    int n_closed;
    struct ws *w;       /* for the events that answer */
    bool echo;          /* send each text back from inside the event, close on "bye" */
    int last_send;
};

static void on_text(void *ctx, const char *data, size_t n)
{
    struct seen *s = ctx;
    buf_append(&s->texts, data, n);
    buf_append(&s->texts, "\n", 1);
    if (s->echo && n == 3 && memcmp(data, "bye", 3) == 0)
        ws_close(s->w, WS_CLOSE_NORMAL, "bye");
    else if (s->echo)
        s->last_send = ws_send_text(s->w, data, n);
}

static void on_closed(void *ctx, uint16_t code)
{
    struct seen *s = ctx;
    s->code = code;
    s->n_closed++;
}

static const struct ws_events events = { on_text, on_closed };

static void seen_init(struct seen *s)
{
    memset(s, 0, sizeof(*s));
    buf_init(&s->texts);
}

static void check_bytes(const char *name, const char *what, const struct buf *got,
                        const char *want, size_t want_len)
{
    if (got->len == want_len && memcmp(got->data ? got->data : "", want, want_len) == 0)
        return;
    char hex[512] = "";
    for (size_t i = 0; i < got->len && i < 100; i++)
        snprintf(hex + 3 * i, 4, " %02x", (unsigned char)got->data[i]);
    fail_msg("%s: %s of %zu bytes, wanted %zu:%s", name, what, got->len, want_len, hex);
}

/* Feeds wire in pieces cut at cuts[] (ascending), trimming between them; checks the outcome. */
static void feed_cut(const char *name, const struct buf *wire, const size_t *cuts, size_t n_cuts,
                     const struct expect *e)
{
    struct seen s;
    struct buf out;
    seen_init(&s);
    buf_init(&out);
    struct ws *w = ws_new(MAX_MESSAGE, &events, &s);
    size_t pos = 0, used;
    int rc = PL_OK;
    for (size_t i = 0; i <= n_cuts && rc == PL_OK; i++) {
        size_t end = i < n_cuts ? cuts[i] : wire->len;
        rc = ws_feed(w, wire->data + pos, end - pos, &used);
        if (rc == PL_OK && used != end - pos)
            fail_msg("%s: %zu of %zu bytes taken", name, used, end - pos);
        pos = end;
        ws_output(w, &out);
        ws_trim(w); /* must never lose what is under way */
    }
    check_bytes(name, "texts", &s.texts, e->texts, strlen(e->texts));
    check_bytes(name, "output", &out, e->out, e->out_len);
    if (s.n_closed != (e->closed ? 1 : 0) || s.code != e->closed || ws_closed(w) != !!e->closed)
        fail_msg("%s: closed %d times, code %u, wanted %u", name, s.n_closed, s.code, e->closed);
    if (e->closed) {
        assert_int_equal(ws_feed(w, "\x81", 1, &used), PL_ECLOSED);
        assert_int_equal(used, 0);
        assert_int_equal(ws_send_text(w, "x", 1), PL_ECLOSED);
    }
    ws_free(w);
    buf_fini(&out);
    buf_fini(&s.texts);
}

static void feed_every_way(const char *name, const struct buf *wire, const struct expect *e)
{
    static size_t cuts[1024];
    assert_true(wire->len <= ARRAY_LEN(cuts));
    feed_cut(name, wire, NULL, 0, e);
    for (size_t k = 1; k < wire->len; k++)
        cuts[k - 1] = k;
    feed_cut(name, wire, cuts, wire->len ? wire->len - 1 : 0, e);
    for (size_t k = 1; k < wire->len; k++)
        feed_cut(name, wire, &k, 1, e);
}

static void test_frames(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(table); i++) {
        struct buf wire;
        buf_init(&wire);
        put_frames(&wire, table[i].frames);
        feed_every_way(table[i].name, &wire, &table[i].e);
        buf_fini(&wire);
    }
}

static void test_raw_frames(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(raw_table); i++) {
        struct buf wire;
        buf_init(&wire);
        buf_append(&wire, raw_table[i].bytes, raw_table[i].len);
        feed_every_way(raw_table[i].name, &wire, &raw_table[i].e);
        buf_fini(&wire);
    }
}

/*
 * wslay checks a close reason's UTF-8 skipping the first two bytes of each piece of the frame
 * it has read, not of the payload: whole, a bad reason is refused, but cut after the code it is
 * echoed, and a good one cut inside a character is refused. Only whole frames are pinned here.
 */
static void test_close_reason_utf8(void **state)
{
    (void)state;
    static const struct {
        struct frame frames[2];
        struct expect e;
    } cases[] = {
        { { CLOSE("\x03\xe8\xff") }, FAIL("\xef", 1007) },
        { { CLOSE("\x03\xe8" "caf\xc3\xa9") }, EXPECT("", "\x88\x07\x03\xe8" "caf\xc3\xa9", 1000) },
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct buf wire;
        buf_init(&wire);
        put_frames(&wire, cases[i].frames);
        feed_cut("close reason", &wire, NULL, 0, &cases[i].e);
        buf_fini(&wire);
    }
}

static void test_send_text(void **state)
{
    (void)state;
    struct seen s;
    struct buf out, texts;
    seen_init(&s);
    buf_init(&out);
    buf_init(&texts);
    struct ws *w = ws_new(MAX_MESSAGE, &events, &s);
    static char big[10000];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (char)('a' + i % 26);
    assert_int_equal(ws_send_text(w, "hello", 5), PL_OK);
    ws_output(w, &out);
    check_bytes("send", "output", &out, "\x81\x05" "hello", 7);
    assert_int_equal(ws_send_text(w, "", 0), PL_OK);
    assert_int_equal(ws_send_text(w, big, sizeof(big)), PL_OK); /* above wslay's 4 KiB */
    assert_true(ws_trim(w));
    assert_int_equal(ws_send_text(w, "after trim", 10), PL_OK);
    ws_output(w, &out);
    read_as_client(&out, &texts);
    assert_int_equal(texts.len, 6 + 1 + sizeof(big) + 1 + 11);
    assert_memory_equal(texts.data, "hello\n\n", 7);
    assert_memory_equal(texts.data + 7, big, sizeof(big));
    assert_string_equal(texts.data + 7 + sizeof(big), "\nafter trim\n");
    ws_free(w);
    buf_fini(&out);
    buf_fini(&texts);
    buf_fini(&s.texts);
}

/* Events may answer from inside ws_feed: their frames go out in order with wslay's pong. */
static void test_answer_from_event(void **state)
{
    (void)state;
    struct seen s;
    struct buf wire, out;
    seen_init(&s);
    buf_init(&wire);
    buf_init(&out);
    struct ws *w = ws_new(MAX_MESSAGE, &events, &s);
    s.w = w;
    s.echo = true;
    const struct frame frames[] = { TEXT("one"), PING("p"), TEXT("two"), TEXT("bye"),
                                    TEXT("late"), { 0 } };
    put_frames(&wire, frames);
    size_t used;
    assert_int_equal(ws_feed(w, wire.data, wire.len, &used), PL_OK);
    ws_output(w, &out);
    static const char want[] = "\x81\x03one\x8a\x01p\x81\x03two\x88\x05\x03\xe8" "bye";
    check_bytes("echo", "output", &out, want, sizeof(want) - 1);
    assert_string_equal(s.texts.data, "one\ntwo\nbye\nlate\n"); /* still read after our close */
    assert_int_equal(s.last_send, PL_ECLOSED);
    assert_false(ws_closed(w));
    ws_free(w);
    buf_fini(&wire);
    buf_fini(&out);
    buf_fini(&s.texts);
}

/* Our close, then the peer's answer: one close frame each way, one closed event. */
static void test_close_handshake(void **state)
{
    (void)state;
    struct seen s;
    struct buf wire, out;
    seen_init(&s);
    buf_init(&wire);
    buf_init(&out);
    struct ws *w = ws_new(MAX_MESSAGE, &events, &s);
    ws_close(w, WS_CLOSE_GOING_AWAY, "going");
    ws_close(w, WS_CLOSE_NORMAL, "twice");
    assert_int_equal(ws_send_text(w, "x", 1), PL_ECLOSED);
    assert_false(ws_trim(w)); /* the answer is awaited */
    const struct frame frames[] = { TEXT("still read"), CLOSE("\x03\xe9"), { 0 } };
    put_frames(&wire, frames);
    size_t used;
    assert_int_equal(ws_feed(w, wire.data, wire.len, &used), PL_ECLOSED);
    ws_output(w, &out);
    check_bytes("close", "output", &out, "\x88\x07\x03\xe9" "going", 9);
    assert_string_equal(s.texts.data, "still read\n");
    assert_int_equal(s.n_closed, 1);
    assert_int_equal(s.code, 1001);
    assert_true(ws_closed(w));
    assert_true(ws_trim(w));
    ws_free(w);
    buf_fini(&wire);
    buf_fini(&out);
    buf_fini(&s.texts);
}

static void feed_ok(struct ws *w, const struct buf *wire, size_t from, size_t to)
{
    size_t used;
    assert_int_equal(ws_feed(w, wire->data + from, to - from, &used), PL_OK);
    assert_int_equal(used, to - from);
}

/* ws_trim releases between messages only. */
static void test_trim(void **state)
{
    (void)state;
    struct seen s;
    struct buf wire;
    seen_init(&s);
    buf_init(&wire);
    struct ws *w = ws_new(MAX_MESSAGE, &events, &s);
    assert_false(ws_trim(w)); /* nothing to release yet */
    const struct frame frames[] = { TEXT("hello"), FIRST("ab"), LAST("cd"), TEXT("x"), { 0 } };
    put_frames(&wire, frames);
    size_t second = 11, third = second + 8, fourth = third + 8; /* each frame: 6 + payload */
    feed_ok(w, &wire, 0, 3);
    assert_false(ws_trim(w)); /* inside a frame's header */
    feed_ok(w, &wire, 3, second + 1);
    assert_false(ws_trim(w)); /* one byte of the next frame */
    feed_ok(w, &wire, second + 1, third);
    assert_false(ws_trim(w)); /* between a message's fragments */
    feed_ok(w, &wire, third, fourth);
    assert_true(ws_trim(w));
    assert_false(ws_trim(w));
    feed_ok(w, &wire, fourth, wire.len);
    assert_string_equal(s.texts.data, "hello\nabcd\nx\n");
    ws_free(w);
    /* Frames with 16- and 64-bit lengths are counted whole too. */
    w = ws_new(100000, &events, &s);
    const struct frame long_frames[] = { { 1, 0, WSLAY_TEXT_FRAME, "b", 126, 0 },
                                         { 1, 0, WSLAY_TEXT_FRAME, "c", 65536, 0 }, { 0 } };
    for (const struct frame *f = long_frames; f->payload; f++) {
        buf_reset(&wire);
        put_frame(&wire, f);
        feed_ok(w, &wire, 0, wire.len);
        assert_true(ws_trim(w));
    }
    assert_int_equal(s.texts.len, 13 + 127 + 65537);
    ws_free(w);
    buf_fini(&wire);
    buf_fini(&s.texts);
}

static void ignore_text(void *ctx, const char *data, size_t n) { (void)ctx, (void)data, (void)n; }
static void ignore_closed(void *ctx, uint16_t code) { (void)ctx, (void)code; }

/* An idle WebSocket, trimmed, costs well under 1 KiB; wslay's context is not part of it. */
static void test_idle_memory(void **state)
{
    (void)state;
    static const struct ws_events quiet = { ignore_text, ignore_closed };
    struct ws *ws[32];
    struct buf wire, out;
    buf_init(&wire);
    buf_init(&out);
    put_frame(&wire, &(struct frame)TEXT("<message/>"));
    size_t before = heap_in_use();
    for (size_t i = 0; i < ARRAY_LEN(ws); i++) {
        ws[i] = ws_new(MAX_MESSAGE, &quiet, NULL);
        feed_ok(ws[i], &wire, 0, wire.len);
        assert_int_equal(ws_send_text(ws[i], "<message/>", 10), PL_OK);
        ws_output(ws[i], &out);
        assert_true(ws_trim(ws[i]));
    }
    size_t each = (heap_in_use() - before) / ARRAY_LEN(ws);
    if (each > 1024)
        fail_msg("an idle WebSocket holds %zu bytes", each);
    for (size_t i = 0; i < ARRAY_LEN(ws); i++)
        ws_free(ws[i]);
    buf_fini(&wire);
    buf_fini(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frames),
        cmocka_unit_test(test_raw_frames),
        cmocka_unit_test(test_close_reason_utf8),
        cmocka_unit_test(test_send_text),
        cmocka_unit_test(test_answer_from_event),
        cmocka_unit_test(test_close_handshake),
        cmocka_unit_test(test_trim),
        cmocka_unit_test(test_idle_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
