/* SPDX-License-Identifier: MIT */
/* Confirmations that what was sent to a session has reached its client: acknowledged under
 * stream management, written to the socket without it (module_when_confirmed). Each session
 * keeps its own queue in order, so a check looks only at the oldest of the sessions that
 * wait. */
#include "confirm.h"

#include <event2/event.h>
#include <stdlib.h>

#include "base.h"
#include "transport.h"
#include "server.h"
#include "session.h"

#define CONFIRM_POLL_MS 20

static void poll_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    confirm_check(arg);
}

static void arm_poll(struct server *srv)
{
    struct timeval tv = { 0, CONFIRM_POLL_MS * 1000 };
    if (!srv->confirm_ev)
        srv->confirm_ev = evtimer_new(srv->base, poll_cb, srv);
    if (srv->confirm_ev && !evtimer_pending(srv->confirm_ev, NULL))
        evtimer_add(srv->confirm_ev, &tv);
}

static void list_session(struct server *srv, struct session *sess)
{
    if (sess->confirms.listed)
        return;
    if (srv->n_confirming == srv->cap_confirming) {
        srv->cap_confirming = srv->cap_confirming ? srv->cap_confirming * 2 : 16;
        srv->confirming = xrealloc(srv->confirming, srv->cap_confirming * sizeof(*srv->confirming));
    }
    srv->confirming[srv->n_confirming++] = sess;
    sess->confirms.listed = true;
}

static void unlist_session(struct server *srv, struct session *sess)
{
    for (size_t i = 0; i < srv->n_confirming; i++) {
        if (srv->confirming[i] == sess) {
            srv->confirming[i] = srv->confirming[--srv->n_confirming];
            break;
        }
    }
    sess->confirms.listed = false;
}

void confirm_when(struct session *sess, void (*fn)(void *arg, bool confirmed), void *arg)
{
    struct confirm_queue *q = &sess->confirms;
    struct confirm e = { .fn = fn, .arg = arg };
    if (sess->sm) {
        e.by_ack = true;
        e.mark = sess->sm->h_out;
    } else if (sess->tp) {
        e.mark = sess->tp->ops->sent_mark(sess->tp, &e.gate);
    }
    if (q->head + q->len == q->cap) {
        if (q->head) { /* slide down before growing */
            for (size_t i = 0; i < q->len; i++)
                q->v[i] = q->v[q->head + i];
            q->head = 0;
        } else {
            q->cap = q->cap ? q->cap * 2 : 4;
            q->v = xrealloc(q->v, q->cap * sizeof(*q->v));
        }
    }
    q->v[q->head + q->len++] = e;
    list_session(sess->srv, sess);
    arm_poll(sess->srv);
}

static bool met(const struct session *sess, const struct confirm *e)
{
    if (e->by_ack) /* counters wrap: compare the distance */
        return sess->sm && (int32_t)(sess->sm->acked - (uint32_t)e->mark) >= 0;
    return sess->tp && sess->tp->ops->mark_written(sess->tp, e->mark, e->gate);
}

static struct confirm pop(struct session *sess)
{
    struct confirm_queue *q = &sess->confirms;
    struct confirm e = q->v[q->head++];
    if (--q->len == 0)
        q->head = 0;
    return e;
}

/* Runs the session's met confirmations, oldest first; false when none is left. */
static bool run_met(struct session *sess)
{
    while (sess->confirms.len && met(sess, &sess->confirms.v[sess->confirms.head])) {
        struct confirm e = pop(sess);
        e.fn(e.arg, true); /* may ask for more: they queue behind */
    }
    return sess->confirms.len > 0;
}

void confirm_check(struct server *srv)
{
    size_t i = 0;
    while (i < srv->n_confirming) {
        struct session *sess = srv->confirming[i];
        if (run_met(sess))
            i++;
        else
            unlist_session(srv, sess); /* the last one moved into slot i */
    }
    if (srv->n_confirming)
        arm_poll(srv);
}

static void release_queue(struct server *srv, struct session *sess)
{
    struct confirm_queue *q = &sess->confirms;
    if (q->listed)
        unlist_session(srv, sess);
    free(q->v);
    *q = (struct confirm_queue){ 0 };
}

void confirm_drop(struct server *srv, struct session *sess)
{
    while (sess->confirms.len) { /* a callback may ask again: those run too */
        struct confirm_queue q = sess->confirms;
        sess->confirms = (struct confirm_queue){ .listed = q.listed };
        for (size_t i = 0; i < q.len; i++) {
            const struct confirm *e = &q.v[q.head + i];
            e->fn(e->arg, met(sess, e)); /* acknowledged or written by now: it counts */
        }
        free(q.v);
    }
    release_queue(srv, sess);
}

void confirm_rebase(struct server *srv, struct session *sess)
{
    struct confirm_queue *q = &sess->confirms;
    struct confirm *gone = xcalloc(q->len + 1, sizeof(*gone));
    size_t n_gone = 0, kept = 0;
    for (size_t i = 0; i < q->len; i++) {
        struct confirm e = q->v[q->head + i];
        if (e.by_ack)
            q->v[kept++] = e;
        else
            gone[n_gone++] = e;
    }
    q->head = 0;
    q->len = kept;
    if (!kept && q->listed)
        unlist_session(srv, sess);
    for (size_t i = 0; i < n_gone; i++)
        gone[i].fn(gone[i].arg, false); /* the old connection's bytes say nothing any more */
    free(gone);
}

void confirm_fini(struct server *srv)
{
    while (srv->n_confirming)
        confirm_drop(srv, srv->confirming[0]);
    free(srv->confirming);
    srv->confirming = NULL;
    if (srv->confirm_ev)
        event_free(srv->confirm_ev);
    srv->confirm_ev = NULL;
}
