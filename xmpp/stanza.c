/* SPDX-License-Identifier: MIT */
/* Stanza arena, builders, accessors and the parse-time summary. */
#include "stanza.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "ns.h"

/* A stanza's first malloc, header included: glibc serves up to 1032 bytes from its per-thread
 * cache, and every parsed stanza takes and returns one of these. */
#define ARENA_FIRST 1024
#define ARENA_MAX_BLOCK (64 * 1024)
#define ALIGN 16

struct arena_block {
    struct arena_block *next;
    size_t size;
    _Alignas(ALIGN) char data[];
};

static size_t align_up(size_t n) { return (n + ALIGN - 1) & ~(size_t)(ALIGN - 1); }

/* A stanza whose first block holds its header and room bytes more. */
static struct stanza *new_with_room(size_t room)
{
    size_t size = align_up(sizeof(struct stanza)) + align_up(room);
    /* The stanza header lives at the start of its own first block: one malloc per stanza. */
    struct arena_block *b = xmalloc(sizeof(*b) + size);
    b->next = NULL;
    b->size = size;
    struct stanza *st = (struct stanza *)b->data;
    memset(st, 0, sizeof(*st));
    st->refs = 1;
    st->blocks = b;
    st->cur = b->data + align_up(sizeof(*st));
    st->end = b->data + size;
    return st;
}

struct stanza *stanza_new_empty(void)
{
    return new_with_room(ARENA_FIRST - sizeof(struct arena_block) - align_up(sizeof(struct stanza)));
}

/* Arena bytes in use, the header included; older blocks count whole (they filled up). */
static size_t arena_used(const struct stanza *st)
{
    size_t used = (size_t)(st->cur - st->blocks->data);
    for (const struct arena_block *b = st->blocks->next; b; b = b->next)
        used += b->size;
    return used;
}

struct stanza *stanza_compact(const struct stanza *src)
{
    struct stanza *st = new_with_room(arena_used(src) - align_up(sizeof(struct stanza)));
    st->root = xel_copy_into(st, NULL, src->root);
    stanza_summarize(st);
    return st;
}

struct stanza *stanza_new(const char *name, const char *ns)
{
    struct stanza *st = stanza_new_empty();
    st->root = xel_add_child(st, NULL, name, ns);
    return st;
}

struct stanza *stanza_ref(struct stanza *st)
{
    st->refs++;
    return st;
}

void stanza_unref(struct stanza *st)
{
    if (!st || --st->refs > 0)
        return;
    struct arena_block *b = st->blocks;
    while (b) {
        struct arena_block *next = b->next;
        free(b); /* the block holding *st is the last one in the list */
        b = next;
    }
}

void *stanza_alloc(struct stanza *st, size_t n)
{
    n = align_up(n ? n : 1);
    if ((size_t)(st->end - st->cur) < n) {
        size_t size = st->blocks->size * 2;
        if (size > ARENA_MAX_BLOCK)
            size = ARENA_MAX_BLOCK;
        if (size < n)
            size = n;
        struct arena_block *b = xmalloc(sizeof(*b) + size);
        b->size = size;
        b->next = st->blocks;
        st->blocks = b;
        st->cur = b->data;
        st->end = b->data + size;
    }
    void *p = st->cur;
    st->cur += n;
    return p;
}

char *stanza_strndup(struct stanza *st, const char *s, size_t n)
{
    char *p = stanza_alloc(st, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *stanza_strdup(struct stanza *st, const char *s)
{
    return stanza_strndup(st, s, strlen(s));
}

static struct xel *new_node(struct stanza *st)
{
    struct xel *el = stanza_alloc(st, sizeof(*el));
    memset(el, 0, sizeof(*el));
    return el;
}

void xel_append(struct xel *parent, struct xel *child)
{
    child->next = NULL;
    if (parent->last)
        parent->last->next = child;
    else
        parent->first = child;
    parent->last = child;
}

struct xel *xel_add_child_n(struct stanza *st, struct xel *parent, const char *name,
                            size_t name_len, const char *ns, size_t ns_len)
{
    struct xel *el = new_node(st);
    el->name = stanza_strndup(st, name, name_len);
    el->ns = ns ? stanza_strndup(st, ns, ns_len) : NULL;
    if (parent)
        xel_append(parent, el);
    return el;
}

struct xel *xel_add_child(struct stanza *st, struct xel *parent, const char *name,
                          const char *ns)
{
    return xel_add_child_n(st, parent, name, strlen(name), ns, ns ? strlen(ns) : 0);
}

static struct xattr *find_attr(const struct xel *el, const char *name)
{
    for (struct xattr *a = el->attrs; a; a = a->next)
        if (!a->ns && strcmp(a->name, name) == 0)
            return a;
    return NULL;
}

void xel_set_attr(struct stanza *st, struct xel *el, const char *name, const char *value)
{
    struct xattr *a = find_attr(el, name);
    if (!value) {
        for (struct xattr **pp = &el->attrs; *pp; pp = &(*pp)->next)
            if (*pp == a) {
                *pp = a->next;
                break;
            }
        return;
    }
    if (!a) {
        a = stanza_alloc(st, sizeof(*a));
        a->name = stanza_strdup(st, name);
        a->ns = NULL;
        a->next = el->attrs;
        el->attrs = a;
    }
    a->value = stanza_strdup(st, value);
}

void xel_add_text(struct stanza *st, struct xel *el, const char *text, size_t len)
{
    struct xel *t = new_node(st);
    t->text = stanza_strndup(st, text, len);
    t->text_len = len;
    xel_append(el, t);
}

struct xel *xel_add_text_child(struct stanza *st, struct xel *parent, const char *name,
                               const char *text)
{
    struct xel *el = xel_add_child(st, parent, name, parent->ns);
    if (text)
        xel_add_text(st, el, text, strlen(text));
    return el;
}

struct xel *xel_copy_into(struct stanza *st, struct xel *parent, const struct xel *src)
{
    if (!src->name) {
        xel_add_text(st, parent, src->text, src->text_len);
        return parent->last;
    }
    struct xel *el = xel_add_child(st, parent, src->name, src->ns);
    struct xattr **tail = &el->attrs;
    for (const struct xattr *a = src->attrs; a; a = a->next) {
        struct xattr *c = stanza_alloc(st, sizeof(*c));
        c->name = stanza_strdup(st, a->name);
        c->ns = a->ns ? stanza_strdup(st, a->ns) : NULL;
        c->value = stanza_strdup(st, a->value);
        c->next = NULL;
        *tail = c;
        tail = &c->next;
    }
    for (const struct xel *c = src->first; c; c = c->next)
        xel_copy_into(st, el, c);
    return el;
}

struct xel *xel_child(const struct xel *el, const char *name, const char *ns)
{
    for (struct xel *c = el->first; c; c = c->next)
        if (c->name && strcmp(c->name, name) == 0 && (!ns || (c->ns && strcmp(c->ns, ns) == 0)))
            return c;
    return NULL;
}

struct xel *xel_first_elem(const struct xel *el)
{
    for (struct xel *c = el->first; c; c = c->next)
        if (c->name)
            return c;
    return NULL;
}

const char *xel_attr(const struct xel *el, const char *name)
{
    struct xattr *a = find_attr(el, name);
    return a ? a->value : NULL;
}

const char *xel_text(const struct xel *el)
{
    for (struct xel *c = el->first; c; c = c->next)
        if (!c->name)
            return c->text;
    return "";
}

void xel_unlink(struct xel *parent, struct xel *child)
{
    struct xel *prev = NULL;
    for (struct xel *c = parent->first; c && c != child; c = c->next)
        prev = c;
    if (prev)
        prev->next = child->next;
    else if (parent->first == child)
        parent->first = child->next;
    if (parent->last == child)
        parent->last = prev;
}
