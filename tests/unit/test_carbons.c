/* SPDX-License-Identifier: MIT */
/* Table-driven tests of message classes (XEP-0280 eligibility, XEP-0352 chat-state-only) and
 * of the inactive client's hold queue (newest per sender and kind, in order, bounded). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base.h"
#include "csi_queue.h"
#include "msgclass.h"
#include "parser.h"

static void keep(void *ctx, struct stanza *st) { *(struct stanza **)ctx = st; }
static void on_open(void *ctx, const struct xel *h, const char *ns)
{
    (void)ctx, (void)h, (void)ns;
}
static void on_close(void *ctx) { (void)ctx; }

/* Parses one stanza written in a jabber:client stream (owned by the caller). */
static struct stanza *parse(const char *xml)
{
    static const struct parser_events ev = { on_open, keep, on_close };
    const struct parser_limits lim = { 65536, 32, 32 };
    struct stanza *st = NULL;
    struct parser *p = parser_new(&lim, &ev, &st);
    const char *head = "<stream:stream xmlns='jabber:client' "
                       "xmlns:stream='http://etherx.jabber.org/streams'>";
    size_t used;
    enum parser_error err;
    assert_int_equal(parser_feed(p, head, strlen(head), &used, &err), PL_OK);
    assert_int_equal(parser_feed(p, xml, strlen(xml), &used, &err), PL_OK);
    parser_free(p);
    assert_non_null(st);
    return st;
}

struct class_case {
    const char *xml;
    bool carbon;    /* copied to other resources */
    bool chatstate; /* chat-state-only: may wait while the client is inactive */
};

#define CS "<composing xmlns='http://jabber.org/protocol/chatstates'/>"
static const struct class_case class_cases[] = {
    { "<message type='chat'><body>hi</body></message>", true, false },
    { "<message type='chat'/>", true, false },
    { "<message><body>hi</body></message>", true, false },
    { "<message type='normal'/>", false, false },
    { "<message type='chat'>" CS "</message>", true, true },
    { "<message>" CS "<thread>t</thread></message>", true, true },
    { "<message type='headline'><body>news</body></message>", false, false },
    { "<message type='groupchat'><body>room</body></message>", false, false },
    { "<message type='error'><body>x</body></message>", false, false },
    { "<message><received xmlns='urn:xmpp:receipts' id='a'/></message>", true, false },
    { "<message><displayed xmlns='urn:xmpp:chat-markers:0' id='a'/></message>", true, false },
    { "<message type='chat'><body>x</body><private xmlns='urn:xmpp:carbons:2'/></message>",
      false, false },
    { "<message type='chat'><body>x</body><no-copy xmlns='urn:xmpp:hints'/></message>", false,
      false },
    { "<message type='chat'><body>x</body><no-store xmlns='urn:xmpp:hints'/></message>", true,
      false },
    { "<message type='chat'><received xmlns='urn:xmpp:carbons:2'/></message>", false, false },
    { "<message type='chat'><body>pm</body>"
      "<x xmlns='http://jabber.org/protocol/muc#user'/></message>", false, false },
    { "<message><body>fixed</body><replace xmlns='urn:xmpp:message-correct:0' id='a'/>"
      "</message>", true, false },
    { "<message><retract xmlns='urn:xmpp:message-retract:1' id='a'/></message>", true, false },
    { "<message><event xmlns='http://jabber.org/protocol/pubsub#event'/></message>", false,
      false },
    { "<message type='chat'>" CS "<body>hi</body></message>", true, false },
    { "<message type='error'>" CS "</message>", false, false },
    { "<presence/>", false, false },
};

static void test_classes(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(class_cases); i++) {
        struct stanza *st = parse(class_cases[i].xml);
        unsigned cls = msgclass_of(st);
        bool carbon = st->kind == STANZA_MESSAGE && msgclass_carbons_eligible(cls, st->type);
        if (carbon != class_cases[i].carbon ||
            msgclass_chatstate_only(cls, st->type) != class_cases[i].chatstate)
            fail_msg("case %zu: %s", i, class_cases[i].xml);
        stanza_unref(st);
    }
}

/* Each step holds one stanza; want lists the 'from' and first child of what is held after. */
struct hold_step {
    const char *xml;
    bool held;
    const char *want;
};

#define P(from, show) "<presence from='" from "'><show>" show "</show></presence>"
#define M(from, state) "<message from='" from "'><" state \
                       " xmlns='http://jabber.org/protocol/chatstates'/></message>"
static const struct hold_step hold_steps[] = {
    { P("a@x/1", "away"), true, "a@x/1:show" },
    { M("a@x/1", "composing"), true, "a@x/1:show a@x/1:composing" },
    { P("b@x/1", "dnd"), true, "a@x/1:show a@x/1:composing b@x/1:show" },
    { P("a@x/1", "xa"), true, "a@x/1:composing b@x/1:show a@x/1:show" },
    { M("a@x/1", "paused"), true, "b@x/1:show a@x/1:show a@x/1:paused" },
    { P("a@x/2", "chat"), false, "b@x/1:show a@x/1:show a@x/1:paused" }, /* full: 3 */
    { P("b@x/1", "away"), true, "a@x/1:show a@x/1:paused b@x/1:show" },
};

static void held_text(struct csi_queue *q, char *out, size_t n)
{
    out[0] = '\0';
    for (size_t i = 0; i < q->n; i++) {
        const struct xel *c = xel_first_elem(q->items[i].st->root);
        size_t len = strlen(out);
        snprintf(out + len, n - len, "%s%s:%s", i ? " " : "", q->items[i].key, c->name);
    }
}

static void test_hold_queue(void **state)
{
    (void)state;
    struct csi_queue q = { 0 };
    char got[256];
    for (size_t i = 0; i < ARRAY_LEN(hold_steps); i++) {
        struct stanza *st = parse(hold_steps[i].xml);
        assert_int_equal(csi_queue_hold(&q, st, st->from, 3), hold_steps[i].held);
        stanza_unref(st);
        held_text(&q, got, sizeof(got));
        if (strcmp(got, hold_steps[i].want) != 0)
            fail_msg("step %zu: held '%s', want '%s'", i, got, hold_steps[i].want);
    }
    size_t n;
    struct stanza **items = csi_queue_take(&q, &n);
    assert_int_equal(n, 3);
    assert_int_equal(q.n, 0);
    for (size_t i = 0; i < n; i++)
        stanza_unref(items[i]);
    free(items);
    assert_null(csi_queue_take(&q, &n));
    assert_int_equal(n, 0);
    struct stanza *st = parse(P("c@x/1", "away"));
    assert_true(csi_queue_hold(&q, st, st->from, 3));
    stanza_unref(st);
    csi_queue_clear(&q); /* ASan: nothing leaks */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classes),
        cmocka_unit_test(test_hold_queue),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
