/* SPDX-License-Identifier: MIT */
/* Element trees living in one arena per stanza, with a refcount and a parse-time summary. */
#ifndef PL_STANZA_H
#define PL_STANZA_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

struct xattr {
    struct xattr *next;
    const char *name;
    const char *ns; /* NULL for unqualified attributes */
    const char *value;
};

/* An element (name != NULL) or a text node (name == NULL, text/text_len set). */
struct xel {
    struct xel *next;
    struct xel *first, *last; /* children */
    const char *name;
    const char *ns;
    struct xattr *attrs;
    const char *text;
    size_t text_len;
};

/* Kind and type bits filled once at parse time; route tables match on the type bits. */
enum stanza_kind { STANZA_OTHER, STANZA_MESSAGE, STANZA_PRESENCE, STANZA_IQ };

enum stanza_type {
    IQ_GET = 1u << 0,
    IQ_SET = 1u << 1,
    IQ_RESULT = 1u << 2,
    IQ_ERROR = 1u << 3,
    MSG_NORMAL = 1u << 4,
    MSG_CHAT = 1u << 5,
    MSG_GROUPCHAT = 1u << 6,
    MSG_HEADLINE = 1u << 7,
    MSG_ERROR = 1u << 8,
    PRES_AVAILABLE = 1u << 9,
    PRES_UNAVAILABLE = 1u << 10,
    PRES_SUBSCRIBE = 1u << 11,
    PRES_SUBSCRIBED = 1u << 12,
    PRES_UNSUBSCRIBE = 1u << 13,
    PRES_UNSUBSCRIBED = 1u << 14,
    PRES_PROBE = 1u << 15,
    PRES_ERROR = 1u << 16,
};
#define IQ_ANY (IQ_GET | IQ_SET | IQ_RESULT | IQ_ERROR)
#define STANZA_ERROR_TYPES (IQ_ERROR | MSG_ERROR | PRES_ERROR)

struct arena_block;

/*
 * A stanza: the root element plus everything it points to, in one arena. Refcounted so
 * fan-out shares one tree. `type` is 0 when the type attribute has an unknown value (a
 * message with an unknown type counts as normal, RFC 6121 §5.2.2).
 * id/to/from borrow the root's attributes (NULL when absent); stanza_set_to/_from keep
 * them in step.
 */
struct stanza {
    int refs;
    enum stanza_kind kind;
    unsigned type;
    const char *id;
    const char *to;
    const char *from;
    struct xel *root;
    struct arena_block *blocks;
    char *cur, *end; /* free space in the newest block */
};

/* Returns a stanza with refcount 1 whose root element is name/ns (both copied). */
struct stanza *stanza_new(const char *name, const char *ns);
/* Returns a stanza with refcount 1 and no root yet: the caller sets st->root. */
struct stanza *stanza_new_empty(void);
/* Returns a copy of src (refcount 1) in an arena sized to fit: for stanzas kept for long,
 * such as a session's last presence, which would otherwise hold a mostly empty block. */
struct stanza *stanza_compact(const struct stanza *src);
struct stanza *stanza_ref(struct stanza *st);
void stanza_unref(struct stanza *st);
/* Recomputes kind/type/id/to/from from the root (after parsing or building). */
void stanza_summarize(struct stanza *st);
/* Sets or removes (value NULL) the root's to/from, keeping the summary in step. */
void stanza_set_to(struct stanza *st, const char *to);
void stanza_set_from(struct stanza *st, const char *from);

/* Arena allocation: memory lives as long as the stanza. */
void *stanza_alloc(struct stanza *st, size_t n);
char *stanza_strndup(struct stanza *st, const char *s, size_t n);
char *stanza_strdup(struct stanza *st, const char *s);

/* Builders: strings are copied into the arena. Return the new element. */
struct xel *xel_add_child(struct stanza *st, struct xel *parent, const char *name,
                          const char *ns);
/* The same with counted strings (ns NULL: no namespace). */
struct xel *xel_add_child_n(struct stanza *st, struct xel *parent, const char *name,
                            size_t name_len, const char *ns, size_t ns_len);
void xel_set_attr(struct stanza *st, struct xel *el, const char *name, const char *value);
void xel_add_text(struct stanza *st, struct xel *el, const char *text, size_t len);
/* Adds <name>text</name> in the parent's namespace (text NULL: an empty element). */
struct xel *xel_add_text_child(struct stanza *st, struct xel *parent, const char *name,
                               const char *text);
/* Appends an existing element (of the same stanza) as the last child. */
void xel_append(struct xel *parent, struct xel *child);
/* Takes child out of parent's children (its memory stays in the stanza's arena). */
void xel_unlink(struct xel *parent, struct xel *child);
/* Deep-copies src (from any stanza) under parent in st. */
struct xel *xel_copy_into(struct stanza *st, struct xel *parent, const struct xel *src);

/* Accessors borrow. ns NULL matches any namespace. */
struct xel *xel_child(const struct xel *el, const char *name, const char *ns);
/* First child element, whatever its name. */
struct xel *xel_first_elem(const struct xel *el);
const char *xel_attr(const struct xel *el, const char *name);
/* Text of the first text child, "" when there is none. */
const char *xel_text(const struct xel *el);

/*
 * Serializes el with correct escaping. parent_ns is the default namespace in scope where
 * el is written (an xmlns attribute is emitted only where the namespace changes); elements
 * in NS_STREAM are written with the "stream:" prefix.
 */
void xel_write(const struct xel *el, const char *parent_ns, struct buf *out);
/* Serializes a whole stanza for a jabber:client stream. */
void stanza_write(const struct stanza *st, struct buf *out);
/* Appends to out a stanza that stanza_write serialized into bytes[0..n) without 'to', with
 * to='to' spliced in after its element name (head: 1 + the name's length): a fan-out
 * serializes once and addresses each recipient. */
void stanza_splice_to(struct buf *out, const char *bytes, size_t n, size_t head, const char *to);
/* Parses one stanza serialized by stanza_write (jabber:client default namespace) back into
 * an owned tree; NULL when bytes are not one well-formed stanza (xmpp/stanza_parse.c). */
struct stanza *stanza_parse(const char *bytes, size_t n);
/* The two ends of el written apart, for a reply whose children go out in slices: the start
 * tag with '>' (returns the default namespace its children are written under) and the end
 * tag. The children in between are the caller's (xel_write with that namespace). */
const char *xel_write_open(const struct xel *el, const char *parent_ns, struct buf *out);
void xel_write_close(const struct xel *el, struct buf *out);
/* Appends s escaped for element text or attribute values. */
void xml_escape(const char *s, size_t n, struct buf *out);

#endif
