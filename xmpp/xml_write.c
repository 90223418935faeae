/* SPDX-License-Identifier: MIT */
/* Serializes element trees with correct escaping and minimal namespace declarations. */
#include <stdio.h>
#include <string.h>

#include "ns.h"
#include "stanza.h"

void xml_escape(const char *s, size_t n, struct buf *out)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        const char *rep;
        switch (s[i]) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '\'': rep = "&apos;"; break;
        case '"': rep = "&quot;"; break;
        default: continue;
        }
        buf_append(out, s + run, i - run);
        buf_puts(out, rep);
        run = i + 1;
    }
    buf_append(out, s + run, n - run);
}

static void write_attr(const char *prefix, const char *name, const char *value, struct buf *out)
{
    buf_append(out, " ", 1);
    if (prefix) {
        buf_puts(out, prefix);
        buf_append(out, ":", 1);
    }
    buf_puts(out, name);
    buf_append(out, "='", 2);
    xml_escape(value, strlen(value), out);
    buf_append(out, "'", 1);
}

static void write_attrs(const struct xel *el, struct buf *out)
{
    int extra = 0;
    for (const struct xattr *a = el->attrs; a; a = a->next) {
        if (!a->ns) {
            write_attr(NULL, a->name, a->value, out);
        } else if (strcmp(a->ns, NS_XML) == 0) {
            write_attr("xml", a->name, a->value, out);
        } else {
            /* Foreign-namespace attributes are rare: declare a prefix right here. */
            char prefix[16];
            snprintf(prefix, sizeof(prefix), "ns%d", ++extra);
            buf_printf(out, " xmlns:%s='", prefix);
            xml_escape(a->ns, strlen(a->ns), out);
            buf_append(out, "'", 1);
            write_attr(prefix, a->name, a->value, out);
        }
    }
}

/* Writes the start tag; returns the default namespace in scope for the children. */
static const char *write_start(const struct xel *el, const char *parent_ns, struct buf *out)
{
    buf_append(out, "<", 1);
    if (el->ns && strcmp(el->ns, NS_STREAM) == 0) {
        buf_puts(out, "stream:");
        buf_puts(out, el->name);
        if (!parent_ns) /* written on its own (a framed message): nothing above declares it */
            buf_puts(out, " xmlns:stream='" NS_STREAM "'");
        write_attrs(el, out);
        return parent_ns;
    }
    buf_puts(out, el->name);
    const char *ns = el->ns ? el->ns : "";
    if (!parent_ns || strcmp(ns, parent_ns) != 0) {
        buf_puts(out, " xmlns='");
        xml_escape(ns, strlen(ns), out);
        buf_append(out, "'", 1);
    }
    write_attrs(el, out);
    return ns;
}

void xel_write(const struct xel *el, const char *parent_ns, struct buf *out)
{
    if (!el->name) {
        xml_escape(el->text, el->text_len, out);
        return;
    }
    const char *ns = write_start(el, parent_ns, out);
    if (!el->first) {
        buf_append(out, "/>", 2);
        return;
    }
    buf_append(out, ">", 1);
    for (const struct xel *c = el->first; c; c = c->next)
        xel_write(c, ns, out);
    xel_write_close(el, out);
}

const char *xel_write_open(const struct xel *el, const char *parent_ns, struct buf *out)
{
    const char *ns = write_start(el, parent_ns, out);
    buf_append(out, ">", 1);
    return ns;
}

void xel_write_close(const struct xel *el, struct buf *out)
{
    buf_append(out, "</", 2);
    if (el->ns && strcmp(el->ns, NS_STREAM) == 0)
        buf_puts(out, "stream:");
    buf_puts(out, el->name);
    buf_append(out, ">", 1);
}

void stanza_splice_to(struct buf *out, const char *bytes, size_t n, size_t head, const char *to)
{
    buf_append(out, bytes, head);
    buf_puts(out, " to='");
    xml_escape(to, strlen(to), out);
    buf_append(out, "'", 1);
    buf_append(out, bytes + head, n - head);
}

void stanza_write(const struct stanza *st, struct buf *out)
{
    xel_write(st->root, NS_CLIENT, out);
}
