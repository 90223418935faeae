/* SPDX-License-Identifier: MIT */
/* One client connection: socket (plain or TLS) under libevent, its stream and its session. */
#ifndef PL_CONN_H
#define PL_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>

#include "buf.h"

struct server;
struct conn;

/* Takes ownership of fd. direct_tls: TLS from the first byte (XEP-0368, or HTTPS). http: the
 * peer speaks HTTP (the web front: WebSocket, BOSH, host-meta...), not XMPP. Returns NULL
 * (fd closed, reason logged) when the connection cannot be set up. */
struct conn *conn_new(struct server *srv, int fd, const struct sockaddr *sa, bool direct_tls,
                      bool http);
/* Ends the stream (with a stream error when condition is not NULL) and detaches the session
 * at once; the connection lingers until its output is flushed and is freed by the reaper. */
void conn_close(struct conn *c, const char *condition, const char *text);
/* Frees now; only the server's reaper calls this. */
void conn_free(struct conn *c);

/* Called about once a second: a busy connection (one that keeps its parser between reads)
 * that read nothing since the previous call gives back its parser and buffers; they come
 * back on the next byte. Returns true when a parser was released. */
bool conn_trim_idle(struct conn *c);

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
