/* SPDX-License-Identifier: MIT */
/* Ends a session: out of the table, its unacknowledged stanzas rerouted, modules' farewells. */
#ifndef PL_SESSION_END_H
#define PL_SESSION_END_H

struct server;
struct session;

/* Frees sess (its transport, if any, no longer points at it). */
void session_end(struct server *srv, struct session *sess);
/* The server ends sess: its stream closes with a stream error (condition, text), or, while
 * it waits for resumption, it ends now. */
void session_kick(struct server *srv, struct session *sess, const char *condition,
                  const char *text);

/* Kicks every session of the account bare but except's (NULL: all) the same way; returns how
 * many. The sessions are collected first: each kick takes one out of the account's chain. */
unsigned session_kick_account(struct server *srv, const char *bare,
                              const struct session *except, const char *condition,
                              const char *text);

#endif
