/* SPDX-License-Identifier: MIT */
/* Confirmations that what was sent to a session has reached its client: acknowledged under
 * stream management, written to the socket without it (module_when_confirmed). */
#ifndef PL_CONFIRM_H
#define PL_CONFIRM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct server;
struct session;

/* One waiting confirmation; a session's run in the order asked. */
struct confirm {
    bool by_ack;   /* mark counts stanzas under stream management, else bytes written */
    uint64_t mark; /* what had been sent when it was asked for */
    uint64_t gate; /* bytes: the replies in slices that must end first (conn_sent_mark) */
    void (*fn)(void *arg, bool confirmed);
    void *arg;
};

/* A session's waiting confirmations, oldest at head. */
struct confirm_queue {
    struct confirm *v;
    size_t head, len, cap;
    bool listed; /* on the server's list of sessions with confirmations waiting */
};

/* Runs fn(arg, true) once everything sent to sess so far has reached the client, or
 * fn(arg, false) when the session ends first; always from the loop, later. */
void confirm_when(struct session *sess, void (*fn)(void *arg, bool confirmed), void *arg);
/* Runs the confirmations that are due (end of a loop turn, and a poll while any wait). */
void confirm_check(struct server *srv);
/* sess ends: each waiting confirmation runs with whether it was met by then. */
void confirm_drop(struct server *srv, struct session *sess);
/* sess moved to another connection: confirmations counted in the old one's bytes can no
 * longer be met (they run with false). */
void confirm_rebase(struct server *srv, struct session *sess);
void confirm_fini(struct server *srv);

#endif
