/* SPDX-License-Identifier: MIT */
/* Calls every registered module's optional delivery and session hooks, in registry order. */
#ifndef PL_HOOKS_H
#define PL_HOOKS_H

#include <stdbool.h>

#include "module.h"

struct server;
struct session;

void hooks_message_prepare(struct message_event *ev);
/* The first module that does not pass decides: ROUTE_DONE (kept, or dropped on purpose),
 * ROUTE_ERROR(cond), or ROUTE_PASS when no module took the message. */
int hooks_message_undelivered(struct message_event *ev);
void hooks_message_done(const struct message_event *ev);
/* True when a module kept st on its way to sess. */
bool hooks_session_hold(struct server *srv, struct session *sess, const struct stanza *st);
void hooks_session_available(struct server *srv, struct session *sess);
void hooks_session_unavailable(struct server *srv, struct session *sess);
/* bare's account is gone from the store: modules forget what they keep of it. */
void hooks_account_deleted(struct server *srv, const char *bare);
void hooks_session_presence(struct server *srv, struct session *sess);
void hooks_presence_prepare(struct server *srv, struct session *sess, struct stanza *st);
void hooks_session_open(struct server *srv, struct session *sess);
void hooks_session_close(struct server *srv, struct session *sess);

#endif
