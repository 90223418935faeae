/* SPDX-License-Identifier: MIT */
/* One client connection: socket (plain or TLS) under libevent, its stream and its session. */
#ifndef PL_CONN_H
#define PL_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>

#include "buf.h"
#include "stanza.h"

struct server;
struct session;

struct conn;

/* Takes ownership of fd. direct_tls: XEP-0368 port, TLS from the first byte. Returns NULL
 * (fd closed, reason logged) when the connection cannot be set up. */
struct conn *conn_new(struct server *srv, int fd, const struct sockaddr *sa, bool direct_tls);
/* Queues bytes for the peer. A peer whose output passes max_output_bytes is dropped. */
void conn_send(struct conn *c, const void *bytes, size_t n);
/* The same for fan-out (a room's message to each occupant): while the server is busy the
 * bytes may wait up to output_coalesce_ms, so that one write carries several stanzas; what is
 * sent with conn_send after them takes them along at once (order is kept). */
void conn_send_bulk(struct conn *c, const void *bytes, size_t n);
/*
 * Writes a long reply in slices at the peer's pace instead of queuing it whole: next(arg, out,
 * budget) appends the next slice (about budget bytes) to out and returns true with the last
 * one; it runs again only when the queued output has fallen below a low watermark. Anything
 * else sent to the connection meanwhile waits behind the reply, so it stays one unbroken
 * stanza. release(arg) runs once, when the reply is done or the connection goes. Replies
 * queue in order. Returns PL_OK, or PL_ELIMIT (too many replies pending: release has run) or
 * PL_ECLOSED (the connection is going: release has run).
 */
int conn_send_slices(struct conn *c, bool (*next)(void *arg, struct buf *out, size_t budget),
                     void (*release)(void *arg), void *arg);
/* A mark after everything sent to c so far, and whether the bytes up to a mark have left
 * for the peer (handed to the kernel, TLS records included). Bytes held behind replies in
 * slices go out after the rest of those replies, whose length is not known yet: such a mark
 * also names the replies that must end first (*gate, 0: none), and counts from where the
 * last of them ended. */
uint64_t conn_sent_mark(const struct conn *c, uint64_t *gate);
bool conn_mark_written(const struct conn *c, uint64_t mark, uint64_t gate);
/* Serializes st once into the server's scratch buffer and queues it. */
void conn_send_stanza(struct conn *c, const struct stanza *st);
/* Ends the stream (with a stream error when condition is not NULL) and detaches the session
 * at once; the connection lingers until its output is flushed and is freed by the reaper. */
void conn_close(struct conn *c, const char *condition, const char *text);
/* Frees now; only the server's reaper calls this. */
void conn_free(struct conn *c);

/* Called about once a second: a busy connection (one that keeps its parser between reads)
 * that read nothing since the previous call gives back its parser and buffers; they come
 * back on the next byte. Returns true when a parser was released. */
bool conn_trim_idle(struct conn *c);
/* Spends stanza-rate tokens for expensive work; reading pauses while the budget is negative. */
void conn_charge(struct conn *c, unsigned tokens);

const char *conn_tag(const struct conn *c);
const char *conn_peer(const struct conn *c);
/* The source that throttling counts: see throttle_source_key(). */
const char *conn_peer_key(const struct conn *c);
struct session *conn_session(const struct conn *c);
bool conn_tls(const struct conn *c);

/* ---- one request line in, one answer out, on an accepted local socket (control channel) ---- */

struct conn_line;

struct conn_line_ops {
    size_t max_line; /* longest request, newline excluded */
    long timeout_s;  /* for reading the request, and again for writing the answer */
    /* Appends the answer to line (NULL: the request was longer than max_line) to out. */
    void (*answer)(void *arg, const char *line, struct buf *out);
    /* The exchange is over (answered, timed out or the peer went): l is freed after this. */
    void (*closed)(void *arg, struct conn_line *l);
};

/* Takes ownership of fd; ops and arg must outlive the exchange. Returns NULL (fd closed) when
 * it cannot be set up. */
struct conn_line *conn_line_new(struct server *srv, int fd, const struct conn_line_ops *ops,
                                void *arg);
/* Drops an exchange in progress without calling closed. NULL is fine. */
void conn_line_free(struct conn_line *l);

#endif
