/* SPDX-License-Identifier: MIT */
/* Ends a session: out of the table, its unacknowledged stanzas rerouted, modules' farewells. */
#include "session_end.h"

#include "conn.h"
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
    resume_reroute(srv, sess);
    session_confirm_drop(srv, sess);
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
