/* SPDX-License-Identifier: MIT */
/* A session's one output path: the modules' hold gates, stream management, then the
 * session's connection. */
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
/* The same for one recipient of a fan-out: bytes (st serialized) may wait to share a write
 * while the server is busy (conn_send_bulk). */
void session_send_bulk(struct session *sess, const struct stanza *st, const void *bytes,
                       size_t n);
/* Sends serialized bytes of one stanza past the gates. */
void session_send_past_gates(struct session *sess, const void *bytes, size_t n);

#endif
