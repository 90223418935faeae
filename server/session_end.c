/* SPDX-License-Identifier: MIT */
/* Ends a session: out of the table, its unacknowledged stanzas rerouted, modules' farewells. */
#include "session_end.h"

#include <stdlib.h>

#include "base.h"
#include "confirm.h"
#include "c2s.h"
#include "hooks.h"
#include "log.h"
#include "resume.h"
#include "server.h"
#include "session.h"
#include "session_out.h"

void session_end(struct server *srv, struct session *sess)
{
    session_detach(&srv->sessions, sess); /* first: nothing rerouted may come back to it */
    resume_forget(srv, sess);
    sm_commit_forget(srv, sess);
    /* Before rerouting, which gives up on the client: what it did not acknowledge was not
     * confirmed (kept rows stay kept; what is rerouted is recognised as theirs). */
    confirm_drop(srv, sess);
    resume_reroute(srv, sess);
    hooks_session_close(srv, sess);
    log_info("session", "session %s ended", sess->jid->full);
    session_free(sess);
}

void session_kick(struct server *srv, struct session *sess, const char *condition,
                  const char *text)
{
    if (sess->tp)
        sess->tp->ops->close(sess->tp, condition, text);
    else
        session_end(srv, sess);
}

unsigned session_kick_account(struct server *srv, const char *bare, const struct session *except,
                              const char *condition, const char *text)
{
    struct account_sessions *acct = session_account(&srv->sessions, bare);
    unsigned n = acct ? acct->count : 0, picked = 0;
    struct session **sessions = xcalloc(n ? n : 1, sizeof(*sessions));
    for (struct session *s = acct ? acct->first : NULL; s && picked < n; s = s->next_resource)
        if (s != except)
            sessions[picked++] = s;
    for (unsigned i = 0; i < picked; i++) {
        log_info("session", "ending session %s: %s", sessions[i]->jid->full, text);
        session_kick(srv, sessions[i], condition, text);
    }
    free(sessions);
    return picked;
}
