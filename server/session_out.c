/* SPDX-License-Identifier: MIT */
/* A session's one output path: the modules' hold gates, then the session's connection; and
 * the marks that tell when what was sent has reached the client. */
#include "session_out.h"

#include <stdlib.h>

#include "base.h"
#include "c2s.h"
#include "hooks.h"
#include "resume.h"
#include "server.h"
#include "session.h"

/* Too much waits for the client's acknowledgement: a connected session closes, one waiting
 * for resumption ends; either way what it did not acknowledge goes elsewhere. */
static void unacked_overflow(struct session *sess)
{
    if (sess->tp)
        sess->tp->ops->close(sess->tp, "policy-violation", "too many unacknowledged stanzas");
    else
        resume_end_soon(sess->srv, sess);
}

static void past_gates(struct session *sess, const void *bytes, size_t n, bool bulk)
{
    struct sm *sm = sess->sm;
    if (sm) {
        sm_sent(sm, bytes, n); /* kept until acknowledged; queued while detached */
        if (sm_unacked(sm) > (uint32_t)sess->srv->cfg.sm_max_unacked) {
            unacked_overflow(sess);
            return;
        }
    }
    struct transport *t = sess->tp;
    if (!t)
        return;
    t->ops->send(t, bytes, n, bulk); /* may drop the transport: t stays until the turn ends */
    if (sm)
        c2s_sm_sent(t, sm);
}

void session_send_past_gates(struct session *sess, const void *bytes, size_t n)
{
    past_gates(sess, bytes, n, false);
}

void session_send_bulk(struct session *sess, const struct stanza *st, const void *bytes,
                       size_t n)
{
    if (!hooks_session_hold(sess->srv, sess, st))
        past_gates(sess, bytes, n, true);
}

void session_send(struct session *sess, const struct stanza *st, const void *bytes, size_t n)
{
    if (hooks_session_hold(sess->srv, sess, st))
        return;
    if (bytes) {
        session_send_past_gates(sess, bytes, n);
        return;
    }
    struct buf *b = server_buf_take(sess->srv);
    stanza_write(st, b);
    session_send_past_gates(sess, b->data, b->len);
    server_buf_give(sess->srv, b);
}
