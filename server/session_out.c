/* SPDX-License-Identifier: MIT */
/* A session's one output path: the modules' hold gates, then the session's connection; and
 * the marks that tell when what was sent has reached the client. */
#include "session_out.h"

#include <stdlib.h>

#include "base.h"
#include "conn_int.h"
#include "resume.h"
#include "hooks.h"
#include "server.h"
#include "session.h"

/* Too much waits for the client's acknowledgement: a connected session closes, one waiting
 * for resumption ends; either way what it did not acknowledge goes elsewhere. */
static void unacked_overflow(struct session *sess)
{
    if (sess->conn)
        conn_close(sess->conn, "policy-violation", "too many unacknowledged stanzas");
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
    struct conn *c = sess->conn;
    if (!c)
        return;
    if (bulk) /* may drop the connection: c stays until the turn ends */
        conn_send_bulk(c, bytes, n);
    else
        conn_send(c, bytes, n);
    if (sm)
        conn_sm_sent(c, sm);
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
    struct buf *b = &sess->srv->scratch;
    buf_reset(b);
    stanza_write(st, b);
    session_send_past_gates(sess, b->data, b->len);
}
