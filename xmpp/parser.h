/* SPDX-License-Identifier: MIT */
/* Streaming XML parser (expat) that cuts an XMPP stream into stanzas under strict limits. */
#ifndef PL_PARSER_H
#define PL_PARSER_H

#include <stdbool.h>
#include <stddef.h>

#include "stanza.h"

struct parser_limits {
    size_t max_stanza_bytes; /* one stanza, or anything between two top-level events */
    unsigned max_depth;      /* element nesting inside the stream element */
    unsigned max_attrs;      /* attributes on one element */
};

/* What went wrong; each maps onto one RFC 6120 stream error condition. */
enum parser_error {
    PARSE_OK,
    PARSE_NOT_WELL_FORMED,
    PARSE_RESTRICTED_XML,       /* DTD, entity declaration, comment, processing instruction */
    PARSE_POLICY_VIOLATION,     /* size, depth or attribute limits */
    PARSE_UNSUPPORTED_ENCODING, /* invalid UTF-8 or a declared encoding other than UTF-8 */
};

/*
 * Events go up through these callbacks, called from inside parser_feed:
 * open gets the stream header (borrowed) and the default namespace it declared ("" if none);
 * stanza gets each top-level child and owns it; close fires at the stream's end tag.
 */
struct parser_events {
    void (*open)(void *ctx, const struct xel *header, const char *default_ns);
    void (*stanza)(void *ctx, struct stanza *st);
    void (*close)(void *ctx);
};

struct parser;

/* Returns an owned parser; limits and events are copied. */
struct parser *parser_new(const struct parser_limits *lim, const struct parser_events *ev,
                          void *ctx);
void parser_free(struct parser *p);
/*
 * Feeds bytes. Returns PL_OK with every event delivered, PL_EINVAL with *err set when the
 * input is bad (the parser is then dead), or PL_ECLOSED when a callback called parser_stop;
 * *used then tells how many bytes of data were consumed so the rest can go to a fresh parser.
 */
int parser_feed(struct parser *p, const char *data, size_t len, size_t *used,
                enum parser_error *err);
/* Called from an event callback: stop after the current event (stream restart, close). */
void parser_stop(struct parser *p);
/* Starts over with a fresh expat parser: a new stream header is expected. */
void parser_reset(struct parser *p);
void parser_set_max_stanza(struct parser *p, size_t max_stanza_bytes);
/* Replaces the event callbacks (copied); for an owner that reads the input its own way, e.g.
 * a framed transport, before the first feed. */
void parser_set_events(struct parser *p, const struct parser_events *ev);
/*
 * True when the input so far ends between two top-level elements: inside the stream, no
 * element open and no partial markup held back. A framed transport, whose every message
 * holds whole elements, checks it after each message.
 */
bool parser_between_elements(const struct parser *p);
/*
 * Frees expat's state when no partial input is buffered (between stanzas). The next feed
 * recreates it with the stream's namespace context, so idle streams stay small. Returns
 * true when it released.
 */
bool parser_release_idle(struct parser *p);

#endif
