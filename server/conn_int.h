/* SPDX-License-Identifier: MIT */
/* The connection struct, shared by conn.c (I/O) and c2s.c (stream hooks). */
#ifndef PL_CONN_INT_H
#define PL_CONN_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "conn.h"
#include "stream.h"
#include "transport.h"

struct bufferevent;
struct event;
struct conn_slices;

enum conn_timer { TIMER_AUTH, TIMER_RESUME, TIMER_LINGER, TIMER_IDLE };
struct http_conn;
struct ws;

struct conn {
    struct transport tp; /* first: the session's side of the connection */
    struct bufferevent *bev;
    struct event *timer;
    enum conn_timer timer_mode;
    struct conn *prev, *next; /* the server's list of live connections */
    struct conn *reap_next;
    bool reaped;      /* queued for freeing */
    bool tls_pending; /* <proceed/> written; wrap in TLS after this read */
    bool paused;      /* reading stopped (rate limit or our own output backlog) */
    bool direct_tls;
    bool loopback; /* the peer is on this machine */
    bool web;      /* accepted by an HTTP listener */
    struct http_conn *http; /* reading HTTP requests (conn_http.c); NULL: a stream */
    struct ws *ws;          /* the WebSocket carrying the stream (conn_ws.c); NULL: TCP */
    bool shut;   /* our side half-closed while lingering */
    bool unauthenticated; /* still counted by max_unauthenticated_per_source */
    unsigned reads;       /* reads since the last idle sweep */
    unsigned login_reads; /* reads so far, counted up to EAGER_TRIM_READS */
    uint64_t linger_until;
    uint64_t auth_deadline; /* ms, monotonic: bound by then or closed */
    struct conn_slices *slices, *slices_tail; /* replies written in slices, in order */
    size_t n_slices;
    size_t held; /* bytes sent while a reply is being written in slices, waiting behind it */
    uint64_t replies_done;   /* replies in slices finished so far */
    uint64_t last_reply_end; /* out_total once the last of them, and what it held, was queued */
    uint64_t out_total; /* bytes ever queued on the socket (conn_write_raw) */
    struct evbuffer *delayed; /* output held back while the server coalesces (conn_delay.c) */
    size_t delay_index;       /* 1 + its place in the server's list of those; 0: not listed */
    void (*on_output_low)(struct conn *c); /* conn_watch_output's callback; NULL: none */
    double tokens; /* stanza budget (token bucket) */
    uint64_t refill_ms;
};

static inline struct conn *conn_of(struct transport *t) { return (struct conn *)t; }
static inline const struct conn *conn_of_const(const struct transport *t)
{
    return (const struct conn *)t;
}

/* ---- conn_transport.c: a connection as its session's transport ---- */
extern const struct transport_ops conn_transport_ops;    /* XMPP over TCP (and TLS) */
extern const struct transport_ops conn_ws_transport_ops; /* XMPP over a WebSocket */
/* Queues bytes for the peer (bulk: see transport_ops.send); a peer whose output passes
 * max_output_bytes is dropped. */
void conn_send_bytes(struct conn *c, const void *bytes, size_t n, bool bulk);
/* The peer is gone without a word (why, for the log): freed at the end of the turn, its
 * session waiting for resumption when it can be resumed. */
void conn_drop(struct conn *c, const char *why);
/* The peer has authenticated: it stops counting toward max_unauthenticated_per_source. */
void conn_authenticated(struct conn *c);
void conn_charge(struct conn *c, unsigned tokens);

/* Arms the authentication deadline (auth_timeout) from now. */
void conn_auth_start(struct conn *c);
/* Closes the connection if nothing is read for seconds (an HTTP keep-alive waiting). */
void conn_idle_timer(struct conn *c, long seconds);
/* May this peer authenticate without TLS (allow_plaintext_loopback, or
 * http_loopback_login for streams over plain HTTP)? */
bool conn_plaintext_ok(const struct conn *c);
/* Is the connection encrypted from its first byte (direct TLS, HTTPS)? */
bool conn_secure(const struct conn *c);
/* Stops reading the peer (its request waits for an answer), and starts again. */
void conn_pause(struct conn *c);
void conn_resume(struct conn *c);

/* ---- conn_http.c: a connection reading HTTP requests ---- */
void conn_http_start(struct conn *c);
/* Takes bytes read (*used: how many; the rest belongs to the next request or to the
 * WebSocket it became). PL_OK, or PL_ECLOSED to close once the answer is written. */
int conn_http_read(struct conn *c, const char *data, size_t n, size_t *used);
void conn_http_free(struct conn *c);
/* c's request is held by a BOSH session (request: its handle, given back to
 * http_bind_forget if c goes first; NULL: not any more): c reads nothing until it answers. */
void conn_http_hold(struct conn *c, void *request);
/* Is a request of c held (nothing more is read meanwhile)? */
bool conn_http_busy(const struct conn *c);
/* Writes an answer to c's request, then reads the next (or closes, without keep_alive).
 * extra: header lines (CORS), each ended by \r\n. */
void conn_http_respond(struct conn *c, int status, const char *type, const void *body,
                       size_t n, const char *extra, bool keep_alive);

/* ---- conn_ws.c: XMPP over a WebSocket (RFC 7395) ---- */
/* The transport ops of its own (conn_transport.c has the table). */
void conn_ws_send(struct transport *t, const void *bytes, size_t n, bool bulk);
void conn_ws_flush_stream(struct transport *t);
/* Turns an HTTP connection into the WebSocket of a new stream (the 101 answer is written). */
void conn_ws_start(struct conn *c);
int conn_ws_read(struct conn *c, const char *data, size_t n, size_t *used);
/* The stream has written its last words: the WebSocket's close frame follows them. */
void conn_ws_closing(struct conn *c);
bool conn_ws_trim(struct conn *c);
void conn_ws_free(struct conn *c);

/* ---- conn_delay.c: output coalescing while the server is busy ---- */
/* Holds bytes back for up to the server's coalesce_us, with the connection's other held
 * output. */
void conn_delay_write(struct conn *c, const void *bytes, size_t n);
size_t conn_delay_queued(const struct conn *c);
/* Hands c's held output to its socket now (before its stream's last words). */
void conn_delay_flush(struct conn *c);
/* c goes: its held output with it. */
void conn_delay_forget(struct conn *c);
/* Starts watching the server's load, which turns coalescing on and off (output_coalesce_ms,
 * output_coalesce_cpu_pct). PL_OK or PL_EIO. */
int conn_delay_start(struct server *srv);

/* Output waiting for the peer in the socket's buffers (conn.c). */
size_t conn_queued(const struct conn *c);
/* Queues bytes on the socket as they are: no hold behind a reply in slices, no limit check. */
void conn_write_raw(struct conn *c, const void *bytes, size_t n);
/* on_low(c) runs whenever the queued output falls to low_watermark bytes or below; NULL
 * stops it. */
void conn_watch_output(struct conn *c, size_t low_watermark, void (*on_low)(struct conn *c));

/* ---- conn_slices.c: replies written in slices as the peer reads ---- */

/* See transport_ops.send_slices. */
int conn_send_slices(struct conn *c, bool (*next)(void *arg, struct buf *out, size_t budget),
                     void (*release)(void *arg), void *arg);
/* Everything owed to the peer: queued output and the bytes held behind a reply in slices. */
size_t conn_backlog(const struct conn *c);
/* While a reply is being written in slices, bytes sent to the connection wait behind it:
 * returns true when it kept them. */
bool conn_slices_hold(struct conn *c, const void *bytes, size_t n);
/* Writes slices while the queued output is below the low watermark; a finished reply lets
 * what waited behind it go. */
void conn_slices_pump(struct conn *c);
/* Frees every reply in slices (their free hooks run); keep_held: what waited behind them
 * goes out, else it is dropped (the connection is going). */
void conn_slices_cancel(struct conn *c, bool keep_held);

#endif
