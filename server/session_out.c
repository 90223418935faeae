/* SPDX-License-Identifier: MIT */
/* A session's one output path: the modules' hold gates, then the session's connection; and
 * the marks that tell when what was sent has reached the client. */
#include "session_out.h"

#include <event2/event.h>
#include <stdlib.h>

#include "base.h"
#include "conn_int.h"
#include "resume.h"
#include "hooks.h"
#include "server.h"
#include "session.h"

#define CONFIRM_POLL_MS 20

/* Too much waits for the client's acknowledgement: a connected session closes, one waiting
 * for resumption ends; either way what it did not acknowledge goes elsewhere. */
static void unacked_overflow(struct session *sess)
{
    if (sess->conn)
        conn_close(sess->conn, "policy-violation", "too many unacknowledged stanzas");
    else
        resume_end_soon(sess->srv, sess);
}

void session_send_past_gates(struct session *sess, const void *bytes, size_t n)
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
    conn_send(c, bytes, n); /* may drop the connection: c stays until the turn ends */
    if (sm)
        conn_sm_sent(c, sm);
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

/* ---- confirmations --------------------------------------------------------------------- */

struct session_confirm {
    struct session *sess;
    bool by_ack;   /* mark counts stanzas under stream management, else bytes written */
    uint64_t mark;
    void (*fn)(void *arg, bool confirmed);
    void *arg;
};

static void confirm_poll_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    session_confirm_check(arg);
}

static void arm_poll(struct server *srv)
{
    struct timeval tv = { 0, CONFIRM_POLL_MS * 1000 };
    if (!srv->confirm_ev)
        srv->confirm_ev = evtimer_new(srv->base, confirm_poll_cb, srv);
    if (srv->confirm_ev && !evtimer_pending(srv->confirm_ev, NULL))
        evtimer_add(srv->confirm_ev, &tv);
}

void session_when_confirmed(struct session *sess, void (*fn)(void *arg, bool confirmed),
                            void *arg)
{
    struct server *srv = sess->srv;
    srv->confirms = xrealloc(srv->confirms, (srv->n_confirms + 1) * sizeof(*srv->confirms));
    struct session_confirm e = { .sess = sess, .fn = fn, .arg = arg };
    if (sess->sm) {
        e.by_ack = true;
        e.mark = sess->sm->h_out;
    } else if (sess->conn) {
        e.mark = conn_sent_mark(sess->conn);
    }
    srv->confirms[srv->n_confirms++] = e;
    arm_poll(srv);
}

/* Takes entry i out (order kept: a session's confirmations run in the order asked). */
static struct session_confirm take(struct server *srv, size_t i)
{
    struct session_confirm e = srv->confirms[i];
    for (size_t j = i + 1; j < srv->n_confirms; j++)
        srv->confirms[j - 1] = srv->confirms[j];
    srv->n_confirms--;
    return e;
}

static bool confirmed(const struct session_confirm *e)
{
    const struct session *sess = e->sess;
    if (e->by_ack) /* counters wrap: compare the distance */
        return sess->sm && (int32_t)(sess->sm->acked - (uint32_t)e->mark) >= 0;
    return sess->conn && conn_mark_written(sess->conn, e->mark);
}

void session_confirm_check(struct server *srv)
{
    size_t i = 0;
    while (i < srv->n_confirms) {
        if (!confirmed(&srv->confirms[i])) {
            i++;
            continue;
        }
        struct session_confirm done = take(srv, i);
        done.fn(done.arg, true); /* may queue more: they go at the end */
    }
    if (srv->n_confirms)
        arm_poll(srv);
}

void session_confirm_drop(struct server *srv, struct session *sess)
{
    size_t i = 0;
    while (i < srv->n_confirms) {
        if (srv->confirms[i].sess != sess) {
            i++;
            continue;
        }
        struct session_confirm done = take(srv, i);
        done.fn(done.arg, false);
    }
}

void session_confirm_fini(struct server *srv)
{
    while (srv->n_confirms) {
        struct session_confirm done = take(srv, srv->n_confirms - 1);
        done.fn(done.arg, false);
    }
    free(srv->confirms);
    srv->confirms = NULL;
    if (srv->confirm_ev)
        event_free(srv->confirm_ev);
    srv->confirm_ev = NULL;
}
