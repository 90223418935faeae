/* SPDX-License-Identifier: MIT */
/* Stream management hooks of a client stream: enable, resume, and acks after the commit. */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "c2s.h"
#include "clock.h"
#include "confirm.h"
#include "log.h"
#include "resume.h"
#include "server.h"
#include "session.h"

#define SM_REQUEST_EVERY 5 /* stanzas sent before we ask the client for its count */
#define SM_ACK_TIMEOUT_MS 60000 /* a request unanswered this long: the client is gone */

struct sm *c2s_sm_enable(void *ctx, bool resume, unsigned max_s)
{
    struct transport *t = ctx;
    struct server *srv = t->srv;
    if (!t->sess)
        return NULL;
    unsigned window = (unsigned)srv->cfg.sm_resume_timeout;
    if (max_s && max_s < window)
        window = max_s;
    char id[SM_ID_LEN + 1] = "";
    if (resume && window && !random_hex(id, SM_ID_LEN / 2))
        id[0] = '\0'; /* no unguessable id: no resumption */
    t->sess->sm = sm_new(id, id[0] ? window : 0);
    if (id[0])
        resume_register(srv, t->sess);
    log_debug(t->tag, "stream management enabled%s", id[0] ? " with resumption" : "");
    return t->sess->sm;
}

/* The stream that had sess goes without ending it: the session is this one's now. */
static void take_over(struct transport *t, struct session *sess)
{
    struct transport *old = sess->tp;
    if (old) {
        old->sess = NULL;
        stream_sm_forget(old->stream);
        log_info(old->tag, "%s resumed by %s", sess->jid->full, t->tag);
        old->ops->close(old, "conflict", "the session was resumed by another connection");
    } else {
        resume_unpark(t->srv, sess);
    }
    confirm_rebase(t->srv, sess);
    sess->tp = t;
    t->sess = sess;
}

int c2s_sm_resume(void *ctx, const char *previd, struct sm **sm, uint32_t *h)
{
    struct transport *t = ctx;
    const char *user = stream_user(t->stream);
    struct session *sess = user ? resume_find(t->srv, previd, user) : NULL;
    if (!sess)
        return user && resume_gone_h(t->srv, previd, user, h) ? PL_EEXIST : PL_ENOTFOUND;
    take_over(t, sess);
    *sm = sess->sm;
    log_info(t->tag, "resumed %s from %s", sess->jid->full, t->peer);
    return PL_OK;
}

static void resend_one(void *ctx, const char *bytes, size_t n)
{
    if (n)
        transport_send(ctx, bytes, n);
}

/* Asks the client for its count (<r/>) unless a request is already out. */
static void sm_request(struct transport *t)
{
    static const char r[] = "<r xmlns='urn:xmpp:sm:3'/>";
    struct sm *sm = t->sess ? t->sess->sm : NULL;
    if (!sm || sm->request_pending || t->closing)
        return;
    sm->request_pending = true;
    sm->request_ms = clock_now_ms();
    sm->since_request = 0;
    transport_send(t, r, sizeof(r) - 1);
}

void c2s_sm_sent(struct transport *t, struct sm *sm)
{
    if (sm->since_request >= SM_REQUEST_EVERY)
        sm_request(t);
}

/* <resumed/> first, then everything the client has not acknowledged, in order. */
void c2s_sm_resumed(void *ctx)
{
    struct transport *t = ctx;
    t->ops->flush_stream(t);
    sm_each_unacked(t->sess->sm, resend_one, t);
    if (sm_unacked(t->sess->sm))
        sm_request(t);
}

void c2s_sm_ack_wanted(void *ctx)
{
    struct transport *t = ctx;
    if (!t->sess)
        return;
    t->sess->ack_wanted = true;
    sm_commit_watch(t->srv, t->sess);
}

void sm_commit_watch(struct server *srv, struct session *sess)
{
    if (sess->commit_listed)
        return;
    if (srv->n_committing == srv->cap_committing) {
        srv->cap_committing = srv->cap_committing ? srv->cap_committing * 2 : 64;
        srv->committing =
            xrealloc(srv->committing, srv->cap_committing * sizeof(*srv->committing));
    }
    srv->committing[srv->n_committing++] = sess;
    sess->commit_listed = true;
    server_commit_soon(srv);
}

void sm_commit_forget(struct server *srv, struct session *sess)
{
    for (size_t i = 0; sess->commit_listed && i < srv->n_committing; i++)
        if (srv->committing[i] == sess)
            srv->committing[i] = NULL;
    sess->commit_listed = false;
}

/* XEP-0198's h promises the stanzas counted are safe: what this turn received counts once
 * committed, and the <r/> of this turn is answered then. After a failed commit the client is
 * cut off instead: it resumes (or logs in again) and sends what was lost once more. */
static void settle_one(struct session *sess, bool committed)
{
    struct transport *t = sess->tp;
    bool ack = sess->ack_wanted;
    sess->commit_listed = false;
    sess->ack_wanted = false;
    if (!committed) {
        if (t)
            t->ops->drop(t, "a storage commit failed");
        return;
    }
    sess->sm->h_committed = sess->sm->h_in;
    if (ack && t && !t->closing) {
        stream_sm_ack(t->stream);
        t->ops->flush_stream(t);
    }
}

void sm_commit_settle(struct server *srv, bool committed)
{
    for (size_t i = 0; i < srv->n_committing; i++)
        if (srv->committing[i])
            settle_one(srv->committing[i], committed);
    srv->n_committing = 0;
}

void c2s_sm_tick(struct transport *t, uint64_t now_ms)
{
    struct sm *sm = t->sess ? t->sess->sm : NULL;
    if (!sm || t->closing || !sm_unacked(sm))
        return;
    if (!sm->request_pending)
        sm_request(t);
    else if (now_ms - sm->request_ms > SM_ACK_TIMEOUT_MS)
        t->ops->drop(t, "no stream management acknowledgement for 60s");
}
