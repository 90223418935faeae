/* SPDX-License-Identifier: MIT */
/* Delivery to local sessions following RFC 6121 §8. */
#ifndef PL_DELIVER_H
#define PL_DELIVER_H

#include "router.h"

struct session;

/* Default handling of a message, presence or iq addressed to a local JID (rc->to). */
void deliver_local(struct route_ctx *rc, struct stanza *st);
struct message_event;

/* The message path: modules' message_prepare, live delivery, the account's policy and
 * message_undelivered when no resource took it, then message_done. Errors go to the sender
 * through tp (NULL: the server re-delivers; errors are routed to the sender's session). */
void deliver_message(struct server *srv, struct transport *tp, struct message_event *ev);
/* Routes a message the server sends (no sending session) to its local recipient: live, or
 * kept offline. replay: the server had accepted it before (an expired stream-management
 * session's unacknowledged messages), see struct message_event. */
void deliver_message_from(struct server *srv, struct stanza *st, bool replay);
/* Sends st to one session. */
void deliver_to_session(struct session *sess, const struct stanza *st);
/* Serializes st once and sends it to every available resource of bare with priority at
 * least min_priority, skipping `except` and, silently, whoever privacy policy keeps st from
 * (module_filter_out of the sender, module_filter_in of each resource). Returns the number
 * of recipients. */
unsigned deliver_to_resources(struct server *srv, const char *bare, const struct stanza *st,
                              int min_priority, const struct session *except);

#endif
