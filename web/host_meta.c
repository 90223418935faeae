/* SPDX-License-Identifier: MIT */
/* The host-meta documents, built with the XML writer and jansson so that a Host header's
 * bytes can never break out of a value. */
#include "host_meta.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "stanza.h"

#define NS_XRD "http://docs.oasis-open.org/ns/xri/xrd-1.0"
#define REL_WEBSOCKET "urn:xmpp:alt-connections:websocket"
#define REL_BOSH "urn:xmpp:alt-connections:xbosh"

/* https://h → wss://h/xmpp-websocket, and the BOSH URL beside it. */
static void endpoints(const char *base, struct buf *ws, struct buf *bosh)
{
    bool tls = strncmp(base, "https://", 8) == 0;
    const char *authority = strstr(base, "://");
    authority = authority ? authority + 3 : base;
    buf_printf(ws, "%s://%s/xmpp-websocket", tls ? "wss" : "ws", authority);
    buf_printf(bosh, "%s/http-bind", base);
}

static void add_link(struct stanza *st, const char *rel, const struct buf *href)
{
    struct xel *l = xel_add_child(st, st->root, "Link", NS_XRD);
    xel_set_attr(st, l, "rel", rel);
    xel_set_attr(st, l, "href", href->data);
}

void host_meta_xrd(const char *base, struct buf *out)
{
    struct buf ws, bosh;
    buf_init(&ws);
    buf_init(&bosh);
    endpoints(base, &ws, &bosh);
    struct stanza *st = stanza_new("XRD", NS_XRD);
    add_link(st, REL_WEBSOCKET, &ws);
    add_link(st, REL_BOSH, &bosh);
    buf_puts(out, "<?xml version='1.0' encoding='utf-8'?>\n");
    xel_write(st->root, NULL, out);
    stanza_unref(st);
    buf_fini(&ws);
    buf_fini(&bosh);
}

void host_meta_json(const char *base, struct buf *out)
{
    struct buf ws, bosh;
    buf_init(&ws);
    buf_init(&bosh);
    endpoints(base, &ws, &bosh);
    json_t *j = json_pack("{s:[{s:s,s:s},{s:s,s:s}]}", "links", "rel", REL_WEBSOCKET, "href",
                          ws.data, "rel", REL_BOSH, "href", bosh.data);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    if (text)
        buf_puts(out, text);
    free(text);
    json_decref(j);
    buf_fini(&ws);
    buf_fini(&bosh);
}
