/* SPDX-License-Identifier: MIT */
/* Stream management hooks of a client stream: enable, resume, and acks after the commit. */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "clock.h"
#include "confirm.h"
#include "conn_int.h"
#include "log.h"
#include "resume.h"
#include "server.h"
#include "session.h"

#define SM_REQUEST_EVERY 5 /* stanzas sent before we ask the client for its count */
#define SM_ACK_TIMEOUT_MS 60000 /* a request unanswered this long: the client is gone */

struct sm *c2s_sm_enable(void *ctx, bool resume, unsigned max_s)
{
    struct conn *c = ctx;
    struct server *srv = c->srv;
    if (!c->sess)
        return NULL;
    unsigned window = (unsigned)srv->cfg.sm_resume_timeout;
    if (max_s && max_s < window)
        window = max_s;
    char id[SM_ID_LEN + 1] = "";
    if (resume && window && !random_hex(id, SM_ID_LEN / 2))
        id[0] = '\0'; /* no unguessable id: no resumption */
    c->sess->sm = sm_new(id, id[0] ? window : 0);
    if (id[0])
        resume_register(srv, c->sess);
    log_debug(c->tag, "stream management enabled%s", id[0] ? " with resumption" : "");
    return c->sess->sm;
}

/* The stream that had sess goes without ending it: the session is this one's now. */
static void take_over(struct conn *c, struct session *sess)
{
    struct conn *old = sess->conn;
    if (old) {
        old->sess = NULL;
        stream_sm_forget(old->stream);
        log_info(old->tag, "%s resumed by %s", sess->jid->full, c->tag);
        conn_close(old, "conflict", "the session was resumed by another connection");
    } else {
        resume_unpark(c->srv, sess);
    }
    confirm_rebase(c->srv, sess);
    sess->conn = c;
    c->sess = sess;
}

int c2s_sm_resume(void *ctx, const char *previd, struct sm **sm, uint32_t *h)
{
    struct conn *c = ctx;
    const char *user = stream_user(c->stream);
    struct session *sess = user ? resume_find(c->srv, previd, user) : NULL;
    if (!sess)
        return user && resume_gone_h(c->srv, previd, user, h) ? PL_EEXIST : PL_ENOTFOUND;
    take_over(c, sess);
    *sm = sess->sm;
    log_info(c->tag, "resumed %s from %s", sess->jid->full, c->peer);
    return PL_OK;
}

static void resend_one(void *ctx, const char *bytes, size_t n)
{
    if (n)
        conn_send(ctx, bytes, n);
}

void conn_sm_request(struct conn *c)
{
    static const char r[] = "<r xmlns='urn:xmpp:sm:3'/>";
    struct sm *sm = c->sess ? c->sess->sm : NULL;
    if (!sm || sm->request_pending || c->closing)
        return;
    sm->request_pending = true;
    sm->request_ms = clock_now_ms();
    sm->since_request = 0;
    conn_send(c, r, sizeof(r) - 1);
}

void conn_sm_sent(struct conn *c, struct sm *sm)
{
    if (sm->since_request >= SM_REQUEST_EVERY)
        conn_sm_request(c);
}

/* <resumed/> first, then everything the client has not acknowledged, in order. */
void c2s_sm_resumed(void *ctx)
{
    struct conn *c = ctx;
    conn_flush_stream(c);
    sm_each_unacked(c->sess->sm, resend_one, c);
    if (sm_unacked(c->sess->sm))
        conn_sm_request(c);
}

void c2s_sm_ack_wanted(void *ctx)
{
    struct conn *c = ctx;
    if (!c->sess)
        return;
    c->sess->ack_wanted = true;
    sm_commit_watch(c->srv, c->sess);
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
    struct conn *c = sess->conn;
    bool ack = sess->ack_wanted;
    sess->commit_listed = false;
    sess->ack_wanted = false;
    if (!committed) {
        if (c)
            conn_drop(c, "a storage commit failed");
        return;
    }
    sess->sm->h_committed = sess->sm->h_in;
    if (ack && c && !c->closing) {
        stream_sm_ack(c->stream);
        conn_flush_stream(c);
    }
}

void sm_commit_settle(struct server *srv, bool committed)
{
    for (size_t i = 0; i < srv->n_committing; i++)
        if (srv->committing[i])
            settle_one(srv->committing[i], committed);
    srv->n_committing = 0;
}

void conn_sm_tick(struct conn *c, uint64_t now_ms)
{
    struct sm *sm = c->sess ? c->sess->sm : NULL;
    if (!sm || c->closing || !sm_unacked(sm))
        return;
    if (!sm->request_pending)
        conn_sm_request(c);
    else if (now_ms - sm->request_ms > SM_ACK_TIMEOUT_MS)
        conn_drop(c, "no stream management acknowledgement for 60s");
}
