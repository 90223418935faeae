/* SPDX-License-Identifier: MIT */
/* Answers to the sender of a stanza: through its session when bound, else its transport. */
#ifndef PL_REPLY_H
#define PL_REPLY_H

#include "stanza.h"
#include "stanza_error.h"

struct transport;

/* Sends st (borrowed) to the session tp carries (counted by stream management, gated), or
 * to tp itself before binding. */
void reply_to_sender(struct transport *tp, const struct stanza *st);
/* Sends an error reply to st's sender unless st is itself an error or a result. */
void reply_error(struct transport *tp, const struct stanza *st, enum stanza_cond cond);

#endif
