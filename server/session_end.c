/* SPDX-License-Identifier: MIT */
/* Ends a session: out of the table, its unacknowledged stanzas rerouted, modules' farewells. */
#include "session_end.h"

#include "confirm.h"
#include "conn_int.h"
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
    if (sess->conn)
        conn_close(sess->conn, condition, text);
    else
        session_end(srv, sess);
}
