/* SPDX-License-Identifier: MIT */
/* Resource binding (RFC 6120 §7) and the legacy session iq (RFC 3921 §3). */
#include <string.h>

#include "base.h"
#include "ns.h"
#include "stanza_error.h"
#include "stream_int.h"

static void reply(struct stream *s, struct stanza *r)
{
    stanza_set_to(r, NULL); /* the client is the only one this stream talks to */
    stream_write_el(s, r->root);
    stanza_unref(r);
}

static void bind_resource(struct stream *s, struct stanza *iq, const struct xel *bind)
{
    const struct xel *res = xel_child(bind, "resource", NULL);
    const char *name = res ? xel_text(res) : "";
    struct jid *full = NULL;
    int rc = s->hooks->bind(s->ctx, *name ? name : NULL, &full);
    if (rc != PL_OK) {
        /* RFC 6120 §7.6.2.1: an account at its limit of resources gets resource-constraint. */
        enum stanza_cond c = rc == PL_EINVAL   ? COND_BAD_REQUEST
                             : rc == PL_ELIMIT ? COND_RESOURCE_CONSTRAINT
                                               : COND_NOT_ALLOWED;
        reply(s, stanza_error_reply(iq, c, NULL));
        return;
    }
    s->jid = full;
    s->state = STREAM_BOUND;
    struct stanza *r = stanza_iq_result(iq);
    xel_add_text_child(r, xel_add_child(r, r->root, "bind", NS_BIND), "jid", full->full);
    reply(s, r);
}

void bind_handle(struct stream *s, struct stanza *iq)
{
    if (iq->type != IQ_SET) {
        reply(s, stanza_error_reply(iq, COND_BAD_REQUEST, NULL));
        return;
    }
    const struct xel *bind = xel_child(iq->root, "bind", NS_BIND);
    if (bind && s->state == STREAM_BINDING)
        bind_resource(s, iq, bind);
    else if (bind)
        reply(s, stanza_error_reply(iq, COND_NOT_ALLOWED, "already bound"));
    else
        reply(s, stanza_iq_result(iq)); /* <session/>: nothing to establish any more */
}
