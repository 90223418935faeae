/* SPDX-License-Identifier: MIT */
/* Stream hooks: what a client stream asks of the server (credentials, binding, stanzas). */
#include <stdio.h>
#include <string.h>
#include <uuid/uuid.h>

#include "auth_guard.h"
#include "base.h"
#include "c2s.h"
#include "clock.h"
#include "confirm.h"
#include "hooks.h"
#include "log.h"
#include "module.h"
#include "resume.h"
#include "server.h"
#include "session_end.h"
#include "session_out.h"

static void hook_starttls(void *ctx)
{
    struct transport *t = ctx;
    if (t->ops->starttls)
        t->ops->starttls(t);
}

static int hook_auth_allowed(void *ctx, const char *bare)
{
    struct transport *t = ctx;
    return auth_guard_allowed(t->srv->auth_guard, t->tag, t->peer_key, bare, clock_now_ms())
               ? PL_OK
               : PL_ELIMIT;
}

static int hook_auth_charge(void *ctx, const char *bare)
{
    struct transport *t = ctx;
    return auth_guard_charge(t->srv->auth_guard, t->tag, t->peer_key, bare, clock_now_ms())
               ? PL_OK
               : PL_ELIMIT;
}

static void hook_auth_refund(void *ctx, const char *bare)
{
    struct transport *t = ctx;
    auth_guard_refund(t->srv->auth_guard, t->peer_key, bare, clock_now_ms());
}

static int hook_get_creds(void *ctx, const char *bare, struct scram_creds *out)
{
    struct transport *t = ctx;
    return creds_get(&t->srv->store, bare, out);
}

static void hook_auth_result(void *ctx, const char *bare, bool ok)
{
    struct transport *t = ctx;
    if (!ok) {
        log_info(t->tag, "authentication failed for %s from %s",
                 bare ? bare : "an unusable name", t->peer);
        return;
    }
    log_info(t->tag, "authenticated as %s from %s", bare, t->peer);
    t->ops->authenticated(t);
}

/*
 * An account at max_resources_per_account gets one more resource only by giving up its
 * oldest with replace_oldest. The oldest stream ends with `conflict`, as ejabberd does when it
 * enforces max_user_sessions: RFC 6120 §4.9.3.3 names conflict for a stream closed because a
 * new stream for the same entity took its place, which is what happens; policy-violation
 * would tell the client it did something wrong.
 */
static int make_room(struct transport *t, const struct jid *full)
{
    struct server *srv = t->srv;
    struct account_sessions *acct = session_account(&srv->sessions, full->bare);
    if (!acct || acct->count < (unsigned)srv->cfg.max_resources_per_account)
        return PL_OK;
    if (srv->cfg.resource_limit_action == RESOURCE_LIMIT_REFUSE) {
        log_info(t->tag, "refusing to bind %s: max_resources_per_account (%ld) reached",
                 full->full, srv->cfg.max_resources_per_account);
        return PL_ELIMIT;
    }
    struct session *old = session_oldest(acct);
    log_info(t->tag, "%s replaced by %s: max_resources_per_account (%ld) reached",
             old->jid->full, full->full, srv->cfg.max_resources_per_account);
    session_kick(srv, old, "conflict", "replaced by a new resource");
    return PL_OK;
}

static int hook_bind(void *ctx, const char *resource, struct jid **full)
{
    struct transport *t = ctx;
    char made[37];
    if (!resource) {
        uuid_t u;
        uuid_generate_random(u);
        uuid_unparse_lower(u, made);
        resource = made;
    }
    struct jid *user = jid_parse(stream_user(t->stream));
    *full = user ? jid_with_resource(user, resource) : NULL;
    jid_free(user);
    if (!*full)
        return PL_EINVAL;
    struct session *old = session_find(&t->srv->sessions, (*full)->full);
    if (old) { /* the same resource again takes the old one's place, within the limit */
        log_info(t->tag, "replaces the session of %s", (*full)->full);
        session_kick(t->srv, old, "conflict", "replaced by a new connection");
    } else if (make_room(t, *full) != PL_OK) {
        jid_free(*full);
        *full = NULL;
        return PL_ELIMIT;
    }
    t->sess = session_add(&t->srv->sessions, t, *full);
    t->sess->srv = t->srv;
    hooks_session_open(t->srv, t->sess);
    log_info(t->tag, "bound %s", (*full)->full);
    return PL_OK;
}

static void hook_stanza(void *ctx, struct stanza *st)
{
    struct transport *t = ctx;
    if (t->closing) {
        stanza_unref(st); /* the stream is ending: nothing more is routed for it */
        return;
    }
    t->ops->charge(t, 1);
    t->ops->flush_stream(t); /* what the stream wrote (<enabled/>, a bind result) goes first */
    if (t->sess && t->sess->sm)
        sm_commit_watch(t->srv, t->sess);
    router_dispatch(t->srv, t, st);
}

static bool hook_element(void *ctx, struct stanza *st)
{
    struct transport *t = ctx;
    if (t->closing)
        return true; /* the stream is ending: nothing more is handled for it */
    t->ops->charge(t, 1);
    t->ops->flush_stream(t); /* <enabled/> before anything this element lets go */
    return router_dispatch_element(t->srv, t, st);
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

void c2s_session_detach(struct transport *t)
{
    if (t->sess)
        session_detach(&t->srv->sessions, t->sess);
}

void c2s_connection_lost(struct transport *t)
{
    struct session *sess = t->sess;
    bool resumable = sess && sess->account && sess->sm && sess->sm->id[0] && !t->srv->stopping;
    if (!resumable) {
        c2s_session_detach(t);
        return;
    }
    /* XEP-0198 §5: the session outlives its connection until the client resumes it */
    stream_sm_forget(t->stream);
    sess->tp = NULL;
    t->sess = NULL;
    resume_park(t->srv, sess);
}

void c2s_session_free(struct transport *t)
{
    struct session *sess = t->sess;
    if (!sess)
        return;
    /* While the connection is still known: what has left its socket counts as delivered,
     * even if no check has run since. */
    confirm_drop(t->srv, sess);
    t->sess = NULL;
    sess->tp = NULL;
    stream_sm_forget(t->stream);
    session_end(t->srv, sess);
}
