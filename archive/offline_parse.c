/* SPDX-License-Identifier: MIT */
/* Reads a stored offline message back into a stanza with the stream parser (expat). */
#include <string.h>

#include "base.h"
#include "offline.h"
#include "parser.h"

/* The stored text was written by the server from a stanza that passed the stream's limits
 * (plus one <delay/>), so these only guard against a damaged store. */
#define PARSE_SLACK 4096
#define PARSE_MAX_DEPTH 256
#define PARSE_MAX_ATTRS 256

static const char stream_head[] = "<stream:stream xmlns='jabber:client'"
                                  " xmlns:stream='http://etherx.jabber.org/streams'>";

struct parsed {
    struct stanza *st;
    unsigned count;
};

static void on_open(void *ctx, const struct xel *header, const char *default_ns)
{
    (void)ctx;
    (void)header;
    (void)default_ns;
}

static void on_stanza(void *ctx, struct stanza *st)
{
    struct parsed *p = ctx;
    if (p->count++ == 0)
        p->st = st;
    else
        stanza_unref(st);
}

static void on_close(void *ctx) { (void)ctx; }

static const struct parser_events parse_events = { on_open, on_stanza, on_close };

struct stanza *offline_parse(const char *xml, size_t len)
{
    struct parser_limits lim = { len + PARSE_SLACK, PARSE_MAX_DEPTH, PARSE_MAX_ATTRS };
    struct parsed p = { NULL, 0 };
    struct parser *ps = parser_new(&lim, &parse_events, &p);
    enum parser_error err = PARSE_OK;
    size_t used;
    int rc = parser_feed(ps, stream_head, strlen(stream_head), &used, &err);
    if (rc == PL_OK)
        rc = parser_feed(ps, xml, len, &used, &err);
    /* Exactly one whole stanza, nothing half-open after it. */
    bool whole = rc == PL_OK && p.count == 1 && parser_release_idle(ps);
    parser_free(ps);
    if (whole && p.st->kind == STANZA_MESSAGE)
        return p.st;
    if (p.st)
        stanza_unref(p.st);
    return NULL;
}
