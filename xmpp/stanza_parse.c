/* SPDX-License-Identifier: MIT */
/* One serialized stanza back into a tree: for stanzas the server kept as bytes (stored offline
 * or archived, or waiting for a stream management acknowledgement). */
#include <string.h>

#include "base.h"
#include "ns.h"
#include "parser.h"

#define STORED_MAX_DEPTH 64
#define STORED_MAX_ATTRS 64

static void on_open(void *ctx, const struct xel *header, const char *default_ns)
{
    (void)ctx, (void)header, (void)default_ns;
}

static void on_stanza(void *ctx, struct stanza *st)
{
    struct stanza **out = ctx;
    if (*out)
        stanza_unref(st); /* one stanza is asked for: the first wins */
    else
        *out = st;
}

static void on_close(void *ctx) { (void)ctx; }

struct stanza *stanza_parse(const char *bytes, size_t n)
{
    static const char head[] = "<stream:stream xmlns='" NS_CLIENT "' xmlns:stream='" NS_STREAM
                               "'>";
    static const struct parser_events ev = { on_open, on_stanza, on_close };
    struct parser_limits lim = { n + sizeof(head), STORED_MAX_DEPTH, STORED_MAX_ATTRS };
    struct stanza *st = NULL;
    struct parser *p = parser_new(&lim, &ev, &st);
    size_t used;
    enum parser_error err;
    int rc = parser_feed(p, head, sizeof(head) - 1, &used, &err);
    if (rc == PL_OK)
        rc = parser_feed(p, bytes, n, &used, &err);
    parser_free(p);
    if (rc != PL_OK && st) {
        stanza_unref(st);
        st = NULL;
    }
    return st;
}
