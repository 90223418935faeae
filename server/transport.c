/* SPDX-License-Identifier: MIT */
/* What every transport shares: a stanza written once, whether the stream is secure. */
#include "transport.h"

#include "server.h"
#include "stream.h"

void transport_send_stanza(struct transport *t, const struct stanza *st)
{
    struct buf *b = server_buf_take(t->srv);
    stanza_write(st, b);
    transport_send(t, b->data, b->len);
    server_buf_give(t->srv, b);
}

bool transport_secure(const struct transport *t) { return stream_tls_active(t->stream); }
