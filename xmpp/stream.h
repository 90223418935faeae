/* SPDX-License-Identifier: MIT */
/* Sans-IO client-to-server XMPP stream: header, features, STARTTLS, SASL, bind. */
#ifndef PL_STREAM_H
#define PL_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "jid.h"
#include "parser.h"
#include "scram.h"
#include "sm.h"

enum stream_state {
    STREAM_WAIT_HEADER, /* a (new) stream header is expected */
    STREAM_NEGOTIATE,   /* features sent, before authentication */
    STREAM_TLS_PENDING, /* <proceed/> written; the transport is wrapping TLS */
    STREAM_BINDING,     /* authenticated, resource not bound yet */
    STREAM_BOUND,       /* stanzas flow */
    STREAM_CLOSED,      /* closing tag written or received; nothing more is read */
};

/*
 * How the stream is carried. FRAMING_NONE: a TCP byte stream (RFC 6120). The framed modes get
 * whole elements, one stream_feed per element (a WebSocket message, a child of a BOSH body),
 * open and close the stream with <open/> and <close/> in urn:ietf:params:xml:ns:xmpp-framing
 * (RFC 7395 §3.3), and write every element so that it stands alone (namespaces declared on
 * it). FRAMING_WEBSOCKET answers <open/> with <open/> and ends with <close/>;
 * FRAMING_BOSH writes neither: the HTTP layer carries them on its <body/> (XEP-0206).
 * STARTTLS is never offered framed: TLS is the transport's.
 */
enum stream_framing { FRAMING_NONE, FRAMING_WEBSOCKET, FRAMING_BOSH };

/* A child of <stream:features/> that a server extension announces, e.g. XEP-0352's
 * <csi xmlns='urn:xmpp:csi:0'/>. */
struct stream_feature {
    const char *name;
    const char *ns;
};

/* Server-wide settings; borrowed for the stream's lifetime. */
struct stream_config {
    const char *domain;
    struct parser_limits limits;     /* after authentication */
    size_t max_bytes_before_auth;    /* total input before authentication */
    bool tls_available;              /* a certificate is loaded */
    bool registration;               /* advertise XEP-0077 in-band registration */
    bool roster_versioning;          /* advertise RFC 6121 §2.6 roster versions after auth */
    unsigned max_auth_failures;      /* per connection, then policy-violation */
    /* Extensions announced in the features after authentication (borrowed). */
    const struct stream_feature *auth_features;
    size_t n_auth_features;
    /* XEP-0115: the server's own capabilities, announced with the features after
     * authentication (§6.3); NULL: none. */
    const char *caps_node, *caps_ver;
};

/*
 * Calls up to the owner. Every hook may be called from inside stream_feed.
 * stanza receives ownership of st. Stanzas arrive only once bound, except in-band
 * registration iqs (jabber:iq:register) which may come before authentication.
 */
struct stream_hooks {
    void (*starttls)(void *ctx);
    /*
     * Login throttling. A login attempt is charged when its password work is about to start
     * (PLAIN's response, SCRAM's client-first once the account is known) and refunded when it
     * succeeds, so parallel exchanges each pay. A stream is charged once per account it
     * names: a retry for the same account after a failure (another mechanism, or the same
     * one again) takes no second token, but still needs a whole token left in both buckets,
     * so an empty bucket refuses it. A refusal is answered with temporary-auth-failure, which
     * counts toward max_auth_failures.
     *
     * auth_allowed: may an attempt go ahead now? bare NULL asks for the source alone (at
     * every <auth>, before the payload is parsed); otherwise for the source and for the
     * source with bare (a retry for the account the stream was charged for; bare NULL then
     * stands for a name that was unusable too). Charges nothing. PL_OK, or PL_ELIMIT to
     * refuse for now.
     * auth_charge: charge one attempt for bare (NULL: the name is unusable, only the source
     * pays). PL_OK, or PL_ELIMIT (nothing charged) to refuse for now.
     * auth_refund: the charged attempt succeeded; bare is the one given to auth_charge.
     * auth_result: the outcome of a checked password, for the log; bare is NULL when the
     * attempt named no usable account. */
    int (*auth_allowed)(void *ctx, const char *bare);
    int (*auth_charge)(void *ctx, const char *bare);
    void (*auth_refund)(void *ctx, const char *bare);
    void (*auth_result)(void *ctx, const char *bare, bool ok);
    int (*get_creds)(void *ctx, const char *bare, struct scram_creds *out);
    /* Claims resource (NULL: the owner makes one up) for the authenticated user. On PL_OK
     * *full is the bound JID, owned by the stream; PL_EINVAL answers bad-request, PL_ELIMIT
     * resource-constraint (too many resources), anything else not-allowed. */
    int (*bind)(void *ctx, const char *resource, struct jid **full);
    void (*stanza)(void *ctx, struct stanza *st);
    /* A top-level element that is not a stanza (not message, presence or iq in jabber:client)
     * arrived once bound, e.g. XEP-0352's <active/>: returns true when the owner handled it
     * (st is borrowed for the call). Optional; without it, or on false, the stream ends with
     * unsupported-stanza-type. */
    bool (*element)(void *ctx, struct stanza *st);
    /* The stream has ended (optional: stream_feed also returns PL_ECLOSED). */
    void (*closed)(void *ctx);
    /*
     * Stream management (XEP-0198), offered when sm_enable is set. The state (struct sm)
     * belongs to the owner's session; the stream borrows it until stream_sm_forget.
     * sm_enable: the bound client enabled it (resume: it asks for resumption; max_s: the
     * window it asks for, 0 none). Returns the session's new state, or NULL to refuse.
     * sm_resume: the authenticated client asks to resume previd. PL_OK: *sm is that session's
     * state, now this stream's; PL_ENOTFOUND: unknown id; PL_EEXIST: the session is gone but
     * its count is known (*h). The stream then applies the client's h, writes <resumed/> and
     * calls sm_resumed, after which the owner sends that output and the unacknowledged
     * stanzas again.
     * sm_ack_wanted: the client sent <r/>; the owner answers with stream_sm_ack once what it
     * received is committed where it had to be stored.
     */
    struct sm *(*sm_enable)(void *ctx, bool resume, unsigned max_s);
    int (*sm_resume)(void *ctx, const char *previd, struct sm **sm, uint32_t *h);
    void (*sm_resumed)(void *ctx);
    void (*sm_ack_wanted)(void *ctx);
};

struct stream;

/* Returns an owned stream. tls_active: direct TLS. plaintext_ok: SASL allowed without TLS
 * (loopback test setups only; PLAIN is still never offered without TLS). */
struct stream *stream_new(const struct stream_config *cfg, const struct stream_hooks *hooks,
                          void *ctx, bool tls_active, bool plaintext_ok);
void stream_free(struct stream *s);
/* Chooses the framing; called once, after stream_new and before the first stream_feed. */
void stream_set_framing(struct stream *s, enum stream_framing f);

/* Feeds bytes from the peer. Returns PL_OK, or PL_ECLOSED once the stream has ended. Framed:
 * one message per call, which must end between elements (else not-well-formed). */
int stream_feed(struct stream *s, const char *data, size_t len);
/* Bytes to send to the peer, in order; the owner sends and consumes them (framed: through
 * stream_output_clear, so the element ends go too). */
struct buf *stream_output(struct stream *s);
/* Framed modes: the offsets in stream_output() where each complete element ends, in order
 * (*ends borrowed until the output is cleared), one message each; always 0 for FRAMING_NONE. */
size_t stream_output_ends(const struct stream *s, const size_t **ends);
/* The owner has taken the whole output: empties it (and its element ends). */
void stream_output_clear(struct stream *s);
/* The transport has wrapped the connection in TLS: a new stream header is expected. */
void stream_tls_started(struct stream *s);
/* Writes a stream error (RFC 6120 §4.9 condition name) and the closing tag (WebSocket:
 * <close/>; BOSH: none, the HTTP layer terminates). */
void stream_error(struct stream *s, const char *condition, const char *text);
/* Writes the closing tag (graceful shutdown; as for stream_error when framed). */
void stream_end(struct stream *s);
/*
 * Sends the client elsewhere and ends the stream. WebSocket: <close see-other-uri='uri'/>
 * (RFC 7395 §3.6.1), at any point, even before <open/>. TCP: the see-other-host stream error
 * (RFC 6120 §4.9.3.19) naming the URI's host without its port, which belongs to the URI's
 * scheme, not to c2s. BOSH: nothing is written, the stream just ends: the HTTP layer answers
 * with condition='see-other-uri' and the <uri/> itself (XEP-0124's terminal conditions).
 */
void stream_redirect(struct stream *s, const char *uri);

enum stream_state stream_state(const struct stream *s);
/* The authenticated bare JID string, or NULL; borrowed. */
const char *stream_user(const struct stream *s);
bool stream_tls_active(const struct stream *s);
/* The id of the last stream header written (BOSH: drawn, for the HTTP layer's authid), or
 * NULL before the first; borrowed, changes at each restart. */
const char *stream_id(const struct stream *s);
/* Stream management: writes <a h=''/> with the count received; the state the stream
 * borrows (NULL: not enabled); forget it (the session moved to another stream or ended). */
void stream_sm_ack(struct stream *s);
struct sm *stream_sm(const struct stream *s);
void stream_sm_forget(struct stream *s);
/* Frees parser state while idle between stanzas (see parser_release_idle()); returns true
 * when the parser was released. */
bool stream_trim(struct stream *s);

#endif
