/* SPDX-License-Identifier: MIT */
/* A session's one output path: the modules' hold gates, then the session's connection; and
 * the marks that tell when what was sent has reached the client. */
#include "session_out.h"

#include <event2/event.h>
#include <stdlib.h>

#include "base.h"
#include "conn.h"
#include "hooks.h"
#include "server.h"
#include "session.h"

#define CONFIRM_POLL_MS 20

void session_send_past_gates(struct session *sess, const void *bytes, size_t n)
{
    if (sess->conn)
        conn_send(sess->conn, bytes, n);
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
    srv->confirms[srv->n_confirms++] = (struct session_confirm){
        .sess = sess, .mark = sess->conn ? conn_sent_mark(sess->conn) : 0, .fn = fn, .arg = arg
    };
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

void session_confirm_check(struct server *srv)
{
    size_t i = 0;
    while (i < srv->n_confirms) {
        struct session_confirm *e = &srv->confirms[i];
        if (!e->sess->conn || !conn_mark_written(e->sess->conn, e->mark)) {
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
