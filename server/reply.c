/* SPDX-License-Identifier: MIT */
/* Answers to the sender of a stanza, for the router, delivery and the modules' handlers. */
#include "reply.h"

#include "router.h"
#include "session_out.h"
#include "transport.h"

void reply_to_sender(struct transport *tp, const struct stanza *st)
{
    if (tp->sess)
        session_send(tp->sess, st, NULL, 0);
    else
        transport_send_stanza(tp, st);
}

void reply_error(struct transport *tp, const struct stanza *st, enum stanza_cond cond)
{
    if ((st->type & (STANZA_ERROR_TYPES | IQ_RESULT)) || st->kind == STANZA_OTHER)
        return; /* never answer an error or a result with an error (RFC 6120 §8.3.1) */
    struct stanza *r = stanza_error_reply(st, cond, NULL);
    reply_to_sender(tp, r);
    stanza_unref(r);
}

void router_reply(struct route_ctx *rc, struct stanza *st)
{
    reply_to_sender(rc->tp, st);
}

int router_reply_result(struct route_ctx *rc, const struct stanza *st)
{
    struct stanza *r = stanza_iq_result(st);
    router_reply(rc, r);
    stanza_unref(r);
    return ROUTE_DONE;
}
