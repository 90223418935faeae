/* SPDX-License-Identifier: MIT */
/* BOSH sessions (XEP-0124, XEP-0206) without sockets or XML parsing: session creation, the rid
 * window, held requests and their answers, the response cache, deadlines and <body/> writing. */
#ifndef PL_BOSH_H
#define PL_BOSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "stanza.h"

#define NS_HTTPBIND "http://jabber.org/protocol/httpbind"
#define NS_XBOSH "urn:xmpp:xbosh"

/* XEP-0124 §14.1: rids stay below 2^53 so that clients holding numbers as doubles count
 * exactly; a larger rid is malformed. */
#define BOSH_RID_MAX 9007199254740991ull
#define BOSH_SID_LEN 32      /* hex digits: 128 random bits */
#define BOSH_AUTHID_MAX 63   /* longest stream id carried as authid */
#define BOSH_LANG_MAX 35     /* longest xml:lang kept (a longer one is ignored) */
#define BOSH_CONTENT_MAX 127 /* longest 'content' (the responses' Content-Type) accepted */

/* Terminal binding conditions (XEP-0124 §17.2). BOSH_COND_NONE ends a session gracefully. */
enum bosh_condition {
    BOSH_COND_NONE = 0,
    BOSH_BAD_REQUEST,
    BOSH_HOST_GONE,
    BOSH_HOST_UNKNOWN,
    BOSH_IMPROPER_ADDRESSING,
    BOSH_INTERNAL_SERVER_ERROR,
    BOSH_ITEM_NOT_FOUND,
    BOSH_OTHER_REQUEST,
    BOSH_POLICY_VIOLATION,
    BOSH_REMOTE_CONNECTION_FAILED,
    BOSH_REMOTE_STREAM_ERROR,
    BOSH_SEE_OTHER_URI,
    BOSH_SYSTEM_SHUTDOWN,
    BOSH_UNDEFINED_CONDITION,
};

/* The condition's name as written in condition='' (static; NULL for BOSH_COND_NONE). */
const char *bosh_condition_name(enum bosh_condition c);

/* Server-wide settings, borrowed for the lifetime of every session made with them. */
struct bosh_limits {
    const char *domain;    /* the domain served, prepared: 'to' must name it */
    unsigned max_wait;     /* seconds; a longer 'wait' is shortened to it */
    unsigned max_hold;     /* a larger 'hold' is lowered to it; requests = hold + 1 */
    unsigned inactivity;   /* seconds a session may hold no request (0: forever) */
    unsigned maxpause;     /* longest pause granted, seconds (0: pauses unsupported) */
    unsigned polling;      /* shortest interval between empty requests, seconds (0: any) */
    size_t max_body_bytes; /* payload in one response: whole elements, one larger goes alone */
};

/* What a session creation request negotiated (XEP-0124 §7, XEP-0206 §3). */
struct bosh_params {
    uint64_t rid; /* the creation request's */
    unsigned wait, hold, requests, inactivity, polling, maxpause;
    unsigned ver_major, ver_minor;      /* BOSH version answered: the lower of ours and theirs */
    bool acks;                          /* the client asked for acknowledgements (ack='1') */
    bool xmpp_1;                        /* xmpp:version 1.x: an XMPP 1.0 stream, restarts apply */
    char lang[BOSH_LANG_MAX + 1];       /* xml:lang, "" when absent */
    char content[BOSH_CONTENT_MAX + 1]; /* Content-Type of every response */
};

/* What a request asks of the stream, given to bosh_hooks.process. */
enum bosh_request_flags {
    BOSH_REQ_RESTART = 1u << 0,   /* xmpp:restart='true': restart the stream (payload is empty) */
    BOSH_REQ_TERMINATE = 1u << 1, /* type='terminate': close the stream after the payload */
    BOSH_REQ_PAUSE = 1u << 2,     /* pause='': the session is paused after this request */
};

/*
 * Calls to the glue. Requests are the glue's opaque handles: each one given to the session is
 * answered exactly once through answer (then it is the glue's again), unless the glue takes
 * it back with bosh_session_forget.
 * process: the request's turn has come (rid order, once per rid): feed its payload to the
 * stream now; flags are BOSH_REQ_RESTART (restart the stream first) and BOSH_REQ_TERMINATE
 * (end the stream after the payload). The glue keeps the payload with its request.
 * answer: send body (borrowed for the call) as the HTTP 200 response to request.
 * Inside either callback the glue may call bosh_session_send, bosh_session_close,
 * bosh_session_flush and the accessors; the session answers once the outer call ends. It must
 * not free the session there, nor call bosh_session_request, _forget or _tick.
 */
struct bosh_hooks {
    void (*process)(void *ctx, void *request, unsigned flags);
    void (*answer)(void *ctx, void *request, const struct buf *body);
};

struct bosh_session;

/*
 * Checks a session creation request's <body/> (body: the element as the parser's open event
 * gives it, attributes and all; it must carry no sid) and negotiates it against lim. Returns
 * BOSH_COND_NONE with *out filled, or the terminal condition to answer with (bad-request,
 * host-unknown, improper-addressing).
 */
enum bosh_condition bosh_negotiate(const struct bosh_limits *lim, const struct xel *body,
                                   struct bosh_params *out);

/*
 * Returns an owned session with a fresh random sid, holding the creation request. Nothing is
 * answered yet: the glue starts the stream, gives its first output (the features) to
 * bosh_session_send, sets the authid and calls bosh_session_flush, which writes the session
 * creation response. Returns NULL when no randomness could be drawn (answer
 * internal-server-error). lim and hooks are borrowed for the session's lifetime.
 */
struct bosh_session *bosh_session_new(const struct bosh_limits *lim, const struct bosh_params *p,
                                      const struct bosh_hooks *hooks, void *ctx, void *request,
                                      uint64_t now_ms);
/* Frees the session. Requests still held are forgotten (end it first to answer them). */
void bosh_session_free(struct bosh_session *s);

/* The sid (borrowed, BOSH_SID_LEN hex digits) and the negotiated parameters (borrowed). */
const char *bosh_session_sid(const struct bosh_session *s);
const struct bosh_params *bosh_session_params(const struct bosh_session *s);
/* The stream id to send as authid in the creation response (copied; a longer one is cut). */
void bosh_session_set_authid(struct bosh_session *s, const char *stream_id);

/*
 * A later request for this session: body is its <body/> (attributes only are read), empty
 * says it has no payload. By its rid the request is processed now (and the early ones it
 * unblocks after it, in rid order, through hooks.process), held until the rids before it
 * arrive, answered again from the cache (a repeat), or refused with a terminal condition that
 * ends the session. Every request held is answered through hooks.answer, maybe before this
 * returns. 'key' and 'newkey' (§15) are not checked, as the XEP allows: sessions run over TLS.
 * Returns PL_OK, or PL_ECLOSED when the session has ended (the glue frees it).
 */
int bosh_session_request(struct bosh_session *s, const struct xel *body, bool empty,
                         void *request, uint64_t now_ms);

/* Queues complete elements (one or more) for the client; a response's payload is cut only
 * between the pieces given to separate calls. Never calls back: bosh_session_flush sends. */
void bosh_session_send(struct bosh_session *s, const char *bytes, size_t n);
/* Bytes queued and not yet in a response: the glue's output watermark. */
size_t bosh_session_queued(const struct bosh_session *s);
/* Answers held requests with what is queued, and anything else due by now_ms. */
void bosh_session_flush(struct bosh_session *s, uint64_t now_ms);
/* request's connection is gone: its answer, when it comes, goes only to the repeat cache (a
 * request not processed yet is dropped: the client sends it again). */
void bosh_session_forget(struct bosh_session *s, void *request, uint64_t now_ms);

/* Does what is due by now_ms: held requests past 'wait' answered, early requests whose gap
 * was not filled within 'wait' answered with a recoverable error, the end of an inactive
 * session; then gives back the storage an idle session does not need. */
void bosh_session_tick(struct bosh_session *s, uint64_t now_ms);
/* When bosh_session_tick must run next (UINT64_MAX: never). */
uint64_t bosh_session_deadline(const struct bosh_session *s);

/*
 * The server ends the session: the last response carries what is queued and type='terminate'
 * with cond (BOSH_COND_NONE: a graceful end; BOSH_REMOTE_STREAM_ERROR: the queue ends with the
 * stream's <stream:error/>; BOSH_SEE_OTHER_URI: uri goes in <uri/>, copied). It goes to the
 * oldest held request, or to the next request that comes within the inactivity period.
 */
void bosh_session_close(struct bosh_session *s, enum bosh_condition cond, const char *uri,
                        uint64_t now_ms);
/* Over: every request it held is answered; the glue frees it. */
bool bosh_session_ended(const struct bosh_session *s);
/* Heap bytes the session holds (itself, its slots, cache, queue): for tests and statistics. */
size_t bosh_session_memory(const struct bosh_session *s);

/* Appends a terminal <body type='terminate' condition=''/>: the answer to a request with no
 * session (unknown sid: item-not-found) or a refused creation request. */
void bosh_write_terminate(struct buf *out, enum bosh_condition cond);

#endif
