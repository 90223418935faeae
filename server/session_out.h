/* SPDX-License-Identifier: MIT */
/* A session's one output path: the modules' hold gates, then the session's connection; and
 * the marks that tell when what was sent has reached the client. */
#ifndef PL_SESSION_OUT_H
#define PL_SESSION_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stanza.h"

struct server;
struct session;

/* Sends st to sess through the hold gates; bytes is st serialized (NULL: serialize here). */
void session_send(struct session *sess, const struct stanza *st, const void *bytes, size_t n);
/* Sends serialized bytes of one stanza past the gates. */
void session_send_past_gates(struct session *sess, const void *bytes, size_t n);

/* Runs fn(arg, true) once everything sent to sess so far has reached the client, or
 * fn(arg, false) when the session ends first; always from the loop, later. */
void session_when_confirmed(struct session *sess, void (*fn)(void *arg, bool confirmed),
                            void *arg);
/* Runs the confirmations that are due (end of a loop turn, an ack, a drained socket). */
void session_confirm_check(struct server *srv);
/* sess ends: its pending confirmations run with false. */
void session_confirm_drop(struct server *srv, struct session *sess);
void session_confirm_fini(struct server *srv);

#endif
