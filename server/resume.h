/* SPDX-License-Identifier: MIT */
/* Stream management on the server (XEP-0198): the resumption table, sessions waiting for their
 * client to come back, and where their unacknowledged stanzas go when it does not. */
#ifndef PL_RESUME_H
#define PL_RESUME_H

#include <stdbool.h>
#include <stdint.h>

struct server;
struct session;

void resume_init(struct server *srv);
/* Ends every session still waiting (its messages reach other resources or offline storage
 * while the modules and the store are still there). */
void resume_fini(struct server *srv);
/* sess enabled resumption (sess->sm->id): it can be found by that id from now on. */
void resume_register(struct server *srv, struct session *sess);
/* The session with resumption id `id` owned by account bare, or NULL. */
struct session *resume_find(struct server *srv, const char *id, const char *bare);
/* For an id that expired recently: the count of stanzas its session had received. */
bool resume_gone_h(const struct server *srv, const char *id, const char *bare, uint32_t *h);
/* The connection of sess was lost: it stays available, its stanzas queue, and it ends when
 * its window passes. */
void resume_park(struct server *srv, struct session *sess);
/* A new stream took over the waiting sess. */
void resume_unpark(struct server *srv, struct session *sess);
/* The waiting sess must end at the next loop turn (its queue is full). */
void resume_end_soon(struct server *srv, struct session *sess);
/* sess ends: out of the table (its id and count are remembered for a while). */
void resume_forget(struct server *srv, struct session *sess);
/* Sends what sess never acknowledged elsewhere: messages to the account's other resources or
 * offline storage (RFC 6121 §8.5), an error for requests; the rest is dropped. */
void resume_reroute(struct server *srv, struct session *sess);

#endif
