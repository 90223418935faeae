/* SPDX-License-Identifier: MIT */
/* A client stream's link to its session, whatever transport carries it: the stream hooks,
 * stream management, and what happens to the session when the transport goes. */
#ifndef PL_C2S_H
#define PL_C2S_H

#include <stdbool.h>
#include <stdint.h>

#include "stream.h"
#include "transport.h"

struct server;
struct session;

/* The hooks every transport gives its stream (stream_new), with the transport as ctx. */
extern const struct stream_hooks c2s_hooks;

/* ---- c2s_sm.c: stream management (see struct stream_hooks) ---- */
struct sm *c2s_sm_enable(void *ctx, bool resume, unsigned max_s);
int c2s_sm_resume(void *ctx, const char *previd, struct sm **sm, uint32_t *h);
void c2s_sm_resumed(void *ctx);
void c2s_sm_ack_wanted(void *ctx);
/* The session's stream management counts wait for this loop turn's commit (it received
 * stanzas, or was asked for its count); settle runs after the commit; forget when the session
 * ends. */
void sm_commit_watch(struct server *srv, struct session *sess);
void sm_commit_settle(struct server *srv, bool committed);
void sm_commit_forget(struct server *srv, struct session *sess);
/* A stanza went out to t under stream management: ask for an ack now and then. */
void c2s_sm_sent(struct transport *t, struct sm *sm);
/* Once a second: asks a quiet client for its count; one that leaves a request unanswered
 * for too long is gone (its session waits for resumption). */
void c2s_sm_tick(struct transport *t, uint64_t now_ms);

/* ---- c2s.c: the session when its transport goes ---- */
/* The transport was lost (not closed by either side's stream): a session that may be
 * resumed waits for its client; any other leaves the table now. */
void c2s_connection_lost(struct transport *t);
/* The transport is going away: its session leaves the table now (idempotent). */
void c2s_session_detach(struct transport *t);
/* At the end of the loop turn: module farewells (unavailable presence), then free. */
void c2s_session_free(struct transport *t);

#endif
