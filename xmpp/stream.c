/* SPDX-License-Identifier: MIT */
/* The stream state machine: headers, features, STARTTLS, dispatch and stream errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "caps.h"
#include "ns.h"
#include "stream_int.h"

static void on_open(void *ctx, const struct xel *header, const char *default_ns);

static const struct parser_events stream_events = { on_open, stream_on_stanza, stream_on_close };

/* Before authentication only small stanzas make sense (SASL, STARTTLS, registration). */
static struct parser_limits preauth_limits(const struct stream_config *cfg)
{
    struct parser_limits lim = cfg->limits;
    if (lim.max_stanza_bytes > cfg->max_bytes_before_auth)
        lim.max_stanza_bytes = cfg->max_bytes_before_auth;
    return lim;
}

struct stream *stream_new(const struct stream_config *cfg, const struct stream_hooks *hooks,
                          void *ctx, bool tls_active, bool plaintext_ok)
{
    struct stream *s = xcalloc(1, sizeof(*s));
    s->cfg = cfg;
    s->hooks = hooks;
    s->ctx = ctx;
    s->tls_active = tls_active;
    s->plaintext_ok = plaintext_ok;
    s->state = STREAM_WAIT_HEADER;
    struct parser_limits lim = preauth_limits(cfg);
    s->parser = parser_new(&lim, &stream_events, s);
    buf_init(&s->out);
    return s;
}

void stream_free(struct stream *s)
{
    if (!s)
        return;
    sasl_reset(s);
    parser_free(s->parser);
    buf_fini(&s->out);
    free(s->ends);
    free(s->user);
    free(s->charged_user);
    jid_free(s->jid);
    free(s);
}

struct buf *stream_output(struct stream *s) { return &s->out; }
enum stream_state stream_state(const struct stream *s) { return s->state; }
const char *stream_user(const struct stream *s) { return s->user; }
bool stream_tls_active(const struct stream *s) { return s->tls_active; }
const char *stream_id(const struct stream *s) { return s->id[0] ? s->id : NULL; }

void stream_write_el(struct stream *s, const struct xel *el)
{
    /* A framed element is parsed on its own: no stream header lends it jabber:client. */
    xel_write(el, s->framing == FRAMING_NONE ? NS_CLIENT : NULL, &s->out);
    stream_element_written(s);
}

void stream_write_simple(struct stream *s, const char *name, const char *ns, const char *text)
{
    struct stanza *st = stanza_new(name, ns);
    if (text)
        xel_add_text(st, st->root, text, strlen(text));
    stream_write_el(s, st->root);
    stanza_unref(st);
}

/* Returns false when no random id could be drawn: the header then carries an all-zero id
 * and the caller ends the stream, as a predictable id must not serve a session (RFC 6120
 * §4.7.3). */
static bool write_header(struct stream *s, const char *lang)
{
    bool random = random_hex(s->id, (sizeof(s->id) - 1) / 2);
    s->header_sent = true;
    if (s->framing == FRAMING_BOSH)
        return random; /* the HTTP layer's <body/> carries the header's attributes */
    bool tcp = s->framing == FRAMING_NONE;
    buf_puts(&s->out, tcp ? "<?xml version='1.0'?><stream:stream xmlns='" NS_CLIENT
                            "' xmlns:stream='" NS_STREAM "'"
                          : "<open xmlns='" NS_FRAMING "'");
    buf_puts(&s->out, " id='");
    buf_puts(&s->out, s->id);
    buf_puts(&s->out, "' from='");
    xml_escape(s->cfg->domain, strlen(s->cfg->domain), &s->out);
    buf_puts(&s->out, "' version='1.0' xml:lang='");
    xml_escape(lang, strlen(lang), &s->out);
    buf_puts(&s->out, tcp ? "'>" : "'/>");
    stream_element_written(s);
    return random;
}

void stream_finish(struct stream *s)
{
    if (s->state == STREAM_CLOSED)
        return;
    s->state = STREAM_CLOSED;
    if (s->hooks->closed)
        s->hooks->closed(s->ctx);
}

void stream_error_content(struct stream *s, const char *condition, const char *content,
                          size_t content_len, const char *text)
{
    if (s->state == STREAM_CLOSED)
        return;
    if (!s->header_sent)
        write_header(s, "en");
    /* Framed, the error is a message of its own and must declare its prefix. */
    buf_puts(&s->out, s->framing == FRAMING_NONE ? "<stream:error><"
                                                 : "<stream:error xmlns:stream='" NS_STREAM "'><");
    buf_puts(&s->out, condition);
    buf_puts(&s->out, " xmlns='" NS_STREAMS_ERR "'");
    if (content) {
        buf_puts(&s->out, ">");
        xml_escape(content, content_len, &s->out);
        buf_printf(&s->out, "</%s>", condition);
    } else {
        buf_puts(&s->out, "/>");
    }
    if (text) {
        buf_puts(&s->out, "<text xmlns='" NS_STREAMS_ERR "'>");
        xml_escape(text, strlen(text), &s->out);
        buf_puts(&s->out, "</text>");
    }
    buf_puts(&s->out, "</stream:error>");
    stream_element_written(s);
    stream_write_end(s);
    stream_finish(s);
}

void stream_error(struct stream *s, const char *condition, const char *text)
{
    stream_error_content(s, condition, NULL, 0, text);
}

void stream_end(struct stream *s)
{
    if (s->state == STREAM_CLOSED)
        return;
    if (!s->header_sent)
        write_header(s, "en");
    stream_write_end(s);
    stream_finish(s);
}

static void write_features(struct stream *s)
{
    struct stanza *st = stanza_new("features", NS_STREAM);
    struct xel *f = st->root;
    bool secure = s->tls_active || s->plaintext_ok;
    if (s->user) {
        xel_add_child(st, f, "bind", NS_BIND);
        xel_add_child(st, xel_add_child(st, f, "session", NS_SESSION), "optional", NS_SESSION);
        if (s->cfg->roster_versioning)
            xel_add_child(st, f, "ver", NS_ROSTER_VER);
        if (s->hooks->sm_enable)
            xel_add_child(st, f, "sm", NS_SM);
        for (size_t i = 0; i < s->cfg->n_auth_features; i++)
            xel_add_child(st, f, s->cfg->auth_features[i].name, s->cfg->auth_features[i].ns);
        if (s->cfg->caps_ver) {
            struct xel *c = xel_add_child(st, f, "c", NS_CAPS);
            xel_set_attr(st, c, "hash", "sha-1");
            xel_set_attr(st, c, "node", s->cfg->caps_node);
            xel_set_attr(st, c, "ver", s->cfg->caps_ver);
        }
    } else {
        if (!s->tls_active && s->cfg->tls_available && s->framing == FRAMING_NONE) {
            struct xel *tls = xel_add_child(st, f, "starttls", NS_TLS);
            if (!s->plaintext_ok)
                xel_add_child(st, tls, "required", NS_TLS);
        }
        if (secure)
            sasl_features(s, st, f);
        if (secure && s->cfg->registration)
            xel_add_child(st, f, "register", NS_REGISTER_FEATURE);
    }
    stream_write_el(s, f);
    stanza_unref(st);
}

/* RFC 6120 §4.9.3: the header names our domain and version 1.x. */
static const char *check_header(struct stream *s, const struct xel *h)
{
    const char *to = xel_attr(h, "to");
    if (to) {
        struct jid *j = jid_parse(to);
        bool ours = j && !j->local && !j->resource && strcmp(j->domain, s->cfg->domain) == 0;
        jid_free(j);
        if (!ours)
            return "host-unknown";
    }
    const char *version = xel_attr(h, "version");
    if (!version || atoi(version) != 1)
        return "unsupported-version";
    return NULL;
}

void stream_accept_header(struct stream *s, const struct xel *h)
{
    const char *cond = check_header(s, h);
    if (cond) {
        stream_error(s, cond, NULL);
        parser_stop(s->parser);
        return;
    }
    if (!write_header(s, "en")) {
        stream_error(s, "internal-server-error", "no random stream id");
        parser_stop(s->parser);
        return;
    }
    write_features(s);
    s->state = s->user ? STREAM_BINDING : STREAM_NEGOTIATE;
}

/* TCP: the header is the stream element itself, in the streams namespace. */
static void on_open(void *ctx, const struct xel *header, const char *default_ns)
{
    struct stream *s = ctx;
    if (strcmp(header->name, "stream") != 0 || !header->ns ||
        strcmp(header->ns, NS_STREAM) != 0 || strcmp(default_ns, NS_CLIENT) != 0) {
        stream_error(s, "invalid-namespace", NULL);
        parser_stop(s->parser);
        return;
    }
    stream_accept_header(s, header);
}

static void start_tls(struct stream *s)
{
    if (s->tls_active || !s->cfg->tls_available || s->framing != FRAMING_NONE) {
        stream_write_simple(s, "failure", NS_TLS, NULL);
        stream_write_end(s);
        stream_finish(s);
        return;
    }
    stream_write_simple(s, "proceed", NS_TLS, NULL);
    s->state = STREAM_TLS_PENDING;
    parser_stop(s->parser);
    s->hooks->starttls(s->ctx);
}

static bool is_register_iq(const struct stanza *st)
{
    const struct xel *q = xel_first_elem(st->root);
    return st->kind == STANZA_IQ && q && q->ns && strcmp(q->ns, NS_REGISTER) == 0;
}

/* Before authentication: STARTTLS, SASL and in-band registration only. */
static bool negotiate(struct stream *s, struct stanza *st)
{
    const char *ns = st->root->ns ? st->root->ns : "";
    bool secure = s->tls_active || s->plaintext_ok;
    if (strcmp(ns, NS_TLS) == 0 && strcmp(st->root->name, "starttls") == 0) {
        start_tls(s);
    } else if (strcmp(ns, NS_SASL) == 0) {
        if (secure)
            sasl_handle(s, st->root);
        else
            sasl_failure(s, "encryption-required");
    } else if (secure && is_register_iq(st)) {
        s->hooks->stanza(s->ctx, st);
        return true;
    } else {
        stream_error(s, "not-authorized", NULL);
    }
    return false;
}

/* After authentication: binding first, then every jabber:client stanza goes up. */
static bool dispatch(struct stream *s, struct stanza *st)
{
    if (st->kind == STANZA_OTHER && stream_sm_handle(s, st->root))
        return false;
    if (s->state == STREAM_BINDING) {
        if (st->kind == STANZA_IQ && xel_child(st->root, "bind", NS_BIND))
            bind_handle(s, st);
        else
            stream_error(s, "not-authorized", "bind a resource first");
        return false;
    }
    if (st->kind == STANZA_OTHER) {
        if (!s->hooks->element || !s->hooks->element(s->ctx, st))
            stream_error(s, "unsupported-stanza-type", NULL);
        return false;
    }
    if (st->kind == STANZA_IQ && xel_child(st->root, "session", NS_SESSION)) {
        bind_handle(s, st);
        if (s->sm) { /* one stanza each way that the stream answers itself */
            s->sm->h_in++;
            sm_sent(s->sm, NULL, 0);
        }
        return false;
    }
    if (s->sm)
        s->sm->h_in++;
    s->hooks->stanza(s->ctx, st);
    return true;
}

void stream_on_stanza(void *ctx, struct stanza *st)
{
    struct stream *s = ctx;
    bool passed = false;
    if (s->state == STREAM_NEGOTIATE)
        passed = negotiate(s, st);
    else if (s->state == STREAM_BINDING || s->state == STREAM_BOUND)
        passed = dispatch(s, st);
    if (!passed)
        stanza_unref(st);
    if (s->state == STREAM_CLOSED)
        parser_stop(s->parser);
}

void stream_on_close(void *ctx)
{
    struct stream *s = ctx;
    stream_end(s);
    parser_stop(s->parser);
}

static const char *parse_condition(enum parser_error err)
{
    switch (err) {
    case PARSE_RESTRICTED_XML: return "restricted-xml";
    case PARSE_POLICY_VIOLATION: return "policy-violation";
    case PARSE_UNSUPPORTED_ENCODING: return "unsupported-encoding";
    default: return "not-well-formed";
    }
}

static void restart_parser(struct stream *s)
{
    parser_reset(s->parser);
    parser_set_max_stanza(s->parser, s->user ? s->cfg->limits.max_stanza_bytes
                                             : preauth_limits(s->cfg).max_stanza_bytes);
    s->restart = false;
    s->header_sent = false;
    s->state = STREAM_WAIT_HEADER;
    if (s->framing != FRAMING_NONE)
        framing_start(s);
}

void stream_parse(struct stream *s, const char *data, size_t len)
{
    while (len > 0 && s->state != STREAM_CLOSED && s->state != STREAM_TLS_PENDING) {
        size_t used;
        enum parser_error err;
        int rc = parser_feed(s->parser, data, len, &used, &err);
        if (rc == PL_EINVAL) {
            stream_error(s, parse_condition(err), NULL);
        } else if (rc == PL_ECLOSED && s->restart) {
            restart_parser(s); /* bytes after SASL success belong to the new stream */
            data += used;
            len -= used;
            continue;
        }
        break;
    }
}

int stream_feed(struct stream *s, const char *data, size_t len)
{
    if (!s->user && s->state != STREAM_CLOSED) {
        s->bytes_before_auth += len;
        if (s->bytes_before_auth > s->cfg->max_bytes_before_auth)
            stream_error(s, "policy-violation", "too much data before authentication");
    }
    if (s->framing == FRAMING_NONE)
        stream_parse(s, data, len);
    else
        framing_feed(s, data, len);
    return s->state == STREAM_CLOSED ? PL_ECLOSED : PL_OK;
}

void stream_tls_started(struct stream *s)
{
    s->tls_active = true;
    restart_parser(s);
}

bool stream_trim(struct stream *s)
{
    buf_shrink(&s->out, 0);
    if (s->n_ends == 0) { /* an idle framed stream keeps no array of ends either */
        free(s->ends);
        s->ends = NULL;
        s->cap_ends = 0;
    }
    return s->state == STREAM_BOUND && parser_release_idle(s->parser);
}
