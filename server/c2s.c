/* SPDX-License-Identifier: MIT */
/* Stream hooks: what a client stream asks of the server (credentials, binding, stanzas). */
#include <stdio.h>
#include <string.h>
#include <uuid/uuid.h>

#include "auth_guard.h"
#include "base.h"
#include "confirm.h"
#include "clock.h"
#include "conn_int.h"
#include "hooks.h"
#include "log.h"
#include "module.h"
#include "resume.h"
#include "server.h"
#include "session_end.h"
#include "session_out.h"

static void hook_starttls(void *ctx)
{
    struct conn *c = ctx;
    c->tls_pending = true;
}

static int hook_auth_allowed(void *ctx, const char *bare)
{
    struct conn *c = ctx;
    return auth_guard_allowed(c->srv->auth_guard, c->tag, c->peer_key, bare, clock_now_ms())
               ? PL_OK
               : PL_ELIMIT;
}

static int hook_auth_charge(void *ctx, const char *bare)
{
    struct conn *c = ctx;
    return auth_guard_charge(c->srv->auth_guard, c->tag, c->peer_key, bare, clock_now_ms())
               ? PL_OK
               : PL_ELIMIT;
}

static void hook_auth_refund(void *ctx, const char *bare)
{
    struct conn *c = ctx;
    auth_guard_refund(c->srv->auth_guard, c->peer_key, bare, clock_now_ms());
}

static int hook_get_creds(void *ctx, const char *bare, struct scram_creds *out)
{
    struct conn *c = ctx;
    return creds_get(&c->srv->store, bare, out);
}

static void hook_auth_result(void *ctx, const char *bare, bool ok)
{
    struct conn *c = ctx;
    if (!ok) {
        log_info(c->tag, "authentication failed for %s from %s",
                 bare ? bare : "an unusable name", c->peer);
        return;
    }
    log_info(c->tag, "authenticated as %s from %s", bare, c->peer);
    conn_authenticated(c);
}

/*
 * An account at max_resources_per_account gets one more resource only by giving up its
 * oldest with replace_oldest. The oldest stream ends with `conflict`, as ejabberd does when it
 * enforces max_user_sessions: RFC 6120 §4.9.3.3 names conflict for a stream closed because a
 * new stream for the same entity took its place, which is what happens; policy-violation
 * would tell the client it did something wrong.
 */
static int make_room(struct conn *c, const struct jid *full)
{
    struct server *srv = c->srv;
    struct account_sessions *acct = session_account(&srv->sessions, full->bare);
    if (!acct || acct->count < (unsigned)srv->cfg.max_resources_per_account)
        return PL_OK;
    if (srv->cfg.resource_limit_action == RESOURCE_LIMIT_REFUSE) {
        log_info(c->tag, "refusing to bind %s: max_resources_per_account (%ld) reached",
                 full->full, srv->cfg.max_resources_per_account);
        return PL_ELIMIT;
    }
    struct session *old = session_oldest(acct);
    log_info(c->tag, "%s replaced by %s: max_resources_per_account (%ld) reached",
             old->jid->full, full->full, srv->cfg.max_resources_per_account);
    session_kick(srv, old, "conflict", "replaced by a new resource");
    return PL_OK;
}

static int hook_bind(void *ctx, const char *resource, struct jid **full)
{
    struct conn *c = ctx;
    char made[37];
    if (!resource) {
        uuid_t u;
        uuid_generate_random(u);
        uuid_unparse_lower(u, made);
        resource = made;
    }
    struct jid *user = jid_parse(stream_user(c->stream));
    *full = user ? jid_with_resource(user, resource) : NULL;
    jid_free(user);
    if (!*full)
        return PL_EINVAL;
    struct session *old = session_find(&c->srv->sessions, (*full)->full);
    if (old) { /* the same resource again takes the old one's place, within the limit */
        log_info(c->tag, "replaces the session of %s", (*full)->full);
        session_kick(c->srv, old, "conflict", "replaced by a new connection");
    } else if (make_room(c, *full) != PL_OK) {
        jid_free(*full);
        *full = NULL;
        return PL_ELIMIT;
    }
    c->sess = session_add(&c->srv->sessions, c, *full);
    c->sess->srv = c->srv;
    hooks_session_open(c->srv, c->sess);
    log_info(c->tag, "bound %s", (*full)->full);
    return PL_OK;
}

static void hook_stanza(void *ctx, struct stanza *st)
{
    struct conn *c = ctx;
    if (c->closing) {
        stanza_unref(st); /* the stream is ending: nothing more is routed for it */
        return;
    }
    conn_charge(c, 1);
    conn_flush_stream(c); /* what the stream wrote (<enabled/>, a bind result) goes first */
    if (c->sess && c->sess->sm)
        sm_commit_watch(c->srv, c->sess);
    router_dispatch(c->srv, c, st);
}

static bool hook_element(void *ctx, struct stanza *st)
{
    struct conn *c = ctx;
    if (c->closing)
        return true; /* the stream is ending: nothing more is handled for it */
    conn_charge(c, 1);
    conn_flush_stream(c); /* <enabled/> before anything this element lets go */
    return router_dispatch_element(c->srv, c, st);
}

const struct stream_hooks c2s_hooks = {
    .starttls = hook_starttls,
    .auth_allowed = hook_auth_allowed,
    .auth_charge = hook_auth_charge,
    .auth_refund = hook_auth_refund,
    .auth_result = hook_auth_result,
    .get_creds = hook_get_creds,
    .bind = hook_bind,
    .stanza = hook_stanza,
    .sm_enable = c2s_sm_enable,
    .sm_resume = c2s_sm_resume,
    .sm_resumed = c2s_sm_resumed,
    .sm_ack_wanted = c2s_sm_ack_wanted,
    .element = hook_element,
};

void c2s_session_detach(struct conn *c)
{
    if (c->sess)
        session_detach(&c->srv->sessions, c->sess);
}

void c2s_connection_lost(struct conn *c)
{
    struct session *sess = c->sess;
    bool resumable = sess && sess->account && sess->sm && sess->sm->id[0] && !c->srv->stopping;
    if (!resumable) {
        c2s_session_detach(c);
        return;
    }
    /* XEP-0198 §5: the session outlives its connection until the client resumes it */
    stream_sm_forget(c->stream);
    sess->conn = NULL;
    c->sess = NULL;
    resume_park(c->srv, sess);
}

void c2s_session_free(struct conn *c)
{
    struct session *sess = c->sess;
    if (!sess)
        return;
    /* While the connection is still known: what has left its socket counts as delivered,
     * even if no check has run since. */
    confirm_drop(c->srv, sess);
    c->sess = NULL;
    sess->conn = NULL;
    stream_sm_forget(c->stream);
    session_end(c->srv, sess);
}
