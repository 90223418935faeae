/* SPDX-License-Identifier: MIT */
/* What carries a client's stream: a TCP/TLS connection, a WebSocket, a BOSH session. The
 * stream hooks, the router, delivery, stream management and every module see only this. */
#ifndef PL_TRANSPORT_H
#define PL_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "stanza.h"
#include "throttle.h"

struct server;
struct session;
struct stream;
struct transport;

struct transport_ops {
    /* Queues bytes for the peer: one or more complete top-level elements. bulk: fan-out (a
     * room's message to each occupant), which may wait briefly to share a write with others;
     * what is sent after it takes it along (order is kept). A peer that lets too much wait
     * is dropped. */
    void (*send)(struct transport *t, const void *bytes, size_t n, bool bulk);
    /*
     * Writes a long reply in slices at the peer's pace instead of queuing it whole: next(arg,
     * out, budget) appends the next slice (about budget bytes) to out and returns true with
     * the last one; it runs again only when the queued output has fallen below a low
     * watermark. Anything else sent meanwhile waits behind the reply, so it stays one
     * unbroken element. release(arg) runs once, when the reply is done or the transport goes.
     * Replies queue in order. Returns PL_OK, or PL_ELIMIT (too many replies pending: release
     * has run) or PL_ECLOSED (the transport is going: release has run).
     */
    int (*send_slices)(struct transport *t,
                       bool (*next)(void *arg, struct buf *out, size_t budget),
                       void (*release)(void *arg), void *arg);
    /* A mark after everything sent so far, and whether the bytes up to a mark have left for
     * the peer (handed to the kernel, TLS records included). Bytes held behind replies in
     * slices go out after the rest of those replies, whose length is not known yet: such a
     * mark also names the replies that must end first (*gate, 0: none), and counts from
     * where the last of them ended. */
    uint64_t (*sent_mark)(const struct transport *t, uint64_t *gate);
    bool (*mark_written)(const struct transport *t, uint64_t mark, uint64_t gate);
    /* Sends what the stream engine wrote (stream_output), as the transport frames it. */
    void (*flush_stream)(struct transport *t);
    /* Ends the stream (with a stream error when condition is not NULL) and detaches the
     * session at once; the transport goes once its output is flushed. */
    void (*close)(struct transport *t, const char *condition, const char *text);
    /* The peer is gone without a word (why, for the log): its session waits for resumption
     * when it can be resumed. */
    void (*drop)(struct transport *t, const char *why);
    /* Spends stanza-rate tokens for expensive work; reading pauses while they are owed. */
    void (*charge)(struct transport *t, unsigned tokens);
    /* The peer has authenticated (it no longer counts as an unauthenticated source). */
    void (*authenticated)(struct transport *t);
    /* <proceed/> is written: wrap the connection in TLS after this read. NULL: the
     * transport never offers STARTTLS. */
    void (*starttls)(struct transport *t);
};

/* Embedded in each transport's own struct; the fields are the core's to read. */
struct transport {
    const struct transport_ops *ops;
    struct server *srv;
    struct stream *stream;
    struct session *sess; /* NULL before binding, and once detached */
    bool closing;         /* the stream has ended: nothing more is routed for it */
    const char *kind;     /* "tcp", "websocket", "bosh": for logs and metrics */
    char tag[24];         /* names the transport in logs */
    char peer[64];        /* address without port */
    char peer_key[THROTTLE_SOURCE_LEN]; /* the source throttling counts */
};

static inline void transport_send(struct transport *t, const void *bytes, size_t n)
{
    t->ops->send(t, bytes, n, false);
}

/* Hands emit the element in bytes (our own writer's) so that it stands alone: as it is when
 * it declares its namespace, else with xmlns='jabber:client' added (a WebSocket message or a
 * BOSH body is read on its own, RFC 7395 §3.3.3, XEP-0206 §6). */
void transport_qualify(struct server *srv, const char *bytes, size_t n,
                       void (*emit)(void *ctx, const char *bytes, size_t n), void *ctx);
/* send_slices for transports whose messages hold whole elements: the reply is gathered, then
 * sent at once. Its size is bounded by what produces it (a roster, a list). */
int transport_send_whole(struct transport *t,
                         bool (*next)(void *arg, struct buf *out, size_t budget),
                         void (*release)(void *arg), void *arg);
/* Serializes st and queues it (before binding, or for a stream's own answers). */
void transport_send_stanza(struct transport *t, const struct stanza *st);
/* Whether the stream is encrypted (or the loopback exception applies: see the config). */
bool transport_secure(const struct transport *t);

#endif
