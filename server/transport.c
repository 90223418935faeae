/* SPDX-License-Identifier: MIT */
/* What every transport shares: a stanza written once, whether the stream is secure. */
#include "transport.h"

#include <string.h>

#include "base.h"
#include "ns.h"
#include "server.h"
#include "stream.h"

#define SLICE_BUDGET (64 * 1024)

void transport_send_stanza(struct transport *t, const struct stanza *st)
{
    struct buf *b = server_buf_take(t->srv);
    stanza_write(st, b);
    transport_send(t, b->data, b->len);
    server_buf_give(t->srv, b);
}

bool transport_secure(const struct transport *t) { return stream_tls_active(t->stream); }

/* Where the element's name ends when its start tag declares no default namespace; 0 when it
 * declares one. Our writer's attribute values never hold a bare quote, so " xmlns=" inside
 * the start tag can only be the declaration. */
static size_t missing_ns_at(const char *bytes, size_t n)
{
    const char *end = memchr(bytes, '>', n);
    if (!end || bytes[0] != '<')
        return 0;
    size_t tag = (size_t)(end - bytes);
    for (size_t i = 0; i + 7 <= tag; i++)
        if (memcmp(bytes + i, " xmlns=", 7) == 0)
            return 0;
    return strcspn(bytes, " />");
}

void transport_qualify(struct server *srv, const char *bytes, size_t n,
                       void (*emit)(void *ctx, const char *bytes, size_t n), void *ctx)
{
    size_t at = missing_ns_at(bytes, n);
    if (!at) {
        emit(ctx, bytes, n);
        return;
    }
    struct buf *b = server_buf_take(srv);
    buf_append(b, bytes, at);
    buf_puts(b, " xmlns='" NS_CLIENT "'");
    buf_append(b, bytes + at, n - at);
    emit(ctx, b->data, b->len);
    server_buf_give(srv, b);
}

int transport_send_whole(struct transport *t,
                         bool (*next)(void *arg, struct buf *out, size_t budget),
                         void (*release)(void *arg), void *arg)
{
    if (t->closing) {
        release(arg);
        return PL_ECLOSED;
    }
    struct buf *whole = server_buf_take(t->srv);
    while (!next(arg, whole, SLICE_BUDGET)) {
    }
    release(arg);
    t->ops->send(t, whole->data, whole->len, false);
    server_buf_give(t->srv, whole);
    return PL_OK;
}
