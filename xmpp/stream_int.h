/* SPDX-License-Identifier: MIT */
/* Private state shared by stream.c and the negotiation steps in stream_*.c. */
#ifndef PL_STREAM_INT_H
#define PL_STREAM_INT_H

#include "stream.h"

enum sasl_mech { MECH_NONE, MECH_PLAIN, MECH_SCRAM_SHA1, MECH_SCRAM_SHA256 };

/* What this stream's login attempts have cost (see stream_hooks.auth_charge). */
enum sasl_charge {
    CHARGE_NONE,    /* nothing charged yet */
    CHARGE_PENDING, /* charged; refunded if the attempt succeeds */
    CHARGE_KEPT,    /* an attempt failed: the charge stays; retries for the same account
                     * are not charged again, only asked about (auth_allowed) */
};

struct stream {
    const struct stream_config *cfg;
    const struct stream_hooks *hooks;
    void *ctx;
    enum stream_state state;
    bool tls_active;
    bool plaintext_ok;
    bool restart; /* the parser must start over before reading more */
    bool header_sent;
    unsigned auth_failures; /* not-authorized and temporary-auth-failure answers */
    enum sasl_charge charge;
    char *charged_user; /* the bare JID charged (NULL: none or unusable), owned */
    size_t bytes_before_auth;
    struct parser *parser;
    struct buf out;
    char *user; /* authenticated bare JID, owned */
    struct jid *jid;
    enum sasl_mech mech;
    struct scram_server *scram; /* during a SCRAM exchange, owned */
    struct sm *sm;              /* stream management state, borrowed from the session */
    char id[33];
    enum stream_framing framing;
    unsigned n_ends, cap_ends; /* framed: where each element written ends in out */
    size_t *ends;
};

/* Writes an element built in st (namespaces relative to jabber:client; framed, declared on
 * it). */
void stream_write_el(struct stream *s, const struct xel *el);
/* Writes <name xmlns=ns>text</name> (text may be NULL). */
void stream_write_simple(struct stream *s, const char *name, const char *ns, const char *text);

/* Framing (stream_framing.c): records an element's end in the output; starts a (new) framed
 * stream in the parser; parses one framed message, which must hold whole elements. */
void framing_element_end(struct stream *s);
void framing_start(struct stream *s);
void framing_feed(struct stream *s, const char *msg, size_t len);

/* Every element the stream writes whole goes through here once written, so that a framed
 * owner can send each as its own message; TCP pays one predictable branch. */
static inline void stream_element_written(struct stream *s)
{
    if (s->framing != FRAMING_NONE)
        framing_element_end(s);
}
/* Writes the end of the stream: </stream:stream>, WebSocket's <close/>, nothing for BOSH. */
void stream_write_end(struct stream *s);
/* Writes a stream error whose condition element holds content (content_len bytes, escaped;
 * content NULL: an empty condition), then the end of the stream. */
void stream_error_content(struct stream *s, const char *condition, const char *content,
                          size_t content_len, const char *text);
/* The stream has ended: nothing more is read, the owner hears of it once. */
void stream_finish(struct stream *s);
/* A stream header arrived (TCP's <stream:stream>, framed <open/>): checks its to and version,
 * then answers with our header and features, or with a stream error. */
void stream_accept_header(struct stream *s, const struct xel *h);
/* Parses peer bytes (already counted against the limits), restarting the parser as needed. */
void stream_parse(struct stream *s, const char *data, size_t len);
/* The parser's stanza and close events, shared by every framing. */
void stream_on_stanza(void *ctx, struct stanza *st);
void stream_on_close(void *ctx);

/* SASL (stream_sasl.c): handles <auth>, <response>, <abort> in the SASL namespace. */
void sasl_handle(struct stream *s, const struct xel *el);
void sasl_features(struct stream *s, struct stanza *st, struct xel *features);
void sasl_reset(struct stream *s);
/* Writes <failure xmlns=sasl><condition/></failure>. */
void sasl_failure(struct stream *s, const char *condition);

/* Stream management (stream_sm.c): true when el was one of its elements (handled). */
bool stream_sm_handle(struct stream *s, const struct xel *el);

/* Binding (stream_bind.c): handles the bind and legacy session iqs. */
void bind_handle(struct stream *s, struct stanza *st);

#endif
