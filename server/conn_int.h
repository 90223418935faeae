/* SPDX-License-Identifier: MIT */
/* The connection struct, shared by conn.c (I/O) and c2s.c (stream hooks). */
#ifndef PL_CONN_INT_H
#define PL_CONN_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "conn.h"
#include "stream.h"
#include "throttle.h"

struct bufferevent;
struct event;
struct conn_slices;

enum conn_timer { TIMER_AUTH, TIMER_RESUME, TIMER_LINGER };

struct conn {
    struct server *srv;
    struct bufferevent *bev;
    struct stream *stream;
    struct session *sess;
    struct event *timer;
    enum conn_timer timer_mode;
    struct conn *prev, *next; /* the server's list of live connections */
    struct conn *reap_next;
    bool closing;     /* stream ended: flush output, then free */
    bool reaped;      /* queued for freeing */
    bool tls_pending; /* <proceed/> written; wrap in TLS after this read */
    bool paused;      /* reading stopped (rate limit or our own output backlog) */
    bool direct_tls;
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
    char tag[24];
    char peer[64];     /* address without port, for logs */
    char peer_key[THROTTLE_SOURCE_LEN]; /* the source throttling counts (throttle_source_key) */
};

extern const struct stream_hooks c2s_hooks;

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

/* ---- c2s_sm.c: stream management hooks (see struct stream_hooks) ---- */
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
/* Asks the client for its count (<r/>) unless a request is already out. */
void conn_sm_request(struct conn *c);
/* A stanza went out under stream management: ask for an ack now and then. */
void conn_sm_sent(struct conn *c, struct sm *sm);
/* Once a second: asks a quiet client for its count; one that leaves a request unanswered
 * for too long is gone (its session waits for resumption). */
void conn_sm_tick(struct conn *c, uint64_t now_ms);

/* The connection was lost (not closed by either side's stream): a session that may be
 * resumed waits for its client; any other leaves the table now. */
void c2s_connection_lost(struct conn *c);
/* A connection is going away: its session leaves the table now (idempotent). */
void c2s_session_detach(struct conn *c);
/* At the end of the loop turn: module farewells (unavailable presence), then free. */
void c2s_session_free(struct conn *c);
/* The peer has authenticated: it stops counting toward max_unauthenticated_per_source. */
void conn_authenticated(struct conn *c);
/* Queues the stream's pending output on the socket. */
void conn_flush_stream(struct conn *c);

/* The peer is gone without a word (why, for the log): freed at the end of the turn, its
 * session waiting for resumption when it can be resumed. */
void conn_drop(struct conn *c, const char *why);
/* Output waiting for the peer in the socket's buffers (conn.c). */
size_t conn_queued(const struct conn *c);
/* Queues bytes on the socket as they are: no hold behind a reply in slices, no limit check. */
void conn_write_raw(struct conn *c, const void *bytes, size_t n);
/* on_low(c) runs whenever the queued output falls to low_watermark bytes or below; NULL
 * stops it. */
void conn_watch_output(struct conn *c, size_t low_watermark, void (*on_low)(struct conn *c));

/* ---- conn_slices.c: replies written in slices as the peer reads ---- */

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
