/* SPDX-License-Identifier: MIT */
/* Client protocol: features, STARTTLS, SASL, bind, presence, registration, incoming stanzas. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "engine.h"
#include "ns.h"
#include "replies.h"

/* Appends s with XML escaping: elements with text from outside are built whole first, as each
 * goes out in one piece (one WebSocket message). */
static void put_escaped(struct buf *b, const char *s)
{
    xml_escape(s, strlen(s), b);
}

/* Sends the element in b, then frees it. */
static void send_built(struct client *c, struct buf *b, bool stanza)
{
    if (stanza)
        client_stanza_send(c, b->data, b->len);
    else
        client_send(c, b->data, b->len);
    buf_fini(b);
}

/* The first child element's name: the condition of a stream error or SASL failure. */
static const char *condition(const struct stanza *st)
{
    const struct xel *el = xel_first_elem(st->root);
    return el ? el->name : "unknown";
}

static void fail_with(struct client *c, const char *what, const char *detail)
{
    char why[160];
    snprintf(why, sizeof(why), "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
    client_close(c, true, why);
}

static bool mechanism_offered(const struct stanza *st, const char *name)
{
    const struct xel *m = xel_child(st->root, "mechanisms", NS_SASL);
    for (const struct xel *el = m ? m->first : NULL; el; el = el->next)
        if (el->name && strcmp(el->name, "mechanism") == 0 && strcmp(xel_text(el), name) == 0)
            return true;
    return false;
}

static void send_b64_element(struct client *c, const char *open, const char *close,
                             const struct buf *raw)
{
    struct buf b;
    buf_init(&b);
    buf_puts(&b, open);
    if (raw->len)
        b64_encode(raw->data, raw->len, &b);
    buf_puts(&b, close);
    send_built(c, &b, false);
}

static void start_auth(struct client *c, const struct stanza *features)
{
    const struct bench_opts *o = c->eng->o;
    const char *mech = sasl_client_mech_name(o->sasl);
    if (!mechanism_offered(features, mech)) {
        fail_with(c, "the server does not offer", mech);
        return;
    }
    c->sasl = xmalloc(sizeof(*c->sasl));
    sasl_client_init(c->sasl, o->sasl, c->user, o->password);
    struct buf raw;
    buf_init(&raw);
    if (sasl_client_start(c->sasl, &raw) == PL_OK) {
        char open[128];
        snprintf(open, sizeof(open), "<auth xmlns='" NS_SASL "' mechanism='%s'>", mech);
        send_b64_element(c, open, "</auth>", &raw);
        c->state = CL_AUTH;
    } else {
        fail_with(c, "cannot start SASL", NULL);
    }
    buf_fini(&raw);
}

static void send_register(struct client *c)
{
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "<iq%s type='set' id='reg'><query xmlns='" NS_REGISTER "'><username>",
               client_xmlns(c));
    put_escaped(&b, c->user);
    buf_puts(&b, "</username><password>");
    put_escaped(&b, c->eng->o->password);
    buf_puts(&b, "</password></query></iq>");
    send_built(c, &b, false);
    c->state = CL_REGISTERING;
}

static void send_resume(struct client *c)
{
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "<resume xmlns='" NS_SM "' h='%" PRIu32 "' previd='", c->resume_h);
    put_escaped(&b, c->sm_id);
    buf_puts(&b, "'/>");
    send_built(c, &b, false);
    c->state = CL_RESUMING;
}

static void send_bind(struct client *c)
{
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "<iq%s type='set' id='bind'><bind xmlns='" NS_BIND "'><resource>",
               client_xmlns(c));
    put_escaped(&b, c->eng->o->resource);
    buf_puts(&b, "</resource></bind></iq>");
    send_built(c, &b, false);
    c->state = CL_BINDING;
}

static void on_features(struct client *c, struct stanza *st)
{
    const struct bench_opts *o = c->eng->o;
    if (o->tls == BTLS_STARTTLS && !c->tls_on) {
        if (!xel_child(st->root, "starttls", NS_TLS)) {
            fail_with(c, "the server offers no STARTTLS", NULL);
            return;
        }
        client_printf(c, "<starttls xmlns='" NS_TLS "'/>");
        c->state = CL_STARTTLS;
    } else if (!c->authed && o->scenario == SCEN_REGISTER) {
        send_register(c);
    } else if (!c->authed) {
        start_auth(c, st);
    } else if (o->sm && !xel_child(st->root, "sm", NS_SM)) {
        fail_with(c, "the server offers no stream management (XEP-0198)", NULL);
    } else if (c->resuming) {
        send_resume(c);
    } else {
        send_bind(c);
    }
}

static void on_proceed(struct client *c, struct stanza *st)
{
    (void)st;
    if (c->state != CL_STARTTLS) {
        fail_with(c, "unexpected <proceed/>", NULL);
        return;
    }
    c->want_tls = true;
    parser_stop(c->parser);
}

/* Base64 text of a SASL element, decoded; "" and "=" are empty. Owned, NULL when invalid. */
static unsigned char *decode_text(const struct stanza *st, size_t *len)
{
    const char *t = xel_text(st->root);
    if (!*t || strcmp(t, "=") == 0) {
        *len = 0;
        return (unsigned char *)xstrdup("");
    }
    return b64_decode(t, strlen(t), len);
}

static void on_challenge(struct client *c, struct stanza *st)
{
    size_t len;
    unsigned char *raw = c->sasl ? decode_text(st, &len) : NULL;
    struct buf out;
    buf_init(&out);
    int rc = raw ? sasl_client_challenge(c->sasl, c->eng->keys, (const char *)raw, len, &out)
                 : PL_EINVAL;
    if (rc == PL_OK)
        send_b64_element(c, "<response xmlns='" NS_SASL "'>", "</response>", &out);
    else
        fail_with(c, "SASL challenge", pl_strerror(rc));
    buf_fini(&out);
    free(raw);
}

static void on_success(struct client *c, struct stanza *st)
{
    size_t len;
    unsigned char *raw = c->sasl ? decode_text(st, &len) : NULL;
    int rc = raw ? sasl_client_success(c->sasl, (const char *)raw, len) : PL_EINVAL;
    free(raw);
    if (rc != PL_OK) {
        fail_with(c, "the server's SCRAM signature does not verify", NULL);
        return;
    }
    sasl_client_fini(c->sasl);
    free(c->sasl);
    c->sasl = NULL;
    c->authed = true;
    c->want_restart = true; /* RFC 6120 §6.4.6: a new stream over the same connection */
    parser_stop(c->parser);
}

static void on_sasl_failure(struct client *c, struct stanza *st)
{
    fail_with(c, "authentication failed", condition(st));
}

static void on_tls_failure(struct client *c, struct stanza *st)
{
    (void)st;
    fail_with(c, "STARTTLS refused", NULL);
}

static void on_stream_error(struct client *c, struct stanza *st)
{
    fail_with(c, "stream error", condition(st));
}

static void went_online(struct client *c, struct stanza *st)
{
    struct engine *e = c->eng;
    const struct xel *jid = xel_child(xel_child(st->root, "bind", NS_BIND), "jid", NS_BIND);
    if (st->type != IQ_RESULT || !jid || !*xel_text(jid)) {
        fail_with(c, "bind refused", st->type == IQ_ERROR ? condition(st) : NULL);
        return;
    }
    struct buf b;
    buf_init(&b);
    xml_escape(xel_text(jid), strlen(xel_text(jid)), &b);
    c->jid = xstrndup(b.data, b.len); /* escaped once here, written into every message */
    buf_fini(&b);
    if (e->o->sm) {
        client_printf(c, e->o->scenario == SCEN_RESUME ? "<enable xmlns='" NS_SM
                                                         "' resume='true'/>"
                                                       : "<enable xmlns='" NS_SM "'/>");
        c->sm_on = true;
    }
    client_stanza_printf(c, "<presence%s/>", client_xmlns(c));
    c->state = CL_ONLINE;
    e->in_flight--;
    e->online++;
    e->logins++;
    hist_record(&e->login_us, e->now_us - c->start_us);
    if (e->hooks.online)
        e->hooks.online(e->ctx, c, e->now_us);
}

static void registered(struct client *c, struct stanza *st)
{
    const struct xel *err = xel_child(st->root, "error", NULL);
    bool exists = err && xel_child(err, "conflict", NS_STANZAS);
    if (st->type == IQ_RESULT || exists) {
        c->eng->registered++; /* an existing account is as good as a new one here */
        client_close(c, false, NULL);
    } else {
        fail_with(c, "registration refused", err ? condition(st) : NULL);
    }
}

/* Answers pings; every other request gets service-unavailable, like a minimal client. */
static void answer_request(struct client *c, struct stanza *st)
{
    bool ping = xel_child(st->root, "ping", NS_PING) != NULL;
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "<iq%s type='%s' id='", client_xmlns(c), ping ? "result" : "error");
    put_escaped(&b, st->id ? st->id : "");
    if (st->from) {
        buf_puts(&b, "' to='");
        put_escaped(&b, st->from);
    }
    buf_puts(&b, ping ? "'/>"
                      : "'><error type='cancel'><service-unavailable xmlns='" NS_STANZAS
                        "'/></error></iq>");
    send_built(c, &b, true);
}

static void on_iq(struct client *c, struct stanza *st)
{
    if (st->type & (IQ_GET | IQ_SET)) {
        answer_request(c, st);
        return;
    }
    const char *id = st->id ? st->id : "";
    if (c->state == CL_BINDING && strcmp(id, "bind") == 0)
        went_online(c, st);
    else if (c->state == CL_REGISTERING && strcmp(id, "reg") == 0)
        registered(c, st);
    else if (c->state == CL_ONLINE && c->eng->hooks.iq_result)
        c->eng->hooks.iq_result(c->eng->ctx, c, st, c->eng->now_us);
}

static void on_message(struct client *c, struct stanza *st)
{
    struct engine *e = c->eng;
    if (st->type == MSG_ERROR)
        e->errors++;
    else if (e->hooks.message)
        e->hooks.message(e->ctx, c, st, e->now_us);
}

static void on_presence(struct client *c, struct stanza *st)
{
    struct engine *e = c->eng;
    if (c->state == CL_ONLINE && e->hooks.presence)
        e->hooks.presence(e->ctx, c, st, e->now_us);
}

static void on_sm_enabled(struct client *c, struct stanza *st)
{
    (void)st;
    if (!c->sm_on || c->sm_enabled) {
        fail_with(c, "unexpected <enabled/>", NULL);
        return;
    }
    c->sm_enabled = true;
    c->eng->sm_enabled++;
    const char *id = xel_attr(st->root, "id");
    free(c->sm_id);
    c->sm_id = id && *id ? xstrdup(id) : NULL;
}

static void on_sm_failed(struct client *c, struct stanza *st)
{
    if (c->state == CL_RESUMING) {
        c->resuming = false; /* the session is gone: a later start logs in afresh */
        fail_with(c, "resumption refused", condition(st));
        return;
    }
    fail_with(c, "stream management refused", condition(st));
}

/* The session is back: counters go on where they were, nothing is bound or announced. */
static void on_sm_resumed(struct client *c, struct stanza *st)
{
    struct engine *e = c->eng;
    uint32_t h;
    const char *previd = xel_attr(st->root, "previd");
    if (c->state != CL_RESUMING || !previd || strcmp(previd, c->sm_id) != 0 ||
        !reply_parse_h(xel_attr(st->root, "h"), &h)) {
        fail_with(c, "unexpected <resumed/>", previd);
        return;
    }
    c->resuming = false;
    c->sm_on = c->sm_enabled = true;
    c->sm_in = c->resume_h;
    c->sm_out = c->sm_acked = h; /* nothing of ours was in flight when the connection went */
    c->state = CL_ONLINE;
    e->in_flight--;
    e->online++;
    e->resumed++;
    hist_record(&e->resume_us, e->now_us - c->start_us);
    if (e->hooks.online)
        e->hooks.online(e->ctx, c, e->now_us);
}

/* The server asks how many of its stanzas we have handled. */
static void on_sm_request(struct client *c, struct stanza *st)
{
    (void)st;
    if (c->sm_enabled)
        client_printf(c, "<a xmlns='" NS_SM "' h='%" PRIu32 "'/>", c->sm_in);
}

static void on_sm_ack(struct client *c, struct stanza *st)
{
    const char *h = xel_attr(st->root, "h");
    uint32_t v;
    if (!c->sm_enabled || !reply_parse_h(h, &v)) {
        fail_with(c, "bad stream management ack", h);
        return;
    }
    c->sm_acked = v;
    c->eng->sm_acks++;
}

static void on_close(void *ctx);

/* RFC 7395 §3.4: the server's <open/> answers ours as its stream header would on TCP. */
static void on_framing_open(struct client *c, struct stanza *st)
{
    (void)st;
    if (!c->ws)
        fail_with(c, "<open/> on a TCP stream", NULL);
}

/* RFC 7395 §3.6: <close/> ends the stream as </stream:stream> does on TCP. When it answers
 * ours, the WebSocket's closing handshake follows: the server's close frame, or the end of
 * its connection, closes the client. */
static void on_framing_close(struct client *c, struct stanza *st)
{
    (void)st;
    if (!(c->ending && client_ws_close(c)))
        on_close(c);
}

struct stanza_row {
    const char *name;
    const char *ns;
    void (*fn)(struct client *c, struct stanza *st);
};

/* Messages first: they are nearly all of the traffic once the sessions are up. */
static const struct stanza_row stanza_rows[] = {
    { "message", NS_CLIENT, on_message },
    { "iq", NS_CLIENT, on_iq },
    { "presence", NS_CLIENT, on_presence },
    { "features", NS_STREAM, on_features },
    { "proceed", NS_TLS, on_proceed },
    { "failure", NS_TLS, on_tls_failure },
    { "challenge", NS_SASL, on_challenge },
    { "success", NS_SASL, on_success },
    { "failure", NS_SASL, on_sasl_failure },
    { "error", NS_STREAM, on_stream_error },
    { "r", NS_SM, on_sm_request },
    { "a", NS_SM, on_sm_ack },
    { "enabled", NS_SM, on_sm_enabled },
    { "failed", NS_SM, on_sm_failed },
    { "resumed", NS_SM, on_sm_resumed },
    { "open", NS_FRAMING, on_framing_open },
    { "close", NS_FRAMING, on_framing_close },
};

static void on_stanza(void *ctx, struct stanza *st)
{
    struct client *c = ctx;
    const struct xel *r = st->root;
    /* XEP-0198 counts the stanzas proper: message, presence, iq (jabber:client) */
    if (c->sm_enabled && r->ns && strcmp(r->ns, NS_CLIENT) == 0)
        c->sm_in++;
    for (size_t i = 0; i < ARRAY_LEN(stanza_rows); i++) {
        const struct stanza_row *row = &stanza_rows[i];
        if (strcmp(r->name, row->name) == 0 && r->ns && strcmp(r->ns, row->ns) == 0) {
            if (row->fn && !c->want_close)
                row->fn(c, st);
            break;
        }
    }
    stanza_unref(st);
}

static void on_open(void *ctx, const struct xel *header, const char *default_ns)
{
    (void)header;
    if (strcmp(default_ns, NS_CLIENT) != 0)
        fail_with(ctx, "the server's stream is not jabber:client", default_ns);
}

static void on_close(void *ctx)
{
    struct client *c = ctx;
    client_close(c, !c->eng->closing && !c->ending, "the server ended the stream");
}

const struct parser_events client_parser_events = { on_open, on_stanza, on_close };
